//! The core's own settings, typed, read from the store once the whole configuration is in.

use super::store::Store;
use crate::listen::ListenAddr;
use crate::logs::error_log::LogLevels;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `ServerTokens`: how much the Server header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerTokens {
    /// `mapache`
    Prod,
    /// `mapache/0`
    Major,
    /// `mapache/0.1`
    Minor,
    /// `mapache/0.1.0`
    Min,
    /// `mapache/0.1.0 (Unix)`
    Os,
    /// `mapache/0.1.0 (Unix)` (no module tokens yet)
    Full,
}

impl ServerTokens {
    /// Parses Apache's keywords (`ProductOnly` and `Minimal` included).
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "prod" | "productonly" => ServerTokens::Prod,
            "major" => ServerTokens::Major,
            "minor" => ServerTokens::Minor,
            "min" | "minimal" => ServerTokens::Min,
            "os" => ServerTokens::Os,
            "full" => ServerTokens::Full,
            _ => {
                return Err(format!(
                    "ServerTokens takes one of Prod, Major, Minor, Min, OS or Full, not '{s}'"
                ))
            }
        })
    }

    /// The Server header value.
    pub fn header(self) -> String {
        let v = env!("CARGO_PKG_VERSION");
        let mut parts = v.split('.');
        let major = parts.next().unwrap_or("0");
        let minor = parts.next().unwrap_or("0");
        match self {
            ServerTokens::Prod => "mapache".to_owned(),
            ServerTokens::Major => format!("mapache/{major}"),
            ServerTokens::Minor => format!("mapache/{major}.{minor}"),
            ServerTokens::Min => format!("mapache/{v}"),
            ServerTokens::Os | ServerTokens::Full => format!("mapache/{v} (Unix)"),
        }
    }
}

/// The core's typed settings with Apache's defaults.
#[derive(Debug, Clone)]
pub struct CoreSettings {
    /// ServerRoot.
    pub server_root: PathBuf,
    /// Listen lines, in order.
    pub listen: Vec<ListenAddr>,
    /// ListenBacklog (511).
    pub backlog: i32,
    /// PidFile (`logs/mapache.pid`), absolute.
    pub pid_file: PathBuf,
    /// ErrorLog, absolute; None = standard error.
    pub error_log: Option<PathBuf>,
    /// LogLevel.
    pub log_levels: LogLevels,
    /// DocumentRoot, absolute (default `htdocs` under ServerRoot).
    pub document_root: PathBuf,
    /// Timeout (60 s).
    pub timeout: Duration,
    /// KeepAlive (On).
    pub keep_alive: bool,
    /// KeepAliveTimeout (5 s).
    pub keep_alive_timeout: Duration,
    /// MaxKeepAliveRequests (100; 0 = unlimited).
    pub max_keep_alive_requests: u64,
    /// LimitRequestLine / Fields / FieldSize.
    pub limits: crate::http::Limits,
    /// The Server header value.
    pub server_header: String,
}

fn absolute(root: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    }
}

impl CoreSettings {
    /// Reads the settings; values were already checked as they were read.
    pub fn from_store(store: &Store, server_root: &Path) -> Result<Self, String> {
        let num = |name: &str, default: u64| {
            store
                .server_last(name)
                .and_then(|o| o.arg0().parse::<u64>().ok())
                .unwrap_or(default)
        };
        let listen = store
            .server_all("Listen")
            .map(|o| {
                crate::listen::parse_listen(o.arg0())
                    .map_err(|e| format!("Syntax error on line {} of {}: {e}", o.line, o.file))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let log_levels = match store.server_last("LogLevel") {
            Some(o) => LogLevels::parse(&o.args)?,
            None => LogLevels::default(),
        };
        let fields = match num("LimitRequestFields", 100) {
            0 => 10_000,
            n => n as usize,
        };
        Ok(CoreSettings {
            server_root: server_root.to_path_buf(),
            listen,
            backlog: num("ListenBacklog", 511).min(i32::MAX as u64) as i32,
            pid_file: absolute(
                server_root,
                store
                    .server_last("PidFile")
                    .map(|o| o.arg0())
                    .unwrap_or("logs/mapache.pid"),
            ),
            error_log: store
                .server_last("ErrorLog")
                .map(|o| absolute(server_root, o.arg0())),
            log_levels,
            document_root: absolute(
                server_root,
                store
                    .server_last("DocumentRoot")
                    .map(|o| o.arg0())
                    .unwrap_or("htdocs"),
            ),
            timeout: Duration::from_secs(num("Timeout", 60)),
            keep_alive: store
                .server_last("KeepAlive")
                .map(|o| o.arg0().eq_ignore_ascii_case("on"))
                .unwrap_or(true),
            keep_alive_timeout: Duration::from_secs(num("KeepAliveTimeout", 5)),
            max_keep_alive_requests: num("MaxKeepAliveRequests", 100),
            limits: crate::http::Limits {
                request_line: num("LimitRequestLine", 8190) as usize,
                fields,
                field_size: num("LimitRequestFieldSize", 8190) as usize,
            },
            server_header: store
                .server_last("ServerTokens")
                .and_then(|o| ServerTokens::parse(o.arg0()).ok())
                .unwrap_or(ServerTokens::Full)
                .header(),
        })
    }
}
