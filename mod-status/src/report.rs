//! Everything one status response shows, gathered once and computed in one place, so the HTML
//! page, `?auto`, JSON and Prometheus never disagree.

use crate::cpu::{self, CpuTimes};
use crate::snapshot::{Snapshot, Summary};
use mapache_plugin_api::sdk::metrics::Reading;

/// One reading of the server's state, with the figures derived from it.
pub struct Report {
    /// The server's name (ServerName, else the host name).
    pub server_name: String,
    /// The server's version string, e.g. `mapache/0.1.0`.
    pub version: String,
    /// `ExtendedStatus On`: totals, CPU and per-request details are shown.
    pub extended: bool,
    /// The scoreboard.
    pub snap: Snapshot,
    /// What is counted over it.
    pub sum: Summary,
    /// CPU times of the master and the live children (`None` without `/proc`).
    pub cpu: Option<CpuTimes>,
    /// Load averages over 1, 5 and 15 minutes.
    pub load: Option<[f64; 3]>,
    /// The modules' metrics, summed over the children (filled by the handler).
    pub metrics: Vec<Reading>,
}

impl Report {
    /// Gathers a report around a scoreboard reading.
    pub fn new(server_name: &str, version: &str, extended: bool, snap: Snapshot) -> Report {
        let sum = Summary::of(&snap);
        let pids: Vec<i32> = snap
            .processes
            .iter()
            .filter(|p| p.alive())
            .map(|p| p.record.pid)
            .collect();
        Report {
            server_name: server_name.to_owned(),
            version: version.to_owned(),
            extended,
            cpu: cpu::read(&pids),
            load: cpu::load_average(),
            metrics: Vec::new(),
            sum,
            snap,
        }
    }

    /// Whole seconds since the last (re)start.
    pub fn uptime(&self) -> u64 {
        self.snap.uptime_secs()
    }

    /// Traffic in whole kilobytes, as Apache's `Total kBytes`.
    pub fn kbytes(&self) -> u64 {
        self.sum.bytes / 1024
    }

    /// Time spent serving in whole milliseconds, as Apache's `Total Duration`.
    pub fn duration_ms(&self) -> u64 {
        self.sum.duration_us / 1000
    }

    /// Requests per second since the last restart; `None` in its first second.
    pub fn requests_per_sec(&self) -> Option<f64> {
        let up = self.uptime();
        (up > 0).then(|| self.sum.accesses as f64 / up as f64)
    }

    /// Bytes per second since the last restart; `None` in its first second.
    pub fn bytes_per_sec(&self) -> Option<f64> {
        let up = self.uptime();
        (up > 0).then(|| self.sum.bytes as f64 / up as f64)
    }

    /// Bytes per request; `None` before the first.
    pub fn bytes_per_request(&self) -> Option<f64> {
        let n = self.sum.accesses;
        (n > 0).then(|| self.sum.bytes as f64 / n as f64)
    }

    /// Milliseconds per request; `None` before the first.
    pub fn ms_per_request(&self) -> Option<f64> {
        let n = self.sum.accesses;
        (n > 0).then(|| self.sum.duration_us as f64 / 1000.0 / n as f64)
    }

    /// CPU time over uptime, in percent, as Apache's `CPULoad`; `None` without CPU figures or
    /// in the first second.
    pub fn cpu_load(&self) -> Option<f64> {
        let cpu = self.cpu?.total();
        let up = self.uptime();
        (cpu > 0.0 && up > 0).then(|| cpu / up as f64 * 100.0)
    }
}
