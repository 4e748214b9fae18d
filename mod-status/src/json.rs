//! `?json`: the report as one JSON object, for programs. The schema is documented in the README
//! ("JSON"); fields are only ever added to it. Times are µs since the Unix epoch, durations µs,
//! sizes bytes, as in the scoreboard itself.

use crate::escape;
use crate::report::Report;
use crate::snapshot::{has_history, letter, Process};
use mapache_plugin_api::abi::{
    MAPACHE_METRIC_COUNTER, MAPACHE_METRIC_GAUGE, MAPACHE_METRIC_HISTOGRAM,
};
use mapache_plugin_api::sdk::metrics::Reading;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Status<'a> {
    server: Server<'a>,
    generation: u32,
    current_time_us: u64,
    start_time_us: u64,
    restart_time_us: u64,
    uptime_seconds: u64,
    load_average: Option<[f64; 3]>,
    cpu: Option<Cpu>,
    totals: Option<Totals>,
    workers: Workers,
    connections: Option<Connections>,
    scoreboard: Scoreboard,
    processes: Vec<ProcessOut>,
    metrics: Vec<MetricOut<'a>>,
}

#[derive(Serialize)]
struct MetricOut<'a> {
    name: &'a str,
    module: &'a str,
    kind: &'a str,
    help: &'a str,
    value: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    sum: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    buckets: Option<Vec<BucketOut>>,
}

#[derive(Serialize)]
struct BucketOut {
    le: u64,
    count: u64,
}

#[derive(Serialize)]
struct Server<'a> {
    name: &'a str,
    version: &'a str,
    mpm: &'a str,
    built: &'a str,
    is_async: bool,
    extended_status: bool,
}

#[derive(Serialize)]
struct Cpu {
    user_seconds: f64,
    system_seconds: f64,
    children_user_seconds: f64,
    children_system_seconds: f64,
    load_percent: Option<f64>,
}

#[derive(Serialize)]
struct Totals {
    accesses: u64,
    bytes: u64,
    duration_us: u64,
    requests_per_second: Option<f64>,
    bytes_per_second: Option<f64>,
    bytes_per_request: Option<f64>,
    ms_per_request: Option<f64>,
}

#[derive(Serialize)]
struct Workers {
    busy: u32,
    graceful: u32,
    idle: u32,
}

#[derive(Serialize)]
struct Connections {
    total: u64,
    writing: u64,
    keepalive: u64,
    closing: u64,
}

#[derive(Serialize)]
struct Scoreboard {
    server_limit: u32,
    thread_limit: u32,
    states: String,
    counts: BTreeMap<String, u32>,
}

#[derive(Serialize)]
struct ProcessOut {
    slot: u32,
    pid: i32,
    generation: u32,
    quiescing: bool,
    started_us: u64,
    connections: Option<Connections>,
    threads: Workers,
    workers: Vec<WorkerOut>,
}

#[derive(Serialize)]
struct WorkerOut {
    thread: u32,
    state: String,
    access_count: u64,
    bytes_served: u64,
    conn_count: u64,
    conn_bytes: u64,
    duration_us: u64,
    last_request_us: u64,
    last_done_us: u64,
    last_active_us: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<String>,
}

/// The report as JSON text.
pub fn render(r: &Report) -> String {
    let s = &r.snap;
    let sum = &r.sum;
    let is_async = s.is_async();
    let mut counts = BTreeMap::new();
    for c in s.letters().chars() {
        *counts.entry(c.to_string()).or_insert(0) += 1;
    }
    let status = Status {
        server: Server {
            name: &r.server_name,
            version: &r.version,
            mpm: s.mpm(),
            built: s.built(),
            is_async,
            extended_status: r.extended,
        },
        generation: s.global.generation,
        current_time_us: s.now_us,
        start_time_us: s.global.start_time_us,
        restart_time_us: s.global.restart_time_us,
        uptime_seconds: r.uptime(),
        load_average: r.load,
        cpu: r.cpu.map(|c| Cpu {
            user_seconds: c.user,
            system_seconds: c.system,
            children_user_seconds: c.children_user,
            children_system_seconds: c.children_system,
            load_percent: r.cpu_load(),
        }),
        totals: r.extended.then(|| Totals {
            accesses: sum.accesses,
            bytes: sum.bytes,
            duration_us: sum.duration_us,
            requests_per_second: r.requests_per_sec(),
            bytes_per_second: r.bytes_per_sec(),
            bytes_per_request: r.bytes_per_request(),
            ms_per_request: r.ms_per_request(),
        }),
        workers: Workers {
            busy: sum.busy,
            graceful: sum.graceful,
            idle: sum.idle,
        },
        connections: is_async.then_some(Connections {
            total: sum.conns.total,
            writing: sum.conns.writing,
            keepalive: sum.conns.keepalive,
            closing: sum.conns.closing,
        }),
        scoreboard: Scoreboard {
            server_limit: s.global.server_limit,
            thread_limit: s.global.thread_limit,
            states: s.letters(),
            counts,
        },
        processes: s
            .processes
            .iter()
            .filter(|p| p.alive() || p.workers.iter().any(has_history))
            .map(|p| process(r, p, is_async))
            .collect(),
        metrics: r.metrics.iter().map(metric).collect(),
    };
    // Serializing plain structs of numbers and strings cannot fail.
    serde_json::to_string(&status).unwrap_or_default() + "\n"
}

fn metric(m: &Reading) -> MetricOut<'_> {
    let histogram = m.kind == MAPACHE_METRIC_HISTOGRAM;
    MetricOut {
        name: m.name,
        module: m.module,
        kind: match m.kind {
            MAPACHE_METRIC_COUNTER => "counter",
            MAPACHE_METRIC_GAUGE => "gauge",
            _ => "histogram",
        },
        help: m.help,
        value: m.value,
        sum: histogram.then_some(m.sum),
        buckets: histogram.then(|| {
            m.buckets
                .iter()
                .map(|&(le, count)| BucketOut { le, count })
                .collect()
        }),
    }
}

/// Where the modules' sections go in the JSON text: before the last `}`, as the member
/// `"modules"` (the opening part; the caller closes it with `}` and the text after the split).
pub const MODULES_OPEN: &str = ",\"modules\":{";

fn process(r: &Report, p: &Process, is_async: bool) -> ProcessOut {
    let threads = r.sum.threads_of(p.slot);
    let rec = &p.record;
    ProcessOut {
        slot: p.slot,
        pid: rec.pid,
        generation: rec.generation,
        quiescing: rec.quiescing != 0,
        started_us: rec.started_us,
        connections: (is_async && p.alive()).then_some(Connections {
            total: rec.connections.into(),
            writing: rec.conns_writing.into(),
            keepalive: rec.conns_keepalive.into(),
            closing: rec.conns_closing.into(),
        }),
        threads: Workers {
            busy: threads.busy,
            graceful: threads.graceful,
            idle: threads.idle,
        },
        workers: p
            .workers
            .iter()
            .enumerate()
            .filter(|(_, w)| has_history(w))
            .map(|(i, w)| WorkerOut {
                thread: i as u32,
                state: letter(w.status).to_string(),
                access_count: w.access_count,
                bytes_served: w.bytes_served,
                conn_count: w.conn_count,
                conn_bytes: w.conn_bytes,
                duration_us: w.duration_us,
                last_request_us: w.last_request_us,
                last_done_us: w.last_done_us,
                last_active_us: w.last_active_us,
                // Who asked for what is ExtendedStatus's business, as in Apache.
                client: r.extended.then(|| escape::field(&w.client)),
                request: r.extended.then(|| escape::field(&w.request)),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::sample;

    #[test]
    fn json_has_the_documented_shape() {
        let mut snap = sample();
        snap.processes[0].workers[0].request[..5].copy_from_slice(b"GET \"");
        let r = Report::new("h", "v", true, snap);
        let v: serde_json::Value = serde_json::from_str(&render(&r)).unwrap();
        assert_eq!(v["totals"]["accesses"], 28);
        assert_eq!(v["workers"]["busy"], 3);
        assert_eq!(v["scoreboard"]["states"], "W_KG_._RI...");
        assert_eq!(v["scoreboard"]["counts"]["."], 4);
        assert!(v["connections"].is_null(), "not an async MPM");
        let procs = v["processes"].as_array().unwrap();
        assert_eq!(procs.len(), 4, "three alive and a free slot with history");
        assert_eq!(procs[0]["workers"][0]["request"], "GET \"");
        assert_eq!(procs[0]["workers"].as_array().unwrap().len(), 3);
        assert_eq!(procs[1]["quiescing"], true);

        let r = Report::new("h", "v", false, sample());
        let v: serde_json::Value = serde_json::from_str(&render(&r)).unwrap();
        assert!(v["totals"].is_null());
        assert!(v["processes"][0]["workers"][0].get("client").is_none());
        assert_eq!(v["metrics"], serde_json::json!([]));
    }

    #[test]
    fn module_metrics_are_listed() {
        let mut r = Report::new("h", "v", true, sample());
        r.metrics = vec![Reading {
            kind: MAPACHE_METRIC_HISTOGRAM,
            name: "m_size_bytes",
            help: "Sizes.",
            module: "m",
            value: 4,
            sum: 300,
            buckets: vec![(10, 1), (100, 3)],
        }];
        let v: serde_json::Value = serde_json::from_str(&render(&r)).unwrap();
        let m = &v["metrics"][0];
        assert_eq!(m["name"], "m_size_bytes");
        assert_eq!(m["module"], "m");
        assert_eq!(m["kind"], "histogram");
        assert_eq!(
            (m["value"].clone(), m["sum"].clone()),
            (4.into(), 300.into())
        );
        assert_eq!(m["buckets"][1], serde_json::json!({"le": 100, "count": 3}));
    }
}
