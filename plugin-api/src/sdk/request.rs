//! A request as a handler sees it: read the request, build the response.

use super::config::Config;
use super::host::{from_abi, host, module_name, str_from_abi, to_abi, Level};
use crate::abi::{self, MapacheRequest, MapacheStr};
use std::fs::File;
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What a handler did with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The response was produced through the [`Request`]'s response methods.
    Done,
    /// Not this handler's request: the next handler is tried.
    Declined,
    /// The core answers with its own error page for this status (400..=599).
    Status(u16),
}

impl Outcome {
    /// The ABI return value.
    pub fn to_raw(self) -> i32 {
        match self {
            Outcome::Done => abi::MAPACHE_OK,
            Outcome::Declined => abi::MAPACHE_DECLINED,
            Outcome::Status(s) => i32::from(s),
        }
    }
}

/// What a URL path names on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Nothing (see [`MappedFile::error`]).
    None,
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A FIFO, socket or device: never to be read.
    Other,
}

/// A URL path mapped onto the file system by the core ([`Request::map`]), borrowed for the
/// duration of `handle`.
#[derive(Debug)]
pub struct MappedFile<'a> {
    /// What is there.
    pub kind: FileKind,
    /// For [`FileKind::None`], why: the lookup's OS error (`NotFound`, `NotADirectory`,
    /// `PermissionDenied`...).
    pub error: Option<std::io::Error>,
    /// The real path (absolute, no symbolic link).
    pub path: &'a Path,
    /// DocumentRoot joined with the URL path: the name that was asked for.
    pub requested: &'a Path,
    /// The open file's size (0 for [`FileKind::None`]).
    pub size: u64,
    /// The open file's modification time (the epoch for [`FileKind::None`]).
    pub modified: std::time::SystemTime,
    /// The open file, owned by the core: never dropped here.
    file: Option<ManuallyDrop<File>>,
}

impl MappedFile<'_> {
    /// The file or directory the core opened in the step that resolved its path (`None` for
    /// [`FileKind::None`]). Read and send this one, never the path: the path may have changed.
    pub fn file(&self) -> Option<&File> {
        self.file.as_deref()
    }
}

/// One request, borrowed from the core for the duration of `handle`.
pub struct Request<'a> {
    raw: *mut MapacheRequest,
    _life: core::marker::PhantomData<&'a mut MapacheRequest>,
}

fn empty() -> MapacheStr {
    to_abi(&[])
}

impl<'a> Request<'a> {
    /// Wraps a handle received in `handle`.
    ///
    /// # Safety
    /// `raw` must be the live request handle passed to this `handle` call.
    pub unsafe fn from_raw(raw: *mut MapacheRequest) -> Self {
        Request {
            raw,
            _life: core::marker::PhantomData,
        }
    }

    /// The raw handle, for host functions the SDK does not wrap here.
    pub fn as_raw(&mut self) -> *mut MapacheRequest {
        self.raw
    }

    fn text(&self, f: extern "C" fn(*const MapacheRequest) -> MapacheStr) -> &'a str {
        // SAFETY: the core keeps request strings alive until `handle` returns.
        unsafe { str_from_abi(f(self.raw)) }
    }

    /// The method, e.g. `GET`.
    pub fn method(&self) -> &'a str {
        self.text(host().req_method)
    }

    /// The request target as sent.
    pub fn uri(&self) -> &'a str {
        self.text(host().req_uri)
    }

    /// The decoded, normalized path.
    pub fn path(&self) -> &'a [u8] {
        // SAFETY: as in `text`.
        unsafe { from_abi((host().req_path)(self.raw)) }
    }

    /// The query string (without `?`).
    pub fn query(&self) -> &'a str {
        self.text(host().req_query)
    }

    /// The protocol, e.g. `HTTP/1.1`.
    pub fn protocol(&self) -> &'a str {
        self.text(host().req_protocol)
    }

    /// The handler chosen by `SetHandler` (empty when none).
    pub fn handler(&self) -> &'a str {
        self.text(host().req_handler)
    }

    /// The client's IP address.
    pub fn client_ip(&self) -> &'a str {
        self.text(host().req_client_ip)
    }

    /// The first request header named `name` (case-insensitive), as bytes.
    pub fn header_bytes(&self, name: &str) -> Option<&'a [u8]> {
        let mut v = empty();
        let found = (host().req_header)(self.raw, to_abi(name.as_bytes()), &mut v);
        // SAFETY: as in `text`.
        (found == 1).then(|| unsafe { from_abi(v) })
    }

    /// The first request header named `name`, when it is valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.header_bytes(name)
            .and_then(|b| core::str::from_utf8(b).ok())
    }

    /// All request header fields in order, as bytes.
    pub fn headers(&self) -> Vec<(&'a [u8], &'a [u8])> {
        let h = host();
        (0..(h.req_header_count)(self.raw))
            .filter_map(|i| {
                let (mut n, mut v) = (empty(), empty());
                // SAFETY: as in `text`.
                ((h.req_header_at)(self.raw, i, &mut n, &mut v) == 1)
                    .then(|| unsafe { (from_abi(n), from_abi(v)) })
            })
            .collect()
    }

    /// The configuration that applies to this request.
    pub fn config(&self) -> Config<'a> {
        // SAFETY: the core keeps the handle alive until `handle` returns.
        unsafe { Config::from_raw((host().req_config)(self.raw)) }
    }

    /// Reads request body bytes (0 at the end).
    pub fn read_body(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (host().req_read_body)(self.raw, buf.as_mut_ptr(), buf.len());
        usize::try_from(n).map_err(|_| std::io::Error::other("request body could not be read"))
    }

    /// Logs a line with this request's client address.
    pub fn log(&self, level: Level, msg: &str) {
        (host().req_log)(
            self.raw,
            to_abi(module_name().as_bytes()),
            level.to_raw(),
            to_abi(msg.as_bytes()),
        );
    }

    /// Sets the status code (default 200).
    pub fn set_status(&mut self, status: u16) {
        (host().resp_set_status)(self.raw, status);
    }

    /// Sets a response header, replacing others of that name.
    pub fn set_header(&mut self, name: &str, value: &str) {
        (host().resp_set_header)(self.raw, to_abi(name.as_bytes()), to_abi(value.as_bytes()));
    }

    /// Adds a response header.
    pub fn add_header(&mut self, name: &str, value: &str) {
        (host().resp_add_header)(self.raw, to_abi(name.as_bytes()), to_abi(value.as_bytes()));
    }

    /// Declares the body length.
    pub fn set_content_length(&mut self, length: u64) {
        (host().resp_set_content_length)(self.raw, length);
    }

    /// Appends body bytes. `Err` when the client has gone.
    pub fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        match (host().resp_write)(self.raw, to_abi(data)) {
            abi::MAPACHE_OK => Ok(()),
            _ => Err(std::io::Error::other("client connection lost")),
        }
    }

    /// Sends `length` bytes of `file` from `offset` as body, with sendfile where possible.
    pub fn send_file(
        &mut self,
        file: &impl AsRawFd,
        offset: u64,
        length: u64,
    ) -> std::io::Result<()> {
        match (host().resp_sendfile)(self.raw, file.as_raw_fd(), offset, length) {
            abi::MAPACHE_OK => Ok(()),
            _ => Err(std::io::Error::other("client connection lost")),
        }
    }

    /// Maps `url_path` (decoded, starting with `/`) onto the file system under DocumentRoot, as
    /// the core mapped the request's own path: symbolic links only as `Options` allows, and the
    /// client checked against the `Require` lines of the real directory. `Err(status)` (403) when
    /// the path may not be served; the core has logged why.
    pub fn map(&mut self, url_path: &[u8]) -> Result<MappedFile<'a>, u16> {
        let mut out = abi::MapacheFile {
            struct_size: core::mem::size_of::<abi::MapacheFile>() as u32,
            kind: abi::MAPACHE_FILE_NONE,
            fd: -1,
            error: 0,
            path: empty(),
            requested: empty(),
            size: 0,
            mtime_ns: 0,
        };
        match (host().req_map)(self.raw, to_abi(url_path), &mut out) {
            abi::MAPACHE_OK => {}
            status @ 300..=599 => return Err(status as u16),
            _ => return Err(500),
        }
        let kind = match out.kind {
            abi::MAPACHE_FILE_REGULAR => FileKind::File,
            abi::MAPACHE_FILE_DIRECTORY => FileKind::Directory,
            abi::MAPACHE_FILE_OTHER => FileKind::Other,
            _ => FileKind::None,
        };
        // SAFETY: the core keeps the strings until `handle` returns.
        let (path, requested) = unsafe { (from_abi(out.path), from_abi(out.requested)) };
        Ok(MappedFile {
            kind,
            error: (kind == FileKind::None).then(|| std::io::Error::from_raw_os_error(out.error)),
            path: Path::new(std::ffi::OsStr::from_bytes(path)),
            requested: Path::new(std::ffi::OsStr::from_bytes(requested)),
            size: out.size,
            modified: if out.mtime_ns >= 0 {
                std::time::UNIX_EPOCH + std::time::Duration::from_nanos(out.mtime_ns as u64)
            } else {
                std::time::UNIX_EPOCH - std::time::Duration::from_nanos(out.mtime_ns.unsigned_abs())
            },
            // SAFETY: an open descriptor the core owns until `handle` returns; ManuallyDrop
            // never closes it.
            file: (out.fd >= 0).then(|| ManuallyDrop::new(unsafe { File::from_raw_fd(out.fd) })),
        })
    }
}
