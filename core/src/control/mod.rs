//! Process control from outside the server: the pid file and `-k`, detaching, systemd (socket activation and
//! readiness notification), dropping root privileges in children (User, Group), restarting in
//! place, and the configuration check an MPM runs before it restarts.

pub mod config_check;
pub mod dash_k;
pub mod detach;
pub mod pidfile;
pub mod privileges;
pub mod reexec;
pub mod systemd;

/// Makes a program the server starts (a piped log, the configuration check) begin with no signal
/// blocked, whatever the master holds blocked at that moment (control signals from startup on,
/// and across a re-exec).
pub fn start_unblocked(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure only calls pthread_sigmask, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn started_programs_have_no_signal_blocked() {
        use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow, Signal};
        let mut held = SigSet::empty();
        held.add(Signal::SIGUSR2);
        let mut before = SigSet::empty();
        pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&held), Some(&mut before)).unwrap();
        let mut cmd = std::process::Command::new("/bin/grep");
        cmd.args(["SigBlk", "/proc/self/status"]);
        let inherited = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        super::start_unblocked(&mut cmd);
        let started = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
        pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&before), None).unwrap();
        assert_ne!(
            inherited.trim(),
            "SigBlk:\t0000000000000000",
            "the mask is inherited"
        );
        assert_eq!(started.trim(), "SigBlk:\t0000000000000000");
    }
}
