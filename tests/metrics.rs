//! Module metrics (ABI 1.4) through mod-status, with the test module `metrics-probe` (a counter
//! and a histogram of the requests for `/probe.txt`, counted in the log phase, and a gauge each
//! child adds 1 to): prefork with several children, requests spread over them on connections
//! held at once, the sums in `?json` and the Prometheus text, kept across a graceful restart;
//! the module's status section in the HTML page, `?json` and `?auto`.

use mapache_tests::*;
use std::io::{Read, Write};
use std::time::Duration;

/// Children the tests keep: each connection held open ties one up.
const CHILDREN: usize = 3;

fn start(root: &Root) -> Server {
    root.write("htdocs/probe.txt", b"probe\n");
    root.config(&format!(
        "{}LoadModule status_module {}\nLoadModule metrics_probe_module {}\n\
         StartServers {CHILDREN}\nMinSpareServers {CHILDREN}\nMaxSpareServers 6\n\
         <Location /server-status>\nSetHandler server-status\n</Location>\n\
         <Location /metrics>\nSetHandler server-metrics\n</Location>\n",
        modules_for("prefork"),
        module("libmod_status.so").display(),
        module("libmetrics_probe.so").display(),
    ));
    let server = Server::start(root, &[]);
    assert!(
        wait_until(Duration::from_secs(10), || server.children().len()
            >= CHILDREN),
        "{CHILDREN} children did not start; log:\n{}",
        server.log_text()
    );
    server
}

const PROBE_REQUEST: &[u8] = b"GET /probe.txt HTTP/1.1\r\nHost: t\r\n\r\n";
const PROBE_RESPONSE_END: &[u8] = b"\r\n\r\nprobe\n";

/// Reads from `s` until one more probe response has arrived (its body ends what was read).
fn read_one(s: &mut std::net::TcpStream) {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(PROBE_RESPONSE_END) {
        let n = s.read(&mut buf).expect("a probe response");
        assert!(
            n > 0,
            "connection closed after {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&got)
    );
}

/// `n` requests for `/probe.txt`, over `CHILDREN` keep-alive connections held open together:
/// a prefork child serves one connection at a time, so each connection is another child's.
fn probe_requests(server: &Server, n: usize) {
    let mut conns: Vec<_> = (0..CHILDREN).map(|_| server.connect()).collect();
    for i in 0..n {
        let s = &mut conns[i % CHILDREN];
        s.write_all(PROBE_REQUEST).unwrap();
        read_one(s);
    }
    // Each request is counted in its log phase, after its response: closing the connections
    // and waiting for the counts is the caller's business (`wait_hits`).
}

/// The `?json` page, parsed.
fn json(server: &Server) -> serde_json::Value {
    let r = server.get("/server-status?json");
    assert_eq!(r.status, 200);
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&r.body)))
}

/// Metric `name` in a `?json` page.
fn json_metric<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["metrics"]
        .as_array()
        .unwrap_or_else(|| panic!("no metrics array: {v}"))
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name}: {}", v["metrics"]))
}

/// Waits until `?json` shows `n` probe hits (the last request's log phase may still run) and
/// returns that page; panics with the last one seen otherwise.
fn wait_hits(server: &Server, n: i64) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    let seen = wait_until(Duration::from_secs(5), || {
        last = json(server);
        json_metric(&last, "probe_hits_total")["value"] == n
    });
    assert!(seen, "probe_hits_total is not {n}: {}", last["metrics"]);
    last
}

/// The Prometheus text's samples (`name{labels}` → value) and its `# TYPE` lines.
fn prometheus(server: &Server) -> (Vec<(String, String)>, Vec<String>) {
    let r = server.get("/metrics");
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body).unwrap();
    let mut samples = Vec::new();
    let mut types = Vec::new();
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("# TYPE ") {
            types.push(t.to_owned());
        } else if !line.starts_with('#') && !line.is_empty() {
            let (k, v) = line.rsplit_once(' ').expect("name value");
            samples.push((k.to_owned(), v.to_owned()));
        }
    }
    (samples, types)
}

fn sample<'a>(samples: &'a [(String, String)], key: &str) -> &'a str {
    samples
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no sample {key}: {samples:?}"))
}

/// Checks the probe's counter and histogram in the Prometheus text after `n` hits.
fn check_prometheus(server: &Server, n: u64) {
    let (samples, types) = prometheus(server);
    for t in [
        "probe_hits_total counter",
        "probe_path_bytes histogram",
        "probe_children gauge",
    ] {
        assert!(types.iter().any(|l| l == t), "no TYPE {t}: {types:?}");
    }
    let n_text = n.to_string();
    assert_eq!(sample(&samples, "probe_hits_total"), n_text);
    // "/probe.txt" is 10 bytes: above 4, within 16.
    assert_eq!(sample(&samples, "probe_path_bytes_bucket{le=\"4\"}"), "0");
    assert_eq!(
        sample(&samples, "probe_path_bytes_bucket{le=\"16\"}"),
        n_text
    );
    assert_eq!(
        sample(&samples, "probe_path_bytes_bucket{le=\"64\"}"),
        n_text
    );
    assert_eq!(
        sample(&samples, "probe_path_bytes_bucket{le=\"+Inf\"}"),
        n_text
    );
    assert_eq!(sample(&samples, "probe_path_bytes_count"), n_text);
    assert_eq!(
        sample(&samples, "probe_path_bytes_sum"),
        (n * 10).to_string()
    );
}

/// Live processes in a `?json` page, and how many of them served any request.
fn live_processes(v: &serde_json::Value) -> (usize, usize) {
    let live: Vec<_> = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["pid"].as_i64().unwrap_or(0) != 0)
        .collect();
    let served = live
        .iter()
        .filter(|p| {
            p["workers"]
                .as_array()
                .is_some_and(|w| w.iter().any(|w| w["access_count"].as_u64() > Some(0)))
        })
        .count();
    (live.len(), served)
}

#[test]
fn counts_sum_over_children_and_survive_a_graceful_restart() {
    const N: usize = 12;
    const M: usize = 7;
    let root = Root::new();
    let server = start(&root);

    probe_requests(&server, N);
    let v = wait_hits(&server, N as i64);
    let (live, served) = live_processes(&v);
    assert!(
        served >= CHILDREN,
        "the requests went to {served} of {live} children; processes: {}",
        v["processes"]
    );
    let hist = json_metric(&v, "probe_path_bytes");
    assert_eq!(hist["kind"], "histogram");
    assert_eq!(hist["value"], N);
    assert_eq!(hist["sum"], N * 10);
    assert_eq!(hist["buckets"][1]["le"], 16);
    assert_eq!(hist["buckets"][1]["count"], N);
    assert_eq!(json_metric(&v, "probe_hits_total")["module"], "probe");
    check_prometheus(&server, N as u64);

    server.signal(libc::SIGUSR1);
    server.expect_restart(None, 1, "graceful restart");
    probe_requests(&server, M);
    wait_hits(&server, (N + M) as i64);
    check_prometheus(&server, (N + M) as u64);

    // The gauge is summed over the children alive: once the old generation has gone, it is
    // their number (each added 1 in child_init).
    let mut last = serde_json::Value::Null;
    let old_gone = wait_until(Duration::from_secs(10), || {
        last = json(&server);
        last["processes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["pid"] == 0 || p["generation"] == 1)
    });
    assert!(
        old_gone,
        "the old generation is still there: {}",
        last["processes"]
    );
    let settled = wait_until(Duration::from_secs(10), || {
        last = json(&server);
        let (live, _) = live_processes(&last);
        json_metric(&last, "probe_children")["value"] == live as i64
    });
    assert!(
        settled,
        "probe_children is not the number of live children: {} / {}",
        json_metric(&last, "probe_children"),
        last["processes"]
    );
}

#[test]
fn the_module_section_is_on_the_page_in_json_and_in_auto() {
    let root = Root::new();
    let server = start(&root);
    probe_requests(&server, 2);
    let v = wait_hits(&server, 2);
    assert_eq!(v["modules"]["probe"]["hits"], 2, "{}", v["modules"]);

    let page = server.get("/server-status");
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).unwrap();
    let section = html
        .find("<h2>Probe</h2><p class=\"probe\">probe hits: 2</p>")
        .unwrap_or_else(|| panic!("no probe section: {html}"));
    let footer = html.find("<footer>").expect("a footer");
    assert!(section < footer, "the section comes before the footer");
    assert!(html.contains("<code>probe_hits_total</code>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));

    let auto = server.get("/server-status?auto");
    let auto = String::from_utf8(auto.body).unwrap();
    assert!(
        auto.lines().any(|l| l == "ProbeHits: 2"),
        "no ProbeHits line: {auto}"
    );
    assert!(
        auto.lines().any(|l| l.starts_with("Scoreboard: ")),
        "{auto}"
    );
}
