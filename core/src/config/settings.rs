//! The core's own settings, typed, read from the store once the whole configuration is in.

use super::store::{Store, View};
use crate::listen::ListenAddr;
use crate::logs::access_log::{CustomLog, Formats};
use crate::logs::error_log::LogLevels;
use crate::logs::LogTarget;
use crate::serve::read_timeout::RequestReadTimeout;
use mapache_plugin_api::sdk::options::{Links, OptionSet};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
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

/// `TraceEnable`: how a TRACE request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceEnable {
    /// 200 with the request head echoed (the default); a request body is refused (413).
    On,
    /// 405.
    Off,
    /// As On, and a body of up to 64 KiB is echoed too.
    Extended,
}

impl TraceEnable {
    /// Parses Apache's keywords.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "on" => TraceEnable::On,
            "off" => TraceEnable::Off,
            "extended" => TraceEnable::Extended,
            _ => return Err("TraceEnable must be one of 'on', 'off', or 'extended'".to_owned()),
        })
    }
}

/// `ServerSignature`: the footer line of the pages the core makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerSignature {
    /// No footer (the default).
    Off,
    /// `<address>mapache/… Server at NAME Port N</address>`.
    On,
    /// The same with NAME a `mailto:` link to ServerAdmin.
    Email,
}

impl ServerSignature {
    /// Parses Apache's keywords.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "off" => ServerSignature::Off,
            "on" => ServerSignature::On,
            "email" => ServerSignature::Email,
            _ => return Err("ServerSignature: use one of: off | on | email".to_owned()),
        })
    }
}

/// `HostnameLookups`: whether `%h` and REMOTE_HOST are the client's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostnameLookups {
    /// The address (the default).
    Off,
    /// The reverse-DNS name.
    On,
    /// The reverse-DNS name when it resolves back to the address (else the address).
    Double,
}

impl HostnameLookups {
    /// Parses Apache's keywords.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "off" => HostnameLookups::Off,
            "on" => HostnameLookups::On,
            "double" => HostnameLookups::Double,
            _ => return Err("parameter must be 'on', 'off', or 'double'".to_owned()),
        })
    }
}

/// `Protocols`: mapache speaks http/1.1 (and HTTP/1.0); `h2` and `h2c` are accepted and not
/// offered, which is what Apache does without mod_http2 (it goes on serving HTTP/1.1 even
/// when http/1.1 is not listed). Other tokens are refused.
pub fn check_protocols(args: &[String]) -> Result<(), String> {
    for p in args {
        if !["http/1.1", "h2", "h2c"].contains(&p.to_ascii_lowercase().as_str()) {
            return Err(format!(
                "Protocols: unknown protocol '{p}' (http/1.1 is served; h2 and h2c are accepted and not offered, as by Apache without mod_http2)"
            ));
        }
    }
    Ok(())
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
    /// ErrorLog (a file made absolute, or `|program`); None = standard error.
    pub error_log: Option<LogTarget>,
    /// CustomLog and TransferLog lines, formats resolved.
    pub access_logs: Vec<CustomLog>,
    /// LogLevel.
    pub log_levels: LogLevels,
    /// DocumentRoot, absolute and normalized (default `htdocs` under ServerRoot).
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
    /// RequestReadTimeout (`header=20-40,MinRate=500 body=20,MinRate=500`).
    pub request_read_timeout: RequestReadTimeout,
    /// ServerName without scheme or port (default: the host name), for `%v`.
    pub server_name: String,
    /// The Server header value.
    pub server_header: String,
    /// User and Group: whom children serve as when started as root (None: neither is set).
    pub run_as: Option<crate::control::privileges::RunAs>,
    /// TraceEnable (On).
    pub trace_enable: TraceEnable,
    /// ServerSignature (Off).
    pub server_signature: ServerSignature,
    /// HostnameLookups (Off).
    pub hostname_lookups: HostnameLookups,
    /// EnableSendfile (On): Off sends files with read and write.
    pub enable_sendfile: bool,
    /// BufferedLogs (Off): access-log lines are buffered per process.
    pub buffered_logs: bool,
    /// ErrorLogFormat (None: Apache's default line).
    pub error_log_format: Option<crate::logs::error_format::ErrorFormat>,
}

/// User and Group resolved to ids. Without Group, the user's primary group; Group alone keeps
/// the user.
fn run_as(store: &Store) -> Result<Option<crate::control::privileges::RunAs>, String> {
    use crate::control::privileges::{self, RunAs};
    let located = |o: &super::store::Occurrence, e: String| {
        format!("Syntax error on line {} of {}: {e}", o.line, o.file)
    };
    let group = match store.server_last("Group") {
        Some(o) => Some(privileges::group(o.arg0()).map_err(|e| located(o, e))?),
        None => None,
    };
    match store.server_last("User") {
        Some(o) => {
            let (uid, primary, user_name) =
                privileges::user(o.arg0()).map_err(|e| located(o, e))?;
            let gid = match group {
                Some(g) => g,
                None if primary != libc::gid_t::MAX => primary,
                None => {
                    return Err(located(
                        o,
                        format!(
                            "User {} has no passwd entry to take a group from: set Group too",
                            o.arg0()
                        ),
                    ))
                }
            };
            Ok(Some(RunAs {
                uid,
                gid,
                user_name,
            }))
        }
        None => Ok(group.map(|gid| RunAs {
            // SAFETY: geteuid cannot fail.
            uid: unsafe { libc::geteuid() },
            gid,
            user_name: None,
        })),
    }
}

/// The symbolic links followed in the real directory `dir`: `Options` at server level and in
/// the `<Directory>` sections for `dir` (as in Apache, `<Location>` does not decide on links).
///
/// In virtual host `vhost` (None: the main server) its own Options and `<Directory>` sections
/// count too, after the main server's.
pub fn links_in(store: &Store, vhost: Option<usize>, dir: &[u8]) -> Links {
    let mut sections: Vec<usize> = vhost.map(|v| store.vhosts[v].section).into_iter().collect();
    sections.extend(store.directory_sections_for(vhost, dir));
    let view = View { sections };
    // Values were checked as the file was read.
    OptionSet::from_lines(
        view.occurrences(store, "options")
            .map(|o| o.args.iter().map(String::as_str).collect()),
        |_| {},
    )
    .links()
}

/// LimitRequestBody in effect for a request's scope (0 = unlimited).
pub fn limit_request_body(store: &Store, view: &View) -> u64 {
    view.last(store, "limitrequestbody")
        .and_then(|o| o.arg0().parse::<u64>().ok())
        .unwrap_or(super::core_directives::DEFAULT_LIMIT_REQUEST_BODY)
}

/// `ServerName [scheme://]host[:port]` → host.
fn server_name(store: &Store) -> String {
    let configured = store.server_last("ServerName").map(|o| {
        let v = o.arg0();
        let v = v.split_once("://").map_or(v, |(_, rest)| rest);
        match v.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => host.to_owned(),
            _ => v.to_owned(),
        }
    });
    configured.unwrap_or_else(|| {
        nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "localhost".to_owned())
    })
}

/// CustomLog and TransferLog lines in order, with LogFormat nicknames resolved against every
/// LogFormat of the configuration (as Apache does).
fn access_logs(store: &Store) -> Result<Vec<CustomLog>, String> {
    let mut formats = Formats::default();
    for o in store.server_all("LogFormat") {
        formats
            .define(&o.args)
            .map_err(|e| format!("Syntax error on line {} of {}: {e}", o.line, o.file))?;
    }
    store
        .server
        .iter()
        .filter(|o| o.name == "customlog" || o.name == "transferlog")
        .map(|o| {
            let format = match o.args.get(1) {
                Some(f) => formats
                    .resolve(f)
                    .map_err(|e| format!("Syntax error on line {} of {}: {e}", o.line, o.file))?,
                None => formats.default.clone(),
            };
            Ok(CustomLog {
                target: LogTarget::parse(o.arg0()),
                format,
            })
        })
        .collect()
}

/// ErrorLogFormat: the last line without a `connection`/`request` first argument (the
/// per-connection and per-request first lines are Apache's too; see `error_format`).
fn error_log_format(
    store: &Store,
) -> Result<Option<crate::logs::error_format::ErrorFormat>, String> {
    let mut format = crate::logs::error_format::ErrorFormat::default();
    let mut any = false;
    for o in store.server_all("ErrorLogFormat") {
        format
            .apply(&o.args)
            .map_err(|e| format!("Syntax error on line {} of {}: {e}", o.line, o.file))?;
        any = true;
    }
    Ok(any.then_some(format))
}

/// DefaultRuntimeDir (made absolute against ServerRoot as it was read) must be a directory.
/// mapache puts nothing there: its shared memory is anonymous (memfd), it has no mutex files
/// and no sockets of its own, and PidFile is relative to ServerRoot as in Apache.
fn check_default_runtime_dir(store: &Store, server_root: &Path) -> Result<(), String> {
    match store.server_last("DefaultRuntimeDir") {
        Some(o) if !absolute(server_root, o.arg0()).is_dir() => Err(format!(
            "Syntax error on line {} of {}: DefaultRuntimeDir must be a valid directory, absolute or relative to ServerRoot",
            o.line, o.file
        )),
        _ => Ok(()),
    }
}

/// ErrorLog's target: syslog, a program, or a file made absolute against ServerRoot.
fn error_log_target(server_root: &Path, arg: &str) -> Result<LogTarget, String> {
    Ok(match LogTarget::parse_error_log(arg)? {
        LogTarget::File(p) => LogTarget::File(absolute(server_root, &p.to_string_lossy())),
        other => other,
    })
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
        let flag = |name: &str, default: bool| {
            store
                .server_last(name)
                .map(|o| o.arg0().eq_ignore_ascii_case("on"))
                .unwrap_or(default)
        };
        check_default_runtime_dir(store, server_root)?;
        for o in store.server_all("Mutex") {
            crate::config::mutex::check_dir(&o.args, server_root)
                .map_err(|e| format!("Syntax error on line {} of {}: {e}", o.line, o.file))?;
        }
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
            error_log: match store.server_last("ErrorLog") {
                Some(o) => {
                    Some(error_log_target(server_root, o.arg0()).map_err(|e| {
                        format!("Syntax error on line {} of {}: {e}", o.line, o.file)
                    })?)
                }
                None => None,
            },
            access_logs: access_logs(store)?,
            log_levels,
            document_root: PathBuf::from(std::ffi::OsString::from_vec(
                crate::storage::path::normalize(
                    absolute(
                        server_root,
                        store
                            .server_last("DocumentRoot")
                            .map(|o| o.arg0())
                            .unwrap_or("htdocs"),
                    )
                    .as_os_str()
                    .as_bytes(),
                ),
            )),
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
            request_read_timeout: RequestReadTimeout::from_occurrences(
                store.server_all("RequestReadTimeout").map(|o| &*o.args),
            )?,
            server_name: server_name(store),
            server_header: store
                .server_last("ServerTokens")
                .and_then(|o| ServerTokens::parse(o.arg0()).ok())
                .unwrap_or(ServerTokens::Full)
                .header(),
            run_as: run_as(store)?,
            trace_enable: store
                .server_last("TraceEnable")
                .and_then(|o| TraceEnable::parse(o.arg0()).ok())
                .unwrap_or(TraceEnable::On),
            server_signature: store
                .server_last("ServerSignature")
                .and_then(|o| ServerSignature::parse(o.arg0()).ok())
                .unwrap_or(ServerSignature::Off),
            hostname_lookups: store
                .server_last("HostnameLookups")
                .and_then(|o| HostnameLookups::parse(o.arg0()).ok())
                .unwrap_or(HostnameLookups::Off),
            enable_sendfile: flag("EnableSendfile", true),
            buffered_logs: flag("BufferedLogs", false),
            error_log_format: error_log_format(store)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::dispatch::Dispatcher;
    use crate::config::Reader;
    use crate::logs::access_log::{Format, COMBINED};

    fn read(text: &str) -> Result<Dispatcher, String> {
        let root = std::env::temp_dir();
        let mut d = Dispatcher::new(root.clone()).expect("a dispatcher without linked modules");
        Reader::new(root, &[])
            .read_str(text, "t.conf", &mut d)
            .map_err(|e| e.to_string())?;
        Ok(d)
    }

    fn settings(text: &str) -> Result<CoreSettings, String> {
        let d = read(text)?;
        CoreSettings::from_store(&d.store, &std::env::temp_dir())
    }

    #[test]
    fn defaults() {
        let s = settings("").unwrap();
        assert_eq!(s.request_read_timeout, RequestReadTimeout::default());
        assert!(s.access_logs.is_empty());
        assert!(s.error_log.is_none());
        let d = read("").unwrap();
        assert_eq!(limit_request_body(&d.store, &View::default()), 1 << 30);
    }

    #[test]
    fn limit_request_body_follows_sections() {
        let d = read("LimitRequestBody 100\n<Location /up>\nLimitRequestBody 0\n</Location>\n")
            .unwrap();
        let view = |p: &[u8]| View {
            sections: d.store.matching_sections(p, None),
        };
        assert_eq!(limit_request_body(&d.store, &view(b"/x")), 100);
        assert_eq!(limit_request_body(&d.store, &view(b"/up/file")), 0);
        let e = read("LimitRequestBody lots\n").map(|_| ()).unwrap_err();
        assert!(
            e.contains("LimitRequestBody must be a non-negative whole number"),
            "{e}"
        );
    }

    #[test]
    fn read_timeout_lines_merge_like_debians() {
        let s = settings(
            "RequestReadTimeout header=20-40,MinRate=500\nRequestReadTimeout body=10,MinRate=500\n",
        )
        .unwrap();
        assert_eq!(s.request_read_timeout.header.max, 40);
        assert_eq!(s.request_read_timeout.body.initial, 10);
        let e = settings("RequestReadTimeout header=5-2,MinRate=1\n").unwrap_err();
        assert!(e.contains("Maximum timeout must be larger"), "{e}");
        assert!(e.contains("line 1 of t.conf"), "{e}");
    }

    #[test]
    fn custom_logs_resolve_nicknames_from_anywhere_and_keep_pipes() {
        let s = settings(
            "CustomLog logs/a short\nLogFormat \"%h %>s\" short\nCustomLog \"|cat > /dev/null\" combined\n\
             LogFormat \"%m\"\nTransferLog logs/t\nErrorLog \"|$ logger -t web\"\n",
        )
        .unwrap();
        assert_eq!(s.access_logs.len(), 3);
        assert_eq!(*s.access_logs[0].format, Format::parse("%h %>s").unwrap());
        assert_eq!(
            s.access_logs[0].target,
            LogTarget::File(std::env::temp_dir().join("logs/a")),
            "relative to ServerRoot"
        );
        assert!(matches!(s.access_logs[1].target, LogTarget::Pipe(_)));
        assert_eq!(*s.access_logs[1].format, Format::parse(COMBINED).unwrap());
        assert_eq!(*s.access_logs[2].format, Format::parse("%m").unwrap());
        assert!(matches!(s.error_log, Some(LogTarget::Pipe(_))));
        let e = settings("CustomLog logs/a nosuch\n").unwrap_err();
        assert!(e.contains("Syntax error on line 1 of t.conf"), "{e}");
    }

    #[test]
    fn user_and_group() {
        assert_eq!(settings("").unwrap().run_as, None);
        let r = settings("User root\n").unwrap().run_as.unwrap();
        assert_eq!((r.uid, r.gid), (0, 0));
        let r = settings("User #0\nGroup #5\n").unwrap().run_as.unwrap();
        assert_eq!((r.uid, r.gid), (0, 5));
        let e = settings("\nUser no-such-user-here\n")
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            e,
            "Syntax error on line 2 of t.conf: bad user name no-such-user-here"
        );
        let e = settings("Group no-such-group-here\n")
            .map(|_| ())
            .unwrap_err();
        assert!(e.contains("line 1 of t.conf: bad group name"), "{e}");
    }

    #[test]
    fn server_name_drops_scheme_and_port() {
        assert_eq!(
            settings("ServerName https://www.example:8443\n")
                .unwrap()
                .server_name,
            "www.example"
        );
        assert_eq!(settings("ServerName [::1]\n").unwrap().server_name, "[::1]");
        assert!(!settings("").unwrap().server_name.is_empty());
    }
}
