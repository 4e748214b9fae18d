//! The prefork MPM: children serve, a dead child is logged and replaced, TERM stops everything.

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
