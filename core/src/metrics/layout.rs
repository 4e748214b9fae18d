//! Where the registered metrics go when the MPM opens the scoreboard: into the area a graceful
//! restart handed over (a metric of the same name, kind and bounds keeps its cells, so the old
//! generation's children and the new one add to the same values), or into a new area, into
//! which what the old one held is copied when it cannot be reused (other ServerLimit, full).

use super::area::{Area, Shape};
use super::values;

/// Entries and cells a new area has room for beyond the registered ones, so that a graceful
/// restart that loads another module or two can still reuse it.
const SPARE_ENTRIES: u32 = 64;
const SPARE_CELLS: usize = 1024;

/// The area for this generation and the first cell of each shape (in order), with warnings for
/// the error log.
pub fn place(
    shapes: &[Shape],
    inherited: Option<Area>,
    server_limit: u32,
) -> Result<(Area, Vec<usize>, Vec<String>), String> {
    if let Some(old) = inherited
        .as_ref()
        .filter(|a| a.server_limit() == server_limit)
    {
        let firsts: Option<Vec<usize>> = shapes
            .iter()
            .map(|s| old.find(s).or_else(|| old.append(s)))
            .collect();
        if let Some(firsts) = firsts {
            let old = inherited.expect("checked above");
            return Ok((old, firsts, Vec::new()));
        }
    }
    let cells: usize = shapes.iter().map(|s| s.cells(server_limit)).sum();
    let cells = u32::try_from(cells * 2 + SPARE_CELLS).map_err(|_| "too many metric cells")?;
    let entries = shapes.len() as u32 * 2 + SPARE_ENTRIES;
    let area = Area::create(server_limit, entries, cells)?;
    let mut firsts = Vec::with_capacity(shapes.len());
    for s in shapes {
        firsts.push(area.append(s).ok_or("the new metric area is too small")?);
    }
    let mut warnings = Vec::new();
    if let Some(old) = inherited {
        for (s, &first) in shapes.iter().zip(&firsts) {
            if let Some(from) = old.find(s) {
                values::copy(&old, from, &area, first, s);
            }
        }
        warnings.push(
            "the metric area handed over by the graceful restart could not be reused (other \
             ServerLimit, or full): values were copied, and what the old generation's processes \
             add from now on is not counted"
                .to_owned(),
        );
    }
    Ok((area, firsts, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapache_plugin_api::abi::{MAPACHE_METRIC_COUNTER, MAPACHE_METRIC_GAUGE};
    use std::sync::atomic::Ordering;

    fn shape(kind: u32, name: &str) -> Shape {
        Shape {
            kind,
            name: name.into(),
            bounds: vec![],
        }
    }

    fn hand_over(a: &Area) -> Area {
        use std::os::fd::{FromRawFd, OwnedFd};
        // SAFETY: dup of our own descriptor, owned by the new value.
        Area::from_fd(unsafe { OwnedFd::from_raw_fd(libc::dup(a.raw_fd())) }).unwrap()
    }

    #[test]
    fn a_graceful_restart_keeps_values_of_the_same_shape() {
        let c = shape(MAPACHE_METRIC_COUNTER, "hits_total");
        let (a, firsts, _) = place(std::slice::from_ref(&c), None, 4).unwrap();
        a.cell(firsts[0]).unwrap().fetch_add(9, Ordering::Relaxed);
        let new = shape(MAPACHE_METRIC_COUNTER, "new_total");
        let as_gauge = shape(MAPACHE_METRIC_GAUGE, "hits_total");
        let (b, firsts, warnings) =
            place(&[new, c.clone(), as_gauge.clone()], Some(hand_over(&a)), 4).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(
            b.cell(firsts[1]).unwrap().load(Ordering::Relaxed),
            9,
            "kept"
        );
        assert_eq!(b.cell(firsts[0]).unwrap().load(Ordering::Relaxed), 0);
        assert_ne!(firsts[2], firsts[1], "another kind is another metric");
        a.cell(0).unwrap().fetch_add(1, Ordering::Relaxed);
        assert_eq!(
            b.cell(firsts[1]).unwrap().load(Ordering::Relaxed),
            10,
            "same memory"
        );
    }

    #[test]
    fn another_server_limit_copies_into_a_new_area() {
        let c = shape(MAPACHE_METRIC_COUNTER, "hits_total");
        let (a, firsts, _) = place(std::slice::from_ref(&c), None, 4).unwrap();
        a.cell(firsts[0]).unwrap().fetch_add(9, Ordering::Relaxed);
        let (b, firsts, warnings) = place(&[c], Some(hand_over(&a)), 8).unwrap();
        assert_eq!(b.server_limit(), 8);
        assert_eq!(b.cell(firsts[0]).unwrap().load(Ordering::Relaxed), 9);
        assert_eq!(warnings.len(), 1);
    }
}
