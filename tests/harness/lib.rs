//! Test harness: start the real server on loopback, talk raw HTTP, always stop it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod load;
pub use load::{read_response, Load, LoadReport, LoadSpec};

/// Where cargo put the workspace's build output (debug profile).
pub fn build_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("debug");
    let bin = dir.join("mapache");
    assert!(
        bin.exists(),
        "{} is missing: build the workspace first (cargo build --workspace && cargo test --workspace)",
        bin.display()
    );
    dir
}

/// The server binary: `MAPACHE_BIN` when set (the suite runs a second time against the build
/// with `--features static-modules`), else the workspace's debug build.
pub fn mapache_bin() -> PathBuf {
    match std::env::var_os("MAPACHE_BIN") {
        Some(p) => {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
            }
        }
        None => build_dir().join("mapache"),
    }
}

/// Whether the binary under test has mod-static linked in (feature `static-modules`).
pub fn static_build() -> bool {
    static STATIC: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STATIC.get_or_init(|| {
        let out = Command::new(mapache_bin())
            .arg("-l")
            .output()
            .expect("run mapache -l");
        String::from_utf8_lossy(&out.stdout).contains("mod_static.c")
    })
}

/// A module file by its file name, e.g. `libmod_static.so`.
pub fn module(file: &str) -> PathBuf {
    let p = build_dir().join(file);
    assert!(
        p.exists(),
        "{} is missing: run cargo build --workspace",
        p.display()
    );
    p
}

/// The usual LoadModule lines: prefork, the test handlers, then mod-static (the default handler).
pub fn standard_modules() -> String {
    modules_for("prefork")
}

/// The usual LoadModule lines with the MPM named `prefork`, `worker` or `event`.
/// In a static build mod-static is built in, so its line is a comment (line numbers stay put).
pub fn modules_for(mpm: &str) -> String {
    let static_line = if static_build() {
        "# static_module is built into this mapache".to_owned()
    } else {
        format!(
            "LoadModule static_module {}",
            module("libmod_static.so").display()
        )
    };
    format!(
        "LoadModule mpm_{mpm}_module {}\nLoadModule test_handlers_module {}\n{static_line}\n",
        module(&format!("libmpm_{mpm}.so")).display(),
        module("libtest_handlers.so").display(),
    )
}

/// Every MPM this workspace builds (`prefork`, and `worker`/`event` once they exist), so suites
/// can run against each.
pub fn mpms() -> Vec<&'static str> {
    ["prefork", "worker", "event"]
        .into_iter()
        .filter(|m| build_dir().join(format!("libmpm_{m}.so")).exists())
        .collect()
}

/// Polls `f` every 20 ms until it holds or `timeout` has passed; whether it held.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A process's state letter, parent and process group, from `/proc/<pid>/stat`: the fields
/// right after the command name (in parentheses, which may hold spaces).
fn proc_stat(pid: u32) -> Option<(char, u32, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut rest = stat.rsplit_once(')')?.1.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    let pgrp = rest.next()?.parse().ok()?;
    Some((state, ppid, pgrp))
}

/// The processes that have not exited (zombies left out) whose parent and process group pass
/// `keep`, sorted.
fn live_processes(keep: impl Fn(u32, u32) -> bool) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out: Vec<u32> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|&p| {
            proc_stat(p).is_some_and(|(state, ppid, pgrp)| state != 'Z' && keep(ppid, pgrp))
        })
        .collect();
    out.sort_unstable();
    out
}

/// The processes whose parent is `pid` (read from every `/proc/N/stat`, so children of any
/// thread of `pid` count).
pub fn children_of(pid: u32) -> Vec<u32> {
    live_processes(|ppid, _| ppid == pid)
}

/// The children of `pid` once there are `n` of them, or whatever there are after 10 s.
pub fn wait_children(pid: u32, n: usize) -> Vec<u32> {
    let mut now = Vec::new();
    wait_until(Duration::from_secs(10), || {
        now = children_of(pid);
        now.len() == n
    });
    now
}

/// Whether `pid` has exited (gone, or a zombie not yet reaped by its parent).
pub fn exited(pid: u32) -> bool {
    proc_stat(pid).is_none_or(|(state, _, _)| state == 'Z')
}

/// The processes of process group `pgid` that have not exited (zombies left out). Servers run in
/// their own group, whose id is the master's PID.
pub fn group_members(pgid: u32) -> Vec<u32> {
    live_processes(|_, pgrp| pgrp == pgid)
}

/// Sends `sig` to process `pid` (a server's child, found with [`children_of`]).
pub fn signal_pid(pid: u32, sig: i32) {
    // SAFETY: kill(2) only; the tests signal processes of servers they started.
    unsafe { libc::kill(pid as i32, sig) };
}

/// Runs `f` once per built MPM, all at once, each on a thread named after its MPM (panics say
/// which), so a test takes as long as its slowest MPM rather than their sum. Fails, naming
/// them, when any failed.
pub fn on_each_mpm(f: impl Fn(&'static str) + Sync) {
    on_each_of(&mpms(), f)
}

/// [`on_each_mpm`] over the MPMs named (those not built are skipped).
pub fn on_each_of(list: &[&'static str], f: impl Fn(&'static str) + Sync) {
    let built = mpms();
    let f = &f;
    let failed: Vec<&str> = std::thread::scope(|scope| {
        let runs: Vec<_> = list
            .iter()
            .filter(|m| built.contains(m))
            .map(|&m| {
                let run = std::thread::Builder::new()
                    .name(m.to_owned())
                    .spawn_scoped(scope, move || f(m))
                    .expect("spawn a test thread");
                (m, run)
            })
            .collect();
        runs.into_iter()
            .filter_map(|(m, run)| run.join().is_err().then_some(m))
            .collect()
    });
    assert!(
        failed.is_empty(),
        "failed with {failed:?} (each one's panic is printed above)"
    );
}

/// A temporary ServerRoot with `htdocs/` and `logs/`.
pub struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    /// A fresh root.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mapache-test-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir_all(dir.path().join("htdocs")).unwrap();
        std::fs::create_dir_all(dir.path().join("logs")).unwrap();
        Root { dir }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file under the root (parents created).
    pub fn write(&self, rel: &str, data: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        p
    }

    /// Writes `conf/httpd.conf` with the given body after a header: ServerRoot, Listen on a free
    /// loopback port, PidFile, DocumentRoot.
    pub fn config(&self, body: &str) -> PathBuf {
        let text = format!(
            "ServerRoot \"{root}\"\nListen 127.0.0.1:0\nPidFile logs/mapache.pid\nDocumentRoot \"{root}/htdocs\"\n{body}\n",
            root = self.path().display()
        );
        self.write("conf/httpd.conf", text)
    }
}

impl Default for Root {
    fn default() -> Self {
        Self::new()
    }
}

/// The lines of the file at `path` once it has at least `n` (or what it has after 10 s): for
/// logs the server writes after it answered.
pub fn file_lines(path: &Path, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.len() >= n || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What a command printed and how it ended.
pub struct Output {
    /// Exit code (None: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs the binary with `args` to completion (for -t, -M, errors), at most 20 s.
pub fn run(args: &[&str]) -> Output {
    let mut child = Command::new(mapache_bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start mapache");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mapache {args:?} did not finish within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A running server. Dropping it stops it (TERM, then KILL of the whole process group).
pub struct Server {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `mapache -f <root>/conf/httpd.conf` plus `extra` arguments and waits until it
    /// listens (10 s at most).
    pub fn start(root: &Root, extra: &[&str]) -> Server {
        Self::start_with(root, extra, &[], |_| None)
    }

    /// As [`Server::start`], with environment variables for the server, and `find_addr`
    /// polled (every 20 ms, 10 s at most) for the address when the `listening on` line goes
    /// elsewhere than standard error (an ErrorLog file, syslog); it is given the standard
    /// error lines so far.
    pub fn start_with(
        root: &Root,
        extra: &[&str],
        env: &[(&str, &str)],
        mut find_addr: impl FnMut(&[String]) -> Option<String>,
    ) -> Server {
        use std::os::unix::process::CommandExt;
        let conf = root.path().join("conf/httpd.conf");
        let mut cmd = Command::new(mapache_bin());
        cmd.arg("-f")
            .arg(&conf)
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // Its own process group, so Drop can stop the master and every child at once.
        cmd.process_group(0);
        let mut child = cmd.spawn().expect("start mapache");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut server = Server {
            child,
            addr: "127.0.0.1:1".parse().unwrap(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let lines = server.log_lines();
            let found = lines
                .iter()
                .find_map(|l| l.split("listening on ").nth(1).map(|a| a.trim().to_owned()))
                .or_else(|| find_addr(&lines));
            if let Some(addr) = found {
                server.addr = addr.parse().expect("listen address");
                return server;
            }
            if Instant::now() > deadline || server.child.try_wait().ok().flatten().is_some() {
                panic!(
                    "server did not start listening; its log:\n{}",
                    server.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The master's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote to standard error (its error log) so far.
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits up to `secs` for a log line containing `needle`.
    pub fn wait_log(&self, needle: &str, secs: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if self.log_text().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The error-log lines so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// How many lines the log has now: a mark for [`Server::log_since`].
    pub fn log_mark(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// The lines logged since `mark`.
    pub fn log_since(&self, mark: usize) -> Vec<String> {
        self.log.lock().unwrap().get(mark..).unwrap_or(&[]).to_vec()
    }

    /// How many lines contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Waits up to `secs` for a line containing `needle` logged after `mark`; returns it.
    pub fn wait_log_since(&self, mark: usize, needle: &str, secs: u64) -> Option<String> {
        let mut found = None;
        wait_until(Duration::from_secs(secs), || {
            found = self
                .log_since(mark)
                .into_iter()
                .find(|l| l.contains(needle));
            found.is_some()
        });
        found
    }

    /// Waits up to `secs` for the MPM's line announcing generation `n` (`generation 0` at the
    /// first start, one more per restart).
    pub fn wait_generation(&self, n: u32, secs: u64) -> bool {
        let word = format!("generation {n}");
        wait_until(Duration::from_secs(secs), || {
            self.log.lock().unwrap().iter().any(|l| {
                // "generation 1" must not match "generation 12".
                l.match_indices(&word)
                    .any(|(i, _)| !l[i + word.len()..].starts_with(|c: char| c.is_ascii_digit()))
            })
        })
    }

    /// Waits until the log shows a restart: the line `announced.1` after log mark `announced.0`
    /// (10 s at most), when given, then "generation `gen`" (15 s at most). Panics naming `what`,
    /// with the log, when either is missing.
    pub fn expect_restart(&self, announced: Option<(usize, &str)>, gen: u32, what: &str) {
        if let Some((mark, line)) = announced {
            assert!(
                self.wait_log_since(mark, line, 10).is_some(),
                "{what}: no '{line}'; log:\n{}",
                self.log_text()
            );
        }
        assert!(
            self.wait_generation(gen, 15),
            "{what}: no 'generation {gen}' line; log:\n{}",
            self.log_text()
        );
    }

    /// The master's child processes now.
    pub fn children(&self) -> Vec<u32> {
        children_of(self.pid())
    }

    /// Waits up to 10 s until the master has forked at least one child: its MPM runs, with its
    /// signal handlers in place. Returns the children.
    pub fn wait_ready(&self) -> Vec<u32> {
        let mut kids = Vec::new();
        wait_until(Duration::from_secs(10), || {
            kids = self.children();
            !kids.is_empty()
        });
        assert!(
            !kids.is_empty(),
            "the MPM forked no child; log:\n{}",
            self.log_text()
        );
        kids
    }

    /// Sends `sig` to the master.
    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.pid() as i32, sig) };
    }

    /// Waits up to `timeout` for the master to exit; its status, or `None` if it still runs.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut status = None;
        wait_until(timeout, || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        status
    }

    /// A new connection with a 10 s read timeout.
    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    /// Sends `raw`, half-closes, and reads until the server closes.
    pub fn exchange(&self, raw: &[u8]) -> Vec<u8> {
        let mut s = self.connect();
        s.write_all(raw).unwrap();
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        out
    }

    /// One GET, parsed.
    pub fn get(&self, path: &str) -> Response {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        parse_responses(&self.exchange(raw.as_bytes()), false)
            .into_iter()
            .next()
            .expect("a response")
    }

    /// Sends SIGTERM and waits up to `secs` for the master to exit; returns its exit code.
    pub fn stop(mut self, secs: u64) -> Option<i32> {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "server did not stop within {secs} s after SIGTERM; log:\n{}",
            self.log_text()
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        if self.child.try_wait().ok().flatten().is_none() {
            // SAFETY: signalling our own process group.
            unsafe { libc::kill(-pgid, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && self.child.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // Whatever is left of the group (children included) goes now.
        // SAFETY: as above.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The system calls in `filter` (strace's `-e trace=` list) that the server's processes (the
/// master with the children it forks later, and the children serving now) make while `f`
/// runs, as strace prints them (file descriptors with their paths, `-y`). None when strace is
/// missing or cannot attach: callers skip their check then.
pub fn trace_syscalls(s: &Server, dir: &Path, filter: &str, f: impl FnOnce()) -> Option<String> {
    let out = dir.join("strace.txt");
    let mut args = vec![
        "-f".to_owned(),
        "-y".to_owned(),
        "-e".to_owned(),
        format!("trace={filter}"),
        "-o".to_owned(),
        out.to_str().unwrap().to_owned(),
    ];
    let pids: Vec<u32> = std::iter::once(s.pid()).chain(s.wait_ready()).collect();
    for pid in &pids {
        args.push("-p".to_owned());
        args.push(pid.to_string());
    }
    let mut strace = Command::new("strace")
        .args(&args)
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    // strace says "Process N attached" for each; wait (10 s at most) for all of them.
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = strace.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("attached") && tx.send(()).is_err() {
                return;
            }
        }
    });
    for _ in &pids {
        if rx.recv_timeout(Duration::from_secs(10)).is_err() {
            let _ = strace.kill();
            let _ = strace.wait();
            return None;
        }
    }
    f();
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: interrupting the strace started here; it detaches and exits.
    unsafe { libc::kill(strace.id() as i32, libc::SIGINT) };
    let _ = strace.wait();
    Some(std::fs::read_to_string(&out).unwrap_or_default())
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header fields in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// First header of that name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parses every response in `raw` (pipelined ones included). `head_only`: the responses answer
/// HEAD requests, so they have no body whatever their headers say.
pub fn parse_responses(raw: &[u8], head_only: bool) -> Vec<Response> {
    let mut out = Vec::new();
    let mut rest = raw;
    while let Some(end) = find(rest, b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&rest[..end]).into_owned();
        rest = &rest[end + 4..];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let mut resp = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if status == 100 {
            continue;
        }
        let no_body = head_only || status == 204 || status == 304;
        if no_body {
        } else if resp
            .header("Transfer-Encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            while let Some(le) = find(rest, b"\r\n") {
                let size_text = String::from_utf8_lossy(&rest[..le]).into_owned();
                let size =
                    usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                        .unwrap_or(0);
                rest = &rest[le + 2..];
                if size == 0 {
                    if let Some(t) = find(rest, b"\r\n") {
                        rest = &rest[t + 2..];
                    }
                    break;
                }
                let take = size.min(rest.len());
                resp.body.extend_from_slice(&rest[..take]);
                rest = &rest[(take + 2).min(rest.len())..];
            }
        } else if let Some(len) = resp
            .header("Content-Length")
            .and_then(|v| v.parse::<usize>().ok())
        {
            let take = len.min(rest.len());
            resp.body = rest[..take].to_vec();
            rest = &rest[take..];
        } else {
            resp.body = rest.to_vec();
            rest = &[];
        }
        out.push(resp);
    }
    out
}
