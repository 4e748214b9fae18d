//! The expression language: what parses (and Apache's refusals), and what it evaluates to for
//! a request described by a table.

use super::*;

/// A request as a table.
#[derive(Default)]
struct Table {
    vars: Vec<(&'static str, String)>,
    headers: Vec<(&'static str, &'static str)>,
    env: Vec<(&'static str, &'static str)>,
}

impl Vars for Table {
    fn var(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
    fn request_header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_string())
    }
    fn response_header(&self, _: &str) -> Option<String> {
        None
    }
    fn request_env(&self, name: &str) -> Option<String> {
        self.env
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }
    fn note(&self, _: &str) -> Option<String> {
        None
    }
}

fn request() -> Table {
    Table {
        vars: vec![
            ("HTTP_HOST", "www.example.com".into()),
            ("REQUEST_URI", "/api/v2/users".into()),
            ("REQUEST_METHOD", "POST".into()),
            ("QUERY_STRING", "".into()),
            ("REMOTE_ADDR", "10.1.2.3".into()),
            ("HTTPS", "off".into()),
            ("SERVER_PORT", "8080".into()),
            (
                "REQUEST_FILENAME",
                std::env::temp_dir().to_string_lossy().into_owned(),
            ),
        ],
        headers: vec![("X-Mode", "beta"), ("Host", "www.example.com")],
        env: vec![("TIER", "gold")],
    }
}

fn eval(text: &str) -> bool {
    Expr::parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .eval(&request())
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn comparisons_of_strings_and_integers() {
    assert!(eval("%{HTTP_HOST} == 'www.example.com'"));
    assert!(eval("%{HTTP_HOST} = \"www.example.com\""));
    assert!(!eval("%{HTTP_HOST} != 'www.example.com'"));
    assert!(eval(
        "'abc' < 'abd' && 'b' > 'a' && 'a' <= 'a' && 'a' >= 'a'"
    ));
    assert!(eval("%{SERVER_PORT} -eq 8080 && %{SERVER_PORT} -gt 80"));
    assert!(eval(
        "%{SERVER_PORT} -ne 80 && 9 -lt 10 && 10 -le 10 && 3 -ge 3"
    ));
    // Strings compare as strings: "9" sorts after "10".
    assert!(eval("'9' > '10'"));
    assert!(eval("10 eq 10"));
}

#[test]
fn logic_and_precedence() {
    assert!(eval("true"));
    assert!(!eval("false"));
    assert!(eval("!false"));
    assert!(eval("false || true && true"));
    assert!(!eval("(false || true) && false"));
    assert!(eval("! (%{HTTPS} == 'on' && %{HTTP_HOST} == 'x') || false"));
}

#[test]
fn regex_matches_with_backreferences() {
    assert!(eval("%{REQUEST_URI} =~ m#^/api/#"));
    assert!(eval("%{REQUEST_URI} !~ /^\\/static\\//"));
    assert!(eval("%{HTTP_HOST} =~ /EXAMPLE/i"));
    assert!(!eval("%{HTTP_HOST} =~ /EXAMPLE/"));
    assert!(eval(
        "%{REQUEST_URI} =~ m#^/api/(v\\d)/(\\w+)# && $1 == 'v2' && '$2.$1' == 'users.v2'"
    ));
}

#[test]
fn lists_functions_and_header_variables() {
    assert!(eval("req('X-Mode') in {'alpha', 'beta'}"));
    assert!(!eval("http('X-Mode') in {'alpha'}"));
    assert!(eval("%{HTTP:x-mode} == 'beta'"));
    assert!(eval(
        "%{ENV:TIER} == 'gold' && env('TIER') == 'gold' && reqenv('TIER') == 'gold'"
    ));
    assert!(eval("toupper(%{HTTP_HOST}) == 'WWW.EXAMPLE.COM'"));
    assert!(eval("tolower('AbC') == 'abc'"));
    assert!(eval(
        "escape('a b/c') == 'a%20b/c' && unescape('a%20b') == 'a b'"
    ));
    assert!(eval("req('Missing') == ''"));
    assert!(eval(
        "%{HTTP_HOST} . ':' . %{SERVER_PORT} == 'www.example.com:8080'"
    ));
}

#[test]
fn tests_on_files_strings_and_addresses() {
    assert!(eval("-d %{REQUEST_FILENAME} && -e %{REQUEST_FILENAME}"));
    assert!(!eval("-f %{REQUEST_FILENAME}"));
    assert!(!eval("-f '/nonexistent/file' || -L '/nonexistent/file'"));
    assert!(eval("-x '/bin/sh' && ! -x '/etc/passwd'"));
    assert!(eval("-z %{QUERY_STRING} && -n %{HTTP_HOST}"));
    assert!(eval("! -T %{HTTPS} && -T 'yes'"));
    assert!(eval(
        "%{REMOTE_ADDR} -ipmatch '10.0.0.0/8' && -R '10.1.0.0/16'"
    ));
    assert!(!eval("%{REMOTE_ADDR} -ipmatch '192.168.0.0/16'"));
    assert!(eval("%{HTTP_HOST} -strmatch '*.example.com'"));
    assert!(eval("%{HTTP_HOST} -strcmatch '*.EXAMPLE.com'"));
    assert!(!eval("%{HTTP_HOST} -strmatch '*.EXAMPLE.com'"));
}

#[test]
fn time_variables_are_numbers() {
    assert!(eval("%{TIME_HOUR} -ge 0 && %{TIME_HOUR} -lt 24"));
    assert!(eval(
        "%{TIME_MON} -ge 1 && %{TIME_WDAY} -le 6 && %{TIME_YEAR} -gt 2000"
    ));
}

#[test]
fn parse_errors_in_apaches_words() {
    let err = |t: &str| Expr::parse(t).unwrap_err();
    assert_eq!(err("%{FOO} == 1"), "Variable 'FOO' does not exist");
    assert_eq!(
        err("nofunc(%{HTTP_HOST}) == 'a'"),
        "Function 'nofunc' does not exist"
    );
    assert_eq!(
        err("%{HTTP_HOST} == 1 &&"),
        "syntax error, unexpected end of expression, expecting a value"
    );
    assert!(err("foo").starts_with("syntax error"), "{}", err("foo"));
    assert!(err("%{REQUEST_URI} =~ /(a/").starts_with("Failed to compile regular expression (a: "));
    assert!(err("'unterminated").starts_with("Unterminated string"));
    assert!(err("(true").contains("expecting ')'"));
}

#[test]
fn a_number_that_is_none_is_an_evaluation_error() {
    let e = Expr::parse("'a' -eq 'b'").unwrap();
    assert_eq!(e.eval(&request()).unwrap_err(), "Not a number: 'a'");
}

#[test]
fn string_expressions_interpolate_variables_and_functions() {
    let value = |text: &str| {
        Expr::parse_string(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .eval_string(&request())
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    assert_eq!(value("%{REQUEST_URI}"), "/api/v2/users");
    assert_eq!(
        value("host=%{HTTP_HOST} tier=%{reqenv:TIER} \"q\""),
        "host=www.example.com tier=gold \"q\""
    );
    assert_eq!(value("%{tolower:ABC}"), "abc");
    assert_eq!(value("plain text"), "plain text");
    assert_eq!(value(""), "");
    assert_eq!(
        Expr::parse_string("%{NOPE}").unwrap_err(),
        "Variable 'NOPE' does not exist"
    );
    // A string is no condition, and a condition no string.
    assert!(Expr::parse_string("x").unwrap().eval(&request()).is_err());
    assert!(Expr::parse("true")
        .unwrap()
        .eval_string(&request())
        .is_err());
}

#[test]
fn variables_by_name_include_the_time() {
    let r = request();
    assert_eq!(super::variable(&r, "SERVER_PORT").as_deref(), Some("8080"));
    assert_eq!(super::variable(&r, "TIME_YEAR").map(|y| y.len()), Some(4));
    assert_eq!(super::variable(&r, "TIME").map(|t| t.len()), Some(14));
    assert_eq!(super::variable(&r, "TIMEOUT"), None);
    assert_eq!(super::variable(&r, "NOPE"), None);
}
