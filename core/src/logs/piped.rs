//! Piped logs: a program started once by the master with a pipe on its standard input. Children
//! inherit the write end through fork; the program sees end of file when the master and every
//! child have exited, so it writes out everything it was given.

use std::fmt;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::process::Stdio;

/// A piped log program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The text after the `|`, `|$` or `||`.
    text: String,
    /// Through `sh -c` (`|`, `|$`), or run directly, split at blanks (`||`).
    shell: bool,
}

impl Command {
    /// Reads what follows the first `|`.
    pub fn parse(rest: &str) -> Command {
        if let Some(direct) = rest.strip_prefix('|') {
            Command {
                text: direct.trim().to_owned(),
                shell: false,
            }
        } else {
            Command {
                text: rest.strip_prefix('$').unwrap_or(rest).trim().to_owned(),
                shell: true,
            }
        }
    }

    /// Starts the program and returns the write end of its standard input. The descriptor is
    /// close-on-exec (a restart that re-executes the server starts a new program) but survives
    /// fork, which is how children share it.
    pub fn spawn(&self) -> std::io::Result<File> {
        let mut cmd = if self.shell {
            let mut c = std::process::Command::new("/bin/sh");
            c.arg("-c").arg(&self.text);
            c
        } else {
            let mut words = self.text.split_ascii_whitespace();
            let program = words.next().ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "no program named")
            })?;
            let mut c = std::process::Command::new(program);
            c.args(words);
            c
        };
        // The program must not read the terminal or the server's standard input; its own output
        // goes where the server's does. After a restart the master holds its control signals
        // blocked: the program must not inherit that.
        crate::control::start_unblocked(&mut cmd);
        if crate::control::detach::stderr_is_the_command() {
            // A daemon's standard error becomes /dev/null once it serves: the program's too.
            cmd.stderr(Stdio::null());
        }
        let mut child = cmd.stdin(Stdio::piped()).spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("the piped log program has no standard input"))?;
        // The program outlives this handle; the MPM reaps it like any child that exits.
        drop(child);
        Ok(File::from(OwnedFd::from(stdin)))
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(
            Command::parse("cat >> x"),
            Command {
                text: "cat >> x".into(),
                shell: true
            }
        );
        assert_eq!(
            Command::parse("$ cat"),
            Command {
                text: "cat".into(),
                shell: true
            }
        );
        assert_eq!(
            Command::parse("|/usr/bin/logger -t web"),
            Command {
                text: "/usr/bin/logger -t web".into(),
                shell: false
            }
        );
    }

    #[test]
    fn lines_reach_the_program() {
        let out = std::env::temp_dir().join(format!("mapache-piped-{}", std::process::id()));
        let cmd = Command::parse(&format!("cat > '{}'", out.display()));
        let file = cmd.spawn().unwrap();
        super::super::write_line(&file, b"one\n").unwrap();
        super::super::write_line(&file, b"two\n").unwrap();
        drop(file);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let got = std::fs::read_to_string(&out).unwrap_or_default();
            if got == "one\ntwo\n" {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "got {got:?}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = std::fs::remove_file(&out);
    }
}
