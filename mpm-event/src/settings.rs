//! The event directives: their defaults, the deprecated names, and Apache's corrections of values
//! that contradict each other (`event_check_config` and the start of `event_run` in httpd).
//!
//! Nothing here touches the host: values come in through lookup functions (`Config::number` in
//! the module) and the log lines go out as [`Note`]s, so `init` logs them and tests read them.

use mapache_mpm_kit::lifecycle::{aliased, Note};
use mapache_mpm_kit::limits;
use std::fmt;

/// Apache's compile-time `MAX_SERVER_LIMIT` for event: the highest ServerLimit accepted.
pub(crate) const MAX_SERVER_LIMIT: u32 = 20_000;
/// Apache's compile-time `MAX_THREAD_LIMIT` for event: the highest ThreadLimit accepted.
pub(crate) const MAX_THREAD_LIMIT: u32 = 100_000;

/// The effective event settings, after corrections.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Settings {
    /// `StartServers`: child processes forked at start-up, and kept alive.
    pub(crate) start_servers: u32,
    /// `ServerLimit`: the most child processes there can ever be.
    pub(crate) server_limit: u32,
    /// `ThreadsPerChild`: worker threads in every child.
    pub(crate) threads_per_child: u32,
    /// `ThreadLimit`: the ceiling of `ThreadsPerChild`.
    pub(crate) thread_limit: u32,
    /// `MinSpareThreads`: idle worker threads wanted at least (spare-thread maintenance).
    pub(crate) min_spare_threads: u32,
    /// `MaxSpareThreads`: idle worker threads tolerated at most (spare-thread maintenance).
    pub(crate) max_spare_threads: u32,
    /// `MaxRequestWorkers` (formerly `MaxClients`): worker threads in all children together.
    pub(crate) max_request_workers: u32,
    /// Child processes alive at once at most: `MaxRequestWorkers / ThreadsPerChild`.
    pub(crate) max_children: u32,
    /// `MaxConnectionsPerChild` (formerly `MaxRequestsPerChild`): connections a child accepts
    /// before it finishes them and exits; 0 means no limit.
    pub(crate) max_connections_per_child: u32,
    /// `AsyncRequestWorkerFactor`: how many connections per idle worker a child may hold before
    /// it stops accepting.
    pub(crate) async_request_worker_factor: f64,
}

impl Default for Settings {
    /// Apache's event defaults.
    fn default() -> Self {
        Settings {
            start_servers: 3,
            server_limit: 16,
            threads_per_child: 25,
            thread_limit: 64,
            min_spare_threads: 75,
            max_spare_threads: 250,
            max_request_workers: 400,
            max_children: 16,
            max_connections_per_child: 0,
            async_request_worker_factor: 2.0,
        }
    }
}

impl Settings {
    /// Reads every directive through `number` (whole numbers) and `factor` (a decimal number);
    /// both answer `Ok(None)` for a directive that is absent and `Err(message)` for one that is
    /// not a number. Then applies the corrections.
    pub(crate) fn read(
        number: impl Fn(&str) -> Result<Option<u32>, String>,
        factor: impl Fn(&str) -> Result<Option<f64>, String>,
    ) -> Result<(Settings, Vec<Note>), String> {
        let mut notes = Vec::new();
        let d = Settings::default();
        let async_request_worker_factor = match factor("AsyncRequestWorkerFactor")? {
            None => d.async_request_worker_factor,
            Some(f) if f.is_finite() && f > 0.0 => f,
            Some(_) => {
                return Err("AsyncRequestWorkerFactor argument must be a positive number".into())
            }
        };
        let settings = Settings {
            start_servers: number("StartServers")?.unwrap_or(d.start_servers),
            server_limit: number("ServerLimit")?.unwrap_or(d.server_limit),
            threads_per_child: number("ThreadsPerChild")?.unwrap_or(d.threads_per_child),
            thread_limit: number("ThreadLimit")?.unwrap_or(d.thread_limit),
            min_spare_threads: number("MinSpareThreads")?.unwrap_or(d.min_spare_threads),
            max_spare_threads: number("MaxSpareThreads")?.unwrap_or(d.max_spare_threads),
            max_request_workers: aliased(&number, "MaxRequestWorkers", "MaxClients", &mut notes)?
                .unwrap_or(d.max_request_workers),
            max_children: 0,
            max_connections_per_child: aliased(
                &number,
                "MaxConnectionsPerChild",
                "MaxRequestsPerChild",
                &mut notes,
            )?
            .unwrap_or(d.max_connections_per_child),
            async_request_worker_factor,
        };
        Ok((settings.corrected(&mut notes), notes))
    }

    /// Brings contradictory values in line, as Apache's event does, with its warnings.
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
        self.max_children = limits::fit_threads(
            &mut self.threads_per_child,
            self.thread_limit,
            &mut self.max_request_workers,
            self.server_limit,
            notes,
        );
        limits::at_least_one(&mut self.start_servers, "StartServers", notes);
        limits::min_spare_at_least_one(&mut self.min_spare_threads, "MinSpareThreads", notes);

        // Apache corrects these two silently when it starts: more children than may be alive are
        // not started, and MaxSpareThreads leaves room for a whole child above MinSpareThreads,
        // so maintenance does not stop a child it has just started.
        self.start_servers = self.start_servers.min(self.max_children);
        let least_max_spare = self
            .min_spare_threads
            .saturating_add(self.threads_per_child)
            .saturating_add(1);
        self.max_spare_threads = self.max_spare_threads.max(least_max_spare);

        self
    }
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StartServers {}, ServerLimit {}, ThreadsPerChild {}, ThreadLimit {}, \
             MinSpareThreads {}, MaxSpareThreads {}, MaxRequestWorkers {} ({} servers), \
             MaxConnectionsPerChild {}, AsyncRequestWorkerFactor {}",
            self.start_servers,
            self.server_limit,
            self.threads_per_child,
            self.thread_limit,
            self.min_spare_threads,
            self.max_spare_threads,
            self.max_request_workers,
            self.max_children,
            self.max_connections_per_child,
            self.async_request_worker_factor
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapache_plugin_api::sdk::Level;
    use std::collections::HashMap;

    /// Reads settings from `name value` pairs; a value that is not a number gives the same kind of
    /// error `Config::number` does.
    fn read(pairs: &[(&str, &str)]) -> Result<(Settings, Vec<Note>), String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        fn lookup<T: std::str::FromStr>(
            map: &HashMap<String, String>,
            name: &str,
        ) -> Result<Option<T>, String> {
            match map.get(&name.to_ascii_lowercase()) {
                None => Ok(None),
                Some(v) => v
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name} must be a number, not '{v}'")),
            }
        }
        Settings::read(|n| lookup(&map, n), |n| lookup(&map, n))
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
        assert_eq!((s.min_spare_threads, s.max_spare_threads), (75, 250));
        assert_eq!((s.max_request_workers, s.max_children), (400, 16));
        assert_eq!(s.max_connections_per_child, 0);
        assert_eq!(s.async_request_worker_factor, 2.0);
        assert!(notes.is_empty());
    }

    #[test]
    fn consistent_values_are_kept() {
        let (s, notes) = read(&[
            ("StartServers", "2"),
            ("ServerLimit", "4"),
            ("ThreadsPerChild", "10"),
            ("ThreadLimit", "20"),
            ("MinSpareThreads", "5"),
            ("MaxSpareThreads", "30"),
            ("MaxRequestWorkers", "40"),
            ("MaxConnectionsPerChild", "1000"),
            ("AsyncRequestWorkerFactor", "1.5"),
        ])
        .unwrap();
        assert_eq!(
            s,
            Settings {
                start_servers: 2,
                server_limit: 4,
                threads_per_child: 10,
                thread_limit: 20,
                min_spare_threads: 5,
                max_spare_threads: 30,
                max_request_workers: 40,
                max_children: 4,
                max_connections_per_child: 1000,
                async_request_worker_factor: 1.5,
            }
        );
        assert!(notes.is_empty());
    }

    #[test]
    fn bad_numbers_are_errors() {
        assert!(read(&[("ThreadsPerChild", "many")])
            .unwrap_err()
            .contains("ThreadsPerChild"));
        assert!(read(&[("MaxClients", "-1")]).is_err());
        assert!(read(&[("AsyncRequestWorkerFactor", "x")]).is_err());
        assert_eq!(
            read(&[("AsyncRequestWorkerFactor", "0")]).unwrap_err(),
            "AsyncRequestWorkerFactor argument must be a positive number"
        );
        assert!(read(&[("AsyncRequestWorkerFactor", "-2")]).is_err());
    }

    #[test]
    fn max_request_workers_is_capped_by_server_limit() {
        let (s, notes) = read(&[("MaxRequestWorkers", "500")]).unwrap();
        assert_eq!((s.max_request_workers, s.max_children), (400, 16));
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
    fn max_request_workers_is_rounded_down_to_a_multiple() {
        let (s, notes) = read(&[("MaxRequestWorkers", "110")]).unwrap();
        assert_eq!((s.max_request_workers, s.max_children), (100, 4));
        assert_eq!(
            warnings(&notes),
            [
                "WARNING: MaxRequestWorkers of 110 is not an integer multiple of ThreadsPerChild \
                 of 25, decreasing to nearest multiple 100, for a maximum of 4 servers."
            ]
        );
    }

    #[test]
    fn max_request_workers_holds_at_least_one_child() {
        let (s, notes) = read(&[("MaxRequestWorkers", "10")]).unwrap();
        assert_eq!((s.max_request_workers, s.max_children), (25, 1));
        assert_eq!(
            s.start_servers, 1,
            "StartServers follows the one child allowed"
        );
        assert_eq!(
            warnings(&notes),
            [
                "WARNING: MaxRequestWorkers of 10 is less than ThreadsPerChild of 25, increasing \
                 to 25. MaxRequestWorkers must be at least as large as the number of threads in \
                 a single server."
            ]
        );
    }

    #[test]
    fn threads_per_child_is_capped_by_thread_limit() {
        let (s, notes) = read(&[("ThreadsPerChild", "100")]).unwrap();
        assert_eq!(s.threads_per_child, 64);
        assert_eq!(
            warnings(&notes)[0],
            "WARNING: ThreadsPerChild of 100 exceeds ThreadLimit of 64 threads, decreasing to \
             64. To increase, please see the ThreadLimit directive."
        );
    }

    #[test]
    fn compile_time_limits_apply() {
        let (s, notes) = read(&[
            ("ServerLimit", "30000"),
            ("ThreadLimit", "200000"),
            ("ThreadsPerChild", "100"),
            ("MaxRequestWorkers", "100"),
        ])
        .unwrap();
        assert_eq!((s.server_limit, s.thread_limit), (20_000, 100_000));
        let w = warnings(&notes);
        assert_eq!(
            w[0],
            "WARNING: ServerLimit of 30000 exceeds compile-time limit of 20000 servers, \
             decreasing to 20000."
        );
        assert_eq!(
            w[1],
            "WARNING: ThreadLimit of 200000 exceeds compile-time limit of 100000 threads, \
             decreasing to 100000."
        );
    }

    #[test]
    fn zero_values_are_raised_to_one() {
        let (s, notes) = read(&[
            ("ServerLimit", "0"),
            ("ThreadLimit", "0"),
            ("ThreadsPerChild", "0"),
            ("StartServers", "0"),
            ("MinSpareThreads", "0"),
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
        assert_eq!(
            w[2],
            "WARNING: ThreadsPerChild of 0 not allowed, increasing to 1."
        );
        assert!(w.contains(&"WARNING: StartServers of 0 not allowed, increasing to 1."));
        assert!(w
            .iter()
            .any(|m| m.starts_with("WARNING: MinSpareThreads of 0 not allowed")));
    }

    #[test]
    fn start_servers_and_max_spare_threads_are_fitted_silently() {
        let (s, notes) = read(&[
            ("StartServers", "10"),
            ("ThreadsPerChild", "5"),
            ("MaxRequestWorkers", "10"),
            ("MinSpareThreads", "20"),
            ("MaxSpareThreads", "21"),
        ])
        .unwrap();
        assert_eq!(s.start_servers, 2);
        assert_eq!(s.max_spare_threads, 26);
        assert!(warnings(&notes).is_empty());
    }

    #[test]
    fn deprecated_names_still_work_and_lose_to_current_ones() {
        let (s, notes) = read(&[("MaxClients", "50"), ("MaxRequestsPerChild", "7")]).unwrap();
        assert_eq!(
            (s.max_request_workers, s.max_connections_per_child),
            (50, 7)
        );
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0].0, Level::Info);
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
             MinSpareThreads 75, MaxSpareThreads 250, MaxRequestWorkers 400 (16 servers), \
             MaxConnectionsPerChild 0, AsyncRequestWorkerFactor 2"
        );
    }
}
