//! What `-S` prints (Apache's `-t -D DUMP_VHOSTS -D DUMP_RUN_CFG`): the virtual host
//! configuration, one group per address and port, then the run settings.

use super::select::Candidates;
use super::Vhosts;
use crate::config::settings::CoreSettings;
use crate::config::store::{Store, VhostAddr};
use std::fmt::Write;
use std::net::IpAddr;

/// Apache's bucket of an exact address in its table (`hash_addr`: the last four bytes of the
/// address as a native integer, folded): `-S` lists exact sets in that order.
fn bucket(addr: &VhostAddr) -> u32 {
    let last4 = match addr.ip {
        Some(IpAddr::V4(a)) => a.octets(),
        Some(IpAddr::V6(a)) => {
            let o = a.octets();
            [o[12], o[13], o[14], o[15]]
        }
        None => return 0,
    };
    let mut key = u32::from_ne_bytes(last4);
    key ^= key >> 16;
    ((key >> 8) ^ key) % 256
}

fn located(store: &Store, vhosts: &Vhosts, v: usize) -> String {
    let e = &store.vhosts[v];
    format!("{} ({}:{})", vhosts.list[v].server_name, e.file, e.line)
}

fn group(out: &mut String, store: &Store, vhosts: &Vhosts, set: &Candidates) {
    let addr = set.addr.to_string();
    if !set.is_name_based() {
        let v = set.vhosts().next().unwrap_or(0);
        let _ = writeln!(out, "{addr:<22} {}", located(store, vhosts, v));
        return;
    }
    let _ = writeln!(out, "{addr:<22} is a NameVirtualHost");
    let first = set.vhosts().next().unwrap_or(0);
    let _ = writeln!(
        out,
        "{:8} default server {}",
        "",
        located(store, vhosts, first)
    );
    for v in set.vhosts() {
        let port = match set.addr.port {
            0 => "*".to_owned(),
            p => p.to_string(),
        };
        let _ = writeln!(
            out,
            "{:8} port {port} namevhost {}",
            "",
            located(store, vhosts, v)
        );
        let aliases = &store.vhosts[v].aliases;
        for a in aliases.iter().filter(|a| !a.contains(['*', '?'])) {
            let _ = writeln!(out, "{:16} alias {a}", "");
        }
        for a in aliases.iter().filter(|a| a.contains(['*', '?'])) {
            let _ = writeln!(out, "{:16} wild alias {a}", "");
        }
    }
}

/// `-D DUMP_VHOSTS`: `VirtualHost configuration:` and the groups, exact addresses first.
pub fn vhosts(store: &Store, vhosts: &Vhosts) -> String {
    let mut out = String::from("VirtualHost configuration:\n");
    let mut exact: Vec<&Candidates> = vhosts.table.exact.iter().collect();
    exact.sort_by_key(|s| bucket(&s.addr));
    for set in exact.into_iter().chain(&vhosts.table.wildcard) {
        group(&mut out, store, vhosts, set);
    }
    out
}

/// `-D DUMP_RUN_CFG`: ServerRoot, the main server's DocumentRoot and ErrorLog, PidFile, the
/// defines, User and Group, in Apache's words.
pub fn run_cfg(store: &Store, settings: &CoreSettings, defines: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "ServerRoot: \"{}\"", settings.server_root.display());
    let _ = writeln!(
        out,
        "Main DocumentRoot: \"{}\"",
        settings.document_root.display()
    );
    let error_log = settings
        .error_log
        .as_ref()
        .map_or_else(|| "(standard error)".to_owned(), |t| t.to_string());
    let _ = writeln!(out, "Main ErrorLog: \"{error_log}\"");
    let _ = writeln!(out, "PidFile: \"{}\"", settings.pid_file.display());
    for d in defines {
        let _ = writeln!(out, "Define: {d}");
    }
    // As configured, with the id it resolved to (Apache's "#-1" when unset).
    let ids = settings.run_as.as_ref();
    for (what, id) in [("User", ids.map(|r| r.uid)), ("Group", ids.map(|r| r.gid))] {
        match store.server_last(what) {
            Some(o) => {
                let id = id.unwrap_or(u32::MAX);
                let _ = writeln!(out, "{what}: name=\"{}\" id={id}", o.arg0());
            }
            None => {
                let _ = writeln!(out, "{what}: name=\"#-1\" id=4294967295");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_order_exact_addresses_as_apache_does() {
        let a = |s: &str| VhostAddr::parse(s).unwrap();
        // Apache lists 127.0.0.2 before 127.0.0.1 (buckets 125 and 126).
        assert_eq!(bucket(&a("127.0.0.1:80")), 126);
        assert_eq!(bucket(&a("127.0.0.2:80")), 125);
    }
}
