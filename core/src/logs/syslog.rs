//! `ErrorLog syslog[:facility[:tag]]`: error-log lines as syslog messages, the datagrams
//! libc's syslog(3) sends (RFC 3164 shape, `<PRI>Mmm dd hh:mm:ss tag[pid]: message`) to the
//! local syslog socket, as Apache's `openlog(argv0, LOG_NDELAY|LOG_CONS|LOG_PID, facility)`.
//!
//! The socket is an unconnected datagram socket opened in the master and inherited by every
//! child; each line is one `sendto`, so a restarted syslog daemon is found again without a
//! reconnect, and the pid in each message is the process that logged it.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

/// The environment variable naming another socket than `/dev/log` (for tests).
pub const ENV_SOCKET: &str = "MAPACHE_SYSLOG_SOCKET";

/// Apache's facility names (its `facilities[]` in server/log.c) and their codes.
const FACILITIES: [(&str, i32); 20] = [
    ("auth", libc::LOG_AUTH),
    ("authpriv", libc::LOG_AUTHPRIV),
    ("cron", libc::LOG_CRON),
    ("daemon", libc::LOG_DAEMON),
    ("ftp", libc::LOG_FTP),
    ("kern", libc::LOG_KERN),
    ("lpr", libc::LOG_LPR),
    ("mail", libc::LOG_MAIL),
    ("news", libc::LOG_NEWS),
    ("syslog", libc::LOG_SYSLOG),
    ("user", libc::LOG_USER),
    ("uucp", libc::LOG_UUCP),
    ("local0", libc::LOG_LOCAL0),
    ("local1", libc::LOG_LOCAL1),
    ("local2", libc::LOG_LOCAL2),
    ("local3", libc::LOG_LOCAL3),
    ("local4", libc::LOG_LOCAL4),
    ("local5", libc::LOG_LOCAL5),
    ("local6", libc::LOG_LOCAL6),
    ("local7", libc::LOG_LOCAL7),
];

/// Where `ErrorLog syslog…` sends: a facility and a tag (None: the program's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The facility code (`LOG_LOCAL7` unless named).
    pub facility: i32,
    /// `syslog:facility:tag`'s tag.
    pub tag: Option<String>,
}

impl Destination {
    /// Whether an ErrorLog argument means syslog to Apache (it compares the first six
    /// letters only, so `syslog-errors` is syslog too: [`Destination::parse`] refuses that).
    pub fn is_syslog(arg: &str) -> bool {
        arg.len() >= 6 && arg.as_bytes()[..6].eq_ignore_ascii_case(b"syslog")
    }

    /// Parses `syslog`, `syslog:facility` or `syslog:facility:tag` (an empty facility is
    /// local7, an empty tag the program's name, as in Apache).
    pub fn parse(arg: &str) -> Result<Destination, String> {
        let rest = &arg[6..];
        let Some(rest) = rest.strip_prefix(':').or(rest.is_empty().then_some("")) else {
            return Err(format!(
                "ErrorLog {arg}: a name starting with 'syslog' means syslog; write syslog[:facility[:tag]], or ./{arg} for a file"
            ));
        };
        let (name, tag) = match rest.split_once(':') {
            Some((n, t)) => (n, (!t.is_empty()).then(|| t.to_owned())),
            None => (rest, None),
        };
        let facility = if name.is_empty() {
            libc::LOG_LOCAL7
        } else {
            FACILITIES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|&(_, code)| code)
                .ok_or_else(|| {
                    format!(
                        "ErrorLog {arg}: unknown syslog facility '{name}' (one of auth, authpriv, cron, daemon, ftp, kern, lpr, mail, news, syslog, user, uucp, local0 to local7)"
                    )
                })?
        };
        Ok(Destination { facility, tag })
    }
}

/// The open syslog destination.
pub struct Syslog {
    socket: UnixDatagram,
    path: PathBuf,
    facility: i32,
    tag: String,
}

impl Syslog {
    /// Opens the socket (the daemon need not be there yet: a line that cannot be sent is lost,
    /// as with libc's syslog).
    pub fn open(dest: &Destination) -> Result<Syslog, String> {
        let socket = UnixDatagram::unbound()
            .map_err(|e| format!("could not open a socket for syslog: {e}"))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| format!("could not open a socket for syslog: {e}"))?;
        let path = std::env::var_os(ENV_SOCKET)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/dev/log"));
        let tag = dest.tag.clone().unwrap_or_else(program_name);
        Ok(Syslog {
            socket,
            path,
            facility: dest.facility,
            tag,
        })
    }

    /// Sends one message at an error-log level (trace levels are syslog's debug).
    pub fn send(&self, level: i32, msg: &str) {
        let datagram = datagram(
            self.facility,
            level.clamp(0, libc::LOG_DEBUG),
            &self.tag,
            std::process::id(),
            &timestamp(),
            msg,
        );
        // As libc's syslog: a daemon that is not listening loses the line.
        let _ = self.socket.send_to(datagram.as_bytes(), &self.path);
    }
}

/// The program's name as it was started (Apache's `ap_server_argv0`).
fn program_name() -> String {
    std::env::args_os()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "mapache".to_owned())
}

/// `<PRI>Mmm dd hh:mm:ss tag[pid]: message`, as glibc's syslog(3) writes it.
fn datagram(facility: i32, severity: i32, tag: &str, pid: u32, time: &str, msg: &str) -> String {
    format!("<{}>{time} {tag}[{pid}]: {msg}", facility | severity)
}

/// Local time as `Mmm dd hh:mm:ss` (the day padded with a space), syslog's timestamp.
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as libc::time_t;
    // SAFETY: localtime_r writes into the tm we own; a zeroed tm is a valid initial value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&secs, &mut tm) };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {:>2} {:02}:{:02}:{:02}",
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_parse_like_apache() {
        let d = |s: &str| Destination::parse(s).unwrap();
        assert_eq!(d("syslog").facility, libc::LOG_LOCAL7);
        assert_eq!(d("syslog:local1").facility, libc::LOG_LOCAL1);
        assert_eq!(d("SYSLOG:Daemon").facility, libc::LOG_DAEMON);
        assert_eq!(d("syslog::web").facility, libc::LOG_LOCAL7);
        assert_eq!(d("syslog::web").tag.as_deref(), Some("web"));
        assert_eq!(d("syslog:user:").tag, None);
        let e = Destination::parse("syslog:local9").unwrap_err();
        assert!(e.contains("unknown syslog facility 'local9'"), "{e}");
        let e = Destination::parse("syslog-errors").unwrap_err();
        assert!(e.contains("./syslog-errors for a file"), "{e}");
        assert!(Destination::is_syslog("Syslog:x"));
        assert!(!Destination::is_syslog("logs/syslog"));
    }

    #[test]
    fn datagrams_have_libcs_shape() {
        assert_eq!(
            datagram(
                libc::LOG_LOCAL1,
                libc::LOG_ERR,
                "mapache",
                42,
                "Dec  3 17:15:47",
                "[core:error] [pid 42] x"
            ),
            "<139>Dec  3 17:15:47 mapache[42]: [core:error] [pid 42] x"
        );
        let t = timestamp();
        assert_eq!(t.len(), "Dec  3 17:15:47".len(), "{t}");
    }
}
