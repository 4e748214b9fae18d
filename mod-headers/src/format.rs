//! A `Header` value as Apache's mod_headers reads it: literal text (with `\n`, `\r`, `\t` and
//! `\\` escapes) and the tags `%t`, `%D`, `%{VAR}e`, `%{VAR}s` and `%%`, parsed once when the
//! configuration is read and rendered per request.

/// One piece of a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Text as it stands.
    Text(String),
    /// `%t`: `t=` and the time the request was received, in microseconds since the epoch.
    RequestTime,
    /// `%D`: `D=` and the microseconds since the request was received.
    Duration,
    /// `%{VAR}e`: the request's environment variable (`(null)` when unset).
    Env(String),
    /// `%{VAR}s`: an SSL variable (`(null)`: mapache has no TLS yet).
    Ssl(String),
}

/// What rendering a value needs from the request.
pub trait Values {
    /// The time the request was received, in microseconds since the epoch.
    fn request_time_us(&self) -> i64;
    /// The time now, in microseconds since the epoch.
    fn now_us(&self) -> i64;
    /// An environment variable of the request.
    fn env(&self, name: &str) -> Option<String>;
}

/// A parsed value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Format {
    pieces: Vec<Piece>,
}

impl Format {
    /// Parses `text`; an unknown tag is Apache's error (`Unrecognized header format %x`).
    /// `%l`, `%i` and `%b` (load average, idle and busy workers) are Apache's too, but not
    /// mapache's: refused with a line saying so.
    pub fn parse(text: &str) -> Result<Format, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.strip_prefix('%') {
                None => {
                    let end = rest.find('%').unwrap_or(rest.len());
                    pieces.push(Piece::Text(unescape(&rest[..end])));
                    rest = &rest[end..];
                }
                Some(after) => {
                    let (piece, left) = parse_tag(after)?;
                    pieces.push(piece);
                    rest = left;
                }
            }
        }
        Ok(Format { pieces })
    }

    /// The value for one request.
    pub fn render<V: Values + ?Sized>(&self, values: &V) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::RequestTime => out.push_str(&format!("t={}", values.request_time_us())),
                Piece::Duration => {
                    out.push_str(&format!("D={}", values.now_us() - values.request_time_us()))
                }
                // As Apache's unwrap_header: line breaks in a variable become blanks.
                Piece::Env(name) => match values.env(name) {
                    Some(v) => out.extend(v.chars().map(|c| match c {
                        '\r' | '\n' => ' ',
                        c => c,
                    })),
                    None => out.push_str("(null)"),
                },
                Piece::Ssl(_) => out.push_str("(null)"),
            }
        }
        out
    }
}

/// One tag after its `%`: the piece and what follows it.
fn parse_tag(s: &str) -> Result<(Piece, &str), String> {
    // `%%`, and a `%` at the end, stand for `%`.
    if s.is_empty() {
        return Ok((Piece::Text("%".to_owned()), s));
    }
    if let Some(rest) = s.strip_prefix('%') {
        return Ok((Piece::Text("%".to_owned()), rest));
    }
    let (arg, s) = match s.strip_prefix('{') {
        Some(inner) => match inner.find('}') {
            Some(end) => (&inner[..end], &inner[end + 1..]),
            // Apache's ap_getword takes the rest as the argument.
            None => (inner, ""),
        },
        None => ("", s),
    };
    let Some(letter) = s.chars().next() else {
        return Err("Unrecognized header format %".to_owned());
    };
    let rest = &s[letter.len_utf8()..];
    let piece = match letter {
        't' => Piece::RequestTime,
        'D' => Piece::Duration,
        'e' => Piece::Env(arg.to_owned()),
        's' => Piece::Ssl(arg.to_owned()),
        'l' | 'i' | 'b' => {
            return Err(format!(
                "header format %{letter} (load average, idle or busy workers) is not supported by mapache; remove it"
            ))
        }
        other => return Err(format!("Unrecognized header format %{other}")),
    };
    Ok((piece, rest))
}

/// Apache's parse_misc_string: `\\`, `\r`, `\n`, `\t`; any other backslash stays.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('\\') => out.push('\\'),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            _ => {
                out.push('\\');
                continue;
            }
        }
        chars.next();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl Values for Fixed {
        fn request_time_us(&self) -> i64 {
            1_000_000
        }
        fn now_us(&self) -> i64 {
            1_000_250
        }
        fn env(&self, name: &str) -> Option<String> {
            (name == "USER").then(|| "a\nb".to_owned())
        }
    }

    fn render(text: &str) -> String {
        Format::parse(text).unwrap().render(&Fixed)
    }

    #[test]
    fn tags_render_as_apaches() {
        assert_eq!(render("%t %D"), "t=1000000 D=250");
        assert_eq!(render("u=%{USER}e;x=%{NONE}e"), "u=a b;x=(null)");
        assert_eq!(render("%{SSL_PROTOCOL}s"), "(null)");
        assert_eq!(render("100%% sure, 5%"), "100% sure, 5%");
        assert_eq!(render(r"a\tb\\c\qd"), "a\tb\\c\\qd");
        assert_eq!(render(""), "");
    }

    #[test]
    fn unknown_tags_are_apaches_error() {
        assert_eq!(
            Format::parse("x %y").unwrap_err(),
            "Unrecognized header format %y"
        );
        assert!(Format::parse("%l")
            .unwrap_err()
            .contains("not supported by mapache"));
    }
}
