//! Access logs: `LogFormat format [nickname]`, `CustomLog file|"|program" format-or-nickname`
//! and `TransferLog file`, with Apache's format directives and escaping.
//!
//! One line per request, written with a single write(2) to each log as soon as the response is
//! complete: no buffer, so nothing is lost when a child is stopped in the middle of a connection
//! (prefork children `_exit` from their TERM handler), and lines from concurrent children and
//! threads never interleave (O_APPEND files; pipes up to PIPE_BUF bytes a line). The files and
//! programs are opened in the master before any fork.
//!
//! `BufferedLogs On` keeps each process's lines (whole lines, at most PIPE_BUF bytes) and
//! writes them with one write(2) when the next would not fit, once a second, and at child exit
//! (graceful restarts and stops included). A child dropped by a stop in the middle of a
//! connection (prefork's `_exit`) loses what it buffered in the last second, as Apache's buffer
//! is lost when a child dies.

use super::write_failures::{self, WriteFailures};
use super::{error_log, LogTarget};
use crate::http::RequestHead;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Apache's Common Log Format.
pub const COMMON: &str = "%h %l %u %t \"%r\" %>s %b";
/// Apache's Combined Log Format.
pub const COMBINED: &str = "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"";

/// One piece of a format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Literal(String),
    Field(Field),
}

/// A `%` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    letter: char,
    /// The `{…}` argument.
    arg: Option<String>,
    /// `%400,501{…}i`: log only for these statuses (`!`: all but these), else `-`.
    statuses: Vec<u16>,
    negate: bool,
    /// `%{name}^ti` / `%{name}^to`: a request or response trailer (letter `i` or `o`).
    trailer: bool,
}

/// A parsed LogFormat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    items: Vec<Item>,
}

const LETTERS: &str = "aAbBCDefhHiIklLmnoOpPqrRsStTuUvVX";

impl Format {
    /// Parses a format string; unknown directives are errors, as in Apache.
    pub fn parse(text: &str) -> Result<Format, String> {
        let mut items = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.peek() {
                    Some('n') => {
                        chars.next();
                        literal.push('\n');
                    }
                    Some('t') => {
                        chars.next();
                        literal.push('\t');
                    }
                    _ => literal.push('\\'),
                },
                '%' => {
                    let mut field = Field {
                        letter: ' ',
                        arg: None,
                        statuses: Vec::new(),
                        negate: false,
                        trailer: false,
                    };
                    let mut number = String::new();
                    loop {
                        let Some(c) = chars.next() else {
                            return Err(format!(
                                "Unrecognized LogFormat directive at the end of '{text}'"
                            ));
                        };
                        match c {
                            '%' if number.is_empty() && field.arg.is_none() => {
                                literal.push('%');
                                break;
                            }
                            '<' | '>' => {}
                            '!' => field.negate = true,
                            '0'..='9' => number.push(c),
                            ',' => push_status(&mut field, &mut number)?,
                            '{' => {
                                let mut arg = String::new();
                                loop {
                                    match chars.next() {
                                        Some('}') => break,
                                        Some(c) => arg.push(c),
                                        None => {
                                            return Err(format!(
                                                "Unterminated {{ in LogFormat '{text}'"
                                            ))
                                        }
                                    }
                                }
                                field.arg = Some(arg);
                            }
                            '^' => {
                                let kind: String = chars.by_ref().take(2).collect();
                                let letter = match kind.as_str() {
                                    "ti" => 'i',
                                    "to" => 'o',
                                    _ => {
                                        return Err("Unrecognized LogFormat directive %^".to_owned())
                                    }
                                };
                                if field.arg.is_none() {
                                    return Err(format!(
                                        "LogFormat directive %^{kind} needs a trailer name: %{{Name}}^{kind}"
                                    ));
                                }
                                push_status(&mut field, &mut number)?;
                                field.letter = letter;
                                field.trailer = true;
                                if !literal.is_empty() {
                                    items.push(Item::Literal(std::mem::take(&mut literal)));
                                }
                                items.push(Item::Field(field));
                                break;
                            }
                            c if LETTERS.contains(c) => {
                                push_status(&mut field, &mut number)?;
                                field.letter = c;
                                if !literal.is_empty() {
                                    items.push(Item::Literal(std::mem::take(&mut literal)));
                                }
                                if matches!(c, 'i' | 'o') && field.arg.is_none() {
                                    return Err(format!(
                                        "LogFormat directive %{c} needs a header name: %{{Name}}{c}"
                                    ));
                                }
                                if matches!(c, 'e' | 'n' | 'C') && field.arg.is_none() {
                                    let what = match c {
                                        'e' => "variable",
                                        'n' => "note",
                                        _ => "cookie",
                                    };
                                    return Err(format!(
                                        "LogFormat directive %{c} needs a {what} name: %{{NAME}}{c}"
                                    ));
                                }
                                items.push(Item::Field(field));
                                break;
                            }
                            other => {
                                return Err(format!("Unrecognized LogFormat directive %{other}"))
                            }
                        }
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            items.push(Item::Literal(literal));
        }
        Ok(Format { items })
    }

    /// The line for one request, newline included.
    pub fn render(&self, e: &Entry<'_>) -> Vec<u8> {
        let mut out = String::with_capacity(256);
        for item in &self.items {
            match item {
                Item::Literal(s) => out.push_str(s),
                Item::Field(f) => {
                    let listed = f.statuses.contains(&e.status);
                    if !f.statuses.is_empty() && listed == f.negate {
                        out.push('-');
                    } else {
                        field(&mut out, f, e);
                    }
                }
            }
        }
        out.push('\n');
        out.into_bytes()
    }

    /// Whether the format has the `%` directive `letter`.
    pub fn uses(&self, letter: char) -> bool {
        self.items
            .iter()
            .any(|i| matches!(i, Item::Field(f) if f.letter == letter && !f.trailer))
    }
}

fn push_status(field: &mut Field, number: &mut String) -> Result<(), String> {
    if number.is_empty() {
        return Ok(());
    }
    let n: u16 = number
        .parse()
        .ok()
        .filter(|n| (100..=999).contains(n))
        .ok_or_else(|| format!("invalid status {number} in a LogFormat condition"))?;
    field.statuses.push(n);
    number.clear();
    Ok(())
}

/// What a line is made of: one request (or a request that could not be parsed).
pub struct Entry<'a> {
    /// The useragent's IP address (the peer's, unless mod_remoteip set another).
    pub client_ip: &'a str,
    /// The connection's peer address (`%{c}a`).
    pub peer_ip: &'a str,
    /// The client's port.
    pub client_port: u16,
    /// Our address and port on this connection.
    pub local_ip: &'a str,
    /// Our port.
    pub local_port: u16,
    /// The parsed head, when the request could be parsed.
    pub head: Option<&'a RequestHead>,
    /// The request line as received when the head could not be parsed (`%r`).
    pub raw_line: &'a [u8],
    /// The final status.
    pub status: u16,
    /// Body bytes sent (headers excluded).
    pub body_bytes: u64,
    /// The response's headers from the handler.
    pub headers: &'a [(String, String)],
    /// The Content-Length sent, if any.
    pub content_length: Option<u64>,
    /// Whether the body was sent chunked.
    pub chunked: bool,
    /// When the request started.
    pub started: SystemTime,
    /// How long it took.
    pub elapsed: Duration,
    /// `X` aborted, `+` kept alive, `-` closed (`%X`).
    pub conn_status: char,
    /// Requests served on this connection before this one (`%k`).
    pub keepalives: u64,
    /// ServerName (`%v`).
    pub server_name: &'a str,
    /// The server name as UseCanonicalName says (`%V`, Apache's `ap_get_server_name`): the
    /// host the client asked for (lower case, no port, no trailing dot), or ServerName.
    pub host_name: &'a str,
    /// The authenticated user (`%u`), when there is one.
    pub user: Option<&'a str>,
    /// The request's environment variables (`%{VAR}e`).
    pub env: &'a [(String, String)],
    /// The notes modules left on the request (`%{NAME}n`).
    pub notes: &'a [(String, String)],
    /// Bytes sent, headers included (`%O`).
    pub bytes_out: u64,
    /// Bytes received: request line, headers and body as framed (`%I`).
    pub bytes_in: u64,
    /// The file the request mapped to (`%f`).
    pub filename: Option<&'a [u8]>,
    /// The handler (`%R`; empty: none).
    pub handler: &'a str,
    /// The request's log id (`%L`), when a format uses it.
    pub log_id: Option<&'a str>,
    /// The request body, for its trailers (`%{name}^ti`).
    pub body: Option<&'a crate::http::BodyDecoder>,
    /// The useragent's name when HostnameLookups found one (`%h`).
    pub remote_host: Option<&'a str>,
    /// The connection's peer's name when HostnameLookups found one (`%{c}h`).
    pub peer_host: Option<&'a str>,
}

fn dash_or(out: &mut String, value: Option<&[u8]>) {
    match value {
        Some(v) if !v.is_empty() => escape_into(out, v),
        _ => out.push('-'),
    }
}

fn field(out: &mut String, f: &Field, e: &Entry<'_>) {
    let arg = f.arg.as_deref().unwrap_or("");
    let head = e.head;
    if f.trailer {
        // Responses carry no trailers yet.
        let value = match f.letter {
            'i' => e.body.and_then(|b| b.trailer(arg)),
            _ => None,
        };
        return dash_or(out, value);
    }
    match f.letter {
        'a' if arg == "c" => out.push_str(e.peer_ip),
        'a' => out.push_str(e.client_ip),
        'h' if arg == "c" => out.push_str(e.peer_host.unwrap_or(e.peer_ip)),
        'h' => out.push_str(e.remote_host.unwrap_or(e.client_ip)),
        'O' => {
            let _ = write!(out, "{}", e.bytes_out);
        }
        'I' => {
            let _ = write!(out, "{}", e.bytes_in);
        }
        'S' => {
            let _ = write!(out, "{}", e.bytes_in + e.bytes_out);
        }
        'f' => dash_or(out, e.filename),
        'R' => dash_or(out, Some(e.handler.as_bytes())),
        'L' => dash_or(out, e.log_id.map(str::as_bytes)),
        'C' => dash_or(out, head.and_then(|h| cookie(h, arg))),
        'A' => out.push_str(e.local_ip),
        'b' if e.body_bytes == 0 => out.push('-'),
        'b' | 'B' => {
            let _ = write!(out, "{}", e.body_bytes);
        }
        'D' => {
            let _ = write!(out, "{}", e.elapsed.as_micros());
        }
        'T' => {
            let _ = match arg {
                "ms" => write!(out, "{}", e.elapsed.as_millis()),
                "us" => write!(out, "{}", e.elapsed.as_micros()),
                _ => write!(out, "{}", e.elapsed.as_secs()),
            };
        }
        'H' => dash_or(out, head.map(|h| h.protocol.as_bytes())),
        'm' => dash_or(out, head.map(|h| h.method.as_bytes())),
        'U' => dash_or(out, head.map(|h| h.path.as_slice())),
        'q' => {
            if let Some(h) = head.filter(|h| !h.query.is_empty()) {
                out.push('?');
                escape_into(out, h.query.as_bytes());
            }
        }
        'r' => match head {
            Some(h) => {
                escape_into(out, h.method.as_bytes());
                out.push(' ');
                escape_into(out, h.target.as_bytes());
                out.push(' ');
                out.push_str(h.protocol);
            }
            None => dash_or(out, Some(e.raw_line)),
        },
        'i' => dash_or(out, head.and_then(|h| h.header(arg))),
        'o' => {
            let len = e.content_length.map(|n| n.to_string());
            let value = if arg.eq_ignore_ascii_case("content-length") {
                len.as_deref()
            } else if arg.eq_ignore_ascii_case("transfer-encoding") && e.chunked {
                Some("chunked")
            } else {
                e.headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(arg))
                    .map(|(_, v)| v.as_str())
            };
            dash_or(out, value.map(str::as_bytes));
        }
        'e' | 'n' => {
            let table = if f.letter == 'e' { e.env } else { e.notes };
            let value = table
                .iter()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(arg))
                .map(|(_, v)| v.as_bytes());
            dash_or(out, value);
        }
        's' => {
            let _ = write!(out, "{}", e.status);
        }
        'l' => out.push('-'),
        'u' => dash_or(out, e.user.map(str::as_bytes)),
        'k' => {
            let _ = write!(out, "{}", e.keepalives);
        }
        'p' => {
            let port = if arg == "remote" {
                e.client_port
            } else {
                e.local_port
            };
            let _ = write!(out, "{port}");
        }
        'P' => {
            let _ = match arg {
                // SAFETY: gettid has no preconditions.
                "tid" => write!(out, "{}", unsafe { libc::gettid() }),
                "hextid" => write!(out, "{:x}", unsafe { libc::gettid() }),
                _ => write!(out, "{}", std::process::id()),
            };
        }
        'v' => out.push_str(e.server_name),
        'V' => escape_into(out, e.host_name.as_bytes()),
        'X' => out.push(e.conn_status),
        't' => time_field(out, arg, e.started, e.elapsed),
        _ => out.push('-'),
    }
}

/// Cookie `name`'s value in the request's Cookie fields (names compared exactly, as Apache).
fn cookie<'h>(head: &'h RequestHead, name: &str) -> Option<&'h [u8]> {
    head.headers_named("cookie").find_map(|v| {
        v.split(|&b| b == b';').find_map(|pair| {
            let pair = pair.trim_ascii();
            let eq = pair.iter().position(|&b| b == b'=')?;
            (pair[..eq].trim_ascii() == name.as_bytes()).then(|| pair[eq + 1..].trim_ascii())
        })
    })
}

/// Apache's `ap_escape_logitem`: `"` and `\` get a backslash; \b \n \r \t \v their C escapes;
/// other bytes outside printable ASCII become `\xhh`. A client cannot forge a line or a field.
pub fn escape_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x08 => out.push_str("\\b"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x0b => out.push_str("\\v"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
}

/// The broken-down local time and its offset from UTC in seconds.
fn local_time(t: SystemTime) -> (libc::tm, i64) {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() as libc::time_t;
    // SAFETY: localtime_r writes into the tm we own; a zeroed tm is a valid initial value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&secs, &mut tm) };
    let off = tm.tm_gmtoff;
    (tm, off)
}

/// `%t` and `%{…}t`.
/// `end:` is the time the request ended (Apache's `%{end:…}t`); `begin:` and no prefix its start.
fn time_field(out: &mut String, arg: &str, started: SystemTime, elapsed: Duration) {
    let (arg, started) = match arg.strip_prefix("end:") {
        Some(rest) => (rest, started + elapsed),
        None => (arg.strip_prefix("begin:").unwrap_or(arg), started),
    };
    let since = started.duration_since(UNIX_EPOCH).unwrap_or_default();
    let _ = match arg {
        "sec" => write!(out, "{}", since.as_secs()),
        "msec" => write!(out, "{}", since.as_millis()),
        "usec" => write!(out, "{}", since.as_micros()),
        "msec_frac" => write!(out, "{:03}", since.subsec_millis()),
        "usec_frac" => write!(out, "{:06}", since.subsec_micros()),
        "" => {
            let (tm, off) = local_time(started);
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let sign = if off < 0 { '-' } else { '+' };
            let off = off.unsigned_abs() / 60;
            write!(
                out,
                "[{:02}/{}/{}:{:02}:{:02}:{:02} {sign}{:02}{:02}]",
                tm.tm_mday,
                MONTHS[tm.tm_mon.clamp(0, 11) as usize],
                tm.tm_year + 1900,
                tm.tm_hour,
                tm.tm_min,
                tm.tm_sec,
                off / 60,
                off % 60
            )
        }
        fmt => {
            out.push_str(&strftime(fmt, started));
            Ok(())
        }
    };
}

/// A strftime(3) format in local time (`%{%Y-%m-%d}t`).
fn strftime(fmt: &str, t: SystemTime) -> String {
    let Ok(cfmt) = std::ffi::CString::new(fmt) else {
        return "-".to_owned();
    };
    let (tm, _) = local_time(t);
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length; the format is NUL-terminated; tm is initialised.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), cfmt.as_ptr(), &tm) };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// One CustomLog as configured: where, and in which format.
#[derive(Debug, Clone)]
pub struct CustomLog {
    /// The file or program.
    pub target: LogTarget,
    /// The format.
    pub format: Arc<Format>,
}

/// The formats LogFormat defined, by nickname, over the predefined `common` and `combined`.
pub struct Formats {
    named: HashMap<String, Arc<Format>>,
    /// The last LogFormat without a nickname (TransferLog's format); `common` by default.
    pub default: Arc<Format>,
}

impl Default for Formats {
    fn default() -> Self {
        let common = Arc::new(Format::parse(COMMON).expect("built-in format"));
        let combined = Arc::new(Format::parse(COMBINED).expect("built-in format"));
        let named = HashMap::from([
            ("common".to_owned(), common.clone()),
            ("combined".to_owned(), combined),
        ]);
        Formats {
            named,
            default: common,
        }
    }
}

impl Formats {
    /// Applies one LogFormat's arguments.
    pub fn define(&mut self, args: &[String]) -> Result<(), String> {
        let format = Arc::new(Format::parse(&args[0])?);
        match args.get(1) {
            Some(nick) => {
                self.named.insert(nick.clone(), format);
            }
            None => self.default = format,
        }
        Ok(())
    }

    /// A CustomLog's format argument: a nickname (as Apache, looked up after the whole
    /// configuration is read), else a format string.
    pub fn resolve(&self, arg: &str) -> Result<Arc<Format>, String> {
        if let Some(f) = self.named.get(arg) {
            return Ok(f.clone());
        }
        if !arg.contains('%') {
            // Apache would log the word itself on every line: a misspelt nickname, surely.
            return Err(format!(
                "CustomLog format '{arg}' is neither a LogFormat nickname nor a format (it has no %)"
            ));
        }
        Format::parse(arg).map(Arc::new)
    }
}

/// Checks a LogFormat line as it is read.
pub fn check_log_format(args: &[String]) -> Result<(), String> {
    Format::parse(&args[0]).map(|_| ())
}

/// Checks a CustomLog line as it is read (nicknames are resolved at the end).
pub fn check_custom_log(args: &[String]) -> Result<(), String> {
    if args.len() > 2 {
        return Err(
            "CustomLog: conditional logging (env= or expr=) is not supported; remove the third argument"
                .to_owned(),
        );
    }
    if args.len() < 2 {
        return Err(
            "CustomLog takes two arguments, a file name and a format or format nickname".to_owned(),
        );
    }
    match args[1].contains('%') {
        true => Format::parse(&args[1]).map(|_| ()),
        false => Ok(()),
    }
}

struct Opened {
    file: File,
    format: Arc<Format>,
    /// How the configuration named it, for the error log.
    name: String,
    /// This process's failed writes to it.
    failures: WriteFailures,
    /// `BufferedLogs On`: this process's lines not written yet (whole lines only).
    buffer: Option<Mutex<Vec<u8>>>,
}

static LOGS: OnceLock<Vec<Opened>> = OnceLock::new();
/// Each virtual host's own access logs, by its index in the store's table (None: it logs to
/// the main server's, as in Apache).
static VHOST_LOGS: OnceLock<Vec<Option<Vec<Opened>>>> = OnceLock::new();

/// BufferedLogs On (set by [`open`], before the virtual hosts' logs are opened).
static BUFFERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn opened(logs: &[CustomLog]) -> Result<Vec<Opened>, String> {
    let buffered = BUFFERED.load(std::sync::atomic::Ordering::Relaxed);
    logs.iter()
        .map(|l| {
            Ok(Opened {
                file: l.target.open("access log")?,
                format: l.format.clone(),
                name: l.target.to_string(),
                failures: WriteFailures::new(),
                buffer: buffered.then(|| Mutex::new(Vec::with_capacity(BUFFER_SIZE))),
            })
        })
        .collect()
}

/// Every log of this process: the main server's and the virtual hosts' own.
fn all_logs() -> impl Iterator<Item = &'static Opened> {
    let vhosts = VHOST_LOGS.get().into_iter().flatten().flatten().flatten();
    LOGS.get().into_iter().flatten().chain(vhosts)
}

/// Opens every virtual host's own access logs, in the master before any fork.
pub fn open_vhosts(vhosts: &[Option<&[CustomLog]>]) -> Result<(), String> {
    let sets = vhosts
        .iter()
        .map(|v| v.map(opened).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    let _ = VHOST_LOGS.set(sets);
    Ok(())
}

/// The access logs of virtual host `vhost` (None or without its own: the main server's).
fn logs_of(vhost: Option<usize>) -> Option<&'static [Opened]> {
    match vhost.and_then(|v| VHOST_LOGS.get()?.get(v)) {
        Some(Some(own)) => Some(own),
        _ => LOGS.get().map(Vec::as_slice),
    }
}

/// What BufferedLogs keeps before writing (Apache's LOG_BUFSIZE): at most PIPE_BUF, so a piped
/// log gets each write whole too.
const BUFFER_SIZE: usize = 4096;
/// How long a buffered line waits at most before it is written.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Opens every access log. Called once in the master before any fork (not for `-t`).
/// `buffered`: BufferedLogs On.
pub fn open(logs: &[CustomLog], buffered: bool) -> Result<(), String> {
    BUFFERED.store(buffered, std::sync::atomic::Ordering::Relaxed);
    let _ = LOGS.set(opened(logs)?);
    Ok(())
}

/// Writes what BufferedLogs holds in this process (at child exit; also once a second from a
/// thread the first buffered line starts).
pub fn flush() {
    for l in all_logs() {
        if let Some(buffer) = &l.buffer {
            let mut b = buffer.lock().unwrap_or_else(|p| p.into_inner());
            if !b.is_empty() {
                write_reporting(l, &b);
                b.clear();
            }
        }
    }
}

/// The flushing thread of this process, started with its first buffered line (so only in
/// the children, which serve: the master stays single-threaded).
fn start_flusher() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("log-flush".to_owned())
            .spawn(|| loop {
                std::thread::sleep(FLUSH_EVERY);
                flush();
            });
    });
}

/// Writes `bytes` (whole lines) to the log, reporting a failure (rate-limited) and the first
/// write that works again in the error log.
fn write_reporting(l: &Opened, bytes: &[u8]) {
    let report = match super::write_line(&l.file, bytes) {
        Ok(()) => l
            .failures
            .succeeded(&l.name)
            .map(|m| (error_log::NOTICE, m)),
        Err(e) => l
            .failures
            .failed(&l.name, &e, write_failures::now_secs())
            .map(|m| (error_log::ERROR, m)),
    };
    if let Some((level, msg)) = report {
        error_log::log("log_config", level, None, &msg);
    }
}

/// Whether an open access log's format has the `%` directive `letter` (so an entry computes
/// only what some line shows: the log id, the client's name).
pub fn uses(letter: char) -> bool {
    all_logs().any(|l| l.format.uses(letter))
}

/// Whether any access log is open (so callers can skip building an entry).
pub fn enabled() -> bool {
    enabled_for(None)
}

/// Whether virtual host `vhost` has any access log open.
pub fn enabled_for(vhost: Option<usize>) -> bool {
    logs_of(vhost).is_some_and(|l| !l.is_empty())
}

/// Writes one request's line to every access log (or to its buffer, BufferedLogs On: the
/// buffer is written first when the line would not fit). A line that cannot be written is lost,
/// and said so in the error log (rate-limited), as is the first line written again after that.
pub fn log(entry: &Entry<'_>) {
    log_for(None, entry)
}

/// Writes one request's line to the access logs of virtual host `vhost`.
pub fn log_for(vhost: Option<usize>, entry: &Entry<'_>) {
    let Some(logs) = logs_of(vhost) else { return };
    for l in logs {
        let line = l.format.render(entry);
        let Some(buffer) = &l.buffer else {
            write_reporting(l, &line);
            continue;
        };
        start_flusher();
        let mut b = buffer.lock().unwrap_or_else(|p| p.into_inner());
        if !b.is_empty() && b.len() + line.len() > BUFFER_SIZE {
            write_reporting(l, &b);
            b.clear();
        }
        if line.len() >= BUFFER_SIZE {
            write_reporting(l, &line);
        } else {
            b.extend_from_slice(&line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{parse_request_head, HeadParse, Limits};

    fn head(raw: &[u8]) -> RequestHead {
        match parse_request_head(raw, &Limits::default()) {
            HeadParse::Complete { head, .. } => head,
            other => panic!("{other:?}"),
        }
    }

    fn entry<'a>(h: Option<&'a RequestHead>, headers: &'a [(String, String)]) -> Entry<'a> {
        Entry {
            client_ip: "127.0.0.1",
            peer_ip: "127.0.0.1",
            client_port: 5555,
            local_ip: "127.0.0.2",
            local_port: 8080,
            head: h,
            raw_line: b"",
            status: 200,
            body_bytes: 1024,
            headers,
            content_length: Some(1024),
            chunked: false,
            started: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            elapsed: Duration::from_micros(1500),
            conn_status: '+',
            keepalives: 2,
            server_name: "www.example",
            host_name: "h.example",
            user: None,
            env: &[],
            notes: &[],
            bytes_out: 1200,
            bytes_in: 80,
            filename: Some(b"/srv/htdocs/1k.txt"),
            handler: "",
            log_id: Some("abc"),
            body: None,
            remote_host: None,
            peer_host: None,
        }
    }

    #[test]
    fn byte_counts_file_handler_cookie_log_id_trailers() {
        let h = head(
            b"POST /u HTTP/1.1\r\nHost: x\r\nCookie: a=1; sess = s2 ;b=\r\nCookie: c=3\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let mut body = crate::http::BodyDecoder::new(crate::http::BodyFraming::Chunked);
        body.decode(b"0\r\nX-Sum: 9\r\n\r\n", &mut [0u8; 4])
            .unwrap();
        let mut e = entry(Some(&h), &[]);
        e.body = Some(&body);
        assert_eq!(
            render(
                "%O %I %S %f %R %L %{a}C %{sess}C %{c}C %{b}C %{no}C %{X-Sum}^ti %{X}^ti %{X}^to",
                &e
            ),
            "1200 80 1280 /srv/htdocs/1k.txt - abc 1 s2 3 - - 9 - -\n"
        );
        e.handler = "server-status";
        e.filename = None;
        e.log_id = None;
        e.remote_host = Some("localhost");
        assert_eq!(
            render("%R %f %L %h %a", &e),
            "server-status - - localhost 127.0.0.1\n"
        );
        // A useragent mod_remoteip set: `%{c}a`/`%{c}h` are the connection's peer.
        (e.client_ip, e.remote_host, e.peer_host) = ("192.0.2.1", None, Some("lb.example"));
        assert_eq!(
            render("%h %a %{c}h %{c}a", &e),
            "192.0.2.1 192.0.2.1 lb.example 127.0.0.1\n"
        );
        assert!(Format::parse("%^tx").is_err());
        assert!(Format::parse("%^ti")
            .unwrap_err()
            .contains("needs a trailer name"));
        assert!(Format::parse("%C")
            .unwrap_err()
            .contains("needs a cookie name"));
        assert!(Format::parse("%L %h").unwrap().uses('L'));
        assert!(!Format::parse("%{L}^ti").unwrap().uses('L'));
    }

    #[test]
    fn environment_and_notes() {
        let env = vec![("HTTPS".to_owned(), "on".to_owned())];
        let notes = vec![("ratio".to_owned(), "42".to_owned())];
        let mut e = entry(None, &[]);
        e.env = &env;
        e.notes = &notes;
        assert_eq!(
            render("%{HTTPS}e %{https}e %{NONE}e %{ratio}n %{x}n", &e),
            "on on - 42 -\n"
        );
        assert_eq!(
            Format::parse("%e").unwrap_err(),
            "LogFormat directive %e needs a variable name: %{NAME}e"
        );
        assert_eq!(
            Format::parse("%n").unwrap_err(),
            "LogFormat directive %n needs a note name: %{NAME}n"
        );
    }

    fn render(fmt: &str, e: &Entry<'_>) -> String {
        String::from_utf8(Format::parse(fmt).unwrap().render(e)).unwrap()
    }

    #[test]
    fn combined_line_has_the_usual_shape() {
        let h = head(b"GET /1k.txt?a=b HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/7.88.1\r\n\r\n");
        let line = render(COMBINED, &entry(Some(&h), &[]));
        let (before, after) = line.split_once(" [").unwrap();
        assert_eq!(before, "127.0.0.1 - -");
        let (time, rest) = after.split_once("] ").unwrap();
        assert_eq!(time.len(), "14/Nov/2023:22:13:20 +0000".len(), "{time}");
        assert_eq!(
            rest,
            "\"GET /1k.txt?a=b HTTP/1.1\" 200 1024 \"-\" \"curl/7.88.1\"\n"
        );
    }

    #[test]
    fn the_user_is_logged_escaped_or_a_dash() {
        let h = head(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut e = entry(Some(&h), &[]);
        assert_eq!(render("%l %u", &e), "- -\n");
        e.user = Some("alice \"a\"");
        assert_eq!(render("%l %u", &e), "- alice \\\"a\\\"\n");
    }

    #[test]
    fn every_directive_renders() {
        let h = head(b"POST /a%20b?q=1 HTTP/1.0\r\nHost: h.example:81\r\nX-Y: z\r\n\r\n");
        let hdrs = vec![("Content-Type".to_owned(), "text/plain".to_owned())];
        let e = entry(Some(&h), &hdrs);
        assert_eq!(
            render(
                "%a %A %h %l %u %>s %s %b %B %D %T %{ms}T %{X-Y}i %{x-none}i",
                &e
            ),
            "127.0.0.1 127.0.0.2 127.0.0.1 - - 200 200 1024 1024 1500 0 1 z -\n"
        );
        assert_eq!(
            render(
                "%{Content-Type}o|%{Content-Length}o|%U|%q|%H|%m|%v|%V|%p|%{remote}p|%X|%k|%%",
                &e
            ),
            "text/plain|1024|/a b|?q=1|HTTP/1.0|POST|www.example|h.example|8080|5555|+|2|%\n"
        );
        assert_eq!(render("%P", &e).trim_end(), std::process::id().to_string());
        assert_eq!(render("%{sec}t %{msec_frac}t", &e), "1700000000 000\n");
        // end: adds the request's 1.5 ms.
        assert_eq!(
            render("%{begin:usec_frac}t %{end:usec_frac}t %{end:msec}t", &e),
            "000000 001500 1700000000001\n"
        );
        assert_eq!(render("a\\tb\\n", &e), "a\tb\n\n");
    }

    #[test]
    fn zero_bytes_is_a_dash_for_b_and_zero_for_big_b() {
        let mut e = entry(None, &[]);
        e.body_bytes = 0;
        assert_eq!(render("%b %B", &e), "- 0\n");
    }

    #[test]
    fn unparsed_requests_log_the_raw_line_escaped() {
        let mut e = entry(None, &[]);
        e.raw_line = b"GET /\"x\x01\xff HTTP/9";
        e.status = 400;
        assert_eq!(
            render("\"%r\" %>s %m %U", &e),
            "\"GET /\\\"x\\x01\\xff HTTP/9\" 400 - -\n"
        );
        e.raw_line = b"";
        assert_eq!(render("\"%r\"", &e), "\"-\"\n");
    }

    #[test]
    fn values_are_escaped_like_apache() {
        let mut s = String::new();
        escape_into(&mut s, b"a\"b\\c\n\r\t\x08\x0b\x7f\xc3\xa9 d");
        assert_eq!(s, "a\\\"b\\\\c\\n\\r\\t\\b\\v\\x7f\\xc3\\xa9 d");
    }

    #[test]
    fn status_conditions() {
        let h = head(b"GET / HTTP/1.1\r\nHost: x\r\nReferer: r\r\n\r\n");
        let e = entry(Some(&h), &[]);
        assert_eq!(
            render("%200,304{Referer}i %!200{Referer}i %404{Referer}i", &e),
            "r - -\n"
        );
    }

    #[test]
    fn bad_formats_are_refused() {
        for (f, needle) in [
            ("%Z", "Unrecognized LogFormat directive %Z"),
            ("%{Referer", "Unterminated"),
            ("%i", "needs a header name"),
            ("abc %", "at the end"),
            ("%99s", "invalid status"),
        ] {
            let e = Format::parse(f).unwrap_err();
            assert!(e.contains(needle), "{f}: {e}");
        }
    }

    #[test]
    fn nicknames_resolve_and_typos_are_caught() {
        let mut f = Formats::default();
        assert!(f.resolve("combined").is_ok());
        assert!(f.resolve("common").is_ok());
        f.define(&["%h %>s".into(), "short".into()]).unwrap();
        assert_eq!(
            *f.resolve("short").unwrap(),
            Format::parse("%h %>s").unwrap()
        );
        assert!(f.resolve("%h").is_ok());
        let e = f.resolve("combind").unwrap_err();
        assert!(e.contains("neither a LogFormat nickname"), "{e}");
        f.define(&["%h".into()]).unwrap();
        assert_eq!(*f.default, Format::parse("%h").unwrap());
    }

    #[test]
    fn custom_log_checks() {
        assert!(check_custom_log(&["x".into(), "combined".into()]).is_ok());
        assert!(check_custom_log(&["x".into(), "%Q".into()]).is_err());
        let e = check_custom_log(&["x".into(), "combined".into(), "env=x".into()]).unwrap_err();
        assert!(e.contains("not supported"), "{e}");
    }
}
