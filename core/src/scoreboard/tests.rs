//! The scoreboard's tests: consistent copies under concurrent writers (threads and a forked
//! process), the callers' struct sizes, and what a restart does with an inherited board.

use super::records::WorkerRecord;
use super::shm::Board;
use super::*;
use std::sync::atomic::AtomicBool;

/// Writes update `n` into `rec` the way the serve path does (one seqlock update): every byte of
/// the request line and the client is the same letter, chosen by `n`, and `n` is in two counters.
/// Allocation-free, so a forked child may run it.
fn write_update(rec: &WorkerRecord, n: u64) {
    let letter = [b'a' + (n % 26) as u8; 200];
    rec.seq.write(|| {
        rec.last_request_us.store(n, Ordering::Relaxed);
        rec.client.store(&[&letter]);
        rec.request.store(&[&letter]);
        rec.access_count.store(n, Ordering::Relaxed);
    });
}

/// Panics if a copy mixes two updates.
fn check_copy(w: &MapacheScoreWorker) -> u64 {
    let n = w.last_request_us;
    assert_eq!(w.access_count, n, "counters from two updates");
    if n > 0 {
        let letter = b'a' + (n % 26) as u8;
        let last = w.request.len() - 1;
        assert!(
            w.request[..last].iter().all(|&b| b == letter) && w.request[last] == 0,
            "request line torn at update {n}: {:?}",
            String::from_utf8_lossy(&w.request)
        );
        assert!(w.client[..w.client.len() - 1].iter().all(|&b| b == letter));
    }
    n
}

/// Reads `rec` until `done`, checking every copy; returns how many times the copy changed.
fn read_until(rec: &WorkerRecord, done: &AtomicBool) -> usize {
    let mut seen = 0;
    let mut last = u64::MAX;
    while !done.load(Ordering::Relaxed) {
        let n = check_copy(&rec.snapshot());
        if n != last {
            seen += 1;
            last = n;
        }
    }
    seen
}

/// A little pause between updates, as requests have between them: readers get their turn.
fn pause() {
    for _ in 0..200 {
        std::hint::spin_loop();
    }
}

#[test]
fn copies_are_consistent_under_a_writer_thread() {
    let board = Board::create(1, 1).unwrap();
    let rec = board.worker(0, 0).unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let until = std::time::Instant::now() + std::time::Duration::from_millis(300);
            let mut n = 0u64;
            while std::time::Instant::now() < until {
                n += 1;
                write_update(rec, n);
                pause();
            }
            done.store(true, Ordering::Relaxed);
            n
        });
        let readers: Vec<_> = (0..2).map(|_| s.spawn(|| read_until(rec, &done))).collect();
        let last = writer.join().unwrap();
        let seen: usize = readers.into_iter().map(|r| r.join().unwrap()).sum();
        assert!(seen > 2, "the readers saw the updates go by: {seen}");
        assert_eq!(check_copy(&rec.snapshot()), last);
    });
}

#[test]
fn copies_are_consistent_under_a_forked_writer() {
    let board = Board::create(1, 1).unwrap();
    let rec = board.worker(0, 0).unwrap();
    // The child stops when the parent sets the global record's generation, and on its own after
    // a while should the parent fail first (it would hold the test's output open).
    let stop = &board.global().generation;
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(3);
    // SAFETY: the child only does atomic stores into the shared mapping, reads the clock and
    // _exits: nothing that could need a lock another thread of the test binary held at fork.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let mut n = 1u64;
        while stop.load(Ordering::Relaxed) == 0 && std::time::Instant::now() < give_up {
            write_update(rec, n);
            pause();
            n += 1;
        }
        // SAFETY: ends the forked child without running the parent's exit handlers.
        unsafe { libc::_exit(0) };
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(300);
    let mut seen = std::collections::HashSet::new();
    while std::time::Instant::now() < deadline {
        seen.insert(check_copy(&rec.snapshot()));
    }
    stop.store(1, Ordering::Relaxed);
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    assert!(
        seen.len() > 1,
        "the child's updates were seen: {}",
        seen.len()
    );
}

#[test]
fn a_smaller_caller_struct_is_not_overrun() {
    #[repr(C)]
    struct Guarded<T> {
        value: T,
        guard: [u8; 16],
    }
    let board = Board::create(1, 1).unwrap();
    let rec = board.worker(0, 0).unwrap();
    write_update(rec, 3);
    rec.bytes_served.store(77, Ordering::Relaxed);

    // An older module's worker struct that ends before `conn_count`.
    let short = std::mem::offset_of!(MapacheScoreWorker, conn_count) as u32;
    let mut out = Guarded {
        value: MapacheScoreWorker {
            struct_size: short,
            ..Default::default()
        },
        guard: [0xAA; 16],
    };
    // Poison the part past the caller's size: it must stay as it is.
    out.value.conn_count = 0xDEAD;
    out.value.request = [0x55; 128];
    // SAFETY: a live struct of at least `short` bytes.
    assert!(unsafe { board.read_worker(0, 0, &mut out.value) });
    assert_eq!(out.value.struct_size, short, "struct_size left as set");
    assert_eq!(
        (
            out.value.status,
            out.value.access_count,
            out.value.bytes_served
        ),
        (b'.', 3, 77)
    );
    assert_eq!(out.value.conn_count, 0xDEAD);
    assert_eq!(out.value.request, [0x55; 128]);
    assert_eq!(out.guard, [0xAA; 16]);

    // A newer module's larger struct: only the core's size is written, struct_size kept.
    let mut big = Guarded {
        value: MapacheScoreGlobal {
            struct_size: std::mem::size_of::<MapacheScoreGlobal>() as u32 + 16,
            ..Default::default()
        },
        guard: [0xAA; 16],
    };
    board.global().set(4, 10, 20);
    crate::server::testing::install();
    // SAFETY: the guard stands for the newer fields the caller's size covers.
    assert!(unsafe { board.read_global(&mut big.value) });
    assert_eq!(
        big.value.struct_size as usize,
        std::mem::size_of::<MapacheScoreGlobal>() + 16
    );
    assert_eq!(
        (
            big.value.server_limit,
            big.value.generation,
            big.value.restart_time_us
        ),
        (1, 4, 20)
    );
    assert_eq!(big.guard, [0xAA; 16]);
    let text = mapache_plugin_api::sdk::score::field_text;
    assert_eq!(text(&big.value.mpm_name), "test", "the test server's MPM");
    assert_eq!(text(&big.value.server_built), env!("MAPACHE_BUILT"));

    // Out of range and null.
    let mut p = MapacheScoreProcess {
        struct_size: std::mem::size_of::<MapacheScoreProcess>() as u32,
        ..Default::default()
    };
    // SAFETY: a live struct, or null.
    unsafe {
        assert!(!board.read_process(1, &mut p));
        assert!(!board.read_worker(0, 1, &mut out.value));
        assert!(!board.read_process(0, std::ptr::null_mut()));
        assert!(board.read_process(0, &mut p));
    }
}

#[test]
fn children_start_and_exit_in_their_slots() {
    let board = Board::create(2, 3).unwrap();
    // The child bound its first thread before the master recorded the fork.
    board
        .worker(1, 0)
        .unwrap()
        .status
        .store(b'_', Ordering::Relaxed);
    board
        .worker(1, 1)
        .unwrap()
        .access_count
        .store(9, Ordering::Relaxed);
    assert!(board.child_started(1, 4242, 7, 1_000));
    let p = board.process(1).unwrap().snapshot();
    assert_eq!(
        (p.pid, p.generation, p.started_us, p.quiescing),
        (4242, 7, 1_000, 0)
    );
    let status = |t| board.worker(1, t).unwrap().snapshot().status;
    // Record 0 was bound by the child before the master got here; the others wait for threads.
    assert_eq!([status(0), status(1), status(2)], [b'_', b'.', b'.']);
    assert!(board.child_started(0, 4243, 7, 1_000));
    let fresh = |t| board.worker(0, t).unwrap().snapshot().status;
    assert_eq!([fresh(0), fresh(1), fresh(2)], [b'S', b'.', b'.']);
    // A writer killed in the middle of an update leaves an odd sequence behind.
    let w = board.worker(1, 2).unwrap();
    w.seq.write(|| {
        assert!(board.child_exited(1));
    });
    let p = board.process(1).unwrap().snapshot();
    assert_eq!(p.pid, 0);
    assert_eq!([status(0), status(1), status(2)], [b'.', b'.', b'.']);
    assert_eq!(
        board.worker(1, 1).unwrap().snapshot().access_count,
        9,
        "counters kept"
    );
    assert!(!board.child_started(2, 1, 0, 0));
    assert!(!board.child_exited(2));
}

#[test]
fn same_dimensions_reuse_the_inherited_memory() {
    let old = Board::create(3, 2).unwrap();
    old.global().set(4, 100, 200);
    assert!(old.child_started(0, 1111, 4, 150));
    // The re-executed master maps the descriptor it was handed.
    let handed = Board::from_fd(old.fd().try_clone_to_owned().unwrap()).unwrap();
    let (new, warnings) = prepare(Some(handed), 3, 2, 5, 100, 300).unwrap();
    assert!(warnings.is_empty());
    let g = new.global().snapshot(3, 2);
    assert_eq!(
        (g.generation, g.start_time_us, g.restart_time_us),
        (5, 100, 300)
    );
    let p = new.process(0).unwrap().snapshot();
    assert_eq!(
        (p.pid, p.generation, p.quiescing),
        (1111, 4, 1),
        "older generation quiescing"
    );
    // The old child keeps writing into the memory the new master reads.
    write_update(old.worker(0, 1).unwrap(), 12);
    assert_eq!(new.worker(0, 1).unwrap().snapshot().access_count, 12);
}

#[test]
fn other_dimensions_copy_the_live_processes() {
    let old = Board::create(4, 2).unwrap();
    for (slot, pid) in [(1, 100), (2, 200), (3, 300)] {
        assert!(old.child_started(slot, pid, 0, 50));
    }
    write_update(old.worker(1, 0).unwrap(), 5);
    old.worker(1, 0)
        .unwrap()
        .status
        .store(b'W', Ordering::Relaxed);
    old.worker(1, 1)
        .unwrap()
        .status
        .store(b'_', Ordering::Relaxed);
    old.process(2).unwrap().set_conns(3, 1, 1, 0);

    let (new, warnings) = prepare(Some(old), 2, 1, 1, 10, 60).unwrap();
    assert_eq!(new.dims(), (2, 1));
    // Slot 1 fits where it was; slot 2 goes to the first free slot (0); slot 3 finds none.
    let p1 = new.process(1).unwrap().snapshot();
    assert_eq!(
        (p1.pid, p1.generation, p1.quiescing, p1.started_us),
        (100, 0, 1, 50)
    );
    let p0 = new.process(0).unwrap().snapshot();
    assert_eq!((p0.pid, p0.connections, p0.conns_writing), (200, 3, 1));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("process 300 (slot 3, generation 0) does not fit"));
    let w = new.worker(1, 0).unwrap().snapshot();
    assert_eq!(
        (w.status, w.access_count),
        (b'G', 5),
        "counters copied, shown finishing"
    );
    assert_eq!(check_copy(&w), 5);
    assert_eq!(new.global().snapshot(2, 1).generation, 1);
}

#[test]
fn a_fresh_board_starts_at_generation_zero() {
    let (b, warnings) = prepare(None, 2, 2, 0, 500, 500).unwrap();
    assert!(warnings.is_empty());
    let g = b.global().snapshot(2, 2);
    assert_eq!(
        (g.generation, g.start_time_us, g.restart_time_us),
        (0, 500, 500)
    );
    assert!(prepare(None, 0, 2, 0, 0, 0).is_err());
}
