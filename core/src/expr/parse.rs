//! ap_expr's grammar, by recursive descent: `||` binds loosest, then `&&`, then `!`; a
//! comparison is `word op word`, `word in {…}`, `word =~ regex` or `-op word`. Variable and
//! function names are checked here, so a misspelt one fails `-t` as in Apache.

use super::lex::{Piece, Token};
use crate::regex::Regex;

/// A condition.
#[derive(Debug)]
pub enum Cond {
    /// `true` / `false`.
    Const(bool),
    /// `! c`.
    Not(Box<Cond>),
    /// `a && b`.
    And(Box<Cond>, Box<Cond>),
    /// `a || b`.
    Or(Box<Cond>, Box<Cond>),
    /// `a == b`, `a -eq b`, `a -ipmatch b`, …
    Binary(BinaryOp, Word, Word),
    /// `-f a`, `-z a`, …
    Unary(char, Word),
    /// `a in {b, c}`.
    In(Word, Vec<Word>),
    /// `a =~ /re/` (`negate`: `!~`).
    Match {
        /// What is matched.
        word: Word,
        /// The compiled pattern.
        regex: Regex,
        /// `!~`.
        negate: bool,
    },
}

/// The binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `==` / `=`.
    StrEq,
    /// `!=`.
    StrNe,
    /// `<`.
    StrLt,
    /// `<=`.
    StrLe,
    /// `>`.
    StrGt,
    /// `>=`.
    StrGe,
    /// `-eq`.
    IntEq,
    /// `-ne`.
    IntNe,
    /// `-lt`.
    IntLt,
    /// `-le`.
    IntLe,
    /// `-gt`.
    IntGt,
    /// `-ge`.
    IntGe,
    /// `-ipmatch`.
    IpMatch,
    /// `-strmatch` (wildcards).
    StrMatch,
    /// `-strcmatch` (wildcards, case-insensitive).
    StrCMatch,
    /// `-fnmatch` (wildcards, `/` only matched by `/`).
    FnMatch,
}

/// A value: parts joined (`.` concatenates, a string holds several).
#[derive(Debug)]
pub struct Word(pub Vec<Part>);

/// One part of a value.
#[derive(Debug)]
pub enum Part {
    /// Text.
    Text(String),
    /// `%{NAME}`: a request or server variable (upper case).
    Var(String),
    /// `$N`: a group of the last regex that matched.
    Backref(u8),
    /// `name(word)` or `%{name:text}`: a function (lower case) of a value.
    Func(String, Box<Word>),
}

/// The `%{NAME}` variables (Apache's `request_var_names` and friends that mapache knows).
pub const VARIABLES: &[&str] = &[
    "HTTP_ACCEPT",
    "HTTP_COOKIE",
    "HTTP_FORWARDED",
    "HTTP_HOST",
    "HTTP_PROXY_CONNECTION",
    "HTTP_REFERER",
    "HTTP_USER_AGENT",
    "REQUEST_METHOD",
    "REQUEST_SCHEME",
    "REQUEST_URI",
    "DOCUMENT_URI",
    "REQUEST_FILENAME",
    "SCRIPT_FILENAME",
    "QUERY_STRING",
    "IS_SUBREQ",
    "DOCUMENT_ROOT",
    "AUTH_TYPE",
    "THE_REQUEST",
    "CONTENT_TYPE",
    "HANDLER",
    "REMOTE_USER",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "SERVER_SOFTWARE",
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "HTTPS",
    "IPV6",
    "REQUEST_STATUS",
    "CONTEXT_PREFIX",
    "CONTEXT_DOCUMENT_ROOT",
    "TIME_YEAR",
    "TIME_MON",
    "TIME_DAY",
    "TIME_HOUR",
    "TIME_MIN",
    "TIME_SEC",
    "TIME_WDAY",
    "TIME",
];

/// The functions (`name(word)`, `%{name:text}`).
pub const FUNCTIONS: &[&str] = &[
    "req",
    "http",
    "req_novary",
    "resp",
    "reqenv",
    "v",
    "osenv",
    "env",
    "note",
    "tolower",
    "toupper",
    "escape",
    "unescape",
];

/// File and string tests: `-d -e -f -s -L -h -x -n -z -T -R`.
const UNARY: &str = "defsLhxnzTR";

/// Parses a token list.
pub struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    /// A parser over `tokens`.
    pub fn new(tokens: Vec<Token>) -> Parser {
        Parser { tokens, at: 0 }
    }

    /// The whole expression.
    pub fn parse(mut self) -> Result<Cond, String> {
        let c = self.or()?;
        match self.peek() {
            None => Ok(c),
            Some(t) => Err(unexpected(Some(t))),
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Token::Punct(q)) if *q == p) {
            self.at += 1;
            return true;
        }
        false
    }

    fn expect(&mut self, p: &str) -> Result<(), String> {
        if self.eat(p) {
            return Ok(());
        }
        Err(format!("{}, expecting '{p}'", unexpected(self.peek())))
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut left = self.and()?;
        while self.eat("||") {
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut left = self.not()?;
        while self.eat("&&") {
            left = Cond::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self.eat("!") {
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, String> {
        match self.peek() {
            Some(Token::Punct("(")) => {
                self.at += 1;
                let c = self.or()?;
                self.expect(")")?;
                Ok(c)
            }
            Some(Token::Name(n)) if n == "true" || n == "false" => {
                let value = n == "true";
                self.at += 1;
                Ok(Cond::Const(value))
            }
            Some(Token::Dash(op)) => {
                let op = op.clone();
                let c = match op.chars().collect::<Vec<_>>().as_slice() {
                    [c] if UNARY.contains(*c) => *c,
                    _ => {
                        return Err(format!(
                            "syntax error, unexpected '-{op}', expecting a test such as -f, -d, -z"
                        ))
                    }
                };
                self.at += 1;
                Ok(Cond::Unary(c, self.word()?))
            }
            _ => self.comparison(),
        }
    }

    fn comparison(&mut self) -> Result<Cond, String> {
        let left = self.word()?;
        let op = match self.next() {
            Some(Token::Punct(p)) => match p {
                "==" | "=" => BinaryOp::StrEq,
                "!=" => BinaryOp::StrNe,
                "<" => BinaryOp::StrLt,
                "<=" => BinaryOp::StrLe,
                ">" => BinaryOp::StrGt,
                ">=" => BinaryOp::StrGe,
                "=~" | "!~" => {
                    let Some(Token::Regex(pattern, caseless)) = self.next() else {
                        return Err("syntax error, expecting a regular expression".to_owned());
                    };
                    let regex = Regex::new(&pattern, caseless).map_err(|e| {
                        format!("Failed to compile regular expression {pattern}: {e}")
                    })?;
                    return Ok(Cond::Match {
                        word: left,
                        regex,
                        negate: p == "!~",
                    });
                }
                _ => return Err(unexpected(Some(&Token::Punct(p)))),
            },
            Some(Token::Name(n)) if n == "in" => {
                self.expect("{")?;
                let mut list = vec![self.word()?];
                while self.eat(",") {
                    list.push(self.word()?);
                }
                self.expect("}")?;
                return Ok(Cond::In(left, list));
            }
            Some(Token::Dash(op)) | Some(Token::Name(op)) => match binary(&op) {
                Some(op) => op,
                None => return Err(format!("syntax error, unexpected '{op}'")),
            },
            other => {
                return Err(format!(
                    "{}, expecting a comparison operator",
                    unexpected(other.as_ref())
                ))
            }
        };
        Ok(Cond::Binary(op, left, self.word()?))
    }

    /// A value and the values `.` joins to it.
    fn word(&mut self) -> Result<Word, String> {
        let mut parts = self.word_part()?;
        while self.eat(".") {
            parts.extend(self.word_part()?);
        }
        Ok(Word(parts))
    }

    fn word_part(&mut self) -> Result<Vec<Part>, String> {
        match self.next() {
            Some(Token::Str(pieces)) => parts(pieces),
            Some(Token::Number(n)) => Ok(vec![Part::Text(n)]),
            Some(Token::Var(v)) => Ok(vec![variable(&v)?]),
            Some(Token::Backref(n)) => Ok(vec![Part::Backref(n)]),
            Some(Token::Name(name)) if self.eat("(") => {
                let arg = self.word()?;
                self.expect(")")?;
                Ok(vec![function(&name, arg)?])
            }
            other => Err(format!("{}, expecting a value", unexpected(other.as_ref()))),
        }
    }
}

/// A string expression's pieces as a value.
pub fn string_word(pieces: Vec<Piece>) -> Result<Word, String> {
    parts(pieces).map(Word)
}

fn parts(pieces: Vec<Piece>) -> Result<Vec<Part>, String> {
    pieces
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => Ok(Part::Text(t)),
            Piece::Backref(n) => Ok(Part::Backref(n)),
            Piece::Var(v) => variable(&v),
        })
        .collect()
}

/// `%{NAME}` or `%{func:arg}`.
fn variable(inner: &str) -> Result<Part, String> {
    if let Some((func, arg)) = inner.split_once(':') {
        return function(func, Word(vec![Part::Text(arg.to_owned())]));
    }
    let name = inner.to_ascii_uppercase();
    if !VARIABLES.contains(&name.as_str()) {
        return Err(format!("Variable '{inner}' does not exist"));
    }
    Ok(Part::Var(name))
}

fn function(name: &str, arg: Word) -> Result<Part, String> {
    let lower = name.to_ascii_lowercase();
    if !FUNCTIONS.contains(&lower.as_str()) {
        return Err(format!("Function '{name}' does not exist"));
    }
    Ok(Part::Func(lower, Box::new(arg)))
}

fn binary(op: &str) -> Option<BinaryOp> {
    Some(match op {
        "eq" => BinaryOp::IntEq,
        "ne" => BinaryOp::IntNe,
        "lt" => BinaryOp::IntLt,
        "le" => BinaryOp::IntLe,
        "gt" => BinaryOp::IntGt,
        "ge" => BinaryOp::IntGe,
        "ipmatch" => BinaryOp::IpMatch,
        "strmatch" => BinaryOp::StrMatch,
        "strcmatch" => BinaryOp::StrCMatch,
        "fnmatch" => BinaryOp::FnMatch,
        _ => return None,
    })
}

/// Apache's (bison's) wording for a token out of place.
fn unexpected(t: Option<&Token>) -> String {
    let what = match t {
        None => "end of expression".to_owned(),
        Some(Token::Str(_)) => "string".to_owned(),
        Some(Token::Var(v)) => format!("%{{{v}}}"),
        Some(Token::Backref(n)) => format!("${n}"),
        Some(Token::Number(n)) => n.clone(),
        Some(Token::Name(n)) => format!("'{n}'"),
        Some(Token::Dash(d)) => format!("'-{d}'"),
        Some(Token::Punct(p)) => format!("'{p}'"),
        Some(Token::Regex(r, _)) => format!("regular expression /{r}/"),
    };
    format!("syntax error, unexpected {what}")
}
