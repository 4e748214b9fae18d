//! Validators (ETag, Last-Modified) and conditional requests in RFC 9110 §13.2.2 order:
//! If-Match → If-Unmodified-Since → If-None-Match → If-Modified-Since; If-Range for ranges.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A file's validators as this response states them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Validators {
    /// The opaque tag with its quotes: Apache's `"<size hex>-<mtime µs hex>"`.
    pub opaque: String,
    /// The file changed within the last second, so another change in the same second would keep
    /// these validators: the ETag is weak (`W/`) and the date is no strong validator either.
    pub weak: bool,
    /// Last-Modified, whole seconds, never in the future; `None` when HTTP dates cannot carry it.
    pub last_modified: Option<SystemTime>,
}

/// 9999-12-31T23:59:59Z, the last instant an HTTP date can express.
const LAST_HTTP_DATE: Duration = Duration::from_secs(253_402_300_799);

impl Validators {
    /// The validators of a file of `size` bytes modified at `mtime`, at time `now`.
    pub fn new(size: u64, mtime: SystemTime, now: SystemTime) -> Self {
        let since_epoch = mtime.duration_since(UNIX_EPOCH).unwrap_or_default();
        // Apache's rule: weak unless the change is more than a second old (a future mtime is weak).
        let weak = now
            .duration_since(mtime)
            .map_or(true, |age| age <= Duration::from_secs(1));
        // RFC 9110 8.8.2.1: a Last-Modified in the future becomes now.
        let last_modified = mtime
            .min(now)
            .duration_since(UNIX_EPOCH)
            .ok()
            .filter(|d| *d <= LAST_HTTP_DATE)
            .map(|d| UNIX_EPOCH + Duration::from_secs(d.as_secs()));
        Validators {
            opaque: opaque_tag(size, since_epoch.as_micros()),
            weak,
            last_modified,
        }
    }

    /// The `ETag` header value.
    pub fn etag(&self) -> std::borrow::Cow<'_, str> {
        if self.weak {
            std::borrow::Cow::Owned(format!("W/{}", self.opaque))
        } else {
            std::borrow::Cow::Borrowed(&self.opaque)
        }
    }

    /// The `Last-Modified` header value.
    pub fn last_modified_header(&self) -> Option<String> {
        self.last_modified.map(http_date)
    }
}

/// `"size-mtime"` in hex, written without the formatting machinery (it runs per request).
fn opaque_tag(size: u64, micros: u128) -> String {
    fn hex(out: &mut String, mut n: u128) {
        let mut digits = [0u8; 32];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b"0123456789abcdef"[(n & 0xf) as usize];
            n >>= 4;
            if n == 0 {
                break;
            }
        }
        // Hex digits are ASCII.
        out.push_str(std::str::from_utf8(&digits[i..]).unwrap_or("0"));
    }
    let mut tag = String::with_capacity(40);
    tag.push('"');
    hex(&mut tag, u128::from(size));
    tag.push('-');
    hex(&mut tag, micros);
    tag.push('"');
    tag
}

/// An HTTP date; the last one made on this thread is reused, since the files served are few and
/// their times repeat.
fn http_date(t: SystemTime) -> String {
    use std::cell::RefCell;
    thread_local! {
        static LAST: RefCell<Option<(SystemTime, String)>> = const { RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((at, text)) if *at == t => text.clone(),
            _ => {
                let text = httpdate::fmt_http_date(t);
                *last = Some((t, text.clone()));
                text
            }
        }
    })
}

/// The precondition fields of a request. A list field that came several times is given joined
/// with `,`; a date field that came several times is given as absent (RFC 9110 13.1.3, 13.1.4).
#[derive(Clone, Copy, Debug, Default)]
pub struct Preconditions<'a> {
    pub if_match: Option<&'a [u8]>,
    pub if_unmodified_since: Option<&'a [u8]>,
    pub if_none_match: Option<&'a [u8]>,
    pub if_modified_since: Option<&'a [u8]>,
}

/// What the preconditions say about a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Go on with the method.
    Proceed,
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// Evaluates the preconditions of a `method` request for a file with validators `v`, RFC 9110
/// §13.2.2 step by step.
pub fn evaluate(method: &str, p: &Preconditions<'_>, v: &Validators, now: SystemTime) -> Verdict {
    let get_or_head = method == "GET" || method == "HEAD";
    // 1. If-Match (strong comparison); 2. otherwise If-Unmodified-Since.
    if let Some(field) = p.if_match {
        if !tags_match(field, v, Comparison::Strong) {
            return Verdict::Failed;
        }
    } else if let (Some(date), Some(lm)) = (p.if_unmodified_since.and_then(date), v.last_modified) {
        if lm > date {
            return Verdict::Failed;
        }
    }
    // 3. If-None-Match (weak comparison); 4. otherwise If-Modified-Since, for GET and HEAD only.
    if let Some(field) = p.if_none_match {
        if tags_match(field, v, Comparison::Weak) {
            return if get_or_head {
                Verdict::NotModified
            } else {
                Verdict::Failed
            };
        }
    } else if let (true, Some(date), Some(lm)) = (
        get_or_head,
        p.if_modified_since.and_then(date),
        v.last_modified,
    ) {
        // A date ahead of our clock proves nothing (Apache ignores it too).
        if lm <= date && date <= now {
            return Verdict::NotModified;
        }
    }
    Verdict::Proceed
}

/// Whether an If-Range field allows a partial response (RFC 9110 13.1.5): an entity tag must match
/// strongly; a date must be exactly Last-Modified, and that date must be a strong validator.
pub fn if_range_matches(field: &[u8], v: &Validators) -> bool {
    let field = trim_ows(field);
    if field.starts_with(b"\"") || field.starts_with(b"W/") {
        return match parse_tag(field) {
            Some((tag, rest)) if trim_ows(rest).is_empty() => tag.matches(v, Comparison::Strong),
            _ => false,
        };
    }
    !v.weak && date(field).is_some() && date(field) == v.last_modified
}

fn date(field: &[u8]) -> Option<SystemTime> {
    let text = std::str::from_utf8(field).ok()?;
    httpdate::parse_http_date(text.trim()).ok()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Comparison {
    /// Both tags strong and equal.
    Strong,
    /// Equal opaque tags, `W/` or not.
    Weak,
}

/// One entity tag in a field.
struct Tag<'a> {
    weak: bool,
    /// With its quotes.
    opaque: &'a [u8],
}

impl Tag<'_> {
    fn matches(&self, v: &Validators, how: Comparison) -> bool {
        let strong_ok = how == Comparison::Weak || (!self.weak && !v.weak);
        strong_ok && self.opaque == v.opaque.as_bytes()
    }
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// One `entity-tag` at the start of `s`, and what follows it.
fn parse_tag(s: &[u8]) -> Option<(Tag<'_>, &[u8])> {
    let (weak, s) = match s.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    if s.first() != Some(&b'"') {
        return None;
    }
    // etagc: %x21 / %x23-7E / obs-text: anything visible but the quote.
    let end = 1 + s[1..].iter().position(|&b| b == b'"')?;
    if !s[1..end]
        .iter()
        .all(|&b| b == 0x21 || (b >= 0x23 && b != 0x7f))
    {
        return None;
    }
    Some((
        Tag {
            weak,
            opaque: &s[..=end],
        },
        &s[end + 1..],
    ))
}

/// `If-Match` / `If-None-Match`: `*` matches any current representation (there is one: the file);
/// otherwise any listed tag that matches. A malformed field matches nothing (If-Match then fails,
/// If-None-Match lets the request through).
fn tags_match(field: &[u8], v: &Validators, how: Comparison) -> bool {
    let field = trim_ows(field);
    if field == b"*" {
        return true;
    }
    let mut rest = field;
    let mut matched = false;
    loop {
        // The list rule allows empty elements: `a, , b`.
        while let [b' ' | b'\t' | b',', tail @ ..] = rest {
            rest = tail;
        }
        if rest.is_empty() {
            return matched;
        }
        let Some((tag, tail)) = parse_tag(rest) else {
            return false;
        };
        matched |= tag.matches(v, how);
        rest = trim_ows(tail);
        if !rest.is_empty() && rest[0] != b',' {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1994-11-06 08:49:37 UTC, Sun, 06 Nov 1994 08:49:37 GMT.
    const MTIME_SECS: u64 = 784_111_777;
    const MTIME_DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// An old file (strong validators): 4096 bytes, mtime + 0.25 s.
    fn old() -> Validators {
        let mtime = at(MTIME_SECS) + Duration::from_millis(250);
        Validators::new(4096, mtime, at(MTIME_SECS + 3600))
    }

    const OLD_TAG: &str = "\"1000-2c9253ff27ad0\"";

    #[test]
    fn etags_are_apaches() {
        let v = old();
        // 4096 bytes = 0x1000; 784111777.25 s = 784111777250000 µs = 0x2c9253ff27ad0.
        assert_eq!(v.etag(), OLD_TAG);
        assert!(!v.weak);
        assert_eq!(v.last_modified_header().as_deref(), Some(MTIME_DATE));
        // Changed within the last second: weak. A future mtime: weak, and Last-Modified is now.
        let fresh = Validators::new(5, at(100), at(100) + Duration::from_millis(900));
        assert_eq!(fresh.etag(), "W/\"5-5f5e100\"");
        let future = Validators::new(5, at(200), at(100));
        assert!(future.weak);
        assert_eq!(future.last_modified, Some(at(100)));
        // Before 1970: no Last-Modified.
        let ancient = Validators::new(1, UNIX_EPOCH - Duration::from_secs(5), at(100));
        assert_eq!(ancient.last_modified, None);
        assert_eq!(ancient.etag(), "\"1-0\"");
    }

    #[test]
    fn entity_tag_comparison() {
        let v = old();
        let strong = |f: &str| tags_match(f.as_bytes(), &v, Comparison::Strong);
        let weak = |f: &str| tags_match(f.as_bytes(), &v, Comparison::Weak);
        assert!(strong(OLD_TAG) && weak(OLD_TAG));
        assert!(!strong(&format!("W/{OLD_TAG}")) && weak(&format!("W/{OLD_TAG}")));
        assert!(strong("*") && weak(" * "));
        assert!(strong(&format!("\"x\", {OLD_TAG}")));
        assert!(strong(&format!("\"x\",{OLD_TAG} ,")));
        assert!(weak(&format!(" , W/\"x\" ,, W/{OLD_TAG}")));
        assert!(!strong("\"x\", \"y\""));
        // The quotes are part of the tag; commas may sit inside one.
        assert!(!strong("1000-2c9253ff27ad0"));
        assert!(!strong("\"a,b\""));
        // Malformed lists match nothing.
        assert!(!weak(&format!("{OLD_TAG} junk")));
        assert!(!weak(&format!("\"x\" {OLD_TAG}")));
        assert!(!weak("\"unterminated"));
        assert!(!weak("*, \"x\""));
        assert!(!weak(""));
        // A weak current tag never matches strongly.
        let fresh = Validators::new(5, at(100), at(100));
        assert!(!tags_match(
            fresh.opaque.as_bytes(),
            &fresh,
            Comparison::Strong
        ));
        assert!(tags_match(
            fresh.opaque.as_bytes(),
            &fresh,
            Comparison::Weak
        ));
    }

    fn verdict(method: &str, p: Preconditions<'_>) -> Verdict {
        evaluate(method, &p, &old(), at(MTIME_SECS + 3600))
    }

    #[test]
    fn if_match_and_if_unmodified_since() {
        let p = |im: &'static str| Preconditions {
            if_match: Some(im.as_bytes()),
            ..Default::default()
        };
        assert_eq!(verdict("GET", p(OLD_TAG)), Verdict::Proceed);
        assert_eq!(verdict("GET", p("*")), Verdict::Proceed);
        assert_eq!(verdict("GET", p("\"other\"")), Verdict::Failed);
        assert_eq!(verdict("PUT", p("\"other\"")), Verdict::Failed);
        assert_eq!(
            verdict("GET", p("W/\"1000-2c9253ff27ad0\"")),
            Verdict::Failed
        );
        let ius = |d: &'static str| Preconditions {
            if_unmodified_since: Some(d.as_bytes()),
            ..Default::default()
        };
        assert_eq!(verdict("GET", ius(MTIME_DATE)), Verdict::Proceed);
        assert_eq!(
            verdict("GET", ius("Sun, 06 Nov 1994 08:49:36 GMT")),
            Verdict::Failed
        );
        assert_eq!(verdict("GET", ius("not a date")), Verdict::Proceed);
        // If-Match present: If-Unmodified-Since is not looked at.
        let both = Preconditions {
            if_match: Some(OLD_TAG.as_bytes()),
            if_unmodified_since: Some(b"Sat, 01 Jan 1994 00:00:00 GMT"),
            ..Default::default()
        };
        assert_eq!(verdict("GET", both), Verdict::Proceed);
    }

    #[test]
    fn if_none_match_and_if_modified_since() {
        let inm = |t: &'static str| Preconditions {
            if_none_match: Some(t.as_bytes()),
            ..Default::default()
        };
        assert_eq!(verdict("GET", inm(OLD_TAG)), Verdict::NotModified);
        assert_eq!(verdict("HEAD", inm(OLD_TAG)), Verdict::NotModified);
        assert_eq!(
            verdict("GET", inm("W/\"1000-2c9253ff27ad0\"")),
            Verdict::NotModified
        );
        assert_eq!(verdict("GET", inm("\"a\", *")), Verdict::Proceed);
        assert_eq!(verdict("GET", inm("*")), Verdict::NotModified);
        assert_eq!(verdict("OPTIONS", inm("*")), Verdict::Failed);
        assert_eq!(verdict("POST", inm(OLD_TAG)), Verdict::Failed);
        assert_eq!(verdict("GET", inm("\"other\"")), Verdict::Proceed);
        let ims = |d: &'static str| Preconditions {
            if_modified_since: Some(d.as_bytes()),
            ..Default::default()
        };
        assert_eq!(verdict("GET", ims(MTIME_DATE)), Verdict::NotModified);
        // Other date formats HTTP allows.
        assert_eq!(
            verdict("GET", ims("Sunday, 06-Nov-94 08:49:37 GMT")),
            Verdict::NotModified
        );
        assert_eq!(
            verdict("GET", ims("Sun Nov  6 08:49:37 1994")),
            Verdict::NotModified
        );
        assert_eq!(
            verdict("GET", ims("Sun, 06 Nov 1994 08:49:36 GMT")),
            Verdict::Proceed
        );
        assert_eq!(verdict("GET", ims("yesterday")), Verdict::Proceed);
        assert_eq!(verdict("OPTIONS", ims(MTIME_DATE)), Verdict::Proceed);
        // A date past the server's clock.
        assert_eq!(
            verdict("GET", ims("Fri, 01 Jan 2100 00:00:00 GMT")),
            Verdict::Proceed
        );
    }

    #[test]
    fn rfc_order() {
        // If-Match fails first, whatever If-None-Match says.
        let p = Preconditions {
            if_match: Some(b"\"nope\""),
            if_none_match: Some(OLD_TAG.as_bytes()),
            ..Default::default()
        };
        assert_eq!(verdict("GET", p), Verdict::Failed);
        // If-Unmodified-Since fails before If-None-Match is looked at.
        let p = Preconditions {
            if_unmodified_since: Some(b"Sat, 01 Jan 1994 00:00:00 GMT"),
            if_none_match: Some(OLD_TAG.as_bytes()),
            ..Default::default()
        };
        assert_eq!(verdict("GET", p), Verdict::Failed);
        // If-None-Match present: If-Modified-Since is ignored, both ways.
        let p = Preconditions {
            if_none_match: Some(b"\"other\""),
            if_modified_since: Some(MTIME_DATE.as_bytes()),
            ..Default::default()
        };
        assert_eq!(verdict("GET", p), Verdict::Proceed);
        let p = Preconditions {
            if_none_match: Some(OLD_TAG.as_bytes()),
            if_modified_since: Some(b"Sat, 01 Jan 1994 00:00:00 GMT"),
            ..Default::default()
        };
        assert_eq!(verdict("GET", p), Verdict::NotModified);
        // Passing If-Match, then a matching If-None-Match.
        let p = Preconditions {
            if_match: Some(OLD_TAG.as_bytes()),
            if_none_match: Some(OLD_TAG.as_bytes()),
            ..Default::default()
        };
        assert_eq!(verdict("GET", p), Verdict::NotModified);
        assert_eq!(verdict("GET", Preconditions::default()), Verdict::Proceed);
    }

    #[test]
    fn if_range() {
        let v = old();
        assert!(if_range_matches(OLD_TAG.as_bytes(), &v));
        assert!(if_range_matches(format!(" {OLD_TAG} ").as_bytes(), &v));
        assert!(!if_range_matches(format!("W/{OLD_TAG}").as_bytes(), &v));
        assert!(!if_range_matches(b"\"other\"", &v));
        assert!(!if_range_matches(
            format!("{OLD_TAG}, \"x\"").as_bytes(),
            &v
        ));
        assert!(if_range_matches(MTIME_DATE.as_bytes(), &v));
        assert!(!if_range_matches(b"Sun, 06 Nov 1994 08:49:38 GMT", &v));
        assert!(!if_range_matches(b"garbage", &v));
        assert!(!if_range_matches(b"", &v));
        // Weak validators never allow a range.
        let fresh = Validators::new(5, at(100), at(100));
        assert!(!if_range_matches(fresh.opaque.as_bytes(), &fresh));
        assert!(!if_range_matches(b"Thu, 01 Jan 1970 00:01:40 GMT", &fresh));
    }
}
