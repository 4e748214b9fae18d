//! RewriteCond: a TestString (a [`Template`]) and a CondPattern, parsed as Apache's
//! `cmd_rewritecond`: a leading `!` negates; `=`, `<`, `>`, `<=`, `>=` compare strings
//! (`[NC]`: ignoring case), `-eq -ne -lt -le -gt -ge` integers (as C's `atoi`), `-d -f -s -l
//! -L -h -x` test the file system, `-F` and `-U` ask the server whether a file or URL would
//! be served; anything else is a regular expression whose groups become `%N`. The form
//! `RewriteCond expr "…"` is an ap_expr condition.

use crate::flags::{self, CondFlags};
use crate::pattern::Pattern;
use crate::template::{Backrefs, Template};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

/// What a condition tests its expanded TestString with.
#[derive(Debug)]
pub enum Test {
    /// A regular expression.
    Regex(Pattern),
    /// `=`, `<`, `>`, `<=`, `>=` against the text.
    Compare(std::cmp::Ordering, bool, String),
    /// `-eq` … `-ge` against the number.
    Integer(IntOp, i64),
    /// `-d`, `-f`, `-s`, `-l`/`-L`/`-h`, `-x`.
    File(FileTest),
    /// `-F`: a file the server would serve (access checks included).
    FileLookup,
    /// `-U`: a URL the server would serve.
    UrlLookup,
    /// `expr`: an ap_expr condition (the TestString is not used).
    Expr(mapache_plugin_api::sdk::expr::Expr),
}

/// An integer comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOp {
    /// `-eq`
    Eq,
    /// `-ne`
    Ne,
    /// `-lt`
    Lt,
    /// `-le`
    Le,
    /// `-gt`
    Gt,
    /// `-ge`
    Ge,
}

/// A file-system test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileTest {
    /// `-d`: a directory.
    Dir,
    /// `-f`: a regular file.
    File,
    /// `-s`: a regular file with a size above zero.
    NonEmpty,
    /// `-l`, `-L`, `-h`: a symbolic link.
    Link,
    /// `-x`: executable by someone.
    Executable,
}

/// One RewriteCond line.
#[derive(Debug)]
pub struct Cond {
    /// The TestString.
    pub input: Template,
    /// As written (for the trace).
    pub input_text: String,
    /// The CondPattern as written.
    pub pattern_text: String,
    /// The test.
    pub test: Test,
    /// A leading `!`.
    pub negate: bool,
    /// `[NC,OR,NV]`.
    pub flags: CondFlags,
}

/// What a condition asks of the server beyond its text.
pub trait Probe {
    /// `-U`: whether `url` would be served (a subrequest's lookup).
    fn url_served(&mut self, url: &str) -> bool;
    /// `-F`: whether the file `path` would be served.
    fn file_served(&mut self, path: &str) -> bool;
    /// `expr`: the condition's value (an error is logged and counts as false).
    fn expr(&mut self, expr: &mapache_plugin_api::sdk::expr::Expr) -> bool;
}

impl Cond {
    /// Parses `RewriteCond input pattern [flags]`.
    pub fn parse(input: &str, pattern: &str, flags: Option<&str>) -> Result<Cond, String> {
        let flags = match flags {
            Some(f) => flags::parse_cond(f)?,
            None => CondFlags::default(),
        };
        if input == "expr" {
            let expr = mapache_plugin_api::sdk::expr::Expr::parse(
                pattern,
                mapache_plugin_api::sdk::expr::ExprKind::Bool,
            )
            .map_err(|e| format!("RewriteCond: cannot compile expression \"{pattern}\": {e}"))?;
            return Ok(Cond {
                input: Template::default(),
                input_text: input.to_owned(),
                pattern_text: pattern.to_owned(),
                test: Test::Expr(expr),
                negate: false,
                flags,
            });
        }
        let (negate, body) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let test = parse_test(body, flags.nocase)?;
        Ok(Cond {
            input: Template::parse(input)?,
            input_text: input.to_owned(),
            pattern_text: pattern.to_owned(),
            test,
            negate,
            flags,
        })
    }

    /// Whether the condition holds for the expanded `input`; a regex match that counts
    /// (not negated) gives its groups, the next `%N`.
    pub fn check(&self, input: &str, probe: &mut dyn Probe) -> (bool, Option<Backrefs>) {
        let mut refs = None;
        let rc = match &self.test {
            Test::Regex(p) => match p.captures(input) {
                Some(m) => {
                    if !self.negate {
                        refs = Some(m);
                    }
                    true
                }
                None => false,
            },
            Test::Compare(want, or_equal, text) => {
                let got = if self.flags.nocase {
                    input.to_ascii_lowercase().cmp(&text.to_ascii_lowercase())
                } else {
                    input.as_bytes().cmp(text.as_bytes())
                };
                got == *want || (*or_equal && got == std::cmp::Ordering::Equal)
            }
            Test::Integer(op, n) => {
                let v = atoi(input);
                match op {
                    IntOp::Eq => v == *n,
                    IntOp::Ne => v != *n,
                    IntOp::Lt => v < *n,
                    IntOp::Le => v <= *n,
                    IntOp::Gt => v > *n,
                    IntOp::Ge => v >= *n,
                }
            }
            Test::File(t) => file_test(*t, input),
            Test::FileLookup => probe.file_served(input),
            Test::UrlLookup => probe.url_served(input),
            Test::Expr(e) => probe.expr(e),
        };
        (rc != self.negate, refs)
    }
}

/// C's `atoi`: leading blanks, a sign, digits up to the first other character; 0 for none.
fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -v
    } else {
        v
    }
}

fn parse_test(body: &str, nocase: bool) -> Result<Test, String> {
    use std::cmp::Ordering::*;
    for (op, ord, or_equal) in [
        ("<=", Less, true),
        (">=", Greater, true),
        ("<", Less, false),
        (">", Greater, false),
        ("=", Equal, false),
    ] {
        if let Some(rest) = body.strip_prefix(op) {
            // `=""` compares with the empty string, as in Apache.
            let text = if rest == "\"\"" { "" } else { rest };
            return Ok(Test::Compare(ord, or_equal, text.to_owned()));
        }
    }
    let int_op = match body.get(..3).map(str::to_ascii_lowercase).as_deref() {
        Some("-eq") => Some(IntOp::Eq),
        Some("-ne") => Some(IntOp::Ne),
        Some("-lt") => Some(IntOp::Lt),
        Some("-le") => Some(IntOp::Le),
        Some("-gt") => Some(IntOp::Gt),
        Some("-ge") => Some(IntOp::Ge),
        _ => None,
    };
    if let Some(op) = int_op {
        return Ok(Test::Integer(op, atoi(&body[3..])));
    }
    let file = match body {
        "-d" => Some(Test::File(FileTest::Dir)),
        "-f" => Some(Test::File(FileTest::File)),
        "-s" => Some(Test::File(FileTest::NonEmpty)),
        "-l" | "-L" | "-h" => Some(Test::File(FileTest::Link)),
        "-x" => Some(Test::File(FileTest::Executable)),
        "-F" => Some(Test::FileLookup),
        "-U" => Some(Test::UrlLookup),
        _ => None,
    };
    if let Some(t) = file {
        return Ok(t);
    }
    Pattern::compile(body, nocase, "RewriteCond").map(Test::Regex)
}

fn file_test(t: FileTest, path: &str) -> bool {
    if path.is_empty() {
        return false;
    }
    match t {
        FileTest::Link => std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()),
        _ => std::fs::metadata(path).is_ok_and(|m| match t {
            FileTest::Dir => m.is_dir(),
            FileTest::File => m.is_file(),
            FileTest::NonEmpty => m.is_file() && m.size() > 0,
            FileTest::Executable => m.permissions().mode() & 0o111 != 0,
            FileTest::Link => unreachable!(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoProbe;
    impl Probe for NoProbe {
        fn url_served(&mut self, url: &str) -> bool {
            url == "/yes"
        }
        fn file_served(&mut self, _: &str) -> bool {
            false
        }
        fn expr(&mut self, _: &mapache_plugin_api::sdk::expr::Expr) -> bool {
            false
        }
    }

    fn holds(pattern: &str, flags: Option<&str>, input: &str) -> bool {
        Cond::parse("x", pattern, flags)
            .unwrap()
            .check(input, &mut NoProbe)
            .0
    }

    #[test]
    fn string_comparisons() {
        assert!(holds("=abc", None, "abc"));
        assert!(!holds("=abc", None, "ABC"));
        assert!(holds("=abc", Some("[NC]"), "ABC"));
        assert!(holds("=\"\"", None, ""));
        assert!(holds("!=\"\"", None, "x"));
        assert!(holds("<b", None, "a"));
        assert!(holds(">a", None, "b"));
        assert!(holds("<=a", None, "a"));
        assert!(holds(">=a", None, "a"));
        assert!(!holds(">a", None, "a"));
    }

    #[test]
    fn integer_comparisons_read_numbers_as_atoi() {
        assert!(holds("-eq5", None, "5"));
        assert!(holds("-eq5", None, " 5xyz"));
        assert!(holds("-lt10", None, "9"));
        assert!(holds("-ge10", None, "10"));
        assert!(holds("-gt-1", None, "0"));
        assert!(holds("-ne0", None, "1"));
        assert!(holds("-le0", None, "abc"));
    }

    #[test]
    fn regex_groups_and_negation() {
        let c = Cond::parse("x", "^www\\.(.+)$", Some("[NC]")).unwrap();
        let (ok, refs) = c.check("WWW.example.com", &mut NoProbe);
        assert!(ok);
        assert_eq!(refs.unwrap().group(1), "example.com");
        let c = Cond::parse("x", "!^www\\.", None).unwrap();
        let (ok, refs) = c.check("example.com", &mut NoProbe);
        assert!(ok && refs.is_none());
    }

    #[test]
    fn file_tests() {
        let dir = std::env::temp_dir().join(format!("rewrite-cond-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f");
        let empty = dir.join("e");
        std::fs::write(&file, "x").unwrap();
        std::fs::write(&empty, "").unwrap();
        let link = dir.join("l");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let (d, f, e, l) = (
            dir.to_str().unwrap(),
            file.to_str().unwrap(),
            empty.to_str().unwrap(),
            link.to_str().unwrap(),
        );
        assert!(holds("-d", None, d) && !holds("-d", None, f));
        assert!(holds("-f", None, f) && !holds("-f", None, d) && holds("!-f", None, "/nope"));
        assert!(holds("-s", None, f) && !holds("-s", None, e));
        assert!(holds("-l", None, l) && holds("-L", None, l) && holds("-h", None, l));
        assert!(!holds("-l", None, f));
        assert!(!holds("-x", None, f));
        assert!(holds("-U", None, "/yes") && !holds("-F", None, f));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_regex_and_flags_are_apaches_errors() {
        let e = Cond::parse("x", "(", None).unwrap_err();
        assert!(e.starts_with("RewriteCond: cannot compile regular expression '('"));
        assert!(Cond::parse("x", "y", Some("[Q]")).is_err());
    }
}
