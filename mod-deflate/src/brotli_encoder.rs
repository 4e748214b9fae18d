//! Brotli through the `brotli` crate: the encoder for `BROTLI_COMPRESS`.

use crate::stream::Encoder;
use brotli::enc::BrotliEncoderParams;
use brotli::CompressorWriter;
use std::io::{self, Write};

/// A brotli stream; the writer's output is drained into the filter's buffer after each call.
pub struct BrotliEncoder {
    writer: Option<CompressorWriter<Vec<u8>>>,
}

impl BrotliEncoder {
    /// A brotli encoder at `quality` (0–11) with a window of 2^`lgwin` bytes (10–24) and input
    /// blocks of 2^`lgblock` bytes (16–24; 0 lets the encoder choose).
    pub fn new(quality: u32, lgwin: u32, lgblock: u32) -> Self {
        let params = BrotliEncoderParams {
            quality: quality as i32,
            lgwin: lgwin as i32,
            lgblock: lgblock as i32,
            ..BrotliEncoderParams::default()
        };
        BrotliEncoder {
            writer: Some(CompressorWriter::with_params(
                Vec::new(),
                16 * 1024,
                &params,
            )),
        }
    }

    fn writer(&mut self) -> io::Result<&mut CompressorWriter<Vec<u8>>> {
        self.writer
            .as_mut()
            .ok_or_else(|| io::Error::other("brotli stream already finished"))
    }

    fn drain(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        let produced = self.writer()?.get_mut();
        out.extend_from_slice(produced);
        produced.clear();
        Ok(())
    }
}

impl Encoder for BrotliEncoder {
    fn write(&mut self, input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        self.writer()?.write_all(input)?;
        self.drain(out)
    }

    fn flush(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        self.writer()?.flush()?;
        self.drain(out)
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        let writer = self
            .writer
            .take()
            .ok_or_else(|| io::Error::other("brotli stream already finished"))?;
        out.extend_from_slice(&writer.into_inner());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn unbrotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(data, 4096)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn pieces_written_with_flushes_decode_to_the_input() {
        let text: Vec<u8> = (0..300_000u32)
            .map(|i| b"<p>brotli</p>\n"[(i % 14) as usize])
            .collect();
        let mut enc = BrotliEncoder::new(5, 18, 0);
        let mut out = Vec::new();
        for (i, piece) in text.chunks(9000).enumerate() {
            enc.write(piece, &mut out).unwrap();
            if i % 7 == 0 {
                enc.flush(&mut out).unwrap();
            }
        }
        enc.finish(&mut out).unwrap();
        assert!(out.len() < text.len() / 10);
        assert_eq!(unbrotli(&out), text);
    }

    #[test]
    fn an_empty_body_is_a_valid_brotli_stream() {
        let mut enc = BrotliEncoder::new(11, 24, 24);
        let mut out = Vec::new();
        enc.finish(&mut out).unwrap();
        assert!(!out.is_empty());
        assert!(unbrotli(&out).is_empty());
    }
}
