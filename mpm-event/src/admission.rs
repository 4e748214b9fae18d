//! When a child stops accepting, and when it sheds idle keep-alive connections: Apache's
//! `connections_above_limit` with one change of what is counted.
//!
//! Apache counts every connection a child holds (but those in lingering close) against
//! `ThreadsPerChild + AsyncRequestWorkerFactor × idle workers`. There a connection whose request
//! head is still arriving occupies a worker thread, so counting it is right. Here the listener
//! buffers heads without a worker (as nginx and Puma's reactor do), so such connections cost a
//! descriptor and a buffer, not a thread: counting them would let a few hundred slow clients stop
//! a child from accepting, which is the starvation this MPM exists to avoid. So the count is of
//! the connections that hold or are about to claim a worker: those being served or queued for
//! one, those waiting to write, and idle keep-alive connections (which may send their next
//! request at any moment). Connections still sending their head are bounded by the request-read
//! timeout and by the descriptor limit instead.
//!
//! A pause is meant to let another child take the connection. When no child can (all are above
//! their limits, and ServerLimit allows no more), the listener takes connections that waited
//! 20 ms in the backlog anyway (`ListenerLoop::take_starving`): measured with 1,000 wrk
//! connections on 2 children, waiting for room made 323 of them time out.

/// What the admission decision looks at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Load {
    /// `ThreadsPerChild`.
    pub(crate) threads: usize,
    /// Worker threads with nothing to do (and no task queued for them).
    pub(crate) idle: usize,
    /// Connections that hold or will soon claim a worker (see the module documentation).
    pub(crate) demand: usize,
}

/// True when the child should not accept now. `paused` is whether it is not accepting already:
/// one idle worker less is counted then, so the decision does not flip at every event; but never
/// the last one, or a child with a single idle worker would stay paused for as long as any
/// connection it holds waits (ThreadsPerChild 1 with one slow reader never accepted again).
pub(crate) fn above_limit(load: Load, factor: f64, paused: bool) -> bool {
    if load.idle == 0 {
        return true;
    }
    let idle = if paused && load.idle > 1 {
        load.idle - 1
    } else {
        load.idle
    };
    let limit = load.threads as f64 + idle as f64 * factor;
    load.demand as f64 >= limit
}

/// True when idle keep-alive connections should be closed early, oldest first: every worker is
/// busy and requests already wait for one, so keeping idle connections open only holds capacity
/// that new clients cannot get (Apache closes its whole keep-alive queue then).
pub(crate) fn shed_keepalive(idle: usize, queued: usize) -> bool {
    idle == 0 && queued > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(threads: usize, idle: usize, demand: usize) -> Load {
        Load {
            threads,
            idle,
            demand,
        }
    }

    #[test]
    fn no_idle_worker_means_no_accepting() {
        assert!(above_limit(load(25, 0, 0), 2.0, false));
    }

    #[test]
    fn the_limit_is_threads_plus_factor_times_idle() {
        // 25 threads, 10 idle, factor 2: up to 44 connections in demand are fine.
        assert!(!above_limit(load(25, 10, 44), 2.0, false));
        assert!(above_limit(load(25, 10, 45), 2.0, false));
        // A fractional factor counts as such.
        assert!(!above_limit(load(4, 2, 6), 1.5, false));
        assert!(above_limit(load(4, 2, 7), 1.5, false));
    }

    #[test]
    fn a_paused_child_needs_one_more_idle_worker_to_resume() {
        assert!(!above_limit(load(25, 10, 42), 2.0, true));
        assert!(above_limit(load(25, 10, 43), 2.0, true));
        // With a single idle worker there is no margin to give up: the plain limit applies.
        assert!(!above_limit(load(2, 1, 1), 2.0, true));
        assert!(!above_limit(load(2, 1, 3), 2.0, true));
        assert!(above_limit(load(2, 1, 4), 2.0, true));
    }

    #[test]
    fn a_single_worker_child_resumes_while_one_connection_waits_to_write() {
        // ThreadsPerChild 1, the worker idle again, one connection parked for writability.
        assert!(!above_limit(load(1, 1, 1), 2.0, true));
        assert!(!above_limit(load(1, 1, 1), 2.0, false));
        assert!(above_limit(load(1, 0, 1), 2.0, false));
    }

    #[test]
    fn keepalive_is_shed_only_under_a_backlog() {
        assert!(shed_keepalive(0, 1));
        assert!(!shed_keepalive(0, 0));
        assert!(!shed_keepalive(1, 5));
    }
}
