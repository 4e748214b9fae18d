//! The worker MPM: children with ThreadsPerChild workers (which accept as well as serve) serve,
//! keep-alive connections each hold a worker, a dead child is logged and replaced, TERM stops
//! everything, `-X` serves with threads in the one process.

use mapache_tests::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Threads of a process (its tasks).
fn thread_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Waits until process `pid` runs `n` threads; returns the last count seen.
fn wait_threads(pid: u32, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let c = thread_count(pid);
        if c == n || Instant::now() > deadline {
            return c;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn config(root: &Root, extra: &str) {
    root.config(&format!("{}{extra}", modules_for("worker")));
}

/// Reads one response with a Content-Length body off a keep-alive connection.
fn read_response(s: &mut TcpStream) -> Response {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = s.read(&mut byte).expect("read response head");
        assert!(n == 1, "connection closed mid-head: {buf:?}");
        buf.push(byte[0]);
    }
    let head = parse_responses(&buf, true).remove(0);
    let len: usize = head
        .header("Content-Length")
        .and_then(|v| v.parse().ok())
        .expect("Content-Length");
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).expect("read body");
    buf.extend_from_slice(&body);
    parse_responses(&buf, false).remove(0)
}

#[test]
fn children_run_threads_per_child_workers() {
    let root = Root::new();
    config(&root, "StartServers 2\nThreadsPerChild 4\n");
    root.write("htdocs/a.txt", b"hello worker");
    let s = Server::start(&root, &[]);
    let kids = wait_children(s.pid(), 2);
    assert_eq!(kids.len(), 2);
    for k in &kids {
        // The control (main) thread and 4 workers.
        assert_eq!(wait_threads(*k, 5), 5, "threads of child {k}");
    }
    assert_eq!(thread_count(s.pid()), 1, "the master stays single-threaded");
    for _ in 0..20 {
        let r = s.get("/a.txt");
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"hello worker");
    }
    assert_eq!(s.get("/missing").status, 404);
}

#[test]
fn many_concurrent_keep_alive_connections_are_all_served() {
    // 40 connections against 8 workers: each connection holds a worker while it lives, the rest
    // wait in the backlog until a worker is free again.
    let root = Root::new();
    config(
        &root,
        "StartServers 2\nThreadsPerChild 4\nMaxRequestWorkers 8\nKeepAliveTimeout 2\n",
    );
    root.write("htdocs/a.txt", b"0123456789");
    let s = Server::start(&root, &[]);
    let addr = s.addr;
    let clients: Vec<_> = (0..40)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(addr).expect("connect");
                c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
                let mut bodies = Vec::new();
                for n in 0..3 {
                    let last = if n == 2 { "Connection: close\r\n" } else { "" };
                    let req = format!("GET /a.txt?c={i}&n={n} HTTP/1.1\r\nHost: t\r\n{last}\r\n");
                    c.write_all(req.as_bytes()).unwrap();
                    let r = read_response(&mut c);
                    assert_eq!(r.status, 200);
                    bodies.push(r.body);
                }
                // The server closes after `Connection: close`.
                let mut rest = Vec::new();
                c.read_to_end(&mut rest).unwrap();
                assert!(rest.is_empty(), "unexpected bytes after close: {rest:?}");
                bodies
            })
        })
        .collect();
    for c in clients {
        let bodies = c.join().expect("a client failed");
        assert_eq!(bodies, vec![b"0123456789".to_vec(); 3]);
    }
}

#[test]
fn an_idle_keep_alive_connection_holds_its_worker_until_it_times_out() {
    // One child with one worker: a second connection is served once the first one's
    // KeepAliveTimeout frees the worker.
    let root = Root::new();
    config(
        &root,
        "StartServers 1\nThreadsPerChild 1\nMaxRequestWorkers 1\nKeepAliveTimeout 1\n",
    );
    root.write("htdocs/a.txt", b"a");
    let s = Server::start(&root, &[]);
    let mut first = s.connect();
    first
        .write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut first).status, 200);
    // `first` stays open and idle; this one waits for the worker, then is served.
    assert_eq!(s.get("/a.txt").status, 200);
    // By then the server has closed the idle connection.
    let mut rest = Vec::new();
    assert_eq!(first.read_to_end(&mut rest).unwrap_or(0), 0);
}

#[test]
fn max_connections_per_child_recycles_children() {
    let root = Root::new();
    config(
        &root,
        // One child at most: spare maintenance (MinSpareThreads 75 by default) would otherwise
        // start more.
        "StartServers 1\nThreadsPerChild 2\nMaxRequestWorkers 2\nMaxConnectionsPerChild 3\n",
    );
    root.write("htdocs/a.txt", b"a");
    let s = Server::start(&root, &[]);
    let first = wait_children(s.pid(), 1);
    assert_eq!(first.len(), 1);
    for _ in 0..10 {
        assert_eq!(s.get("/a.txt").status, 200);
    }
    let now = wait_children(s.pid(), 1);
    assert_eq!(now.len(), 1);
    assert_ne!(now, first, "the first child should have been replaced");
    assert!(!s.log_text().contains("exit status"), "{}", s.log_text());
}

#[test]
fn usr1_stops_a_child_gracefully_and_it_is_replaced() {
    let root = Root::new();
    config(&root, "StartServers 1\nThreadsPerChild 2\n");
    root.write("htdocs/a.txt", b"a");
    let s = Server::start(&root, &[]);
    let first = wait_children(s.pid(), 1);
    assert_eq!(first.len(), 1);
    signal_pid(first[0], libc::SIGUSR1);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = children_of(s.pid());
        if now.len() == 1 && now != first {
            break;
        }
        assert!(Instant::now() < deadline, "child not replaced: {now:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(s.get("/a.txt").status, 200);
    assert!(!s.log_text().contains("exit "), "{}", s.log_text());
}

#[test]
fn term_stops_master_and_children() {
    let root = Root::new();
    config(&root, "StartServers 2\nThreadsPerChild 3\n");
    root.write("htdocs/a.txt", b"a");
    let s = Server::start(&root, &[]);
    let kids = wait_children(s.pid(), 2);
    assert_eq!(kids.len(), 2);
    // An idle keep-alive connection keeps a worker busy: the stop must not wait for it.
    let mut idle = s.connect();
    idle.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut idle).status, 200);
    let pid_file = root.path().join("logs/mapache.pid");
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        s.pid().to_string()
    );
    let started = Instant::now();
    assert_eq!(s.stop(10), Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stop took {:?}",
        started.elapsed()
    );
    std::thread::sleep(Duration::from_millis(200));
    for k in kids {
        assert!(exited(k), "child {k} survived the master");
    }
    assert!(!pid_file.exists(), "PidFile not removed on stop");
}

#[test]
fn term_to_the_whole_process_group_stops_without_the_kill_timeout() {
    let root = Root::new();
    config(&root, "StartServers 3\nThreadsPerChild 2\n");
    root.write("htdocs/a.txt", b"a");
    let s = Server::start(&root, &[]);
    assert_eq!(wait_children(s.pid(), 3).len(), 3);
    let mut idle = s.connect();
    idle.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut idle).status, 200);
    let started = Instant::now();
    // SAFETY: signalling our own server's process group.
    unsafe { libc::kill(-(s.pid() as i32), libc::SIGTERM) };
    let code = s.stop(10);
    assert_eq!(code, Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stop took {:?}",
        started.elapsed()
    );
}

#[test]
fn one_process_mode_serves_with_threads_and_without_children() {
    let root = Root::new();
    config(&root, "ThreadsPerChild 3\n");
    root.write("htdocs/a.txt", b"a");
    let s = Server::start(&root, &["-X"]);
    assert_eq!(s.get("/a.txt").status, 200);
    assert!(children_of(s.pid()).is_empty());
    // The control thread and 3 workers, all in the one process.
    assert_eq!(wait_threads(s.pid(), 4), 4);
    // An idle keep-alive connection does not hold up the stop either.
    let mut idle = s.connect();
    idle.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut idle).status, 200);
    let started = Instant::now();
    assert_eq!(s.stop(10), Some(0));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn version_shows_a_threaded_forked_mpm() {
    let root = Root::new();
    config(&root, "");
    let conf = root.path().join("conf/httpd.conf");
    let out = run(&["-f", conf.to_str().unwrap(), "-V"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("Server MPM:     worker"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("threaded:     yes"), "{}", out.stdout);
    assert!(out.stdout.contains("forked:     yes"), "{}", out.stdout);
}

#[test]
fn inconsistent_limits_are_corrected_with_apaches_warning() {
    let root = Root::new();
    config(&root, "MaxRequestWorkers 500\n");
    let conf = root.path().join("conf/httpd.conf");
    let out = run(&["-f", conf.to_str().unwrap(), "-t"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "WARNING: MaxRequestWorkers of 500 would require 20 servers and would exceed \
             ServerLimit of 16, decreasing to 400."
        ),
        "{}",
        out.stderr
    );
}
