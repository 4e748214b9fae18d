//! The scoreboard: shared memory the master makes before the MPM forks, in which every process
//! and worker thread keeps its record current (who runs where, in which state, how much it has
//! served), for status pages, the MPM's maintenance and a graceful restart's hand-over.
//!
//! - `records.rs`: the records' layout and the seqlock that gives readers consistent copies;
//! - `shm.rs`: the memory itself (memfd + shared mapping) and where each record lies;
//! - `worker.rs`: the calling thread's record, updated on the serve path;
//! - here: the process's board, the generation, what the master records about its children, the
//!   readers behind the host table, and what a re-exec carries to the next master.
//!
//! Across a graceful restart the master hands the memory file to its re-executed self, which
//! reuses it when the dimensions are unchanged: the old generation's children keep updating
//! their records in the very memory the new master reads.

pub mod records;
pub mod shm;
pub mod worker;

use crate::logs::error_log;
use mapache_plugin_api::abi::{
    MapacheScoreGlobal, MapacheScoreProcess, MapacheScoreWorker, MAPACHE_WORKER_DEAD,
    MAPACHE_WORKER_GRACEFUL, MAPACHE_WORKER_STARTING,
};
use records::ProcessRecord;
use shm::Board;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

/// Names the descriptor of the board a graceful restart hands over.
pub const ENV_BOARD: &str = "MAPACHE_SCOREBOARD";
/// The generation of the master that re-executed itself.
pub const ENV_GENERATION: &str = "MAPACHE_GENERATION";
/// When the server first started, µs since the epoch.
pub const ENV_START_TIME: &str = "MAPACHE_START_TIME";

/// This process's board, once `score_open` made or reused one (inherited by children).
static BOARD: OnceLock<Board> = OnceLock::new();
/// A board handed over by a graceful restart, until `score_open` decides what to do with it.
static INHERITED: Mutex<Option<Board>> = Mutex::new(None);
/// This master's generation: 0 at first start, one more after every restart.
static GENERATION: AtomicU32 = AtomicU32::new(0);
/// When the server first started (µs); 0 until known.
static START_TIME_US: AtomicU64 = AtomicU64::new(0);
/// The process slot given to `child_init`; `u32::MAX` before.
static SLOT: AtomicU32 = AtomicU32::new(u32::MAX);
/// This child's process record, for `child_stopping` (a signal handler may call it).
static OWN_PROCESS: AtomicPtr<ProcessRecord> = AtomicPtr::new(std::ptr::null_mut());

fn now_us() -> u64 {
    worker::micros(SystemTime::now())
}

/// The generation this master serves.
pub fn generation() -> u32 {
    GENERATION.load(Ordering::Relaxed)
}

/// Remembers the slot the master gave this child (first thing in `child_init`).
pub fn set_slot(slot: u32) {
    SLOT.store(slot, Ordering::Relaxed);
}

/// The process slot this child serves (None in the master).
pub fn slot() -> Option<u32> {
    Some(SLOT.load(Ordering::Relaxed)).filter(|&s| s != u32::MAX)
}

/// The process's board, if one was opened.
pub fn board() -> Option<&'static Board> {
    BOARD.get()
}

/// Takes what a re-executed master was handed (the generation, the start time, and after a
/// graceful restart the board) and removes it from the environment, so that nothing this
/// process starts inherits it. Call early, before anything starts a program. Returns warnings
/// for the error log.
pub fn take_inherited() -> Vec<String> {
    let mut warnings = Vec::new();
    let generation = std::env::var(ENV_GENERATION).ok();
    let start = std::env::var(ENV_START_TIME).ok();
    let board = std::env::var(ENV_BOARD).ok();
    warnings.extend(crate::metrics::take_inherited());
    for v in [ENV_GENERATION, ENV_START_TIME, ENV_BOARD] {
        // Edition 2021: safe; the master is single-threaded here.
        std::env::remove_var(v);
    }
    if let Some(g) = generation.and_then(|g| g.trim().parse::<u32>().ok()) {
        GENERATION.store(g.wrapping_add(1), Ordering::Relaxed);
    }
    let start = start.and_then(|t| t.trim().parse::<u64>().ok());
    START_TIME_US.store(start.unwrap_or_else(now_us), Ordering::Relaxed);
    if let Some(fd) = board {
        match take_board(&fd) {
            Ok(b) => *INHERITED.lock().unwrap_or_else(|e| e.into_inner()) = Some(b),
            Err(why) => warnings.push(format!(
                "the scoreboard handed over by the graceful restart is not usable ({why}): the \
                 old generation's processes finish unseen"
            )),
        }
    }
    warnings
}

fn take_board(text: &str) -> Result<Board, String> {
    let fd: RawFd = text
        .trim()
        .parse()
        .ok()
        .filter(|&fd| fd > 2)
        .ok_or_else(|| format!("{ENV_BOARD}={text} is not a descriptor"))?;
    // SAFETY: fcntl on a descriptor number is harmless if it is not open (EBADF).
    if unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
        return Err(format!(
            "descriptor {fd}: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: the descriptor was handed to us for this, and nothing else refers to it.
    Board::from_fd(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// What a re-exec of this master carries to the next one.
pub struct Carry {
    /// This master's generation (the next one adds 1).
    pub generation: u32,
    /// When the server first started, µs.
    pub start_time_us: u64,
    /// The board's descriptor, for a graceful restart only.
    pub board_fd: Option<RawFd>,
    /// The metric area's descriptor, likewise.
    pub metrics_fd: Option<RawFd>,
}

/// What to hand to the next master; the board only when `graceful`.
pub fn carry(graceful: bool) -> Carry {
    let start = START_TIME_US.load(Ordering::Relaxed);
    Carry {
        generation: generation(),
        start_time_us: if start == 0 { now_us() } else { start },
        board_fd: BOARD.get().filter(|_| graceful).map(Board::raw_fd),
        metrics_fd: crate::metrics::carry_fd().filter(|_| graceful),
    }
}

/// `score_open`: makes the board, or reuses the one a graceful restart handed over (same
/// dimensions), or copies its live process records into a new one (other dimensions).
pub fn open(server_limit: u32, thread_limit: u32) -> Result<(), String> {
    if let Some(b) = BOARD.get() {
        return if b.dims() == (server_limit, thread_limit) {
            Ok(())
        } else {
            Err(format!(
                "the scoreboard is already open for ServerLimit {} × ThreadLimit {}",
                b.dims().0,
                b.dims().1
            ))
        };
    }
    let inherited = INHERITED.lock().unwrap_or_else(|e| e.into_inner()).take();
    let mut start = START_TIME_US.load(Ordering::Relaxed);
    if start == 0 {
        start = now_us();
        START_TIME_US.store(start, Ordering::Relaxed);
    }
    // At first start the server starts and "restarts" at the same moment.
    let restart = if generation() == 0 { start } else { now_us() };
    let (board, warnings) = prepare(
        inherited,
        server_limit,
        thread_limit,
        generation(),
        start,
        restart,
    )?;
    for w in warnings {
        error_log::log("core", error_log::WARN, None, &w);
    }
    crate::metrics::open(server_limit)?;
    BOARD
        .set(board)
        .map_err(|_| "the scoreboard was opened twice at once".to_owned())
}

/// The board for this generation from what was inherited, with warnings for the log.
fn prepare(
    inherited: Option<Board>,
    server_limit: u32,
    thread_limit: u32,
    generation: u32,
    start_us: u64,
    now_us: u64,
) -> Result<(Board, Vec<String>), String> {
    let mut warnings = Vec::new();
    let board = match inherited {
        Some(old) if old.dims() == (server_limit, thread_limit) => {
            mark_older_quiescing(&old, generation);
            old
        }
        Some(old) => {
            let new = Board::create(server_limit, thread_limit)?;
            warnings = copy_live_processes(&old, &new);
            new
        }
        None => Board::create(server_limit, thread_limit)?,
    };
    board.global().set(generation, start_us, now_us);
    Ok((board, warnings))
}

/// Children of earlier generations are finishing: their records say so before they do.
fn mark_older_quiescing(board: &Board, generation: u32) {
    for slot in 0..board.dims().0 {
        if let Some(p) = board.process(slot) {
            let snap = p.snapshot();
            if snap.pid != 0 && snap.generation != generation {
                p.quiescing.store(1, Ordering::Relaxed);
            }
        }
    }
}

/// Copies the live process records of `old` into `new` (same slot if it fits, else the first
/// free one), quiescing, with their workers' counters; workers that were in use show `G`.
fn copy_live_processes(old: &Board, new: &Board) -> Vec<String> {
    let mut warnings = Vec::new();
    let (new_sl, new_tl) = new.dims();
    let (old_sl, old_tl) = old.dims();
    for slot in 0..old_sl {
        let Some(p) = old.process(slot) else { continue };
        let snap = p.snapshot();
        if snap.pid == 0 {
            continue;
        }
        let free = |s: u32| new.process(s).is_some_and(|r| r.snapshot().pid == 0);
        let target = if free(slot) {
            Some(slot)
        } else {
            (0..new_sl).find(|&s| free(s))
        };
        let Some(target) = target else {
            warnings.push(format!(
                "process {} (slot {slot}, generation {}) does not fit in the new scoreboard \
                 (ServerLimit {new_sl}): it finishes its connections unseen",
                snap.pid, snap.generation
            ));
            continue;
        };
        let Some(to) = new.process(target) else {
            continue;
        };
        to.set_child(snap.pid, snap.generation, snap.started_us);
        to.set_conns(
            snap.connections,
            snap.conns_writing,
            snap.conns_keepalive,
            snap.conns_closing,
        );
        to.quiescing.store(1, Ordering::Relaxed);
        for thread in 0..old_tl.min(new_tl) {
            if let (Some(from), Some(to)) = (old.worker(slot, thread), new.worker(target, thread)) {
                to.copy_counters_from(from);
                let was = from.status.load(Ordering::Relaxed);
                let status = if was == MAPACHE_WORKER_DEAD {
                    MAPACHE_WORKER_DEAD
                } else {
                    MAPACHE_WORKER_GRACEFUL
                };
                to.status.store(status, Ordering::Relaxed);
            }
        }
    }
    warnings
}

/// `score_child_started`: the master forked `pid` into `slot` for the current generation.
pub fn child_started(slot: u32, pid: i32) {
    if let Some(b) = BOARD.get() {
        if !b.child_started(slot, pid, generation(), now_us()) {
            log_out_of_range("score_child_started", slot);
        }
    }
}

/// `score_child_exited`: the child in `slot` was reaped.
pub fn child_exited(slot: u32) {
    crate::metrics::slot_exited(slot);
    if let Some(b) = BOARD.get() {
        if !b.child_exited(slot) {
            log_out_of_range("score_child_exited", slot);
        }
    }
}

fn log_out_of_range(what: &str, slot: u32) {
    let sl = BOARD.get().map_or(0, |b| b.dims().0);
    error_log::log(
        "core",
        error_log::WARN,
        None,
        &format!("{what}: slot {slot} is outside the scoreboard (ServerLimit {sl}); ignored"),
    );
}

/// `child_init`'s part: remembers the child's slot and binds the calling thread to its worker
/// record 0.
pub fn child_init(slot: u32) {
    SLOT.store(slot, Ordering::Relaxed);
    let Some(b) = BOARD.get() else { return };
    let Some(p) = b.process(slot) else {
        log_out_of_range("child_init", slot);
        return;
    };
    OWN_PROCESS.store(p as *const _ as *mut _, Ordering::Relaxed);
    if let Some(w) = b.worker(slot, 0) {
        worker::bind(w);
    }
}

/// `worker_bind`: binds the calling thread to worker record `thread` of this child's slot. A
/// thread number past ThreadLimit unbinds the thread instead (an MPM's listener thread that
/// called `child_init` gives record 0 up that way).
pub fn worker_bind(thread: u32) {
    let slot = SLOT.load(Ordering::Relaxed);
    let Some(b) = BOARD.get() else { return };
    match b.worker(slot, thread) {
        Some(w) => worker::bind(w),
        None => worker::unbind(),
    }
}

/// `score_conns`: this child's connection counts.
pub fn conns(total: u32, writing: u32, keepalive: u32, closing: u32) {
    let p = OWN_PROCESS.load(Ordering::Relaxed);
    if !p.is_null() {
        // SAFETY: points into BOARD, which lives as long as the process.
        unsafe { &*p }.set_conns(total, writing, keepalive, closing);
    }
}

/// `child_stopping`: this process stops gracefully. Async-signal-safe: atomic loads and stores
/// through statics only.
pub fn child_stopping() {
    worker::set_stopping();
    let p = OWN_PROCESS.load(Ordering::Relaxed);
    if !p.is_null() {
        // SAFETY: points into BOARD, which lives as long as the process.
        unsafe { &*p }.quiescing.store(1, Ordering::Relaxed);
    }
}

/// The global copy's names: this process's MPM and build. They are the same in every process of a
/// generation; a child of an older generation (still finishing after a graceful restart that
/// brought a new binary) reports its own, as Apache's processes do.
fn fill_names(g: &mut MapacheScoreGlobal) {
    fn put(field: &mut [u8], text: &str) {
        // Cut to leave a NUL: C readers may take the field as a string.
        let n = text.len().min(field.len() - 1);
        field[..n].copy_from_slice(&text.as_bytes()[..n]);
    }
    if let Some(srv) = crate::server::try_get() {
        put(&mut g.mpm_name, crate::startup::mpm_short_name(&srv.mpm));
        g.mpm_flags = srv.mpm.desc.mpm_flags;
    }
    put(&mut g.server_built, env!("MAPACHE_BUILT"));
}

/// Copies `value` into `out` as far as the caller's struct reaches (`out.struct_size`, the first
/// field, which is left as the caller set it). False when `out` is null.
///
/// # Safety
/// `out` is null or points to a writable struct at least `struct_size` bytes long.
pub(crate) unsafe fn copy_clamped<T>(value: &T, out: *mut T) -> bool {
    if out.is_null() {
        return false;
    }
    let caller = (out as *const u32).read();
    let n = (caller as usize).min(std::mem::size_of::<T>());
    const SIZE_FIELD: usize = std::mem::size_of::<u32>();
    if n > SIZE_FIELD {
        std::ptr::copy_nonoverlapping(
            (value as *const T as *const u8).add(SIZE_FIELD),
            (out as *mut u8).add(SIZE_FIELD),
            n - SIZE_FIELD,
        );
    }
    true
}

// `copy_clamped` counts on `struct_size` coming first, as a u32.
const _: () = {
    assert!(std::mem::offset_of!(MapacheScoreGlobal, struct_size) == 0);
    assert!(std::mem::offset_of!(MapacheScoreProcess, struct_size) == 0);
    assert!(std::mem::offset_of!(MapacheScoreWorker, struct_size) == 0);
};

impl Board {
    /// Records that `pid` runs in `slot` from now on; its worker records not bound yet turn `S`.
    /// False when `slot` is out of range.
    pub fn child_started(&self, slot: u32, pid: i32, generation: u32, now_us: u64) -> bool {
        let Some(p) = self.process(slot) else {
            return false;
        };
        p.set_child(pid, generation, now_us);
        p.quiescing.store(0, Ordering::Relaxed);
        // The child publishes its counts from its loop, after child_init: it has not yet.
        p.set_conns(0, 0, 0, 0);
        // Record 0 only: the others are `.` until a thread binds them, and a record past the
        // threads the child runs must not read as starting. Only if the child has not bound it
        // already: it may run before we do.
        if let Some(w) = self.worker(slot, 0) {
            let _ = w.status.compare_exchange(
                MAPACHE_WORKER_DEAD,
                MAPACHE_WORKER_STARTING,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
        true
    }

    /// Records that the child in `slot` is gone: the slot is free, its workers `.` (counters
    /// kept). False when `slot` is out of range.
    pub fn child_exited(&self, slot: u32) -> bool {
        let Some(p) = self.process(slot) else {
            return false;
        };
        // Its writers are dead: an update one of them left half done is over.
        p.conns_seq.repair();
        p.set_conns(0, 0, 0, 0);
        p.set_child(0, p.generation.load(Ordering::Relaxed), 0);
        p.quiescing.store(0, Ordering::Relaxed);
        for thread in 0..self.dims().1 {
            if let Some(w) = self.worker(slot, thread) {
                w.seq.repair();
                w.status.store(MAPACHE_WORKER_DEAD, Ordering::Relaxed);
            }
        }
        true
    }

    /// `score_global` on this board.
    ///
    /// # Safety
    /// As [`copy_clamped`].
    pub unsafe fn read_global(&self, out: *mut MapacheScoreGlobal) -> bool {
        let (sl, tl) = self.dims();
        let mut g = self.global().snapshot(sl, tl);
        fill_names(&mut g);
        copy_clamped(&g, out)
    }

    /// `score_process` on this board.
    ///
    /// # Safety
    /// As [`copy_clamped`].
    pub unsafe fn read_process(&self, slot: u32, out: *mut MapacheScoreProcess) -> bool {
        match self.process(slot) {
            Some(p) => copy_clamped(&p.snapshot(), out),
            None => false,
        }
    }

    /// `score_worker` on this board.
    ///
    /// # Safety
    /// As [`copy_clamped`].
    pub unsafe fn read_worker(&self, slot: u32, thread: u32, out: *mut MapacheScoreWorker) -> bool {
        match self.worker(slot, thread) {
            Some(w) => copy_clamped(&w.snapshot(), out),
            None => false,
        }
    }
}

#[cfg(test)]
mod tests;
