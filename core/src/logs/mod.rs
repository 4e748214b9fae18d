//! Logging: the error log and the access logs, and where their lines go (a file opened with
//! O_APPEND, or a piped program), opened in the master before any fork so every child shares them.

pub mod access_log;
pub mod error_format;
pub mod error_log;
mod piped;
pub mod syslog;
mod write_failures;

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

/// Where a log's lines go: `ErrorLog`/`CustomLog` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// A file (absolute: the configuration made it so against ServerRoot), opened for appending.
    File(PathBuf),
    /// `|program`: a program started once by the master, reading lines on its standard input.
    Pipe(piped::Command),
    /// `ErrorLog syslog[:facility[:tag]]` (the error log only).
    Syslog(syslog::Destination),
}

impl LogTarget {
    /// Reads a log argument: `|program` / `|$program` (through `sh -c`), `||program` (run
    /// directly, split at blanks), anything else a file.
    pub fn parse(arg: &str) -> LogTarget {
        match arg.strip_prefix('|') {
            Some(rest) => LogTarget::Pipe(piped::Command::parse(rest)),
            None => LogTarget::File(PathBuf::from(arg)),
        }
    }

    /// Reads an ErrorLog argument: syslog (any name Apache takes for it), else as
    /// [`LogTarget::parse`].
    pub fn parse_error_log(arg: &str) -> Result<LogTarget, String> {
        if syslog::Destination::is_syslog(arg) {
            return syslog::Destination::parse(arg).map(LogTarget::Syslog);
        }
        Ok(LogTarget::parse(arg))
    }

    /// Whether the argument names a piped program (and so is not a path).
    pub fn is_pipe(arg: &str) -> bool {
        arg.starts_with('|')
    }

    /// Opens the file for appending, or starts the program; the result is what lines are
    /// written to. Called in the master, before any fork.
    pub fn open(&self, what: &str) -> Result<File, String> {
        match self {
            LogTarget::File(p) => OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| format!("could not open {what} file {}: {e}", p.display())),
            LogTarget::Pipe(cmd) => cmd
                .spawn()
                .map_err(|e| format!("could not start piped {what} program '{cmd}': {e}")),
            LogTarget::Syslog(_) => Err(format!("the {what} cannot go to syslog")),
        }
    }
}

impl std::fmt::Display for LogTarget {
    /// The path, or `|program`: how the configuration named it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LogTarget::File(p) => write!(f, "{}", p.display()),
            LogTarget::Pipe(cmd) => write!(f, "|{cmd}"),
            LogTarget::Syslog(_) => write!(f, "syslog"),
        }
    }
}

/// Writes `line` with one write(2) (repeated only for a short write), so lines from concurrent
/// processes and threads never interleave in an O_APPEND file or a pipe (up to PIPE_BUF).
/// A write that fails (a full disk, a piped program gone) or writes nothing is an error.
pub fn write_line(file: &File, line: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    (&*file).write_all(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            LogTarget::parse("/var/log/x"),
            LogTarget::File("/var/log/x".into())
        );
        assert!(matches!(LogTarget::parse("|cat"), LogTarget::Pipe(_)));
        assert!(LogTarget::is_pipe("||/bin/logger -t x"));
        assert_eq!(LogTarget::parse("|$ cat -u").to_string(), "|cat -u");
        assert_eq!(LogTarget::parse("/var/log/x").to_string(), "/var/log/x");
    }
}
