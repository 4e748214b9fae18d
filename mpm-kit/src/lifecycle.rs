//! The directives every bundled MPM shares, about children's lives rather than their number:
//! how long graceful stops and restarts may take, the stuck-request watchdog, the memory
//! ceiling and the jitter on MaxConnectionsPerChild. Plus the helpers the MPMs' own settings use.

use mapache_plugin_api::abi::MapacheDirective;
use mapache_plugin_api::sdk::entry::{args, cstr, ctx};
use mapache_plugin_api::sdk::{Config, Level};
use std::fmt;
use std::time::Duration;

/// A log line produced while reading settings.
pub type Note = (Level, String);

/// Reads the directives of [`LIFECYCLE_DIRECTIVES`]: their values are looked up by name and
/// come back `Ok(None)` when absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    /// `GracefulShutdownTimeout` (Apache's): how long a graceful stop waits for children before
    /// stopping them; `None` waits as long as it takes (Apache's default, 0).
    pub graceful_shutdown_timeout: Option<Duration>,
    /// `GracefulRestartTimeout`: how long children of an old generation may go on finishing
    /// their connections after a graceful restart before they are stopped; `None` for no limit.
    pub graceful_restart_timeout: Option<Duration>,
    /// `StuckRequestTimeout`: a worker busy on one request without any progress this long has
    /// its child killed and replaced; `None` (the default) turns the watchdog off.
    pub stuck_request_timeout: Option<Duration>,
    /// `MaxMemoryPerChild`: the resident size past which a child is replaced gracefully; `None`
    /// for no ceiling.
    pub max_memory_per_child: Option<u64>,
    /// `MaxConnectionsPerChildJitter`: each child's MaxConnectionsPerChild is raised by a random
    /// 0..=jitter, so children started together do not all recycle together.
    pub max_connections_jitter: u32,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            graceful_shutdown_timeout: None,
            graceful_restart_timeout: Some(Duration::from_secs(300)),
            stuck_request_timeout: None,
            max_memory_per_child: None,
            max_connections_jitter: 0,
        }
    }
}

/// The lifecycle directives, to append to an MPM's table:
/// `directives: [...] + mapache_mpm_kit::LIFECYCLE_DIRECTIVES`.
pub const LIFECYCLE_DIRECTIVES: &[MapacheDirective] = &[
    directive(
        "GracefulShutdownTimeout\0",
        "Maximum time in seconds to wait for children to finish during a graceful stop (0: no limit)\0",
    ),
    directive(
        "GracefulRestartTimeout\0",
        "Maximum time in seconds children of an old generation may finish their connections after a graceful restart (0: no limit)\0",
    ),
    directive(
        "StuckRequestTimeout\0",
        "Seconds a worker may stay busy on one request without progress before its child is replaced (0: off)\0",
    ),
    directive(
        "MaxMemoryPerChild\0",
        "Resident memory (bytes, or with K, M or G) past which a child is replaced gracefully (0: no limit)\0",
    ),
    directive(
        "MaxConnectionsPerChildJitter\0",
        "Random extra connections (0 to this) added to each child's MaxConnectionsPerChild\0",
    ),
];

const fn directive(name: &'static str, help: &'static str) -> MapacheDirective {
    MapacheDirective {
        name: cstr(name),
        args: args::TAKE1,
        contexts: ctx::SERVER,
        help: cstr(help),
    }
}

impl Lifecycle {
    /// Reads the lifecycle directives from the server configuration.
    pub fn from_config(config: &Config<'_>) -> Result<Lifecycle, String> {
        Lifecycle::read(|name| config.value(name).map(str::to_owned))
    }

    /// Reads the lifecycle directives through `value` (the directive's argument, if present).
    pub fn read(value: impl Fn(&str) -> Option<String>) -> Result<Lifecycle, String> {
        let d = Lifecycle::default();
        let seconds = |name: &str, default: Option<Duration>| -> Result<_, String> {
            match value(name) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(0) => Ok(None),
                    Ok(n) => Ok(Some(Duration::from_secs(n))),
                    Err(_) => Err(format!(
                        "{name} must be a whole number of seconds, not '{v}'"
                    )),
                },
            }
        };
        let max_memory_per_child = match value("MaxMemoryPerChild") {
            None => None,
            Some(v) => match parse_size(&v) {
                Some(0) => None,
                Some(n) => Some(n),
                None => {
                    return Err(format!(
                        "MaxMemoryPerChild must be a size such as 512M or 2G, not '{v}'"
                    ))
                }
            },
        };
        let max_connections_jitter = match value("MaxConnectionsPerChildJitter") {
            None => 0,
            Some(v) => v.trim().parse::<u32>().map_err(|_| {
                format!("MaxConnectionsPerChildJitter must be a whole number, not '{v}'")
            })?,
        };
        Ok(Lifecycle {
            graceful_shutdown_timeout: seconds(
                "GracefulShutdownTimeout",
                d.graceful_shutdown_timeout,
            )?,
            graceful_restart_timeout: seconds(
                "GracefulRestartTimeout",
                d.graceful_restart_timeout,
            )?,
            stuck_request_timeout: seconds("StuckRequestTimeout", d.stuck_request_timeout)?,
            max_memory_per_child,
            max_connections_jitter,
        })
    }

    /// A child's connection limit: `base` plus a random share of the jitter (0 stays 0: no
    /// limit). `random` is any random number.
    pub fn connection_limit(&self, base: u32, random: u64) -> u32 {
        if base == 0 || self.max_connections_jitter == 0 {
            return base;
        }
        let extra = random % (u64::from(self.max_connections_jitter) + 1);
        base.saturating_add(extra as u32)
    }
}

impl fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = |d: Option<Duration>| d.map_or(0, |d| d.as_secs());
        write!(
            f,
            "GracefulShutdownTimeout {}, GracefulRestartTimeout {}, StuckRequestTimeout {}, \
             MaxMemoryPerChild {}, MaxConnectionsPerChildJitter {}",
            secs(self.graceful_shutdown_timeout),
            secs(self.graceful_restart_timeout),
            secs(self.stuck_request_timeout),
            self.max_memory_per_child.unwrap_or(0),
            self.max_connections_jitter
        )
    }
}

/// A size in bytes: digits, optionally followed by K, M or G (powers of 1024, either case).
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, shift) = match t.as_bytes().last()?.to_ascii_uppercase() {
        b'K' => (&t[..t.len() - 1], 10),
        b'M' => (&t[..t.len() - 1], 20),
        b'G' => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    let n: u64 = digits.parse().ok()?;
    n.checked_mul(1u64 << shift)
}

/// Reads a directive that also has a deprecated name; the current name wins when both are set.
pub fn aliased(
    number: &impl Fn(&str) -> Result<Option<u32>, String>,
    name: &str,
    old_name: &str,
    notes: &mut Vec<Note>,
) -> Result<Option<u32>, String> {
    let current = number(name)?;
    let old = number(old_name)?;
    if old.is_some() {
        notes.push((
            Level::Info,
            format!("{old_name} is deprecated, use {name} instead."),
        ));
    }
    Ok(current.or(old))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Lifecycle, String> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        Lifecycle::read(|n| map.get(n).map(|v| v.to_string()))
    }

    #[test]
    fn defaults() {
        let l = read(&[]).unwrap();
        assert_eq!(l, Lifecycle::default());
        assert_eq!(l.graceful_restart_timeout, Some(Duration::from_secs(300)));
        assert_eq!(l.graceful_shutdown_timeout, None);
    }

    #[test]
    fn values_and_zero_meaning_no_limit() {
        let l = read(&[
            ("GracefulShutdownTimeout", "5"),
            ("GracefulRestartTimeout", "0"),
            ("StuckRequestTimeout", "30"),
            ("MaxMemoryPerChild", "512M"),
            ("MaxConnectionsPerChildJitter", "50"),
        ])
        .unwrap();
        assert_eq!(l.graceful_shutdown_timeout, Some(Duration::from_secs(5)));
        assert_eq!(l.graceful_restart_timeout, None);
        assert_eq!(l.stuck_request_timeout, Some(Duration::from_secs(30)));
        assert_eq!(l.max_memory_per_child, Some(512 << 20));
        assert_eq!(l.max_connections_jitter, 50);
    }

    #[test]
    fn bad_values_are_errors_that_name_the_directive() {
        assert!(read(&[("StuckRequestTimeout", "soon")])
            .unwrap_err()
            .contains("StuckRequestTimeout"));
        assert!(read(&[("MaxMemoryPerChild", "lots")])
            .unwrap_err()
            .contains("MaxMemoryPerChild"));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("4k"), Some(4096));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("M"), None);
        assert_eq!(parse_size("-1"), None);
    }

    #[test]
    fn jitter_stays_in_range_and_spares_unlimited_children() {
        let l = read(&[("MaxConnectionsPerChildJitter", "10")]).unwrap();
        for r in 0..100 {
            let n = l.connection_limit(100, r);
            assert!((100..=110).contains(&n));
        }
        assert_eq!(l.connection_limit(0, 7), 0);
        assert_eq!(read(&[]).unwrap().connection_limit(100, 7), 100);
    }
}
