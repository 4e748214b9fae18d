//! Byte ranges (RFC 9110 §14): parsing `Range`, choosing what to send, and the framing of a
//! `multipart/byteranges` body.
//!
//! Guarded against range abuse the way Apache's `MaxRanges`/`MaxRangeOverlaps`/
//! `MaxRangeReversals` defaults do: more than 200 ranges, more than 20 overlapping or adjacent
//! ones merged, more than 20 that go backwards, or ranges adding up to more than the file, and
//! the whole file is sent instead (200) — never a response larger than the file plus part heads.

use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// More ranges than this in one field: the field is ignored.
pub const MAX_RANGES: usize = 200;
/// More ranges than this merged into a neighbour (overlapping or adjacent): ignored.
pub const MAX_OVERLAPS: usize = 20;
/// More ranges than this starting before the previous one: ignored.
pub const MAX_REVERSALS: usize = 20;

/// Bytes `first..=last` of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub first: u64,
    pub last: u64,
}

impl ByteRange {
    /// Its length in bytes (never 0).
    pub fn len(self) -> u64 {
        self.last - self.first + 1
    }

    /// The `Content-Range` value for this range of a `size`-byte file.
    pub fn content_range(self, size: u64) -> String {
        format!("bytes {}-{}/{}", self.first, self.last, size)
    }
}

/// What to answer a `Range` field with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// 200 with the whole file: the field is malformed, not about bytes, or abusive.
    Full,
    /// 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
    /// 206 with these ranges, in the order asked (one range: a plain body; more: multipart).
    Partial(Vec<ByteRange>),
}

/// One `range-spec` as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spec {
    /// `first-last` or `first-`.
    From { first: u64, last: Option<u64> },
    /// `-length`: the last `length` bytes.
    Suffix(u64),
}

/// Decimal digits, saturating: a position past any file (`99999999999999999999-`) is simply
/// beyond the end, so it need not fit to be understood.
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
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

/// Parses `bytes=range-set`. `None` when the unit is not `bytes` or any spec is malformed
/// (including `last < first`): the whole field is then ignored (RFC 9110 14.2).
fn parse(field: &[u8]) -> Option<Vec<Spec>> {
    let field = trim_ows(field);
    let eq = field.iter().position(|&b| b == b'=')?;
    if !field[..eq].eq_ignore_ascii_case(b"bytes") {
        return None;
    }
    let mut specs = Vec::new();
    // The list rule allows empty elements and whitespace around commas.
    for element in field[eq + 1..].split(|&b| b == b',').map(trim_ows) {
        if element.is_empty() {
            continue;
        }
        let dash = element.iter().position(|&b| b == b'-')?;
        let (first, last) = (&element[..dash], &element[dash + 1..]);
        let spec = if first.is_empty() {
            Spec::Suffix(number(last)?)
        } else {
            let first = number(first)?;
            let last = if last.is_empty() {
                None
            } else {
                Some(number(last)?)
            };
            if last.is_some_and(|l| l < first) {
                return None;
            }
            Spec::From { first, last }
        };
        specs.push(spec);
    }
    (!specs.is_empty()).then_some(specs)
}

/// The bytes a spec selects in a `size`-byte file; `None` when it selects none.
fn resolve(spec: Spec, size: u64) -> Option<ByteRange> {
    let end = size.checked_sub(1)?;
    match spec {
        Spec::From { first, .. } if first > end => None,
        Spec::From { first, last } => Some(ByteRange {
            first,
            last: last.map_or(end, |l| l.min(end)),
        }),
        Spec::Suffix(0) => None,
        Spec::Suffix(n) => Some(ByteRange {
            first: size.saturating_sub(n),
            last: end,
        }),
    }
}

/// What to send for `Range: field` on a `size`-byte file.
pub fn select(field: &[u8], size: u64) -> Selection {
    let Some(specs) = parse(field) else {
        return Selection::Full;
    };
    // An empty file has no bytes to slice; Apache sends it whole too.
    if specs.len() > MAX_RANGES || size == 0 {
        return Selection::Full;
    }
    let mut merged: Vec<ByteRange> = Vec::new();
    let (mut overlaps, mut reversals) = (0, 0);
    for range in specs.into_iter().filter_map(|s| resolve(s, size)) {
        let Some(prev) = merged.last_mut() else {
            merged.push(range);
            continue;
        };
        if range.first < prev.first {
            reversals += 1;
        }
        // Overlapping or adjacent to the one before: one range (RFC 9110 14.2 allows coalescing).
        if range.first <= prev.last.saturating_add(1) && range.last.saturating_add(1) >= prev.first
        {
            overlaps += 1;
            prev.first = prev.first.min(range.first);
            prev.last = prev.last.max(range.last);
        } else {
            merged.push(range);
        }
    }
    if merged.is_empty() {
        return Selection::Unsatisfiable;
    }
    let total: u64 = merged.iter().map(|r| r.len()).sum();
    if overlaps > MAX_OVERLAPS || reversals > MAX_REVERSALS || total > size {
        return Selection::Full;
    }
    Selection::Partial(merged)
}

/// The framing of a `multipart/byteranges` body: each part's head, then the bytes of its range,
/// then the closing delimiter. The heads are written, the bytes go with sendfile.
#[derive(Debug)]
pub struct Multipart {
    boundary: String,
    parts: Vec<(String, ByteRange)>,
    trailer: String,
}

impl Multipart {
    /// The parts for `ranges` of a `size`-byte file of type `part_type`.
    pub fn new(ranges: &[ByteRange], size: u64, part_type: &str, boundary: String) -> Self {
        let parts = ranges
            .iter()
            .map(|r| {
                let head = format!(
                    "\r\n--{boundary}\r\nContent-Type: {part_type}\r\nContent-Range: {}\r\n\r\n",
                    r.content_range(size)
                );
                (head, *r)
            })
            .collect();
        let trailer = format!("\r\n--{boundary}--\r\n");
        Multipart {
            boundary,
            parts,
            trailer,
        }
    }

    /// The response's `Content-Type`.
    pub fn content_type(&self) -> String {
        format!("multipart/byteranges; boundary={}", self.boundary)
    }

    /// The whole body's length, for `Content-Length` before anything is sent.
    pub fn content_length(&self) -> u64 {
        let parts: u64 = self
            .parts
            .iter()
            .map(|(head, r)| head.len() as u64 + r.len())
            .sum();
        parts + self.trailer.len() as u64
    }

    /// Each part's head and range, in order.
    pub fn parts(&self) -> impl Iterator<Item = (&str, ByteRange)> {
        self.parts.iter().map(|(h, r)| (h.as_str(), *r))
    }

    /// The closing delimiter.
    pub fn trailer(&self) -> &str {
        &self.trailer
    }
}

/// A boundary no file is likely to contain: 32 hex digits from a randomly keyed hash of the time
/// and the process (std's `RandomState`, so no random-number crate for this one use).
pub fn new_boundary() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    let a = h.finish();
    h.write_u8(0);
    format!("{a:016x}{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(first: u64, last: u64) -> ByteRange {
        ByteRange { first, last }
    }

    fn sel(field: &str, size: u64) -> Selection {
        select(field.as_bytes(), size)
    }

    fn partial(ranges: &[(u64, u64)]) -> Selection {
        Selection::Partial(ranges.iter().map(|&(a, b)| r(a, b)).collect())
    }

    #[test]
    fn single_ranges() {
        assert_eq!(sel("bytes=0-9", 1024), partial(&[(0, 9)]));
        assert_eq!(sel("bytes=0-0", 1024), partial(&[(0, 0)]));
        assert_eq!(sel("bytes=1023-1023", 1024), partial(&[(1023, 1023)]));
        assert_eq!(sel("bytes=100-", 1024), partial(&[(100, 1023)]));
        assert_eq!(sel("bytes=0-", 1024), partial(&[(0, 1023)]));
        assert_eq!(sel("bytes=-10", 1024), partial(&[(1014, 1023)]));
        // Past the end: clamped; a suffix longer than the file: all of it.
        assert_eq!(sel("bytes=1000-5000", 1024), partial(&[(1000, 1023)]));
        assert_eq!(sel("bytes=-5000", 1024), partial(&[(0, 1023)]));
        // Unit and whitespace.
        assert_eq!(sel("BYTES=0-9", 1024), partial(&[(0, 9)]));
        assert_eq!(sel("  bytes= 0-9 ,\t", 1024), partial(&[(0, 9)]));
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(sel("bytes=-0", 1024), Selection::Unsatisfiable);
        assert_eq!(sel("bytes=1024-", 1024), Selection::Unsatisfiable);
        assert_eq!(sel("bytes=2000-3000", 1024), Selection::Unsatisfiable);
        assert_eq!(
            sel("bytes=2000-3000, 1024-, -0", 1024),
            Selection::Unsatisfiable
        );
        assert_eq!(
            sel("bytes=99999999999999999999999-", 1024),
            Selection::Unsatisfiable
        );
        // Unsatisfiable specs among satisfiable ones are dropped.
        assert_eq!(sel("bytes=2000-3000,0-1", 1024), partial(&[(0, 1)]));
    }

    #[test]
    fn malformed_fields_are_ignored() {
        for f in [
            "bytes=5-1",
            "bytes=0-1,5-1",
            "bytes=",
            "bytes=,",
            "bytes=-",
            "bytes=a-b",
            "bytes=1",
            "bytes=0-1-2",
            "bytes=0 - 9",
            "bytes=+1-2",
            "bytes=--1",
            "bytes=0x10-",
            "items=0-9",
            "bytes 0-9",
            "0-9",
            "",
        ] {
            assert_eq!(sel(f, 1024), Selection::Full, "{f:?}");
        }
    }

    #[test]
    fn overflowing_numbers() {
        assert_eq!(
            sel("bytes=0-99999999999999999999999999", 1024),
            partial(&[(0, 1023)])
        );
        assert_eq!(
            sel("bytes=-99999999999999999999999999", 1024),
            partial(&[(0, 1023)])
        );
        assert_eq!(number(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(number(b"18446744073709551616"), Some(u64::MAX));
        assert_eq!(number(b""), None);
        // A huge file.
        assert_eq!(
            sel("bytes=-1", u64::MAX),
            partial(&[(u64::MAX - 1, u64::MAX - 1)])
        );
    }

    #[test]
    fn empty_files_are_sent_whole() {
        assert_eq!(sel("bytes=0-0", 0), Selection::Full);
        assert_eq!(sel("bytes=-1", 0), Selection::Full);
    }

    #[test]
    fn several_ranges_keep_their_order_and_merge_neighbours() {
        assert_eq!(sel("bytes=0-9,20-29", 100), partial(&[(0, 9), (20, 29)]));
        assert_eq!(sel("bytes=20-29,0-9", 100), partial(&[(20, 29), (0, 9)]));
        assert_eq!(sel("bytes=0-9,-10", 100), partial(&[(0, 9), (90, 99)]));
        // Overlapping and adjacent neighbours become one.
        assert_eq!(sel("bytes=0-9,5-14", 100), partial(&[(0, 14)]));
        assert_eq!(sel("bytes=0-9,10-19", 100), partial(&[(0, 19)]));
        assert_eq!(sel("bytes=10-19,0-9", 100), partial(&[(0, 19)]));
        assert_eq!(sel("bytes=0-9,2-3", 100), partial(&[(0, 9)]));
        assert_eq!(sel("bytes=0-9,,20-29,", 100), partial(&[(0, 9), (20, 29)]));
    }

    #[test]
    fn abusive_range_sets_get_the_whole_file() {
        let many = |n: usize, f: &dyn Fn(usize) -> String| {
            format!("bytes={}", (0..n).map(f).collect::<Vec<_>>().join(","))
        };
        let size = 100_000;
        // 200 small ranges are fine, 201 are not.
        let ok = many(MAX_RANGES, &|i| format!("{}-{}", i * 3, i * 3));
        assert!(matches!(sel(&ok, size), Selection::Partial(v) if v.len() == MAX_RANGES));
        let over = many(MAX_RANGES + 1, &|i| format!("{}-{}", i * 3, i * 3));
        assert_eq!(sel(&over, size), Selection::Full);
        // Many overlaps.
        assert!(matches!(
            sel(&many(21, &|_| "0-0".into()), size),
            Selection::Partial(_)
        ));
        assert_eq!(sel(&many(22, &|_| "0-0".into()), size), Selection::Full);
        // Many reversals (descending order).
        let down = |n: usize| many(n, &move |i| format!("{}-{}", (n - i) * 10, (n - i) * 10));
        assert!(matches!(sel(&down(21), size), Selection::Partial(_)));
        assert_eq!(sel(&down(22), size), Selection::Full);
        // More bytes than the file, through overlaps that are not neighbours.
        assert_eq!(sel("bytes=0-99,200-299,50-249", 300), Selection::Full);
        assert_eq!(sel("bytes=0-,0-", 300), partial(&[(0, 299)]));
    }

    #[test]
    fn multipart_framing() {
        let m = Multipart::new(&[r(0, 9), r(20, 24)], 100, "text/plain", "B0UND".into());
        assert_eq!(m.content_type(), "multipart/byteranges; boundary=B0UND");
        let parts: Vec<_> = m.parts().collect();
        assert_eq!(
            parts,
            [
                (
                    "\r\n--B0UND\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-9/100\r\n\r\n",
                    r(0, 9)
                ),
                (
                    "\r\n--B0UND\r\nContent-Type: text/plain\r\nContent-Range: bytes 20-24/100\r\n\r\n",
                    r(20, 24)
                ),
            ]
        );
        assert_eq!(m.trailer(), "\r\n--B0UND--\r\n");
        let heads: usize = parts.iter().map(|(h, _)| h.len()).sum();
        assert_eq!(
            m.content_length(),
            (heads + 10 + 5 + m.trailer().len()) as u64
        );
    }

    #[test]
    fn boundaries_differ_and_are_tokens() {
        let (a, b) = (new_boundary(), new_boundary());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
