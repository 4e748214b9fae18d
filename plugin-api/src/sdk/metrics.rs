//! Module metrics and status-page sections (ABI 1.4): register counters, gauges and histograms in
//! `init`, add to them from any child and thread, read them all (summed over the children) for a
//! status page, and write every module's status section into a status response.

use super::host::{from_abi, host, host_provides};
use super::request::Request;
use crate::abi::{
    self, MapacheHost, MapacheMetric, MapacheModule, MapacheStr, MAPACHE_METRIC_COUNTER,
    MAPACHE_METRIC_GAUGE, MAPACHE_METRIC_HISTOGRAM, MAPACHE_METRIC_MAX_BUCKETS,
};
use core::mem::{offset_of, size_of};

/// Whether the core has the metrics API (ABI 1.4 or later).
pub fn available() -> bool {
    host_provides(offset_of!(MapacheHost, status_sections))
}

/// A registered metric's id; adding to it is lock-free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric(i32);

fn to_abi(s: &str) -> MapacheStr {
    MapacheStr {
        ptr: s.as_ptr(),
        len: s.len(),
    }
}

fn register(
    module: &'static MapacheModule,
    kind: u32,
    name: &str,
    help: &str,
    bounds: &[u64],
) -> Result<Metric, String> {
    if !available() {
        return Err(format!(
            "metric {name}: the core has no metrics API (ABI 1.4 needed)"
        ));
    }
    let ptr = if bounds.is_empty() {
        core::ptr::null()
    } else {
        bounds.as_ptr()
    };
    let id = (host().metric_register)(module, kind, to_abi(name), to_abi(help), ptr, bounds.len());
    if id < 0 {
        Err(format!(
            "metric {name} could not be registered (see the error log)"
        ))
    } else {
        Ok(Metric(id))
    }
}

/// Registers a counter for `module` (its descriptor). Master only, in `init`.
pub fn register_counter(
    module: &'static MapacheModule,
    name: &str,
    help: &str,
) -> Result<Metric, String> {
    register(module, MAPACHE_METRIC_COUNTER, name, help, &[])
}

/// Registers a gauge for `module`. Master only, in `init`.
pub fn register_gauge(
    module: &'static MapacheModule,
    name: &str,
    help: &str,
) -> Result<Metric, String> {
    register(module, MAPACHE_METRIC_GAUGE, name, help, &[])
}

/// Registers a histogram with ascending bucket `bounds` (at most `MAPACHE_METRIC_MAX_BUCKETS`)
/// for `module`. Master only, in `init`.
pub fn register_histogram(
    module: &'static MapacheModule,
    name: &str,
    help: &str,
    bounds: &[u64],
) -> Result<Metric, String> {
    register(module, MAPACHE_METRIC_HISTOGRAM, name, help, bounds)
}

/// Adds `delta` to a counter or gauge.
pub fn add(metric: Metric, delta: i64) {
    (host().metric_add)(metric.0, delta);
}

/// Records one observation in a histogram.
pub fn observe(metric: Metric, value: u64) {
    (host().metric_observe)(metric.0, value);
}

/// One metric as read, summed over every child.
#[derive(Clone, Debug)]
pub struct Reading {
    /// `MAPACHE_METRIC_*`.
    pub kind: u32,
    /// Its name.
    pub name: &'static str,
    /// Its help text.
    pub help: &'static str,
    /// The module that registered it.
    pub module: &'static str,
    /// Counters and gauges: the value; histograms: the number of observations.
    pub value: i64,
    /// Histograms: the sum of the observations.
    pub sum: u64,
    /// Histograms: (upper bound, cumulative count) per bucket, ascending.
    pub buckets: Vec<(u64, u64)>,
}

fn static_text(s: MapacheStr) -> &'static str {
    // SAFETY: the core owns metric strings for the life of the process.
    core::str::from_utf8(unsafe { from_abi(s) }).unwrap_or("")
}

/// Every registered metric, in registration order (empty with an older core).
pub fn list() -> Vec<Reading> {
    if !available() {
        return Vec::new();
    }
    let n = (host().metric_count)();
    (0..n as i32)
        .filter_map(|id| {
            // SAFETY: all-zero is a valid MapacheMetric (integers and null strings).
            let mut m: MapacheMetric = unsafe { core::mem::zeroed() };
            m.struct_size = size_of::<MapacheMetric>() as u32;
            ((host().metric_get)(id, &mut m) == abi::MAPACHE_OK).then(|| {
                let k = (m.bucket_count as usize).min(MAPACHE_METRIC_MAX_BUCKETS);
                Reading {
                    kind: m.kind,
                    name: static_text(m.name),
                    help: static_text(m.help),
                    module: static_text(m.module),
                    value: m.value,
                    sum: m.sum,
                    buckets: m.bounds[..k]
                        .iter()
                        .copied()
                        .zip(m.counts[..k].iter().copied())
                        .collect(),
                }
            })
        })
        .collect()
}

/// Writes every module's status section in `format` (`MAPACHE_STATUS_*`) to `req`'s response
/// (for JSON: `"name": {…}` members, comma-separated, no braces). Does nothing with an older
/// core. `Err` when the client has gone.
pub fn status_sections(req: &mut Request<'_>, format: u32) -> std::io::Result<()> {
    if !available() {
        return Ok(());
    }
    match (host().status_sections)(req.as_raw(), format) {
        abi::MAPACHE_OK => Ok(()),
        _ => Err(std::io::Error::other("client connection lost")),
    }
}
