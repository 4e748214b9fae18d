//! The `Date` header (RFC 9110 §6.6.1), formatted at most once a second.
//!
//! Every response carries one, and formatting a date costs more than
//! copying 29 bytes, so each thread keeps the last one and formats again only
//! when the second changes. Thread-local: no lock between workers.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub const DATE_LEN: usize = 29;

struct CachedDate {
    /// The second `bytes` shows; `u64::MAX` before the first use.
    second: u64,
    bytes: [u8; DATE_LEN],
}

thread_local! {
    static CACHE: RefCell<CachedDate> = const {
        RefCell::new(CachedDate { second: u64::MAX, bytes: [b' '; DATE_LEN] })
    };
}

/// Call `f` with the current time as an IMF-fixdate (`DATE_LEN` bytes).
pub fn with_date<R>(f: impl FnOnce(&[u8]) -> R) -> R {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.second != now {
            cache.bytes = format_date(now);
            cache.second = now;
        }
        f(&cache.bytes)
    })
}

/// The current time as an IMF-fixdate, from the same cache.
pub fn http_date_now() -> String {
    with_date(|d| String::from_utf8_lossy(d).into_owned())
}

/// Format `secs` since the Unix epoch as an IMF-fixdate.
fn format_date(secs: u64) -> [u8; DATE_LEN] {
    let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
    let mut bytes = [b' '; DATE_LEN];
    // Always 29 ASCII bytes for years 1970..=9999; copy what fits regardless.
    let n = text.len().min(DATE_LEN);
    bytes[..n].copy_from_slice(&text.as_bytes()[..n]);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_imf_fixdate() {
        assert_eq!(&format_date(784111777), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(&format_date(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn now_parses_back_and_is_cached() {
        let a = http_date_now();
        assert_eq!(a.len(), DATE_LEN);
        assert!(a.ends_with(" GMT"));
        let parsed = httpdate::parse_http_date(&a).unwrap();
        let diff = SystemTime::now().duration_since(parsed).unwrap_or_default();
        assert!(diff < Duration::from_secs(5));
        let b = with_date(|d| d.to_vec());
        // Same second (almost always) gives the same bytes; a tick in between is fine too.
        assert!(
            b == a.as_bytes() || httpdate::parse_http_date(&String::from_utf8(b).unwrap()).is_ok()
        );
    }
}
