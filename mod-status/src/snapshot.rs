//! A reading of the whole scoreboard through the host table, and what Apache's mod_status counts
//! in it. Each record is a consistent copy (the core's seqlock); the records are read one after
//! the other, so the whole is as consistent as Apache's own reading: good for a status page.

use mapache_plugin_api::abi::{
    MapacheScoreGlobal, MapacheScoreProcess, MapacheScoreWorker, MAPACHE_WORKER_DEAD,
    MAPACHE_WORKER_GRACEFUL, MAPACHE_WORKER_IDLE_KILL, MAPACHE_WORKER_READY,
    MAPACHE_WORKER_STARTING,
};
use mapache_plugin_api::sdk::score;
use std::time::{SystemTime, UNIX_EPOCH};

/// The scoreboard as read at `now_us`.
pub struct Snapshot {
    /// When it was read, µs since the epoch.
    pub now_us: u64,
    /// The global record.
    pub global: MapacheScoreGlobal,
    /// Every process slot, in order, with all its worker records.
    pub processes: Vec<Process>,
}

/// One process slot.
pub struct Process {
    /// Its index.
    pub slot: u32,
    /// Its record (`pid` 0: free).
    pub record: MapacheScoreProcess,
    /// Its worker records, `thread_limit` of them.
    pub workers: Vec<MapacheScoreWorker>,
}

impl Process {
    /// Whether a process runs in the slot.
    pub fn alive(&self) -> bool {
        self.record.pid != 0
    }

    /// Alive and not stopping: its workers count as busy or idle.
    pub fn serving(&self) -> bool {
        self.alive() && self.record.quiescing == 0
    }
}

/// Microseconds since the epoch, now.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

impl Snapshot {
    /// Reads the scoreboard; `None` when this process has none (a core without the scoreboard
    /// API, or `-X`, which runs without one).
    pub fn read() -> Option<Snapshot> {
        let global = score::global()?;
        let processes = (0..global.server_limit)
            .map(|slot| Process {
                slot,
                record: score::process(slot).unwrap_or_default(),
                workers: (0..global.thread_limit)
                    .map(|t| score::worker(slot, t).unwrap_or_default())
                    .collect(),
            })
            .collect();
        Some(Snapshot {
            now_us: now_us(),
            global,
            processes,
        })
    }

    /// The MPM's short name (`prefork`, `worker`, `event`).
    pub fn mpm(&self) -> &str {
        score::field_text(&self.global.mpm_name)
    }

    /// When the binary was built.
    pub fn built(&self) -> &str {
        score::field_text(&self.global.server_built)
    }

    /// Whether the MPM holds connections without a thread, so per-process connection counts mean
    /// something (Apache's `AP_MPMQ_IS_ASYNC`).
    pub fn is_async(&self) -> bool {
        self.global.mpm_flags & mapache_plugin_api::abi::MAPACHE_MPM_ASYNC != 0
    }

    /// Whole seconds since the last (re)start, as Apache's `Uptime`.
    pub fn uptime_secs(&self) -> u64 {
        self.now_us.saturating_sub(self.global.restart_time_us) / 1_000_000
    }

    /// Every worker's letter, slot by slot (Apache's `Scoreboard:` line).
    pub fn letters(&self) -> String {
        self.processes
            .iter()
            .flat_map(|p| p.workers.iter().map(|w| letter(w.status)))
            .collect()
    }
}

/// A worker state as its scoreboard letter (`?` for a byte that is none).
pub fn letter(status: u8) -> char {
    if b"._SRWKLDCGI".contains(&status) {
        char::from(status)
    } else {
        '?'
    }
}

/// Whether a worker record is worth a line in the detailed table: it served something, or is
/// doing something now. Apache leaves out records that are idle or open and never served; a
/// record still starting that never served has nothing to show either (threads a process has
/// room for but did not start stay so).
pub fn has_history(w: &MapacheScoreWorker) -> bool {
    w.access_count > 0
        || !matches!(
            w.status,
            MAPACHE_WORKER_READY | MAPACHE_WORKER_DEAD | MAPACHE_WORKER_STARTING
        )
}

/// Connection counts of async processes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conns {
    /// Every connection held.
    pub total: u64,
    /// Waiting to write to a slow reader.
    pub writing: u64,
    /// Idle between requests.
    pub keepalive: u64,
    /// In a lingering close.
    pub closing: u64,
}

/// Worker counts of one process, for the per-process table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Threads {
    /// Busy (serving).
    pub busy: u32,
    /// Gracefully finishing (`G`).
    pub graceful: u32,
    /// Idle (`_`).
    pub idle: u32,
}

/// What Apache's mod_status counts over the scoreboard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Requests served, summed over every worker record of every slot (processes that exited
    /// and old generations included): the scoreboard keeps counters when a slot empties.
    pub accesses: u64,
    /// Bytes sent, summed likewise.
    pub bytes: u64,
    /// Time spent serving, µs, summed likewise.
    pub duration_us: u64,
    /// Workers of serving processes busy with a connection.
    pub busy: u32,
    /// Workers of serving processes finishing gracefully (`G`).
    pub graceful: u32,
    /// Idle workers of serving processes of the current generation.
    pub idle: u32,
    /// Processes alive.
    pub processes: u32,
    /// Of those, stopping.
    pub stopping: u32,
    /// Connections held by live processes (async MPMs).
    pub conns: Conns,
    /// Per slot, the worker counts of serving processes.
    pub threads: Vec<Threads>,
}

impl Summary {
    /// The worker counts of process slot `slot` (zero for a slot that does not serve).
    pub fn threads_of(&self, slot: u32) -> Threads {
        self.threads.get(slot as usize).copied().unwrap_or_default()
    }

    /// Counts as Apache 2.4's mod_status does: busy is any state but idle, open, starting,
    /// idle-cleanup and graceful, which has its own count; idle workers count for the current
    /// generation only; stopping processes count for neither.
    pub fn of(snap: &Snapshot) -> Summary {
        let mut s = Summary::default();
        for p in &snap.processes {
            let mut threads = Threads::default();
            for w in &p.workers {
                s.accesses += w.access_count;
                s.bytes += w.bytes_served;
                s.duration_us += w.duration_us;
                if !p.serving() {
                    continue;
                }
                match w.status {
                    MAPACHE_WORKER_READY => {
                        threads.idle += 1;
                        if p.record.generation == snap.global.generation {
                            s.idle += 1;
                        }
                    }
                    MAPACHE_WORKER_GRACEFUL => {
                        threads.graceful += 1;
                        s.graceful += 1;
                    }
                    MAPACHE_WORKER_DEAD | MAPACHE_WORKER_STARTING | MAPACHE_WORKER_IDLE_KILL => {}
                    st if score::is_busy(st) => {
                        threads.busy += 1;
                        s.busy += 1;
                    }
                    _ => {}
                }
            }
            if p.alive() {
                s.processes += 1;
                s.stopping += u32::from(p.record.quiescing != 0);
                s.conns.total += u64::from(p.record.connections);
                s.conns.writing += u64::from(p.record.conns_writing);
                s.conns.keepalive += u64::from(p.record.conns_keepalive);
                s.conns.closing += u64::from(p.record.conns_closing);
            }
            s.threads.push(threads);
        }
        s
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn worker(status: u8, access_count: u64, bytes: u64) -> MapacheScoreWorker {
        MapacheScoreWorker {
            status,
            access_count,
            bytes_served: bytes,
            duration_us: access_count * 1000,
            ..Default::default()
        }
    }

    /// Two live processes of generation 1 (the second stopping), one old-generation process
    /// still finishing, and a free slot whose counters remain.
    pub(crate) fn sample() -> Snapshot {
        let proc = |pid, generation, quiescing| MapacheScoreProcess {
            pid,
            generation,
            quiescing,
            connections: 3,
            conns_writing: 1,
            conns_keepalive: 1,
            ..Default::default()
        };
        Snapshot {
            now_us: 10_000_000,
            global: MapacheScoreGlobal {
                server_limit: 4,
                thread_limit: 3,
                generation: 1,
                restart_time_us: 4_000_000,
                ..Default::default()
            },
            processes: vec![
                Process {
                    slot: 0,
                    record: proc(100, 1, 0),
                    workers: vec![
                        worker(b'W', 5, 500),
                        worker(b'_', 2, 200),
                        worker(b'K', 1, 1),
                    ],
                },
                Process {
                    slot: 1,
                    record: proc(101, 1, 1),
                    workers: vec![worker(b'G', 4, 40), worker(b'_', 0, 0), worker(b'.', 0, 0)],
                },
                Process {
                    slot: 2,
                    record: proc(102, 0, 0),
                    workers: vec![worker(b'_', 7, 70), worker(b'R', 0, 0), worker(b'I', 0, 0)],
                },
                Process {
                    slot: 3,
                    record: MapacheScoreProcess::default(),
                    workers: vec![worker(b'.', 9, 900), worker(b'.', 0, 0), worker(b'.', 0, 0)],
                },
            ],
        }
    }

    #[test]
    fn totals_cover_every_record_and_counts_follow_apache() {
        let snap = sample();
        let s = Summary::of(&snap);
        assert_eq!(s.accesses, 5 + 2 + 1 + 4 + 7 + 9);
        assert_eq!(s.bytes, 500 + 200 + 1 + 40 + 70 + 900);
        assert_eq!(s.duration_us, s.accesses * 1000);
        // Slot 0: W and K busy, _ idle. Slot 1 stops: not counted. Slot 2 (old generation,
        // still serving): R busy, its _ not idle for this generation, I nothing.
        assert_eq!((s.busy, s.graceful, s.idle), (3, 0, 1));
        assert_eq!((s.processes, s.stopping), (3, 1));
        assert_eq!(
            s.conns,
            Conns {
                total: 9,
                writing: 3,
                keepalive: 3,
                closing: 0
            }
        );
        assert_eq!(
            s.threads[2],
            Threads {
                busy: 1,
                graceful: 0,
                idle: 1
            }
        );
        assert_eq!(snap.letters(), "W_KG_._RI...");
        assert_eq!(snap.uptime_secs(), 6);
    }

    #[test]
    fn graceful_workers_count_apart_when_their_process_still_serves() {
        let mut snap = sample();
        snap.processes[1].record.quiescing = 0;
        let s = Summary::of(&snap);
        assert_eq!((s.busy, s.graceful, s.idle), (3, 1, 2));
    }

    #[test]
    fn history_follows_apache() {
        assert!(has_history(&worker(b'_', 1, 0)));
        assert!(has_history(&worker(b'W', 0, 0)));
        assert!(!has_history(&worker(b'_', 0, 0)));
        assert!(!has_history(&worker(b'.', 0, 0)));
        assert!(!has_history(&worker(b'S', 0, 0)));
        assert_eq!(letter(b'Z'), '?');
    }
}
