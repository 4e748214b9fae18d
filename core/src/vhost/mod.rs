//! Virtual hosts at run time: the main server and each `<VirtualHost>` with its typed
//! settings (those it does not set come from the main server, as in Apache), and the table
//! that chooses one for a request.
//!
//! - `select.rs`: Apache's choice, by local address then Host.
//! - `dump.rs`: the `-S` / `-D DUMP_VHOSTS` / `-D DUMP_RUN_CFG` output.

pub mod dump;
pub mod select;

use crate::config::settings::CoreSettings;
use crate::config::store::{Occurrence, Store, View};
use crate::logs::access_log::{CustomLog, Formats};
use crate::logs::error_log::LogLevels;
use crate::logs::LogTarget;
use crate::serve::read_timeout::RequestReadTimeout;
use std::net::IpAddr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Apache's ServerName of a virtual host with an exact address that does not resolve back.
const NO_REVERSE_DNS: &str = "bogus_host_without_reverse_dns";
/// Apache's ServerAdmin when none is configured.
const NO_ADMIN: &str = "[no address given]";

/// One server a request can be for: the main server or a virtual host.
#[derive(Debug)]
pub struct Vhost {
    /// Its index in [`Store::vhosts`]; None for the main server.
    pub entry: Option<usize>,
    /// Its scope: the main server's (no section), or `[its section]`.
    pub view: View,
    /// ServerName without scheme or port (`%v`, self-referential URLs).
    pub server_name: String,
    /// DocumentRoot, absolute and normalized.
    pub document_root: PathBuf,
    /// ServerAdmin.
    pub server_admin: String,
    /// Its own ErrorLog (None: the main server's).
    pub error_log: Option<LogTarget>,
    /// LogLevel.
    pub log_levels: LogLevels,
    /// Its own CustomLog/TransferLog lines (None: it has none and logs to the main server's).
    pub access_logs: Option<Vec<CustomLog>>,
    /// Timeout: a request's body and response use its vhost's; the wait for a head the
    /// connection's first vhost's.
    pub timeout: Duration,
    /// KeepAlive.
    pub keep_alive: bool,
    /// KeepAliveTimeout (of a set's first virtual host: the connection's, as Apache).
    pub keep_alive_timeout: Duration,
    /// MaxKeepAliveRequests.
    pub max_keep_alive_requests: u64,
    /// UseCanonicalName On: `%V` and self-referential URLs use ServerName, not the Host sent.
    pub canonical_name: bool,
    /// LimitRequestLine / Fields / FieldSize (of a set's first virtual host: the head is read
    /// before the Host is known, as in Apache).
    pub limits: crate::http::Limits,
    /// RequestReadTimeout (of a set's first virtual host, as Apache's mod_reqtimeout).
    pub request_read_timeout: RequestReadTimeout,
    /// TraceEnable.
    pub trace_enable: crate::config::settings::TraceEnable,
    /// ServerSignature.
    pub server_signature: crate::config::settings::ServerSignature,
}

/// The main server, every virtual host, and the candidate sets.
#[derive(Debug)]
pub struct Vhosts {
    /// The main server.
    pub main: Vhost,
    /// The virtual hosts, in configuration order (index = [`Store::vhosts`] index).
    pub list: Vec<Vhost>,
    /// Their names, for the choice.
    pub names: Vec<select::Names>,
    /// The candidate sets.
    pub table: select::Table,
}

/// The last line named `name` among a virtual host's own.
fn own<'a>(store: &'a Store, section: usize, name: &str) -> Option<&'a Occurrence> {
    store.sections[section]
        .directives
        .iter()
        .rev()
        .find(|o| o.is_named(name))
}

/// `[scheme://]host[:port]` → host.
pub fn host_of(server_name: &str) -> String {
    let v = server_name
        .split_once("://")
        .map_or(server_name, |(_, rest)| rest);
    match v.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => host.to_owned(),
        _ => v.to_owned(),
    }
}

/// The name `addr` resolves back to, as Apache asks for a virtual host without ServerName.
fn reverse_dns(addr: IpAddr) -> Option<String> {
    let sa: socket2::SockAddr = std::net::SocketAddr::new(addr, 0).into();
    let mut host = [0 as libc::c_char; 1025];
    // SAFETY: the address and the buffer are valid for the call; NI_NAMEREQD fails rather than
    // return the number.
    let rc = unsafe {
        libc::getnameinfo(
            sa.as_ptr() as *const libc::sockaddr,
            sa.len(),
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: getnameinfo wrote a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(host.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

fn absolute_normalized(root: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        root.join(p)
    };
    PathBuf::from(std::ffi::OsString::from_vec(
        crate::storage::path::normalize(p.as_os_str().as_bytes()),
    ))
}

fn canonical_name(o: Option<&Occurrence>) -> bool {
    o.is_some_and(|o| o.arg0().eq_ignore_ascii_case("on"))
}

impl Vhosts {
    /// The main server from the core's settings and each virtual host from its own lines over
    /// them. Errors are `-t` ones, with file and line.
    pub fn build(store: &Store, main: &CoreSettings) -> Result<Vhosts, String> {
        let main_vhost = Vhost {
            entry: None,
            view: View::default(),
            server_name: main.server_name.clone(),
            document_root: main.document_root.clone(),
            server_admin: store
                .server_last("ServerAdmin")
                .map_or(NO_ADMIN, |o| o.arg0())
                .to_owned(),
            error_log: main.error_log.clone(),
            log_levels: main.log_levels.clone(),
            access_logs: Some(main.access_logs.clone()),
            timeout: main.timeout,
            keep_alive: main.keep_alive,
            keep_alive_timeout: main.keep_alive_timeout,
            max_keep_alive_requests: main.max_keep_alive_requests,
            canonical_name: canonical_name(store.server_last("UseCanonicalName")),
            limits: main.limits,
            request_read_timeout: main.request_read_timeout,
            trace_enable: main.trace_enable,
            server_signature: main.server_signature,
        };
        let located = |o: &Occurrence, e: String| {
            format!("Syntax error on line {} of {}: {e}", o.line, o.file)
        };
        let mut list = Vec::with_capacity(store.vhosts.len());
        let mut names = Vec::with_capacity(store.vhosts.len());
        for (i, entry) in store.vhosts.iter().enumerate() {
            let s = entry.section;
            let own_number =
                |name: &str| own(store, s, name).and_then(|o| o.arg0().parse::<u64>().ok());
            let secs = |name: &str, default: Duration| {
                own(store, s, name)
                    .and_then(|o| o.arg0().parse::<u64>().ok())
                    .map_or(default, Duration::from_secs)
            };
            let server_name = match &entry.server_name {
                Some(n) => host_of(n),
                None if entry.addrs.iter().any(|a| a.ip.is_none()) => main.server_name.clone(),
                None => {
                    let ip = entry.addrs[0].ip;
                    ip.and_then(reverse_dns).unwrap_or_else(|| {
                        crate::logs::error_log::log(
                            "core",
                            crate::logs::error_log::ERROR,
                            None,
                            &format!(
                                "AH00549: Failed to resolve server name for {} (check DNS) -- or specify an explicit ServerName",
                                ip.map(|a| a.to_string()).unwrap_or_default()
                            ),
                        );
                        NO_REVERSE_DNS.to_owned()
                    })
                }
            };
            let log_levels = match own(store, s, "LogLevel") {
                Some(o) => LogLevels::parse(&o.args).map_err(|e| located(o, e))?,
                None => main.log_levels.clone(),
            };
            // Syslog and programs as they are; a file against ServerRoot.
            let error_log = match own(store, s, "ErrorLog") {
                Some(o) => Some(
                    match LogTarget::parse_error_log(o.arg0()).map_err(|e| located(o, e))? {
                        LogTarget::File(_) => {
                            LogTarget::File(absolute_normalized(&main.server_root, o.arg0()))
                        }
                        other => other,
                    },
                ),
                None => None,
            };
            list.push(Vhost {
                entry: Some(i),
                view: View { sections: vec![s] },
                document_root: own(store, s, "DocumentRoot").map_or_else(
                    || main_vhost.document_root.clone(),
                    |o| absolute_normalized(&main.server_root, o.arg0()),
                ),
                server_admin: own(store, s, "ServerAdmin")
                    .map_or(main_vhost.server_admin.as_str(), |o| o.arg0())
                    .to_owned(),
                error_log,
                log_levels,
                access_logs: vhost_access_logs(store, s)?,
                timeout: secs("Timeout", main.timeout),
                keep_alive: own(store, s, "KeepAlive")
                    .map_or(main.keep_alive, |o| o.arg0().eq_ignore_ascii_case("on")),
                keep_alive_timeout: secs("KeepAliveTimeout", main.keep_alive_timeout),
                max_keep_alive_requests: own(store, s, "MaxKeepAliveRequests")
                    .and_then(|o| o.arg0().parse().ok())
                    .unwrap_or(main.max_keep_alive_requests),
                canonical_name: match own(store, s, "UseCanonicalName") {
                    Some(o) => canonical_name(Some(o)),
                    None => main_vhost.canonical_name,
                },
                server_name: server_name.clone(),
                limits: crate::http::Limits {
                    request_line: own_number("LimitRequestLine")
                        .map_or(main.limits.request_line, |n| n as usize),
                    fields: own_number("LimitRequestFields").map_or(main.limits.fields, |n| {
                        if n == 0 {
                            10_000
                        } else {
                            n as usize
                        }
                    }),
                    field_size: own_number("LimitRequestFieldSize")
                        .map_or(main.limits.field_size, |n| n as usize),
                },
                request_read_timeout: RequestReadTimeout::from_occurrences(
                    store
                        .server_all("RequestReadTimeout")
                        .chain(
                            store.sections[s]
                                .directives
                                .iter()
                                .filter(|o| o.is_named("requestreadtimeout")),
                        )
                        .map(|o| &*o.args),
                )?,
                // Values were checked as the file was read.
                trace_enable: own(store, s, "TraceEnable")
                    .and_then(|o| crate::config::settings::TraceEnable::parse(o.arg0()).ok())
                    .unwrap_or(main.trace_enable),
                server_signature: own(store, s, "ServerSignature")
                    .and_then(|o| crate::config::settings::ServerSignature::parse(o.arg0()).ok())
                    .unwrap_or(main.server_signature),
            });
            names.push(select::Names::new(&server_name, &entry.aliases));
        }
        let table = select::Table::build(store.vhosts.iter().map(|v| v.addrs.as_slice()));
        Ok(Vhosts {
            main: main_vhost,
            list,
            names,
            table,
        })
    }

    /// The candidate set of a connection to `local` (None: the main server serves it).
    pub fn candidates(&self, local: Option<std::net::SocketAddr>) -> Option<&select::Candidates> {
        if self.list.is_empty() {
            return None;
        }
        let local = local?;
        self.table.candidates(local.ip(), local.port())
    }

    /// The server a connection with candidate set `set` starts with: the set's default.
    pub fn base(&self, set: Option<&select::Candidates>) -> &Vhost {
        match set {
            Some(c) => &self.list[c.vhosts().next().unwrap_or(0)],
            None => &self.main,
        }
    }

    /// The server for a request with `host` on `port` over candidate set `set`.
    pub fn choose(
        &self,
        set: Option<&select::Candidates>,
        host: Option<&[u8]>,
        port: u16,
    ) -> &Vhost {
        match set {
            Some(c) => &self.list[c.choose(host, port, &self.names)],
            None => &self.main,
        }
    }
}

/// A virtual host's own CustomLog/TransferLog lines, nicknames resolved against the main
/// server's LogFormats and then its own (None: it has none).
fn vhost_access_logs(store: &Store, section: usize) -> Result<Option<Vec<CustomLog>>, String> {
    let lines = &store.sections[section].directives;
    let is_log = |o: &&Occurrence| o.is_named("customlog") || o.is_named("transferlog");
    if !lines.iter().any(|o| is_log(&o)) {
        return Ok(None);
    }
    let mut formats = Formats::default();
    for o in store
        .server_all("LogFormat")
        .chain(lines.iter().filter(|o| o.is_named("logformat")))
    {
        formats
            .define(&o.args)
            .map_err(|e| format!("Syntax error on line {} of {}: {e}", o.line, o.file))?;
    }
    lines
        .iter()
        .filter(is_log)
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
        .collect::<Result<Vec<_>, String>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::dispatch::Dispatcher;
    use crate::config::Reader;

    fn read(text: &str) -> Result<Store, String> {
        let root = std::env::temp_dir();
        let mut d = Dispatcher::new(root.clone()).expect("a dispatcher without linked modules");
        Reader::new(root, &[])
            .read_str(text, "t.conf", &mut d)
            .map_err(|e| e.to_string())?;
        d.record_defaults();
        Ok(d.store)
    }

    fn build(text: &str) -> (Store, Vhosts) {
        let store = read(text).unwrap();
        let settings = CoreSettings::from_store(&store, &std::env::temp_dir()).unwrap();
        let vhosts = Vhosts::build(&store, &settings).unwrap();
        (store, vhosts)
    }

    const TWO: &str = "ServerName main.example\nDocumentRoot /srv/main\nTimeout 30\n\
        <Location /x>\nSetHandler main-x\n</Location>\n\
        <VirtualHost *:80>\nServerName a.example\nServerAlias www.a.example\nDocumentRoot /srv/a\n\
        <Location /x>\nSetHandler a-x\n</Location>\n</VirtualHost>\n\
        <VirtualHost *:80>\nDocumentRoot /srv/b\nKeepAlive Off\n\
        <Location />\nSetHandler b-all\n</Location>\n</VirtualHost>\n\
        <VirtualHost 127.0.0.2:80>\n</VirtualHost>\n";

    #[test]
    fn each_vhost_has_its_lines_over_the_main_servers() {
        let (store, v) = build(TWO);
        assert_eq!(store.vhosts.len(), 3);
        assert_eq!(v.list[0].server_name, "a.example");
        assert_eq!(v.list[0].document_root, Path::new("/srv/a"));
        assert_eq!(v.list[0].timeout, Duration::from_secs(30), "inherited");
        assert_eq!(
            v.list[1].server_name, "main.example",
            "* takes the main ServerName"
        );
        assert!(!v.list[1].keep_alive);
        assert!(v.list[0].keep_alive);
        // An exact address without ServerName: its reverse DNS, or Apache's placeholder.
        assert!(!v.list[2].server_name.is_empty());
        assert_eq!(v.list[2].document_root, Path::new("/srv/main"));
        assert_eq!(store.vhosts[0].aliases, vec!["www.a.example".to_owned()]);
    }

    #[test]
    fn sections_of_other_vhosts_never_match_and_the_main_servers_come_first() {
        let (store, v) = build(TWO);
        let sections = |vhost: Option<usize>, p: &[u8]| {
            let mut s = vhost.map_or_else(Vec::new, |i| v.list[i].view.sections.clone());
            s.extend(store.sections_for(vhost, p, None));
            let view = View { sections: s };
            view.last(&store, "sethandler").map(|o| o.arg0().to_owned())
        };
        assert_eq!(sections(None, b"/x").as_deref(), Some("main-x"));
        assert_eq!(sections(Some(0), b"/x").as_deref(), Some("a-x"));
        // The vhost's `<Location />` is applied after the main server's `<Location /x>`.
        assert_eq!(sections(Some(1), b"/x").as_deref(), Some("b-all"));
        assert_eq!(sections(Some(2), b"/x").as_deref(), Some("main-x"));
        assert_eq!(sections(None, b"/y"), None);
    }

    #[test]
    fn run_cfg_names_user_and_group_as_configured() {
        let store = read("User root\nGroup #0\n").unwrap();
        let settings = CoreSettings::from_store(&store, &std::env::temp_dir()).unwrap();
        let text = dump::run_cfg(&store, &settings, &["DUMP_RUN_CFG".to_owned()]);
        assert!(
            text.ends_with(
                "Define: DUMP_RUN_CFG\nUser: name=\"root\" id=0\nGroup: name=\"#0\" id=0\n"
            ),
            "{text}"
        );
        let (store, v) = build(TWO);
        let dump = dump::vhosts(&store, &v);
        assert!(
            dump.starts_with("VirtualHost configuration:\n127.0.0.2:80 "),
            "{dump}"
        );
        assert!(dump.contains("\n*:80                   is a NameVirtualHost\n         default server a.example (t.conf:"), "{dump}");
    }

    #[test]
    fn contexts_inside_virtualhost_are_apaches() {
        let e = read("<VirtualHost *:80>\nListen 8080\n</VirtualHost>\n").unwrap_err();
        assert_eq!(
            e,
            "Syntax error on line 2 of t.conf: Listen cannot occur within <VirtualHost> section"
        );
        let e =
            read("<Location />\n<VirtualHost *:80>\n</VirtualHost>\n</Location>\n").unwrap_err();
        assert!(
            e.ends_with("<VirtualHost> cannot occur within <Location> section"),
            "{e}"
        );
        let e = read("<VirtualHost *:80>\n<VirtualHost *:81>\n").unwrap_err();
        assert!(
            e.ends_with("<VirtualHost> cannot occur within <VirtualHost> section"),
            "{e}"
        );
        let e = read("ServerAlias x\n").unwrap_err();
        assert!(e.ends_with("ServerAlias only used in <VirtualHost>"), "{e}");
        let e = read("<VirtualHost www.example.com:80>\n</VirtualHost>\n").unwrap_err();
        assert!(e.contains("is not an IP address"), "{e}");
        let e = read("UseCanonicalName DNS\n").unwrap_err();
        assert!(e.contains("UseCanonicalName DNS is not supported"), "{e}");
        let e =
            read("<VirtualHost *:80>\n<Location />\nServerName x\n</Location>\n</VirtualHost>\n")
                .unwrap_err();
        assert!(
            e.ends_with("ServerName not allowed in <Location> context"),
            "{e}"
        );
        let e = read("<VirtualHost>\n</VirtualHost>\n").unwrap_err();
        assert!(
            e.contains("<VirtualHost> requires at least one argument"),
            "{e}"
        );
        let e = read("<VirtualHost *:http>\n</VirtualHost>\n").unwrap_err();
        assert!(e.contains("The address or port is invalid"), "{e}");
        let addr = |s: &str| {
            crate::config::store::VhostAddr::parse(s)
                .unwrap()
                .to_string()
        };
        assert_eq!(addr("[::1]:8080"), "[::1]:8080");
        assert_eq!(addr("_default_:*"), "*:*");
        assert_eq!(addr("10.0.0.1"), "10.0.0.1:*");
        read("<VirtualHost *:80 [::1]:8080 _default_:*>\n<Directory /srv>\nOptions None\n</Directory>\nServerAdmin a@b\n</VirtualHost>\n")
            .unwrap();
    }
}
