//! `-k`: Apache's `ap_signal_server`. The configuration has been read in full (so a syntax error
//! has already stopped us); the pid file says whether a master runs; the command either signals
//! it and exits, or goes on to start a server in this process. A plain run without `-k` is
//! checked like `-k start`, as Apache does, so a second server does not fight the first one.

use super::pidfile::{self, Master};
use crate::cli::KCommand;
use std::path::Path;

/// What to do after `-k` has been handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Exit with this status (0 when a signal was sent or a stop found nothing to stop, 1
    /// otherwise, as Apache).
    Exit(i32),
    /// Start the server (detached for a `-k` command, see `control::detach`).
    Start,
}

/// The signal each command sends to a running master.
pub fn signal_of(cmd: KCommand) -> Option<libc::c_int> {
    match cmd {
        KCommand::Start => None,
        KCommand::Stop => Some(libc::SIGTERM),
        KCommand::Restart => Some(libc::SIGHUP),
        KCommand::Graceful => Some(libc::SIGUSR1),
        KCommand::GracefulStop => Some(libc::SIGWINCH),
    }
}

/// Handles `-k cmd` (None: a plain run) against the master named by `pid_file`. Messages go to
/// standard output in Apache's words (`program` stands for `httpd`); errors to standard error.
pub fn handle(program: &str, cmd: Option<KCommand>, pid_file: &Path) -> Next {
    let master = match pidfile::inspect(pid_file) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{program}: {e}");
            return Next::Exit(1);
        }
    };
    let status = match master {
        Master::NoPidFile => format!("{program} (no pid file) not running"),
        Master::Running(pid) => format!("{program} (pid {pid}) already running"),
        Master::Stale(pid) => format!("{program} (pid {pid}?) not running"),
    };
    let cmd = cmd.unwrap_or(KCommand::Start);
    match (cmd, master) {
        (KCommand::Start, Master::Running(_)) => {
            println!("{status}");
            Next::Exit(1)
        }
        // A stale pid file is overwritten at startup, with Apache's warning in the error log.
        (KCommand::Start, _) => Next::Start,
        (KCommand::Stop | KCommand::GracefulStop, Master::NoPidFile | Master::Stale(_)) => {
            println!("{status}");
            if matches!(master, Master::Stale(_)) {
                // Checked above to name no live mapache: removing it spares the next start
                // the unclean-shutdown warning.
                let _ = std::fs::remove_file(pid_file);
            }
            // Nothing to stop is no failure (Apache's status, and LSB's for a stopped service).
            Next::Exit(0)
        }
        (KCommand::Restart | KCommand::Graceful, Master::NoPidFile | Master::Stale(_)) => {
            println!("{program} not running, trying to start");
            Next::Start
        }
        (_, Master::Running(pid)) => {
            let sig = signal_of(cmd).unwrap_or(libc::SIGTERM);
            // SAFETY: kill(2) with a pid checked to be a live mapache master.
            if unsafe { libc::kill(pid, sig) } == 0 {
                Next::Exit(0)
            } else {
                let e = std::io::Error::last_os_error();
                eprintln!(
                    "{program}: sending signal to server (pid {pid}, -k {}): {e}",
                    cmd.name()
                );
                Next::Exit(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_master() {
        let p = std::env::temp_dir().join(format!("mapache-dashk-{}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        assert_eq!(handle("m", Some(KCommand::Stop), &p), Next::Exit(0));
        assert_eq!(handle("m", Some(KCommand::GracefulStop), &p), Next::Exit(0));
        assert_eq!(handle("m", Some(KCommand::Graceful), &p), Next::Start);
        assert_eq!(handle("m", Some(KCommand::Start), &p), Next::Start);
        assert_eq!(handle("m", None, &p), Next::Start);
        // A stale file (pid 1 is not mapache) is removed by stop.
        std::fs::write(&p, "1\n").unwrap();
        assert_eq!(handle("m", Some(KCommand::Start), &p), Next::Start);
        assert_eq!(handle("m", Some(KCommand::Stop), &p), Next::Exit(0));
        assert!(!p.exists());
    }
}
