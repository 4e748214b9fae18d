//! How a child ended, in Apache's words, and the verdict on a first batch that cannot start.

use nix::unistd::Pid;
use std::ffi::CStr;

/// Exit status of a child whose `child_init` failed (the ABI's rule; nothing else uses it).
pub const EXIT_INIT_FAILED: i32 = 1;
/// Exit status of a child that met an error it cannot serve through (logged before exiting).
pub const EXIT_FATAL: i32 = 2;

/// How a child ended, decoded from a waitpid(2) status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildExit {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it.
    Signaled {
        /// The signal number.
        signal: i32,
        /// The kernel wrote a core dump.
        core_dumped: bool,
    },
}

impl ChildExit {
    /// `None` for a stop or continue report, which says nothing about an end.
    pub fn from_wait_status(status: libc::c_int) -> Option<ChildExit> {
        if libc::WIFEXITED(status) {
            Some(ChildExit::Exited(libc::WEXITSTATUS(status)))
        } else if libc::WIFSIGNALED(status) {
            Some(ChildExit::Signaled {
                signal: libc::WTERMSIG(status),
                core_dumped: libc::WCOREDUMP(status),
            })
        } else {
            None
        }
    }

    /// A clean end: status 0 (recycled, or asked to stop).
    pub fn is_clean(self) -> bool {
        self == ChildExit::Exited(0)
    }

    /// An end of the child's own making: an error status, or a signal it brought on itself (a
    /// fault, an abort, a resource limit). The signals people and supervisors stop processes
    /// with (KILL, TERM, INT, HUP, QUIT; the OOM killer's KILL too) are not crashes: a child
    /// killed from outside says nothing about the next one, so it is no reason to back off.
    pub fn is_crash(self) -> bool {
        match self {
            ChildExit::Exited(status) => status != 0,
            ChildExit::Signaled { signal, .. } => !matches!(
                signal,
                libc::SIGKILL | libc::SIGTERM | libc::SIGINT | libc::SIGHUP | libc::SIGQUIT
            ),
        }
    }

    /// The error-log line for an end worth reporting, in Apache's words; `None` for a clean exit
    /// and for the signals the master sent itself (`sent_by_master`).
    pub fn describe(self, pid: Pid, sent_by_master: bool) -> Option<String> {
        match self {
            ChildExit::Exited(0) => None,
            ChildExit::Exited(status) => Some(format!("child pid {pid} exit status {status}")),
            ChildExit::Signaled { signal, .. }
                if sent_by_master && (signal == libc::SIGTERM || signal == libc::SIGKILL) =>
            {
                None
            }
            ChildExit::Signaled {
                signal,
                core_dumped,
            } => Some(format!(
                "child pid {pid} exit signal {} ({signal}){}",
                signal_description(signal),
                if core_dumped {
                    ", possible coredump"
                } else {
                    ""
                }
            )),
        }
    }
}

/// The C library's description of a signal, e.g. `Segmentation fault`.
fn signal_description(signal: i32) -> String {
    // SAFETY: strsignal returns a NUL-terminated string that stays valid until the next call; it
    // is copied at once, and the master is single-threaded.
    let text = unsafe { libc::strsignal(signal) };
    if text.is_null() {
        return format!("signal {signal}");
    }
    // SAFETY: as above.
    unsafe { CStr::from_ptr(text) }
        .to_string_lossy()
        .into_owned()
}

/// Tells a child that cannot start from a server that cannot start: when every child of the first
/// batch exits with status 1 (`child_init` failed) before the first maintenance tick, the server
/// stops rather than fork replacements that would fail alike. Until then no slot is refilled.
#[derive(Debug)]
pub struct StartupWatch {
    /// First-batch children not reaped yet.
    pending: Vec<Pid>,
    size: usize,
    failed: usize,
    armed: bool,
}

impl StartupWatch {
    /// Watches `first_batch`; an empty batch (every fork failed) is not watched.
    pub fn new(first_batch: Vec<Pid>) -> StartupWatch {
        StartupWatch {
            size: first_batch.len(),
            armed: !first_batch.is_empty(),
            pending: first_batch,
            failed: 0,
        }
    }

    /// Slots freed while armed wait for the verdict.
    pub fn holds_respawns(&self) -> bool {
        self.armed
    }

    /// The first tick: children still alive have made it past `child_init`, or are slow at it.
    pub fn expire(&mut self) {
        self.armed = false;
    }

    /// Records a reaped child; `true` when it was the last of a first batch that all failed.
    pub fn record(&mut self, pid: Pid, exit: ChildExit) -> bool {
        if !self.armed {
            return false;
        }
        let Some(i) = self.pending.iter().position(|p| *p == pid) else {
            return false;
        };
        self.pending.swap_remove(i);
        if exit == ChildExit::Exited(EXIT_INIT_FAILED) {
            self.failed += 1;
            self.failed == self.size
        } else {
            self.armed = false;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(n: i32) -> Pid {
        Pid::from_raw(n)
    }

    #[test]
    fn exit_lines_use_apaches_words() {
        let segv = ChildExit::Signaled {
            signal: libc::SIGSEGV,
            core_dumped: false,
        };
        assert_eq!(
            segv.describe(pid(1234), false).unwrap(),
            "child pid 1234 exit signal Segmentation fault (11)"
        );
        let dumped = ChildExit::Signaled {
            signal: libc::SIGABRT,
            core_dumped: true,
        };
        assert_eq!(
            dumped.describe(pid(7), true).unwrap(),
            "child pid 7 exit signal Aborted (6), possible coredump"
        );
        assert_eq!(
            ChildExit::Exited(3).describe(pid(1234), false).unwrap(),
            "child pid 1234 exit status 3"
        );
        assert_eq!(ChildExit::Exited(0).describe(pid(1), false), None);
    }

    #[test]
    fn the_masters_own_kills_are_not_reported() {
        for signal in [libc::SIGTERM, libc::SIGKILL] {
            let exit = ChildExit::Signaled {
                signal,
                core_dumped: false,
            };
            assert_eq!(exit.describe(pid(1), true), None);
            assert!(exit.describe(pid(1), false).is_some());
        }
    }

    #[test]
    fn crashes_are_told_from_kills_from_outside() {
        let by = |signal| ChildExit::Signaled {
            signal,
            core_dumped: false,
        };
        for signal in [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGABRT,
            libc::SIGFPE,
            libc::SIGILL,
        ] {
            assert!(by(signal).is_crash(), "{signal}");
        }
        for signal in [
            libc::SIGKILL,
            libc::SIGTERM,
            libc::SIGINT,
            libc::SIGHUP,
            libc::SIGQUIT,
        ] {
            assert!(!by(signal).is_crash(), "{signal}");
        }
        assert!(ChildExit::Exited(EXIT_FATAL).is_crash());
        assert!(ChildExit::Exited(EXIT_INIT_FAILED).is_crash());
        assert!(!ChildExit::Exited(0).is_crash());
    }

    #[test]
    fn wait_statuses_are_decoded() {
        // Encodings as Linux builds them: exit status in the second byte, signal in the low bits,
        // 0x80 for a core dump, 0x7f for a stopped child.
        assert_eq!(
            ChildExit::from_wait_status(3 << 8),
            Some(ChildExit::Exited(3))
        );
        assert_eq!(
            ChildExit::from_wait_status(libc::SIGSEGV | 0x80),
            Some(ChildExit::Signaled {
                signal: libc::SIGSEGV,
                core_dumped: true
            })
        );
        assert_eq!(
            ChildExit::from_wait_status((libc::SIGSTOP << 8) | 0x7f),
            None
        );
    }

    #[test]
    fn startup_fails_when_every_first_child_fails_to_initialize() {
        let mut w = StartupWatch::new(vec![pid(1), pid(2), pid(3)]);
        assert!(w.holds_respawns());
        assert!(!w.record(pid(2), ChildExit::Exited(EXIT_INIT_FAILED)));
        assert!(!w.record(pid(99), ChildExit::Exited(EXIT_INIT_FAILED)));
        assert!(!w.record(pid(1), ChildExit::Exited(EXIT_INIT_FAILED)));
        assert!(w.record(pid(3), ChildExit::Exited(EXIT_INIT_FAILED)));
    }

    #[test]
    fn startup_is_fine_when_one_first_child_ends_otherwise() {
        let mut w = StartupWatch::new(vec![pid(1), pid(2)]);
        assert!(!w.record(pid(1), ChildExit::Exited(EXIT_INIT_FAILED)));
        assert!(!w.record(
            pid(2),
            ChildExit::Signaled {
                signal: libc::SIGSEGV,
                core_dumped: false
            }
        ));
        assert!(!w.holds_respawns());
    }

    #[test]
    fn startup_watch_ends_at_the_first_tick() {
        let mut w = StartupWatch::new(vec![pid(1), pid(2)]);
        assert!(!w.record(pid(1), ChildExit::Exited(EXIT_INIT_FAILED)));
        w.expire();
        assert!(!w.holds_respawns());
        assert!(!w.record(pid(2), ChildExit::Exited(EXIT_INIT_FAILED)));
    }

    #[test]
    fn an_empty_first_batch_is_not_watched() {
        let w = StartupWatch::new(Vec::new());
        assert!(!w.holds_respawns());
    }
}
