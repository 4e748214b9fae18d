//! ABI 1.4 filters: traits for output and input filters, the buckets a body flows in, and the
//! handles to pass them on. List a filter in the `filters: [...]` part of
//! [`mapache_module!`](crate::mapache_module) as `output("NAME", VALUE)` or
//! `input("NAME", VALUE)`, where `VALUE` is a constant of the filter's type (a unit struct, or a
//! `const`), so the glue can borrow it for `'static`.
//!
//! Filters run on the request's thread, concurrently with other requests in threaded MPMs, so
//! the filter itself is shared (`&self`, `Sync`); what one request needs is its
//! [`OutputFilter::State`] / [`InputFilter::State`]: made with `Default` at the filter's first
//! call in a request, boxed behind the core's state pointer, handed to every later call of
//! that request, and dropped by the core's `done` call at the end of the request.

use super::host::{from_abi, host, to_abi};
use super::request::Request;
use crate::abi::{self, MapacheBucket, MapacheFilter};
use std::fs::File;
use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd};
use std::os::unix::fs::FileExt;

/// Where a filter sits in the chain (Apache's `AP_FTYPE_*`): output filters run by ascending
/// class, nearest the handler first; input filters by descending class.
pub mod class {
    pub use crate::abi::{
        MAPACHE_FILTER_CONTENT_SET as CONTENT_SET, MAPACHE_FILTER_PROTOCOL as PROTOCOL,
        MAPACHE_FILTER_RESOURCE as RESOURCE,
    };
}

/// What an output filter's header stage says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterVerdict {
    /// Stay in the chain: [`OutputFilter::body`] gets every bucket.
    Stay,
    /// Leave the chain for this response (the body bypasses the filter; file ranges can still
    /// go out with sendfile). A filter that only edits headers always leaves.
    Leave,
    /// Fail: the core answers 500 instead.
    Error,
}

/// A piece of a response body, borrowed for the call that receives it: copy bytes (or keep
/// the file's descriptor with `dup`) to use them after returning.
#[derive(Debug)]
pub enum Bucket<'a> {
    /// Body bytes.
    Bytes(&'a [u8]),
    /// A range of an open file (mod-static sends files this way). A filter that changes
    /// bodies must read the range ([`FileRange::for_each_chunk`]) and pass bytes instead; one
    /// that does not passes the bucket on as it is, so the core can still sendfile it.
    File(FileRange<'a>),
    /// Send what is buffered now.
    Flush,
    /// The end of the body: the last bucket, exactly once. Pass it on after what you held back.
    Eos,
}

/// `length` bytes of an open file from `offset`. The descriptor is the passer's: never close
/// it; reading uses `pread`, so the file's offset is left alone.
#[derive(Debug)]
pub struct FileRange<'a> {
    /// The open file.
    pub fd: BorrowedFd<'a>,
    /// Where the range starts.
    pub offset: u64,
    /// How many bytes.
    pub length: u64,
}

impl FileRange<'_> {
    /// Reads the range in pieces of at most `chunk` bytes and hands each to `f`, in order.
    /// A file shorter than the range is an `UnexpectedEof` error.
    pub fn for_each_chunk(
        &self,
        chunk: usize,
        mut f: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<()> {
        // SAFETY: the descriptor is open for the borrow; ManuallyDrop never closes it.
        let file = ManuallyDrop::new(unsafe { File::from_raw_fd(self.fd.as_raw_fd()) });
        let mut buf = vec![0u8; chunk.clamp(1, 1 << 20)];
        let (mut pos, end) = (self.offset, self.offset.saturating_add(self.length));
        while pos < end {
            let want = usize::try_from(end - pos).map_or(buf.len(), |n| n.min(buf.len()));
            let n = file.read_at(&mut buf[..want], pos)?;
            if n == 0 {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
            }
            f(&buf[..n])?;
            pos += n as u64;
        }
        Ok(())
    }

    /// The whole range in memory (for small files; prefer [`FileRange::for_each_chunk`]).
    pub fn read_all(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(usize::try_from(self.length).unwrap_or(0).min(1 << 20));
        self.for_each_chunk(64 * 1024, |b| {
            out.extend_from_slice(b);
            Ok(())
        })?;
        Ok(out)
    }
}

impl<'a> Bucket<'a> {
    /// Views an ABI bucket; `None` for a kind this SDK does not know.
    ///
    /// # Safety
    /// `b` must be a bucket valid for `'a`, as the core hands it to a body call.
    pub(crate) unsafe fn from_raw(b: &'a MapacheBucket) -> Option<Bucket<'a>> {
        Some(match b.kind {
            abi::MAPACHE_BUCKET_BYTES => Bucket::Bytes(from_abi(b.data)),
            abi::MAPACHE_BUCKET_FILE if b.fd >= 0 => Bucket::File(FileRange {
                fd: BorrowedFd::borrow_raw(b.fd),
                offset: b.offset,
                length: b.length,
            }),
            abi::MAPACHE_BUCKET_FLUSH => Bucket::Flush,
            abi::MAPACHE_BUCKET_EOS => Bucket::Eos,
            _ => return None,
        })
    }

    fn to_raw(&self) -> MapacheBucket {
        let mut raw = MapacheBucket {
            kind: abi::MAPACHE_BUCKET_EOS,
            fd: -1,
            data: to_abi(&[]),
            offset: 0,
            length: 0,
        };
        match self {
            Bucket::Bytes(b) => {
                raw.kind = abi::MAPACHE_BUCKET_BYTES;
                raw.data = to_abi(b);
            }
            Bucket::File(r) => {
                raw.kind = abi::MAPACHE_BUCKET_FILE;
                raw.fd = r.fd.as_raw_fd();
                raw.offset = r.offset;
                raw.length = r.length;
            }
            Bucket::Flush => raw.kind = abi::MAPACHE_BUCKET_FLUSH,
            Bucket::Eos => {}
        }
        raw
    }
}

/// The rest of the output chain, for one body call: what is passed here goes to the next
/// filter (the last is the core's, which sends). Only valid during the call it was given to.
pub struct Next<'a> {
    raw: *mut MapacheFilter,
    _life: core::marker::PhantomData<&'a mut MapacheFilter>,
}

impl Next<'_> {
    pub(crate) fn new(raw: *mut MapacheFilter) -> Self {
        Next {
            raw,
            _life: core::marker::PhantomData,
        }
    }

    /// Passes `bucket` on (the bytes are copied or sent before this returns). Blocks while the
    /// client is slow. `Err` when the client has gone: stop producing then.
    pub fn pass(&mut self, bucket: Bucket<'_>) -> io::Result<()> {
        let raw = bucket.to_raw();
        match (host().filter_pass)(self.raw, &raw) {
            abi::MAPACHE_OK => Ok(()),
            _ => Err(io::Error::other("client connection lost")),
        }
    }

    /// Passes body bytes on (nothing for an empty slice).
    pub fn bytes(&mut self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.pass(Bucket::Bytes(data))
    }

    /// Passes the end of the body on.
    pub fn eos(&mut self) -> io::Result<()> {
        self.pass(Bucket::Eos)
    }
}

/// An output filter, between the handler and the client.
pub trait OutputFilter: Sync + 'static {
    /// What the filter keeps during one request (see the module documentation).
    type State: Default + Send + 'static;
    /// The filter's place in the chain ([`class`]).
    const CLASS: i32 = class::RESOURCE;
    /// True when `body` never changes the body's length (bytes transformed one for one), so a
    /// declared Content-Length stays valid. Otherwise the core drops it while the filter stays.
    const KEEPS_LENGTH: bool = false;

    /// Called once before the response head is sent (also for the core's error pages): may
    /// read and change the status and headers, and says whether the filter stays for the body.
    fn headers(&self, _req: &mut Request<'_>, _state: &mut Self::State) -> FilterVerdict {
        FilterVerdict::Stay
    }

    /// Called for each bucket, in order, ending with [`Bucket::Eos`]. Pass buckets on through
    /// `next` (the same, changed ones, fewer or more), `Eos` last. An `Err` aborts the
    /// response (the connection closes). The default passes each bucket on as it is: what a
    /// header-only filter (one whose `headers` leaves the chain) needs.
    fn body(
        &self,
        _req: &mut Request<'_>,
        _state: &mut Self::State,
        bucket: Bucket<'_>,
        next: &mut Next<'_>,
    ) -> io::Result<()> {
        next.pass(bucket)
    }
}

/// The input filter nearer the client, for one read call. Only valid during that call.
pub struct Source<'a> {
    raw: *mut MapacheFilter,
    _life: core::marker::PhantomData<&'a mut MapacheFilter>,
}

impl Source<'_> {
    pub(crate) fn new(raw: *mut MapacheFilter) -> Self {
        Source {
            raw,
            _life: core::marker::PhantomData,
        }
    }

    /// Reads request body bytes from nearer the client: the count, 0 at the end of the body.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (host().filter_read)(self.raw, buf.as_mut_ptr(), buf.len());
        usize::try_from(n).map_err(|_| io::Error::other("request body could not be read"))
    }
}

/// An input filter, between the client and the handler's reads of the request body.
pub trait InputFilter: Sync + 'static {
    /// What the filter keeps during one request (see the module documentation).
    type State: Default + Send + 'static;
    /// The filter's place in the chain ([`class`]).
    const CLASS: i32 = class::RESOURCE;

    /// Fills `buf` with up to `buf.len()` transformed body bytes, reading from `source`:
    /// the count, 0 at the end of the body.
    fn read(
        &self,
        req: &mut Request<'_>,
        state: &mut Self::State,
        buf: &mut [u8],
        source: &mut Source<'_>,
    ) -> io::Result<usize>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    fn temp_file(data: &[u8]) -> File {
        let path = std::env::temp_dir().join(format!(
            "mapache-sdk-range-{}-{}",
            std::process::id(),
            data.len()
        ));
        std::fs::write(&path, data).unwrap();
        let f = File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }

    #[test]
    fn a_file_range_is_read_in_chunks_from_its_offset() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let f = temp_file(&data);
        let range = FileRange {
            fd: f.as_fd(),
            offset: 1000,
            length: 5000,
        };
        let mut sizes = Vec::new();
        let mut got = Vec::new();
        range
            .for_each_chunk(2048, |c| {
                sizes.push(c.len());
                got.extend_from_slice(c);
                Ok(())
            })
            .unwrap();
        assert_eq!(got, &data[1000..6000]);
        assert_eq!(sizes, [2048, 2048, 904]);
        assert_eq!(range.read_all().unwrap(), &data[1000..6000]);
    }

    #[test]
    fn a_range_past_the_end_of_the_file_is_an_error() {
        let f = temp_file(b"short");
        let range = FileRange {
            fd: f.as_fd(),
            offset: 2,
            length: 10,
        };
        let err = range.read_all().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
