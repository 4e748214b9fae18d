//! `ErrorLogFormat`: Apache's error-log line items and its field rules.
//!
//! A format is a list of items; a space (or `% `) starts a new field. An item that comes out
//! empty removes its whole field (back to the field's start), unless it has the `-` modifier
//! (then it is `-`) or the `+` modifier (then the whole line is dropped); a number before the
//! letter shows the field only for lines of that level or less severe (`%7F`: debug). `\ ` is a
//! space that does not start a field, so `[client\ %a]` disappears as one when there is no
//! client. The message `%M` is always written.

use std::fmt::Write as _;
use std::panic::Location;

/// What a line may show about the request it concerns.
pub trait RequestItems {
    /// A request header.
    fn header(&self, name: &str) -> Option<&[u8]>;
    /// An environment variable.
    fn env(&self, name: &str) -> Option<&str>;
    /// A note.
    fn note(&self, name: &str) -> Option<&str>;
    /// The request's log id (`%L`), made on first use.
    fn log_id(&self) -> String;
    /// Requests served on the connection before this one.
    fn keepalives(&self) -> u64;
    /// Our address and port on the connection.
    fn local(&self) -> String;
    /// The request's server name for self-referential URLs (`%V`, UseCanonicalName).
    fn host(&self) -> Option<String>;
    /// The ServerName of the request's virtual host (`%v`).
    fn server_name(&self) -> String;
    /// The connection's peer `ip:port` (`%{c}a`), which differs from the line's client when a
    /// module (mod_remoteip) set the useragent's address.
    fn peer(&self) -> String;
}

/// One line to format.
pub struct Line<'a> {
    /// The module logging.
    pub module: &'a str,
    /// The level's name.
    pub level_name: &'a str,
    /// The level number.
    pub level: i32,
    /// The client `ip:port`, when the line concerns a connection.
    pub client: Option<&'a str>,
    /// The request, when the line concerns one.
    pub request: Option<&'a dyn RequestItems>,
    /// Where the line was logged from (`%F`).
    pub location: &'static Location<'static>,
    /// ServerName (`%v`, and `%V` without a request host).
    pub server_name: &'a str,
    /// The message.
    pub message: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum What {
    Text(String),
    Message,
    Item(char, Option<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    what: What,
    /// A space or `% ` starts a field here.
    field_start: bool,
    /// `+`: the line is dropped when this is empty.
    required: bool,
    /// `-`: `-` when empty.
    hyphen: bool,
    /// Shown for lines at this level or less severe.
    min_level: i32,
}

/// A parsed ErrorLogFormat.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorFormat {
    pieces: Vec<Piece>,
}

const LETTERS: &str = "aAeEFiklLmnPtTvV";

/// Checks an ErrorLogFormat line as it is read.
pub fn check_directive(args: &[String]) -> Result<(), String> {
    ErrorFormat::default().apply(args)
}

impl ErrorFormat {
    /// Applies one ErrorLogFormat line: `format`, or `connection|request format`, which Apache
    /// logs once per connection or request before its first line (refused here: not done).
    pub fn apply(&mut self, args: &[String]) -> Result<(), String> {
        if args.len() == 2 {
            let kind = args[0].to_ascii_lowercase();
            if kind == "connection" || kind == "request" {
                return Err(format!(
                    "ErrorLogFormat {kind}: the once-per-{kind} lines are not supported by mapache; use a single format"
                ));
            }
            return Err(format!(
                "ErrorLogFormat takes a format, or connection|request and a format, not '{}'",
                args[0]
            ));
        }
        *self = ErrorFormat::parse(&args[0])?;
        Ok(())
    }

    /// Parses a format string.
    pub fn parse(text: &str) -> Result<ErrorFormat, String> {
        let mut pieces = Vec::new();
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let mut piece = Piece {
                what: What::Text(String::new()),
                field_start: false,
                required: false,
                hyphen: false,
                min_level: 0,
            };
            if b[i] == b'%' && b.get(i + 1) == Some(&b' ') {
                piece.field_start = true;
                i += 2;
                if i >= b.len() {
                    pieces.push(piece);
                    break;
                }
            }
            if b[i] != b'%' {
                // A literal: up to the next % or the next space (a leading space is its own
                // field start, kept).
                let mut s = Vec::new();
                if b[i] == b' ' {
                    piece.field_start = true;
                    s.push(b' ');
                    i += 1;
                }
                while i < b.len() && b[i] != b'%' && b[i] != b' ' {
                    if b[i] == b'\\' {
                        i += 1;
                        match b.get(i) {
                            Some(b'n') => s.push(b'\n'),
                            Some(b't') => s.push(b'\t'),
                            Some(b'r') => s.push(b'\r'),
                            Some(&c) => s.push(c),
                            None => {
                                s.push(b'\\');
                                break;
                            }
                        }
                        i += 1;
                    } else {
                        s.push(b[i]);
                        i += 1;
                    }
                }
                piece.what = What::Text(String::from_utf8_lossy(&s).into_owned());
                pieces.push(piece);
                continue;
            }
            i += 1;
            if b.get(i) == Some(&b'%') {
                piece.what = What::Text("%".to_owned());
                pieces.push(piece);
                i += 1;
                continue;
            }
            let mut arg = None;
            loop {
                let Some(&c) = b.get(i) else {
                    return Err(
                        "Ran off end of error log format parsing args to some directive".to_owned(),
                    );
                };
                i += 1;
                match c {
                    b'{' => {
                        let end = text[i..]
                            .find('}')
                            .map(|e| i + e)
                            .ok_or("Unterminated { in ErrorLogFormat")?;
                        arg = Some(text[i..end].to_owned());
                        i = end + 1;
                    }
                    b'+' => piece.required = true,
                    b'-' => piece.hyphen = true,
                    b'0'..=b'9' => {
                        let mut n = i32::from(c - b'0');
                        while let Some(d @ b'0'..=b'9') = b.get(i) {
                            n = n * 10 + i32::from(d - b'0');
                            i += 1;
                        }
                        piece.min_level = n;
                    }
                    b'M' => {
                        piece.what = What::Message;
                        break;
                    }
                    c if LETTERS.contains(char::from(c)) => {
                        let c = char::from(c);
                        if matches!(c, 'i' | 'e' | 'n') && arg.is_none() {
                            return Err(format!(
                                "Error log format directive %{c} needs a name: %{{Name}}{c}"
                            ));
                        }
                        piece.what = What::Item(c, arg.take());
                        break;
                    }
                    other => {
                        return Err(format!(
                            "Unrecognized error log format directive %{}",
                            char::from(other)
                        ))
                    }
                }
            }
            pieces.push(piece);
        }
        if !pieces.iter().any(|p| p.what == What::Message) {
            return Err("main ErrorLogFormat must contain message format string '%M'".to_owned());
        }
        Ok(ErrorFormat { pieces })
    }

    /// The line, without its newline; None when a `+` item was empty.
    pub fn render(&self, line: &Line<'_>) -> Option<String> {
        let mut out = String::with_capacity(160);
        let mut field_start = 0;
        let mut skipping = false;
        for p in &self.pieces {
            if p.field_start {
                if skipping {
                    skipping = false;
                } else {
                    field_start = out.len();
                }
            }
            if p.what == What::Message {
                out.extend(
                    line.message
                        .chars()
                        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
                );
                continue;
            }
            if skipping {
                continue;
            }
            if p.min_level > line.level {
                out.truncate(field_start);
                skipping = true;
                continue;
            }
            let before = out.len();
            item(&mut out, &p.what, line);
            if out.len() == before {
                if p.required {
                    return None;
                } else if p.hyphen {
                    out.push('-');
                } else {
                    out.truncate(field_start);
                    skipping = true;
                }
            }
        }
        Some(out)
    }
}

fn item(out: &mut String, what: &What, l: &Line<'_>) {
    let (c, arg) = match what {
        What::Text(s) => {
            out.push_str(s);
            return;
        }
        What::Message => return,
        What::Item(c, arg) => (*c, arg.as_deref()),
    };
    let r = l.request;
    let escaped = |out: &mut String, v: Option<&[u8]>| {
        if let Some(v) = v {
            super::access_log::escape_into(out, v);
        }
    };
    match c {
        'a' => match (arg, r) {
            (Some("c"), Some(r)) => out.push_str(&r.peer()),
            _ => out.push_str(l.client.unwrap_or("")),
        },
        'A' => {
            if let Some(r) = r {
                out.push_str(&r.local());
            }
        }
        'e' => escaped(
            out,
            r.and_then(|r| r.env(arg.unwrap_or(""))).map(str::as_bytes),
        ),
        'n' => escaped(
            out,
            r.and_then(|r| r.note(arg.unwrap_or(""))).map(str::as_bytes),
        ),
        'i' => escaped(out, r.and_then(|r| r.header(arg.unwrap_or("")))),
        // mapache's lines carry no OS error status apart from their text.
        'E' => {}
        'F' => {
            let _ = write!(out, "{}({})", l.location.file(), l.location.line());
        }
        'k' => {
            if let Some(r) = r {
                let _ = write!(out, "{}", r.keepalives());
            }
        }
        'l' => out.push_str(l.level_name),
        'L' => {
            if let Some(r) = r {
                out.push_str(&r.log_id());
            }
        }
        'm' => out.push_str(l.module),
        'P' => {
            let _ = write!(out, "{}", std::process::id());
        }
        'T' => {
            // SAFETY: gettid has no preconditions.
            let _ = write!(out, "{}", unsafe { libc::gettid() });
        }
        't' => out.push_str(&time(arg.unwrap_or(""))),
        'v' => match r {
            Some(r) => out.push_str(&r.server_name()),
            None => out.push_str(l.server_name),
        },
        'V' => match r.and_then(|r| r.host()) {
            Some(h) => out.push_str(&h),
            None => out.push_str(l.server_name),
        },
        _ => {}
    }
}

/// `%t` (`Thu Dec 03 17:23:27 2026`), `%{u}t` (with µs), `%{cu}t` (`2026-12-03
/// 17:23:27.801627`), `%{c}t` (compact, no µs). The default line's time is `%{u}t`.
pub(super) fn time(arg: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes into the tm we own; a zeroed tm is a valid initial value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&secs, &mut tm) };
    let micros = arg.contains('u');
    let mut s = if arg.contains('c') {
        format!(
            "{}-{:02}-{:02} {:02}:{:02}:{:02}",
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec
        )
    } else {
        const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{} {} {:02} {:02}:{:02}:{:02}",
            DAYS[tm.tm_wday.clamp(0, 6) as usize],
            MONTHS[tm.tm_mon.clamp(0, 11) as usize],
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec
        )
    };
    if micros {
        let _ = write!(s, ".{:06}", now.subsec_micros());
    }
    if !arg.contains('c') {
        let _ = write!(s, " {}", tm.tm_year + 1900);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Req;
    impl RequestItems for Req {
        fn header(&self, name: &str) -> Option<&[u8]> {
            (name == "Referer").then_some(b"http://r/")
        }
        fn env(&self, name: &str) -> Option<&str> {
            (name == "E").then_some("ev")
        }
        fn note(&self, _: &str) -> Option<&str> {
            None
        }
        fn log_id(&self) -> String {
            "id1".to_owned()
        }
        fn keepalives(&self) -> u64 {
            3
        }
        fn local(&self) -> String {
            "127.0.0.1:80".to_owned()
        }
        fn host(&self) -> Option<String> {
            Some("h.example".to_owned())
        }
        fn server_name(&self) -> String {
            "vhost.example".to_owned()
        }
        fn peer(&self) -> String {
            "10.0.0.1:4000".to_owned()
        }
    }

    fn render(fmt: &str, client: Option<&str>, request: bool, level: i32) -> Option<String> {
        let req = Req;
        ErrorFormat::parse(fmt).unwrap().render(&Line {
            module: "core",
            level_name: "error",
            level,
            client,
            request: request.then_some(&req as &dyn RequestItems),
            location: Location::caller(),
            server_name: "www.example",
            message: "it broke",
        })
    }

    #[test]
    fn apaches_example_format() {
        let f = "[%-m:%l] [pid %P] %7F: %E: [client\\ %a] %M% ,\\ referer\\ %{Referer}i";
        let pid = std::process::id();
        assert_eq!(
            render(f, Some("1.2.3.4:5"), true, 3).unwrap(),
            format!("[core:error] [pid {pid}] [client 1.2.3.4:5] it broke, referer http://r/")
        );
        // No client, no request: their fields go, spaces included.
        assert_eq!(
            render(f, None, false, 3).unwrap(),
            format!("[core:error] [pid {pid}] it broke")
        );
        // %7F shows at debug.
        let line = render(f, None, false, 7).unwrap();
        assert!(line.contains("error_format.rs("), "{line}");
    }

    #[test]
    fn modifiers_and_items() {
        assert_eq!(render("%-{X}i %M", None, true, 3).unwrap(), "- it broke");
        assert_eq!(render("%+{X}i %M", None, true, 3), None);
        assert_eq!(
            render("%{E}e %k %L %A %v %V %% %M", None, true, 3).unwrap(),
            "ev 3 id1 127.0.0.1:80 vhost.example h.example % it broke"
        );
        assert_eq!(
            render("%V %M", None, false, 3).unwrap(),
            "www.example it broke"
        );
        let t = render("%{cu}t|%M", None, false, 3).unwrap();
        assert_eq!(t.len(), "2026-12-03 17:23:27.801627|it broke".len(), "{t}");
        let t = render("[%{u}t] %M", None, false, 3).unwrap();
        assert_eq!(
            t.len(),
            "[Thu Dec 03 17:23:27.801627 2026] it broke".len(),
            "{t}"
        );
        let t = render("[%t] %M", None, false, 3).unwrap();
        assert_eq!(t.len(), "[Thu Dec 03 17:23:27 2026] it broke".len(), "{t}");
    }

    #[test]
    fn client_and_peer() {
        // The line's client is the useragent; `%{c}a` the connection's peer.
        assert_eq!(
            render("%a %{c}a %M", Some("203.0.113.7:0"), true, 3).unwrap(),
            "203.0.113.7:0 10.0.0.1:4000 it broke"
        );
    }

    #[test]
    fn bad_formats_are_refused() {
        for (f, needle) in [
            ("%Z %M", "Unrecognized error log format directive %Z"),
            ("%{x", "Unterminated"),
            ("%", "Ran off end"),
            ("%i %M", "needs a name"),
            ("[%l]", "must contain message format string '%M'"),
        ] {
            let e = ErrorFormat::parse(f).unwrap_err();
            assert!(e.contains(needle), "{f}: {e}");
        }
        let e = check_directive(&["request".into(), "%M".into()]).unwrap_err();
        assert!(e.contains("not supported"), "{e}");
    }
}
