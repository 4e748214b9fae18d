//! `DEFLATE` as an input filter (`SetInputFilter DEFLATE`): a request body sent with
//! `Content-Encoding: gzip` reaches the handler inflated, without the Content-Encoding and
//! Content-Length that described the compressed bytes; any other body passes untouched. The
//! inflated size is bounded by DeflateInflateLimitRequestBody, and a body that keeps
//! inflating more than DeflateInflateRatioLimit times its compressed size for more than
//! DeflateInflateRatioBurst reads in a row is refused, as Apache does against gzip bombs.

use crate::deflate_config::DeflateConfig;
use flate2::{Decompress, FlushDecompress, Status};
use mapache_plugin_api::sdk::{Level, Request, Source};
use std::io;

/// One request's inflation.
#[derive(Default)]
pub enum Inflation {
    /// Not decided yet (before the first read).
    #[default]
    Undecided,
    /// The body is not gzip: reads pass through.
    Plain,
    /// The body is gzip.
    Gzip(Box<Gunzip>),
}

/// The zlib state and the compressed bytes read but not yet inflated.
pub struct Gunzip {
    zlib: Decompress,
    input: Vec<u8>,
    pos: usize,
    len: usize,
    source_done: bool,
    stream_done: bool,
    compressed: u64,
    inflated: u64,
    ratio_hits: u32,
    limit: u64,
    ratio_limit: u64,
    ratio_burst: u32,
}

/// Whether a request Content-Encoding is gzip (`x-gzip` is its old name, RFC 9110 8.4.1.3).
fn is_gzip(encoding: &str) -> bool {
    let e = encoding.trim();
    e.eq_ignore_ascii_case("gzip") || e.eq_ignore_ascii_case("x-gzip")
}

impl Inflation {
    /// Fills `buf` with the handler's view of the body.
    pub fn read(
        &mut self,
        req: &mut Request<'_>,
        buf: &mut [u8],
        source: &mut Source<'_>,
    ) -> io::Result<usize> {
        if let Inflation::Undecided = self {
            *self = Inflation::start(req);
        }
        match self {
            Inflation::Gzip(g) => g.read(req, buf, source),
            _ => source.read(buf),
        }
    }

    fn start(req: &mut Request<'_>) -> Inflation {
        if !req.header("Content-Encoding").is_some_and(is_gzip) {
            return Inflation::Plain;
        }
        // The handler sees the inflated body: the fields that described the compressed one go.
        let _ = req.change_request_header("Content-Encoding", None, false);
        let _ = req.change_request_header("Content-Length", None, false);
        let config = req
            .module_config::<DeflateConfig>()
            .cloned()
            .unwrap_or_default();
        Inflation::Gzip(Box::new(Gunzip {
            zlib: Decompress::new_gzip(15),
            input: vec![0; config.buffer_size().clamp(1024, 1 << 20)],
            pos: 0,
            len: 0,
            source_done: false,
            stream_done: false,
            compressed: 0,
            inflated: 0,
            ratio_hits: 0,
            limit: config.inflate_limit(),
            ratio_limit: config.ratio_limit(),
            ratio_burst: config.ratio_burst(),
        }))
    }
}

impl Gunzip {
    fn read(
        &mut self,
        req: &mut Request<'_>,
        buf: &mut [u8],
        source: &mut Source<'_>,
    ) -> io::Result<usize> {
        if self.stream_done || buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos == self.len && !self.source_done {
                self.len = source.read(&mut self.input)?;
                self.pos = 0;
                self.source_done = self.len == 0;
                self.compressed += self.len as u64;
            }
            let (in_before, out_before) = (self.zlib.total_in(), self.zlib.total_out());
            let flush = if self.source_done {
                FlushDecompress::Finish
            } else {
                FlushDecompress::None
            };
            let status = self
                .zlib
                .decompress(&self.input[self.pos..self.len], buf, flush)
                .map_err(|e| refuse(req, &format!("Zlib error inflating the request body: {e}")))?;
            self.pos += (self.zlib.total_in() - in_before) as usize;
            let produced = (self.zlib.total_out() - out_before) as usize;
            self.inflated += produced as u64;
            self.check_limits(req)?;
            if status == Status::StreamEnd {
                self.stream_done = true;
                return Ok(produced);
            }
            if produced > 0 {
                return Ok(produced);
            }
            if self.source_done && self.pos == self.len {
                return Err(refuse(req, "Premature end of the gzip request body"));
            }
        }
    }

    /// Apache's two bounds: the inflated size, and the ratio burst.
    fn check_limits(&mut self, req: &Request<'_>) -> io::Result<()> {
        if self.inflated > self.limit {
            return Err(refuse(
                req,
                &format!(
                    "Inflated content length of {} is larger than the configured limit of {}",
                    self.inflated, self.limit
                ),
            ));
        }
        if self.compressed > 0 && self.inflated / self.compressed > self.ratio_limit {
            self.ratio_hits += 1;
            if self.ratio_hits > self.ratio_burst {
                return Err(refuse(
                    req,
                    &format!(
                        "Inflated content ratio is larger than the configured limit {} by {} time(s)",
                        self.ratio_limit, self.ratio_hits
                    ),
                ));
            }
        } else {
            self.ratio_hits = 0;
        }
        Ok(())
    }
}

/// Logs why the body is refused (as Apache's error line) and makes the read's error.
fn refuse(req: &Request<'_>, why: &str) -> io::Error {
    req.log(Level::Error, why);
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}
