//! The event MPM: a listener loop per child reads request heads and parks idle connections, so
//! slow clients hold no worker thread; children are replaced when they crash and stop on TERM.

use mapache_tests::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// The first half of a request head: the request line and one field, no blank line.
const HALF_HEAD: &[u8] = b"GET /a.txt HTTP/1.1\r\nHost: t\r\n";
/// The rest of it.
const REST_OF_HEAD: &[u8] = b"User-Agent: slow\r\n\r\n";
const BODY: &str = "served in the end\n";

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// True when `buf` holds a whole response head and as many body bytes as Content-Length says.
fn response_complete(buf: &[u8]) -> bool {
    let Some(end) = find(buf, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    buf.len() >= end + 4 + len
}

/// Reads one response on a kept-alive connection (without waiting for the server to close).
fn read_response(s: &mut TcpStream) -> Response {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !response_complete(&buf) {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) => panic!("reading a response: {e}"),
        }
    }
    parse_responses(&buf, false)
        .into_iter()
        .next()
        .expect("a response")
}

fn config(root: &Root, extra: &str) {
    root.config(&format!("{}{extra}", modules_for("event")));
    root.write("htdocs/a.txt", BODY);
}

/// Opens `n` connections that each send half a request head, spread over `threads` threads.
/// Each thread then waits at `go`, completes its heads, and checks every response; returns the
/// number of good responses.
fn slow_clients(
    addr: SocketAddr,
    n: usize,
    threads: usize,
    opened: Arc<Barrier>,
    go: Arc<Barrier>,
    deadline: Instant,
) -> Vec<std::thread::JoinHandle<usize>> {
    (0..threads)
        .map(|t| {
            let (opened, go) = (opened.clone(), go.clone());
            let mine = n / threads + usize::from(t < n % threads);
            std::thread::spawn(move || {
                let mut conns = Vec::with_capacity(mine);
                for _ in 0..mine {
                    assert!(Instant::now() < deadline, "connecting took too long");
                    let mut s = TcpStream::connect(addr).expect("connect");
                    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                    s.write_all(HALF_HEAD).expect("send half a head");
                    conns.push(s);
                }
                opened.wait();
                go.wait();
                for s in &mut conns {
                    s.write_all(REST_OF_HEAD).expect("finish the head");
                }
                let mut good = 0;
                for s in &mut conns {
                    assert!(Instant::now() < deadline, "responses took too long");
                    let r = read_response(s);
                    if r.status == 200 && r.body == BODY.as_bytes() {
                        good += 1;
                    }
                }
                good
            })
        })
        .collect()
}

/// Holds `n` half-sent heads open, checks that a normal client is served meanwhile, then
/// completes them all and checks every response.
fn slow_heads_then_normal_client(s: &Server, n: usize, threads: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let opened = Arc::new(Barrier::new(threads + 1));
    let go = Arc::new(Barrier::new(threads + 1));
    let clients = slow_clients(s.addr, n, threads, opened.clone(), go.clone(), deadline);
    opened.wait();
    // Every slow connection has sent half a head: a normal client must still get through.
    let probe = s.get("/a.txt");
    assert_eq!(probe.status, 200);
    assert_eq!(probe.body, BODY.as_bytes());
    go.wait();
    let good: usize = clients.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(good, n, "responses to the slow clients");
}

/// Raises this process's descriptor limit to its hard limit (children inherit it, so the server
/// gets it too); returns the new soft limit.
fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain getrlimit/setrlimit on this process with a valid struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        lim.rlim_cur = lim.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
            return 0;
        }
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}

#[test]
fn serves_files_keep_alive_and_pipelined() {
    let root = Root::new();
    config(&root, "");
    let s = Server::start(&root, &[]);
    let r = s.get("/a.txt");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, BODY.as_bytes());

    // Keep-alive: two requests, one after the other, on one connection.
    let mut c = s.connect();
    for _ in 0..2 {
        c.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let r = read_response(&mut c);
        assert_eq!(r.status, 200);
        assert_eq!(r.body, BODY.as_bytes());
    }

    // Pipelined: three requests in one write.
    let raw = s.exchange(
        b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n\
          GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    let responses = parse_responses(&raw, false);
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(statuses[0], 200, "{}", String::from_utf8_lossy(&raw));
    assert_eq!(responses[0].body, BODY.as_bytes());
    assert_eq!(statuses.len(), 3, "{}", String::from_utf8_lossy(&raw));
    assert_eq!(statuses[2], 404);
}

#[test]
fn a_head_sent_in_pieces_is_served() {
    let root = Root::new();
    config(&root, "");
    let s = Server::start(&root, &[]);
    let mut c = s.connect();
    for piece in [
        &b"GET /a"[..],
        b".txt HTTP/1.1\r\nHo",
        b"st: t\r\n",
        b"\r\n",
    ] {
        c.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = read_response(&mut c);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, BODY.as_bytes());
}

#[test]
fn slow_heads_do_not_pin_the_workers() {
    // One child with two worker threads: were heads read on workers, two slow clients would
    // take the whole server.
    let root = Root::new();
    config(
        &root,
        "StartServers 1\nThreadsPerChild 2\nMaxRequestWorkers 2\nMinSpareThreads 1\n",
    );
    let s = Server::start(&root, &[]);
    assert_eq!(wait_children(s.pid(), 1).len(), 1);
    slow_heads_then_normal_client(&s, 200, 4);
}

#[test]
fn ten_thousand_slow_heads() {
    const N: usize = 10_000;
    // The limit is per process: this process holds the client ends, the server's children the
    // other ends (spread over them), so each side needs a little over N descriptors.
    let limit = raise_fd_limit();
    if limit < (N + 1_000) as u64 {
        println!(
            "skipped: the descriptor limit is {limit}, {} needed",
            N + 1_000
        );
        return;
    }
    let root = Root::new();
    config(&root, "ListenBacklog 4096\n");
    let s = Server::start(&root, &[]);
    slow_heads_then_normal_client(&s, N, 16);
}

#[test]
fn clients_that_read_slowly_do_not_pin_the_workers() {
    // Two worker threads, two clients that do not read a response much larger than the socket
    // buffers: the responses wait for them in the listener (NEED_WRITE), not on the workers.
    const SIZE: usize = 32 << 20;
    let root = Root::new();
    config(
        &root,
        "StartServers 1\nThreadsPerChild 2\nMaxRequestWorkers 2\nMinSpareThreads 1\n",
    );
    let big: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    root.write("htdocs/big.bin", &big);
    let s = Server::start(&root, &[]);
    let mut slow: Vec<TcpStream> = (0..2).map(|_| s.connect()).collect();
    for c in &mut slow {
        c.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    let probe = s.get("/a.txt");
    assert_eq!(probe.status, 200);
    for c in &mut slow {
        let r = read_response(c);
        assert_eq!(r.status, 200);
        assert!(r.body == big, "the large body arrived altered");
    }
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_keep_alive_timeout() {
    let root = Root::new();
    config(&root, "KeepAliveTimeout 1\n");
    let s = Server::start(&root, &[]);
    let mut c = s.connect();
    c.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut c).status, 200);
    let mut rest = Vec::new();
    // The server closes: end of file well before the 10 s read timeout.
    c.read_to_end(&mut rest)
        .expect("the server closes the idle connection");
    assert!(rest.is_empty());
}

#[test]
fn a_head_that_stops_arriving_gets_408() {
    let root = Root::new();
    config(&root, "Timeout 1\nRequestReadTimeout header=1\n");
    let s = Server::start(&root, &[]);
    let mut c = s.connect();
    c.write_all(HALF_HEAD).unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
}

#[test]
fn max_connections_per_child_replaces_the_child() {
    let root = Root::new();
    config(
        &root,
        "StartServers 1\nThreadsPerChild 2\nMaxRequestWorkers 2\nMaxConnectionsPerChild 3\n",
    );
    let s = Server::start(&root, &[]);
    let first = wait_children(s.pid(), 1);
    assert_eq!(first.len(), 1);
    for _ in 0..10 {
        let r = s.get("/a.txt");
        assert_eq!(r.status, 200);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while !exited(first[0]) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!children_of(s.pid()).contains(&first[0]));
}

#[test]
fn usr1_stops_a_child_gracefully() {
    let root = Root::new();
    config(
        &root,
        "StartServers 1\nThreadsPerChild 2\nMaxRequestWorkers 2\nMinSpareThreads 1\n",
    );
    let s = Server::start(&root, &[]);
    let child = wait_children(s.pid(), 1);
    assert_eq!(child.len(), 1);
    let mut arriving = s.connect();
    arriving.write_all(HALF_HEAD).unwrap();
    let mut idle = s.connect();
    idle.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut idle).status, 200);
    signal_pid(child[0], libc::SIGUSR1);
    // The idle keep-alive connection is closed; the request still arriving is served in full.
    let mut rest = Vec::new();
    idle.read_to_end(&mut rest)
        .expect("the idle connection is closed");
    arriving.write_all(REST_OF_HEAD).unwrap();
    let r = read_response(&mut arriving);
    assert_eq!((r.status, r.body.as_slice()), (200, BODY.as_bytes()));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !exited(child[0]) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !children_of(s.pid()).contains(&child[0]),
        "the child did not exit"
    );
    assert_eq!(s.get("/a.txt").status, 200);
    assert!(!s.log_text().contains("exit signal"), "{}", s.log_text());
}

#[test]
fn term_stops_master_and_children() {
    let root = Root::new();
    config(&root, "StartServers 2\n");
    let s = Server::start(&root, &[]);
    let kids = wait_children(s.pid(), 2);
    assert_eq!(kids.len(), 2);
    // A connection in the middle of a head does not hold the stop up.
    let mut c = s.connect();
    c.write_all(HALF_HEAD).unwrap();
    let pid_file = root.path().join("logs/mapache.pid");
    assert_eq!(s.stop(10), Some(0));
    std::thread::sleep(Duration::from_millis(200));
    for k in kids {
        assert!(exited(k), "child {k} survived the master");
    }
    assert!(!pid_file.exists(), "PidFile not removed on stop");
}

#[test]
fn one_process_mode_serves_without_children() {
    let root = Root::new();
    config(&root, "");
    let s = Server::start(&root, &["-X"]);
    assert_eq!(s.get("/a.txt").status, 200);
    assert!(children_of(s.pid()).is_empty());
    assert_eq!(s.stop(10), Some(0));
}

#[test]
fn version_names_the_event_mpm() {
    let root = Root::new();
    config(&root, "");
    let conf = root.path().join("conf/httpd.conf");
    let out = run(&["-V", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("Server MPM:     event\n  threaded:     yes\n    forked:     yes"),
        "{}",
        out.stdout
    );
}

#[test]
fn inconsistent_limits_are_corrected_with_apaches_warning() {
    let root = Root::new();
    config(&root, "ThreadsPerChild 10\nMaxRequestWorkers 25\n");
    let s = Server::start(&root, &[]);
    assert!(
        s.wait_log(
            "WARNING: MaxRequestWorkers of 25 is not an integer multiple of ThreadsPerChild of \
             10, decreasing to nearest multiple 20, for a maximum of 2 servers.",
            5
        ),
        "{}",
        s.log_text()
    );
    assert_eq!(s.get("/a.txt").status, 200);
}

#[test]
fn a_single_worker_child_keeps_accepting_while_a_slow_reader_waits() {
    use std::io::Write;
    let root = Root::new();
    root.write("htdocs/big.bin", vec![7u8; 8 * 1024 * 1024]);
    root.write("htdocs/small.txt", b"small");
    root.config(&format!(
        "{}StartServers 1\nServerLimit 1\nThreadsPerChild 1\nThreadLimit 1\nMaxRequestWorkers 1\n",
        modules_for("event")
    ));
    let s = Server::start(&root, &[]);
    // A client that asks for 8 MiB and reads nothing: its connection waits to write.
    let mut slow = s.connect();
    slow.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // The only worker is free again, so a second client is accepted and served.
    let r = s.get("/small.txt");
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, b"small".as_slice()),
        "{}",
        s.log_text()
    );
    drop(slow);
}

/// When admission pauses every child (here the only one: ServerLimit 1), a new connection must
/// not wait in the listen backlog until the held connections go away: after a short wait the
/// child takes it anyway. Three idle keep-alive connections put a one-worker child with
/// AsyncRequestWorkerFactor 1 above its limit (3 ≥ 1 + 1 × 1) for their whole KeepAliveTimeout
/// (30 s); the newcomer is answered long before that.
#[test]
fn a_paused_child_takes_connections_no_other_child_can() {
    use std::io::{Read, Write};
    let root = Root::new();
    root.write("htdocs/small.txt", b"small");
    root.config(&format!(
        "{}StartServers 1\nServerLimit 1\nThreadsPerChild 1\nThreadLimit 1\nMaxRequestWorkers 1\n\
         AsyncRequestWorkerFactor 1\nKeepAliveTimeout 30\n",
        modules_for("event")
    ));
    let s = Server::start(&root, &[]);
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut c = s.connect();
        c.write_all(b"GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 512];
        let n = c.read(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{}", s.log_text());
        held.push(c);
    }
    let started = std::time::Instant::now();
    let mut late = s.connect();
    late.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    late.write_all(b"GET /small.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let _ = late.read_to_end(&mut answer);
    assert!(
        answer.starts_with(b"HTTP/1.1 200") && answer.ends_with(b"small"),
        "no answer in {:?} while three keep-alive connections were held: {}",
        started.elapsed(),
        String::from_utf8_lossy(&answer)
    );
    drop(held);
}

/// The configuration for the tests of serving in place: one child with `threads` threads, and
/// `/hang` answered by a handler that sleeps for the seconds in its query.
fn one_child_with_hang(root: &Root, threads: u32) {
    config(
        root,
        &format!(
            "StartServers 1\nServerLimit 1\nThreadsPerChild {threads}\nThreadLimit {threads}\n\
             MaxRequestWorkers {threads}\n<Location /hang>\nSetHandler test-hang\n</Location>\n"
        ),
    );
}

/// Sends a request for `/hang?secs` on a new connection and returns it, unanswered.
fn start_hang(s: &Server, secs: u32) -> TcpStream {
    let mut c = s.connect();
    c.write_all(format!("GET /hang?{secs} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
        .unwrap();
    c
}

/// True when `c` has nothing to read yet (its request is still being served).
fn unanswered(c: &TcpStream) -> bool {
    c.set_nonblocking(true).unwrap();
    let mut b = [0u8; 1];
    let quiet = matches!(c.peek(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
    c.set_nonblocking(false).unwrap();
    quiet
}

/// The thread that polls serves what it finds; a handler that blocks there must not hold up the
/// child's other connections: the watch hands polling to another thread. Here a kept-alive
/// connection and a new one are both answered while the hanging request is still unanswered.
#[test]
fn a_handler_that_blocks_does_not_hold_up_other_connections() {
    let root = Root::new();
    one_child_with_hang(&root, 4);
    let s = Server::start(&root, &[]);
    let mut kept = s.connect();
    kept.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut kept).status, 200);
    let hang = start_hang(&s, 8);
    assert!(s.wait_log("test-hang: holding", 10), "{}", s.log_text());
    kept.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let r = read_response(&mut kept);
    assert_eq!((r.status, r.body.as_slice()), (200, BODY.as_bytes()));
    let r = s.get("/a.txt");
    assert_eq!((r.status, r.body.as_slice()), (200, BODY.as_bytes()));
    assert!(
        unanswered(&hang),
        "the hanging request was answered already: the test proves nothing"
    );
    drop(hang);
}

/// Requests whose handlers take long run side by side on the child's threads, not one after
/// another on the thread that polled: four 2-second requests on four threads end in about
/// 2 s, where one after another would take 8.
#[test]
fn slow_handlers_run_side_by_side() {
    let root = Root::new();
    one_child_with_hang(&root, 4);
    let s = Server::start(&root, &[]);
    let started = Instant::now();
    let conns: Vec<TcpStream> = (0..4).map(|_| start_hang(&s, 2)).collect();
    for mut c in conns {
        let r = read_response(&mut c);
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, b"woke up\n".as_slice())
        );
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(6),
        "four 2 s requests on four threads took {took:?}"
    );
}

/// TERM ends a child even when every one of its threads is held by a handler (nobody polls the
/// signal's wake-up then: the watch acts on it), without the master's SIGKILL.
#[test]
fn term_ends_a_child_whose_threads_are_all_held() {
    let root = Root::new();
    one_child_with_hang(&root, 2);
    let mut s = Server::start(&root, &[]);
    let kids = wait_children(s.pid(), 1);
    let held: Vec<TcpStream> = (0..2).map(|_| start_hang(&s, 20)).collect();
    std::thread::sleep(Duration::from_millis(300));
    assert!(held.iter().all(unanswered));
    s.signal(libc::SIGTERM);
    let status = s.wait_exit(Duration::from_secs(10));
    assert!(
        status.is_some_and(|st| st.code() == Some(0)),
        "master did not stop cleanly within 10 s: {status:?}; log:\n{}",
        s.log_text()
    );
    for k in kids {
        assert!(exited(k), "child {k} survived");
    }
    assert!(
        !s.log_text().contains("SIGKILL"),
        "the child had to be killed:\n{}",
        s.log_text()
    );
    drop(held);
}
