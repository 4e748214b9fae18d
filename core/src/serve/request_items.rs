//! What the logs may show about a request beyond its access-log entry: ErrorLogFormat's
//! request items, and the request's log id (`%L` in both logs).

use super::request::RequestCtx;
use crate::logs::error_format::RequestItems;
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests this process gave a log id to.
static LOG_IDS: AtomicU64 = AtomicU64::new(0);

/// A log id unique to the server's life: the request's start (µs), the process and a count,
/// in base 36 (Apache's is a random-looking token too; nothing parses it).
pub fn new_log_id(start_us: u64) -> String {
    let n = LOG_IDS.fetch_add(1, Ordering::Relaxed);
    format!(
        "{}-{}-{}",
        base36(start_us),
        base36(u64::from(std::process::id())),
        base36(n)
    )
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::with_capacity(13);
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
}

impl RequestItems for RequestCtx<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.head.header(name)
    }

    fn env(&self, name: &str) -> Option<&str> {
        find(&self.env, name)
    }

    fn note(&self, name: &str) -> Option<&str> {
        find(&self.notes, name)
    }

    fn log_id(&self) -> String {
        RequestCtx::log_id(self)
    }

    fn keepalives(&self) -> u64 {
        self.conn.served
    }

    fn local(&self) -> String {
        format!("{}:{}", self.conn.local_ip, self.conn.local_port)
    }

    fn peer(&self) -> String {
        self.conn.peer.clone()
    }

    fn host(&self) -> Option<String> {
        Some(String::from_utf8_lossy(self.server_name()).into_owned())
    }

    fn server_name(&self) -> String {
        self.vhost.server_name.clone()
    }
}

fn find<'a>(table: &'a [(String, String)], name: &str) -> Option<&'a str> {
    table
        .iter()
        .rev()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ids_differ() {
        assert_ne!(new_log_id(5), new_log_id(5));
        assert_eq!(base36(0), "0");
        assert_eq!(base36(36 * 36 + 35), "10z");
    }
}
