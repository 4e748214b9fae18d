//! The HTML page: the same facts as Apache's status page (and in its words where people know
//! them: the scoreboard key, the column key), laid out to be read at a glance: summary cards,
//! the scoreboard grid in colour, the processes, and with `ExtendedStatus On` every worker's
//! last request. `?notable` gives the details as plain lines instead of tables.

use crate::escape::{self, html};
use crate::format::{bytes, g_digits, kbytes, local_time, uptime};

/// `%.3g` for people: with the `0` that APR leaves out before the point.
fn short(x: f64) -> String {
    let t = g_digits(x, 3);
    match t.strip_prefix('-') {
        Some(r) if r.starts_with('.') => format!("-0{r}"),
        _ if t.starts_with('.') => format!("0{t}"),
        _ => t,
    }
}
use crate::report::Report;
use crate::snapshot::{has_history, letter, Process};
use mapache_plugin_api::abi::{
    MapacheScoreWorker, MAPACHE_METRIC_COUNTER, MAPACHE_METRIC_GAUGE, MAPACHE_METRIC_HISTOGRAM,
};
use std::fmt::Write as _;

/// Letters per line of the scoreboard grid, as Apache.
const LINE: usize = 64;

/// Each scoreboard letter: its CSS class and Apache's legend text.
const LEGEND: [(char, &str, &str); 11] = [
    ('_', "idle", "Waiting for Connection"),
    ('S', "start", "Starting up"),
    ('R', "read", "Reading Request"),
    ('W', "write", "Sending Reply"),
    ('K', "keep", "Keepalive (read)"),
    ('D', "dns", "DNS Lookup"),
    ('C', "close", "Closing connection"),
    ('L', "log", "Logging"),
    ('G', "grace", "Gracefully finishing"),
    ('I', "clean", "Idle cleanup of worker"),
    ('.', "open", "Open slot with no current process"),
];

const STYLE: &str = r#"
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #f5f7fa; --card: #fff;
  --accent: #2680c2; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px;
  border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 20px; }
h1 { font-size: 26px; margin: 0; font-weight: 650; }
h1 .name { color: var(--accent); }
header .meta { color: var(--muted); margin: 0; }
h2 { font-size: 17px; margin: 28px 0 10px; font-weight: 650; }
h2 .note { font-weight: 400; color: var(--muted); font-size: 14px; margin-left: 8px; }
code, pre, .mono { font-family: ui-monospace, "SF Mono", "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 14px; }
.card h3 { margin: 0; font-size: 12px; letter-spacing: .06em; text-transform: uppercase;
  color: var(--muted); font-weight: 600; }
.card .big { font-size: 24px; font-weight: 650; margin: 2px 0 0; font-variant-numeric: tabular-nums; }
.card .sub { margin: 2px 0 0; color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; background: var(--card); border: 1px solid var(--line);
  border-radius: 8px; overflow: hidden; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; text-align: left; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: #eef2f7; font-size: 12px; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; }
tr:last-child td { border-bottom: 0; }
tr.sum td { background: #f8fafc; font-weight: 600; }
tr.stopping td { color: var(--muted); }
table.facts, table.narrow { width: auto; min-width: 50%; }
table.facts th { text-transform: none; letter-spacing: 0; font-size: 14px; background: #f8fafc; }
td.req { font-size: 13px; word-break: break-all; }
td.client { white-space: nowrap; }
.board { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 14px; overflow-x: auto; }
.board pre { margin: 0; font-size: 12px; line-height: 1.6; }
.s { display: inline-block; width: 1.3em; text-align: center; border-radius: 3px; }
.s-idle { background: #e3f8e9; color: #1d7a3e; }
.s-open { color: #b5bfc9; }
.s-start { background: #fff3c4; color: #8d6708; }
.s-read { background: #dceefb; color: #0b5fa5; }
.s-write { background: #2680c2; color: #fff; }
.s-keep { background: #eae2f8; color: #5a3a99; }
.s-dns { background: #ffe3ec; color: #a61b4a; }
.s-close { background: #ffe8d9; color: #ad4e00; }
.s-log { background: #d9f3f0; color: #0c6b58; }
.s-grace { background: #ffd0c7; color: #a3281a; }
.s-clean { background: #e4e7eb; color: #52606d; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; list-style: none; padding: 0;
  margin: 10px 0 0; color: var(--muted); font-size: 13px; }
.legend .s { margin-right: 6px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.key { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0 0;
  color: var(--muted); font-size: 13px; }
.key dt { font-weight: 600; color: var(--ink); }
.key dd { margin: 0; }
.lines p { margin: 0 0 6px; }
.warn { background: #fffbea; border: 1px solid #f7d070; border-radius: 8px; padding: 10px 14px; }
footer { margin-top: 32px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line);
  padding-top: 10px; }
"#;

/// The page. `no_tables`: Apache's `?notable`.
pub fn render(r: &Report, no_tables: bool) -> String {
    let s = &r.snap;
    let name = html(&r.server_name);
    let mut o = String::with_capacity(32 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Server status \u{2014} {name}</title><style>{STYLE}</style></head>\n<body><main>\n"
    );
    let _ = writeln!(
        o,
        "<header><h1>Server status <span class=\"name\">{name}</span></h1>\
         <p class=\"meta\">{} \u{b7} {} MPM \u{b7} built {}</p></header>",
        html(&r.version),
        html(s.mpm()),
        html(s.built()),
    );
    cards(&mut o, r);
    facts(&mut o, r, no_tables);
    scoreboard(&mut o, r);
    if no_tables {
        process_lines(&mut o, r);
    } else {
        process_table(&mut o, r);
    }
    if r.extended {
        if no_tables {
            worker_lines(&mut o, r);
        } else {
            worker_table(&mut o, r);
        }
    } else {
        o.push_str(
            "<h2>Workers</h2><p class=\"warn\">To obtain a full report with current status \
             information you need to use the <code>ExtendedStatus On</code> directive.</p>\n",
        );
    }
    metric_table(&mut o, r);
    let _ = write!(
        o,
        "{FOOTER_START}{} Server at {name}</footer>\n</main></body></html>\n",
        html(&r.version)
    );
    o
}

fn card(o: &mut String, title: &str, big: &str, sub: &str) {
    let _ = writeln!(
        o,
        "<div class=\"card\"><h3>{title}</h3><p class=\"big\">{big}</p><p class=\"sub\">{sub}</p></div>"
    );
}

/// 1234567 as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or(""))
        .collect();
    groups.join(",")
}

fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "\u{2013}".to_owned())
}

fn cards(o: &mut String, r: &Report) {
    let sum = &r.sum;
    o.push_str("<section class=\"cards\">\n");
    let up = uptime(r.uptime());
    card(
        o,
        "Uptime",
        if up.is_empty() {
            "0 seconds"
        } else {
            up.trim()
        },
        &format!("generation {}", r.snap.global.generation),
    );
    if r.extended {
        card(
            o,
            "Requests",
            &grouped(sum.accesses),
            &format!(
                "{}/s \u{b7} {} ms/request",
                or_dash(r.requests_per_sec().map(short)),
                or_dash(r.ms_per_request().map(short)),
            ),
        );
        card(
            o,
            "Traffic",
            &kbytes(r.kbytes()),
            &format!(
                "{}/s \u{b7} {}/request",
                or_dash(r.bytes_per_sec().map(|v| bytes(v as u64))),
                or_dash(r.bytes_per_request().map(|v| bytes(v as u64))),
            ),
        );
    }
    card(
        o,
        "Workers",
        &format!("{} busy", sum.busy),
        &format!("{} idle \u{b7} {} graceful", sum.idle, sum.graceful),
    );
    if r.snap.is_async() {
        let c = sum.conns;
        card(
            o,
            "Connections",
            &grouped(c.total),
            &format!(
                "{} keep-alive \u{b7} {} writing \u{b7} {} closing",
                c.keepalive, c.writing, c.closing
            ),
        );
    }
    if let (true, Some(cpu)) = (r.extended, r.cpu) {
        card(
            o,
            "CPU",
            &or_dash(r.cpu_load().map(|l| format!("{} %", short(l)))),
            &format!(
                "user {:.2} s \u{b7} system {:.2} s \u{b7} children {:.2} s",
                cpu.user,
                cpu.system,
                cpu.children_user + cpu.children_system
            ),
        );
    }
    if let Some([l1, l5, l15]) = r.load {
        card(
            o,
            "Load",
            &format!("{l1:.2}"),
            &format!("{l5:.2} (5 min) \u{b7} {l15:.2} (15 min)"),
        );
    }
    o.push_str("</section>\n");
}

fn facts(o: &mut String, r: &Report, no_tables: bool) {
    let s = &r.snap;
    let sum = &r.sum;
    let rows = [
        ("Server Version", html(&r.version)),
        ("Server MPM", html(s.mpm())),
        ("Server Built", html(s.built())),
        ("Current Time", local_time(s.now_us)),
        ("Restart Time", local_time(s.global.restart_time_us)),
        ("Started", local_time(s.global.start_time_us)),
        (
            "Parent Server Config. Generation",
            s.global.generation.to_string(),
        ),
        (
            "Parent Server MPM Generation",
            s.global.generation.to_string(),
        ),
        ("Server uptime", uptime(r.uptime()).trim().to_owned()),
        (
            "Activity",
            format!(
                "{} requests currently being processed, {} workers gracefully restarting, {} idle workers",
                sum.busy, sum.graceful, sum.idle
            ),
        ),
    ];
    let mut rows: Vec<(&str, String)> = rows.into();
    if r.extended {
        rows.push((
            "Total accesses",
            format!(
                "{} \u{2013} Total Traffic: {} \u{2013} Total Duration: {} ms",
                r.sum.accesses,
                kbytes(r.kbytes()),
                r.duration_ms()
            ),
        ));
        if let Some(c) = r.cpu {
            rows.push((
                "CPU Usage",
                format!(
                    "u{:.2} s{:.2} cu{:.2} cs{:.2}{}",
                    c.user,
                    c.system,
                    c.children_user,
                    c.children_system,
                    r.cpu_load()
                        .map(|l| format!(" \u{2013} {}% CPU load", short(l)))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    if no_tables {
        o.push_str("<h2>Server</h2><dl class=\"key\">\n");
        for (k, v) in rows {
            let _ = writeln!(o, "<dt>{k}</dt><dd>{v}</dd>");
        }
        o.push_str("</dl>\n");
    } else {
        o.push_str("<h2>Server</h2><table class=\"facts\">\n");
        for (k, v) in rows {
            let _ = writeln!(o, "<tr><th>{k}</th><td>{v}</td></tr>");
        }
        o.push_str("</table>\n");
    }
}

fn state_span(c: char) -> String {
    let class = LEGEND
        .iter()
        .find(|(l, _, _)| *l == c)
        .map_or("open", |(_, class, _)| class);
    format!(
        "<span class=\"s s-{class}\">{}</span>",
        html(&c.to_string())
    )
}

fn scoreboard(o: &mut String, r: &Report) {
    let letters: Vec<char> = r.snap.letters().chars().collect();
    let g = &r.snap.global;
    let _ = write!(
        o,
        "<h2>Scoreboard<span class=\"note\">{} processes \u{d7} {} workers</span></h2>\
         <div class=\"board\"><pre>",
        g.server_limit, g.thread_limit
    );
    for (i, line) in letters.chunks(LINE).enumerate() {
        if i > 0 {
            o.push('\n');
        }
        for &c in line {
            o.push_str(&state_span(c));
        }
    }
    o.push_str("</pre>\n<ul class=\"legend\">");
    for (c, _, text) in LEGEND {
        let _ = write!(o, "<li>{}{text}</li>", state_span(c));
    }
    o.push_str("</ul></div>\n");
}

/// The slots worth showing: a process runs there.
fn live(r: &Report) -> impl Iterator<Item = &Process> {
    r.snap.processes.iter().filter(|p| p.alive())
}

/// Where the footer starts: the modules' own sections go right before it.
pub const FOOTER_START: &str = "<footer>";

/// The modules' metrics: one row each, a histogram's buckets in its last column.
fn metric_table(o: &mut String, r: &Report) {
    if r.metrics.is_empty() {
        return;
    }
    o.push_str(
        "<h2>Module metrics</h2><table>\n<tr><th>Metric</th><th>Module</th><th>Kind</th>\
         <th class=\"num\">Value</th><th class=\"num\">Sum</th><th>Buckets</th></tr>\n",
    );
    for m in &r.metrics {
        let histogram = m.kind == MAPACHE_METRIC_HISTOGRAM;
        let kind = match m.kind {
            MAPACHE_METRIC_COUNTER => "counter",
            MAPACHE_METRIC_GAUGE => "gauge",
            _ => "histogram",
        };
        let buckets: Vec<String> = m
            .buckets
            .iter()
            .map(|(le, n)| format!("\u{2264}{le}: {n}"))
            .collect();
        let _ = writeln!(
            o,
            "<tr><td title=\"{}\"><code>{}</code></td><td>{}</td><td>{kind}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            html(m.help),
            html(m.name),
            html(m.module),
            m.value,
            if histogram {
                m.sum.to_string()
            } else {
                String::new()
            },
            html(&buckets.join(", ")),
        );
    }
    o.push_str("</table>\n");
}

fn process_table(o: &mut String, r: &Report) {
    let is_async = r.snap.is_async();
    let current = r.snap.global.generation;
    // Without the connection columns the table needs no full width.
    let _ = writeln!(
        o,
        "<h2>Processes</h2><table{}>",
        if is_async { "" } else { " class=\"narrow\"" }
    );
    o.push_str(
        "<tr><th class=\"num\">Slot</th><th class=\"num\">PID</th>\
                <th class=\"num\">Generation</th><th>Stopping</th><th class=\"num\">Busy</th>\
                <th class=\"num\">Graceful</th><th class=\"num\">Idle</th>",
    );
    if is_async {
        o.push_str(
            "<th class=\"num\">Connections</th><th class=\"num\">Writing</th>\
             <th class=\"num\">Keep-alive</th><th class=\"num\">Closing</th>",
        );
    }
    o.push_str("</tr>\n");
    for p in live(r) {
        let t = r.sum.threads_of(p.slot);
        let rec = &p.record;
        let stopping = rec.quiescing != 0;
        let old = if rec.generation != current {
            " (old gen)"
        } else {
            ""
        };
        let _ = write!(
            o,
            "<tr{}><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}{old}</td>\
             <td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            if stopping { " class=\"stopping\"" } else { "" },
            p.slot,
            rec.pid,
            rec.generation,
            if stopping { "yes" } else { "no" },
            t.busy,
            t.graceful,
            t.idle
        );
        if is_async {
            let _ = write!(
                o,
                "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
                rec.connections, rec.conns_writing, rec.conns_keepalive, rec.conns_closing
            );
        }
        o.push_str("</tr>\n");
    }
    let sum = &r.sum;
    let _ = write!(
        o,
        "<tr class=\"sum\"><td>Sum</td><td class=\"num\">{}</td><td></td><td>{}</td>\
         <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
        sum.processes, sum.stopping, sum.busy, sum.graceful, sum.idle
    );
    if is_async {
        let c = sum.conns;
        let _ = write!(
            o,
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            c.total, c.writing, c.keepalive, c.closing
        );
    }
    o.push_str("</tr>\n</table>\n");
}

fn process_lines(o: &mut String, r: &Report) {
    o.push_str("<h2>Processes</h2><div class=\"lines\">\n");
    for p in live(r) {
        let rec = &p.record;
        let _ = write!(
            o,
            "<p><b>Slot {}</b> (pid {}): generation {}{}",
            p.slot,
            rec.pid,
            rec.generation,
            if rec.quiescing != 0 { ", stopping" } else { "" }
        );
        if r.snap.is_async() {
            let _ = write!(
                o,
                ", {} connections ({} writing, {} keep-alive, {} closing)",
                rec.connections, rec.conns_writing, rec.conns_keepalive, rec.conns_closing
            );
        }
        o.push_str("</p>\n");
    }
    o.push_str("</div>\n");
}

/// The figures of one worker line.
struct WorkerRow {
    srv: String,
    pid: String,
    generation: u32,
    acc: String,
    mode: char,
    since: String,
    req_ms: String,
    dur_ms: u64,
    conn_kb: String,
    slot_mb: String,
    client: String,
    request: String,
}

fn worker_row(r: &Report, p: &Process, thread: usize, w: &MapacheScoreWorker) -> WorkerRow {
    let now = r.snap.now_us;
    let started = w.last_request_us;
    let (since, req_ms) = if started == 0 {
        ("\u{2013}".to_owned(), "\u{2013}".to_owned())
    } else {
        // A request still running (its end is older than its start) shows its time so far.
        let end = if w.last_done_us >= started {
            w.last_done_us
        } else {
            now
        };
        (
            (now.saturating_sub(started) / 1_000_000).to_string(),
            (end.saturating_sub(started) / 1000).to_string(),
        )
    };
    WorkerRow {
        srv: format!("{}-{thread}", p.slot),
        pid: if p.alive() {
            p.record.pid.to_string()
        } else {
            "\u{2013}".to_owned()
        },
        generation: p.record.generation,
        acc: format!("{}/{}", w.conn_count, w.access_count),
        mode: letter(w.status),
        since,
        req_ms,
        dur_ms: w.duration_us / 1000,
        conn_kb: format!("{:.1}", w.conn_bytes as f64 / 1024.0),
        slot_mb: format!("{:.2}", w.bytes_served as f64 / (1024.0 * 1024.0)),
        client: html(&escape::field(&w.client)),
        request: html(&escape::field(&w.request)),
    }
}

fn worker_rows(r: &Report) -> Vec<WorkerRow> {
    r.snap
        .processes
        .iter()
        .flat_map(|p| {
            p.workers
                .iter()
                .enumerate()
                .filter(|(_, w)| has_history(w))
                .map(move |(i, w)| worker_row(r, p, i, w))
        })
        .collect()
}

fn worker_table(o: &mut String, r: &Report) {
    let rows = worker_rows(r);
    let _ = write!(
        o,
        "<h2>Workers<span class=\"note\">{} that served or serve</span></h2><table>\n<tr>\
         <th>Srv</th><th class=\"num\">PID</th><th class=\"num\">Gen</th><th class=\"num\">Acc</th>\
         <th>M</th><th class=\"num\">SS</th><th class=\"num\">Req</th><th class=\"num\">Dur</th>\
         <th class=\"num\">Conn</th><th class=\"num\">Slot</th><th>Client</th><th>Request</th></tr>\n",
        rows.len()
    );
    for w in &rows {
        let _ = writeln!(
            o,
            "<tr><td class=\"mono\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"client mono\">{}</td><td class=\"req mono\">{}</td></tr>",
            w.srv,
            w.pid,
            w.generation,
            w.acc,
            state_span(w.mode),
            w.since,
            w.req_ms,
            w.dur_ms,
            w.conn_kb,
            w.slot_mb,
            w.client,
            w.request
        );
    }
    o.push_str(
        "</table>\n<dl class=\"key\">\
         <dt>Srv</dt><dd>Process slot - worker number</dd>\
         <dt>PID</dt><dd>OS process ID</dd>\
         <dt>Gen</dt><dd>Generation the process was started in</dd>\
         <dt>Acc</dt><dd>Number of accesses this connection / this slot</dd>\
         <dt>M</dt><dd>Mode of operation</dd>\
         <dt>SS</dt><dd>Seconds since beginning of most recent request</dd>\
         <dt>Req</dt><dd>Milliseconds required to process most recent request (so far, while it runs)</dd>\
         <dt>Dur</dt><dd>Sum of milliseconds required to process all requests</dd>\
         <dt>Conn</dt><dd>Kilobytes transferred this connection</dd>\
         <dt>Slot</dt><dd>Total megabytes transferred this slot</dd>\
         </dl>\n",
    );
}

fn worker_lines(o: &mut String, r: &Report) {
    o.push_str("<h2>Server Details</h2><div class=\"lines\">\n");
    for w in worker_rows(r) {
        let _ = writeln!(
            o,
            "<p><b>Server {}</b> ({}), generation {}: {} [{}] {} s, {} ms, {} ms total \
             ({} kB conn, {} MB slot) <i>{}</i> <b>[{}]</b></p>",
            w.srv,
            w.pid,
            w.generation,
            w.acc,
            w.mode,
            w.since,
            w.req_ms,
            w.dur_ms,
            w.conn_kb,
            w.slot_mb,
            w.client,
            w.request
        );
    }
    o.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::sample;

    #[test]
    fn clients_and_requests_are_escaped() {
        let mut snap = sample();
        let evil = b"GET /<script>alert(1)</script> HTTP/1.1";
        snap.processes[0].workers[0].request[..evil.len()].copy_from_slice(evil);
        snap.processes[0].workers[0].client[..4].copy_from_slice(b"<b>\"");
        let r = Report::new("<h>", "v", true, snap);
        let page = render(&r, false);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("GET /&lt;script&gt;alert(1)&lt;/script&gt; HTTP/1.1"));
        assert!(page.contains("&lt;b&gt;&quot;"));
        assert!(page.contains("<span class=\"name\">&lt;h&gt;</span>"));
        let lines = render(&r, true);
        assert!(
            !lines.contains("<table>\n<tr><th>Srv"),
            "notable has no worker table"
        );
        assert!(lines.contains("&lt;script&gt;"));
    }

    #[test]
    fn the_grid_breaks_every_64_letters() {
        let mut snap = sample();
        snap.global.server_limit = 4;
        for p in &mut snap.processes {
            p.workers = (0..50).map(|_| Default::default()).collect();
        }
        let r = Report::new("h", "v", false, snap);
        let page = render(&r, false);
        let board = page
            .split("<pre>")
            .nth(1)
            .unwrap()
            .split("</pre>")
            .next()
            .unwrap();
        let lines: Vec<&str> = board.split('\n').collect();
        assert_eq!(lines.len(), 4, "200 letters: 64 + 64 + 64 + 8");
        assert_eq!(lines[0].matches("<span").count(), 64);
        assert_eq!(lines[3].matches("<span").count(), 8);
        assert!(page.contains("ExtendedStatus On"));
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(grouped(12), "12");
        assert_eq!(short(0.0556), "0.0556");
        assert_eq!(short(-0.5), "-0.5");
        assert_eq!(short(12.34), "12.3");
    }
}
