//! What a log's failed writes leave in the error log: one line at the first failure (Apache's
//! AH00646 wording with the system's error), then at most one a minute while writes keep
//! failing, with the count of lines lost, and one line when a write succeeds again.
//!
//! The state is per log and per process (each child counts its own losses; threads share it), in
//! atomics: a successful write reads one word and allocates nothing.

use std::io;
use std::sync::atomic::{
    AtomicU64,
    Ordering::{Relaxed, SeqCst},
};

/// Seconds between two reports while writes keep failing.
pub const REPORT_EVERY_SECS: u64 = 60;

/// The top bit of [`WriteFailures::state`]: the last write failed.
const FAILING: u64 = 1 << 63;

/// One log's failures in this process.
pub struct WriteFailures {
    /// [`FAILING`], and the lines lost since the first failure of this run of failures: one
    /// word, so each lost line is counted in exactly one run whatever the threads do.
    state: AtomicU64,
    /// When the last report of this run of failures was written, monotonic seconds plus one;
    /// 0 while the run's first report is still being written (by the thread that started the
    /// run), so no other thread takes it for an old report.
    reported_at: AtomicU64,
}

impl Default for WriteFailures {
    fn default() -> Self {
        Self::new()
    }
}

impl WriteFailures {
    /// No failure yet.
    pub const fn new() -> Self {
        WriteFailures {
            state: AtomicU64::new(0),
            reported_at: AtomicU64::new(0),
        }
    }

    /// A line for `name` could not be written at `now` (monotonic seconds): the error-log
    /// message to write, when one is due.
    pub fn failed(&self, name: &str, err: &io::Error, now: u64) -> Option<String> {
        let previous = self
            .state
            .fetch_update(Relaxed, Relaxed, |s| Some((s | FAILING) + 1))
            .unwrap_or_else(|s| s);
        let lost = (previous & !FAILING) + 1;
        let first = format!("{}: AH00646: Error writing to {name}", os_error(err));
        let stamp = now + 1;
        if previous & FAILING == 0 {
            self.reported_at.store(stamp, SeqCst);
            return Some(first);
        }
        let last = self.reported_at.load(SeqCst);
        let due = last != 0
            && stamp >= last.saturating_add(REPORT_EVERY_SECS)
            && self
                .reported_at
                .compare_exchange(last, stamp, SeqCst, Relaxed)
                .is_ok();
        due.then(|| format!("{first}; {} lost so far", lines(lost, "access log line")))
    }

    /// A line for `name` was written: the message saying so when the writes before it failed.
    pub fn succeeded(&self, name: &str) -> Option<String> {
        if self.state.load(Relaxed) & FAILING == 0 {
            return None;
        }
        // Before the run ends: a new run's first report is then the only one that sets it.
        self.reported_at.store(0, SeqCst);
        let previous = self.state.swap(0, SeqCst);
        (previous & FAILING != 0).then(|| {
            let lost = previous & !FAILING;
            let verb = if lost == 1 { "was" } else { "were" };
            format!(
                "access log {name} works again; {} {verb} lost",
                lines(lost, "line")
            )
        })
    }
}

/// `1 line`, `2 lines`.
fn lines(n: u64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// Apache's shape for an OS error: `(28)No space left on device`.
fn os_error(err: &io::Error) -> String {
    let text = err.to_string();
    match err.raw_os_error() {
        Some(code) => {
            let words = text.rfind(" (os error ").map_or(&*text, |at| &text[..at]);
            format!("({code}){words}")
        }
        None => text,
    }
}

/// Monotonic seconds (a coarse clock: only the failure path reads it).
pub fn now_secs() -> u64 {
    // SAFETY: clock_gettime writes into the timespec we own.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    ts.tv_sec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enospc() -> io::Error {
        io::Error::from_raw_os_error(libc::ENOSPC)
    }

    #[test]
    fn first_failure_is_reported_with_apaches_words() {
        let f = WriteFailures::new();
        assert_eq!(
            f.failed("/var/log/access.log", &enospc(), 1000).as_deref(),
            Some("(28)No space left on device: AH00646: Error writing to /var/log/access.log")
        );
    }

    #[test]
    fn later_failures_are_reported_once_a_minute_with_the_count() {
        let f = WriteFailures::new();
        assert!(f.failed("x", &enospc(), 1000).is_some());
        for t in 1000..1060 {
            assert_eq!(f.failed("x", &enospc(), t), None, "at {t}");
        }
        // 1 + 60 lines failed so far; the 62nd is at the minute.
        assert_eq!(
            f.failed("x", &enospc(), 1060).as_deref(),
            Some("(28)No space left on device: AH00646: Error writing to x; 62 access log lines lost so far")
        );
        assert_eq!(f.failed("x", &enospc(), 1061), None);
        assert!(f.failed("x", &enospc(), 1120).is_some());
    }

    #[test]
    fn no_minute_report_while_the_first_report_is_being_written() {
        let f = WriteFailures::new();
        assert!(f.failed("x", &enospc(), 5000).is_some());
        // Another thread's failure between the first one's state change and its time stamp
        // (the stamp not stored yet): no second report.
        f.reported_at.store(0, SeqCst);
        assert_eq!(f.failed("x", &enospc(), 5000), None);
    }

    #[test]
    fn recovery_is_reported_once_with_the_lines_lost() {
        let f = WriteFailures::new();
        assert_eq!(f.succeeded("x"), None, "nothing failed");
        for t in 0..5 {
            f.failed("x", &enospc(), 1000 + t);
        }
        assert_eq!(
            f.succeeded("x").as_deref(),
            Some("access log x works again; 5 lines were lost")
        );
        assert_eq!(f.succeeded("x"), None, "reported once");
        // A new run of failures starts over: reported at once, counted from one.
        assert!(f.failed("x", &enospc(), 1006).is_some());
        assert_eq!(
            f.succeeded("x").as_deref(),
            Some("access log x works again; 1 line was lost")
        );
    }

    #[test]
    fn errors_without_errno_keep_their_words() {
        let short = io::Error::new(io::ErrorKind::WriteZero, "failed to write whole buffer");
        assert_eq!(
            WriteFailures::new().failed("p", &short, 5).as_deref(),
            Some("failed to write whole buffer: AH00646: Error writing to p")
        );
        assert_eq!(
            os_error(&io::Error::from_raw_os_error(libc::EPIPE)),
            "(32)Broken pipe"
        );
    }

    #[test]
    fn threads_lose_no_count() {
        let f = WriteFailures::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        f.failed("x", &enospc(), 1000);
                    }
                });
            }
        });
        assert_eq!(
            f.succeeded("x").as_deref(),
            Some("access log x works again; 4000 lines were lost")
        );
    }
}
