//! ap_expr's tokens: quoted strings (with `%{VAR}` and `$N` inside), `%{VAR}`, `$N`,
//! numbers, names, `-op` operators, punctuation, and the regex after `=~`/`!~`
//! (`/re/flags` or `m#re#flags`).

/// A piece of a quoted string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text as written, escapes resolved.
    Text(String),
    /// `%{NAME}` or `%{func:arg}`: the text between the braces.
    Var(String),
    /// `$0` … `$9`.
    Backref(u8),
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A quoted string.
    Str(Vec<Piece>),
    /// `%{…}` outside a string.
    Var(String),
    /// `$N` outside a string.
    Backref(u8),
    /// Digits.
    Number(String),
    /// A bare name: `true`, `in`, `eq`, a function's name.
    Name(String),
    /// `-f`, `-eq`, `-ipmatch`, …
    Dash(String),
    /// `==`, `=~`, `&&`, `(`, `,`, `.`, …
    Punct(&'static str),
    /// A regex: pattern and whether `i` was given.
    Regex(String, bool),
}

const PUNCTS: &[&str] = &[
    "&&", "||", "==", "!=", "<=", ">=", "=~", "!~", "(", ")", "{", "}", ",", ".", "!", "<", ">",
    "=",
];

/// Splits `text` into tokens.
pub fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if matches!(out.last(), Some(Token::Punct("=~" | "!~"))) {
            let (re, caseless, next) = regex(&chars, i)?;
            out.push(Token::Regex(re, caseless));
            i = next;
            continue;
        }
        match c {
            '\'' | '"' => {
                let (pieces, next) = string(&chars, i + 1, c)?;
                out.push(Token::Str(pieces));
                i = next;
            }
            '%' if chars.get(i + 1) == Some(&'{') => {
                let (name, next) = braces(&chars, i + 2)?;
                out.push(Token::Var(name));
                i = next;
            }
            '$' if chars.get(i + 1).is_some_and(char::is_ascii_digit) => {
                out.push(Token::Backref(chars[i + 1] as u8 - b'0'));
                i += 2;
            }
            '0'..='9' => {
                let end = run(&chars, i, |c| c.is_ascii_digit());
                out.push(Token::Number(chars[i..end].iter().collect()));
                i = end;
            }
            '-' if chars.get(i + 1).is_some_and(char::is_ascii_alphabetic) => {
                let end = run(&chars, i + 1, |c| c.is_ascii_alphanumeric());
                out.push(Token::Dash(chars[i + 1..end].iter().collect()));
                i = end;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let end = run(&chars, i, |c| c.is_ascii_alphanumeric() || c == '_');
                out.push(Token::Name(chars[i..end].iter().collect()));
                i = end;
            }
            _ => {
                let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
                let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) else {
                    return Err(format!("Parse error near '{c}'"));
                };
                out.push(Token::Punct(p));
                i += p.chars().count();
            }
        }
    }
    Ok(out)
}

fn run(chars: &[char], from: usize, f: impl Fn(char) -> bool) -> usize {
    (from..chars.len())
        .find(|&j| !f(chars[j]))
        .unwrap_or(chars.len())
}

/// The text up to the `}` that closes `%{` (at `from`), and the index after it.
fn braces(chars: &[char], from: usize) -> Result<(String, usize), String> {
    let end = (from..chars.len())
        .find(|&j| chars[j] == '}')
        .ok_or("Unterminated %{ variable: '}' missing")?;
    Ok((chars[from..end].iter().collect(), end + 1))
}

/// All of `text` as the inside of a string (string expressions have no quotes).
pub fn bare_string(text: &str) -> Result<Vec<Piece>, String> {
    let mut chars: Vec<char> = text.chars().collect();
    // A closing "quote" no text can hold.
    chars.push('\0');
    string(&chars, 0, '\0').map(|(pieces, _)| pieces)
}

/// A string body from `from` to the closing `quote`; `\` escapes the next character.
fn string(chars: &[char], from: usize, quote: char) -> Result<(Vec<Piece>, usize), String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = from;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(format!(
                "Unterminated string: the closing {quote} is missing"
            ));
        };
        match c {
            c if c == quote => break,
            '\\' if i + 1 < chars.len() => {
                text.push(chars[i + 1]);
                i += 2;
                continue;
            }
            '%' if chars.get(i + 1) == Some(&'{') => {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                let (name, next) = braces(chars, i + 2)?;
                pieces.push(Piece::Var(name));
                i = next;
                continue;
            }
            '$' if chars.get(i + 1).is_some_and(char::is_ascii_digit) => {
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Backref(chars[i + 1] as u8 - b'0'));
                i += 2;
                continue;
            }
            c => text.push(c),
        }
        i += 1;
    }
    if !text.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok((pieces, i + 1))
}

/// `/re/flags` or `m<sep>re<sep>flags` at `from`; `\<sep>` stands for the separator.
fn regex(chars: &[char], from: usize) -> Result<(String, bool, usize), String> {
    let (sep, start) = match chars[from] {
        '/' => ('/', from + 1),
        'm' if chars
            .get(from + 1)
            .is_some_and(|c| !c.is_alphanumeric() && !c.is_whitespace()) =>
        {
            (chars[from + 1], from + 2)
        }
        _ => {
            return Err(
                "syntax error: a regular expression (/…/ or m#…#) must follow =~ and !~".to_owned(),
            )
        }
    };
    let mut pattern = String::new();
    let mut i = start;
    loop {
        match chars.get(i) {
            None => {
                return Err(format!(
                    "Unterminated regular expression: the closing {sep} is missing"
                ))
            }
            Some('\\') if chars.get(i + 1) == Some(&sep) => {
                pattern.push(sep);
                i += 2;
            }
            Some(&c) if c == sep => break,
            Some(&c) => {
                pattern.push(c);
                i += 1;
            }
        }
    }
    i += 1;
    let mut caseless = false;
    while let Some(&f) = chars.get(i).filter(|c| c.is_ascii_alphabetic()) {
        match f {
            'i' => caseless = true,
            other => return Err(format!("Invalid regular expression flag '{other}'")),
        }
        i += 1;
    }
    Ok((pattern, caseless, i))
}
