//! The body stage both compressing filters share: each bucket is compressed as it comes (a
//! file range read in pieces of the buffer size), compressed bytes go on whenever a buffer's
//! worth is ready, a FLUSH bucket flushes the encoder and passes the flush on, and EOS
//! finishes the stream. Memory stays one encoder and one buffer, whatever the body's size.

use mapache_plugin_api::sdk::{Bucket, Next, Request};
use std::io;

/// A streaming compressor that appends what it produces to `out`.
pub trait Encoder: Send {
    /// Compresses `input` (the encoder may hold some of it back until more comes).
    fn write(&mut self, input: &[u8], out: &mut Vec<u8>) -> io::Result<()>;
    /// Emits everything written so far in a form the client can decode now.
    fn flush(&mut self, out: &mut Vec<u8>) -> io::Result<()>;
    /// Ends the stream (trailer included); the encoder is not used again.
    fn finish(&mut self, out: &mut Vec<u8>) -> io::Result<()>;
}

/// The body stage of a compressing filter whose head stage left `state` set when it compresses:
/// HEAD and responses it does not compress pass as they are; after EOS, `at_end` gets the bytes
/// in and out (the filter notes).
pub fn filter_body<E: Encoder>(
    req: &mut Request<'_>,
    state: &mut Option<Compression<E>>,
    bucket: Bucket<'_>,
    next: &mut Next<'_>,
    at_end: impl FnOnce(&mut Request<'_>, u64, u64),
) -> io::Result<()> {
    match state {
        // HEAD: the head says what GET would send; there is no body to compress.
        Some(_) if req.method() == "HEAD" => next.pass(bucket),
        Some(c) => {
            let end = matches!(bucket, Bucket::Eos);
            c.body(bucket, next)?;
            if end {
                at_end(req, c.bytes_in, c.bytes_out);
            }
            Ok(())
        }
        None => next.pass(bucket),
    }
}

/// One response's compression: the encoder (made at the first bucket) and the output buffer.
pub struct Compression<E> {
    encoder: E,
    out: Vec<u8>,
    buffer_size: usize,
    /// Body bytes in and compressed bytes out, for the filter notes.
    pub bytes_in: u64,
    /// Compressed bytes passed on.
    pub bytes_out: u64,
}

impl<E: Encoder> Compression<E> {
    /// Starts a response's compression with `encoder`, passing compressed bytes on in pieces
    /// of about `buffer_size`.
    pub fn new(encoder: E, buffer_size: usize) -> Self {
        let buffer_size = buffer_size.clamp(1024, 1 << 20);
        Compression {
            encoder,
            out: Vec::with_capacity(buffer_size + 1024),
            buffer_size,
            bytes_in: 0,
            bytes_out: 0,
        }
    }

    /// Handles one bucket of the body.
    pub fn body(&mut self, bucket: Bucket<'_>, next: &mut Next<'_>) -> io::Result<()> {
        match bucket {
            Bucket::Bytes(b) => self.input(b, next),
            Bucket::File(range) => {
                let size = self.buffer_size;
                range.for_each_chunk(size, |chunk| self.input(chunk, next))
            }
            Bucket::Flush => {
                self.encoder.flush(&mut self.out)?;
                self.send(next)?;
                next.pass(Bucket::Flush)
            }
            Bucket::Eos => {
                self.encoder.finish(&mut self.out)?;
                self.send(next)?;
                next.eos()
            }
        }
    }

    fn input(&mut self, data: &[u8], next: &mut Next<'_>) -> io::Result<()> {
        self.bytes_in += data.len() as u64;
        for piece in data.chunks(self.buffer_size) {
            self.encoder.write(piece, &mut self.out)?;
            if self.out.len() >= self.buffer_size {
                self.send(next)?;
            }
        }
        Ok(())
    }

    fn send(&mut self, next: &mut Next<'_>) -> io::Result<()> {
        self.bytes_out += self.out.len() as u64;
        let result = next.bytes(&self.out);
        self.out.clear();
        result
    }
}
