//! A connection's life against the real server, for every MPM built: LimitRequestBody (413),
//! the request head limits (414, 400), RequestReadTimeout (408 for a slow head and a stalled
//! body; an idle connection is closed), KeepAliveTimeout, `OPTIONS *`, lingering close after an
//! error while the client keeps sending, and pipelined requests answered in order.

use mapache_tests::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Starts `mpm` with the test handlers (`/echo` echoes the body), short timeouts and `extra`.
fn start(root: &Root, mpm: &str, extra: &str) -> Server {
    root.write("htdocs/a.txt", b"file a");
    root.write("htdocs/b.txt", b"file b");
    root.config(&format!(
        "{}StartServers 1\nTimeout 5\nKeepAliveTimeout 1\n\
         RequestReadTimeout header=1-2,MinRate=500 body=1,MinRate=500\n\
         <Location /echo>\nSetHandler test-echo\n</Location>\n{extra}\n",
        modules_for(mpm)
    ));
    Server::start(root, &[])
}

/// Runs `f` for every MPM built, at the same time (each test starts its own servers).
fn each_mpm(f: impl Fn(&'static str) + Sync) {
    let f = &f;
    std::thread::scope(|scope| {
        let runs: Vec<_> = mpms()
            .into_iter()
            .map(|mpm| scope.spawn(move || f(mpm)))
            .collect();
        for run in runs {
            if let Err(panic) = run.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// Reads until the server closes (or 10 s pass).
fn read_all(c: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    out
}

fn status_of(raw: &[u8]) -> u16 {
    parse_responses(raw, false)
        .first()
        .map(|r| r.status)
        .unwrap_or(0)
}

#[test]
fn limit_request_body_answers_413_and_closes() {
    each_mpm(|mpm| {
        let root = Root::new();
        let s = start(
            &root,
            mpm,
            "LogLevel info\nLimitRequestBody 100\n<Location /echo/small>\nLimitRequestBody 10\n</Location>",
        );
        // Declared too long: refused before the handler, and the connection closes.
        let raw = s.exchange(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n");
        let r = &parse_responses(&raw, false)[0];
        assert_eq!(r.status, 413, "{mpm}: {}", String::from_utf8_lossy(&raw));
        assert_eq!(r.header("Connection"), Some("close"), "{mpm}");
        // The error log says why, and for which client.
        assert!(
            s.wait_log(
                "Requested content-length of 101 is larger than the configured limit of 100",
                5
            ),
            "{mpm}: {}",
            s.log_text()
        );
        assert!(
            s.log_text().lines().any(|l| l.contains("[core:info]")
                && l.contains("[client 127.0.0.1:")
                && l.contains("content-length of 101")),
            "{mpm}: {}",
            s.log_text()
        );
        // At the limit: served.
        let body = "x".repeat(100);
        let req = format!(
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{body}"
        );
        assert_eq!(status_of(&s.exchange(req.as_bytes())), 200, "{mpm}");
        // A section's own limit.
        let raw = s.exchange(b"POST /echo/small HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n");
        assert_eq!(status_of(&raw), 413, "{mpm}");
        // Chunked: the read fails once the limit is passed; 413 since nothing was sent yet.
        let raw = s.exchange(
            b"POST /echo/small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
        );
        let rs = parse_responses(&raw, false);
        assert_eq!(rs.len(), 1, "{mpm}: closed after the 413");
        assert_eq!(rs[0].status, 413, "{mpm}");
        // 0 is unlimited.
        let root = Root::new();
        let s = start(&root, mpm, "LimitRequestBody 0");
        let raw = s.exchange(
            b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000000\r\nConnection: close\r\n\r\nabc",
        );
        // Not refused: the handler read what came, then the client closed in the middle.
        assert_ne!(status_of(&raw), 413, "{mpm}");
    });
}

#[test]
fn limit_request_body_default_is_one_gib() {
    let root = Root::new();
    let s = start(&root, "prefork", "");
    let raw = s.exchange(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741825\r\n\r\n");
    assert_eq!(status_of(&raw), 413);
    let raw = s.exchange(
        b"PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824\r\nExpect: 100-continue\r\n\r\n",
    );
    // At the limit the handler runs (and asks for the body: 100 Continue).
    assert!(
        raw.starts_with(b"HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&raw)
    );
}

#[test]
fn head_limits_answer_414_and_400() {
    each_mpm(|mpm| {
        let root = Root::new();
        let s = start(
            &root,
            mpm,
            "LimitRequestLine 100\nLimitRequestFields 3\nLimitRequestFieldSize 50",
        );
        let long = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(100));
        assert_eq!(status_of(&s.exchange(long.as_bytes())), 414, "{mpm}");
        let ok = format!(
            "GET /{} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
            "a".repeat(80)
        );
        assert_eq!(status_of(&s.exchange(ok.as_bytes())), 404, "{mpm}");
        let many = b"GET /a.txt HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        assert_eq!(status_of(&s.exchange(many)), 400, "{mpm}");
        let big = format!(
            "GET /a.txt HTTP/1.1\r\nHost: t\r\nX: {}\r\n\r\n",
            "v".repeat(60)
        );
        assert_eq!(status_of(&s.exchange(big.as_bytes())), 400, "{mpm}");
        let fine = b"GET /a.txt HTTP/1.1\r\nHost: t\r\nA: 1\r\nConnection: close\r\n\r\n";
        assert_eq!(status_of(&s.exchange(fine)), 200, "{mpm}");
    });
    // Apache's defaults: 8190 bytes of request line.
    let root = Root::new();
    let s = start(&root, "prefork", "");
    let long = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(8190));
    assert_eq!(status_of(&s.exchange(long.as_bytes())), 414);
}

#[test]
fn a_slow_head_gets_408_and_an_idle_connection_is_closed() {
    each_mpm(|mpm| {
        let root = Root::new();
        let s = start(&root, mpm, "");
        // Half a head, then nothing: 408 after the header stage's 1 s.
        let mut c = s.connect();
        c.write_all(b"GET /a.txt HTTP/1.1\r\n").unwrap();
        let raw = read_all(&mut c);
        assert_eq!(
            status_of(&raw),
            408,
            "{mpm}: {}",
            String::from_utf8_lossy(&raw)
        );
        // Closing our end ends the server's lingering close at once (prefork has one child).
        drop(c);
        // Trickling keeps earning time (1 s per 500 bytes) but never past the 2 s maximum.
        let mut c = s.connect();
        c.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let started = Instant::now();
        c.write_all(b"GET /a.txt HTTP/1.1\r\n").unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        // 100 bytes every 100 ms earns 200 ms per 100 ms: only the maximum stops it.
        let line = format!("X-Slow: {}\r\n", "s".repeat(90));
        while started.elapsed() < Duration::from_secs(8) {
            let _ = c.write_all(line.as_bytes());
            match c.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(_) => {}
            }
        }
        assert_eq!(
            status_of(&got),
            408,
            "{mpm}: {}",
            String::from_utf8_lossy(&got)
        );
        assert!(
            started.elapsed() > Duration::from_millis(1200),
            "{mpm}: data arriving at the minimum rate extends the initial 1 s"
        );
        drop(c);
        // Nothing at all: closed without a response once the header stage ends.
        let mut c = s.connect();
        let raw = read_all(&mut c);
        assert!(raw.is_empty(), "{mpm}: {}", String::from_utf8_lossy(&raw));
        assert_eq!(s.get("/a.txt").status, 200, "{mpm}");
    });
}

#[test]
fn a_stalled_body_gets_408() {
    each_mpm(|mpm| {
        let root = Root::new();
        let s = start(&root, mpm, "");
        let mut c = s.connect();
        c.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
            .unwrap();
        let raw = read_all(&mut c);
        let r = &parse_responses(&raw, false)[0];
        assert_eq!(r.status, 408, "{mpm}: {}", String::from_utf8_lossy(&raw));
        assert_eq!(r.header("Connection"), Some("close"), "{mpm}");
    });
}

#[test]
fn keep_alive_timeout_closes_an_idle_connection() {
    each_mpm(|mpm| {
        let root = Root::new();
        let s = start(&root, mpm, "");
        let mut c = s.connect();
        c.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        // The response (kept alive), then the server closes after KeepAliveTimeout (1 s),
        // well before the client's 10 s read timeout.
        let mut raw = Vec::new();
        c.read_to_end(&mut raw)
            .unwrap_or_else(|e| panic!("{mpm}: the idle connection stayed open: {e}"));
        let rs = parse_responses(&raw, false);
        assert_eq!(rs.len(), 1, "{mpm}");
        assert_eq!(rs[0].status, 200, "{mpm}");
        assert_eq!(rs[0].header("Connection"), None, "{mpm}: kept alive");
        assert_eq!(rs[0].body, b"file a");
    });
}

#[test]
fn options_asterisk_is_answered_by_the_core() {
    each_mpm(|mpm| {
        let root = Root::new();
        let s = start(&root, mpm, "");
        let raw = s.exchange(b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
        let r = &parse_responses(&raw, false)[0];
        assert_eq!(r.status, 200, "{mpm}");
        assert_eq!(r.header("Allow"), Some("GET, HEAD, POST, OPTIONS"), "{mpm}");
        assert_eq!(r.header("Content-Length"), Some("0"), "{mpm}");
        assert!(r.body.is_empty());
    });
}

#[test]
fn lingering_close_delivers_the_error_while_the_client_keeps_sending() {
    each_mpm(|mpm| {
        let root = Root::new();
        let s = start(&root, mpm, "LimitRequestBody 1000");
        let mut c = s.connect();
        c.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\n")
            .unwrap();
        // A client that does not wait for an answer: it sends its body while the server answers
        // 413. It stops `AFTER` bytes after it has read the response.
        const AFTER: u64 = 8 << 20;
        let sent = Arc::new(AtomicU64::new(0));
        let stop_at = Arc::new(AtomicU64::new(u64::MAX));
        let mut writer = c.try_clone().unwrap();
        let (sent_w, stop_w) = (sent.clone(), stop_at.clone());
        let sender = std::thread::spawn(move || -> Result<(), std::io::Error> {
            let chunk = vec![b'b'; 16384];
            let started = Instant::now();
            while sent_w.load(Ordering::SeqCst) < stop_w.load(Ordering::SeqCst) {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "still sending after 20 s"
                );
                writer.write_all(&chunk)?;
                sent_w.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
            writer.shutdown(Shutdown::Write)
        });
        // Read only after a while, as a client busy sending would.
        std::thread::sleep(Duration::from_millis(300));
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !parse_responses(&got, false).first().is_some_and(|r| {
            r.header("Content-Length").and_then(|l| l.parse().ok()) == Some(r.body.len())
        }) {
            match c.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => panic!("{mpm}: reading the response failed ({e}) after {got:?}"),
            }
        }
        assert_eq!(
            status_of(&got),
            413,
            "{mpm}: {}",
            String::from_utf8_lossy(&got)
        );
        stop_at.store(sent.load(Ordering::SeqCst) + AFTER, Ordering::SeqCst);
        // The server reads and drops what still comes instead of resetting the connection,
        // which a sender would see as an error (and a slower client as a lost response).
        let outcome = sender.join().unwrap();
        assert!(
            outcome.is_ok(),
            "{mpm}: the server reset the connection instead of lingering: {outcome:?}"
        );
        // Its side was shut down after the response: end of stream.
        assert_eq!(c.read(&mut buf).unwrap_or(0), 0, "{mpm}");
    });
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    each_mpm(|mpm| {
        let root = Root::new();
        let s = start(&root, mpm, "");
        let raw = s.exchange(
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhelloGET /b.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        let rs = parse_responses(&raw, false);
        let got: Vec<(u16, &[u8])> = rs.iter().map(|r| (r.status, &r.body[..])).collect();
        assert_eq!(got.len(), 5, "{mpm}: {}", String::from_utf8_lossy(&raw));
        assert_eq!(got[0], (200, &b"file a"[..]), "{mpm}");
        assert_eq!(got[1], (200, &b"POST /echo HTTP/1.1 5\nhello"[..]), "{mpm}");
        assert_eq!(got[2], (200, &b"file b"[..]), "{mpm}");
        assert_eq!(got[3].0, 404, "{mpm}");
        assert_eq!(got[4], (200, &b"file a"[..]), "{mpm}");
    });
}

#[test]
fn slow_readers_get_large_files_whole() {
    each_mpm(|mpm| {
        let root = Root::new();
        // The event MPM with two worker threads and two slow readers: neither reader holds a
        // thread (the rest of each file waits in the connection's output queue, polled by the
        // listener), so a third client is still served.
        let extra = if mpm == "event" {
            "ThreadsPerChild 2\nThreadLimit 2\nMinSpareThreads 2\nMaxSpareThreads 2\nMaxRequestWorkers 2"
        } else {
            "StartServers 3"
        };
        let data: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
        root.write("htdocs/big.bin", &data);
        let s = start(&root, mpm, extra);
        let mut slow: Vec<(TcpStream, Vec<u8>)> = (0..2)
            .map(|_| {
                let mut c = s.connect();
                c.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    .unwrap();
                // Read a little, so the server's send buffer fills.
                let mut got = vec![0u8; 4096];
                c.read_exact(&mut got).unwrap();
                (c, got)
            })
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            s.get("/a.txt").body,
            b"file a",
            "{mpm}: served while the slow readers wait"
        );
        let mut buf = vec![0u8; 65536];
        for (c, got) in &mut slow {
            loop {
                match c.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => panic!("{mpm}: {e} after {} bytes", got.len()),
                }
            }
            let r = &parse_responses(got, false)[0];
            assert_eq!(r.status, 200, "{mpm}");
            assert_eq!(r.body.len(), data.len(), "{mpm}");
            assert!(r.body == data, "{mpm}: the body arrived whole and in order");
        }
    });
}

#[test]
fn bad_request_read_timeouts_are_refused_with_a_reason() {
    let root = Root::new();
    for (value, needle) in [
        (
            "header=20-10,MinRate=500",
            "Maximum timeout must be larger than initial timeout",
        ),
        (
            "header=10-20",
            "Must set MinRate option if using timeout range",
        ),
        ("body=x", "not a non-negative whole number"),
        ("trailer=5", "Unknown RequestReadTimeout parameter"),
        ("header", "must be in the form"),
    ] {
        let conf = root.config(&format!(
            "{}RequestReadTimeout {value}\n",
            modules_for("prefork")
        ));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_eq!(out.code, Some(1), "{value}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{value}: {}", out.stderr);
        assert!(
            out.stderr.contains("Syntax error on line"),
            "{value}: {}",
            out.stderr
        );
    }
    let conf = root.config(&format!(
        "{}RequestReadTimeout header=0 body=0\nRequestReadTimeout handshake=5\nLimitRequestBody 0\n",
        modules_for("prefork")
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}
