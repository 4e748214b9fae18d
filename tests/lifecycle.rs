//! A child's life inside a running server, on every MPM: the stuck-request watchdog
//! (StuckRequestTimeout), the memory ceiling (MaxMemoryPerChild), spare maintenance and the
//! MaxRequestWorkers line, MaxConnectionsPerChild with its jitter, and a child that cannot start.

use mapache_tests::*;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::time::Duration;

const LOCATIONS: &str = "<Location /pid>\nSetHandler test-pid\n</Location>\n\
    <Location /hang>\nSetHandler test-hang\n</Location>\n\
    <Location /hog>\nSetHandler test-hog\n</Location>\n";

/// Two children, few threads, spare bounds that leave the count alone.
fn two_children(mpm: &str) -> &'static str {
    match mpm {
        "prefork" => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 3\n",
        _ => {
            "StartServers 2\nThreadsPerChild 4\nMinSpareThreads 4\nMaxSpareThreads 12\n\
             MaxRequestWorkers 32\n"
        }
    }
}

fn start(mpm: &str, sizes: &str, extra: &str) -> (Root, Server) {
    let root = Root::new();
    root.config(&format!("{}{sizes}{LOCATIONS}{extra}", modules_for(mpm)));
    let server = Server::start(&root, &[]);
    (root, server)
}

/// The PID in a test-pid or test-hog answer.
fn pid_of(resp: &Response) -> u32 {
    String::from_utf8_lossy(&resp.body)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// The number after `child pid ` in a log line.
fn child_pid_in(line: &str) -> Option<u32> {
    line.split("child pid ")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[test]
fn a_stuck_request_gets_its_child_killed_and_replaced() {
    on_each_mpm(|mpm| {
        let (_root, server) = start(mpm, two_children(mpm), "StuckRequestTimeout 1\n");
        server.wait_ready();
        let mut hung = server.connect();
        hung.write_all(b"GET /hang?60 HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let Some(line) = server.wait_log_since(0, "stuck", 10) else {
            panic!("{mpm}: no watchdog line; log:\n{}", server.log_text());
        };
        assert!(
            line.contains("\"GET /hang?60 HTTP/1.1\""),
            "{mpm}: the line should name the request: {line}"
        );
        let victim = child_pid_in(&line).expect("the child's pid in the line");
        assert!(
            wait_until(Duration::from_secs(10), || exited(victim)),
            "{mpm}: the stuck child {victim} still runs"
        );
        // The client is let go (no answer, the connection ends) long before its 60 s.
        let mut rest = Vec::new();
        let _ = hung.read_to_end(&mut rest);
        assert!(!String::from_utf8_lossy(&rest).contains("woke up"), "{mpm}");
        // A replacement serves.
        let resp = server.get("/pid");
        assert_eq!(resp.status, 200, "{mpm}");
        assert_ne!(pid_of(&resp), victim, "{mpm}");
        assert!(!exited(server.pid()), "{mpm}");
    });
}

#[test]
fn a_child_over_max_memory_per_child_is_replaced_after_its_request() {
    on_each_mpm(|mpm| {
        let (_root, server) = start(mpm, two_children(mpm), "MaxMemoryPerChild 100M\n");
        server.wait_ready();
        // Serving normally stays under the ceiling.
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(
            server.log_count("MaxMemoryPerChild"),
            0,
            "{mpm}: a fresh child is already over 100M; log:\n{}",
            server.log_text()
        );
        // The request that grows the child past it is answered in full.
        let resp = server.get("/hog?160");
        assert_eq!(resp.status, 200, "{mpm}: {}", server.log_text());
        let hog = pid_of(&resp);
        assert!(hog > 0, "{mpm}");
        assert!(
            wait_until(Duration::from_secs(10), || server.log_lines().iter().any(
                |l| l.contains("MaxMemoryPerChild") && child_pid_in(l) == Some(hog)
            )),
            "{mpm}: no MaxMemoryPerChild line for {hog}; log:\n{}",
            server.log_text()
        );
        assert!(
            wait_until(Duration::from_secs(10), || exited(hog)),
            "{mpm}: child {hog} still runs over the ceiling"
        );
        let resp = server.get("/pid");
        assert_eq!(resp.status, 200, "{mpm}");
        assert_ne!(pid_of(&resp), hog, "{mpm}");
    });
}

#[test]
fn too_few_spares_start_children() {
    on_each_mpm(|mpm| {
        let sizes = match mpm {
            "prefork" => "StartServers 1\nMinSpareServers 3\nMaxSpareServers 5\n",
            _ => {
                "StartServers 1\nThreadsPerChild 2\nMinSpareThreads 6\nMaxSpareThreads 10\n\
                 MaxRequestWorkers 16\n"
            }
        };
        let (_root, server) = start(mpm, sizes, "");
        assert!(
            wait_until(Duration::from_secs(8), || server.children().len() >= 3),
            "{mpm}: {:?}; log:\n{}",
            server.children(),
            server.log_text()
        );
    });
}

#[test]
fn too_many_spares_stop_children() {
    on_each_mpm(|mpm| {
        let sizes = match mpm {
            "prefork" => "StartServers 4\nMinSpareServers 1\nMaxSpareServers 2\n",
            _ => {
                "StartServers 4\nThreadsPerChild 2\nMinSpareThreads 2\nMaxSpareThreads 4\n\
                 MaxRequestWorkers 16\n"
            }
        };
        let (_root, server) = start(mpm, sizes, "");
        let mut most = 0;
        let down_to_two = wait_until(Duration::from_secs(10), || {
            let n = server.children().len();
            most = most.max(n);
            most == 4 && n == 2
        });
        assert!(
            down_to_two,
            "{mpm}: at most {most} children, now {:?}; log:\n{}",
            server.children(),
            server.log_text()
        );
        assert_eq!(server.get("/pid").status, 200, "{mpm}");
    });
}

#[test]
fn the_max_request_workers_limit_is_logged_once() {
    on_each_mpm(|mpm| {
        let sizes = match mpm {
            "prefork" => {
                "StartServers 1\nMinSpareServers 4\nMaxSpareServers 8\nMaxRequestWorkers 2\n"
            }
            _ => {
                "StartServers 1\nThreadsPerChild 2\nMinSpareThreads 6\nMaxSpareThreads 10\n\
                 MaxRequestWorkers 4\n"
            }
        };
        let (_root, server) = start(mpm, sizes, "");
        let line = "server reached MaxRequestWorkers setting, consider raising the \
                    MaxRequestWorkers setting";
        assert!(
            server.wait_log(line, 10),
            "{mpm}: {:?}; log:\n{}",
            server.children(),
            server.log_text()
        );
        // Further maintenance passes meet the same limit and stay quiet.
        std::thread::sleep(Duration::from_millis(2500));
        assert_eq!(server.log_count(line), 1, "{mpm}: {}", server.log_text());
        assert_eq!(server.children().len(), 2, "{mpm}");
    });
}

#[test]
fn max_connections_per_child_with_jitter_recycles_children() {
    on_each_mpm(|mpm| {
        // MaxSpare above what MaxRequestWorkers allows: spare maintenance never stops a child,
        // so every child that ends was recycled.
        let sizes = match mpm {
            "prefork" => {
                "StartServers 1\nMinSpareServers 1\nMaxSpareServers 10\nMaxRequestWorkers 8\n"
            }
            _ => {
                "StartServers 1\nThreadsPerChild 2\nMinSpareThreads 2\nMaxSpareThreads 40\n\
                 MaxRequestWorkers 16\n"
            }
        };
        let (_root, server) = start(
            mpm,
            sizes,
            "MaxConnectionsPerChild 3\nMaxConnectionsPerChildJitter 4\n",
        );
        // One connection at a time, each counted against the child that served it.
        let mut served: HashMap<u32, u32> = HashMap::new();
        for _ in 0..70 {
            let resp = server.get("/pid");
            assert_eq!(resp.status, 200, "{mpm}: {}", server.log_text());
            *served.entry(pid_of(&resp)).or_default() += 1;
        }
        // Children that ended: each served its limit, 3 plus 0..=4.
        let ended: Vec<(u32, u32)> = served
            .iter()
            .filter(|(p, _)| wait_until(Duration::from_millis(500), || exited(**p)))
            .map(|(p, n)| (*p, *n))
            .collect();
        eprintln!("FIGURE {mpm}: connections per recycled child: {ended:?}");
        assert!(ended.len() >= 8, "{mpm}: only {ended:?} ended");
        assert!(
            ended.iter().all(|(_, n)| (3..=7).contains(n)),
            "{mpm}: {ended:?}; log:\n{}",
            server.log_text()
        );
        // The jitter spreads the limits (all equal over 8+ children: chance below 1 in 78,000).
        let first = ended[0].1;
        assert!(
            ended.iter().any(|(_, n)| *n != first),
            "{mpm}: every child served exactly {first}: no jitter"
        );
    });
}

#[test]
fn a_child_recycled_while_it_holds_a_connection_is_replaced_at_once() {
    // A threaded child past MaxConnectionsPerChild accepts no more but finishes its connections,
    // which a kept-alive client may hold for KeepAliveTimeout: its replacement must not wait.
    on_each_of(&["worker", "event"], |mpm| {
        // MinSpareThreads 1: the recycled child's idle threads alone would satisfy it.
        let sizes = "StartServers 1\nThreadsPerChild 4\nMinSpareThreads 1\nMaxSpareThreads 12\n\
                     MaxRequestWorkers 32\n";
        let (_root, server) = start(
            mpm,
            sizes,
            "MaxConnectionsPerChild 2\nKeepAliveTimeout 30\n",
        );
        server.wait_ready();
        let mut held = server.connect();
        held.write_all(b"GET /pid HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let first = read_response(&mut held).expect("an answer on the kept-alive connection");
        let recycled = pid_of(&first);
        // The second connection is the child's last.
        assert_eq!(pid_of(&server.get("/pid")), recycled, "{mpm}");
        let started = std::time::Instant::now();
        let next = server.get("/pid");
        let took = started.elapsed();
        eprintln!("FIGURE {mpm}: a new connection after the child's last: answered in {took:.2?}");
        assert_eq!(next.status, 200, "{mpm}: {}", server.log_text());
        assert_ne!(pid_of(&next), recycled, "{mpm}");
        assert!(
            took < Duration::from_secs(5),
            "{mpm}: the new connection waited {took:?} (KeepAliveTimeout 30) for a child"
        );
        assert!(
            !exited(recycled),
            "{mpm}: the recycled child did not wait for its connection"
        );
        drop(held);
    });
}

#[test]
fn a_child_that_cannot_start_stops_the_server() {
    on_each_mpm(|mpm| {
        let (_root, mut server) = start(mpm, two_children(mpm), "TestFailChildInit On\n");
        let status = server.wait_exit(Duration::from_secs(15));
        assert!(
            status.is_some_and(|s| !s.success()),
            "{mpm}: exit {status:?}; log:\n{}",
            server.log_text()
        );
        // The children's lines reach the log through a pipe the harness reads on its own
        // thread: the master's exit does not mean they have been read yet.
        wait_until(Duration::from_secs(5), || {
            server.log_count("TestFailChildInit is On") >= 1
        });
        let attempts = server.log_count("TestFailChildInit is On");
        assert!(
            (1..=2).contains(&attempts),
            "{mpm}: {attempts} children tried to start (StartServers 2); log:\n{}",
            server.log_text()
        );
    });
}
