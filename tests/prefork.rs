//! The prefork MPM: children serve, a dead child is logged and replaced, TERM stops everything.

use mapache_tests::*;
use std::time::{Duration, Instant};

fn children_of(pid: u32) -> Vec<i32> {
    let path = format!("/proc/{pid}/task/{pid}/children");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn wait_children(pid: u32, n: usize) -> Vec<i32> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let c = children_of(pid);
        if c.len() == n || Instant::now() > deadline {
            return c;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

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
fn a_crashed_child_is_logged_and_replaced() {
    let root = Root::new();
    root.config(&format!("{}StartServers 2\n", standard_modules()));
    root.write("htdocs/a.txt", b"a");
    let s = Server::start(&root, &[]);
    let before = wait_children(s.pid(), 2);
    assert_eq!(before.len(), 2);
    let victim = before[0];
    // SAFETY: signalling a child of our own server.
    unsafe { libc::kill(victim, libc::SIGSEGV) };
    assert!(
        s.wait_log(
            &format!("child pid {victim} exit signal Segmentation fault (11)"),
            5
        ),
        "{}",
        s.log_text()
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = children_of(s.pid());
        if now.len() == 2 && !now.contains(&victim) {
            break;
        }
        assert!(Instant::now() < deadline, "child not replaced: {now:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(s.get("/a.txt").status, 200);
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
        assert!(!alive(k), "child {k} survived the master");
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
