//! Idle maintenance, once a second, after Apache's `perform_idle_server_maintenance`: too many
//! idle workers and one child is told to stop; too few and children are started, one at first,
//! the number doubling each second while the shortage lasts, up to 32.
//!
//! Pure arithmetic over counts, so the policy is tested without processes. Workers are threads
//! in threaded MPMs and whole children in prefork (one worker each).

/// The most children started in one second (Apache's `MAX_SPAWN_RATE`).
pub const MAX_SPAWN_RATE: u32 = 32;

/// The line Apache logs once when the limit stops it from starting children.
pub const REACHED_MAX_REQUEST_WORKERS: &str =
    "server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting";

/// What one maintenance pass decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing to do.
    Nothing,
    /// Start this many children.
    Spawn(u32),
    /// Tell one idle child to stop.
    StopOne,
}

/// The counts one pass looks at, over the current generation's children that are not stopping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Census {
    /// Idle workers (ready, or still starting, as Apache counts them).
    pub idle: u32,
    /// Children alive.
    pub children: u32,
    /// Children that may still be started: below the MPM's child limit and in free slots.
    pub room: u32,
}

/// The spare-worker policy and its memory between passes.
#[derive(Debug)]
pub struct Spares {
    /// Idle workers wanted at least (MinSpareServers, MinSpareThreads).
    pub min_idle: u32,
    /// Idle workers tolerated at most (MaxSpareServers, MaxSpareThreads).
    pub max_idle: u32,
    /// Children to start in the next pass that finds a shortage.
    rate: u32,
    /// The MaxRequestWorkers line was logged since the limit was last left.
    reported: bool,
}

impl Spares {
    /// A policy keeping idle workers between `min_idle` and `max_idle`.
    pub fn new(min_idle: u32, max_idle: u32) -> Spares {
        Spares {
            min_idle,
            max_idle,
            rate: 1,
            reported: false,
        }
    }

    /// Decides one pass. Returns the action and, the first time the limit is met, the line to log.
    pub fn decide(&mut self, c: Census) -> (Action, Option<&'static str>) {
        if c.idle > self.max_idle && c.children > 1 {
            self.rate = 1;
            return (Action::StopOne, None);
        }
        if c.idle >= self.min_idle {
            self.rate = 1;
            self.reported = false;
            return (Action::Nothing, None);
        }
        if c.room == 0 {
            self.rate = 1;
            let line = (!self.reported).then_some(REACHED_MAX_REQUEST_WORKERS);
            self.reported = true;
            return (Action::Nothing, line);
        }
        let n = self.rate.min(c.room);
        self.rate = (self.rate * 2).min(MAX_SPAWN_RATE);
        (Action::Spawn(n), None)
    }

    /// The spawn rate the next short pass would use.
    pub fn rate(&self) -> u32 {
        self.rate
    }
}

/// The fewest children of the current generation the crash backoff may leave serving: as many
/// as MinSpare asks for (MinSpareServers, or MinSpareThreads over ThreadsPerChild), no more than
/// StartServers and the child limit, and never fewer than one. Below it, a child is started at
/// once whatever the backoff says (see [`Backoff`]).
pub fn floor(min_spare: u32, threads_per_child: u32, start_servers: u32, max_children: u32) -> u32 {
    min_spare
        .div_ceil(threads_per_child.max(1))
        .min(start_servers)
        .min(max_children)
        .max(1)
}

/// Repeated early crashes of children: Odoo's exponential backoff (base 2, capped at 30 s) on top
/// of Apache's immediate refill. The first early crash is refilled at once; each further one in a
/// row doubles the wait before the next child: 1 s, 2 s, 4 s … 30 s. A child that lives past
/// [`Backoff::EARLY`] ends the streak.
///
/// Only crashes count ([`ChildExit::is_crash`](crate::exit::ChildExit::is_crash)): a child
/// killed from outside is replaced at once. And the wait applies to children beyond the
/// [`floor`], which is refilled at once: a server whose children crash now and then (a request
/// that kills its child) keeps serving. Unless the children crash before they could serve: a
/// module that kills every child as it starts gives nothing to keep, and refilling at once would
/// only loop, so then the floor waits too ([`Backoff::holds_floor`]).
#[derive(Debug, Default)]
pub struct Backoff {
    streak: u32,
    /// The last crash of the streak came before its child was ready to serve.
    before_ready: bool,
}

impl Backoff {
    /// A death within this many seconds of the fork counts as early.
    pub const EARLY: std::time::Duration = std::time::Duration::from_secs(10);
    /// The longest wait.
    pub const CAP: std::time::Duration = std::time::Duration::from_secs(30);

    /// Records a crash after `lived`, of a child that was `ready` to serve or not yet; returns
    /// how long to hold new children back.
    pub fn record_crash(&mut self, lived: std::time::Duration, ready: bool) -> std::time::Duration {
        if lived >= Self::EARLY {
            self.record_survivor();
            return std::time::Duration::ZERO;
        }
        self.streak += 1;
        self.before_ready = !ready;
        if self.streak < 2 {
            return std::time::Duration::ZERO;
        }
        let secs = 1u64 << (self.streak - 2).min(16);
        std::time::Duration::from_secs(secs).min(Self::CAP)
    }

    /// A child lived past [`Backoff::EARLY`]: the streak is over.
    pub fn record_survivor(&mut self) {
        self.streak = 0;
        self.before_ready = false;
    }

    /// Early crashes in a row.
    pub fn streak(&self) -> u32 {
        self.streak
    }

    /// Whether the hold applies to the [`floor`] too: the streak's last crash came before its
    /// child was ready, as in a crash loop at start-up.
    pub fn holds_floor(&self) -> bool {
        self.streak > 0 && self.before_ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn census(idle: u32, children: u32, room: u32) -> Census {
        Census {
            idle,
            children,
            room,
        }
    }

    #[test]
    fn the_spawn_rate_doubles_to_32_while_short_and_resets() {
        let mut s = Spares::new(100, 200);
        let mut rates = Vec::new();
        for _ in 0..8 {
            match s.decide(census(0, 1, 1000)).0 {
                Action::Spawn(n) => rates.push(n),
                a => panic!("{a:?}"),
            }
        }
        assert_eq!(rates, [1, 2, 4, 8, 16, 32, 32, 32]);
        assert_eq!(s.decide(census(150, 10, 1000)).0, Action::Nothing);
        assert_eq!(s.rate(), 1);
    }

    #[test]
    fn spawning_is_bounded_by_room() {
        let mut s = Spares::new(10, 20);
        s.decide(census(0, 1, 100));
        s.decide(census(0, 1, 100));
        assert_eq!(s.decide(census(0, 1, 3)).0, Action::Spawn(3));
    }

    #[test]
    fn too_many_idle_stops_one_child_but_never_the_last() {
        let mut s = Spares::new(5, 10);
        assert_eq!(s.decide(census(11, 11, 0)).0, Action::StopOne);
        assert_eq!(s.decide(census(11, 1, 0)).0, Action::Nothing);
        assert_eq!(s.decide(census(7, 7, 0)).0, Action::Nothing);
    }

    #[test]
    fn the_limit_is_reported_once_until_it_is_left() {
        let mut s = Spares::new(5, 10);
        assert_eq!(
            s.decide(census(0, 4, 0)),
            (Action::Nothing, Some(REACHED_MAX_REQUEST_WORKERS))
        );
        assert_eq!(s.decide(census(0, 4, 0)), (Action::Nothing, None));
        s.decide(census(6, 4, 0));
        assert_eq!(
            s.decide(census(0, 4, 0)).1,
            Some(REACHED_MAX_REQUEST_WORKERS)
        );
    }

    #[test]
    fn early_crashes_back_off_exponentially_up_to_30s() {
        let mut b = Backoff::default();
        let quick = Duration::from_millis(300);
        let waits: Vec<u64> = (0..9)
            .map(|_| b.record_crash(quick, true).as_secs())
            .collect();
        assert_eq!(waits, [0, 1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(
            b.record_crash(Duration::from_secs(60), true),
            Duration::ZERO
        );
        assert_eq!(b.streak(), 0);
        b.record_crash(quick, true);
        b.record_survivor();
        assert_eq!(b.record_crash(quick, true), Duration::ZERO);
    }

    #[test]
    fn the_floor_waits_only_for_children_that_crash_before_serving() {
        let mut b = Backoff::default();
        let quick = Duration::from_millis(300);
        assert!(!b.holds_floor());
        b.record_crash(quick, true);
        b.record_crash(quick, true);
        assert!(!b.holds_floor(), "serving children crashed: keep the floor");
        b.record_crash(quick, false);
        assert!(
            b.holds_floor(),
            "a child crashed as it started: a crash loop"
        );
        b.record_crash(quick, true);
        assert!(!b.holds_floor());
        b.record_crash(quick, false);
        b.record_survivor();
        assert!(!b.holds_floor());
    }

    #[test]
    fn the_floor_follows_min_spare_within_start_servers() {
        // Prefork: one worker per child.
        assert_eq!(floor(5, 1, 5, 256), 5);
        assert_eq!(floor(5, 1, 2, 256), 2);
        // Threaded: MinSpareThreads 75 over 25 threads a child.
        assert_eq!(floor(75, 25, 3, 16), 3);
        assert_eq!(floor(76, 25, 8, 16), 4);
        assert_eq!(floor(75, 25, 3, 2), 2);
        // Never none.
        assert_eq!(floor(0, 25, 3, 16), 1);
        assert_eq!(floor(5, 1, 0, 256), 1);
    }
}
