//! Restarting in place: the master re-executes its own binary (same PID, so systemd and the pid
//! file keep pointing at it, and new module files and a new binary are picked up).
//!
//! What crosses the exec, and nothing else: the listeners (systemd's `LISTEN_FDS` protocol, fds
//! 3…, so the new process matches them to its Listen lines again), the generation and start time
//! (environment), and for a graceful restart the scoreboard and the metric area (their memory
//! files right after the listeners, `MAPACHE_SCOREBOARD`, `MAPACHE_METRICS`), in which the old generation's children keep working. Every
//! other descriptor is made close-on-exec first, so no log pipe or MPM descriptor leaks into the
//! new process. Control signals are held pending across the exec: the new master's MPM handles
//! what arrived meanwhile.

use crate::control::systemd::{self, REEXEC_NAME};
use crate::listen::ListenerOrigin;
use crate::logs::error_log;
use crate::scoreboard;
use std::ffi::OsString;
use std::os::fd::RawFd;
use std::path::PathBuf;

/// The command line for a re-exec: the same, less `-k` (the new process simply starts; the pid
/// file it would check names itself).
pub fn args() -> Vec<OsString> {
    let mut out = Vec::new();
    let mut skip_next = false;
    for a in std::env::args_os().skip(1) {
        if skip_next {
            skip_next = false;
        } else if a == "-k" {
            skip_next = true;
        } else if !a.as_encoded_bytes().starts_with(b"-k") {
            out.push(a);
        }
    }
    out
}

/// The binary now on disk at the path this process was started from. After an upgrade replaced
/// the file, the kernel names ours `… (deleted)`; the path is still where the new one is.
pub fn executable() -> PathBuf {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    match std::env::current_exe() {
        Ok(p) => match p.as_os_str().as_bytes().strip_suffix(b" (deleted)") {
            Some(cut) => PathBuf::from(OsString::from_vec(cut.to_vec())),
            None => p,
        },
        Err(_) => PathBuf::from("mapache"),
    }
}

/// Re-executes the server for a restart, `graceful` or full. Returns only if exec failed (the
/// exit status then).
pub fn reexec(graceful: bool) -> i32 {
    use std::os::unix::process::CommandExt;
    error_log::log(
        "core",
        error_log::NOTICE,
        None,
        if graceful {
            "graceful restart: re-executing the server; the old children finish their connections"
        } else {
            "restarting: re-executing the server"
        },
    );
    crate::startup::block_control_signals();
    let listeners: Vec<(&str, RawFd)> = crate::listen::handed()
        .iter()
        .map(|l| match &l.origin {
            ListenerOrigin::Bound => (REEXEC_NAME, l.fd),
            ListenerOrigin::Inherited(name) => (name.as_str(), l.fd),
        })
        .collect();
    let carry = scoreboard::carry(graceful);
    let handed: Vec<(&str, RawFd)> = [
        (scoreboard::ENV_BOARD, carry.board_fd),
        (crate::metrics::ENV_METRICS, carry.metrics_fd),
    ]
    .into_iter()
    .filter_map(|(var, fd)| Some((var, fd?)))
    .collect();
    let extra: Vec<RawFd> = handed.iter().map(|&(_, fd)| fd).collect();
    let keep_below = match systemd::pass_on_exec(&listeners, &extra) {
        Ok(next) => {
            // The extra descriptors lie right below `next`, in order.
            let base = next - handed.len() as RawFd;
            for (i, (var, _)) in handed.iter().enumerate() {
                std::env::set_var(var, (base + i as RawFd).to_string());
            }
            next
        }
        Err(e) => {
            error_log::log(
                "core",
                error_log::WARN,
                None,
                &format!("could not pass the listeners on; the new process binds them again: {e}"),
            );
            3
        }
    };
    std::env::set_var(scoreboard::ENV_GENERATION, carry.generation.to_string());
    std::env::set_var(scoreboard::ENV_START_TIME, carry.start_time_us.to_string());
    close_on_exec_from(keep_below);
    let exe = executable();
    let err = std::process::Command::new(&exe).args(args()).exec();
    // The error log's descriptor may have been reused for a listener above: say it on stderr too.
    let msg = format!(
        "restart failed: could not re-execute {}: {err}",
        exe.display()
    );
    eprintln!("mapache: {msg}");
    error_log::log("core", error_log::EMERG, None, &msg);
    1
}

/// Marks every descriptor from `first` on close-on-exec.
fn close_on_exec_from(first: RawFd) {
    // SAFETY: close_range(2) with CLOSE_RANGE_CLOEXEC only changes descriptor flags.
    let done = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    } == 0;
    if done {
        return;
    }
    // Kernels before 5.11: one by one, as /proc lists them.
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for fd in dir
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<RawFd>().ok()))
        .filter(|&fd| fd >= first)
    {
        // SAFETY: only sets a descriptor flag (EBADF for the directory's own, now closed, fd).
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_past_the_kept_ones_become_close_on_exec() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        use std::os::fd::AsRawFd;
        let (fa, fb) = (a.as_raw_fd(), b.as_raw_fd());
        let lo = fa.min(fb);
        let hi = fa.max(fb);
        // SAFETY: flags of our own descriptors.
        unsafe {
            libc::fcntl(lo, libc::F_SETFD, 0);
            libc::fcntl(hi, libc::F_SETFD, 0);
        }
        close_on_exec_from(hi);
        // SAFETY: as above.
        let flags = |fd| unsafe { libc::fcntl(fd, libc::F_GETFD) };
        assert_eq!(flags(hi) & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
        assert_eq!(
            flags(lo) & libc::FD_CLOEXEC,
            0,
            "below the range: untouched"
        );
    }

    #[test]
    fn the_executable_is_the_file_on_disk() {
        let exe = executable();
        assert!(exe.is_absolute() && !exe.to_string_lossy().ends_with(" (deleted)"));
    }
}
