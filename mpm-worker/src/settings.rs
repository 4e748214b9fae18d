//! The worker directives: their defaults, the deprecated names, and Apache's corrections of
//! values that contradict each other.
//!
//! Nothing here touches the host: values come in through a lookup function (`Config::number` in
//! the module) and the log lines go out as [`Note`]s, so `init` logs them and tests read them.

use mapache_mpm_kit::lifecycle::{aliased, Note};
use mapache_mpm_kit::limits;
use mapache_plugin_api::sdk::Level;
use std::fmt;

/// Apache's compile-time `MAX_SERVER_LIMIT` for worker: the highest ServerLimit accepted.
pub(crate) const MAX_SERVER_LIMIT: u32 = 20_000;
/// Apache's compile-time `MAX_THREAD_LIMIT` for worker: the highest ThreadLimit accepted.
pub(crate) const MAX_THREAD_LIMIT: u32 = 20_000;

/// The effective worker settings, after corrections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `StartServers`: children forked at start-up, and kept alive.
    pub(crate) start_servers: u32,
    /// `ServerLimit`: the most child processes MaxRequestWorkers may ask for.
    pub(crate) server_limit: u32,
    /// `ThreadsPerChild`: worker threads in every child.
    pub(crate) threads_per_child: u32,
    /// `ThreadLimit`: the ceiling of `ThreadsPerChild`.
    pub(crate) thread_limit: u32,
    /// `MinSpareThreads`: idle threads wanted at least, across children (spare maintenance).
    pub(crate) min_spare_threads: u32,
    /// `MaxSpareThreads`: idle threads tolerated at most, across children (spare maintenance).
    pub(crate) max_spare_threads: u32,
    /// `MaxRequestWorkers` (formerly `MaxClients`): worker threads alive at the same time at
    /// most; always a multiple of `ThreadsPerChild`.
    pub(crate) max_request_workers: u32,
    /// `MaxConnectionsPerChild` (formerly `MaxRequestsPerChild`): connections a child accepts
    /// before it exits; 0 means no limit.
    pub(crate) max_connections_per_child: u32,
}

impl Default for Settings {
    /// Apache's worker defaults.
    fn default() -> Self {
        Settings {
            start_servers: 3,
            server_limit: 16,
            threads_per_child: 25,
            thread_limit: 64,
            min_spare_threads: 75,
            max_spare_threads: 250,
            max_request_workers: 400,
            max_connections_per_child: 0,
        }
    }
}

impl Settings {
    /// Reads every directive through `number`, which answers `Ok(None)` for a directive that is
    /// absent and `Err(message)` for one that is not a number, then applies the corrections.
    pub(crate) fn read(
        number: impl Fn(&str) -> Result<Option<u32>, String>,
    ) -> Result<(Settings, Vec<Note>), String> {
        let mut notes = Vec::new();
        let defaults = Settings::default();
        let settings = Settings {
            start_servers: number("StartServers")?.unwrap_or(defaults.start_servers),
            server_limit: number("ServerLimit")?.unwrap_or(defaults.server_limit),
            threads_per_child: number("ThreadsPerChild")?.unwrap_or(defaults.threads_per_child),
            thread_limit: number("ThreadLimit")?.unwrap_or(defaults.thread_limit),
            min_spare_threads: number("MinSpareThreads")?.unwrap_or(defaults.min_spare_threads),
            max_spare_threads: number("MaxSpareThreads")?.unwrap_or(defaults.max_spare_threads),
            max_request_workers: aliased(&number, "MaxRequestWorkers", "MaxClients", &mut notes)?
                .unwrap_or(defaults.max_request_workers),
            max_connections_per_child: aliased(
                &number,
                "MaxConnectionsPerChild",
                "MaxRequestsPerChild",
                &mut notes,
            )?
            .unwrap_or(defaults.max_connections_per_child),
        };
        Ok((settings.corrected(&mut notes), notes))
    }

    /// The most children alive at once: `MaxRequestWorkers / ThreadsPerChild` (Apache's
    /// `ap_daemons_limit`), never above ServerLimit once corrected.
    pub(crate) fn daemons_limit(&self) -> u32 {
        self.max_request_workers / self.threads_per_child.max(1)
    }

    /// Brings contradictory values in line, in the order Apache's worker does, with its warning
    /// for each.
    fn corrected(mut self, notes: &mut Vec<Note>) -> Settings {
        limits::cap(
            &mut self.server_limit,
            "ServerLimit",
            MAX_SERVER_LIMIT,
            "servers",
            notes,
        );
        limits::cap(
            &mut self.thread_limit,
            "ThreadLimit",
            MAX_THREAD_LIMIT,
            "threads",
            notes,
        );
        let daemons = limits::fit_threads(
            &mut self.threads_per_child,
            self.thread_limit,
            &mut self.max_request_workers,
            self.server_limit,
            notes,
        );

        if self.start_servers < 1 {
            limits::at_least_one(&mut self.start_servers, "StartServers", notes);
        } else if self.start_servers > daemons {
            // Apache lowers this one silently; saying so costs nothing.
            let msg = format!(
                "WARNING: StartServers of {} exceeds the {daemons} servers MaxRequestWorkers \
                 allows, decreasing StartServers to {daemons}.",
                self.start_servers
            );
            notes.push((Level::Warn, msg));
            self.start_servers = daemons;
        }

        limits::min_spare_at_least_one(&mut self.min_spare_threads, "MinSpareThreads", notes);

        // Fewer tolerated idle threads than wanted ones plus one child's worth would make the
        // maintenance start and stop a child every second.
        let least_max_spare = self
            .min_spare_threads
            .saturating_add(self.threads_per_child);
        if self.max_spare_threads < least_max_spare {
            let msg = format!(
                "WARNING: MaxSpareThreads of {} is lower than MinSpareThreads + ThreadsPerChild, \
                 increasing MaxSpareThreads to {least_max_spare}.",
                self.max_spare_threads
            );
            notes.push((Level::Warn, msg));
            self.max_spare_threads = least_max_spare;
        }

        self
    }
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StartServers {}, ServerLimit {}, ThreadsPerChild {}, ThreadLimit {}, \
             MinSpareThreads {}, MaxSpareThreads {}, MaxRequestWorkers {}, \
             MaxConnectionsPerChild {}",
            self.start_servers,
            self.server_limit,
            self.threads_per_child,
            self.thread_limit,
            self.min_spare_threads,
            self.max_spare_threads,
            self.max_request_workers,
            self.max_connections_per_child
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Reads settings from `name value` pairs; a value that is not a number gives the same kind of
    /// error `Config::number` does.
    fn read(pairs: &[(&str, &str)]) -> Result<(Settings, Vec<Note>), String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        Settings::read(|name| match map.get(&name.to_ascii_lowercase()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("{name} must be a number, not '{v}'")),
        })
    }

    fn warnings(notes: &[Note]) -> Vec<&str> {
        notes
            .iter()
            .filter(|(l, _)| *l == Level::Warn)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    #[test]
    fn defaults_are_apaches() {
        let (s, notes) = read(&[]).unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(
            (
                s.start_servers,
                s.server_limit,
                s.threads_per_child,
                s.thread_limit
            ),
            (3, 16, 25, 64)
        );
        assert_eq!(
            (
                s.min_spare_threads,
                s.max_spare_threads,
                s.max_request_workers,
                s.max_connections_per_child
            ),
            (75, 250, 400, 0)
        );
        assert_eq!(s.daemons_limit(), 16);
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn consistent_values_are_kept() {
        let pairs = [
            ("StartServers", "2"),
            ("ServerLimit", "4"),
            ("ThreadsPerChild", "4"),
            ("ThreadLimit", "8"),
            ("MinSpareThreads", "2"),
            ("MaxSpareThreads", "6"),
            ("MaxRequestWorkers", "16"),
            ("MaxConnectionsPerChild", "1000"),
        ];
        let (s, notes) = read(&pairs).unwrap();
        assert_eq!(
            s,
            Settings {
                start_servers: 2,
                server_limit: 4,
                threads_per_child: 4,
                thread_limit: 8,
                min_spare_threads: 2,
                max_spare_threads: 6,
                max_request_workers: 16,
                max_connections_per_child: 1000,
            }
        );
        assert_eq!(s.daemons_limit(), 4);
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn a_bad_number_is_an_error() {
        let err = read(&[("ThreadsPerChild", "many")]).unwrap_err();
        assert!(err.contains("ThreadsPerChild"), "{err}");
        assert!(read(&[("MaxClients", "-1")]).is_err());
    }

    #[test]
    fn max_request_workers_needing_too_many_servers_is_capped() {
        let (s, notes) = read(&[("MaxRequestWorkers", "500")]).unwrap();
        assert_eq!(s.max_request_workers, 400);
        assert_eq!(s.daemons_limit(), 16);
        assert_eq!(
            warnings(&notes),
            [
                "WARNING: MaxRequestWorkers of 500 would require 20 servers and would exceed \
                 ServerLimit of 16, decreasing to 400. To increase, please see the ServerLimit \
                 directive."
            ]
        );
    }

    #[test]
    fn raising_server_limit_allows_more_workers() {
        let (s, notes) = read(&[("MaxRequestWorkers", "500"), ("ServerLimit", "20")]).unwrap();
        assert_eq!((s.max_request_workers, s.daemons_limit()), (500, 20));
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn threads_per_child_is_lowered_to_thread_limit() {
        let (s, notes) = read(&[("ThreadsPerChild", "100"), ("MaxRequestWorkers", "600")]).unwrap();
        assert_eq!(s.threads_per_child, 64);
        assert_eq!(
            warnings(&notes)[0],
            "WARNING: ThreadsPerChild of 100 exceeds ThreadLimit of 64 threads, decreasing to 64. \
             To increase, please see the ThreadLimit directive."
        );
        // 600 is not a multiple of 64: rounded down to 576, 9 servers.
        assert_eq!(s.max_request_workers, 576);
        assert_eq!(s.daemons_limit(), 9);
    }

    #[test]
    fn raising_thread_limit_allows_more_threads() {
        let (s, notes) = read(&[
            ("ThreadsPerChild", "100"),
            ("ThreadLimit", "100"),
            ("MaxRequestWorkers", "400"),
        ])
        .unwrap();
        assert_eq!((s.threads_per_child, s.daemons_limit()), (100, 4));
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn max_request_workers_is_rounded_to_a_multiple_of_threads_per_child() {
        let (s, notes) = read(&[("MaxRequestWorkers", "110")]).unwrap();
        assert_eq!(s.max_request_workers, 100);
        assert_eq!(
            warnings(&notes),
            [
                "WARNING: MaxRequestWorkers of 110 is not an integer multiple of ThreadsPerChild \
                 of 25, decreasing to nearest multiple 100, for a maximum of 4 servers."
            ]
        );
    }

    #[test]
    fn rounding_and_capping_both_apply() {
        let (s, notes) = read(&[("MaxRequestWorkers", "510")]).unwrap();
        assert_eq!(s.max_request_workers, 400);
        let w = warnings(&notes);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("decreasing to nearest multiple 500, for a maximum of 20 servers"));
        assert!(w[1].starts_with("WARNING: MaxRequestWorkers of 500 would require 20 servers"));
    }

    #[test]
    fn max_request_workers_is_raised_to_threads_per_child() {
        let (s, notes) = read(&[("MaxRequestWorkers", "10")]).unwrap();
        assert_eq!((s.max_request_workers, s.daemons_limit()), (25, 1));
        assert_eq!(s.start_servers, 1);
        let w = warnings(&notes);
        assert_eq!(
            w[0],
            "WARNING: MaxRequestWorkers of 10 is less than ThreadsPerChild of 25, increasing to \
             25. MaxRequestWorkers must be at least as large as the number of threads in a \
             single server."
        );
        assert!(w[1].starts_with("WARNING: StartServers of 3 exceeds the 1 servers"));
    }

    #[test]
    fn zero_limits_are_raised_to_one() {
        let (s, notes) = read(&[
            ("ServerLimit", "0"),
            ("ThreadLimit", "0"),
            ("ThreadsPerChild", "0"),
            ("StartServers", "0"),
            ("MinSpareThreads", "0"),
            ("MaxRequestWorkers", "1"),
        ])
        .unwrap();
        assert_eq!(
            (
                s.server_limit,
                s.thread_limit,
                s.threads_per_child,
                s.start_servers,
                s.min_spare_threads
            ),
            (1, 1, 1, 1, 1)
        );
        let w = warnings(&notes);
        assert_eq!(
            w[0],
            "WARNING: ServerLimit of 0 not allowed, increasing to 1."
        );
        assert_eq!(
            w[1],
            "WARNING: ThreadLimit of 0 not allowed, increasing to 1."
        );
        // ThreadsPerChild 0 exceeds nothing: raised to 1.
        assert_eq!(
            w[2],
            "WARNING: ThreadsPerChild of 0 not allowed, increasing to 1."
        );
        assert_eq!(
            w[3],
            "WARNING: StartServers of 0 not allowed, increasing to 1."
        );
        assert!(w[4].starts_with("WARNING: MinSpareThreads of 0 not allowed, increasing to 1"));
    }

    #[test]
    fn compile_time_limits_cap_server_and_thread_limits() {
        let (s, notes) = read(&[("ServerLimit", "30000"), ("ThreadLimit", "30000")]).unwrap();
        assert_eq!((s.server_limit, s.thread_limit), (20_000, 20_000));
        let w = warnings(&notes);
        assert_eq!(
            w[0],
            "WARNING: ServerLimit of 30000 exceeds compile-time limit of 20000 servers, \
             decreasing to 20000."
        );
        assert_eq!(
            w[1],
            "WARNING: ThreadLimit of 30000 exceeds compile-time limit of 20000 threads, \
             decreasing to 20000."
        );
        // The largest product still fits.
        let (s, _) = read(&[
            ("ServerLimit", "20000"),
            ("ThreadLimit", "20000"),
            ("ThreadsPerChild", "20000"),
            ("MaxRequestWorkers", "4294967295"),
        ])
        .unwrap();
        assert_eq!(s.max_request_workers, 400_000_000);
    }

    #[test]
    fn start_servers_is_lowered_to_the_servers_allowed() {
        let (s, notes) = read(&[
            ("StartServers", "10"),
            ("ThreadsPerChild", "10"),
            ("MaxRequestWorkers", "40"),
        ])
        .unwrap();
        assert_eq!(s.start_servers, 4);
        assert_eq!(
            warnings(&notes),
            [
                "WARNING: StartServers of 10 exceeds the 4 servers MaxRequestWorkers allows, \
                 decreasing StartServers to 4."
            ]
        );
    }

    #[test]
    fn max_spare_threads_is_raised_above_min_spare_threads_plus_a_child() {
        let (s, notes) = read(&[("MinSpareThreads", "100"), ("MaxSpareThreads", "110")]).unwrap();
        assert_eq!((s.min_spare_threads, s.max_spare_threads), (100, 125));
        assert_eq!(
            warnings(&notes),
            [
                "WARNING: MaxSpareThreads of 110 is lower than MinSpareThreads + ThreadsPerChild, \
                 increasing MaxSpareThreads to 125."
            ]
        );
        let (s, _) = read(&[("MinSpareThreads", "4294967295")]).unwrap();
        assert_eq!(s.max_spare_threads, u32::MAX);
    }

    #[test]
    fn deprecated_names_still_work() {
        let (s, notes) = read(&[("MaxClients", "75"), ("MaxRequestsPerChild", "7")]).unwrap();
        assert_eq!(s.max_request_workers, 75);
        assert_eq!(s.max_connections_per_child, 7);
        assert_eq!(
            notes,
            [
                (
                    Level::Info,
                    "MaxClients is deprecated, use MaxRequestWorkers instead.".to_owned()
                ),
                (
                    Level::Info,
                    "MaxRequestsPerChild is deprecated, use MaxConnectionsPerChild instead."
                        .to_owned()
                ),
            ]
        );
    }

    #[test]
    fn current_names_win_over_deprecated_ones() {
        let (s, _) = read(&[
            ("MaxClients", "50"),
            ("MaxRequestWorkers", "75"),
            ("MaxRequestsPerChild", "7"),
            ("MaxConnectionsPerChild", "9"),
        ])
        .unwrap();
        assert_eq!(
            (s.max_request_workers, s.max_connections_per_child),
            (75, 9)
        );
    }

    #[test]
    fn display_lists_every_setting() {
        assert_eq!(
            Settings::default().to_string(),
            "StartServers 3, ServerLimit 16, ThreadsPerChild 25, ThreadLimit 64, \
             MinSpareThreads 75, MaxSpareThreads 250, MaxRequestWorkers 400, \
             MaxConnectionsPerChild 0"
        );
    }
}
