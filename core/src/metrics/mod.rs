//! Module metrics (ABI 1.4): counters, gauges and histograms that modules register in `init`,
//! whose values live in shared memory made before the MPM forks, so that every child adds to the
//! same ones, and that survive graceful restarts.
//!
//! - `names.rs`: what a name may be;
//! - `area.rs`: the shared memory (memfd) and its entry table;
//! - `values.rs`: adding to and reading the cells;
//! - `layout.rs`: reusing a handed-over area or making a new one when the scoreboard opens;
//! - `sections.rs`: the modules' sections of the status page;
//! - here: the process's registry, and what a re-exec carries.
//!
//! Registration is open in the master until the MPM calls `score_open`; then the area is made
//! (or reused) and the registry freezes, before any fork. The registry (names, help, module,
//! which cells) is process memory inherited by fork; only the values are shared.

mod area;
mod layout;
mod names;
pub mod sections;
mod values;

use crate::logs::error_log;
use area::{Area, Shape};
use mapache_plugin_api::abi::{
    MapacheMetric, MAPACHE_METRIC_COUNTER, MAPACHE_METRIC_GAUGE, MAPACHE_METRIC_HISTOGRAM,
    MAPACHE_METRIC_MAX_BUCKETS,
};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, OnceLock};

/// Names the descriptor of the metric area a graceful restart hands over.
pub const ENV_METRICS: &str = "MAPACHE_METRICS";
/// Most metrics a server may register.
pub const MAX_METRICS: usize = 1024;

/// One registered metric, as this process knows it.
struct Def {
    shape: Shape,
    name: &'static str,
    help: &'static str,
    module: &'static str,
}

/// The registry once the area exists.
struct Live {
    defs: Vec<Def>,
    firsts: Vec<usize>,
    area: Area,
}

static PENDING: Mutex<Vec<Def>> = Mutex::new(Vec::new());
static LIVE: OnceLock<Live> = OnceLock::new();
static INHERITED: Mutex<Option<Area>> = Mutex::new(None);

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

/// Registers a metric for `module`; its id, or why not.
pub fn register(
    module: &str,
    kind: u32,
    name: &str,
    help: &str,
    bounds: &[u64],
) -> Result<i32, String> {
    if LIVE.get().is_some() {
        return Err(format!(
            "metric {name}: metrics are registered in the master during init, before the MPM \
             starts"
        ));
    }
    if !names::valid(name) {
        return Err(format!(
            "metric name {name:?} is not valid (letters, digits, _ and :, not starting with a \
             digit, at most {} bytes)",
            names::MAX_NAME_LEN
        ));
    }
    let bounds = match kind {
        MAPACHE_METRIC_COUNTER | MAPACHE_METRIC_GAUGE => Vec::new(),
        MAPACHE_METRIC_HISTOGRAM => {
            if bounds.is_empty()
                || bounds.len() > MAPACHE_METRIC_MAX_BUCKETS
                || bounds.windows(2).any(|w| w[0] >= w[1])
            {
                return Err(format!(
                    "histogram {name}: bucket bounds must be 1 to {MAPACHE_METRIC_MAX_BUCKETS} \
                     values in ascending order"
                ));
            }
            bounds.to_vec()
        }
        other => return Err(format!("metric {name}: unknown kind {other}")),
    };
    let mut pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    if pending.iter().any(|d| d.name == name) {
        return Err(format!("metric {name} is registered twice"));
    }
    if pending.len() >= MAX_METRICS {
        return Err(format!("metric {name}: more than {MAX_METRICS} metrics"));
    }
    pending.push(Def {
        shape: Shape {
            kind,
            name: name.to_owned(),
            bounds,
        },
        name: leak(name),
        help: leak(help),
        module: leak(module),
    });
    Ok(pending.len() as i32 - 1)
}

/// Makes the shared area for what was registered (or reuses the one a graceful restart handed
/// over) and freezes the registry. Called from `score_open`, in the master, before fork.
pub fn open(server_limit: u32) -> Result<(), String> {
    if LIVE.get().is_some() {
        return Ok(());
    }
    let defs = std::mem::take(&mut *PENDING.lock().unwrap_or_else(|e| e.into_inner()));
    let inherited = INHERITED.lock().unwrap_or_else(|e| e.into_inner()).take();
    let shapes: Vec<Shape> = defs.iter().map(|d| d.shape.clone()).collect();
    let (area, firsts, warnings) = layout::place(&shapes, inherited, server_limit)?;
    for w in warnings {
        error_log::log("core", error_log::WARN, None, &w);
    }
    LIVE.set(Live { defs, firsts, area })
        .map_err(|_| "the metric area was opened twice".to_owned())
}

fn live(id: i32) -> Option<(&'static Live, usize)> {
    let live = LIVE.get()?;
    let i = usize::try_from(id).ok().filter(|&i| i < live.defs.len())?;
    Some((live, i))
}

/// `metric_add`. Before the area exists (in the master during init) it does nothing.
pub fn add(id: i32, delta: i64) {
    if let Some((live, i)) = live(id) {
        let slot = crate::scoreboard::slot();
        values::add(&live.area, &live.defs[i].shape, live.firsts[i], delta, slot);
    }
}

/// `metric_observe`.
pub fn observe(id: i32, value: u64) {
    if let Some((live, i)) = live(id) {
        values::observe(&live.area, &live.defs[i].shape, live.firsts[i], value);
    }
}

/// `metric_count`.
pub fn count() -> u32 {
    match LIVE.get() {
        Some(live) => live.defs.len() as u32,
        None => PENDING.lock().unwrap_or_else(|e| e.into_inner()).len() as u32,
    }
}

fn abi_str(s: &'static str) -> mapache_plugin_api::abi::MapacheStr {
    mapache_plugin_api::abi::MapacheStr {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

/// `metric_get`: metric `id` summed over every live process, or None for an unknown id.
pub fn get(id: i32) -> Option<MapacheMetric> {
    let fill = |def: &Def, reading: values::Reading| {
        let mut m = MapacheMetric {
            struct_size: std::mem::size_of::<MapacheMetric>() as u32,
            kind: def.shape.kind,
            name: abi_str(def.name),
            help: abi_str(def.help),
            module: abi_str(def.module),
            value: reading.value,
            sum: reading.sum,
            bucket_count: def.shape.bounds.len() as u32,
            reserved: 0,
            bounds: [0; MAPACHE_METRIC_MAX_BUCKETS],
            counts: [0; MAPACHE_METRIC_MAX_BUCKETS],
        };
        m.bounds[..def.shape.bounds.len()].copy_from_slice(&def.shape.bounds);
        let n = reading.counts.len().min(MAPACHE_METRIC_MAX_BUCKETS);
        m.counts[..n].copy_from_slice(&reading.counts[..n]);
        m
    };
    if let Some((live, i)) = live(id) {
        let board = crate::scoreboard::board();
        let alive = |slot: u32| {
            board.is_none_or(|b| {
                b.process(slot)
                    .is_some_and(|p| p.pid.load(std::sync::atomic::Ordering::Relaxed) != 0)
            })
        };
        let def = &live.defs[i];
        return Some(fill(
            def,
            values::read(&live.area, &def.shape, live.firsts[i], alive),
        ));
    }
    if LIVE.get().is_some() {
        return None;
    }
    let pending = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    let def = pending.get(usize::try_from(id).ok()?)?;
    let zero = values::Reading {
        counts: vec![0; def.shape.bounds.len()],
        ..values::Reading::default()
    };
    Some(fill(def, zero))
}

/// The child in `slot` is gone: its share of every gauge goes with it.
pub fn slot_exited(slot: u32) {
    let Some(live) = LIVE.get() else { return };
    for (def, &first) in live.defs.iter().zip(&live.firsts) {
        if def.shape.kind == MAPACHE_METRIC_GAUGE && slot < live.area.server_limit() {
            if let Some(cell) = live.area.cell(first + slot as usize) {
                cell.store(0, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

/// The area's descriptor, to hand to the next master on a graceful restart.
pub fn carry_fd() -> Option<RawFd> {
    LIVE.get().map(|l| l.area.raw_fd())
}

/// Takes the area a graceful restart handed over (`ENV_METRICS`) and removes the variable.
/// Returns a warning for the error log when it is not usable.
pub fn take_inherited() -> Option<String> {
    let text = std::env::var(ENV_METRICS).ok()?;
    // Edition 2021: safe; the master is single-threaded here.
    std::env::remove_var(ENV_METRICS);
    let taken = text
        .trim()
        .parse::<RawFd>()
        .ok()
        .filter(|&fd| fd > 2)
        .ok_or_else(|| format!("{ENV_METRICS}={text} is not a descriptor"))
        .and_then(|fd| {
            // SAFETY: fcntl on a descriptor number is harmless if it is not open (EBADF).
            if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
                return Err(format!(
                    "descriptor {fd}: {}",
                    std::io::Error::last_os_error()
                ));
            }
            // SAFETY: the descriptor was handed to us for this, and nothing else refers to it.
            Area::from_fd(unsafe { OwnedFd::from_raw_fd(fd) })
        });
    match taken {
        Ok(area) => {
            *INHERITED.lock().unwrap_or_else(|e| e.into_inner()) = Some(area);
            None
        }
        Err(why) => Some(format!(
            "the metric area handed over by the graceful restart is not usable ({why}): metrics \
             start again from zero"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The only test of this binary that registers: the registry is the process's.
    #[test]
    fn registration_checks_names_kinds_bounds_and_duplicates() {
        let c = register("m", MAPACHE_METRIC_COUNTER, "t_hits_total", "Hits.", &[]).unwrap();
        assert!(register("m", MAPACHE_METRIC_GAUGE, "t_hits_total", "", &[])
            .unwrap_err()
            .contains("twice"));
        assert!(register("m", MAPACHE_METRIC_COUNTER, "9bad", "", &[])
            .unwrap_err()
            .contains("not valid"));
        assert!(register("m", 99, "t_odd", "", &[])
            .unwrap_err()
            .contains("unknown kind"));
        for bad in [
            &[][..],
            &[5, 5],
            &[9, 3],
            &[1; MAPACHE_METRIC_MAX_BUCKETS + 1],
        ] {
            assert!(register("m", MAPACHE_METRIC_HISTOGRAM, "t_h", "", bad).is_err());
        }
        let h = register("m", MAPACHE_METRIC_HISTOGRAM, "t_h", "H.", &[1, 10]).unwrap();
        assert_eq!((c, h), (0, 1));
        assert_eq!(count(), 2);
        let m = get(h).unwrap();
        assert_eq!(
            (m.kind, m.bucket_count, m.bounds[1]),
            (MAPACHE_METRIC_HISTOGRAM, 2, 10)
        );
        assert!(get(2).is_none() && get(-1).is_none());
    }
}
