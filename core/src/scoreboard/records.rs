//! The records as they lie in shared memory, and the seqlock that gives readers consistent
//! copies of them.
//!
//! Every field is an atomic: processes and threads read records while their writers update them,
//! and atomics are what makes that defined. There are no pointers, only fixed-size records at
//! offsets computed from the header's dimensions, so any process may map the memory at any
//! address. Each record (or group of fields) has one writer, which is what lets a seqlock's
//! writer be a plain store of the sequence instead of a locked read-modify-write.

use mapache_plugin_api::abi::{
    MapacheScoreGlobal, MapacheScoreProcess, MapacheScoreWorker, MAPACHE_SCORE_CLIENT_LEN,
    MAPACHE_SCORE_REQUEST_LEN,
};
use std::sync::atomic::{fence, AtomicI32, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::time::{Duration, Instant};

/// "MAPSCORE": what a mapped memory must start with to be taken for a scoreboard.
pub const MAGIC: u64 = u64::from_le_bytes(*b"MAPSCORE");
/// Counted up whenever a record changes shape: a board from a binary with another layout is not
/// reused across a graceful restart (its records could not be read).
pub const LAYOUT_VERSION: u32 = 1;

/// Tries a reader spins before it yields, then yields before it sleeps: a writer is in the
/// middle of an update for nanoseconds, unless it was preempted there.
const SPIN_TRIES: u32 = 64;
const YIELD_TRIES: u32 = 128;
/// How long a sleeping reader waits between tries.
const READ_NAP: Duration = Duration::from_micros(50);
/// A reader gives up waiting for a consistent copy after this long and takes the last copy as it
/// is: only a writer that died in the middle of an update (its process killed) keeps the sequence
/// odd that long, and the master repairs that when it reaps the process.
const READ_PATIENCE: Duration = Duration::from_millis(100);

/// A sequence counter for one writer: odd while the writer is in the middle of an update.
#[repr(transparent)]
pub struct SeqLock(AtomicU32);

impl SeqLock {
    /// Runs `update` as one update readers see whole or not at all. Only the record's single
    /// writer calls this.
    #[inline]
    pub fn write<R>(&self, update: impl FnOnce() -> R) -> R {
        let seq = self.0.load(Ordering::Relaxed);
        self.0.store(seq.wrapping_add(1), Ordering::Relaxed);
        // The odd sequence is visible before any of the update's stores.
        fence(Ordering::Release);
        let r = update();
        self.0.store(seq.wrapping_add(2), Ordering::Release);
        r
    }

    /// Returns `copy()` taken while no update was in progress, retrying (bounded) while one was.
    pub fn read<T>(&self, mut copy: impl FnMut() -> T) -> T {
        let mut napping_since = None;
        for attempt in 0u32.. {
            let before = self.0.load(Ordering::Acquire);
            if before & 1 == 0 {
                let value = copy();
                // The copy's loads are done before the sequence is read again.
                fence(Ordering::Acquire);
                if self.0.load(Ordering::Relaxed) == before {
                    return value;
                }
            }
            if attempt < SPIN_TRIES {
                std::hint::spin_loop();
            } else if attempt < YIELD_TRIES {
                std::thread::yield_now();
            } else {
                // The writer was preempted mid-update: give it the processor.
                let since = *napping_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= READ_PATIENCE {
                    break;
                }
                std::thread::sleep(READ_NAP);
            }
        }
        copy()
    }

    /// Ends an update its writer never finished (the writer is dead): readers stop waiting.
    pub fn repair(&self) {
        let seq = self.0.load(Ordering::Relaxed);
        if seq & 1 == 1 {
            self.0.store(seq.wrapping_add(1), Ordering::Release);
        }
    }
}

/// A NUL-padded text field of `W` words, stored and loaded a word at a time.
#[repr(transparent)]
pub struct Text<const W: usize>([AtomicU64; W]);

impl<const W: usize> Text<W> {
    /// Stores `parts` one after the other, cut to leave at least one NUL at the end (C readers
    /// can use the field as a string), NUL-padded.
    #[inline]
    pub fn store(&self, parts: &[&[u8]]) {
        // Assembled in words on the stack, then stored a word at a time.
        let mut words = [0u64; W];
        // SAFETY: the bytes of the local word array, which outlives the slice.
        let bytes =
            unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), W * 8) };
        let room = W * 8 - 1;
        let mut at = 0;
        for p in parts {
            let n = p.len().min(room - at);
            bytes[at..at + n].copy_from_slice(&p[..n]);
            at += n;
        }
        for (word, w) in self.0.iter().zip(words) {
            word.store(w, Ordering::Relaxed);
        }
    }

    /// Copies the field into `out` (`W * 8` bytes).
    pub fn load(&self, out: &mut [u8]) {
        for (word, chunk) in self.0.iter().zip(out.chunks_exact_mut(8)) {
            chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
        }
    }

    /// Copies another field of the same size.
    pub fn copy_from(&self, other: &Text<W>) {
        for (to, from) in self.0.iter().zip(other.0.iter()) {
            to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }
}

/// The start of the memory: what it is and its dimensions. Written once, before the memory is
/// shared.
#[repr(C, align(64))]
pub struct Header {
    /// [`MAGIC`], stored last when the board is made.
    pub magic: AtomicU64,
    /// [`LAYOUT_VERSION`].
    pub layout: AtomicU32,
    /// Process records.
    pub server_limit: AtomicU32,
    /// Worker records per process record.
    pub thread_limit: AtomicU32,
}

/// The global record. Written by the master only.
#[repr(C, align(64))]
pub struct GlobalRecord {
    /// Guards the three fields below.
    pub seq: SeqLock,
    /// The configuration generation.
    pub generation: AtomicU32,
    /// When the server first started, µs since the epoch.
    pub start_time_us: AtomicU64,
    /// When it last (re)started.
    pub restart_time_us: AtomicU64,
}

/// One process slot. Two groups with one writer each: the master writes who runs in the slot,
/// the child its connection counts; `quiescing` is a single flag both may store.
#[repr(C, align(64))]
pub struct ProcessRecord {
    /// Guards `pid`, `generation` and `started_us` (the master's).
    pub master_seq: SeqLock,
    /// The child in the slot; 0 when free.
    pub pid: AtomicI32,
    /// Its generation.
    pub generation: AtomicU32,
    /// 1 when it stops gracefully.
    pub quiescing: AtomicU32,
    /// When it was forked.
    pub started_us: AtomicU64,
    /// Guards the connection counts (the child's).
    pub conns_seq: SeqLock,
    /// Connections held.
    pub connections: AtomicU32,
    /// Of those, writing to a slow reader.
    pub writing: AtomicU32,
    /// Of those, idle between requests.
    pub keepalive: AtomicU32,
    /// Of those, in a lingering close.
    pub closing: AtomicU32,
}

/// One worker slot (a thread, or a single-threaded process). Written by the thread bound to it,
/// under `seq`; the master only stores `status` when the process starts and after it ended.
#[repr(C, align(64))]
pub struct WorkerRecord {
    /// Guards the record's multi-field updates.
    pub seq: SeqLock,
    /// A `MAPACHE_WORKER_*` letter.
    pub status: AtomicU8,
    _pad: [u8; 3],
    /// The token of the thread bound to the record, in the process that owns the slot: a thread
    /// whose token is no longer here was replaced by a later bind and writes nothing (see
    /// [`super::worker`]). Not part of what readers see.
    pub owner: AtomicU64,
    /// Requests served.
    pub access_count: AtomicU64,
    /// Bytes sent.
    pub bytes_served: AtomicU64,
    /// Requests on the current connection.
    pub conn_count: AtomicU64,
    /// Bytes sent on the current connection.
    pub conn_bytes: AtomicU64,
    /// Time spent serving requests, µs.
    pub duration_us: AtomicU64,
    /// When the current or last request started.
    pub last_request_us: AtomicU64,
    /// When the last request ended.
    pub last_done_us: AtomicU64,
    /// The heartbeat.
    pub last_active_us: AtomicU64,
    /// The client's address.
    pub client: Text<{ MAPACHE_SCORE_CLIENT_LEN / 8 }>,
    /// The request line.
    pub request: Text<{ MAPACHE_SCORE_REQUEST_LEN / 8 }>,
}

// The layout the offsets in `shm` count on: whole cache lines, so threads writing neighbouring
// records do not share one.
const _: () = {
    assert!(std::mem::size_of::<Header>() == 64);
    assert!(std::mem::size_of::<GlobalRecord>() == 64);
    assert!(std::mem::size_of::<ProcessRecord>() == 64);
    assert!(std::mem::size_of::<WorkerRecord>() == 256);
    assert!(
        MAPACHE_SCORE_CLIENT_LEN.is_multiple_of(8) && MAPACHE_SCORE_REQUEST_LEN.is_multiple_of(8)
    );
};

impl GlobalRecord {
    /// A consistent copy, `struct_size` set to the core's size; the names (which are not in shared
    /// memory) left empty.
    pub fn snapshot(&self, server_limit: u32, thread_limit: u32) -> MapacheScoreGlobal {
        self.seq.read(|| MapacheScoreGlobal {
            struct_size: std::mem::size_of::<MapacheScoreGlobal>() as u32,
            server_limit,
            thread_limit,
            generation: self.generation.load(Ordering::Relaxed),
            start_time_us: self.start_time_us.load(Ordering::Relaxed),
            restart_time_us: self.restart_time_us.load(Ordering::Relaxed),
            ..Default::default()
        })
    }

    /// Sets all three fields (master).
    pub fn set(&self, generation: u32, start_time_us: u64, restart_time_us: u64) {
        self.seq.write(|| {
            self.generation.store(generation, Ordering::Relaxed);
            self.start_time_us.store(start_time_us, Ordering::Relaxed);
            self.restart_time_us
                .store(restart_time_us, Ordering::Relaxed);
        });
    }
}

impl ProcessRecord {
    /// A copy, each group consistent, `struct_size` set to the core's size.
    pub fn snapshot(&self) -> MapacheScoreProcess {
        let (pid, generation, started_us) = self.master_seq.read(|| {
            (
                self.pid.load(Ordering::Relaxed),
                self.generation.load(Ordering::Relaxed),
                self.started_us.load(Ordering::Relaxed),
            )
        });
        let (connections, conns_writing, conns_keepalive, conns_closing) =
            self.conns_seq.read(|| {
                (
                    self.connections.load(Ordering::Relaxed),
                    self.writing.load(Ordering::Relaxed),
                    self.keepalive.load(Ordering::Relaxed),
                    self.closing.load(Ordering::Relaxed),
                )
            });
        MapacheScoreProcess {
            struct_size: std::mem::size_of::<MapacheScoreProcess>() as u32,
            pid,
            generation,
            quiescing: self.quiescing.load(Ordering::Relaxed),
            started_us,
            connections,
            conns_writing,
            conns_keepalive,
            conns_closing,
        }
    }

    /// Records who runs in the slot (master).
    pub fn set_child(&self, pid: i32, generation: u32, started_us: u64) {
        self.master_seq.write(|| {
            self.generation.store(generation, Ordering::Relaxed);
            self.started_us.store(started_us, Ordering::Relaxed);
            self.pid.store(pid, Ordering::Relaxed);
        });
    }

    /// Publishes the connection counts (the child; the master when no child runs).
    pub fn set_conns(&self, total: u32, writing: u32, keepalive: u32, closing: u32) {
        self.conns_seq.write(|| {
            self.connections.store(total, Ordering::Relaxed);
            self.writing.store(writing, Ordering::Relaxed);
            self.keepalive.store(keepalive, Ordering::Relaxed);
            self.closing.store(closing, Ordering::Relaxed);
        });
    }
}

impl WorkerRecord {
    /// A consistent copy, `struct_size` set to the core's size.
    pub fn snapshot(&self) -> MapacheScoreWorker {
        self.seq.read(|| {
            let mut w = MapacheScoreWorker {
                status: self.status.load(Ordering::Relaxed),
                access_count: self.access_count.load(Ordering::Relaxed),
                bytes_served: self.bytes_served.load(Ordering::Relaxed),
                conn_count: self.conn_count.load(Ordering::Relaxed),
                conn_bytes: self.conn_bytes.load(Ordering::Relaxed),
                duration_us: self.duration_us.load(Ordering::Relaxed),
                last_request_us: self.last_request_us.load(Ordering::Relaxed),
                last_done_us: self.last_done_us.load(Ordering::Relaxed),
                last_active_us: self.last_active_us.load(Ordering::Relaxed),
                ..Default::default()
            };
            self.client.load(&mut w.client);
            self.request.load(&mut w.request);
            w
        })
    }

    /// Copies another record's counters and texts (master, into a board nobody serves from yet);
    /// the status is set separately.
    pub fn copy_counters_from(&self, other: &WorkerRecord) {
        let pairs = [
            (&self.access_count, &other.access_count),
            (&self.bytes_served, &other.bytes_served),
            (&self.conn_count, &other.conn_count),
            (&self.conn_bytes, &other.conn_bytes),
            (&self.duration_us, &other.duration_us),
            (&self.last_request_us, &other.last_request_us),
            (&self.last_done_us, &other.last_done_us),
            (&self.last_active_us, &other.last_active_us),
        ];
        self.seq.write(|| {
            for (to, from) in pairs {
                to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
            }
            self.client.copy_from(&other.client);
            self.request.copy_from(&other.request);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_to_leave_a_nul_and_padded() {
        let t: Text<2> = Text([AtomicU64::new(0), AtomicU64::new(0)]);
        t.store(&[b"GET ", b"/a-long-path", b" HTTP/1.1"]);
        let mut out = [0xffu8; 16];
        t.load(&mut out);
        assert_eq!(&out, b"GET /a-long-pat\0");
        t.store(&[b"ab"]);
        t.load(&mut out);
        assert_eq!(&out, b"ab\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    }

    #[test]
    fn repair_ends_an_unfinished_update() {
        let s = SeqLock(AtomicU32::new(7));
        s.repair();
        assert_eq!(s.0.load(Ordering::Relaxed), 8);
        s.repair();
        assert_eq!(
            s.0.load(Ordering::Relaxed),
            8,
            "an even sequence is left alone"
        );
        assert_eq!(s.read(|| 5), 5);
    }
}
