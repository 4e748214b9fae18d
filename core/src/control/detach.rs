//! Detaching: `-k start` (and `-k restart`/`-k graceful` finding no server) puts the server in
//! the background as Apache's does, and the command returns once it serves.
//!
//! Better than Apache, whose command returns before the daemon has bound anything: the command
//! waits until the daemon has bound its listeners and written its pid file, relays what the
//! daemon says on standard error meanwhile, and exits 1 when the daemon fails to start, after
//! its message. The daemon's standard error is a pipe to the command until then, so every
//! failure path of startup reaches the user unchanged; then /dev/null, as Apache's (a daemon
//! holding the terminal's or an ssh session's standard error would keep them open). Without an
//! ErrorLog line a daemon logs to Apache's default, [`DEFAULT_ERROR_LOG`].
//!
//! It stays in the foreground with `-DFOREGROUND`, `-X`, under systemd (`NOTIFY_SOCKET`, or
//! sockets passed by socket activation) and for a plain run without `-k`.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// The error log of a daemon whose configuration names none (under ServerRoot), as Apache's.
pub const DEFAULT_ERROR_LOG: &str = "logs/error_log";

/// Set in a daemon's environment, so the image a restart re-executes (which runs without `-k`
/// and stays where it is) still knows it is one.
const ENV_DAEMON: &str = "MAPACHE_DAEMON";

/// The line the daemon writes on the pipe once it serves; no message starts with a NUL.
const READY: &str = "\0mapache-ready";

/// In the daemon until it is ready: the descriptor its standard error becomes then
/// (/dev/null); -1 otherwise.
static AFTER_READY: AtomicI32 = AtomicI32::new(-1);

/// Whether this start detaches: a `-k` command is starting the server, and nothing asks for
/// the foreground.
pub fn wanted(args: &crate::cli::Args, socket_activated: bool) -> bool {
    args.signal.is_some()
        && !args.one_process
        && !args.defines.iter().any(|d| d == "FOREGROUND")
        && std::env::var_os("NOTIFY_SOCKET").is_none()
        && !socket_activated
}

/// What [`detach`] left this process to do.
pub enum Role {
    /// The command: exit with this status (the daemon serves, or said why it did not).
    Exit(i32),
    /// The daemon: go on starting; call [`ready`] once serving.
    Daemon,
}

/// Forks the daemon (a new session, standard input and output on /dev/null, standard error a
/// pipe to the command until [`ready`], /dev/null after). The command waits for the daemon's
/// word. Called single-threaded, before anything is bound or opened.
pub fn detach(program: &str) -> Role {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: a valid out-array of two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        eprintln!(
            "{program}: could not detach (pipe): {}",
            std::io::Error::last_os_error()
        );
        return Role::Exit(1);
    }
    let (read, write) = (fds[0], fds[1]);
    let _ = std::io::stderr().flush();
    let _ = std::io::stdout().flush();
    // SAFETY: the process is single-threaded here; both sides go on with plain Rust.
    match unsafe { libc::fork() } {
        -1 => {
            eprintln!(
                "{program}: could not detach (fork): {}",
                std::io::Error::last_os_error()
            );
            Role::Exit(1)
        }
        0 => {
            // SAFETY: descriptors we own; setsid in a child, which is no group leader.
            unsafe {
                libc::close(read);
                libc::setsid();
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
                let after = libc::fcntl(null, libc::F_DUPFD_CLOEXEC, 3);
                AFTER_READY.store(after, Ordering::Relaxed);
                libc::dup2(null, 0);
                libc::dup2(null, 1);
                libc::dup2(write, 2);
                libc::close(null);
                libc::close(write);
            }
            // Edition 2021: safe; the process is single-threaded here.
            std::env::set_var(ENV_DAEMON, "1");
            Role::Daemon
        }
        daemon => {
            // SAFETY: our copy of the write end; the daemon holds the other.
            unsafe { libc::close(write) };
            Role::Exit(wait_for(program, read, daemon))
        }
    }
}

/// The command's side: relays the daemon's lines until it is ready (0) or has gone (1).
fn wait_for(program: &str, read: RawFd, daemon: libc::pid_t) -> i32 {
    // SAFETY: the read end is ours alone.
    let pipe = unsafe { std::fs::File::from_raw_fd(read) };
    let mut said_something = false;
    let mut stderr = std::io::stderr();
    for line in BufReader::new(pipe).split(b'\n') {
        let Ok(line) = line else { break };
        if line == READY.as_bytes() {
            return 0;
        }
        said_something = true;
        let _ = stderr.write_all(&line);
        let _ = stderr.write_all(b"\n");
    }
    // The daemon closed its standard error without being ready: it exited (or closed it).
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let reaped = unsafe { libc::waitpid(daemon, &mut status, 0) } == daemon;
    if !said_something {
        let how = if reaped && libc::WIFEXITED(status) {
            format!("exit status {}", libc::WEXITSTATUS(status))
        } else if reaped && libc::WIFSIGNALED(status) {
            format!("signal {}", libc::WTERMSIG(status))
        } else {
            "no word".to_owned()
        };
        eprintln!("{program}: the server did not start ({how}); see its error log");
    }
    1
}

/// Whether this process is a detached daemon (forked by [`detach`], or re-executed from one).
pub fn is_daemon() -> bool {
    std::env::var_os(ENV_DAEMON).is_some()
}

/// Whether this process's standard error is still the pipe to the starting command (a daemon
/// not yet serving): a program started now must not inherit it, or its writes would fail once
/// the command has exited.
pub fn stderr_is_the_command() -> bool {
    AFTER_READY.load(Ordering::Relaxed) >= 0
}

/// In a detached daemon, once it serves (listeners bound, pid file written): tells the command,
/// and moves standard error off the pipe. A no-op otherwise.
pub fn ready() {
    let after = AFTER_READY.swap(-1, Ordering::Relaxed);
    if after < 0 {
        return;
    }
    let _ = std::io::stderr().write_all(format!("{READY}\n").as_bytes());
    // SAFETY: descriptors we own; fd 2 is replaced atomically.
    unsafe {
        libc::dup2(after, 2);
        libc::close(after);
    }
}
