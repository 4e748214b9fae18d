//! Deadlines of the parked connections, without a thread or a timer per connection: a min-heap
//! of (deadline, key, sequence) with lazy deletion. Re-arming a connection pushes a new entry
//! with a new sequence number; entries whose sequence no longer matches the connection's are
//! stale and skipped when they surface. The heap is rebuilt from its live entries when stale
//! ones outnumber them, so it stays within a small multiple of the connections it times.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Stale entries tolerated beyond twice the live ones before the heap is compacted.
const SLACK: usize = 1024;

/// One armed deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    at: Instant,
    key: usize,
    seq: u32,
}

/// The deadlines of one listener's parked connections.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<Entry>>,
}

impl Timers {
    /// No deadlines.
    pub(crate) fn new() -> Self {
        Timers::default()
    }

    /// Arms a deadline for `key`; `seq` must be the connection's current timer sequence, changed
    /// by the caller whenever it re-arms or disarms. `live` is how many connections have a
    /// deadline armed now, and `is_live` tells whether an entry is still current: both are used
    /// to compact the heap.
    pub(crate) fn arm(
        &mut self,
        at: Instant,
        key: usize,
        seq: u32,
        live: usize,
        is_live: impl Fn(usize, u32) -> bool,
    ) {
        if self.heap.len() > live.saturating_mul(2).saturating_add(SLACK) {
            self.heap.retain(|Reverse(e)| is_live(e.key, e.seq));
        }
        self.heap.push(Reverse(Entry { at, key, seq }));
    }

    /// The nearest live deadline (stale entries on top are dropped on the way).
    pub(crate) fn next(&mut self, is_live: impl Fn(usize, u32) -> bool) -> Option<Instant> {
        while let Some(Reverse(e)) = self.heap.peek() {
            if is_live(e.key, e.seq) {
                return Some(e.at);
            }
            self.heap.pop();
        }
        None
    }

    /// Removes and returns the key of one live entry due at `now` or earlier.
    pub(crate) fn pop_due(
        &mut self,
        now: Instant,
        is_live: impl Fn(usize, u32) -> bool,
    ) -> Option<usize> {
        while let Some(Reverse(e)) = self.heap.peek().copied() {
            if !is_live(e.key, e.seq) {
                self.heap.pop();
                continue;
            }
            if e.at > now {
                return None;
            }
            self.heap.pop();
            return Some(e.key);
        }
        None
    }

    /// Entries held, stale ones included.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::time::Duration;

    #[test]
    fn due_entries_come_out_in_deadline_order() {
        let t0 = Instant::now();
        let mut t = Timers::new();
        let live = |_, _| true;
        t.arm(t0 + Duration::from_millis(30), 3, 0, 3, live);
        t.arm(t0 + Duration::from_millis(10), 1, 0, 3, live);
        t.arm(t0 + Duration::from_millis(20), 2, 0, 3, live);
        assert_eq!(t.next(live), Some(t0 + Duration::from_millis(10)));
        assert_eq!(t.pop_due(t0, live), None);
        let at = t0 + Duration::from_millis(25);
        assert_eq!(t.pop_due(at, live), Some(1));
        assert_eq!(t.pop_due(at, live), Some(2));
        assert_eq!(t.pop_due(at, live), None);
        assert_eq!(t.next(live), Some(t0 + Duration::from_millis(30)));
    }

    #[test]
    fn re_armed_and_disarmed_entries_are_skipped() {
        let t0 = Instant::now();
        // The connections' current sequences: key 1 re-armed (seq 1), key 2 disarmed (seq 1).
        let seqs = RefCell::new(vec![0u32, 0, 0]);
        let live = |k: usize, s: u32| seqs.borrow()[k] == s;
        let mut t = Timers::new();
        t.arm(t0 + Duration::from_millis(5), 1, 0, 2, live);
        t.arm(t0 + Duration::from_millis(6), 2, 0, 2, live);
        seqs.borrow_mut()[1] = 1;
        t.arm(t0 + Duration::from_millis(50), 1, 1, 2, live);
        seqs.borrow_mut()[2] = 1;
        assert_eq!(t.next(live), Some(t0 + Duration::from_millis(50)));
        assert_eq!(t.pop_due(t0 + Duration::from_millis(10), live), None);
        assert_eq!(t.pop_due(t0 + Duration::from_millis(60), live), Some(1));
        assert_eq!(t.next(live), None);
    }

    #[test]
    fn stale_entries_are_compacted_away() {
        let t0 = Instant::now();
        let seq = RefCell::new(0u32);
        let live = |_: usize, s: u32| *seq.borrow() == s;
        let mut t = Timers::new();
        // One connection re-armed many times, as a keep-alive connection is after each request.
        for i in 0..10_000u32 {
            *seq.borrow_mut() = i;
            t.arm(t0 + Duration::from_secs(5), 0, i, 1, live);
        }
        assert!(t.held() <= 2 + SLACK + 1, "{} entries held", t.held());
        assert_eq!(t.pop_due(t0 + Duration::from_secs(6), live), Some(0));
        assert_eq!(t.pop_due(t0 + Duration::from_secs(6), live), None);
    }
}
