//! A small load generator for restart tests: client threads doing GET requests over keep-alive
//! connections, checking every response in full and counting each request that did not get one.
//!
//! No retries, on purpose: a request whose connection was refused, reset or closed before a
//! complete, correct response arrived is a failed request, exactly as a client that never retries
//! would see it. The load is bounded (a request cap and a deadline per client) and stops and joins
//! its threads when dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What to request and what counts as a correct answer.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// Client threads.
    pub clients: usize,
    /// The request target, e.g. `/file.txt`.
    pub path: String,
    /// The bodies a 200 may carry (byte-exact); the report counts each.
    pub bodies: Vec<Vec<u8>>,
    /// Pause between two requests of one client, so the load leaves CPU to the server.
    pub pause: Duration,
    /// No client sends more requests than this.
    pub max_requests_per_client: u64,
    /// No client runs longer than this.
    pub max_duration: Duration,
}

impl LoadSpec {
    /// `clients` threads asking for `path` and expecting `body`, 2 ms apart, at most 60 s and
    /// 100,000 requests each.
    pub fn new(clients: usize, path: &str, body: &[u8]) -> LoadSpec {
        LoadSpec {
            clients,
            path: path.to_owned(),
            bodies: vec![body.to_vec()],
            pause: Duration::from_millis(2),
            max_requests_per_client: 100_000,
            max_duration: Duration::from_secs(60),
        }
    }
}

/// What a load saw, once stopped.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// Requests answered completely and correctly.
    pub served: u64,
    /// Requests without a complete, correct answer.
    pub failed: u64,
    /// Served requests per entry of [`LoadSpec::bodies`].
    pub by_body: Vec<u64>,
    /// Connections the server ended with `Connection: close` where the client had not asked.
    pub closed_by_server: u64,
    /// Connections opened.
    pub connections: u64,
    /// The first failures, each with its time since the load started and what went wrong.
    pub failures: Vec<String>,
}

#[derive(Default)]
struct Counters {
    served: AtomicU64,
    failed: AtomicU64,
    closed_by_server: AtomicU64,
    connections: AtomicU64,
    by_body: Vec<AtomicU64>,
    failures: Mutex<Vec<String>>,
}

/// Failure descriptions kept for the report.
const KEPT_FAILURES: usize = 20;

/// A running load. Dropping it stops and joins the clients.
pub struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl Load {
    /// Starts the clients against `addr`. Client 0 asks for `Connection: close` on every
    /// request (a new connection each time, so accepts go on during restarts); the others keep
    /// their connection alive and ask for a close every 7th request.
    pub fn start(addr: SocketAddr, spec: LoadSpec) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters {
            by_body: spec.bodies.iter().map(|_| AtomicU64::new(0)).collect(),
            ..Counters::default()
        });
        let started = Instant::now();
        let threads = (0..spec.clients)
            .map(|i| {
                let (stop, counters, spec) = (stop.clone(), counters.clone(), spec.clone());
                std::thread::spawn(move || client(i, addr, &spec, &stop, &counters, started))
            })
            .collect();
        Load {
            stop,
            threads,
            counters,
        }
    }

    /// Requests served so far.
    pub fn served(&self) -> u64 {
        self.counters.served.load(Ordering::Relaxed)
    }

    /// Requests failed so far.
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }

    /// Served requests so far with body `i` of the spec.
    pub fn served_with(&self, i: usize) -> u64 {
        self.counters.by_body[i].load(Ordering::Relaxed)
    }

    /// Waits up to `timeout` until `n` more requests than now have been served; whether they were.
    pub fn wait_served(&self, n: u64, timeout: Duration) -> bool {
        let target = self.served() + n;
        crate::wait_until(timeout, || self.served() >= target)
    }

    /// Stops the clients, waits for them, and reports.
    pub fn stop(mut self) -> LoadReport {
        self.halt();
        let c = &self.counters;
        LoadReport {
            served: c.served.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            by_body: c
                .by_body
                .iter()
                .map(|n| n.load(Ordering::Relaxed))
                .collect(),
            closed_by_server: c.closed_by_server.load(Ordering::Relaxed),
            connections: c.connections.load(Ordering::Relaxed),
            failures: c.failures.lock().unwrap().clone(),
        }
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.halt();
    }
}

/// One client's loop: every request gets exactly one attempt.
fn client(
    index: usize,
    addr: SocketAddr,
    spec: &LoadSpec,
    stop: &AtomicBool,
    counters: &Counters,
    started: Instant,
) {
    let fail = |what: String| {
        counters.failed.fetch_add(1, Ordering::Relaxed);
        let mut kept = counters.failures.lock().unwrap();
        if kept.len() < KEPT_FAILURES {
            kept.push(format!(
                "{:.3} s client {index}: {what}",
                started.elapsed().as_secs_f64()
            ));
        }
    };
    let deadline = started + spec.max_duration;
    let mut conn: Option<TcpStream> = None;
    let mut sent = 0u64;
    while !stop.load(Ordering::Relaxed)
        && sent < spec.max_requests_per_client
        && Instant::now() < deadline
    {
        sent += 1;
        let ask_close = index == 0 || sent.is_multiple_of(7);
        let reused = conn.is_some();
        let mut s = match conn.take() {
            Some(s) => s,
            None => match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
                Ok(s) => {
                    counters.connections.fetch_add(1, Ordering::Relaxed);
                    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                    let _ = s.set_write_timeout(Some(Duration::from_secs(10)));
                    let _ = s.set_nodelay(true);
                    s
                }
                Err(e) => {
                    fail(format!("connect: {e}"));
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            },
        };
        let req = format!(
            "GET {} HTTP/1.1\r\nHost: load\r\n{}\r\n",
            spec.path,
            if ask_close {
                "Connection: close\r\n"
            } else {
                ""
            }
        );
        if let Err(e) = s.write_all(req.as_bytes()) {
            fail(format!("write (reused connection: {reused}): {e}"));
            continue;
        }
        match read_response(&mut s) {
            Err(e) => fail(format!("{e} (reused connection: {reused})")),
            Ok(resp) => {
                let (status, server_close, body) = (resp.status, resp.closes(), resp.body);
                match spec.bodies.iter().position(|b| *b == body) {
                    Some(i) if status == 200 => {
                        counters.served.fetch_add(1, Ordering::Relaxed);
                        counters.by_body[i].fetch_add(1, Ordering::Relaxed);
                    }
                    _ => fail(format!(
                        "status {status}, {} byte body starting {:?}",
                        body.len(),
                        String::from_utf8_lossy(&body[..body.len().min(60)])
                    )),
                }
                if server_close && !ask_close {
                    counters.closed_by_server.fetch_add(1, Ordering::Relaxed);
                }
                if !server_close && !ask_close {
                    conn = Some(s);
                }
            }
        }
        if !spec.pause.is_zero() {
            std::thread::sleep(spec.pause);
        }
    }
}

/// Reads one response with a Content-Length body off a connection (kept alive or not), and
/// nothing past it. Anything short of a whole response is an error naming what was missing.
pub fn read_response(s: &mut TcpStream) -> Result<crate::Response, String> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 16384];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > 64 * 1024 {
            return Err("response head over 64 KiB".to_owned());
        }
        match s.read(&mut chunk) {
            Ok(0) if buf.is_empty() => return Err("closed before any response byte".to_owned()),
            Ok(0) => return Err(format!("closed inside the head after {} bytes", buf.len())),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => {
                return Err(format!(
                    "reading the head ({} bytes so far): {e}",
                    buf.len()
                ))
            }
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("bad status line in {head:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .ok_or_else(|| format!("no Content-Length in {head:?}"))?;
    let mut body = buf.split_off(head_end + 4);
    while body.len() < length {
        match s.read(&mut chunk) {
            Ok(0) => {
                return Err(format!(
                    "closed after {} of {length} body bytes",
                    body.len()
                ))
            }
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) => return Err(format!("after {} of {length} body bytes: {e}", body.len())),
        }
    }
    if body.len() > length {
        return Err(format!(
            "{} bytes past the {length}-byte body",
            body.len() - length
        ));
    }
    Ok(crate::Response {
        status,
        headers,
        body,
    })
}

impl crate::Response {
    /// Whether the server said it closes the connection (`Connection: close`).
    pub fn closes(&self) -> bool {
        self.header("Connection")
            .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
    }
}
