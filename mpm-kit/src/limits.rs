//! Apache's corrections of MPM limits that contradict each other, with Apache's warnings: the
//! steps prefork, worker and event share. Each MPM's settings call them in Apache's order and add
//! what is their own (spare bounds, StartServers). Pure: values in, `Note`s out.

use crate::lifecycle::Note;
use mapache_plugin_api::sdk::Level;

fn warn(notes: &mut Vec<Note>, msg: String) {
    notes.push((Level::Warn, msg));
}

/// A limit with a compile-time ceiling (ServerLimit, ThreadLimit): lowered to `max`, or raised
/// to 1. `unit` names what it counts (`servers`, `threads`).
pub fn cap(value: &mut u32, name: &str, max: u32, unit: &str, notes: &mut Vec<Note>) {
    if *value > max {
        warn(
            notes,
            format!(
                "WARNING: {name} of {value} exceeds compile-time limit of {max} {unit}, \
                 decreasing to {max}."
            ),
        );
        *value = max;
    } else {
        at_least_one(value, name, notes);
    }
}

/// A count that must be at least 1 (StartServers, ServerLimit…): raised to 1 with Apache's line.
pub fn at_least_one(value: &mut u32, name: &str, notes: &mut Vec<Note>) {
    if *value < 1 {
        warn(
            notes,
            format!("WARNING: {name} of {value} not allowed, increasing to 1."),
        );
        *value = 1;
    }
}

/// The threaded MPMs' steps, in Apache's order: ThreadsPerChild within ThreadLimit; then
/// MaxRequestWorkers raised to one child's threads, rounded down to a multiple of them, and
/// capped at ServerLimit children. Returns the number of children MaxRequestWorkers allows.
pub fn fit_threads(
    threads_per_child: &mut u32,
    thread_limit: u32,
    max_request_workers: &mut u32,
    server_limit: u32,
    notes: &mut Vec<Note>,
) -> u32 {
    if *threads_per_child > thread_limit {
        warn(
            notes,
            format!(
                "WARNING: ThreadsPerChild of {threads_per_child} exceeds ThreadLimit of \
                 {thread_limit} threads, decreasing to {thread_limit}. To increase, please see \
                 the ThreadLimit directive."
            ),
        );
        *threads_per_child = thread_limit;
    } else {
        at_least_one(threads_per_child, "ThreadsPerChild", notes);
    }

    let per_child = *threads_per_child;
    if *max_request_workers < per_child {
        warn(
            notes,
            format!(
                "WARNING: MaxRequestWorkers of {max_request_workers} is less than ThreadsPerChild \
                 of {per_child}, increasing to {per_child}. MaxRequestWorkers must be at least \
                 as large as the number of threads in a single server."
            ),
        );
        *max_request_workers = per_child;
    }

    let mut children = *max_request_workers / per_child;
    if !max_request_workers.is_multiple_of(per_child) {
        let rounded = children * per_child;
        warn(
            notes,
            format!(
                "WARNING: MaxRequestWorkers of {max_request_workers} is not an integer multiple \
                 of ThreadsPerChild of {per_child}, decreasing to nearest multiple {rounded}, for \
                 a maximum of {children} servers."
            ),
        );
        *max_request_workers = rounded;
    }

    if children > server_limit {
        // Both limits are capped at compile-time maxima whose product fits in a u32.
        let capped = server_limit * per_child;
        warn(
            notes,
            format!(
                "WARNING: MaxRequestWorkers of {max_request_workers} would require {children} \
                 servers and would exceed ServerLimit of {server_limit}, decreasing to {capped}. \
                 To increase, please see the ServerLimit directive."
            ),
        );
        *max_request_workers = capped;
        children = server_limit;
    }
    children
}

/// MinSpareServers / MinSpareThreads below 1, with Apache's stronger words.
pub fn min_spare_at_least_one(value: &mut u32, name: &str, notes: &mut Vec<Note>) {
    if *value < 1 {
        warn(
            notes,
            format!(
                "WARNING: {name} of {value} not allowed, increasing to 1 to avoid almost \
                 certain server failure. Please read the documentation."
            ),
        );
        *value = 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(notes: &[Note]) -> Vec<&str> {
        notes.iter().map(|(_, m)| m.as_str()).collect()
    }

    #[test]
    fn caps_lower_to_the_ceiling_and_raise_to_one() {
        let mut notes = Vec::new();
        let (mut a, mut b, mut c) = (30_000, 0, 5);
        cap(&mut a, "ServerLimit", 20_000, "servers", &mut notes);
        cap(&mut b, "ThreadLimit", 64, "threads", &mut notes);
        cap(&mut c, "ServerLimit", 16, "servers", &mut notes);
        assert_eq!((a, b, c), (20_000, 1, 5));
        assert_eq!(
            texts(&notes),
            [
                "WARNING: ServerLimit of 30000 exceeds compile-time limit of 20000 servers, \
                 decreasing to 20000.",
                "WARNING: ThreadLimit of 0 not allowed, increasing to 1."
            ]
        );
    }

    #[test]
    fn threads_fit_and_children_are_counted() {
        let mut notes = Vec::new();
        let (mut tpc, mut mrw) = (25, 510);
        assert_eq!(fit_threads(&mut tpc, 64, &mut mrw, 16, &mut notes), 16);
        assert_eq!((tpc, mrw), (25, 400));
        assert_eq!(notes.len(), 2, "{notes:?}");
        let mut quiet = Vec::new();
        let (mut tpc, mut mrw) = (10, 40);
        assert_eq!(fit_threads(&mut tpc, 20, &mut mrw, 16, &mut quiet), 4);
        assert!(quiet.is_empty());
    }
}
