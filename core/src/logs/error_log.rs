//! The error log: Apache's line shape, LogLevel per module, one write(2) per line.
//!
//! `[Sun Nov 22 04:00:34.123456 2026] [core:error] [pid 123] [client 127.0.0.1:5555] message`
//!
//! The file is opened with O_APPEND in the master before any fork, so every child and thread
//! shares it; a line is assembled in memory and written with a single write(2), which keeps
//! concurrent lines whole without a lock.

use super::error_format::{ErrorFormat, Line, RequestItems};
use super::LogTarget;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::panic::Location;
use std::sync::OnceLock;

/// Apache's level names, index = ABI level number (trace1..8 follow debug).
const LEVEL_NAMES: [&str; 16] = [
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug", "trace1", "trace2",
    "trace3", "trace4", "trace5", "trace6", "trace7", "trace8",
];

/// Level `notice`: like Apache, notices are written whatever LogLevel says (startup and shutdown).
pub const NOTICE: i32 = 5;
/// Level `alert`.
pub const ALERT: i32 = 1;
/// Level `crit`.
pub const CRIT: i32 = 2;
/// Level `error`.
pub const ERROR: i32 = 3;
/// Level `warn`.
pub const WARN: i32 = 4;
/// Level `info`.
pub const INFO: i32 = 6;
/// Level `debug`.
pub const DEBUG: i32 = 7;
/// Level `emerg`.
pub const EMERG: i32 = 0;

/// Parses a level name (`warn`, `trace3`…).
pub fn parse_level(name: &str) -> Option<i32> {
    LEVEL_NAMES
        .iter()
        .position(|l| l.eq_ignore_ascii_case(name))
        .map(|i| i as i32)
}

/// `LogLevel [module:]level …` as configured.
#[derive(Debug, Clone)]
pub struct LogLevels {
    default: i32,
    per_module: HashMap<String, i32>,
}

impl Default for LogLevels {
    fn default() -> Self {
        LogLevels {
            default: WARN,
            per_module: HashMap::new(),
        }
    }
}

impl LogLevels {
    /// Parses LogLevel's arguments: `warn`, `static:debug`, `mpm_prefork:info`.
    pub fn parse(args: &[String]) -> Result<Self, String> {
        let mut levels = LogLevels::default();
        for arg in args {
            let (module, level) = match arg.split_once(':') {
                Some((m, l)) => (Some(m), l),
                None => (None, arg.as_str()),
            };
            let Some(n) = parse_level(level) else {
                return Err(format!(
                    "LogLevel requires level keyword: one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8, not '{level}'"
                ));
            };
            match module {
                None => levels.default = n,
                Some(m) => {
                    let m = m.trim_end_matches("_module").to_ascii_lowercase();
                    levels.per_module.insert(m, n);
                }
            }
        }
        Ok(levels)
    }

    /// Whether a line of `level` from `module` is written.
    pub fn enabled(&self, module: &str, level: i32) -> bool {
        level == NOTICE || level <= *self.per_module.get(module).unwrap_or(&self.default)
    }
}

enum Target {
    Stderr,
    File(File),
    Syslog(super::syslog::Syslog),
    /// A virtual host without its own ErrorLog: the main server's.
    Main,
}

struct ErrorLog {
    target: Target,
    levels: LogLevels,
}

/// ErrorLogFormat (None: Apache's default line) and ServerName (`%v`), the main server's.
struct Shape {
    format: Option<ErrorFormat>,
    server_name: String,
}

static SHAPE: OnceLock<Shape> = OnceLock::new();

/// Opens a configured ErrorLog: syslog, or a file or program.
fn open_target(target: &LogTarget) -> Result<Target, String> {
    Ok(match target {
        LogTarget::Syslog(d) => Target::Syslog(super::syslog::Syslog::open(d)?),
        t => Target::File(t.open("error log")?),
    })
}

static LOG: OnceLock<ErrorLog> = OnceLock::new();
/// Each virtual host's, by its index in the store's table.
static VHOSTS: OnceLock<Vec<ErrorLog>> = OnceLock::new();

/// Opens each virtual host's own ErrorLog (`None`: the main server's) with its levels, in
/// the master before any fork.
pub fn open_vhosts(vhosts: Vec<(Option<&LogTarget>, LogLevels)>) -> Result<(), String> {
    let mut logs = Vec::with_capacity(vhosts.len());
    for (target, levels) in vhosts {
        let target = match target {
            None => Target::Main,
            Some(t) => open_target(t)?,
        };
        logs.push(ErrorLog { target, levels });
    }
    let _ = VHOSTS.set(logs);
    Ok(())
}

/// The error log of virtual host `vhost` (None or unknown: the main server's).
fn log_of(vhost: Option<usize>) -> Option<&'static ErrorLog> {
    vhost
        .and_then(|v| VHOSTS.get()?.get(v))
        .or_else(|| LOG.get())
}

/// Opens the error log (`None`: standard error; a file; a piped program; or syslog) with its
/// levels, ErrorLogFormat (None: Apache's default line) and ServerName. Called once in the
/// master before modules are initialised; lines logged before that go to standard error at
/// the default level.
pub fn open(
    target: Option<&LogTarget>,
    levels: LogLevels,
    format: Option<ErrorFormat>,
    server_name: &str,
) -> Result<(), String> {
    let target = match target {
        None => Target::Stderr,
        Some(t) => open_target(t)?,
    };
    let _ = LOG.set(ErrorLog { target, levels });
    let _ = SHAPE.set(Shape {
        format,
        server_name: server_name.to_owned(),
    });
    Ok(())
}

/// Whether a line at `level` from `module` would be written.
pub fn enabled(module: &str, level: i32) -> bool {
    enabled_for(None, module, level)
}

/// Whether a line at `level` from `module` would be written for virtual host `vhost`.
pub fn enabled_for(vhost: Option<usize>, module: &str, level: i32) -> bool {
    match log_of(vhost) {
        Some(l) => l.levels.enabled(module, level),
        None => LogLevels::default().enabled(module, level),
    }
}

/// Writes one line; `client` is `ip:port` when the line concerns a connection.
#[track_caller]
pub fn log(module: &str, level: i32, client: Option<&str>, msg: &str) {
    if enabled_for(None, module, level) {
        write(None, module, level, client, None, Location::caller(), msg);
    }
}

/// Writes one line to the error log of virtual host `vhost` (None: the main server's).
#[track_caller]
pub fn log_for(vhost: Option<usize>, module: &str, level: i32, client: Option<&str>, msg: &str) {
    if enabled_for(vhost, module, level) {
        write(vhost, module, level, client, None, Location::caller(), msg);
    }
}

/// Writes one line about a request to its virtual host's error log (ErrorLogFormat's request
/// items can show it).
#[track_caller]
pub fn log_request(
    vhost: Option<usize>,
    module: &str,
    level: i32,
    client: &str,
    req: &dyn RequestItems,
    msg: &str,
) {
    if enabled_for(vhost, module, level) {
        write(
            vhost,
            module,
            level,
            Some(client),
            Some(req),
            Location::caller(),
            msg,
        );
    }
}

fn write(
    vhost: Option<usize>,
    module: &str,
    level: i32,
    client: Option<&str>,
    request: Option<&dyn RequestItems>,
    location: &'static Location<'static>,
    msg: &str,
) {
    let level_name = LEVEL_NAMES
        .get(level.clamp(0, 15) as usize)
        .copied()
        .unwrap_or("error");
    let target = match log_of(vhost).map(|l| &l.target) {
        Some(Target::Main) => LOG.get().map(|l| &l.target),
        t => t,
    };
    let syslog = matches!(target, Some(Target::Syslog(_)));
    let mut line = match SHAPE.get().and_then(|s| s.format.as_ref().map(|f| (f, s))) {
        Some((format, shape)) => {
            let formatted = format.render(&Line {
                module,
                level_name,
                level,
                client,
                request,
                location,
                server_name: &shape.server_name,
                message: msg,
            });
            match formatted {
                Some(text) => text,
                // A `+` item was empty: Apache drops the line.
                None => return,
            }
        }
        None => default_line(module, level_name, client, request, msg, syslog),
    };
    if let Some(Target::Syslog(s)) = target {
        s.send(level, &line);
        return;
    }
    line.push('\n');
    match target {
        // Where the error log itself fails there is nowhere left to say so.
        Some(Target::File(f)) => {
            let _ = super::write_line(f, line.as_bytes());
        }
        _ => {
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
    }
}

/// Apache's default line: `[time] [module:level] [pid N] [client ip:port] message` and, for a
/// request with a Referer, `, referer: …` (syslog stamps the time itself, and Apache leaves it
/// out there).
fn default_line(
    module: &str,
    level_name: &str,
    client: Option<&str>,
    request: Option<&dyn RequestItems>,
    msg: &str,
    syslog: bool,
) -> String {
    let mut line = String::with_capacity(128);
    if !syslog {
        line.push('[');
        line.push_str(&super::error_format::time("u"));
        line.push_str("] ");
    }
    let _ = write!(
        line,
        "[{}:{}] [pid {}] ",
        module,
        level_name,
        std::process::id()
    );
    if let Some(c) = client {
        line.push_str("[client ");
        line.push_str(c);
        line.push_str("] ");
    }
    // One line per message, whatever the message contains.
    line.extend(
        msg.chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
    );
    if let Some(referer) = request.and_then(|r| r.header("referer")) {
        line.push_str(", referer: ");
        super::access_log::escape_into(&mut line, referer);
    }
    line
}

/// The descriptor lines go to, for children that redirect their standard error into the log.
pub fn raw_fd() -> Option<i32> {
    match LOG.get().map(|l| &l.target) {
        Some(Target::File(f)) => Some(f.as_raw_fd()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_default_and_per_module() {
        let l = LogLevels::parse(&[
            "info".into(),
            "static:debug".into(),
            "mpm_prefork_module:error".into(),
        ])
        .unwrap();
        assert!(l.enabled("core", INFO));
        assert!(!l.enabled("core", DEBUG));
        assert!(l.enabled("static", DEBUG));
        assert!(!l.enabled("mpm_prefork", WARN));
        assert!(l.enabled("mpm_prefork", NOTICE), "notice is always written");
    }

    #[test]
    fn bad_level_is_refused() {
        let e = LogLevels::parse(&["loud".into()]).unwrap_err();
        assert!(e.contains("LogLevel requires level keyword"), "{e}");
    }

    #[test]
    fn timestamp_has_apache_shape() {
        let t = super::super::error_format::time("u");
        let parts: Vec<&str> = t.split(' ').filter(|p| !p.is_empty()).collect();
        assert_eq!(parts.len(), 5, "{t}");
        assert_eq!(parts[3].len(), "04:00:34.123456".len(), "{t}");
    }
}
