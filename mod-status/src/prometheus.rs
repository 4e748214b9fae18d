//! `?prometheus` and the `server-metrics` handler: the report in Prometheus's text exposition
//! format 0.0.4, named by Prometheus's conventions (`mapache_` prefix, base units, `_total` for
//! counters). Written by hand: the format is a few lines, and the client crates want a registry
//! of long-lived metric objects where we have one snapshot per scrape.

use crate::report::Report;
use mapache_plugin_api::abi::{
    MAPACHE_METRIC_COUNTER, MAPACHE_METRIC_GAUGE, MAPACHE_METRIC_HISTOGRAM,
};
use mapache_plugin_api::sdk::metrics::Reading;
use std::fmt::Write as _;

/// The `Content-Type` of the exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Scoreboard letters and the state names the Apache exporter gives them, so dashboards built
/// for `apache_scoreboard` carry over.
const STATES: [(char, &str); 11] = [
    ('_', "idle"),
    ('S', "startup"),
    ('R', "read"),
    ('W', "reply"),
    ('K', "keepalive"),
    ('D', "dns"),
    ('C', "closing"),
    ('L', "logging"),
    ('G', "graceful_stop"),
    ('I', "idle_cleanup"),
    ('.', "open_slot"),
];

/// Builds the exposition text: each family's HELP and TYPE, then its samples.
struct Exposition {
    out: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let v = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(self.out, "{k}=\"{v}\"");
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", number(value));
    }

    /// A family with one sample and no labels.
    fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// A sample value as Prometheus writes it: integers without a point, `NaN`, `+Inf`, `-Inf`.
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        // Rust prints the shortest text that reads back as the same f64, without an exponent.
        format!("{v}")
    }
}

/// The report as exposition text.
pub fn render(r: &Report) -> String {
    let s = &r.snap;
    let sum = &r.sum;
    let mut e = Exposition { out: String::new() };
    e.single(
        "mapache_up",
        "gauge",
        "Whether the server's status could be read (1).",
        1.0,
    );
    e.family(
        "mapache_info",
        "gauge",
        "The server's version, MPM and build time, as labels.",
    );
    e.sample(
        "mapache_info",
        &[
            ("version", &r.version),
            ("mpm", s.mpm()),
            ("built", s.built()),
        ],
        1.0,
    );
    e.single(
        "mapache_start_time_seconds",
        "gauge",
        "When the server first started, in seconds since the Unix epoch.",
        s.global.start_time_us as f64 / 1e6,
    );
    e.single(
        "mapache_restart_time_seconds",
        "gauge",
        "When the server last (re)started, in seconds since the Unix epoch.",
        s.global.restart_time_us as f64 / 1e6,
    );
    e.single(
        "mapache_uptime_seconds",
        "gauge",
        "Seconds since the server last (re)started.",
        r.uptime() as f64,
    );
    e.single(
        "mapache_generation",
        "gauge",
        "Configuration generation: 0 at start, one more per restart.",
        s.global.generation.into(),
    );
    if r.extended {
        e.single(
            "mapache_requests_total",
            "counter",
            "Requests served (kept across graceful restarts).",
            sum.accesses as f64,
        );
        e.single(
            "mapache_sent_bytes_total",
            "counter",
            "Response bytes sent, heads and bodies.",
            sum.bytes as f64,
        );
        e.single(
            "mapache_request_duration_seconds_total",
            "counter",
            "Time spent serving requests, summed over all requests.",
            sum.duration_us as f64 / 1e6,
        );
    }
    if let Some(cpu) = r.cpu {
        e.family(
            "mapache_cpu_seconds_total",
            "counter",
            "CPU time of the master and the live children (children_*: processes they reaped).",
        );
        for (mode, v) in [
            ("user", cpu.user),
            ("system", cpu.system),
            ("children_user", cpu.children_user),
            ("children_system", cpu.children_system),
        ] {
            e.sample("mapache_cpu_seconds_total", &[("mode", mode)], v);
        }
    }
    e.family(
        "mapache_workers",
        "gauge",
        "Workers of serving processes: busy, finishing gracefully, idle (current generation).",
    );
    for (state, n) in [
        ("busy", sum.busy),
        ("graceful", sum.graceful),
        ("idle", sum.idle),
    ] {
        e.sample("mapache_workers", &[("state", state)], n.into());
    }
    e.family(
        "mapache_scoreboard",
        "gauge",
        "Worker records by scoreboard state.",
    );
    let letters = s.letters();
    for (letter, state) in STATES {
        let n = letters.chars().filter(|&c| c == letter).count();
        e.sample("mapache_scoreboard", &[("state", state)], n as f64);
    }
    e.family(
        "mapache_processes",
        "gauge",
        "Child processes, serving or stopping.",
    );
    let running = sum.processes - sum.stopping;
    e.sample("mapache_processes", &[("state", "running")], running.into());
    e.sample(
        "mapache_processes",
        &[("state", "stopping")],
        sum.stopping.into(),
    );
    if s.is_async() {
        let c = sum.conns;
        let waiting = c.writing + c.keepalive + c.closing;
        e.family(
            "mapache_connections",
            "gauge",
            "Connections held: active (being read or served), writing to slow readers, \
             keep-alive, closing.",
        );
        for (state, n) in [
            ("active", c.total.saturating_sub(waiting)),
            ("writing", c.writing),
            ("keepalive", c.keepalive),
            ("closing", c.closing),
        ] {
            e.sample("mapache_connections", &[("state", state)], n as f64);
        }
    }
    for m in &r.metrics {
        module_metric(&mut e, m);
    }
    e.out
}

/// A module's metric as its own family; a histogram as `_bucket{le}` (cumulative, `+Inf` last),
/// `_sum` and `_count`.
fn module_metric(e: &mut Exposition, m: &Reading) {
    let kind = match m.kind {
        MAPACHE_METRIC_COUNTER => "counter",
        MAPACHE_METRIC_GAUGE => "gauge",
        MAPACHE_METRIC_HISTOGRAM => "histogram",
        _ => return,
    };
    e.family(m.name, kind, m.help);
    if m.kind != MAPACHE_METRIC_HISTOGRAM {
        e.sample(m.name, &[], m.value as f64);
        return;
    }
    let bucket = format!("{}_bucket", m.name);
    for &(le, n) in &m.buckets {
        e.sample(&bucket, &[("le", &le.to_string())], n as f64);
    }
    e.sample(&bucket, &[("le", "+Inf")], m.value as f64);
    e.sample(&format!("{}_sum", m.name), &[], m.sum as f64);
    e.sample(&format!("{}_count", m.name), &[], m.value as f64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::sample;

    #[test]
    fn families_have_help_and_type_before_their_samples() {
        let mut snap = sample();
        snap.global.mpm_name[..5].copy_from_slice(b"event");
        snap.global.mpm_flags = mapache_plugin_api::abi::MAPACHE_MPM_ASYNC;
        let r = Report::new("h", "mapache/\"x\"", true, snap);
        let text = render(&r);
        let mut typed = std::collections::HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                typed.insert(rest.split(' ').next().unwrap().to_owned());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(typed.contains(name), "{line} before its TYPE");
                let value = line.rsplit(' ').next().unwrap();
                assert!(value.parse::<f64>().is_ok(), "{line}");
            }
        }
        assert!(text.contains("\nmapache_requests_total 28\n"), "{text}");
        assert!(text.contains("mapache_info{version=\"mapache/\\\"x\\\"\",mpm=\"event\""));
        assert!(text.contains("mapache_scoreboard{state=\"open_slot\"} 4\n"));
        assert!(
            text.contains("mapache_connections{state=\"active\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("mapache_processes{state=\"stopping\"} 1\n"));
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(f64::INFINITY), "+Inf");
    }

    #[test]
    fn module_metrics_are_families_and_histograms_have_buckets_sum_and_count() {
        let mut r = Report::new("h", "v", true, sample());
        r.metrics = vec![
            Reading {
                kind: MAPACHE_METRIC_COUNTER,
                name: "m_hits_total",
                help: "Hits.",
                module: "m",
                value: 5,
                sum: 0,
                buckets: vec![],
            },
            Reading {
                kind: MAPACHE_METRIC_HISTOGRAM,
                name: "m_size_bytes",
                help: "Sizes.",
                module: "m",
                value: 4,
                sum: 300,
                buckets: vec![(10, 1), (100, 3)],
            },
        ];
        let text = render(&r);
        let expected = "# HELP m_hits_total Hits.\n# TYPE m_hits_total counter\nm_hits_total 5\n\
             # HELP m_size_bytes Sizes.\n# TYPE m_size_bytes histogram\n\
             m_size_bytes_bucket{le=\"10\"} 1\nm_size_bytes_bucket{le=\"100\"} 3\n\
             m_size_bytes_bucket{le=\"+Inf\"} 4\nm_size_bytes_sum 300\nm_size_bytes_count 4\n";
        assert!(text.ends_with(expected), "{text}");
    }
}
