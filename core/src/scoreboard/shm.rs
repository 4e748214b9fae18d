//! The shared memory: an anonymous memory file (memfd, close-on-exec) mapped shared, so children
//! forked after it was made share it, and a re-executed master can map it again from the
//! descriptor it was handed.
//!
//! Layout: the [`Header`] (64 bytes), the [`GlobalRecord`] (64), `server_limit` process records
//! (64 each), then `server_limit × thread_limit` worker records (256 each), slot by slot.

use super::records::{GlobalRecord, Header, ProcessRecord, WorkerRecord, LAYOUT_VERSION, MAGIC};
use crate::shared_memory::SharedMemory;
use mapache_plugin_api::abi::MAPACHE_WORKER_DEAD;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::atomic::Ordering;

const HEADER_LEN: usize = 64;
const GLOBAL_LEN: usize = 64;
const PROCESS_LEN: usize = std::mem::size_of::<ProcessRecord>();
const WORKER_LEN: usize = std::mem::size_of::<WorkerRecord>();
/// No board is larger than this (a ServerLimit × ThreadLimit typo must not map gigabytes).
const MAX_LEN: usize = 1 << 30;

/// A mapped scoreboard.
#[derive(Debug)]
pub struct Board {
    mem: SharedMemory,
    server_limit: u32,
    thread_limit: u32,
}

/// Bytes a board of these dimensions takes, if it is allowed.
fn board_len(server_limit: u32, thread_limit: u32) -> Option<usize> {
    let sl = server_limit as usize;
    let workers = sl.checked_mul(thread_limit as usize)?;
    let len = (HEADER_LEN + GLOBAL_LEN)
        .checked_add(sl.checked_mul(PROCESS_LEN)?)?
        .checked_add(workers.checked_mul(WORKER_LEN)?)?;
    (server_limit > 0 && thread_limit > 0 && len <= MAX_LEN).then_some(len)
}

impl Board {
    /// Makes a new board, every worker record `.`, everything else zero.
    pub fn create(server_limit: u32, thread_limit: u32) -> Result<Board, String> {
        let len = board_len(server_limit, thread_limit).ok_or_else(|| {
            format!(
                "ServerLimit {server_limit} × ThreadLimit {thread_limit} gives no usable scoreboard \
                 (each must be at least 1, the scoreboard at most {} MiB)",
                MAX_LEN >> 20
            )
        })?;
        let board = Board {
            mem: SharedMemory::create(c"mapache-scoreboard", len)?,
            server_limit,
            thread_limit,
        };
        let h = board.header();
        h.layout.store(LAYOUT_VERSION, Ordering::Relaxed);
        h.server_limit.store(server_limit, Ordering::Relaxed);
        h.thread_limit.store(thread_limit, Ordering::Relaxed);
        for slot in 0..server_limit {
            for thread in 0..thread_limit {
                if let Some(w) = board.worker(slot, thread) {
                    w.status.store(MAPACHE_WORKER_DEAD, Ordering::Relaxed);
                }
            }
        }
        h.magic.store(MAGIC, Ordering::Release);
        Ok(board)
    }

    /// Maps the board in `fd` (handed over by the master before it re-executed itself), checking
    /// that it is one, of this layout, and whole.
    pub fn from_fd(fd: OwnedFd) -> Result<Board, String> {
        let mem = SharedMemory::from_fd(fd, HEADER_LEN + GLOBAL_LEN, "scoreboard")?;
        let size = mem.size();
        // Dimensions come from the header once it is known to be one; until then the mapping is
        // only as long as the file.
        let mut board = Board {
            mem,
            server_limit: 0,
            thread_limit: 0,
        };
        let h = board.header();
        if h.magic.load(Ordering::Acquire) != MAGIC {
            return Err("not a scoreboard (no magic number)".to_owned());
        }
        let layout = h.layout.load(Ordering::Relaxed);
        if layout != LAYOUT_VERSION {
            return Err(format!(
                "scoreboard layout {layout}, this binary reads layout {LAYOUT_VERSION}"
            ));
        }
        let (sl, tl) = (
            h.server_limit.load(Ordering::Relaxed),
            h.thread_limit.load(Ordering::Relaxed),
        );
        if board_len(sl, tl) != Some(size) {
            return Err(format!(
                "scoreboard of {size} bytes does not match its dimensions {sl} × {tl}"
            ));
        }
        board.server_limit = sl;
        board.thread_limit = tl;
        Ok(board)
    }

    /// The memory file.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.mem.fd()
    }

    /// The raw descriptor number (for handing over across exec).
    pub fn raw_fd(&self) -> i32 {
        self.mem.raw_fd()
    }

    /// (ServerLimit, ThreadLimit).
    pub fn dims(&self) -> (u32, u32) {
        (self.server_limit, self.thread_limit)
    }

    fn at<T>(&self, offset: usize) -> &T {
        // SAFETY: in bounds (offsets come from the checked dimensions), aligned (the mapping is
        // page-aligned and every offset a multiple of 64), and every bit pattern is a valid
        // record (all fields are atomics or padding).
        unsafe { self.mem.at(offset) }
    }

    fn header(&self) -> &Header {
        self.at(0)
    }

    /// The global record.
    pub fn global(&self) -> &GlobalRecord {
        self.at(HEADER_LEN)
    }

    /// Process record `slot`.
    pub fn process(&self, slot: u32) -> Option<&ProcessRecord> {
        (slot < self.server_limit)
            .then(|| self.at(HEADER_LEN + GLOBAL_LEN + slot as usize * PROCESS_LEN))
    }

    /// Worker record `thread` of process slot `slot`.
    pub fn worker(&self, slot: u32, thread: u32) -> Option<&WorkerRecord> {
        if slot >= self.server_limit || thread >= self.thread_limit {
            return None;
        }
        let index = slot as usize * self.thread_limit as usize + thread as usize;
        let workers = HEADER_LEN + GLOBAL_LEN + self.server_limit as usize * PROCESS_LEN;
        Some(self.at(workers + index * WORKER_LEN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_are_checked() {
        assert!(Board::create(0, 1).is_err());
        assert!(Board::create(1, 0).is_err());
        assert!(Board::create(200_000, 100_000)
            .unwrap_err()
            .contains("ServerLimit 200000"));
        let b = Board::create(3, 2).unwrap();
        assert_eq!(b.dims(), (3, 2));
        assert!(b.process(2).is_some() && b.process(3).is_none());
        assert!(b.worker(2, 1).is_some() && b.worker(2, 2).is_none() && b.worker(3, 0).is_none());
        assert_eq!(b.worker(1, 1).unwrap().snapshot().status, b'.');
    }

    #[test]
    fn a_second_mapping_of_the_descriptor_is_the_same_memory() {
        let a = Board::create(2, 3).unwrap();
        let fd = a.fd().try_clone_to_owned().unwrap();
        let b = Board::from_fd(fd).unwrap();
        assert_eq!(b.dims(), (2, 3));
        a.worker(1, 2)
            .unwrap()
            .access_count
            .store(42, Ordering::Relaxed);
        assert_eq!(b.worker(1, 2).unwrap().snapshot().access_count, 42);
    }

    #[test]
    fn other_memory_is_refused() {
        let fd =
            nix::sys::memfd::memfd_create(c"x", nix::sys::memfd::MFdFlags::MFD_CLOEXEC).unwrap();
        nix::unistd::ftruncate(&fd, 4096).unwrap();
        assert!(Board::from_fd(fd).unwrap_err().contains("no magic"));
        let a = Board::create(2, 2).unwrap();
        let fd = a.fd().try_clone_to_owned().unwrap();
        nix::unistd::ftruncate(&fd, 8192).unwrap();
        assert!(Board::from_fd(fd).unwrap_err().contains("does not match"));
    }
}
