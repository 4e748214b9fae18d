//! gzip through zlib (flate2 with the zlib-rs backend): the encoder for `DEFLATE`.

use crate::stream::Encoder;
use flate2::{Compress, Compression, FlushCompress, Status};
use std::io;

/// A gzip stream (header, deflate data, CRC and length trailer) as zlib writes it.
pub struct GzipEncoder {
    zlib: Compress,
}

impl GzipEncoder {
    /// A gzip encoder at `level` (1–9) with a window of 2^`window_bits` bytes (9–15).
    pub fn new(level: u32, window_bits: u8) -> Self {
        GzipEncoder {
            zlib: Compress::new_gzip(Compression::new(level), window_bits),
        }
    }

    /// Runs zlib over `input` with `flush` until it has taken all of it and (for a flush)
    /// emitted everything, growing `out` as needed.
    fn run(&mut self, mut input: &[u8], out: &mut Vec<u8>, flush: FlushCompress) -> io::Result<()> {
        loop {
            if out.capacity() - out.len() < 256 {
                out.reserve(input.len() / 2 + 4096);
            }
            let spare = out.capacity() - out.len();
            let before = self.zlib.total_in();
            let status = self
                .zlib
                .compress_vec(input, out, flush)
                .map_err(io::Error::other)?;
            let taken = (self.zlib.total_in() - before) as usize;
            input = &input[taken..];
            let filled = out.capacity() - out.len() == 0 || spare == 0;
            match (flush, status) {
                (_, Status::StreamEnd) => return Ok(()),
                (FlushCompress::None, _) if input.is_empty() => return Ok(()),
                (FlushCompress::Sync, _) if input.is_empty() && !filled => return Ok(()),
                _ => {}
            }
        }
    }
}

impl Encoder for GzipEncoder {
    fn write(&mut self, input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        self.run(input, out, FlushCompress::None)
    }

    fn flush(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        self.run(&[], out, FlushCompress::Sync)
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        self.run(&[], out, FlushCompress::Finish)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        GzDecoder::new(data).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn pieces_written_with_flushes_decode_to_the_input() {
        let text: Vec<u8> = (0..200_000u32)
            .map(|i| b"abcdefgh\n"[(i % 9) as usize])
            .collect();
        let mut enc = GzipEncoder::new(6, 15);
        let mut out = Vec::new();
        for (i, piece) in text.chunks(7000).enumerate() {
            enc.write(piece, &mut out).unwrap();
            if i % 5 == 0 {
                enc.flush(&mut out).unwrap();
            }
        }
        enc.finish(&mut out).unwrap();
        assert_eq!(&out[..2], &[0x1f, 0x8b], "a gzip header");
        assert!(out.len() < text.len() / 10);
        assert_eq!(gunzip(&out), text);
    }

    #[test]
    fn a_flush_makes_what_was_written_decodable() {
        let mut enc = GzipEncoder::new(6, 15);
        let mut out = Vec::new();
        enc.write(b"hello, streaming world", &mut out).unwrap();
        enc.flush(&mut out).unwrap();
        let mut partial = Vec::new();
        let mut dec = flate2::Decompress::new_gzip(15);
        let mut buf = vec![0u8; 1024];
        dec.decompress(&out, &mut buf, flate2::FlushDecompress::Sync)
            .unwrap();
        partial.extend_from_slice(&buf[..dec.total_out() as usize]);
        assert_eq!(partial, b"hello, streaming world");
    }

    #[test]
    fn an_empty_body_is_a_valid_gzip_stream() {
        let mut enc = GzipEncoder::new(1, 9);
        let mut out = Vec::new();
        enc.finish(&mut out).unwrap();
        assert!(gunzip(&out).is_empty());
    }
}
