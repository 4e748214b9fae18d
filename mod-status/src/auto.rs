//! `?auto`: Apache 2.4's machine-readable report, key for key and in Apache's order, so the tools
//! that scrape Apache (prometheus-apache-exporter, collectd, Munin, Zabbix…) read mapache
//! unchanged. As in Apache, the totals block needs `ExtendedStatus On`, the rates appear once
//! there is something to divide by, `CPULoad` once CPU time was spent, and the connection block
//! only for async MPMs.

use crate::format::{g, local_time, uptime};
use crate::report::Report;
use std::fmt::Write as _;

/// The report as `text/plain`, one `Key: value` a line after the server's name.
pub fn render(r: &Report) -> String {
    let s = &r.snap;
    let sum = &r.sum;
    let up = r.uptime();
    let mut o = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(o, "{}", r.server_name);
    let _ = writeln!(o, "ServerVersion: {}", r.version);
    let _ = writeln!(o, "ServerMPM: {}", s.mpm());
    let _ = writeln!(o, "Server Built: {}", s.built());
    let _ = writeln!(o, "CurrentTime: {}", local_time(s.now_us));
    let _ = writeln!(o, "RestartTime: {}", local_time(s.global.restart_time_us));
    // Apache counts config and MPM generations apart; here every restart reloads both.
    let _ = writeln!(o, "ParentServerConfigGeneration: {}", s.global.generation);
    let _ = writeln!(o, "ParentServerMPMGeneration: {}", s.global.generation);
    let _ = writeln!(o, "ServerUptimeSeconds: {up}");
    let _ = writeln!(o, "ServerUptime:{}", uptime(up));
    let [l1, l5, l15] = r.load.unwrap_or_default();
    let _ = writeln!(o, "Load1: {l1:.2}\nLoad5: {l5:.2}\nLoad15: {l15:.2}");
    if r.extended {
        let _ = writeln!(o, "Total Accesses: {}", sum.accesses);
        let _ = writeln!(o, "Total kBytes: {}", r.kbytes());
        let _ = writeln!(o, "Total Duration: {}", r.duration_ms());
        if let Some(cpu) = r.cpu {
            let _ = writeln!(o, "CPUUser: {}", g(cpu.user));
            let _ = writeln!(o, "CPUSystem: {}", g(cpu.system));
            let _ = writeln!(o, "CPUChildrenUser: {}", g(cpu.children_user));
            let _ = writeln!(o, "CPUChildrenSystem: {}", g(cpu.children_system));
            if let Some(load) = r.cpu_load() {
                let _ = writeln!(o, "CPULoad: {}", g(load));
            }
        }
        let _ = writeln!(o, "Uptime: {up}");
        if let (Some(rps), Some(bps)) = (r.requests_per_sec(), r.bytes_per_sec()) {
            let _ = writeln!(o, "ReqPerSec: {}", g(rps));
            let _ = writeln!(o, "BytesPerSec: {}", g(bps));
        }
        if let (Some(bpr), Some(mspr)) = (r.bytes_per_request(), r.ms_per_request()) {
            let _ = writeln!(o, "BytesPerReq: {}", g(bpr));
            let _ = writeln!(o, "DurationPerReq: {}", g(mspr));
        }
    }
    let _ = writeln!(o, "BusyWorkers: {}", sum.busy);
    let _ = writeln!(o, "GracefulWorkers: {}", sum.graceful);
    let _ = writeln!(o, "IdleWorkers: {}", sum.idle);
    if s.is_async() {
        let _ = writeln!(o, "Processes: {}", sum.processes);
        let _ = writeln!(o, "Stopping: {}", sum.stopping);
        let _ = writeln!(o, "ConnsTotal: {}", sum.conns.total);
        let _ = writeln!(o, "ConnsAsyncWriting: {}", sum.conns.writing);
        let _ = writeln!(o, "ConnsAsyncKeepAlive: {}", sum.conns.keepalive);
        let _ = writeln!(o, "ConnsAsyncClosing: {}", sum.conns.closing);
    }
    let _ = writeln!(o, "Scoreboard: {}", s.letters());
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::tests::sample;

    fn keys(text: &str) -> Vec<String> {
        text.lines()
            .skip(1)
            .map(|l| l.split_once(':').expect(l).0.to_owned())
            .collect()
    }

    #[test]
    fn keys_in_apache_order() {
        let mut snap = sample();
        snap.global.mpm_name[..5].copy_from_slice(b"event");
        snap.global.mpm_flags = mapache_plugin_api::abi::MAPACHE_MPM_ASYNC;
        let r = Report::new("www.example", "mapache/0.1.0", true, snap);
        let text = render(&r);
        assert_eq!(text.lines().next(), Some("www.example"));
        let mut expected = vec![
            "ServerVersion",
            "ServerMPM",
            "Server Built",
            "CurrentTime",
            "RestartTime",
            "ParentServerConfigGeneration",
            "ParentServerMPMGeneration",
            "ServerUptimeSeconds",
            "ServerUptime",
            "Load1",
            "Load5",
            "Load15",
            "Total Accesses",
            "Total kBytes",
            "Total Duration",
            "CPUUser",
            "CPUSystem",
            "CPUChildrenUser",
            "CPUChildrenSystem",
            "CPULoad",
            "Uptime",
            "ReqPerSec",
            "BytesPerSec",
            "BytesPerReq",
            "DurationPerReq",
            "BusyWorkers",
            "GracefulWorkers",
            "IdleWorkers",
            "Processes",
            "Stopping",
            "ConnsTotal",
            "ConnsAsyncWriting",
            "ConnsAsyncKeepAlive",
            "ConnsAsyncClosing",
            "Scoreboard",
        ];
        if r.cpu_load().is_none() {
            expected.retain(|k| *k != "CPULoad");
        }
        assert_eq!(keys(&text), expected, "{text}");
        assert!(text.contains("\nTotal Accesses: 28\n"), "{text}");
        assert!(text.contains("\nTotal kBytes: 1\n"), "{text}");
        assert!(text.contains("\nUptime: 6\n"), "{text}");
        assert!(text.contains("\nBusyWorkers: 3\nGracefulWorkers: 0\nIdleWorkers: 1\n"));
        assert!(text.ends_with("\nScoreboard: W_KG_._RI...\n"), "{text}");
    }

    #[test]
    fn without_extended_status_the_totals_go() {
        let r = Report::new("h", "v", false, sample());
        let text = render(&r);
        let k = keys(&text);
        assert!(
            !k.iter().any(|k| k == "Total Accesses" || k == "Uptime"),
            "{text}"
        );
        assert!(!k.iter().any(|k| k == "ConnsTotal"), "prefork-like: {text}");
        assert_eq!(
            k[k.len() - 4..],
            [
                "BusyWorkers",
                "GracefulWorkers",
                "IdleWorkers",
                "Scoreboard"
            ]
        );
    }
}
