//! Process control from outside: `-k` through the pid file, systemd socket activation and
//! sd_notify, User/Group in children.

use mapache_tests::*;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn conf(root: &Root) -> String {
    root.config(&modules_for("prefork")).display().to_string()
}

fn pid_file(root: &Root) -> PathBuf {
    root.path().join("logs/mapache.pid")
}

/// A server started with a command of the test's making (environment, inherited descriptors),
/// standard output and error collected together. Dropping it stops its process group.
struct Proc {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    fn spawn(mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd.spawn().expect("start mapache");
        let log = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        for stream in [
            Box::new(out) as Box<dyn std::io::Read + Send>,
            Box::new(err),
        ] {
            let sink = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            });
        }
        Proc { child, log }
    }

    fn text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    fn wait_log(&self, needle: &str, secs: u64) -> bool {
        wait_until(Duration::from_secs(secs), || self.text().contains(needle))
    }

    /// Every address it logged as `listening on`, once it has said it is ready.
    fn listening(&self) -> Vec<SocketAddr> {
        assert!(
            self.wait_log("resuming normal operations", 10),
            "server did not start; log:\n{}",
            self.text()
        );
        self.text()
            .lines()
            .filter_map(|l| l.split("listening on ").nth(1))
            .map(|a| a.trim().parse().expect("listen address"))
            .collect()
    }

    fn get(&self, addr: SocketAddr, path: &str) -> Response {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        parse_responses(&out, false)
            .into_iter()
            .next()
            .expect("a response")
    }

    fn wait_exit(&mut self, secs: u64) -> Option<i32> {
        let mut status = None;
        let done = wait_until(Duration::from_secs(secs), || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        assert!(done, "server did not exit; log:\n{}", self.text());
        status.and_then(|s| s.code())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        if self.child.try_wait().ok().flatten().is_none() {
            // SAFETY: signalling our own process group.
            unsafe { libc::kill(-pgid, libc::SIGTERM) };
            wait_until(Duration::from_secs(5), || {
                self.child.try_wait().ok().flatten().is_some()
            });
        }
        // SAFETY: as above.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn k_stop_stops_the_master_through_the_pid_file() {
    for mpm in mpms() {
        let root = Root::new();
        let conf = root.config(&modules_for(mpm)).display().to_string();
        let server = Server::start(&root, &[]);
        mpm_running(server.pid());
        assert_eq!(
            std::fs::read_to_string(pid_file(&root)).unwrap().trim(),
            server.pid().to_string()
        );
        let out = run(&["-f", &conf, "-k", "stop"]);
        assert_eq!(out.code, Some(0), "{mpm}: {}{}", out.stdout, out.stderr);
        assert!(
            wait_until(Duration::from_secs(10), || exited(server.pid())),
            "{mpm}: master still running after -k stop; log:\n{}",
            server.log_text()
        );
        assert!(
            server.wait_log("caught SIGTERM, shutting down", 2),
            "{mpm}: {}",
            server.log_text()
        );
        assert!(
            !pid_file(&root).exists(),
            "{mpm}: pid file left behind; log:\n{}",
            server.log_text()
        );
        // Nothing runs any more: Apache's words and status (0: nothing to stop is no failure).
        let out = run(&["-f", &conf, "-k", "stop"]);
        assert_eq!(out.stdout.trim(), "mapache (no pid file) not running");
        assert_eq!(out.code, Some(0));
    }
}

#[test]
fn k_start_refuses_a_second_master_and_k_graceful_and_k_restart_keep_the_pid() {
    let root = Root::new();
    let conf = conf(&root);
    let server = Server::start(&root, &["-k", "start", "-DFOREGROUND"]);
    mpm_running(server.pid());
    let out = run(&["-f", &conf, "-k", "start"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        out.stdout.trim(),
        format!("mapache (pid {}) already running", server.pid())
    );
    // A plain run is checked the same way, as Apache does.
    let out = run(&["-f", &conf]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stdout.contains("already running"), "{}", out.stdout);

    // -k graceful (USR1) and -k restart (HUP) really restart: a new generation is logged, the
    // children are replaced, and the master keeps its PID (it re-executes itself in place).
    for (gen, cmd, line) in [
        (1, "graceful", "Graceful restart requested, doing restart"),
        (2, "restart", "SIGHUP received.  Attempting to restart"),
    ] {
        let old = children_of(server.pid());
        let mark = server.log_mark();
        let out = run(&["-f", &conf, "-k", cmd]);
        assert_eq!(out.code, Some(0), "-k {cmd}: {}{}", out.stdout, out.stderr);
        server.expect_restart(Some((mark, line)), gen, &format!("-k {cmd}"));
        assert!(
            wait_until(Duration::from_secs(10), || old.iter().all(|&c| exited(c))),
            "-k {cmd}: children of the previous generation still run: {old:?} of {:?}",
            children_of(server.pid())
        );
        assert!(!exited(server.pid()), "-k {cmd} ended the master");
        assert_eq!(
            std::fs::read_to_string(pid_file(&root))
                .unwrap_or_default()
                .trim(),
            server.pid().to_string(),
            "-k {cmd}: the pid file no longer names the master"
        );
        assert_eq!(server.get("/nothing-here").status, 404, "-k {cmd}");
    }
}

#[test]
fn stale_pid_files_are_handled() {
    let root = Root::new();
    let conf = conf(&root);
    let pid_file = pid_file(&root);
    // A pid no process has.
    std::fs::write(&pid_file, "999999999\n").unwrap();
    let out = run(&["-f", &conf, "-k", "stop"]);
    assert_eq!(out.code, Some(0));
    assert_eq!(out.stdout.trim(), "mapache (pid 999999999?) not running");
    assert!(!pid_file.exists(), "-k stop removes a stale pid file");

    // A live process that is not mapache is never signalled.
    let mut sleeper = Command::new("sleep").arg("30").spawn().expect("sleep");
    std::fs::write(&pid_file, format!("{}\n", sleeper.id())).unwrap();
    let out = run(&["-f", &conf, "-k", "graceful-stop"]);
    let alive = sleeper.try_wait().unwrap().is_none();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert_eq!(out.code, Some(0));
    assert_eq!(
        out.stdout.trim(),
        format!("mapache (pid {}?) not running", sleeper.id())
    );
    assert!(alive, "the unrelated process was signalled");

    // -k start over a stale file starts, with Apache's warning, and the file names the new master.
    std::fs::write(&pid_file, "999999999\n").unwrap();
    let server = Server::start(&root, &["-k", "start", "-DFOREGROUND"]);
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        server.pid().to_string()
    );
    assert!(
        server.wait_log(
            "overwritten -- Unclean shutdown of previous mapache run?",
            5
        ),
        "{}",
        server.log_text()
    );
}

#[test]
fn k_graceful_without_a_server_starts_one_and_a_syntax_error_aborts_k() {
    let root = Root::new();
    let conf = conf(&root);
    for cmd in ["graceful", "restart"] {
        let daemon = Daemon::new(&root);
        let out = run(&["-f", &conf, "-k", cmd]);
        assert_eq!(out.code, Some(0), "-k {cmd}: {}{}", out.stdout, out.stderr);
        assert_eq!(out.stdout.trim(), "mapache not running, trying to start");
        let pid = daemon.pid();
        assert_eq!(daemon.get("/nothing-here").status, 404, "-k {cmd}");
        let out = run(&["-f", &conf, "-k", "stop"]);
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        assert!(wait_until(Duration::from_secs(10), || exited(pid)));
    }

    let bad = root.config(&format!("{}\nNoSuchDirective 1\n", modules_for("prefork")));
    let out = run(&["-f", &bad.display().to_string(), "-k", "stop"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("Syntax error on line"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let out = run(&["-f", &conf, "-k", "reload"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("unknown action 'reload'"),
        "{}",
        out.stderr
    );
}

/// A server that detached: found through its pid file, and stopped with its whole process group
/// (its own session) when the test ends, also on failure.
struct Daemon {
    pid_file: PathBuf,
    error_log: PathBuf,
    seen: std::cell::Cell<Option<i32>>,
}

impl Daemon {
    fn new(root: &Root) -> Daemon {
        Daemon {
            pid_file: pid_file(root),
            // Apache's default error log, where a daemon without an ErrorLog line logs.
            error_log: root.path().join("logs/error_log"),
            seen: std::cell::Cell::new(None),
        }
    }

    /// The master's pid, from its pid file (which must exist: the command returned).
    fn pid(&self) -> u32 {
        let text = std::fs::read_to_string(&self.pid_file).unwrap_or_default();
        let pid: i32 = text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("no pid file at {}", self.pid_file.display()));
        self.seen.set(Some(pid));
        pid as u32
    }

    /// One GET to the address of the last "listening on" line of its error log (written before
    /// the command returned).
    fn get(&self, path: &str) -> Response {
        let log = std::fs::read_to_string(&self.error_log).unwrap_or_default();
        let addr: SocketAddr = log
            .lines()
            .rev()
            .find_map(|l| l.split("listening on ").nth(1))
            .unwrap_or_else(|| panic!("no 'listening on' in the error log: {log}"))
            .trim()
            .parse()
            .expect("listen address");
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        parse_responses(&raw, false)
            .into_iter()
            .next()
            .expect("a response")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let now = std::fs::read_to_string(&self.pid_file)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok());
        let Some(pid) = now.or(self.seen.get()).filter(|&p| p > 1) else {
            return;
        };
        // Only a process that is a session leader (the daemon) is signalled, with its group.
        // SAFETY: getsid and kill on a pid this test's server wrote.
        unsafe {
            if libc::getsid(pid) == pid {
                libc::kill(-pid, libc::SIGTERM);
                wait_until(Duration::from_secs(5), || exited(pid as u32));
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
}

/// `-k start` detaches: the command returns once the daemon serves (its pid file written, its
/// listeners bound), the daemon leads its own session; a daemon that cannot start makes the
/// command fail with its message.
#[test]
fn k_start_detaches_and_returns_once_serving() {
    let root = Root::new();
    root.write("htdocs/hello.txt", "detached\n");
    let conf = conf(&root);
    let daemon = Daemon::new(&root);
    let out = run(&["-f", &conf, "-k", "start"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    // No waiting: the command returned after the pid file and the listeners.
    let pid = daemon.pid();
    assert!(!exited(pid), "the daemon is gone");
    // SAFETY: getsid on a pid.
    assert_eq!(
        unsafe { libc::getsid(pid as i32) },
        pid as i32,
        "not its own session"
    );
    let resp = daemon.get("/hello.txt");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"detached\n");
    let out = run(&["-f", &conf, "-k", "start"]);
    assert_eq!(out.code, Some(1));
    assert_eq!(
        out.stdout.trim(),
        format!("mapache (pid {pid}) already running")
    );
    // A graceful restart of the daemon re-executes it in place (without -k: it does not detach
    // again) and it goes on serving under the same pid.
    let out = run(&["-f", &conf, "-k", "graceful"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        wait_until(Duration::from_secs(15), || std::fs::read_to_string(
            root.path().join("logs/error_log")
        )
        .unwrap_or_default()
        .contains("generation 1")),
        "no restart in the error log"
    );
    assert_eq!(daemon.pid(), pid);
    assert!(!exited(pid));
    assert_eq!(daemon.get("/hello.txt").status, 200);
    let out = run(&["-f", &conf, "-k", "stop"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(wait_until(Duration::from_secs(10), || exited(pid)));
    assert!(wait_until(Duration::from_secs(5), || !pid_file(&root).exists()));

    // A daemon that cannot bind: the command relays why and fails; nothing is left running.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let busy = root
        .config(&format!(
            "{}Listen 127.0.0.1:{port}\n",
            modules_for("prefork")
        ))
        .display()
        .to_string();
    let out = run(&["-f", &busy, "-k", "start"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("127.0.0.1:{port}")),
        "the bind failure is not relayed: {}",
        out.stderr
    );
    assert!(!pid_file(&root).exists(), "a pid file was left");

    // -DFOREGROUND keeps it in the foreground (the harness's Server is the master itself).
    root.config(&modules_for("prefork"));
    let server = Server::start(&root, &["-k", "start", "-DFOREGROUND"]);
    assert_eq!(daemon.pid(), server.pid());
}

/// Socket activation: the test binds the socket, as systemd would, and passes it at fd 3 with
/// LISTEN_FDS=1. LISTEN_PID must be the server's own pid, which is only known after fork:
/// setting it in a pre_exec hook would need setenv (not async-signal-safe, and std builds the
/// environment before fork anyway), so the command goes through `sh -c 'LISTEN_PID=$$ exec …'`:
/// `$$` is the shell's pid, which exec hands on to mapache. The only pre_exec work is dup2, which
/// is async-signal-safe.
#[test]
fn socket_activation_serves_the_passed_socket_instead_of_binding() {
    let root = Root::new();
    root.write("htdocs/hello.txt", "activated\n");
    let conf = conf(&root);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&listener);
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", "LISTEN_PID=$$ exec \"$0\" \"$@\""])
        .arg(mapache_bin())
        .args(["-f", &conf])
        .env("LISTEN_FDS", "1")
        .env("LISTEN_FDNAMES", "test.socket");
    // SAFETY: only async-signal-safe calls (dup2, fcntl) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if fd == 3 {
                // dup2 onto itself would keep close-on-exec.
                if libc::fcntl(3, libc::F_SETFD, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if libc::dup2(fd, 3) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let server = Proc::spawn(cmd);
    let listening = server.listening();
    assert_eq!(
        listening,
        vec![addr],
        "the Listen 127.0.0.1:0 line is served by the passed socket, nothing else bound; log:\n{}",
        server.text()
    );
    assert!(
        server.text().contains("socket activation: descriptor 3"),
        "{}",
        server.text()
    );
    let resp = server.get(addr, "/hello.txt");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, b"activated\n");

    // A graceful restart re-executes the master, which must keep serving the passed socket
    // (there is no LISTEN_FDS for the new image unless the master hands it on).
    // SAFETY: signalling our own child.
    unsafe { libc::kill(server.child.id() as i32, libc::SIGUSR1) };
    assert!(
        server.wait_log("generation 1", 15),
        "no new generation; log:\n{}",
        server.text()
    );
    let resp = server.get(addr, "/hello.txt");
    assert_eq!(
        resp.status,
        200,
        "after the restart; log:\n{}",
        server.text()
    );
    assert_eq!(resp.body, b"activated\n");
    assert!(
        server
            .text()
            .lines()
            .filter_map(|l| l.split("listening on ").nth(1))
            .all(|a| a.trim().parse::<SocketAddr>().ok() == Some(addr)),
        "something other than the passed socket was bound; log:\n{}",
        server.text()
    );
}

/// Waits until the master has forked a child: its MPM runs and has its signal handlers. The
/// "listening on" line comes just before the MPM starts, and a signal in between meets the
/// default action (the master dies without removing its pid file).
fn mpm_running(pid: u32) {
    assert!(
        wait_until(Duration::from_secs(10), || !children_of(pid).is_empty()),
        "the MPM forked no child"
    );
}

#[test]
fn sd_notify_says_ready_reloading_ready_then_stopping() {
    use std::os::unix::net::UnixDatagram;
    let root = Root::new();
    let conf = conf(&root);
    let sock_path = root.path().join("notify.sock");
    let rx = UnixDatagram::bind(&sock_path).unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // Under systemd even `-k start` stays in the foreground: the process systemd started is the
    // master (MAINPID below).
    let mut cmd = Command::new(mapache_bin());
    cmd.args(["-f", &conf, "-k", "start"])
        .env("NOTIFY_SOCKET", &sock_path);
    let mut server = Proc::spawn(cmd);
    let pid = server.child.id();
    let mut buf = [0u8; 512];
    let n = rx.recv(&mut buf).expect("READY=1 within 10 s");
    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(msg.starts_with("READY=1\n"), "{msg}");
    assert!(msg.contains(&format!("MAINPID={pid}")), "{msg}");
    // Ready means serving.
    let addr = server.listening()[0];
    assert_eq!(server.get(addr, "/nothing-here").status, 404);
    mpm_running(pid);

    // A graceful restart says RELOADING=1, then READY=1 again from the same main PID (the
    // master re-executes itself in place, which is what keeps systemd's MAINPID).
    // SAFETY: our own child.
    unsafe { libc::kill(pid as i32, libc::SIGUSR1) };
    let mut seen = Vec::new();
    let mut ready_again = None;
    while ready_again.is_none() && seen.len() < 10 {
        let n = match rx.recv(&mut buf) {
            Ok(n) => n,
            Err(e) => panic!(
                "no READY=1 after USR1 ({e}); messages {seen:?}; log:\n{}",
                server.text()
            ),
        };
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        if msg.lines().any(|l| l == "READY=1") {
            ready_again = Some(msg.clone());
        }
        seen.push(msg);
    }
    let reloading = seen
        .iter()
        .position(|m| m.lines().any(|l| l == "RELOADING=1"));
    let ready = seen.len() - 1;
    assert!(
        reloading.is_some_and(|r| r < ready),
        "RELOADING=1 must come before READY=1: {seen:?}"
    );
    let ready_again = ready_again.unwrap_or_default();
    assert!(
        ready_again.contains(&format!("MAINPID={pid}")),
        "{ready_again:?}"
    );
    assert!(!exited(pid), "the master's PID changed across the restart");
    assert_eq!(server.get(addr, "/nothing-here").status, 404);

    // SAFETY: our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let n = rx.recv(&mut buf).expect("STOPPING=1 within 10 s");
    assert_eq!(&buf[..n], b"STOPPING=1");
    assert_eq!(server.wait_exit(10), Some(0));
    let _ = std::fs::remove_file(&sock_path);
}

fn id_line(status: &str, key: &str) -> String {
    status
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or("")
        .to_owned()
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn user_and_group_apply_in_children() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: User/Group only take effect when started as root");
        return;
    }
    let root = Root::new();
    // nobody must reach the documents: the temp root is 0700.
    chmod(root.path(), 0o755);
    chmod(&root.path().join("htdocs"), 0o755);
    chmod(&root.write("htdocs/public.txt", "for all\n"), 0o644);
    chmod(&root.write("htdocs/secret.txt", "root only\n"), 0o600);
    root.config(&format!(
        "{}User nobody\nGroup nogroup\nStartServers 1\n",
        modules_for("prefork")
    ));
    let server = Server::start(&root, &[]);
    assert_eq!(server.get("/public.txt").status, 200);
    assert_eq!(
        server.get("/secret.txt").status,
        403,
        "{}",
        server.log_text()
    );
    let children = children_of(server.pid());
    assert!(!children.is_empty());
    for c in children {
        // A child forked a moment ago may not have dropped root yet (groups, then group, then
        // user): wait for the user, the last.
        let mut status = String::new();
        wait_until(Duration::from_secs(10), || {
            status = std::fs::read_to_string(format!("/proc/{c}/status")).unwrap_or_default();
            status.is_empty() || id_line(&status, "Uid:") == "Uid:\t65534\t65534\t65534\t65534"
        });
        if status.is_empty() {
            continue; // exited meanwhile
        }
        assert_eq!(id_line(&status, "Uid:"), "Uid:\t65534\t65534\t65534\t65534");
        assert_eq!(id_line(&status, "Gid:"), "Gid:\t65534\t65534\t65534\t65534");
        assert_eq!(id_line(&status, "Groups:").trim_end(), "Groups:\t65534");
    }
    // The master keeps root (it re-execs and removes the pid file).
    let master = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    assert!(id_line(&master, "Uid:").starts_with("Uid:\t0\t"));

    // An unknown user is a configuration error with file and line.
    let conf = root.config(&format!(
        "{}User no-such-user-here\n",
        modules_for("prefork")
    ));
    let out = run(&["-t", "-f", &conf.display().to_string()]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("Syntax error on line")
            && out.stderr.contains("bad user name no-such-user-here"),
        "{}",
        out.stderr
    );
}

/// A piped ErrorLog program started by a detaching `-k start` does not keep the command's
/// pipe as its standard error: once the command has returned, a program that also writes
/// there (as rotatelogs does on trouble) goes on logging instead of dying of a broken pipe.
#[test]
fn a_piped_error_log_outlives_the_starting_command() {
    let root = Root::new();
    let lines = root.path().join("logs/piped_error_log");
    std::fs::create_dir_all(root.path().join("logs")).unwrap();
    let script = root.write(
        "logger.sh",
        format!(
            "while IFS= read -r l; do printf '%s\\n' \"$l\" >> {}; echo seen >&2; done\n",
            lines.display()
        ),
    );
    let program = format!("/bin/sh {}", script.display());
    let conf = root
        .config(&format!(
            "{}LogLevel info\nErrorLog \"|{program}\"\n",
            modules_for("prefork")
        ))
        .display()
        .to_string();
    let mut daemon = Daemon::new(&root);
    daemon.error_log = lines.clone();
    let out = run(&["-f", &conf, "-k", "start"]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    for n in 0..3 {
        assert_eq!(daemon.get(&format!("/missing-{n}")).status, 404);
        assert!(
            wait_until(Duration::from_secs(5), || std::fs::read_to_string(&lines)
                .unwrap_or_default()
                .contains(&format!("missing-{n}"))),
            "line {n} of the piped error log is lost: {}",
            std::fs::read_to_string(&lines).unwrap_or_default()
        );
    }
}
