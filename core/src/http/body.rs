//! Request body decoding: framed bytes in, body bytes out.
//!
//! A [`BodyDecoder`] keeps its place between calls, so input may be split at
//! any byte. It never consumes a byte past the end of the body: what follows
//! (a pipelined request) stays with the caller.
//!
//! Chunked (RFC 9112 §7.1): the decoder is a state machine whose states name
//! what is expected next. Line ends: the chunk-size line and trailer lines may
//! end in a bare LF (RFC 9112 §2.2 allows a recipient to accept it); chunk
//! data must be followed by exactly CRLF, because a lax reading there is where
//! front ends and back ends disagree about where a body ends. Extensions and
//! trailer fields are skipped, within bounds.

use super::request::{BodyFraming, HttpError};

/// Longest chunk-size line: size digits, whitespace and extensions.
pub const MAX_CHUNK_SIZE_LINE: usize = 4096;
/// Most extension bytes in one body (hyper's bound): each chunk may carry
/// some, but a stream of tiny chunks with big extensions is only overhead.
pub const MAX_CHUNK_EXTENSIONS: usize = 16 * 1024;
/// Most bytes in the trailer section, final CRLF included (`LimitRequestFieldSize`).
pub const MAX_TRAILER: usize = 8190;

/// Decodes one request body.
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    kind: Kind,
    /// Set by the first error; every later call returns it again.
    failed: Option<HttpError>,
    /// Most body bytes allowed (`LimitRequestBody`); 0 = no limit.
    limit: u64,
}

#[derive(Debug, Clone)]
enum Kind {
    /// Body bytes still to come; `BodyFraming::None` is `Length(0)`.
    Length(u64),
    Chunked(Chunked),
}

/// The outcome of one [`BodyDecoder::decode`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    /// Bytes of `input` used; the rest belongs to the caller.
    pub consumed: usize,
    /// Body bytes written to `out` (or skipped, for [`BodyDecoder::skip`]).
    pub produced: usize,
    /// The body has ended; later input is not body.
    pub done: bool,
}

impl BodyDecoder {
    /// A decoder for a body framed as `framing`.
    pub fn new(framing: BodyFraming) -> Self {
        let kind = match framing {
            BodyFraming::None => Kind::Length(0),
            BodyFraming::Length(n) => Kind::Length(n),
            BodyFraming::Chunked => Kind::Chunked(Chunked::new()),
        };
        BodyDecoder {
            kind,
            failed: None,
            limit: 0,
        }
    }

    /// Refuses a body longer than `limit` bytes (0 = no limit) with a 413 error, raised as soon
    /// as the framing declares it: before any byte of a Content-Length body, at the end of the
    /// chunk-size line whose chunk would pass the limit. So the outcome never depends on how the
    /// input was split: a framing error before that point is reported instead, one after it
    /// never is.
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    fn too_large(&self) -> HttpError {
        HttpError::new(
            413,
            format!(
                "request body is larger than the configured limit of {} bytes (LimitRequestBody)",
                self.limit
            ),
        )
    }

    /// Decode from `input` into `out`: consumes what it can, writes the
    /// de-chunked body bytes. Stops when `input` is used up, `out` is full or
    /// the body ends, and never reads past the end of the body.
    ///
    /// An error means the framing is broken: answer 400 and close.
    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<Decoded, HttpError> {
        self.run(input, Sink::Buffer(out))
    }

    /// Like [`decode`](Self::decode), but throws the body bytes away: for
    /// draining a body the handler did not read, so the next request on the
    /// connection starts in the right place. `produced` counts skipped bytes.
    pub fn skip(&mut self, input: &[u8]) -> Result<Decoded, HttpError> {
        self.run(input, Sink::Discard)
    }

    /// Whether the whole body has been decoded.
    pub fn is_done(&self) -> bool {
        match &self.kind {
            Kind::Length(remaining) => *remaining == 0,
            Kind::Chunked(c) => c.state == ChunkedState::Done,
        }
    }

    /// The value of trailer field `name` of a chunked body once received (the first of that
    /// name, blanks around it trimmed).
    pub fn trailer(&self, name: &str) -> Option<&[u8]> {
        let Kind::Chunked(c) = &self.kind else {
            return None;
        };
        c.trailer.split(|&b| b == b'\n').find_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon = line.iter().position(|&b| b == b':')?;
            line[..colon]
                .eq_ignore_ascii_case(name.as_bytes())
                .then(|| line[colon + 1..].trim_ascii())
        })
    }

    /// Body bytes still to come, when known: `Some` for Content-Length (and
    /// `Some(0)` for no body), `None` for chunked.
    pub fn remaining_hint(&self) -> Option<u64> {
        match &self.kind {
            Kind::Length(remaining) => Some(*remaining),
            Kind::Chunked(_) => None,
        }
    }

    fn run(&mut self, input: &[u8], mut sink: Sink<'_>) -> Result<Decoded, HttpError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let limit = self.limit;
        let result = match &mut self.kind {
            // A declared length is judged before any byte of it.
            Kind::Length(remaining) if limit > 0 && *remaining > limit => Err(self.too_large()),
            Kind::Length(remaining) => {
                let n = sink.take(*remaining, input, 0);
                *remaining -= n as u64;
                Ok(Decoded {
                    consumed: n,
                    produced: n,
                    done: *remaining == 0,
                })
            }
            Kind::Chunked(c) => c.decode(input, &mut sink, limit).map_err(|e| match e {
                ChunkedError::TooLarge => self.too_large(),
                ChunkedError::Framing(e) => e,
            }),
        };
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }
}

/// Where body bytes go.
enum Sink<'a> {
    Buffer(&'a mut [u8]),
    Discard,
}

impl Sink<'_> {
    /// Move up to `limit` bytes from `input` into the sink, whose first
    /// `filled` bytes are taken; returns how many moved.
    fn take(&mut self, limit: u64, input: &[u8], filled: usize) -> usize {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        match self {
            Sink::Buffer(out) => {
                let start = filled.min(out.len());
                let room = &mut out[start..];
                let n = limit.min(input.len()).min(room.len());
                room[..n].copy_from_slice(&input[..n]);
                n
            }
            Sink::Discard => limit.min(input.len()),
        }
    }
}

/// What the chunked decoder expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkedState {
    /// Hex digits of a chunk size.
    Size,
    /// Whitespace after the size, before `;` or the line end.
    SizeWs,
    /// A chunk extension, skipped up to the line end.
    Extension,
    /// The LF of the size line's CRLF.
    SizeLf,
    /// Chunk data.
    Data,
    /// The CR after chunk data.
    DataCr,
    /// The LF after chunk data.
    DataLf,
    /// After the last chunk: a trailer field, or the empty line ending the body.
    TrailerStart,
    /// The rest of a trailer field line, skipped.
    Trailer,
    /// The LF of a trailer field line's CRLF.
    TrailerLf,
    /// The LF of the final CRLF.
    EndLf,
    /// Nothing: the body is over.
    Done,
}

/// Why chunked decoding stopped.
enum ChunkedError {
    Framing(HttpError),
    /// A chunk would take the data past the body limit.
    TooLarge,
}

#[derive(Debug, Clone)]
struct Chunked {
    state: ChunkedState,
    /// Data bytes decoded so far, for the limit.
    data_bytes: u64,
    /// The chunk size while reading it, then the data bytes left in the chunk.
    size: u64,
    size_digits: usize,
    size_line_len: usize,
    extension_bytes: usize,
    trailer_bytes: usize,
    /// The trailer section as received (within [`MAX_TRAILER`]), for the logs' `%{name}^ti`.
    trailer: Vec<u8>,
}

fn bad(reason: &str) -> HttpError {
    HttpError::new(400, format!("chunked body: {reason}"))
}

impl Chunked {
    fn new() -> Self {
        Chunked {
            state: ChunkedState::Size,
            data_bytes: 0,
            size: 0,
            size_digits: 0,
            size_line_len: 0,
            extension_bytes: 0,
            trailer_bytes: 0,
            trailer: Vec::new(),
        }
    }

    /// `limit`: most data bytes in the whole body (0 = none).
    fn decode(
        &mut self,
        input: &[u8],
        sink: &mut Sink<'_>,
        limit: u64,
    ) -> Result<Decoded, ChunkedError> {
        let mut consumed = 0;
        let mut produced = 0;
        while self.state != ChunkedState::Done {
            if self.state == ChunkedState::Data {
                // Data moves in bulk (its size was held to the limit); the rest byte by byte.
                let n = sink.take(self.size, &input[consumed..], produced);
                consumed += n;
                produced += n;
                self.size -= n as u64;
                self.data_bytes += n as u64;
                if self.size > 0 {
                    break; // input used up or output full
                }
                self.state = ChunkedState::DataCr;
                continue;
            }
            let Some(&b) = input.get(consumed) else { break };
            consumed += 1;
            self.step(b).map_err(ChunkedError::Framing)?;
            // A size line just ended: refuse a chunk that would take the body past the limit
            // now, not after its data arrived (or never did).
            if self.state == ChunkedState::Data && limit > 0 && self.size > limit - self.data_bytes
            {
                return Err(ChunkedError::TooLarge);
            }
        }
        Ok(Decoded {
            consumed,
            produced,
            done: self.state == ChunkedState::Done,
        })
    }

    /// Take one framing byte.
    fn step(&mut self, b: u8) -> Result<(), HttpError> {
        use ChunkedState::*;
        match self.state {
            Size | SizeWs | Extension | SizeLf => {
                self.size_line_len += 1;
                if self.size_line_len > MAX_CHUNK_SIZE_LINE {
                    return Err(bad("chunk size line too long"));
                }
            }
            TrailerStart | Trailer | TrailerLf | EndLf => {
                self.trailer_bytes += 1;
                if self.trailer_bytes > MAX_TRAILER {
                    return Err(bad("trailer section too large"));
                }
                self.trailer.push(b);
            }
            Data | DataCr | DataLf | Done => {}
        }
        self.state = match (self.state, b) {
            (Size, _) if b.is_ascii_hexdigit() => {
                let digit = u64::from(char::from(b).to_digit(16).unwrap_or(0));
                self.size = self
                    .size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(digit))
                    .ok_or_else(|| bad("chunk size overflows"))?;
                self.size_digits += 1;
                Size
            }
            (Size, _) if self.size_digits == 0 => return Err(bad("missing chunk size")),
            (Size | SizeWs, b' ' | b'\t') => SizeWs,
            (Size | SizeWs, b';') => Extension,
            (Size | SizeWs | Extension, b'\r') => SizeLf,
            (Size | SizeWs | Extension | SizeLf, b'\n') => self.end_size_line(),
            (Size | SizeWs, _) => return Err(bad("invalid byte in chunk size")),
            (Extension, _) if b == b'\t' || (b >= b' ' && b != 0x7f) => {
                self.extension_bytes += 1;
                if self.extension_bytes > MAX_CHUNK_EXTENSIONS {
                    return Err(bad("too many chunk extension bytes"));
                }
                Extension
            }
            (Extension, _) => return Err(bad("control character in chunk extension")),
            (SizeLf, _) => return Err(bad("CR not followed by LF after chunk size")),
            (DataCr, b'\r') => DataLf,
            (DataLf, b'\n') => self.next_chunk(),
            (DataCr | DataLf, _) => return Err(bad("chunk data not followed by CRLF")),
            (TrailerStart, b'\r') => EndLf,
            (TrailerStart, b'\n') => Done,
            (Trailer, b'\n') => TrailerStart,
            (TrailerStart | Trailer, _) if b == b'\r' => TrailerLf,
            (TrailerStart | Trailer, _) => Trailer,
            (TrailerLf, b'\n') => TrailerStart,
            (TrailerLf, _) => return Err(bad("CR not followed by LF in trailer")),
            (EndLf, b'\n') => Done,
            (EndLf, _) => return Err(bad("CR not followed by LF at end of body")),
            // `decode` handles these states without calling `step`.
            (Data | Done, _) => self.state,
        };
        Ok(())
    }

    /// A chunk is over: the next size line starts from scratch.
    fn next_chunk(&mut self) -> ChunkedState {
        self.size = 0;
        self.size_digits = 0;
        self.size_line_len = 0;
        ChunkedState::Size
    }

    /// The size line is over: data follows, or the trailer after the last chunk.
    fn end_size_line(&self) -> ChunkedState {
        if self.size == 0 {
            ChunkedState::TrailerStart
        } else {
            ChunkedState::Data
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_are_kept_for_the_logs() {
        let mut d = BodyDecoder::new(BodyFraming::Chunked);
        let mut out = [0u8; 16];
        let r = d
            .decode(b"3\r\nabc\r\n0\r\nX-Sum: 12 \r\nx-two:3\r\n\r\n", &mut out)
            .unwrap();
        assert!(r.done);
        assert_eq!(d.trailer("x-sum"), Some(&b"12"[..]));
        assert_eq!(d.trailer("X-Two"), Some(&b"3"[..]));
        assert_eq!(d.trailer("X-None"), None);
        assert_eq!(BodyDecoder::new(BodyFraming::Length(1)).trailer("X"), None);
    }

    #[test]
    fn limit_is_judged_where_the_framing_declares_it() {
        let limited = || BodyDecoder::new(BodyFraming::Chunked).with_limit(10);
        let mut out = [0u8; 64];
        // Exactly the limit, in two chunks: fine.
        let r = limited()
            .decode(b"6\r\nabcdef\r\n4\r\nghij\r\n0\r\n\r\n", &mut out)
            .unwrap();
        assert!(r.done && r.produced == 10);
        // One byte more: 413, whatever framing error follows it.
        let e = limited()
            .decode(b"b\r\n01234567890\r\n\n0\r\n\r\n", &mut out)
            .unwrap_err();
        assert_eq!(e.status, 413);
        // The same input a byte at a time: the same verdict.
        let mut d = limited();
        let input = b"b\r\n01234567890\r\n\n0\r\n\r\n";
        let mut verdict = None;
        for i in 0..input.len() {
            if let Err(e) = d.decode(&input[i..=i], &mut out) {
                verdict = Some(e.status);
                break;
            }
        }
        assert_eq!(verdict, Some(413));
        // A framing error before the limit is reported as such.
        let e = limited().decode(b"3\r\nabcX", &mut out).unwrap_err();
        assert_eq!(e.status, 400);
        // A declared length over the limit, at once.
        let e = BodyDecoder::new(BodyFraming::Length(11))
            .with_limit(10)
            .decode(b"", &mut out)
            .unwrap_err();
        assert_eq!(e.status, 413);
        // 0 is no limit.
        let r = BodyDecoder::new(BodyFraming::Chunked)
            .with_limit(0)
            .decode(b"b\r\n01234567890\r\n0\r\n\r\n", &mut out)
            .unwrap();
        assert!(r.done);
    }

    #[test]
    fn chunk_over_the_limit_is_refused_at_its_size_line() {
        let limited = || BodyDecoder::new(BodyFraming::Chunked).with_limit(100);
        let mut out = [0u8; 256];
        // A chunk far above the limit, or just above it: 413 once its size line ends, before
        // any data (none will come).
        for input in [&b"ffffffffffffffff\r\n"[..], b"65\r\n", b"65;ext=1\n"] {
            let e = limited().decode(input, &mut out).unwrap_err();
            assert_eq!(e.status, 413, "{:?}", String::from_utf8_lossy(input));
            // Not before its line ends: a framing error in the line still comes first.
            let mut d = limited();
            assert!(d.decode(&input[..input.len() - 1], &mut out).is_ok());
        }
        // The running total: 50 bytes, then a chunk of 51 declared.
        let mut input = b"32\r\n".to_vec();
        input.extend_from_slice(&[b'x'; 50]);
        input.extend_from_slice(b"\r\n33\r\n");
        let mut d = limited();
        let split = input.len() - 4;
        let r = d.decode(&input[..split], &mut out).unwrap();
        assert_eq!(r.produced, 50);
        assert_eq!(d.decode(&input[split..], &mut out).unwrap_err().status, 413);
        // Up to the limit exactly is fine.
        let mut exact = b"32\r\n".to_vec();
        exact.extend_from_slice(&[b'x'; 50]);
        exact.extend_from_slice(b"\r\n32\r\n");
        exact.extend_from_slice(&[b'y'; 50]);
        exact.extend_from_slice(b"\r\n0\r\n\r\n");
        assert!(limited().decode(&exact, &mut out).unwrap().done);
        // A size that overflows u64 is refused at its digit, limit or not.
        let e = limited()
            .decode(b"10000000000000000", &mut out)
            .unwrap_err();
        assert_eq!(e.status, 400);
    }

    /// Decode everything in one call with a roomy output buffer.
    fn decode_all(framing: BodyFraming, input: &[u8]) -> Result<(Vec<u8>, Decoded), HttpError> {
        let mut d = BodyDecoder::new(framing);
        let mut out = vec![0; input.len() + 1];
        let r = d.decode(input, &mut out)?;
        out.truncate(r.produced);
        Ok((out, r))
    }

    fn chunked(input: &[u8]) -> Result<(Vec<u8>, Decoded), HttpError> {
        decode_all(BodyFraming::Chunked, input)
    }

    fn chunked_err(input: &[u8]) -> HttpError {
        match chunked(input) {
            Ok(r) => panic!("expected an error, got {r:?}"),
            Err(e) => e,
        }
    }

    /// Feed one byte at a time with a one-byte output buffer.
    fn bytewise(framing: BodyFraming, input: &[u8]) -> Result<(Vec<u8>, usize, bool), HttpError> {
        let mut d = BodyDecoder::new(framing);
        let mut body = Vec::new();
        let mut consumed = 0;
        let mut out = [0u8; 1];
        while consumed < input.len() && !d.is_done() {
            let end = consumed + 1;
            let r = d.decode(&input[consumed..end], &mut out)?;
            body.extend_from_slice(&out[..r.produced]);
            consumed += r.consumed;
            if r.consumed == 0 && r.produced == 0 {
                // Only possible when the decoder waits for more input than one byte.
                panic!("no progress at {consumed}");
            }
        }
        Ok((body, consumed, d.is_done()))
    }

    #[test]
    fn no_body_is_done_at_once() {
        let mut d = BodyDecoder::new(BodyFraming::None);
        assert!(d.is_done());
        assert_eq!(d.remaining_hint(), Some(0));
        let r = d.decode(b"GET / HTTP/1.1\r\n", &mut [0; 8]).unwrap();
        assert_eq!(
            r,
            Decoded {
                consumed: 0,
                produced: 0,
                done: true
            }
        );
    }

    #[test]
    fn length_body_stops_at_its_end() {
        let (body, r) = decode_all(BodyFraming::Length(5), b"helloGET /").unwrap();
        assert_eq!(body, b"hello");
        assert_eq!(
            r,
            Decoded {
                consumed: 5,
                produced: 5,
                done: true
            }
        );
    }

    #[test]
    fn length_body_across_calls_and_small_output() {
        let mut d = BodyDecoder::new(BodyFraming::Length(6));
        let mut out = [0; 4];
        let r = d.decode(b"abc", &mut out).unwrap();
        assert_eq!((r.consumed, r.produced, r.done), (3, 3, false));
        assert_eq!(d.remaining_hint(), Some(3));
        let r = d.decode(b"defXYZ", &mut out[..2]).unwrap();
        assert_eq!((r.consumed, r.produced, r.done), (2, 2, false));
        let r = d.decode(b"fXYZ", &mut out).unwrap();
        assert_eq!((r.consumed, r.produced, r.done), (1, 1, true));
        assert!(d.is_done());
    }

    #[test]
    fn huge_length_is_fine() {
        let mut d = BodyDecoder::new(BodyFraming::Length(u64::MAX));
        let r = d.decode(b"abc", &mut [0; 3]).unwrap();
        assert_eq!(r.produced, 3);
        assert_eq!(d.remaining_hint(), Some(u64::MAX - 3));
    }

    #[test]
    fn simple_chunked() {
        let input = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        let (body, r) = chunked(input).unwrap();
        assert_eq!(body, b"hello world");
        assert!(r.done);
        assert_eq!(r.consumed, input.len());
    }

    #[test]
    fn chunked_remaining_hint_is_none() {
        assert_eq!(
            BodyDecoder::new(BodyFraming::Chunked).remaining_hint(),
            None
        );
    }

    #[test]
    fn chunked_leaves_pipelined_bytes() {
        let input = b"3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        let (body, r) = chunked(input).unwrap();
        assert_eq!(body, b"abc");
        assert_eq!(&input[r.consumed..], b"GET / HTTP/1.1\r\n");
    }

    #[test]
    fn chunked_one_byte_at_a_time() {
        let input = b"4;name=\"v\"\r\nWiki\r\nA\r\npedia in\r\n\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        let (body, consumed, done) = bytewise(BodyFraming::Chunked, input).unwrap();
        assert_eq!(body, b"Wikipedia in\r\n");
        assert!(done);
        assert_eq!(&input[consumed..], b"NEXT");
    }

    #[test]
    fn length_one_byte_at_a_time() {
        let (body, consumed, done) = bytewise(BodyFraming::Length(3), b"abcdef").unwrap();
        assert_eq!((body.as_slice(), consumed, done), (&b"abc"[..], 3, true));
    }

    #[test]
    fn chunk_size_hex_any_case_and_leading_zeros() {
        let (body, _) = chunked(b"000a\r\n0123456789\r\n0\r\n\r\n").unwrap();
        assert_eq!(body.len(), 10);
        let (body, _) = chunked(b"A\r\n0123456789\r\n0000\r\n\r\n").unwrap();
        assert_eq!(body.len(), 10);
    }

    #[test]
    fn extensions_and_whitespace_skipped() {
        let (body, _) = chunked(b"3 ;a=b;c\r\nabc\r\n0;last\r\n\r\n").unwrap();
        assert_eq!(body, b"abc");
        let (body, _) = chunked(b"3\t \r\nabc\r\n0\r\n\r\n").unwrap();
        assert_eq!(body, b"abc");
    }

    #[test]
    fn trailers_skipped() {
        let input = b"1\r\na\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\nrest";
        let (body, r) = chunked(input).unwrap();
        assert_eq!(body, b"a");
        assert_eq!(&input[r.consumed..], b"rest");
    }

    #[test]
    fn lf_only_size_and_trailer_lines_tolerated() {
        let input = b"3\nabc\r\n0\nX: y\n\nrest";
        let (body, r) = chunked(input).unwrap();
        assert_eq!(body, b"abc");
        assert!(r.done);
        assert_eq!(&input[r.consumed..], b"rest");
    }

    #[test]
    fn data_must_end_in_crlf() {
        assert_eq!(chunked_err(b"3\r\nabc\n0\r\n\r\n").status, 400);
        assert_eq!(chunked_err(b"3\r\nabcd\r\n0\r\n\r\n").status, 400);
        assert_eq!(chunked_err(b"3\r\nabc\rX").status, 400);
        assert!(chunked_err(b"3\r\nabcX")
            .reason
            .contains("not followed by CRLF"));
    }

    #[test]
    fn missing_size_400() {
        assert_eq!(chunked_err(b"\r\nabc\r\n").status, 400);
        assert_eq!(chunked_err(b";ext\r\n").status, 400);
        assert_eq!(chunked_err(b" 3\r\n").status, 400);
        assert!(chunked_err(b"\r\n").reason.contains("missing chunk size"));
    }

    #[test]
    fn invalid_size_bytes_400() {
        assert_eq!(chunked_err(b"3x\r\n").status, 400);
        assert_eq!(chunked_err(b"-3\r\n").status, 400);
        assert_eq!(chunked_err(b"0x3\r\n").status, 400);
        assert_eq!(chunked_err(b"3 4\r\n").status, 400);
    }

    #[test]
    fn size_overflow_400() {
        let e = chunked_err(b"10000000000000000\r\n");
        assert_eq!(e.status, 400);
        assert!(e.reason.contains("overflow"));
        // The largest size is accepted (and then waits for its data).
        let mut d = BodyDecoder::new(BodyFraming::Chunked);
        let r = d.decode(b"ffffffffffffffff\r\nab", &mut [0; 4]).unwrap();
        assert_eq!((r.produced, r.done), (2, false));
    }

    #[test]
    fn size_line_bounded() {
        let mut line = b"1;".to_vec();
        line.resize(MAX_CHUNK_SIZE_LINE + 1, b'x');
        assert_eq!(chunked_err(&line).status, 400);
        let mut zeros = vec![b'0'; MAX_CHUNK_SIZE_LINE + 1];
        zeros.push(b'1');
        assert_eq!(chunked_err(&zeros).status, 400);
    }

    #[test]
    fn extension_total_bounded() {
        let ext = format!(";{}", "e".repeat(1000));
        let mut body = Vec::new();
        for _ in 0..20 {
            body.extend_from_slice(format!("1{ext}\r\nx\r\n").as_bytes());
        }
        assert!(chunked_err(&body).reason.contains("extension"));
    }

    #[test]
    fn control_bytes_in_extension_400() {
        assert_eq!(chunked_err(b"1;a\0b\r\nx\r\n").status, 400);
        assert_eq!(chunked_err(b"1;a\rb\r\n").status, 400);
    }

    #[test]
    fn trailer_bounded() {
        let mut input = b"0\r\nX: ".to_vec();
        input.resize(MAX_TRAILER + 10, b'a');
        assert!(chunked_err(&input).reason.contains("trailer"));
        let mut ok = b"0\r\nX: ".to_vec();
        ok.resize(3 + MAX_TRAILER - 4, b'a');
        ok.extend_from_slice(b"\r\n\r\n");
        assert!(chunked(&ok).unwrap().1.done);
    }

    #[test]
    fn bare_cr_in_trailer_or_end_400() {
        assert_eq!(chunked_err(b"0\r\nX: 1\rY\r\n\r\n").status, 400);
        assert_eq!(chunked_err(b"0\r\n\rX").status, 400);
        assert_eq!(chunked_err(b"3\rX").status, 400);
    }

    #[test]
    fn errors_stick() {
        let mut d = BodyDecoder::new(BodyFraming::Chunked);
        let e = d.decode(b"z", &mut [0; 4]).unwrap_err();
        assert_eq!(d.decode(b"3\r\nabc\r\n", &mut [0; 4]).unwrap_err(), e);
    }

    #[test]
    fn output_full_mid_chunk_resumes() {
        let mut d = BodyDecoder::new(BodyFraming::Chunked);
        let input = b"6\r\nabcdef\r\n0\r\n\r\n";
        let mut out = [0; 4];
        let r = d.decode(input, &mut out).unwrap();
        assert_eq!((r.consumed, r.produced, r.done), (7, 4, false));
        assert_eq!(&out, b"abcd");
        let r = d.decode(&input[7..], &mut out).unwrap();
        assert_eq!((r.consumed, r.produced, r.done), (input.len() - 7, 2, true));
        assert_eq!(&out[..2], b"ef");
    }

    #[test]
    fn empty_output_still_reads_framing() {
        let mut d = BodyDecoder::new(BodyFraming::Chunked);
        let r = d.decode(b"0\r\n\r\n", &mut []).unwrap();
        assert!(r.done);
        let mut d = BodyDecoder::new(BodyFraming::Chunked);
        let r = d.decode(b"2\r\nab", &mut []).unwrap();
        assert_eq!((r.consumed, r.produced), (3, 0));
    }

    #[test]
    fn done_decoder_consumes_nothing() {
        let mut d = BodyDecoder::new(BodyFraming::Chunked);
        assert!(d.decode(b"0\r\n\r\n", &mut []).unwrap().done);
        let r = d.decode(b"more", &mut [0; 4]).unwrap();
        assert_eq!(
            r,
            Decoded {
                consumed: 0,
                produced: 0,
                done: true
            }
        );
    }

    #[test]
    fn skip_drains_without_output() {
        let input = b"5\r\nhello\r\n0\r\n\r\nNEXT";
        let mut d = BodyDecoder::new(BodyFraming::Chunked);
        let r = d.skip(input).unwrap();
        assert_eq!((r.produced, r.done), (5, true));
        assert_eq!(&input[r.consumed..], b"NEXT");
        let mut d = BodyDecoder::new(BodyFraming::Length(3));
        let r = d.skip(b"abcdef").unwrap();
        assert_eq!((r.consumed, r.produced, r.done), (3, 3, true));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// How one chunked body is written on the wire.
        #[derive(Debug, Clone)]
        struct Encoding {
            cuts: Vec<usize>,
            extensions: Vec<String>,
            trailers: Vec<String>,
            lf_only: bool,
        }

        fn encoding() -> impl Strategy<Value = Encoding> {
            (
                prop::collection::vec(1usize..64, 0..12),
                prop::collection::vec(
                    prop_oneof![Just(String::new()), ";[a-z]{1,5}(=[a-z0-9]{1,5})?"],
                    0..13,
                ),
                prop::collection::vec("[A-Za-z-]{1,10}: [ -~]{0,20}", 0..3),
                any::<bool>(),
            )
                .prop_map(|(cuts, extensions, trailers, lf_only)| Encoding {
                    cuts,
                    extensions,
                    trailers,
                    lf_only,
                })
        }

        fn encode(body: &[u8], e: &Encoding) -> Vec<u8> {
            let eol: &[u8] = if e.lf_only { b"\n" } else { b"\r\n" };
            let mut out = Vec::new();
            let mut rest = body;
            let mut i = 0;
            while !rest.is_empty() {
                let n = e.cuts.get(i).copied().unwrap_or(rest.len()).min(rest.len());
                out.extend_from_slice(format!("{n:x}").as_bytes());
                out.extend_from_slice(e.extensions.get(i).map_or("", String::as_str).as_bytes());
                out.extend_from_slice(eol);
                out.extend_from_slice(&rest[..n]);
                out.extend_from_slice(b"\r\n"); // always CRLF after data
                rest = &rest[n..];
                i += 1;
            }
            out.extend_from_slice(b"0");
            out.extend_from_slice(eol);
            for t in &e.trailers {
                out.extend_from_slice(t.as_bytes());
                out.extend_from_slice(eol);
            }
            out.extend_from_slice(eol);
            out
        }

        /// Decode `input` fed in pieces of the given sizes, with output
        /// buffers of the given sizes; returns body, consumed, done.
        fn decode_split(
            framing: BodyFraming,
            input: &[u8],
            pieces: &[usize],
            outs: &[usize],
        ) -> Result<(Vec<u8>, usize, bool), HttpError> {
            let mut d = BodyDecoder::new(framing);
            let mut body = Vec::new();
            let mut consumed = 0;
            let mut end = 0;
            let mut step = 0;
            loop {
                // Grow the readable window by the next piece, like a socket read.
                end = (end + pieces.get(step % pieces.len().max(1)).copied().unwrap_or(1))
                    .min(input.len());
                let mut out = vec![0; outs.get(step % outs.len().max(1)).copied().unwrap_or(7)];
                let r = d.decode(&input[consumed..end], &mut out)?;
                body.extend_from_slice(&out[..r.produced]);
                consumed += r.consumed;
                step += 1;
                if r.done || (end == input.len() && r.consumed == 0 && r.produced == 0) {
                    return Ok((body, consumed, r.done));
                }
                if step > 4 * input.len() + 100 {
                    panic!("no progress");
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn chunked_roundtrip_split_anywhere(
                body in prop::collection::vec(any::<u8>(), 0..300),
                e in encoding(),
                tail in prop::collection::vec(any::<u8>(), 0..16),
                pieces in prop::collection::vec(1usize..40, 1..8),
                outs in prop::collection::vec(1usize..50, 1..5),
            ) {
                let mut wire = encode(&body, &e);
                let framed = wire.len();
                wire.extend_from_slice(&tail);
                let (decoded, consumed, done) = decode_split(BodyFraming::Chunked, &wire, &pieces, &outs).unwrap();
                prop_assert!(done);
                prop_assert_eq!(decoded, body);
                prop_assert_eq!(consumed, framed);
            }

            #[test]
            fn chunked_single_split_point(
                body in prop::collection::vec(any::<u8>(), 0..100),
                e in encoding(),
                split in any::<usize>(),
            ) {
                let wire = encode(&body, &e);
                let k = split % (wire.len() + 1);
                let mut d = BodyDecoder::new(BodyFraming::Chunked);
                let mut out = vec![0; body.len()];
                let a = d.decode(&wire[..k], &mut out).unwrap();
                prop_assert_eq!(a.consumed, k, "a decoder keeps partial state, it never hands bytes back");
                let b = d.decode(&wire[k..], &mut out[a.produced..]).unwrap();
                prop_assert!(b.done);
                prop_assert_eq!(a.consumed + b.consumed, wire.len());
                prop_assert_eq!(&out[..a.produced + b.produced], &body[..]);
            }

            #[test]
            fn length_roundtrip_split_anywhere(
                body in prop::collection::vec(any::<u8>(), 0..300),
                tail in prop::collection::vec(any::<u8>(), 0..16),
                pieces in prop::collection::vec(1usize..40, 1..8),
                outs in prop::collection::vec(1usize..50, 1..5),
            ) {
                let mut wire = body.clone();
                wire.extend_from_slice(&tail);
                let framing = BodyFraming::Length(body.len() as u64);
                let (decoded, consumed, done) = decode_split(framing, &wire, &pieces, &outs).unwrap();
                prop_assert!(done);
                prop_assert_eq!(consumed, body.len());
                prop_assert_eq!(decoded, body);
            }

            #[test]
            fn random_input_never_panics(
                input in prop::collection::vec(prop_oneof![
                    any::<u8>(),
                    prop::sample::select(b"0123456789abcdefABCDEF\r\n;= \t".to_vec()),
                ], 0..200),
                pieces in prop::collection::vec(1usize..20, 1..5),
                outs in prop::collection::vec(0usize..20, 1..5),
            ) {
                if let Ok((_, consumed, _)) = decode_split(BodyFraming::Chunked, &input, &pieces, &outs) {
                    prop_assert!(consumed <= input.len());
                }
            }

            #[test]
            fn mutated_chunked_never_panics_and_split_agrees(
                body in prop::collection::vec(any::<u8>(), 0..80),
                e in encoding(),
                edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..4),
                pieces in prop::collection::vec(1usize..20, 1..5),
            ) {
                let mut wire = encode(&body, &e);
                for (at, byte) in edits {
                    let at = at % wire.len();
                    wire[at] = byte;
                }
                let whole = decode_split(BodyFraming::Chunked, &wire, &[wire.len()], &[wire.len() + 1]);
                let split = decode_split(BodyFraming::Chunked, &wire, &pieces, &[wire.len() + 1]);
                prop_assert_eq!(whole, split);
            }
        }
    }
}
