//! Evaluating a parsed expression for one request. Values are strings; `-eq` and friends
//! compare them as whole integers; `$0`…`$9` are the groups of the last regex that matched
//! (left to right, as Apache evaluates).

use super::parse::{BinaryOp, Cond, Part, Word};
use crate::regex::Captures;

/// What an expression can ask of a request.
pub trait Vars {
    /// `%{NAME}` (upper case), other than the `TIME_*` ones; `None` is the empty string.
    fn var(&self, name: &str) -> Option<String>;
    /// A request header (`req()`, `http()`, `%{HTTP:Name}`), case-insensitive.
    fn request_header(&self, name: &str) -> Option<String>;
    /// A response header as it stands (`resp()`).
    fn response_header(&self, name: &str) -> Option<String>;
    /// A request environment variable (`reqenv()`, `v()`).
    fn request_env(&self, name: &str) -> Option<String>;
    /// A request note (`note()`).
    fn note(&self, name: &str) -> Option<String>;
}

/// One evaluation: the request and the groups of the last regex that matched.
pub struct Evaluation<'v> {
    vars: &'v dyn Vars,
    groups: Option<Captures>,
}

impl<'v> Evaluation<'v> {
    /// An evaluation for `vars`.
    pub fn new(vars: &'v dyn Vars) -> Self {
        Evaluation { vars, groups: None }
    }

    /// Whether `c` holds.
    pub fn cond(&mut self, c: &Cond) -> Result<bool, String> {
        Ok(match c {
            Cond::Const(b) => *b,
            Cond::Not(c) => !self.cond(c)?,
            Cond::And(a, b) => self.cond(a)? && self.cond(b)?,
            Cond::Or(a, b) => self.cond(a)? || self.cond(b)?,
            Cond::Unary(op, w) => {
                let v = self.word(w)?;
                unary(*op, &v, self.vars)?
            }
            Cond::In(w, list) => {
                let v = self.word(w)?;
                let mut found = false;
                for item in list {
                    if self.word(item)? == v {
                        found = true;
                        break;
                    }
                }
                found
            }
            Cond::Match {
                word,
                regex,
                negate,
            } => {
                let v = self.word(word)?;
                let caps = regex.captures(v.as_bytes());
                let matched = caps.is_some();
                if caps.is_some() {
                    self.groups = caps;
                }
                matched != *negate
            }
            Cond::Binary(op, a, b) => {
                let a = self.word(a)?;
                let b = self.word(b)?;
                binary(*op, &a, &b)?
            }
        })
    }

    fn word(&mut self, w: &Word) -> Result<String, String> {
        let mut out = String::new();
        for part in &w.0 {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(name) => out.push_str(&self.var(name)),
                Part::Backref(n) => {
                    let group = self
                        .groups
                        .as_ref()
                        .and_then(|g| g.groups.get(*n as usize).cloned().flatten());
                    out.push_str(&String::from_utf8_lossy(&group.unwrap_or_default()));
                }
                Part::Func(name, arg) => {
                    let arg = self.word(arg)?;
                    out.push_str(&self.function(name, &arg));
                }
            }
        }
        Ok(out)
    }

    /// A string expression's value.
    pub fn string(&mut self, w: &Word) -> Result<String, String> {
        self.word(w)
    }

    fn var(&self, name: &str) -> String {
        variable(self.vars, name).unwrap_or_default()
    }

    fn function(&self, name: &str, arg: &str) -> String {
        let v = &self.vars;
        match name {
            "req" | "http" | "req_novary" => v.request_header(arg),
            "resp" => v.response_header(arg),
            "reqenv" | "v" => v.request_env(arg),
            "osenv" => std::env::var(arg).ok(),
            "note" => v.note(arg),
            "env" => v
                .note(arg)
                .or_else(|| v.request_env(arg))
                .or_else(|| std::env::var(arg).ok()),
            "tolower" => Some(arg.to_lowercase()),
            "toupper" => Some(arg.to_uppercase()),
            "escape" => Some(escape(arg)),
            "unescape" => Some(unescape(arg)),
            _ => None,
        }
        .unwrap_or_default()
    }
}

/// `%{NAME}`: the `TIME…` variables here, the others from the request.
pub fn variable(vars: &dyn Vars, name: &str) -> Option<String> {
    match name.strip_prefix("TIME") {
        Some(t) if t.is_empty() || t.starts_with('_') => Some(time(t)),
        _ => vars.var(name),
    }
}

fn unary(op: char, v: &str, vars: &dyn Vars) -> Result<bool, String> {
    Ok(match op {
        'n' => !v.is_empty(),
        'z' => v.is_empty(),
        'T' => {
            !(v.is_empty()
                || ["0", "off", "false", "no"]
                    .iter()
                    .any(|f| v.eq_ignore_ascii_case(f)))
        }
        'd' => std::fs::metadata(v).is_ok_and(|m| m.is_dir()),
        'e' => std::fs::metadata(v).is_ok(),
        'f' => std::fs::metadata(v).is_ok_and(|m| m.is_file()),
        's' => std::fs::metadata(v).is_ok_and(|m| m.is_file() && m.len() > 0),
        // Links themselves: not followed.
        'L' | 'h' => std::fs::symlink_metadata(v).is_ok_and(|m| m.file_type().is_symlink()),
        'x' => std::fs::metadata(v).is_ok_and(|m| {
            use std::os::unix::fs::PermissionsExt;
            m.is_file() && m.permissions().mode() & 0o100 != 0
        }),
        'R' => ip_match(&vars.var("REMOTE_ADDR").unwrap_or_default(), v)?,
        other => return Err(format!("unknown test -{other}")),
    })
}

fn binary(op: BinaryOp, a: &str, b: &str) -> Result<bool, String> {
    use std::cmp::Ordering::*;
    let int = |s: &str| -> Result<i64, String> {
        s.trim()
            .parse::<i64>()
            .map_err(|_| format!("Not a number: '{s}'"))
    };
    Ok(match op {
        BinaryOp::StrEq => a == b,
        BinaryOp::StrNe => a != b,
        BinaryOp::StrLt => a.cmp(b) == Less,
        BinaryOp::StrLe => a.cmp(b) != Greater,
        BinaryOp::StrGt => a.cmp(b) == Greater,
        BinaryOp::StrGe => a.cmp(b) != Less,
        BinaryOp::IntEq => int(a)? == int(b)?,
        BinaryOp::IntNe => int(a)? != int(b)?,
        BinaryOp::IntLt => int(a)? < int(b)?,
        BinaryOp::IntLe => int(a)? <= int(b)?,
        BinaryOp::IntGt => int(a)? > int(b)?,
        BinaryOp::IntGe => int(a)? >= int(b)?,
        BinaryOp::IpMatch => ip_match(a, b)?,
        BinaryOp::StrMatch => fnmatch(b, a, 0),
        BinaryOp::StrCMatch => fnmatch(b, a, libc::FNM_CASEFOLD),
        BinaryOp::FnMatch => fnmatch(b, a, libc::FNM_PATHNAME),
    })
}

/// Whether the address `ip` is in the network `net` (an address is no match when it is not
/// one, as in Apache).
fn ip_match(ip: &str, net: &str) -> Result<bool, String> {
    let subnet = crate::access::ip::Subnet::parse(net)?;
    Ok(ip
        .parse::<std::net::IpAddr>()
        .is_ok_and(|a| subnet.contains(a.into())))
}

fn fnmatch(pattern: &str, s: &str, flags: i32) -> bool {
    let (Ok(p), Ok(s)) = (std::ffi::CString::new(pattern), std::ffi::CString::new(s)) else {
        return false;
    };
    // SAFETY: two NUL-terminated strings alive across the call.
    unsafe { libc::fnmatch(p.as_ptr(), s.as_ptr(), flags) == 0 }
}

/// `TIME_<rest>` in local time, as Apache formats it.
fn time(rest: &str) -> String {
    // SAFETY: time(3) with a null pointer only returns the time.
    let now = unsafe { libc::time(std::ptr::null_mut()) };
    // SAFETY: an all-zero tm is valid; localtime_r fills it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call.
    unsafe { libc::localtime_r(&now, &mut tm) };
    let (y, mo, d, h, mi, s) = (
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
    );
    match rest {
        "_YEAR" => format!("{y:04}"),
        "_MON" => format!("{mo:02}"),
        "_DAY" => format!("{d:02}"),
        "_HOUR" => format!("{h:02}"),
        "_MIN" => format!("{mi:02}"),
        "_SEC" => format!("{s:02}"),
        "_WDAY" => format!("{}", tm.tm_wday),
        _ => format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}"),
    }
}

/// Apache's `ap_escape_uri`: `%XX` for every byte but letters, digits and `$-_.+!*'(),:@&=/~`.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"$-_.+!*'(),:@&=/~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `%XX` decoded (a malformed escape stays as written).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
