//! Response output that the socket did not take at once, for connections served step by step
//! (event MPMs): memory bytes (copied, up to a bound) and file ranges (a duplicated descriptor
//! and an offset, never copied). The queue is drained without blocking when the poller says the
//! socket is writable. Blocking connections never queue: they wait for the socket instead.

use super::transport::Transport;
use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::Instant;

/// Most memory bytes queued per connection; past it, writing waits for the socket (bounded by
/// Timeout) as a blocking connection does.
pub const MAX_QUEUED_BYTES: usize = 256 * 1024;
/// Most file ranges queued per connection (each may hold a duplicated descriptor).
pub const MAX_QUEUED_FILES: usize = 64;

enum Pending {
    /// `data[at..]` is still to be written.
    Bytes { data: Vec<u8>, at: usize },
    /// `len` bytes of `file` from `offset`.
    File {
        file: Arc<OwnedFd>,
        offset: u64,
        len: u64,
    },
}

/// The queue of one connection.
pub struct OutQueue {
    pending: VecDeque<Pending>,
    /// Memory bytes queued.
    bytes: usize,
    /// File ranges queued.
    files: usize,
    /// The last descriptor a module handed over and our duplicate of it, so the ranges of one
    /// file (multipart byteranges) share one duplicate.
    last_file: Option<(RawFd, Arc<OwnedFd>)>,
    /// When the socket last took bytes (or the queue was filled): a stalled queue expires
    /// `Timeout` after it.
    pub last_progress: Instant,
}

impl Default for OutQueue {
    fn default() -> Self {
        OutQueue {
            pending: VecDeque::new(),
            bytes: 0,
            files: 0,
            last_file: None,
            last_progress: Instant::now(),
        }
    }
}

impl OutQueue {
    /// Nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Memory bytes queued.
    pub fn queued_bytes(&self) -> usize {
        self.bytes
    }

    /// Whether `n` more memory bytes fit under [`MAX_QUEUED_BYTES`].
    pub fn room_for_bytes(&self, n: usize) -> bool {
        self.bytes + n <= MAX_QUEUED_BYTES
    }

    /// Whether one more file range fits under [`MAX_QUEUED_FILES`].
    pub fn room_for_file(&self) -> bool {
        self.files < MAX_QUEUED_FILES
    }

    /// Queues copies of `slices`.
    pub fn push_bytes(&mut self, slices: &[&[u8]]) {
        let n: usize = slices.iter().map(|s| s.len()).sum();
        if n == 0 {
            return;
        }
        if self.pending.is_empty() {
            self.last_progress = Instant::now();
        }
        self.bytes += n;
        // Small pieces (chunk headers, CRLFs) join the previous memory entry.
        if let Some(Pending::Bytes { data, .. }) = self.pending.back_mut() {
            for s in slices {
                data.extend_from_slice(s);
            }
            return;
        }
        let mut data = Vec::with_capacity(n);
        for s in slices {
            data.extend_from_slice(s);
        }
        self.pending.push_back(Pending::Bytes { data, at: 0 });
    }

    /// Queues `len` bytes of `file` from `offset`, duplicating the descriptor (the module keeps
    /// and closes its own).
    pub fn push_file(&mut self, file: RawFd, offset: u64, len: u64) -> std::io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        let dup = match &self.last_file {
            Some((raw, dup)) if *raw == file && same_file(file, dup.as_raw_fd()) => dup.clone(),
            _ => {
                // SAFETY: `file` is open for the duration of the module's call.
                let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(file) };
                let dup = Arc::new(borrowed.try_clone_to_owned()?);
                self.last_file = Some((file, dup.clone()));
                dup
            }
        };
        if self.pending.is_empty() {
            self.last_progress = Instant::now();
        }
        self.files += 1;
        self.pending.push_back(Pending::File {
            file: dup,
            offset,
            len,
        });
        Ok(())
    }

    /// Forgets which module descriptor the last duplicate belongs to (at the end of a request,
    /// after which the module may reuse the number for another file).
    pub fn end_request(&mut self) {
        self.last_file = None;
    }

    /// Writes what the socket takes now; `Ok(true)` when the queue is empty.
    pub fn flush(&mut self, t: &mut dyn Transport) -> std::io::Result<bool> {
        while let Some(front) = self.pending.front_mut() {
            match front {
                Pending::Bytes { .. } => {
                    // Gather the leading memory entries into one writev.
                    let slices: Vec<&[u8]> = self
                        .pending
                        .iter()
                        .map_while(|p| match p {
                            Pending::Bytes { data, at } => Some(&data[*at..]),
                            Pending::File { .. } => None,
                        })
                        .collect();
                    let Some(mut n) = t.write_vectored(&slices, false)? else {
                        return Ok(false);
                    };
                    self.bytes -= n;
                    self.last_progress = Instant::now();
                    while n > 0 {
                        let Some(Pending::Bytes { data, at }) = self.pending.front_mut() else {
                            break;
                        };
                        let left = data.len() - *at;
                        if n >= left {
                            n -= left;
                            self.pending.pop_front();
                        } else {
                            *at += n;
                            n = 0;
                        }
                    }
                }
                Pending::File { file, offset, len } => {
                    let Some(n) = t.send_file(file.as_raw_fd(), *offset, *len)? else {
                        return Ok(false);
                    };
                    self.last_progress = Instant::now();
                    *offset += n;
                    *len -= n;
                    if *len == 0 {
                        self.pending.pop_front();
                        self.files -= 1;
                    }
                }
            }
        }
        Ok(true)
    }

    /// Drops everything queued (the client is gone).
    pub fn clear(&mut self) {
        self.pending.clear();
        self.bytes = 0;
        self.files = 0;
        self.last_file = None;
    }
}

/// Whether two descriptors refer to the same file (device and inode).
fn same_file(a: RawFd, b: RawFd) -> bool {
    let stat = |fd| {
        // SAFETY: fstat writes into the struct we own; a zeroed stat is a valid initial value.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        (unsafe { libc::fstat(fd, &mut st) } == 0).then_some((st.st_dev, st.st_ino))
    };
    matches!((stat(a), stat(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::transport::PlainSocket;
    use std::io::Read;
    use std::os::fd::IntoRawFd;
    use std::os::unix::net::UnixStream;

    fn pair() -> (UnixStream, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        (a, b)
    }

    #[test]
    fn bytes_and_files_come_out_in_order() {
        let (a, mut b) = pair();
        // SAFETY: `a`'s descriptor, given up.
        let mut t = unsafe { PlainSocket::from_raw_fd(a.into_raw_fd()) };
        let file = tempfile_with(b"0123456789");
        let mut q = OutQueue::default();
        q.push_bytes(&[b"head ", b"er|"]);
        q.push_file(file.as_raw_fd(), 2, 5).unwrap();
        q.push_bytes(&[b"|tail"]);
        q.push_file(file.as_raw_fd(), 0, 1).unwrap();
        assert_eq!(q.queued_bytes(), 13);
        // The module may close its descriptor at once: the queue holds a duplicate.
        drop(file);
        assert!(q.flush(&mut t).unwrap());
        assert!(q.is_empty());
        drop(t);
        let mut got = Vec::new();
        b.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"head er|23456|tail0");
    }

    #[test]
    fn one_duplicate_per_file() {
        let file = tempfile_with(b"abcdef");
        let mut q = OutQueue::default();
        for i in 0..4 {
            q.push_file(file.as_raw_fd(), i, 1).unwrap();
        }
        let dups: Vec<RawFd> = q
            .pending
            .iter()
            .filter_map(|p| match p {
                Pending::File { file, .. } => Some(file.as_raw_fd()),
                _ => None,
            })
            .collect();
        assert_eq!(dups.len(), 4);
        assert!(dups.iter().all(|d| *d == dups[0]));
        assert!(!q.room_for_bytes(MAX_QUEUED_BYTES + 1));
    }

    fn tempfile_with(data: &[u8]) -> std::fs::File {
        let path = std::env::temp_dir().join(format!(
            "mapache-outq-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&path, data).unwrap();
        let f = std::fs::File::open(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        f
    }
}
