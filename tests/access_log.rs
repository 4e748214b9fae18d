//! Access logs against the real server: Combined Log Format lines with Apache's exact field
//! shapes and escaping, LogFormat nicknames and custom formats, several CustomLogs, a piped
//! `|program` log, nothing lost when the server is stopped with TERM, failed writes reported
//! (a full disk, a FIFO no one reads) and their recovery, and goaccess reading the result.

use mapache_tests::*;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Runs `f` for every MPM built, at the same time (each run starts its own server).
fn each_mpm(f: impl Fn(&'static str) + Sync) {
    let f = &f;
    std::thread::scope(|scope| {
        let runs: Vec<_> = mpms()
            .into_iter()
            .map(|mpm| scope.spawn(move || f(mpm)))
            .collect();
        for run in runs {
            if let Err(panic) = run.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

fn start(root: &Root, mpm: &str, logs: &str) -> Server {
    configure(root, mpm, logs);
    Server::start(root, &[])
}

fn configure(root: &Root, mpm: &str, logs: &str) {
    root.write("htdocs/a.txt", b"file a");
    root.config(&format!(
        "{}StartServers 1\nServerName www.example.test:8080\n\
         <Location /echo>\nSetHandler test-echo\n</Location>\n{logs}\n",
        modules_for(mpm)
    ));
}

/// As `start`, with `ErrorLog logs/error_log` (the address is read from there).
fn start_logging_to_file(root: &Root, mpm: &str, logs: &str) -> Server {
    configure(root, mpm, &format!("ErrorLog logs/error_log\n{logs}"));
    let log = root.path().join("logs/error_log");
    Server::start_with(root, &[], &[], |_| {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.split("listening on ").nth(1).map(|a| a.trim().to_owned()))
    })
}

/// Sends one request and reads until the server closes: the line is written by then.
fn request(s: &Server, raw: &[u8]) -> Vec<u8> {
    let mut c = s.connect();
    c.write_all(raw).unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    out
}

/// One Combined Log Format line, split into its fields; quoted fields keep their escapes.
#[derive(Debug, PartialEq)]
struct Combined {
    host: String,
    ident: String,
    user: String,
    time: String,
    request: String,
    status: String,
    bytes: String,
    referer: String,
    agent: String,
}

fn parse_combined(line: &str) -> Combined {
    let mut rest = line;
    let word = |rest: &mut &str| -> String {
        let s = rest.trim_start_matches(' ');
        let (w, r) = if let Some(q) = s.strip_prefix('"') {
            // Up to the first quote that no backslash escapes.
            let mut end = None;
            let mut escaped = false;
            for (i, c) in q.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end.unwrap_or_else(|| panic!("unterminated quote in {line}"));
            (&q[..end], &q[end + 1..])
        } else if let Some(b) = s.strip_prefix('[') {
            let end = b.find(']').unwrap_or_else(|| panic!("no ] in {line}"));
            (&b[..end], &b[end + 1..])
        } else {
            let end = s.find(' ').unwrap_or(s.len());
            (&s[..end], &s[end..])
        };
        *rest = r;
        w.to_owned()
    };
    let c = Combined {
        host: word(&mut rest),
        ident: word(&mut rest),
        user: word(&mut rest),
        time: word(&mut rest),
        request: word(&mut rest),
        status: word(&mut rest),
        bytes: word(&mut rest),
        referer: word(&mut rest),
        agent: word(&mut rest),
    };
    assert!(rest.is_empty(), "trailing text in {line}");
    c
}

/// `22/Nov/2026:04:00:34 +0000`
fn assert_clf_time(t: &str) {
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    assert_eq!(b.len(), 26, "{t}");
    assert!(digits(0..2) && b[2] == b'/', "{t}");
    assert!(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            .contains(&&t[3..6]),
        "{t}"
    );
    assert!(b[6] == b'/' && digits(7..11) && b[11] == b':', "{t}");
    assert!(
        digits(12..14) && b[14] == b':' && digits(15..17) && b[17] == b':',
        "{t}"
    );
    assert!(digits(18..20) && b[20] == b' ', "{t}");
    assert!((b[21] == b'+' || b[21] == b'-') && digits(22..26), "{t}");
}

fn error_page_len(raw: &[u8]) -> String {
    parse_responses(raw, false)[0].body.len().to_string()
}

#[test]
fn combined_lines_have_apaches_shape() {
    each_mpm(|mpm| {
        let root = Root::new();
        let s = start(&root, mpm, "CustomLog logs/access_log combined");
        request(&s, b"GET /a.txt HTTP/1.1\r\nHost: t\r\nReferer: http://ref.example/page\r\nUser-Agent: agent/1.0\r\nConnection: close\r\n\r\n");
        request(
            &s,
            b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        let missing = request(
            &s,
            b"GET /missing?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        request(&s, b"POST /echo HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello");
        request(&s, b"GET /a.txt HTTP/1.1\r\nHost: t\r\nUser-Agent: evil \"quote\"\tx\\y \xc3\xa9\r\nConnection: close\r\n\r\n");
        let brew = request(&s, b"BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n");
        // Two requests on one kept-alive connection, then the close.
        request(&s, b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");

        let got = file_lines(&root.path().join("logs/access_log"), 8);
        assert_eq!(got.len(), 8, "{mpm}: {got:#?}");
        let parsed: Vec<Combined> = got.iter().map(|l| parse_combined(l)).collect();
        for p in &parsed {
            assert_eq!(
                (p.host.as_str(), p.ident.as_str(), p.user.as_str()),
                ("127.0.0.1", "-", "-")
            );
            assert_clf_time(&p.time);
        }
        let fields = |p: &Combined| {
            [
                p.request.clone(),
                p.status.clone(),
                p.bytes.clone(),
                p.referer.clone(),
                p.agent.clone(),
            ]
        };
        let expect = |r: &str, s: &str, b: &str, re: &str, a: &str| {
            [
                r.to_owned(),
                s.to_owned(),
                b.to_owned(),
                re.to_owned(),
                a.to_owned(),
            ]
        };
        assert_eq!(
            fields(&parsed[0]),
            expect(
                "GET /a.txt HTTP/1.1",
                "200",
                "6",
                "http://ref.example/page",
                "agent/1.0"
            ),
            "{mpm}"
        );
        // HEAD sends no body: %b is "-".
        assert_eq!(
            fields(&parsed[1]),
            expect("HEAD /a.txt HTTP/1.1", "200", "-", "-", "-")
        );
        assert_eq!(
            fields(&parsed[2]),
            expect(
                "GET /missing?x=1 HTTP/1.1",
                "404",
                &error_page_len(&missing),
                "-",
                "-"
            )
        );
        let echo_len = "POST /echo HTTP/1.0 5\nhello".len().to_string();
        assert_eq!(
            fields(&parsed[3]),
            expect("POST /echo HTTP/1.0", "200", &echo_len, "-", "-")
        );
        // Quotes, backslashes, tabs and non-ASCII bytes escaped as Apache does.
        assert_eq!(
            parsed[4].agent, "evil \\\"quote\\\"\\tx\\\\y \\xc3\\xa9",
            "{mpm}"
        );
        // A request that could not be served is logged with the line as received.
        assert_eq!(
            fields(&parsed[5]),
            expect(
                "BREW /pot HTTP/1.1",
                "501",
                &error_page_len(&brew),
                "-",
                "-"
            )
        );
        assert_eq!(
            fields(&parsed[6]),
            expect("GET /a.txt HTTP/1.1", "200", "6", "-", "-")
        );
        assert_eq!(fields(&parsed[7]), fields(&parsed[6]));
    });
}

#[test]
fn bytes_file_handler_cookie_log_id_and_trailers_as_apache_logs_them() {
    each_mpm(|mpm| {
        let root = Root::new();
        let s = start_logging_to_file(
            &root,
            mpm,
            "CustomLog logs/items \"%O|%I|%S|%f|%L|%R|%{c}C|%k|%{X-Sum}^ti|%{X-Sum}^to|%h\"\n\
             ErrorLogFormat \"%L %M\"\n\
             <Location /denied>\nRequire all denied\n</Location>\n",
        );
        let get = b"GET /a.txt HTTP/1.1\r\nHost: t\r\nCookie: a=0; c=42\r\n\r\n";
        let post = b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 7\r\n\r\n";
        let raw = request(&s, &[&get[..], &post[..]].concat());
        let responses = parse_responses(&raw, false);
        assert_eq!(responses.len(), 2, "{mpm}");
        // The bytes each response took on the wire: the first ends where the second begins.
        let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let second = head_end + responses[0].body.len();
        assert_eq!(responses[0].body, b"file a");
        let denied = request(
            &s,
            b"GET /denied HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        let lines = file_lines(&root.path().join("logs/items"), 3);
        let f: Vec<Vec<&str>> = lines.iter().map(|l| l.split('|').collect()).collect();
        let file = root.path().join("htdocs/a.txt");
        assert_eq!(
            f[0],
            [
                second.to_string().as_str(),
                get.len().to_string().as_str(),
                (second + get.len()).to_string().as_str(),
                file.to_str().unwrap(),
                f[0][4],
                "-",
                "42",
                "0",
                "-",
                "-",
                "127.0.0.1"
            ],
            "{mpm}"
        );
        assert_eq!(
            f[1][..4],
            [
                (raw.len() - second).to_string().as_str(),
                post.len().to_string().as_str(),
                (raw.len() - second + post.len()).to_string().as_str(),
                // As Apache's r->filename: DocumentRoot and the path, handler or not.
                root.path().join("htdocs/echo").to_str().unwrap(),
            ],
            "{mpm}: {}",
            lines[1]
        );
        assert_eq!(
            f[1][5..],
            ["test-echo", "-", "1", "7", "-", "127.0.0.1"],
            "{mpm}"
        );
        // A log id per request, the same one the error log shows for its lines.
        assert_ne!(f[0][4], f[1][4]);
        assert!(f[2][4].len() > 3, "{}", lines[2]);
        assert_eq!(f[2][0], denied.len().to_string());
        let errors = file_lines(&root.path().join("logs/error_log"), 1);
        let line = errors
            .iter()
            .find(|l| l.contains("client denied"))
            .unwrap_or_else(|| panic!("{errors:?}"));
        assert!(
            line.starts_with(&format!(
                "{} client denied by server configuration",
                f[2][4]
            )),
            "{line}"
        );
    });
}

#[test]
fn hostname_lookups_name_the_client_in_h() {
    for (mode, expect) in [
        ("Off", "127.0.0.1"),
        ("On", "localhost"),
        ("Double", "localhost"),
    ] {
        let root = Root::new();
        let s = start(
            &root,
            "prefork",
            &format!("HostnameLookups {mode}\nCustomLog logs/h \"%h %a\"\n"),
        );
        request(
            &s,
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
        let lines = file_lines(&root.path().join("logs/h"), 1);
        assert_eq!(
            lines,
            [format!("{expect} 127.0.0.1")],
            "HostnameLookups {mode}"
        );
    }
}

#[test]
fn log_formats_nicknames_and_several_logs() {
    let root = Root::new();
    let s = start(
        &root,
        "prefork",
        "LogFormat \"%m %U%q %>s %b %B %{X-Test}i %{Content-Type}o %H %v %V %p %X %k %%\" mine\n\
         CustomLog logs/mine mine\n\
         CustomLog logs/inline \"%h %{Content-Length}o %D %T [%{%Y}t]\"\n\
         CustomLog logs/common common\n",
    );
    // HTTP/1.2 is served as HTTP/1.1 and logged as sent, as Apache does.
    request(&s, b"GET /a.txt?q=1 HTTP/1.1\r\nHost: Name.Example:81\r\nX-Test: yes\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\nGET /a.txt HTTP/1.2\r\nHost: t\r\nConnection: close\r\n\r\n");
    let port = s.addr.port();
    let mine = file_lines(&root.path().join("logs/mine"), 3);
    assert!(mine[2].contains(" HTTP/1.2 "), "{}", mine[2]);
    // %V is the host asked for as Apache has it: lower case, without the port.
    assert_eq!(
        mine[0],
        format!("GET /a.txt?q=1 200 6 6 yes text/plain HTTP/1.1 www.example.test name.example {port} + 0 %")
    );
    assert!(
        mine[1].starts_with("GET /missing 404 ")
            && mine[1].ends_with(&format!(
                " - text/html; charset=iso-8859-1 HTTP/1.1 www.example.test t {port} + 1 %"
            )),
        "{}",
        mine[1]
    );
    let inline = file_lines(&root.path().join("logs/inline"), 2);
    let f: Vec<&str> = inline[0].split(' ').collect();
    assert_eq!(f[0], "127.0.0.1");
    assert_eq!(f[1], "6");
    assert!(
        f[2].parse::<u64>().is_ok() && f[3].parse::<u64>().is_ok(),
        "{}",
        inline[0]
    );
    assert!(f[4].len() == 6 && f[4].starts_with("[2"), "{}", inline[0]);
    let common = file_lines(&root.path().join("logs/common"), 3);
    assert!(
        common[0].ends_with("\"GET /a.txt?q=1 HTTP/1.1\" 200 6"),
        "{}",
        common[0]
    );
    assert!(
        common[2].ends_with("\"GET /a.txt HTTP/1.2\" 200 6"),
        "{}",
        common[2]
    );
}

#[test]
fn bad_log_configuration_is_refused_with_a_reason() {
    let root = Root::new();
    for (line, needle) in [
        (
            "LogFormat \"%h %Z\" x",
            "Unrecognized LogFormat directive %Z",
        ),
        (
            "CustomLog logs/x combind",
            "neither a LogFormat nickname nor a format",
        ),
        ("CustomLog logs/x combined env=foo", "not supported"),
        ("CustomLog logs/x", "CustomLog takes two arguments"),
        (
            "<Location /x>\nCustomLog logs/x common\n</Location>",
            "CustomLog not allowed in <Location> context",
        ),
    ] {
        let conf = root.config(&format!("{}{line}\n", modules_for("prefork")));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_eq!(out.code, Some(1), "{line}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{line}: {}", out.stderr);
    }
    // A log file that cannot be opened stops the start with one clear line.
    let conf = root.config(&format!(
        "{}CustomLog /nonexistent-dir/access_log common\n",
        modules_for("prefork")
    ));
    let out = run(&["-f", conf.to_str().unwrap(), "-DFOREGROUND"]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("could not open access log file /nonexistent-dir/access_log"),
        "{}",
        out.stderr
    );
}

#[test]
fn piped_logs_get_every_line_and_nothing_is_lost_after_term() {
    each_mpm(|mpm| {
        let root = Root::new();
        let piped = root.path().join("logs/piped.log");
        let errors = root.path().join("logs/piped_error.log");
        // The error log goes through a program too; tee hands the lines on to standard error,
        // where the harness looks for the listening address.
        let s = start(
            &root,
            mpm,
            &format!(
                "CustomLog \"|cat >> '{}'\" combined\nCustomLog logs/direct combined\n\
                 ErrorLog \"|tee -a '{}' >&2\"",
                piped.display(),
                errors.display()
            ),
        );
        let n = 20;
        for i in 0..n {
            let raw = request(
                &s,
                format!("GET /a.txt?n={i} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            assert_eq!(parse_responses(&raw, false)[0].status, 200, "{mpm}");
        }
        // A connection still open when TERM comes: its child is stopped in the middle of it.
        let mut idle = s.connect();
        idle.write_all(b"GET /a.txt HTTP/1.1\r\n").unwrap();
        // SAFETY: signalling the server we started.
        unsafe { libc::kill(s.pid() as i32, libc::SIGTERM) };
        for path in [&piped, &root.path().join("logs/direct")] {
            let got = file_lines(path, n);
            assert_eq!(got.len(), n, "{mpm}: {}: {got:#?}", path.display());
            for (i, l) in got.iter().enumerate() {
                assert_eq!(
                    parse_combined(l).request,
                    format!("GET /a.txt?n={i} HTTP/1.1"),
                    "{mpm}"
                );
            }
        }
        let errors = file_lines(&errors, 1).join("\n");
        assert!(errors.contains("listening on"), "{mpm}: {errors}");
        drop(idle);
    });
}

#[test]
fn goaccess_reads_the_combined_log() {
    let have = std::process::Command::new("goaccess")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("NOTE: goaccess is not installed (apt-get install -y goaccess); skipping the goaccess check");
        return;
    }
    let root = Root::new();
    let s = start(&root, "prefork", "CustomLog logs/access_log combined");
    request(&s, b"GET /a.txt HTTP/1.1\r\nHost: t\r\nReferer: http://ref.example/\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0\r\nConnection: close\r\n\r\n");
    request(&s, b"HEAD /a.txt HTTP/1.0\r\n\r\n");
    request(
        &s,
        b"GET /missing HTTP/1.1\r\nHost: t\r\nUser-Agent: curl/7.88.1\r\nConnection: close\r\n\r\n",
    );
    request(
        &s,
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    );
    request(
        &s,
        b"GET /a.txt HTTP/1.1\r\nHost: t\r\nUser-Agent: q\"uote\r\nConnection: close\r\n\r\n",
    );
    let log = root.path().join("logs/access_log");
    assert_eq!(file_lines(&log, 5).len(), 5);
    let report = root.path().join("report.json");
    let out = std::process::Command::new("goaccess")
        .arg(&log)
        .args(["--log-format=COMBINED", "--no-global-config", "-o"])
        .arg(&report)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run goaccess");
    assert!(
        out.status.success(),
        "goaccess failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&log).unwrap()
    );
    let json = std::fs::read_to_string(&report).unwrap();
    let compact: String = json.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(compact.contains("\"total_requests\":5"), "{json}");
    assert!(compact.contains("\"failed_requests\":0"), "{json}");
}

/// The pid in an error-log line's `[pid N]`.
fn pid_of(line: &str) -> &str {
    line.split("[pid ")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .unwrap_or_else(|| panic!("no [pid] in {line}"))
}

#[test]
fn a_full_disk_is_reported_once_per_process_and_the_server_goes_on() {
    each_mpm(|mpm| {
        let root = Root::new();
        let started = Instant::now();
        // /dev/full: every write fails with ENOSPC, as on a full file system.
        let s = start(
            &root,
            mpm,
            "CustomLog /dev/full common\nCustomLog logs/access_log common",
        );
        let mut spec = LoadSpec::new(4, "/a.txt", b"file a");
        spec.max_requests_per_client = 100;
        spec.pause = Duration::ZERO;
        let load = Load::start(s.addr, spec);
        let needle = "(28)No space left on device: AH00646: Error writing to /dev/full";
        assert!(s.wait_log(needle, 10), "{mpm}: {}", s.log_text());
        let report = {
            assert!(
                wait_until(Duration::from_secs(30), || load.served() + load.failed()
                    >= 400),
                "{mpm}: load did not finish"
            );
            load.stop()
        };
        assert_eq!(
            (report.served, report.failed),
            (400, 0),
            "{mpm}: {:?}",
            report.failures
        );
        // The other log has every line: one failing log does not stop the others.
        assert_eq!(
            file_lines(&root.path().join("logs/access_log"), 400).len(),
            400,
            "{mpm}"
        );
        // Bounded: each process says it once, then at most once a minute (with the count).
        let reports: Vec<String> = s
            .log_lines()
            .into_iter()
            .filter(|l| l.contains(needle))
            .collect();
        let minutes = started.elapsed().as_secs() / 60;
        let mut pids: Vec<&str> = reports.iter().map(|l| pid_of(l)).collect();
        pids.sort_unstable();
        pids.dedup();
        for pid in pids {
            let mine: Vec<&String> = reports.iter().filter(|l| pid_of(l) == pid).collect();
            let first = mine.iter().filter(|l| !l.contains("lost so far")).count();
            assert_eq!(first, 1, "{mpm}: pid {pid}: {mine:#?}");
            assert!(
                mine.len() as u64 <= 1 + minutes,
                "{mpm}: pid {pid} reported {} times in {minutes} minutes: {mine:#?}",
                mine.len()
            );
        }
        assert!(
            reports.iter().all(|l| l.contains("[log_config:error]")),
            "{mpm}: {reports:#?}"
        );
    });
}

/// One process for the whole test, so the process that lost lines is the one that writes again.
fn one_process(mpm: &str) -> &'static str {
    match mpm {
        "prefork" => "MinSpareServers 1\nMaxSpareServers 1\nServerLimit 1\nMaxRequestWorkers 1\n",
        _ => {
            "ServerLimit 1\nThreadsPerChild 2\nThreadLimit 2\nMaxRequestWorkers 2\n\
              MinSpareThreads 1\nMaxSpareThreads 4\n"
        }
    }
}

#[test]
fn a_log_that_works_again_says_so_with_the_lines_lost() {
    use std::os::unix::fs::OpenOptionsExt;
    each_mpm(|mpm| {
        let root = Root::new();
        // A FIFO: writes fail with EPIPE while no one reads it, and work again once someone does.
        let fifo = root.path().join("logs/fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a NUL-terminated path we own.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let open_reader = || {
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo)
                .unwrap()
        };
        let mut reader = open_reader();
        let s = start(
            &root,
            mpm,
            &format!("{}CustomLog logs/fifo \"%U%q\"", one_process(mpm)),
        );
        let get = |q: u32| {
            let raw = request(
                &s,
                format!("GET /a.txt?{q} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            assert_eq!(parse_responses(&raw, false)[0].status, 200, "{mpm}");
        };
        let read_until = |reader: &mut std::fs::File, want: &str| {
            let mut got = String::new();
            let found = wait_until(Duration::from_secs(10), || {
                let mut buf = [0u8; 4096];
                if let Ok(n) = reader.read(&mut buf) {
                    got.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
                got.contains(want)
            });
            assert!(found, "{mpm}: read {got:?}, not {want:?}");
        };
        get(1);
        read_until(&mut reader, "/a.txt?1\n");
        drop(reader);
        for q in 2..5 {
            get(q);
        }
        let failed = format!(
            "(32)Broken pipe: AH00646: Error writing to {}",
            fifo.display()
        );
        assert!(s.wait_log(&failed, 10), "{mpm}: {}", s.log_text());
        let mut reader = open_reader();
        get(5);
        read_until(&mut reader, "/a.txt?5\n");
        let again = format!(
            "access log {} works again; 3 lines were lost",
            fifo.display()
        );
        assert!(s.wait_log(&again, 10), "{mpm}: {}", s.log_text());
        assert_eq!(s.log_count(&failed), 1, "{mpm}: {}", s.log_text());
    });
}

#[test]
fn buffered_logs_write_whole_lines_in_few_writes_and_lose_none() {
    for mpm in ["prefork", "event"] {
        let root = Root::new();
        let s = start(
            &root,
            mpm,
            "BufferedLogs On\nCustomLog logs/access_log combined",
        );
        let one = "GET /a.txt HTTP/1.1\r\nHost: t\r\nUser-Agent: buffered/1.0\r\n\r\n";
        let n = 60;
        let traced = trace_syscalls(&s, root.path(), "write,writev", || {
            let raw = request(
                &s,
                format!(
                    "{}GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                    one.repeat(n - 1)
                )
                .as_bytes(),
            );
            assert_eq!(parse_responses(&raw, false).len(), n, "{mpm}");
        });
        // Lines are whole and none is lost: the timer (or the child's exit) writes the rest.
        let lines = file_lines(&root.path().join("logs/access_log"), n);
        assert_eq!(lines.len(), n, "{mpm}");
        for l in &lines {
            parse_combined(l);
        }
        let Some(traced) = traced else {
            eprintln!("NOTE: strace is missing or cannot attach; skipping the count of writes");
            continue;
        };
        let writes = traced
            .lines()
            .filter(|l| l.contains("logs/access_log>"))
            .count();
        // 60 lines of ~100 bytes: a couple of 4 KiB buffers, not one write a line.
        assert!(
            writes > 0 && writes <= n / 10,
            "{mpm}: {writes} writes for {n} lines"
        );
    }
}

#[test]
fn buffered_logs_are_written_when_children_exit() {
    let root = Root::new();
    let s = start(
        &root,
        "worker",
        "BufferedLogs On\nCustomLog logs/access_log common",
    );
    for _ in 0..5 {
        request(
            &s,
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        );
    }
    // A stop at once: idle children exit through child_exit, writing what they hold (unless
    // the one-second timer did already; either way no line is lost or split).
    assert_eq!(s.stop(15), Some(0));
    let text = std::fs::read_to_string(root.path().join("logs/access_log")).unwrap();
    assert_eq!(text.lines().count(), 5, "{text}");
}

#[test]
fn debians_stock_formats_log_bytes_sent_with_headers() {
    let root = Root::new();
    let s = start(
        &root,
        "prefork",
        "LogFormat \"%v:%p %h %l %u %t \\\"%r\\\" %>s %O \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\"\" vhost_combined\n\
         LogFormat \"%h %l %u %t \\\"%r\\\" %>s %O \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\"\" combined\n\
         LogFormat \"%h %l %u %t \\\"%r\\\" %>s %O\" common\n\
         LogFormat \"%{Referer}i -> %U\" referer\n\
         LogFormat \"%{User-agent}i\" agent\n\
         CustomLog logs/other_vhosts_access.log vhost_combined\n\
         CustomLog logs/access.log combined\n",
    );
    let raw = request(
        &s,
        b"GET /a.txt HTTP/1.1\r\nHost: t\r\nUser-Agent: deb/1\r\nConnection: close\r\n\r\n",
    );
    let vhost = file_lines(&root.path().join("logs/other_vhosts_access.log"), 1);
    let prefix = format!("www.example.test:{} ", s.addr.port());
    let rest = vhost[0]
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{}", vhost[0]));
    let c = parse_combined(rest);
    assert_eq!(c.request, "GET /a.txt HTTP/1.1");
    assert_eq!(c.bytes, raw.len().to_string(), "%O is the whole response");
    assert_eq!(c.agent, "deb/1");
    let combined = file_lines(&root.path().join("logs/access.log"), 1);
    assert_eq!(parse_combined(&combined[0]).bytes, raw.len().to_string());
}
