//! The prefork directives: their defaults, the deprecated names, and Apache's corrections of
//! values that contradict each other.
//!
//! Nothing here touches the host: values come in through a lookup function (`Config::number` in
//! the module) and the log lines go out as [`Note`]s, so `init` logs them and tests read them.

use mapache_mpm_kit::lifecycle::{aliased, Note};
use mapache_mpm_kit::limits;
use mapache_plugin_api::sdk::Level;
use std::fmt;

/// Apache's compile-time `MAX_SERVER_LIMIT` for prefork: the highest ServerLimit accepted.
pub(crate) const MAX_SERVER_LIMIT: u32 = 200_000;

/// The effective prefork settings, after corrections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `StartServers`: children forked at start-up, and kept alive.
    pub(crate) start_servers: u32,
    /// `MinSpareServers`: idle children wanted at least (spare-server maintenance).
    pub(crate) min_spare_servers: u32,
    /// `MaxSpareServers`: idle children tolerated at most (spare-server maintenance).
    pub(crate) max_spare_servers: u32,
    /// `MaxRequestWorkers` (formerly `MaxClients`): children alive at the same time at most.
    pub(crate) max_request_workers: u32,
    /// `ServerLimit`: the ceiling of `MaxRequestWorkers`, and the number of child slots.
    pub(crate) server_limit: u32,
    /// `MaxConnectionsPerChild` (formerly `MaxRequestsPerChild`): connections a child serves
    /// before it exits; 0 means no limit.
    pub(crate) max_connections_per_child: u32,
}

impl Default for Settings {
    /// Apache's prefork defaults.
    fn default() -> Self {
        Settings {
            start_servers: 5,
            min_spare_servers: 5,
            max_spare_servers: 10,
            max_request_workers: 256,
            server_limit: 256,
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
            min_spare_servers: number("MinSpareServers")?.unwrap_or(defaults.min_spare_servers),
            max_spare_servers: number("MaxSpareServers")?.unwrap_or(defaults.max_spare_servers),
            max_request_workers: aliased(&number, "MaxRequestWorkers", "MaxClients", &mut notes)?
                .unwrap_or(defaults.max_request_workers),
            server_limit: number("ServerLimit")?.unwrap_or(defaults.server_limit),
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

    /// Brings contradictory values in line, as Apache's prefork does, with a warning for each.
    fn corrected(mut self, notes: &mut Vec<Note>) -> Settings {
        limits::cap(
            &mut self.server_limit,
            "ServerLimit",
            MAX_SERVER_LIMIT,
            "servers",
            notes,
        );
        let mut warn = |msg: String| notes.push((Level::Warn, msg));

        if self.max_request_workers > self.server_limit {
            warn(format!(
                "WARNING: MaxRequestWorkers of {} exceeds ServerLimit value of {} servers, \
                 decreasing MaxRequestWorkers to {}. To increase, please see the ServerLimit \
                 directive.",
                self.max_request_workers, self.server_limit, self.server_limit
            ));
            self.max_request_workers = self.server_limit;
        } else if self.max_request_workers < 1 {
            warn(format!(
                "WARNING: MaxRequestWorkers of {} not allowed, increasing to 1.",
                self.max_request_workers
            ));
            self.max_request_workers = 1;
        }

        if self.start_servers < 1 {
            warn(format!(
                "WARNING: StartServers of {} not allowed, increasing to 1.",
                self.start_servers
            ));
            self.start_servers = 1;
        } else if self.start_servers > self.max_request_workers {
            warn(format!(
                "WARNING: StartServers of {} exceeds MaxRequestWorkers value of {}, \
                 decreasing StartServers to {}.",
                self.start_servers, self.max_request_workers, self.max_request_workers
            ));
            self.start_servers = self.max_request_workers;
        }

        if self.min_spare_servers < 1 {
            warn(format!(
                "WARNING: MinSpareServers of {} not allowed, increasing to 1 to avoid almost \
                 certain server failure. Please read the documentation.",
                self.min_spare_servers
            ));
            self.min_spare_servers = 1;
        }

        // Fewer allowed idle children than wanted ones would make maintenance thrash.
        let least_max_spare = self.min_spare_servers.saturating_add(1);
        if self.max_spare_servers < least_max_spare {
            warn(format!(
                "WARNING: MaxSpareServers of {} is lower than MinSpareServers + 1, increasing \
                 MaxSpareServers to {least_max_spare}.",
                self.max_spare_servers
            ));
            self.max_spare_servers = least_max_spare;
        }

        self
    }
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "StartServers {}, MinSpareServers {}, MaxSpareServers {}, MaxRequestWorkers {}, \
             ServerLimit {}, MaxConnectionsPerChild {}",
            self.start_servers,
            self.min_spare_servers,
            self.max_spare_servers,
            self.max_request_workers,
            self.server_limit,
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
        assert_eq!(s.start_servers, 5);
        assert_eq!(s.min_spare_servers, 5);
        assert_eq!(s.max_spare_servers, 10);
        assert_eq!(s.max_request_workers, 256);
        assert_eq!(s.server_limit, 256);
        assert_eq!(s.max_connections_per_child, 0);
        assert!(notes.is_empty());
    }

    #[test]
    fn consistent_values_are_kept() {
        let (s, notes) = read(&[
            ("StartServers", "2"),
            ("MinSpareServers", "1"),
            ("MaxSpareServers", "3"),
            ("MaxRequestWorkers", "20"),
            ("ServerLimit", "30"),
            ("MaxConnectionsPerChild", "1000"),
        ])
        .unwrap();
        assert_eq!(
            s,
            Settings {
                start_servers: 2,
                min_spare_servers: 1,
                max_spare_servers: 3,
                max_request_workers: 20,
                server_limit: 30,
                max_connections_per_child: 1000,
            }
        );
        assert!(notes.is_empty());
    }

    #[test]
    fn a_bad_number_is_an_error() {
        let err = read(&[("StartServers", "five")]).unwrap_err();
        assert!(err.contains("StartServers"), "{err}");
        assert!(read(&[("MaxClients", "-1")]).is_err());
    }

    #[test]
    fn max_request_workers_is_capped_by_server_limit() {
        let (s, notes) = read(&[("MaxRequestWorkers", "300")]).unwrap();
        assert_eq!(s.max_request_workers, 256);
        assert_eq!(
            warnings(&notes),
            [
                "WARNING: MaxRequestWorkers of 300 exceeds ServerLimit value of 256 servers, \
              decreasing MaxRequestWorkers to 256. To increase, please see the ServerLimit \
              directive."
            ]
        );
    }

    #[test]
    fn raising_server_limit_allows_more_workers() {
        let (s, notes) = read(&[("MaxRequestWorkers", "300"), ("ServerLimit", "400")]).unwrap();
        assert_eq!((s.max_request_workers, s.server_limit), (300, 400));
        assert!(notes.is_empty());
    }

    #[test]
    fn zero_limits_are_raised_to_one() {
        let (s, notes) = read(&[
            ("ServerLimit", "0"),
            ("MaxRequestWorkers", "0"),
            ("StartServers", "0"),
            ("MinSpareServers", "0"),
        ])
        .unwrap();
        assert_eq!(s.server_limit, 1);
        assert_eq!(s.max_request_workers, 1);
        assert_eq!(s.start_servers, 1);
        assert_eq!(s.min_spare_servers, 1);
        let w = warnings(&notes);
        assert_eq!(
            w[0],
            "WARNING: ServerLimit of 0 not allowed, increasing to 1."
        );
        assert_eq!(
            w[1],
            "WARNING: MaxRequestWorkers of 0 not allowed, increasing to 1."
        );
        assert_eq!(
            w[2],
            "WARNING: StartServers of 0 not allowed, increasing to 1."
        );
        assert!(w[3].starts_with("WARNING: MinSpareServers of 0 not allowed, increasing to 1"));
    }

    #[test]
    fn server_limit_is_capped_at_compile_time_limit() {
        let (s, notes) =
            read(&[("ServerLimit", "300000"), ("MaxRequestWorkers", "250000")]).unwrap();
        assert_eq!(s.server_limit, MAX_SERVER_LIMIT);
        assert_eq!(s.max_request_workers, MAX_SERVER_LIMIT);
        let w = warnings(&notes);
        assert_eq!(
            w[0],
            "WARNING: ServerLimit of 300000 exceeds compile-time limit of 200000 servers, \
             decreasing to 200000."
        );
        assert!(w[1].starts_with("WARNING: MaxRequestWorkers of 250000 exceeds ServerLimit"));
    }

    #[test]
    fn start_servers_is_lowered_to_max_request_workers() {
        let (s, notes) = read(&[("StartServers", "10"), ("MaxRequestWorkers", "4")]).unwrap();
        assert_eq!(s.start_servers, 4);
        assert_eq!(
            warnings(&notes),
            [
                "WARNING: StartServers of 10 exceeds MaxRequestWorkers value of 4, decreasing \
              StartServers to 4."
            ]
        );
    }

    #[test]
    fn start_servers_follows_a_lowered_max_request_workers() {
        let (s, _) = read(&[
            ("StartServers", "8"),
            ("MaxRequestWorkers", "10"),
            ("ServerLimit", "3"),
        ])
        .unwrap();
        assert_eq!(
            (s.server_limit, s.max_request_workers, s.start_servers),
            (3, 3, 3)
        );
    }

    #[test]
    fn max_spare_servers_is_raised_above_min_spare_servers() {
        let (s, notes) = read(&[("MinSpareServers", "8"), ("MaxSpareServers", "4")]).unwrap();
        assert_eq!((s.min_spare_servers, s.max_spare_servers), (8, 9));
        assert_eq!(
            warnings(&notes),
            [
                "WARNING: MaxSpareServers of 4 is lower than MinSpareServers + 1, increasing \
              MaxSpareServers to 9."
            ]
        );
        let (s, _) = read(&[("MinSpareServers", "4294967295"), ("MaxSpareServers", "1")]).unwrap();
        assert_eq!(s.max_spare_servers, u32::MAX);
    }

    #[test]
    fn deprecated_names_still_work() {
        let (s, notes) = read(&[("MaxClients", "50"), ("MaxRequestsPerChild", "7")]).unwrap();
        assert_eq!(s.max_request_workers, 50);
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
            ("MaxRequestWorkers", "60"),
            ("MaxRequestsPerChild", "7"),
            ("MaxConnectionsPerChild", "9"),
        ])
        .unwrap();
        assert_eq!(
            (s.max_request_workers, s.max_connections_per_child),
            (60, 9)
        );
    }

    #[test]
    fn display_lists_every_setting() {
        assert_eq!(
            Settings::default().to_string(),
            "StartServers 5, MinSpareServers 5, MaxSpareServers 10, MaxRequestWorkers 256, \
             ServerLimit 256, MaxConnectionsPerChild 0"
        );
    }
}
