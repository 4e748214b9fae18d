//! The prefork MPM: children serve, a dead child is logged and replaced, TERM stops everything,
//! and a new connection wakes one idle child, not all of them.

use mapache_tests::*;
use std::time::{Duration, Instant};

#[test]
fn start_servers_children_serve() {
    let root = Root::new();
    root.config(&format!("{}StartServers 3\n", standard_modules()));
    root.write("htdocs/a.txt", b"a");
    let s = Server::start(&root, &[]);
    assert_eq!(wait_children(s.pid(), 3).len(), 3);
    for _ in 0..20 {
        assert_eq!(s.get("/a.txt").status, 200);
    }
}

#[test]
fn term_stops_master_and_children() {
    let root = Root::new();
    root.config(&format!("{}StartServers 2\n", standard_modules()));
    let s = Server::start(&root, &[]);
    let kids = wait_children(s.pid(), 2);
    assert_eq!(kids.len(), 2);
    let pid_file = root.path().join("logs/mapache.pid");
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        s.pid().to_string()
    );
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
    root.config(&standard_modules());
    root.write("htdocs/a.txt", b"a");
    let s = Server::start(&root, &["-X"]);
    assert_eq!(s.get("/a.txt").status, 200);
    assert!(children_of(s.pid()).is_empty());
}

#[test]
fn term_to_the_whole_process_group_stops_without_the_kill_timeout() {
    // systemd and a terminal's Ctrl-C signal master and children together; the master must not
    // wait for children that are already gone.
    let root = Root::new();
    root.config(&format!("{}StartServers 3\n", standard_modules()));
    root.write("htdocs/a.txt", b"a");
    let s = Server::start(&root, &[]);
    assert_eq!(wait_children(s.pid(), 3).len(), 3);
    assert_eq!(s.get("/a.txt").status, 200);
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

/// How often each thread of `pid` went to sleep (voluntary context switches), summed; `None`
/// once the process is gone.
fn sleeps(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).ok()?;
        let line = status
            .lines()
            .find(|l| l.starts_with("voluntary_ctxt_switches:"))?;
        total += line.split_whitespace().nth(1)?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// Each child's sleep count, once two readings 100 ms apart agree (the children are idle).
fn settled_sleeps(children: &[u32]) -> Vec<u64> {
    let read = || -> Vec<u64> { children.iter().map(|&c| sleeps(c).unwrap_or(0)).collect() };
    let mut last = read();
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        let now = read();
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

#[test]
fn a_new_connection_wakes_one_idle_child_not_all() {
    // Prefork children, and the idle worker threads of the worker MPM's children, each sleep on
    // the shared listening socket; a connection must wake one of them, not every one to race
    // for it (the thundering herd).
    const CHILDREN: usize = 8;
    const CONNECTIONS: usize = 3;
    on_each_of(&["prefork", "worker"], |mpm| {
        let sizes = match mpm {
            "prefork" => "StartServers 8\nMinSpareServers 1\nMaxSpareServers 10\n".to_owned(),
            _ => "StartServers 8\nThreadsPerChild 2\nMinSpareThreads 2\nMaxSpareThreads 20\n\
                  MaxRequestWorkers 16\n"
                .to_owned(),
        };
        let root = Root::new();
        root.config(&format!("{}{sizes}", modules_for(mpm)));
        root.write("htdocs/a.txt", b"a");
        let s = Server::start(&root, &[]);
        let children = wait_children(s.pid(), CHILDREN);
        assert_eq!(children.len(), CHILDREN, "{mpm}: {}", s.log_text());
        // The server serves; then the children settle where they wait for connections.
        assert_eq!(s.get("/a.txt").status, 200, "{mpm}");
        let before = settled_sleeps(&children);
        for _ in 0..CONNECTIONS {
            assert_eq!(s.get("/a.txt").status, 200, "{mpm}");
        }
        let after = settled_sleeps(&children);
        let woken = before.iter().zip(&after).filter(|(b, a)| a > b).count();
        eprintln!(
            "FIGURE {mpm}: {CONNECTIONS} connections one after another woke {woken} of \
             {CHILDREN} idle children"
        );
        assert!(
            woken <= CONNECTIONS,
            "{mpm}: {CONNECTIONS} connections woke {woken} of {CHILDREN} idle children: \
             {before:?} -> {after:?}"
        );
        assert_eq!(s.children(), children, "{mpm}: the children changed");
    });
}
