//! Restarts and stops from outside, on every MPM: graceful restarts under load lose no request,
//! a broken configuration refuses the restart and leaves the server serving, a new module file is
//! picked up by a graceful restart, a crashed child is replaced (and repeated early crashes back
//! off), no child outlives a killed master, graceful-stop lets a download finish, and the
//! GracefulShutdownTimeout and GracefulRestartTimeout deadlines hold.
//!
//! Each test runs its MPMs at once (`on_each_mpm`), each on its own server. The figures the issue
//! asks for are printed with eprintln! (see them with `-- --nocapture`).

use mapache_tests::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Small sizes for each MPM: two children, few threads, spare bounds that leave the count alone.
fn two_children(mpm: &str) -> &'static str {
    match mpm {
        "prefork" => "StartServers 2\nMinSpareServers 1\nMaxSpareServers 3\n",
        _ => {
            "StartServers 2\nThreadsPerChild 4\nMinSpareThreads 4\nMaxSpareThreads 12\n\
             MaxRequestWorkers 32\n"
        }
    }
}

/// As [`two_children`] with a single child.
fn one_child(mpm: &str) -> &'static str {
    match mpm {
        "prefork" => "StartServers 1\nMinSpareServers 1\nMaxSpareServers 3\n",
        _ => {
            "StartServers 1\nThreadsPerChild 4\nMinSpareThreads 4\nMaxSpareThreads 12\n\
             MaxRequestWorkers 32\n"
        }
    }
}

/// Test-handler locations every test here may use.
const LOCATIONS: &str = "<Location /greet>\nSetHandler test-greeting\n</Location>\n\
    <Location /pid>\nSetHandler test-pid\n</Location>\n\
    <Location /hang>\nSetHandler test-hang\n</Location>\n";

/// `n` bytes of a pattern that does not repeat at any power-of-two period, so a misplaced or
/// lost block shows.
fn pattern(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i % 251) as u8 ^ (i / 251 % 7) as u8)
        .collect()
}

/// Writes the config (modules of `mpm`, `sizes`, the test locations, `extra`).
fn configure(root: &Root, mpm: &str, sizes: &str, extra: &str) -> PathBuf {
    root.config(&format!("{}{sizes}{LOCATIONS}{extra}", modules_for(mpm)))
}

/// Starts the server and waits until its MPM runs with `n` children.
fn start_with_children(root: &Root, n: usize) -> Server {
    let server = Server::start(root, &[]);
    server.wait_ready();
    assert!(
        wait_until(Duration::from_secs(10), || server.children().len() == n),
        "expected {n} children, have {:?}; log:\n{}",
        server.children(),
        server.log_text()
    );
    server
}

/// The PID the pid file names.
fn pid_file_pid(root: &Root) -> String {
    std::fs::read_to_string(root.path().join("logs/mapache.pid"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// A keep-alive GET on `s`, read in full.
fn get_on(s: &mut TcpStream, path: &str) -> Result<Response, String> {
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    read_response(s)
}

/// The greeting a fresh connection gets from /greet.
fn greeting(server: &Server) -> String {
    String::from_utf8_lossy(&server.get("/greet").body).into_owned()
}

/// Whether `s` reaches end of file (or a reset) within its read timeout, with no byte first.
fn ends(s: &mut TcpStream) -> Result<(), String> {
    let mut b = [0u8; 256];
    match s.read(&mut b) {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!(
            "{n} more bytes: {:?}",
            String::from_utf8_lossy(&b[..n])
        )),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Err("still open".to_owned())
        }
        Err(_) => Ok(()),
    }
}

#[test]
fn three_graceful_restarts_under_load_fail_no_request() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let body = pattern(3000);
        root.write("htdocs/load.txt", &body);
        // A kept-alive connection is held idle across the first restart: give it time.
        let conf = |greeting: &str| {
            configure(
                &root,
                mpm,
                two_children(mpm),
                &format!("KeepAliveTimeout 30\nTestGreeting {greeting}\n"),
            )
        };
        conf("generation-0");
        let server = start_with_children(&root, 2);
        let master = server.pid().to_string();
        let load = Load::start(server.addr, LoadSpec::new(3, "/load.txt", &body));
        assert!(
            load.wait_served(50, Duration::from_secs(10)),
            "{mpm}: the load does not get served"
        );
        let mut held = server.connect();
        let first = get_on(&mut held, "/load.txt").expect("a first response");
        assert!(first.status == 200 && !first.closes(), "{mpm}: {first:?}");
        let mut held = Some(held);

        for gen in 1..=3u32 {
            conf(&format!("generation-{gen}"));
            let before = server.children();
            let mark = server.log_mark();
            server.signal(libc::SIGUSR1);
            server.expect_restart(
                Some((mark, "Graceful restart requested, doing restart")),
                gen,
                &format!("{mpm}: restart {gen}"),
            );
            // New connections meet the new configuration.
            let want = format!("generation-{gen}\n");
            assert!(
                wait_until(Duration::from_secs(10), || greeting(&server) == want),
                "{mpm}: after restart {gen} /greet says {:?}",
                greeting(&server)
            );
            if let Some(mut idle) = held.take() {
                // The kept-alive connection an old child holds: its next request is answered,
                // with Connection: close, and then the connection ends. A short pause lets the
                // old child take in the restart first.
                std::thread::sleep(Duration::from_millis(300));
                let resp = get_on(&mut idle, "/load.txt");
                let resp = resp.unwrap_or_else(|e| {
                    panic!("{mpm}: the kept-alive request failed over the restart: {e}")
                });
                assert_eq!(resp.status, 200, "{mpm}");
                assert_eq!(resp.body, body, "{mpm}");
                assert!(
                    resp.closes(),
                    "{mpm}: an old child kept the connection alive: {:?}",
                    resp.headers
                );
                assert_eq!(ends(&mut idle), Ok(()), "{mpm}: after Connection: close");
                // Dropped here: the server's lingering close waits for our end.
            }
            // Under load the old generation drains and goes.
            assert!(
                wait_until(Duration::from_secs(15), || before
                    .iter()
                    .all(|&p| exited(p))),
                "{mpm}: children {before:?} from before restart {gen} still run; log:\n{}",
                server.log_text()
            );
            assert!(
                load.wait_served(50, Duration::from_secs(10)),
                "{mpm}: the load stalls after restart {gen}"
            );
            assert!(!exited(server.pid()), "{mpm}: the master ended");
            assert_eq!(
                pid_file_pid(&root),
                master,
                "{mpm}: the master's PID changed"
            );
        }
        let report = load.stop();
        eprintln!(
            "FIGURE {mpm}: 3 graceful restarts under load: {} requests served, {} failed \
             ({} connections, {} closed by the server)",
            report.served, report.failed, report.connections, report.closed_by_server
        );
        assert_eq!(
            report.failed,
            0,
            "{mpm}: failed requests: {:#?}\nlog:\n{}",
            report.failures,
            server.log_text()
        );
        assert_eq!(
            server.log_count("Graceful restart requested, doing restart"),
            3,
            "{mpm}"
        );
    });
}

#[test]
fn a_broken_config_at_restart_is_refused_and_the_server_keeps_serving() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let body = pattern(2000);
        root.write("htdocs/load.txt", &body);
        configure(&root, mpm, two_children(mpm), "TestGreeting before\n");
        let server = start_with_children(&root, 2);
        let children = server.children();
        let load = Load::start(server.addr, LoadSpec::new(3, "/load.txt", &body));
        assert!(load.wait_served(30, Duration::from_secs(10)), "{mpm}");

        let conf = configure(
            &root,
            mpm,
            two_children(mpm),
            "TestGreeting after\nNoSuchDirective here\n",
        );
        let text = std::fs::read_to_string(&conf).unwrap();
        let bad_line = text
            .lines()
            .position(|l| l.starts_with("NoSuchDirective"))
            .unwrap()
            + 1;
        // Raw signals: `-k` would check the file itself and never send them.
        for (sig, name) in [(libc::SIGUSR1, "USR1"), (libc::SIGHUP, "HUP")] {
            let mark = server.log_mark();
            server.signal(sig);
            let Some(line) = server.wait_log_since(mark, "restart refused", 15) else {
                panic!(
                    "{mpm}: {name} with a broken config: no 'restart refused'; log:\n{}",
                    server.log_text()
                );
            };
            assert!(
                line.contains("httpd.conf")
                    && (line.contains(&format!("line {bad_line}"))
                        || line.contains(&format!(":{bad_line}")))
                    && line.contains("NoSuchDirective"),
                "{mpm}: {name}: the refusal should name file, line {bad_line} and the \
                 directive: {line}"
            );
            // Still the same children, the same configuration, and serving.
            assert!(
                load.wait_served(30, Duration::from_secs(10)),
                "{mpm}: {name}"
            );
            // A restart would have replaced them all (spare maintenance may add children
            // under load, but stops none while they are this busy).
            assert!(
                children.iter().all(|&p| !exited(p)),
                "{mpm}: {name}: children {children:?} were replaced: {:?}",
                server.children()
            );
            assert_eq!(greeting(&server), "before\n", "{mpm}: {name}");
            assert!(!server.wait_generation(1, 0), "{mpm}: {name}: restarted");
        }
        let report = load.stop();
        eprintln!(
            "FIGURE {mpm}: 2 refused restarts under load: {} requests served, {} failed",
            report.served, report.failed
        );
        assert_eq!(report.failed, 0, "{mpm}: {:#?}", report.failures);

        // Mended, a full restart (HUP) goes through: children stopped now, configuration
        // re-read, same master.
        configure(&root, mpm, two_children(mpm), "TestGreeting after\n");
        let mark = server.log_mark();
        server.signal(libc::SIGHUP);
        server.expect_restart(
            Some((mark, "SIGHUP received.  Attempting to restart")),
            1,
            mpm,
        );
        assert!(
            wait_until(Duration::from_secs(10), || children
                .iter()
                .all(|&p| exited(p))),
            "{mpm}: the old children still run after HUP"
        );
        assert_eq!(greeting(&server), "after\n", "{mpm}");
        assert_eq!(pid_file_pid(&root), server.pid().to_string(), "{mpm}");
        assert!(!exited(server.pid()), "{mpm}");
    });
}

/// The C example built twice with different built-in greetings: (first, second).
fn hello_builds() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/mod-hello-c");
        let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin-api/include");
        let source = std::fs::read_to_string(example.join("mod_hello.c")).unwrap();
        assert!(source.contains("str(\"Hello from C\")"));
        // Beside the build, so nothing is left in /tmp; make rebuilds when the header changes.
        let out = build_dir().join("restart-hello");
        let build = |name: &str, greeting: &str| {
            let dir = out.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("mod_hello.c"),
                source.replace("str(\"Hello from C\")", &format!("str(\"{greeting}\")")),
            )
            .unwrap();
            std::fs::copy(example.join("Makefile"), dir.join("Makefile")).unwrap();
            let status = Command::new("make")
                .arg("-s")
                .arg("-C")
                .arg(&dir)
                .arg(format!("INCLUDE={}", include.display()))
                .arg(format!("OUT={}", dir.display()))
                .status()
                .expect("make and a C compiler are needed");
            assert!(status.success(), "mod_hello ({name}) does not build");
            dir.join("mod_hello.so")
        };
        (
            build("first", "Hello from C"),
            build("second", "Hello from the second build"),
        )
    })
}

/// Installs a module file the way package managers do: written under a temporary name in the
/// same directory, then renamed over the old one. The rename leaves the old inode to the
/// processes that have it mapped; overwriting a mapped .so in place would change the code under
/// their feet and crash them.
fn install(module: &Path, dest: &Path) {
    let tmp = dest.with_extension("so.new");
    std::fs::copy(module, &tmp).unwrap();
    std::fs::rename(&tmp, dest).unwrap();
}

#[test]
fn a_changed_module_file_is_picked_up_by_a_graceful_restart() {
    let (first, second) = hello_builds();
    on_each_mpm(|mpm| {
        let root = Root::new();
        std::fs::create_dir_all(root.path().join("modules")).unwrap();
        let installed = root.path().join("modules/mod_hello.so");
        install(first, &installed);
        configure(
            &root,
            mpm,
            two_children(mpm),
            &format!(
                "LoadModule hello_module {}\n<Location /c>\nSetHandler hello\n</Location>\n",
                installed.display()
            ),
        );
        let server = start_with_children(&root, 2);
        let (old, new) = (b"Hello from C\n", b"Hello from the second build\n");
        assert_eq!(server.get("/c").body, old, "{mpm}");
        let mut spec = LoadSpec::new(3, "/c", old);
        spec.bodies.push(new.to_vec());
        let load = Load::start(server.addr, spec);
        assert!(load.wait_served(50, Duration::from_secs(10)), "{mpm}");

        install(second, &installed);
        server.signal(libc::SIGUSR1);
        server.expect_restart(None, 1, mpm);
        assert!(
            wait_until(Duration::from_secs(10), || server.get("/c").body == new),
            "{mpm}: still {:?}; log:\n{}",
            String::from_utf8_lossy(&server.get("/c").body),
            server.log_text()
        );
        assert!(
            wait_until(Duration::from_secs(10), || load.served_with(1) >= 50),
            "{mpm}: the load does not meet the new module"
        );
        let report = load.stop();
        eprintln!(
            "FIGURE {mpm}: module replaced by a graceful restart under load: {} served by the \
             first build, {} by the second, {} failed",
            report.by_body[0], report.by_body[1], report.failed
        );
        assert_eq!(
            report.failed,
            0,
            "{mpm}: {:#?}\nlog:\n{}",
            report.failures,
            server.log_text()
        );
        assert!(report.by_body[0] > 0 && report.by_body[1] > 0, "{mpm}");
    });
}

#[test]
fn a_crashed_child_is_replaced_and_logged_and_early_crashes_back_off() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        configure(&root, mpm, one_child(mpm), "");
        let server = start_with_children(&root, 1);
        let victim = server.children()[0];
        let started = Instant::now();
        signal_pid(victim, libc::SIGSEGV);
        // Once the only child is gone, whoever answers is its replacement.
        assert!(
            wait_until(Duration::from_secs(5), || exited(victim)),
            "{mpm}: SIGSEGV did not end child {victim}"
        );
        let pid = server.get("/pid");
        let took = started.elapsed();
        let replacement: u32 = String::from_utf8_lossy(&pid.body)
            .trim()
            .parse()
            .unwrap_or(0);
        eprintln!("FIGURE {mpm}: SIGSEGV to a replacement child serving: {took:.2?}");
        assert_eq!(pid.status, 200, "{mpm}: {}", server.log_text());
        assert!(
            replacement != victim && server.children().contains(&replacement),
            "{mpm}: served by {replacement}, children {:?}",
            server.children()
        );
        assert!(
            server.wait_log(
                &format!("child pid {victim} exit signal Segmentation fault (11)"),
                5
            ),
            "{mpm}: {}",
            server.log_text()
        );
        assert!(
            took < Duration::from_secs(5),
            "{mpm}: replaced only after {took:?}"
        );

        // More early deaths in a row: the next child is held back, and the log says so.
        let mark = server.log_mark();
        let mut killed = vec![victim];
        let backed_off = wait_until(Duration::from_secs(10), || {
            for c in server.children() {
                if !killed.contains(&c) {
                    signal_pid(c, libc::SIGSEGV);
                    killed.push(c);
                }
            }
            server.wait_log_since(mark, "backoff", 0).is_some()
        });
        assert!(
            backed_off,
            "{mpm}: no backoff after {} crashes; log:\n{}",
            killed.len(),
            server.log_text()
        );
        assert!(!exited(server.pid()), "{mpm}: the master gave up");
        // A child signalled last may not have died yet (a signal waits while a child starting
        // up blocks it) and could take a connection down with it: let them all go first.
        assert!(
            wait_until(Duration::from_secs(5), || killed.iter().all(|&p| exited(p))),
            "{mpm}: children {killed:?} survived SIGSEGV"
        );
        // The backoff ends and a child serves again.
        assert_eq!(server.get("/pid").status, 200, "{mpm}");
    });
}

/// Asks for /pid on a fresh connection every few milliseconds until told to stop, and
/// records when each request was answered and which child answered it.
struct Prober {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    answered: std::sync::Arc<std::sync::Mutex<Vec<(Instant, u32)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Prober {
    fn start(addr: std::net::SocketAddr) -> Prober {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (stop, answered) = (stop.clone(), answered.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let pid = TcpStream::connect_timeout(&addr, Duration::from_secs(1))
                        .ok()
                        .and_then(|mut s| {
                            s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
                            s.write_all(
                                b"GET /pid HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                            )
                            .ok()?;
                            let r = read_response(&mut s).ok()?;
                            (r.status == 200).then_some(())?;
                            String::from_utf8_lossy(&r.body).trim().parse::<u32>().ok()
                        });
                    if let Some(pid) = pid {
                        answered.lock().unwrap().push((Instant::now(), pid));
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            })
        };
        Prober {
            stop,
            answered,
            thread: Some(thread),
        }
    }

    /// The child that answered last, if any answered since `since`.
    fn last_answer_since(&self, since: Instant) -> Option<u32> {
        let a = self.answered.lock().unwrap();
        a.last().filter(|(t, _)| *t >= since).map(|(_, p)| *p)
    }

    /// The longest time within `from..to` without an answer.
    fn longest_gap(&self, from: Instant, to: Instant) -> Duration {
        let a = self.answered.lock().unwrap();
        let mut times: Vec<Instant> = a
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| (from..=to).contains(t))
            .collect();
        times.insert(0, from);
        times.push(to);
        times
            .windows(2)
            .map(|w| w[1].duration_since(w[0]))
            .max()
            .unwrap_or_default()
    }
}

impl Drop for Prober {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn a_burst_of_child_deaths_never_leaves_the_server_without_a_child() {
    // A kill every 0.4 s for 4 s, twice: what the backoff against crash loops must survive.
    const KILLS: u32 = 10;
    const EVERY: Duration = Duration::from_millis(400);
    const LONGEST_GAP: Duration = Duration::from_secs(2);
    on_each_mpm(|mpm| {
        let root = Root::new();
        configure(&root, mpm, two_children(mpm), "");
        let server = start_with_children(&root, 2);
        let probe = Prober::start(server.addr);
        // A simple generator is enough to pick a child.
        let mut seed = u64::from(server.pid()) | 1;
        let mut pick = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };

        // Someone else kills children (kill -9 from a script, the OOM killer): not crashes of
        // the children's making.
        let began = Instant::now();
        for _ in 0..KILLS {
            let children = server.children();
            if !children.is_empty() {
                signal_pid(children[pick(children.len())], libc::SIGKILL);
            }
            std::thread::sleep(EVERY);
        }
        let ended = Instant::now();
        let child_again = wait_until(Duration::from_secs(1), || !server.children().is_empty());
        let gap = probe.longest_gap(began, ended);
        eprintln!("FIGURE {mpm}: SIGKILL burst: longest time without an answer {gap:.2?}");
        assert!(
            child_again,
            "{mpm}: no child 1 s after a burst of SIGKILLs; log:\n{}",
            server.log_text()
        );
        assert!(
            gap <= LONGEST_GAP,
            "{mpm}: {gap:?} without an answer during a burst of SIGKILLs; log:\n{}",
            server.log_text()
        );
        assert!(
            wait_until(Duration::from_secs(2), || probe
                .last_answer_since(ended)
                .is_some()),
            "{mpm}: no answer after the SIGKILL burst; log:\n{}",
            server.log_text()
        );

        // Children crash one after another, each after serving a request (a request of death):
        // the backoff may slow their replacement, but a child must stay.
        let began = Instant::now();
        for _ in 0..KILLS {
            if let Some(pid) = probe.last_answer_since(began - EVERY) {
                signal_pid(pid, libc::SIGSEGV);
            }
            std::thread::sleep(EVERY);
        }
        let ended = Instant::now();
        let child_again = wait_until(Duration::from_secs(1), || !server.children().is_empty());
        let gap = probe.longest_gap(began, ended);
        eprintln!(
            "FIGURE {mpm}: SIGSEGV burst: longest time without an answer {gap:.2?}, {} \
             backoff lines",
            server.log_count("backoff")
        );
        assert!(
            server.log_text().contains("exit signal Segmentation fault"),
            "{mpm}: no crash was logged; log:\n{}",
            server.log_text()
        );
        assert!(
            child_again,
            "{mpm}: no child 1 s after a burst of crashes; log:\n{}",
            server.log_text()
        );
        assert!(
            gap <= LONGEST_GAP,
            "{mpm}: {gap:?} without an answer during a burst of crashes; log:\n{}",
            server.log_text()
        );
        assert!(!exited(server.pid()), "{mpm}: the master ended");
    });
}

#[test]
fn no_child_outlives_a_master_killed_with_sigkill() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        configure(&root, mpm, two_children(mpm), "");
        let server = start_with_children(&root, 2);
        // One child also holds a kept-alive connection.
        let mut conn = server.connect();
        assert_eq!(get_on(&mut conn, "/pid").map(|r| r.status), Ok(200));
        let children = server.children();
        server.signal(libc::SIGKILL);
        let started = Instant::now();
        let gone = wait_until(Duration::from_secs(2), || {
            group_members(server.pid()).is_empty()
        });
        eprintln!(
            "FIGURE {mpm}: kill -9 of the master: children gone after {:.2?}",
            started.elapsed()
        );
        assert!(
            gone,
            "{mpm}: 2 s after kill -9 of the master these still run: {:?} (children were \
             {children:?})",
            group_members(server.pid())
        );
        drop(conn);
    });
}

#[test]
fn graceful_stop_lets_an_in_flight_download_finish() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let big = pattern(24 << 20);
        root.write("htdocs/big.bin", &big);
        let conf = configure(&root, mpm, two_children(mpm), "");
        let mut server = start_with_children(&root, 2);

        let mut dl = server.connect();
        dl.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .unwrap();
        // Read the head and a little of the body, then leave the rest in flight.
        let mut got = Vec::new();
        let mut chunk = [0u8; 65536];
        while got.len() < 100_000 {
            match dl.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&chunk[..n]),
            }
        }
        let head_end = got
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head")
            + 4;
        assert!(got.starts_with(b"HTTP/1.1 200"), "{mpm}");

        let out = run(&["-f", &conf.display().to_string(), "-k", "graceful-stop"]);
        assert_eq!(out.code, Some(0), "{mpm}: {}{}", out.stdout, out.stderr);
        assert!(
            server.wait_log("caught SIGWINCH, shutting down gracefully", 10),
            "{mpm}: {}",
            server.log_text()
        );
        // The listeners close: new connections are refused.
        assert!(
            wait_until(Duration::from_secs(10), || TcpStream::connect(server.addr)
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)),
            "{mpm}: still accepting after graceful-stop"
        );
        assert!(
            !exited(server.pid()),
            "{mpm}: the server ended with a download in flight"
        );
        // The download completes, byte for byte, and then the server ends by itself.
        let _ = dl.read_to_end(&mut got);
        assert_eq!(
            got.len() - head_end,
            big.len(),
            "{mpm}: download cut short; log:\n{}",
            server.log_text()
        );
        assert!(
            got[head_end..] == big[..],
            "{mpm}: the download's bytes differ"
        );
        let status = server.wait_exit(Duration::from_secs(15));
        assert!(
            status.is_some_and(|s| s.success()),
            "{mpm}: exit {status:?}; log:\n{}",
            server.log_text()
        );
        assert!(
            !root.path().join("logs/mapache.pid").exists(),
            "{mpm}: pid file left"
        );
    });
}

#[test]
fn graceful_shutdown_timeout_bounds_a_graceful_stop() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        configure(&root, mpm, two_children(mpm), "GracefulShutdownTimeout 1\n");
        let mut server = start_with_children(&root, 2);
        let mut hung = server.connect();
        hung.write_all(b"GET /hang?60 HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        assert!(
            server.wait_log("test-hang: holding", 10),
            "{mpm}: the request never reached its handler"
        );
        let started = Instant::now();
        server.signal(libc::SIGWINCH);
        let status = server.wait_exit(Duration::from_secs(15));
        let took = started.elapsed();
        assert!(
            status.is_some(),
            "{mpm}: still running 15 s after graceful-stop with GracefulShutdownTimeout 1"
        );
        assert!(
            took >= Duration::from_millis(900),
            "{mpm}: ended after {took:?}, without waiting for the request in flight"
        );
        assert!(
            wait_until(Duration::from_secs(2), || group_members(server.pid())
                .is_empty()),
            "{mpm}: left behind: {:?}",
            group_members(server.pid())
        );
        let mut rest = Vec::new();
        let _ = hung.read_to_end(&mut rest);
        assert!(!String::from_utf8_lossy(&rest).contains("woke up"), "{mpm}");
    });
}

#[test]
fn graceful_restart_timeout_ends_an_old_generation_that_lingers() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        configure(&root, mpm, two_children(mpm), "GracefulRestartTimeout 1\n");
        let server = start_with_children(&root, 2);
        let old = server.children();
        let mut hung = server.connect();
        hung.write_all(b"GET /hang?60 HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        assert!(
            server.wait_log("test-hang: holding", 10),
            "{mpm}: the request never reached its handler"
        );
        let mark = server.log_mark();
        server.signal(libc::SIGUSR1);
        server.expect_restart(None, 1, mpm);
        assert!(
            server
                .wait_log_since(mark, "GracefulRestartTimeout", 10)
                .is_some(),
            "{mpm}: {}",
            server.log_text()
        );
        assert!(
            wait_until(Duration::from_secs(10), || old.iter().all(|&p| exited(p))),
            "{mpm}: old children {old:?} still run"
        );
        assert!(
            !String::from_utf8_lossy(&{
                let mut rest = Vec::new();
                let _ = hung.read_to_end(&mut rest);
                rest
            })
            .contains("woke up"),
            "{mpm}"
        );
        assert_eq!(server.get("/pid").status, 200, "{mpm}");
    });
}
