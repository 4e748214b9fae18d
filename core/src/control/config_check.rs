//! The configuration check before a restart (the host's `config_check`): runs `mapache -t` with
//! the server's command line, as the restart would run, with the binary and module files now on
//! disk, and says in one line why it failed. Apache checks nothing before a `kill -USR1`, so a
//! broken configuration takes the whole server down; an MPM that asks first keeps serving.
//!
//! A separate process rather than a second reading in the master: loading the new module files
//! into a running master (and running their `init`) could change it, and `-t` is exactly what a
//! user would run by hand.

use crate::scoreboard;
use std::ffi::OsString;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A check that takes longer is stopped and reported.
pub const LIMIT: Duration = Duration::from_secs(30);
/// Standard error kept from the check (the reason is in its first lines).
const STDERR_KEPT: usize = 64 * 1024;

/// The variables a restart hands to the new process: the check must not take them for its own.
const NOT_INHERITED: [&str; 8] = [
    "LISTEN_PID",
    "LISTEN_FDS",
    "LISTEN_FDNAMES",
    "NOTIFY_SOCKET",
    scoreboard::ENV_BOARD,
    crate::metrics::ENV_METRICS,
    scoreboard::ENV_GENERATION,
    scoreboard::ENV_START_TIME,
];

/// Runs the check; `Err` is the one-line reason. Waits only for its own child (the MPM reaps the
/// others elsewhere).
pub fn run() -> Result<(), String> {
    check(&super::reexec::executable(), &super::reexec::args(), LIMIT)
}

/// Runs `exe args… -t` and waits at most `limit` for it.
fn check(exe: &Path, args: &[OsString], limit: Duration) -> Result<(), String> {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .arg("-t")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for v in NOT_INHERITED {
        cmd.env_remove(v);
    }
    super::start_unblocked(&mut cmd);
    let shown = format!("{} -t", exe.display());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not run the configuration check ({shown}): {e}"))?;
    let deadline = Instant::now() + limit;
    let stderr = match child.stderr.take() {
        Some(pipe) => read_until(pipe, deadline),
        None => Vec::new(),
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the configuration check ({shown}) did not finish within {} s and was stopped",
                    limit.as_secs_f64()
                ));
            }
            Err(e) => {
                return Err(format!(
                    "could not wait for the configuration check ({shown}): {e}"
                ))
            }
        }
    };
    if status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&stderr);
    Err(first_reason(&text).unwrap_or_else(|| format!("{shown} failed ({status})")))
}

/// Reads `pipe` until end of file or `deadline`, keeping the first [`STDERR_KEPT`] bytes.
fn read_until(mut pipe: impl Read + AsRawFd, deadline: Instant) -> Vec<u8> {
    let fd = pipe.as_raw_fd();
    // SAFETY: flags of a descriptor we own; reads then never block past the deadline.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let left = deadline.saturating_duration_since(Instant::now());
                match crate::serve::io::wait(fd, libc::POLLIN, left) {
                    Ok(()) => continue,
                    Err(_) => return out,
                }
            }
            Err(_) => return out,
        };
        if n == 0 {
            return out;
        }
        let keep = n.min(STDERR_KEPT.saturating_sub(out.len()));
        out.extend_from_slice(&buf[..keep]);
    }
}

/// The line that says why `mapache -t` failed: its own error (`mapache: …`, prefix removed),
/// else the first error-log line at level error or worse (its message), else the first line
/// that is not `Syntax OK`.
pub fn first_reason(stderr: &str) -> Option<String> {
    let lines = || stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    if let Some(own) = lines().find_map(|l| l.strip_prefix("mapache: ")) {
        return Some(own.trim().to_owned());
    }
    if let Some(msg) = lines().find_map(error_log_message) {
        return Some(msg.to_owned());
    }
    lines().find(|l| *l != "Syntax OK").map(str::to_owned)
}

/// The message of an error-log line (`[date] [module:level] [pid N] message`) at level error or
/// worse.
fn error_log_message(line: &str) -> Option<&str> {
    let mut rest = line;
    let mut level = None;
    while let Some(inner) = rest.strip_prefix('[') {
        let end = inner.find(']')?;
        let field = &inner[..end];
        if level.is_none() {
            level = field
                .rsplit_once(':')
                .and_then(|(_, l)| crate::logs::error_log::parse_level(l));
        }
        rest = inner[end + 1..].trim_start();
    }
    let level = level?;
    (level <= crate::logs::error_log::ERROR && !rest.is_empty()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_programs_own_error_wins() {
        let stderr = "[Mon Jan 01 00:00:00.000000 2026] [static:warn] [pid 12] something odd\n\
                      mapache: Syntax error on line 3 of /srv/conf/httpd.conf: Invalid command 'Lisen'\n";
        assert_eq!(
            first_reason(stderr).unwrap(),
            "Syntax error on line 3 of /srv/conf/httpd.conf: Invalid command 'Lisen'"
        );
    }

    #[test]
    fn else_an_error_log_line_at_error_or_worse() {
        let stderr = "[Mon Jan 01 00:00:00.000000 2026] [core:warn] [pid 12] a warning\n\
                      [Mon Jan 01 00:00:00.000000 2026] [hello:crit] [pid 12] the disk is gone\n";
        assert_eq!(first_reason(stderr).unwrap(), "the disk is gone");
    }

    #[test]
    fn else_the_first_line_that_says_something() {
        assert_eq!(
            first_reason("\n  \nthread 'main' panicked at x.rs:1:1\nmore\n").unwrap(),
            "thread 'main' panicked at x.rs:1:1"
        );
        assert_eq!(first_reason("Syntax OK\n"), None);
        assert_eq!(first_reason(""), None);
    }

    fn sh(script: &str, limit: Duration) -> Result<(), String> {
        // `sh -c script -t`: the script runs with `-t` as its $0.
        check(Path::new("/bin/sh"), &["-c".into(), script.into()], limit)
    }

    #[test]
    fn a_check_reports_its_first_reason_or_success() {
        assert_eq!(sh("echo 'Syntax OK' >&2; exit 0", LIMIT), Ok(()));
        assert_eq!(
            sh(
                "echo 'mapache: module hello_module failed to initialise: no greeting' >&2; exit 1",
                LIMIT
            ),
            Err("module hello_module failed to initialise: no greeting".to_owned())
        );
        let silent = sh("exit 3", LIMIT).unwrap_err();
        assert!(
            silent.contains("/bin/sh -t failed (exit status: 3)"),
            "{silent}"
        );
    }

    #[test]
    fn a_check_that_hangs_is_stopped() {
        let started = Instant::now();
        let err = sh("sleep 20", Duration::from_millis(300)).unwrap_err();
        assert!(err.contains("did not finish within 0.3 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
