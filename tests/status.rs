//! mod-status on every MPM: Apache's `?auto` keys in Apache's order with numbers that add up
//! (requests counted across processes and threads, and kept across a graceful restart), the
//! JSON schema the README documents, a well-formed Prometheus exposition, the Debian
//! prometheus-apache-exporter reading `?auto` as it reads Apache's, and an HTML page that
//! escapes what clients sent.

use mapache_tests::*;
use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `?auto`'s keys after the server name, in Apache 2.4's order. `CPULoad` appears once the
/// server has spent measurable CPU time; the `Processes` … `ConnsAsyncClosing` block for async
/// MPMs only.
const AUTO_KEYS: [&str; 35] = [
    "ServerVersion",
    "ServerMPM",
    "Server Built",
    "CurrentTime",
    "RestartTime",
    "ParentServerConfigGeneration",
    "ParentServerMPMGeneration",
    "ServerUptimeSeconds",
    "ServerUptime",
    "Load1",
    "Load5",
    "Load15",
    "Total Accesses",
    "Total kBytes",
    "Total Duration",
    "CPUUser",
    "CPUSystem",
    "CPUChildrenUser",
    "CPUChildrenSystem",
    "CPULoad",
    "Uptime",
    "ReqPerSec",
    "BytesPerSec",
    "BytesPerReq",
    "DurationPerReq",
    "BusyWorkers",
    "GracefulWorkers",
    "IdleWorkers",
    "Processes",
    "Stopping",
    "ConnsTotal",
    "ConnsAsyncWriting",
    "ConnsAsyncKeepAlive",
    "ConnsAsyncClosing",
    "Scoreboard",
];

/// Keys whose value is text, not a number.
const TEXT_KEYS: [&str; 7] = [
    "ServerVersion",
    "ServerMPM",
    "Server Built",
    "CurrentTime",
    "RestartTime",
    "ServerUptime",
    "Scoreboard",
];

/// Two children (or one with a few threads) so a status request never waits for a busy one.
fn sizes(mpm: &str) -> &'static str {
    match mpm {
        "prefork" => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 4\n",
        _ => {
            "StartServers 2\nThreadsPerChild 4\nMinSpareThreads 4\nMaxSpareThreads 16\n\
             MaxRequestWorkers 32\n"
        }
    }
}

/// The usual modules plus mod-status, the status locations, and `extra`.
fn start(root: &Root, mpm: &str, extra: &str) -> Server {
    root.write("htdocs/a.txt", b"0123456789\n");
    root.config(&format!(
        "{}LoadModule status_module {}\n{}ServerName status.test:8080\n\
         <Location /server-status>\nSetHandler server-status\n</Location>\n\
         <Location /metrics>\nSetHandler server-metrics\n</Location>\n\
         <Location /hang>\nSetHandler test-hang\n</Location>\n{extra}",
        modules_for(mpm),
        module("libmod_status.so").display(),
        sizes(mpm),
    ));
    let server = Server::start(root, &[]);
    server.wait_ready();
    server
}

/// Counts the status requests a test makes: each one shows in the totals of the next, never in
/// its own (a request counts once it is done).
struct Probe<'a> {
    server: &'a Server,
    /// Requests made to the server so far, status requests included.
    requests: u64,
}

impl<'a> Probe<'a> {
    fn new(server: &'a Server) -> Self {
        Probe {
            server,
            requests: 0,
        }
    }

    /// A GET that the totals will count.
    fn get(&mut self, path: &str) -> Response {
        let r = self.server.get(path);
        self.requests += 1;
        r
    }

    /// `?auto` parsed: the name line, then the keys in order with their values. Checks the
    /// response's head on the way.
    fn auto(&mut self) -> (String, Vec<(String, String)>) {
        let r = self.get("/server-status?auto");
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("Content-Type"),
            Some("text/plain; charset=ISO-8859-1")
        );
        assert!(
            r.header("Cache-Control")
                .is_some_and(|v| v.contains("no-cache")),
            "{:?}",
            r.headers
        );
        let text = String::from_utf8(r.body).expect("?auto is ASCII");
        let mut lines = text.lines();
        let name = lines.next().unwrap_or("").to_owned();
        let pairs = lines
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap_or_else(|| panic!("no colon: {l}"));
                (k.to_owned(), v.trim_start().to_owned())
            })
            .collect();
        (name, pairs)
    }

    /// `?auto` once the server has been up a whole second, so the per-second rates are there.
    fn auto_after_a_second(&mut self) -> (String, Vec<(String, String)>) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (name, pairs) = self.auto();
            if value(&pairs, "ServerUptimeSeconds") >= 1.0 || Instant::now() > deadline {
                return (name, pairs);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

/// A numeric `?auto` value.
fn value(pairs: &[(String, String)], key: &str) -> f64 {
    let v = &pairs
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no {key} in {pairs:?}"))
        .1;
    v.parse()
        .unwrap_or_else(|_| panic!("{key}: {v:?} is not a number"))
}

fn text(pairs: &[(String, String)], key: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no {key} in {pairs:?}"))
}

#[test]
fn auto_has_apache_keys_in_order_and_counts_every_request() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let server = start(&root, mpm, "");
        let mut probe = Probe::new(&server);
        for _ in 0..7 {
            assert_eq!(probe.get("/a.txt").status, 200);
        }
        let (name, pairs) = probe.auto_after_a_second();
        assert_eq!(name, "status.test", "ServerName without its port");
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        let expected: Vec<&str> = AUTO_KEYS
            .iter()
            .copied()
            .filter(|k| *k != "CPULoad" || keys.contains(k))
            .filter(|k| {
                mpm == "event"
                    || ![
                        "Processes",
                        "Stopping",
                        "ConnsTotal",
                        "ConnsAsyncWriting",
                        "ConnsAsyncKeepAlive",
                        "ConnsAsyncClosing",
                    ]
                    .contains(k)
            })
            .collect();
        assert_eq!(keys, expected, "{mpm}");
        for (k, v) in &pairs {
            if !TEXT_KEYS.contains(&k.as_str()) {
                assert!(
                    v.parse::<f64>().is_ok(),
                    "{mpm}: {k}: {v:?} is not a number"
                );
            }
        }
        assert_eq!(text(&pairs, "ServerMPM"), mpm);
        assert!(text(&pairs, "ServerVersion").starts_with("mapache/"));
        // Every request before this status request: the seven files and the earlier status
        // requests (this one counts once it is done).
        assert_eq!(
            value(&pairs, "Total Accesses"),
            (probe.requests - 1) as f64,
            "{mpm}: {pairs:?}"
        );
        assert!(value(&pairs, "Total kBytes") >= 1.0, "{mpm}: {pairs:?}");
        assert!(
            value(&pairs, "BusyWorkers") >= 1.0,
            "this request is in progress"
        );
        assert_eq!(value(&pairs, "GracefulWorkers"), 0.0);
        let board = text(&pairs, "Scoreboard");
        assert!(
            board.chars().all(|c| "._SRWKLDCGI".contains(c)),
            "{mpm}: {board}"
        );
        assert_eq!(
            board.chars().filter(|&c| c == '_').count() as f64,
            value(&pairs, "IdleWorkers"),
            "{mpm}: {board}"
        );

        // And once more, to see the counter move by exactly the requests in between.
        for _ in 0..3 {
            probe.get("/a.txt");
        }
        let (_, pairs) = probe.auto();
        assert_eq!(
            value(&pairs, "Total Accesses"),
            (probe.requests - 1) as f64,
            "{mpm}"
        );
        assert_eq!(value(&pairs, "ParentServerConfigGeneration"), 0.0);
    });
}

#[test]
fn a_graceful_restart_keeps_total_accesses() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let server = start(&root, mpm, "");
        let mut probe = Probe::new(&server);
        for _ in 0..5 {
            probe.get("/a.txt");
        }
        let (_, before) = probe.auto();
        assert_eq!(value(&before, "ParentServerConfigGeneration"), 0.0);
        assert_eq!(value(&before, "Total Accesses"), 5.0, "{mpm}");

        server.signal(libc::SIGUSR1);
        server.expect_restart(None, 1, mpm);
        for _ in 0..4 {
            assert_eq!(probe.get("/a.txt").status, 200);
        }
        let (_, after) = probe.auto();
        assert_eq!(value(&after, "ParentServerConfigGeneration"), 1.0, "{mpm}");
        assert_eq!(value(&after, "ParentServerMPMGeneration"), 1.0, "{mpm}");
        assert_eq!(
            value(&after, "Total Accesses"),
            (probe.requests - 1) as f64,
            "{mpm}: the old generation's requests are kept: {after:?}"
        );
        assert!(
            value(&after, "Total kBytes") >= value(&before, "Total kBytes"),
            "{mpm}"
        );
    });
}

#[test]
fn json_follows_the_documented_schema() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let server = start(&root, mpm, "");
        let mut probe = Probe::new(&server);
        for _ in 0..4 {
            probe.get("/a.txt");
        }
        let r = probe.get("/server-status?json");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("valid JSON");

        let server_info = &v["server"];
        assert_eq!(server_info["name"], "status.test");
        assert_eq!(server_info["mpm"], mpm);
        assert!(server_info["version"]
            .as_str()
            .unwrap()
            .starts_with("mapache/"));
        assert!(server_info["built"].is_string());
        assert_eq!(server_info["is_async"], mpm == "event");
        assert_eq!(server_info["extended_status"], true);
        assert_eq!(v["generation"], 0);
        for k in [
            "current_time_us",
            "start_time_us",
            "restart_time_us",
            "uptime_seconds",
        ] {
            assert!(v[k].is_u64(), "{mpm}: {k}: {}", v[k]);
        }
        assert_eq!(v["load_average"].as_array().map(Vec::len), Some(3));
        for k in [
            "user_seconds",
            "system_seconds",
            "children_user_seconds",
            "children_system_seconds",
        ] {
            assert!(v["cpu"][k].is_f64(), "{mpm}: cpu.{k}");
        }
        let totals = &v["totals"];
        assert_eq!(totals["accesses"], probe.requests - 1, "{mpm}");
        assert!(totals["bytes"].as_u64().unwrap() > 0);
        assert!(totals["duration_us"].is_u64());
        for k in [
            "requests_per_second",
            "bytes_per_second",
            "bytes_per_request",
            "ms_per_request",
        ] {
            assert!(totals.get(k).is_some(), "{mpm}: totals.{k}");
        }
        for k in ["busy", "graceful", "idle"] {
            assert!(v["workers"][k].is_u64(), "{mpm}: workers.{k}");
        }
        assert!(v["workers"]["busy"].as_u64().unwrap() >= 1);
        if mpm == "event" {
            for k in ["total", "writing", "keepalive", "closing"] {
                assert!(v["connections"][k].is_u64(), "connections.{k}");
            }
        } else {
            assert!(v["connections"].is_null(), "{mpm}");
        }

        let board = &v["scoreboard"];
        let states = board["states"].as_str().unwrap();
        let (limit, threads) = (
            board["server_limit"].as_u64().unwrap(),
            board["thread_limit"].as_u64().unwrap(),
        );
        assert_eq!(states.len() as u64, limit * threads, "{mpm}");
        let counted: u64 = board["counts"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(counted, limit * threads);

        let processes = v["processes"].as_array().unwrap();
        assert!(!processes.is_empty());
        let mut accesses = 0;
        let mut mine = false;
        for p in processes {
            for k in ["slot", "pid", "generation", "started_us"] {
                assert!(p[k].is_u64(), "{mpm}: process {k}: {p}");
            }
            assert!(p["quiescing"].is_boolean());
            assert!(p["threads"]["idle"].is_u64());
            assert_eq!(p["connections"].is_object(), mpm == "event", "{p}");
            for w in p["workers"].as_array().unwrap() {
                for k in [
                    "thread",
                    "access_count",
                    "bytes_served",
                    "conn_count",
                    "conn_bytes",
                    "duration_us",
                    "last_request_us",
                    "last_done_us",
                    "last_active_us",
                ] {
                    assert!(w[k].is_u64(), "{mpm}: worker {k}: {w}");
                }
                assert_eq!(w["state"].as_str().map(str::len), Some(1));
                assert!(w["client"].is_string() && w["request"].is_string());
                accesses += w["access_count"].as_u64().unwrap();
                mine |= w["request"] == "GET /server-status?json HTTP/1.1"
                    && w["state"] == "W"
                    && w["client"] == "127.0.0.1";
            }
        }
        assert_eq!(
            accesses,
            probe.requests - 1,
            "{mpm}: workers add up to the total"
        );
        assert!(mine, "{mpm}: this request is on the board: {v}");
    });
}

/// Checks Prometheus text exposition 0.0.4: every family has HELP and TYPE before its samples,
/// its samples are together, names and labels are well formed, values are numbers, counters end
/// in `_total`. Returns the samples as `name{labels}` → value.
fn parse_exposition(text: &str) -> HashMap<String, f64> {
    fn valid_name(n: &str) -> bool {
        let mut cs = n.chars();
        cs.next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    let mut help = HashMap::new();
    let mut kind: HashMap<String, String> = HashMap::new();
    let mut finished: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, doc) = rest.split_once(' ').expect(line);
            assert!(valid_name(name), "{line}");
            assert!(!doc.trim().is_empty(), "{line}");
            assert!(
                help.insert(name.to_owned(), ()).is_none(),
                "second HELP: {line}"
            );
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, k) = rest.split_once(' ').expect(line);
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&k),
                "{line}"
            );
            assert!(help.contains_key(name), "TYPE before HELP: {line}");
            assert!(
                kind.insert(name.to_owned(), k.to_owned()).is_none(),
                "{line}"
            );
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else {
            let (series, value) = line.rsplit_once(' ').expect(line);
            let name = series.split('{').next().unwrap();
            assert!(valid_name(name), "{line}");
            let k = kind
                .get(name)
                .unwrap_or_else(|| panic!("no TYPE before {line}"));
            if k == "counter" {
                assert!(name.ends_with("_total"), "counter without _total: {line}");
            }
            assert!(name.starts_with("mapache_"), "{line}");
            if name != current {
                assert!(
                    !finished.contains(&name.to_owned()),
                    "{name} samples split: {line}"
                );
                finished.push(std::mem::replace(&mut current, name.to_owned()));
            }
            if let Some(labels) = series.strip_prefix(name) {
                if !labels.is_empty() {
                    let inner = labels
                        .strip_prefix('{')
                        .and_then(|l| l.strip_suffix('}'))
                        .unwrap_or_else(|| panic!("labels: {line}"));
                    // label="value" pairs, values with \" \\ \n escapes.
                    let mut rest = inner;
                    while !rest.is_empty() {
                        let (lname, after) = rest.split_once("=\"").expect(line);
                        assert!(valid_name(lname), "label {lname}: {line}");
                        let mut end = None;
                        let mut escaped = false;
                        for (i, c) in after.char_indices() {
                            match (escaped, c) {
                                (true, _) => escaped = false,
                                (false, '\\') => escaped = true,
                                (false, '"') => {
                                    end = Some(i);
                                    break;
                                }
                                _ => {}
                            }
                        }
                        let end = end.unwrap_or_else(|| panic!("unterminated label: {line}"));
                        rest = after[end + 1..]
                            .strip_prefix(',')
                            .unwrap_or(&after[end + 1..]);
                    }
                }
            }
            let v = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                "NaN" => f64::NAN,
                v => v.parse().unwrap_or_else(|_| panic!("value: {line}")),
            };
            samples.insert(series.to_owned(), v);
        }
    }
    samples
}

#[test]
fn prometheus_exposition_is_well_formed() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let server = start(&root, mpm, "");
        let mut probe = Probe::new(&server);
        for _ in 0..6 {
            probe.get("/a.txt");
        }
        for path in ["/server-status?prometheus", "/metrics"] {
            let r = probe.get(path);
            assert_eq!(r.status, 200, "{path}");
            assert_eq!(
                r.header("Content-Type"),
                Some("text/plain; version=0.0.4; charset=utf-8"),
                "{path}"
            );
            let body = String::from_utf8(r.body).unwrap();
            let samples = parse_exposition(&body);
            assert_eq!(samples["mapache_up"], 1.0);
            assert_eq!(
                samples["mapache_requests_total"],
                (probe.requests - 1) as f64,
                "{mpm} {path}"
            );
            assert!(samples["mapache_sent_bytes_total"] > 0.0);
            assert_eq!(samples["mapache_generation"], 0.0);
            assert!(samples["mapache_workers{state=\"busy\"}"] >= 1.0);
            assert!(samples.contains_key("mapache_uptime_seconds"));
            assert!(samples.contains_key("mapache_scoreboard{state=\"idle\"}"));
            assert!(samples.contains_key("mapache_cpu_seconds_total{mode=\"user\"}"));
            assert_eq!(
                samples.contains_key("mapache_connections{state=\"keepalive\"}"),
                mpm == "event",
                "{mpm}"
            );
            assert!(
                samples.keys().any(
                    |k| k.starts_with("mapache_info{") && k.contains(&format!("mpm=\"{mpm}\""))
                ),
                "{mpm}: {body}"
            );
            promtool_check(&body);
        }
    });
}

/// `promtool check metrics` on the text when Prometheus's tool is installed (Debian package
/// `prometheus`); skipped otherwise.
fn promtool_check(body: &str) {
    use std::io::Write;
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        return;
    };
    let _ = child.stdin.take().unwrap().write_all(body.as_bytes());
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A process that is killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

const EXPORTER: &str = "prometheus-apache-exporter";

#[test]
fn prometheus_apache_exporter_reads_auto() {
    if Command::new(EXPORTER).arg("--version").output().is_err() {
        eprintln!("NOTICE: {EXPORTER} is not installed (apt-get install {EXPORTER}): skipped");
        return;
    }
    on_each_mpm(|mpm| {
        let root = Root::new();
        let server = start(&root, mpm, "");
        let mut probe = Probe::new(&server);
        for _ in 0..9 {
            probe.get("/a.txt");
        }
        let port = free_port();
        let exporter = Killed(
            Command::new(EXPORTER)
                .arg(format!(
                    "--scrape_uri=http://{}/server-status?auto",
                    server.addr
                ))
                .arg(format!("--telemetry.address=127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the exporter"),
        );
        // The first /metrics that answers scrapes ?auto once: it sees the requests made so far.
        let mut metrics = None;
        wait_until(Duration::from_secs(10), || {
            metrics = http_get(port, "/metrics");
            metrics.is_some()
        });
        drop(exporter);
        let metrics = metrics.unwrap_or_else(|| panic!("{mpm}: the exporter never answered"));
        let sample = |name: &str| {
            metrics
                .lines()
                .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
                .and_then(|l| l.rsplit(' ').next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or_else(|| panic!("{mpm}: no {name} in\n{metrics}"))
        };
        assert_eq!(sample("apache_up"), 1.0, "{mpm}");
        assert_eq!(
            sample("apache_accesses_total"),
            probe.requests as f64,
            "{mpm}"
        );
        assert!(sample("apache_workers{state=\"busy\"}") >= 1.0, "{mpm}");
        assert_eq!(sample("apache_generation{type=\"config\"}"), 0.0, "{mpm}");
        eprintln!(
            "{mpm}: {EXPORTER} read:\n{}",
            metrics
                .lines()
                .filter(|l| l.starts_with("apache_") && !l.starts_with("apache_exporter"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    });
}

/// A GET to 127.0.0.1:`port`; the body of a 200, else `None`.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let r = parse_responses(&raw, false).into_iter().next()?;
    (r.status == 200).then(|| String::from_utf8_lossy(&r.body).into_owned())
}

#[test]
fn the_page_escapes_what_clients_sent_and_takes_apache_options() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let server = start(&root, mpm, "");
        // A request that stays on the board for two seconds with markup in its request line.
        let addr = server.addr;
        let hang = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s.write_all(
                b"GET /hang/<script>alert(1)</script>?2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out);
        });
        let escaped = "GET /hang/&lt;script&gt;alert(1)&lt;/script&gt;?2 HTTP/1.1";
        let mut page = String::new();
        let seen = wait_until(Duration::from_secs(5), || {
            let r = server.get("/server-status");
            page = String::from_utf8_lossy(&r.body).into_owned();
            r.status == 200 && page.contains(escaped)
        });
        assert!(seen, "{mpm}: the request line is shown, escaped:\n{page}");
        assert!(!page.contains("<script>"), "{mpm}: raw markup in the page");
        assert!(page.contains("<title>Server status"), "{mpm}");
        assert!(page.contains("Sending Reply"), "{mpm}: the scoreboard key");
        hang.join().unwrap();

        let r = server.get("/server-status");
        assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
        assert!(r.header("Refresh").is_none());
        assert_eq!(
            server.get("/server-status?refresh=5").header("Refresh"),
            Some("5")
        );
        assert_eq!(
            server.get("/server-status?refresh").header("Refresh"),
            Some("10")
        );
        let notable =
            String::from_utf8_lossy(&server.get("/server-status?notable").body).into_owned();
        assert!(!notable.contains("<table"), "{mpm}: ?notable has no table");
        assert!(notable.contains("Server Details"), "{mpm}");

        let raw = server.exchange(
            b"POST /server-status HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab",
        );
        let r = &parse_responses(&raw, false)[0];
        assert_eq!(r.status, 405, "{mpm}");
        assert_eq!(r.header("Allow"), Some("GET, HEAD"));
        let raw = server
            .exchange(b"HEAD /server-status?auto HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        let r = &parse_responses(&raw, true)[0];
        assert_eq!(r.status, 200, "{mpm}");
        assert!(r.header("Content-Length").is_some_and(|n| n != "0"));
    });
}

#[test]
fn extended_status_off_leaves_out_totals_and_request_details() {
    let root = Root::new();
    let server = start(&root, "prefork", "ExtendedStatus Off\n");
    let mut probe = Probe::new(&server);
    probe.get("/a.txt");
    let (_, pairs) = probe.auto_after_a_second();
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        !keys.contains(&"Total Accesses") && !keys.contains(&"Uptime"),
        "{keys:?}"
    );
    assert!(keys.contains(&"BusyWorkers") && keys.contains(&"Scoreboard"));
    let page = String::from_utf8_lossy(&probe.get("/server-status").body).into_owned();
    assert!(page.contains("<code>ExtendedStatus On</code>"), "{page}");
    assert!(
        !page.contains("GET /a.txt"),
        "no request lines without ExtendedStatus"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&probe.get("/server-status?json").body).unwrap();
    assert!(v["totals"].is_null());
    assert_eq!(v["server"]["extended_status"], false);

    // In a section it is refused, as in Apache (server config only).
    let bad = Root::new();
    let conf = bad.config(&format!(
        "{}LoadModule status_module {}\n<Location /x>\nExtendedStatus On\n</Location>\n",
        modules_for("prefork"),
        module("libmod_status.so").display()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.contains("ExtendedStatus"), "{}", out.stderr);
}
