//! The arithmetic on a metric's cells: lock-free adds from any process and thread, and sums for
//! readers.
//!
//! A histogram's cells are its observation count, its sum, then one per bucket (observations that
//! fell in that bucket and no lower one); readers make the buckets cumulative. A writer counts
//! the observation before its bucket and a reader reads the buckets before the count, so the
//! count shown is never below the last bucket's.

use super::area::{Area, Shape};
use mapache_plugin_api::abi::{
    MAPACHE_METRIC_COUNTER, MAPACHE_METRIC_GAUGE, MAPACHE_METRIC_HISTOGRAM,
};
use std::sync::atomic::Ordering;

/// Adds `delta` to a counter (not below: a negative delta is ignored) or to a gauge's cell for
/// process slot `slot` (None or out of range: the master's cell).
pub fn add(area: &Area, shape: &Shape, first: usize, delta: i64, slot: Option<u32>) {
    let index = match shape.kind {
        MAPACHE_METRIC_COUNTER if delta >= 0 => first,
        MAPACHE_METRIC_GAUGE => {
            let sl = area.server_limit();
            first + slot.filter(|&s| s < sl).unwrap_or(sl) as usize
        }
        _ => return,
    };
    if let Some(cell) = area.cell(index) {
        // Two's complement: a gauge's negative delta wraps back down.
        cell.fetch_add(delta as u64, Ordering::Relaxed);
    }
}

/// Records one observation of `value` in a histogram.
pub fn observe(area: &Area, shape: &Shape, first: usize, value: u64) {
    if shape.kind != MAPACHE_METRIC_HISTOGRAM {
        return;
    }
    let (Some(count), Some(sum)) = (area.cell(first), area.cell(first + 1)) else {
        return;
    };
    count.fetch_add(1, Ordering::Relaxed);
    sum.fetch_add(value, Ordering::Relaxed);
    if let Some(i) = shape.bounds.iter().position(|&b| value <= b) {
        if let Some(bucket) = area.cell(first + 2 + i) {
            // Release: a reader that sees this bucket's increment sees the count's.
            bucket.fetch_add(1, Ordering::Release);
        }
    }
}

/// What a reader sees of one metric, summed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    /// Counters and gauges: the value; histograms: the number of observations.
    pub value: i64,
    /// Histograms: the sum of the observations.
    pub sum: u64,
    /// Histograms: cumulative counts, one per bound.
    pub counts: Vec<u64>,
}

/// Reads a metric; a gauge's cells count only for slots where `alive` says a process runs (the
/// master's cell always counts).
pub fn read(area: &Area, shape: &Shape, first: usize, alive: impl Fn(u32) -> bool) -> Reading {
    let load = |i: usize| area.cell(i).map_or(0, |c| c.load(Ordering::Acquire));
    match shape.kind {
        MAPACHE_METRIC_GAUGE => {
            let sl = area.server_limit();
            let mut total = load(first + sl as usize);
            for slot in (0..sl).filter(|&s| alive(s)) {
                total = total.wrapping_add(load(first + slot as usize));
            }
            Reading {
                value: total as i64,
                ..Reading::default()
            }
        }
        MAPACHE_METRIC_HISTOGRAM => {
            let mut running = 0u64;
            let counts: Vec<u64> = (0..shape.bounds.len())
                .map(|i| {
                    running += load(first + 2 + i);
                    running
                })
                .collect();
            let sum = load(first + 1);
            let count = load(first).max(running);
            Reading {
                value: count as i64,
                sum,
                counts,
            }
        }
        _ => Reading {
            value: load(first) as i64,
            ..Reading::default()
        },
    }
}

/// Copies what `from` holds for a metric into `to` (a new area after the dimensions changed):
/// counters and histograms whole; gauges only the master's cell, since the old children keep
/// writing to the old area.
pub fn copy(from: &Area, from_first: usize, to: &Area, to_first: usize, shape: &Shape) {
    let (src, dst) = match shape.kind {
        MAPACHE_METRIC_GAUGE => (
            from_first + from.server_limit() as usize
                ..from_first + from.server_limit() as usize + 1,
            to_first + to.server_limit() as usize,
        ),
        _ => (
            from_first..from_first + shape.cells(from.server_limit()),
            to_first,
        ),
    };
    for (k, i) in src.enumerate() {
        if let (Some(a), Some(b)) = (from.cell(i), to.cell(dst + k)) {
            b.store(a.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(kind: u32, bounds: &[u64]) -> Shape {
        Shape {
            kind,
            name: "m".into(),
            bounds: bounds.to_vec(),
        }
    }

    #[test]
    fn counters_only_go_up() {
        let a = Area::create(2, 4, 16).unwrap();
        let c = shape(MAPACHE_METRIC_COUNTER, &[]);
        let first = a.append(&c).unwrap();
        add(&a, &c, first, 3, Some(0));
        add(&a, &c, first, -10, Some(1));
        add(&a, &c, first, 4, None);
        assert_eq!(read(&a, &c, first, |_| true).value, 7);
    }

    #[test]
    fn gauges_sum_the_live_slots_and_the_master() {
        let a = Area::create(3, 4, 16).unwrap();
        let g = shape(MAPACHE_METRIC_GAUGE, &[]);
        let first = a.append(&g).unwrap();
        add(&a, &g, first, 5, Some(0));
        add(&a, &g, first, 7, Some(2));
        add(&a, &g, first, -2, Some(2));
        add(&a, &g, first, 1, None);
        add(&a, &g, first, 100, Some(9));
        assert_eq!(read(&a, &g, first, |_| true).value, 111);
        assert_eq!(
            read(&a, &g, first, |s| s != 0).value,
            106,
            "slot 0's process is gone"
        );
    }

    #[test]
    fn histograms_are_cumulative() {
        let a = Area::create(1, 4, 16).unwrap();
        let h = shape(MAPACHE_METRIC_HISTOGRAM, &[10, 100]);
        let first = a.append(&h).unwrap();
        for v in [1, 10, 11, 500] {
            observe(&a, &h, first, v);
        }
        let r = read(&a, &h, first, |_| true);
        assert_eq!(
            r,
            Reading {
                value: 4,
                sum: 522,
                counts: vec![2, 3]
            }
        );
    }
}
