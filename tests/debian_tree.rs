//! Stock Apache configurations, read by mapache unchanged but for what a test must move: Debian's
//! /etc/apache2 tree (apache2 is installed by .ci/run) and the relevant part of Apache's upstream
//! httpd.conf (not in Debian's package: a faithful trimmed copy below).

use mapache_tests::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A server started in the foreground in its own process group, logging to a file (both stock
/// configurations name an ErrorLog); dropping it stops the group.
struct Running {
    child: Child,
    error_log: PathBuf,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Running {
    fn start(mut cmd: Command, error_log: PathBuf) -> Running {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd.spawn().expect("start mapache");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let server = Running {
            child,
            error_log,
            stderr,
        };
        assert!(
            wait_until(Duration::from_secs(10), || server
                .log()
                .contains("resuming normal operations")),
            "the server did not start; error log:\n{}\nstderr:\n{}",
            server.log(),
            server.stderr.lock().unwrap()
        );
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.error_log).unwrap_or_default()
    }

    fn get(&self, port: u16, path: &str) -> Response {
        self.get_with(port, path, "")
    }

    /// A GET with extra header lines (each ending in CRLF).
    fn get_with(&self, port: u16, path: &str, extra: &str) -> Response {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        parse_responses(&raw, false)
            .into_iter()
            .next()
            .expect("a response")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        // SAFETY: signalling the process group of our own child.
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        wait_until(Duration::from_secs(5), || {
            self.child.try_wait().ok().flatten().is_some()
        });
        // SAFETY: as above.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free now (the stock files name fixed ports: the test moves them there).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn running_as_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn uid_of_children(pid: u32) -> Vec<String> {
    let mut uids = Vec::new();
    wait_until(Duration::from_secs(10), || {
        uids = children_of(pid)
            .iter()
            .filter_map(|c| std::fs::read_to_string(format!("/proc/{c}/status")).ok())
            .filter_map(|s| s.lines().find(|l| l.starts_with("Uid:")).map(str::to_owned))
            .collect();
        !uids.is_empty() && uids.iter().all(|u| !u.starts_with("Uid:\t0\t"))
    });
    uids
}

/// Apache's upstream httpd.conf (2.4), its relevant part as shipped: the LoadModule lines of
/// modules the core does (skipped with Apache's "built-in" warning), User and Group inside
/// `<IfModule unixd_module>`, the log_config block with its logio part. Started as root, the
/// children run as `daemon`.
#[test]
fn upstream_httpd_conf_runs_its_children_as_daemon() {
    if !running_as_root() {
        eprintln!("skipped: User and Group only take effect when started as root");
        return;
    }
    let root = Root::new();
    chmod(root.path(), 0o755);
    chmod(&root.path().join("htdocs"), 0o755);
    chmod(&root.write("htdocs/index.html", "It works!\n"), 0o644);
    let port = free_port();
    let static_line = if static_build() {
        "# static_module is built into this mapache".to_owned()
    } else {
        format!(
            "LoadModule static_module {}",
            module("libmod_static.so").display()
        )
    };
    let conf = format!(
        r#"ServerRoot "{root}"
Listen 127.0.0.1:{port}
LoadModule mpm_prefork_module {prefork}
LoadModule authz_host_module modules/mod_authz_host.so
LoadModule authz_core_module modules/mod_authz_core.so
LoadModule reqtimeout_module modules/mod_reqtimeout.so
LoadModule filter_module modules/mod_filter.so
LoadModule log_config_module modules/mod_log_config.so
LoadModule version_module modules/mod_version.so
LoadModule unixd_module modules/mod_unixd.so
{static_line}
<IfModule unixd_module>
#
# If you wish httpd to run as a different user or group, you must run
# httpd as root initially and it will switch.
#
User daemon
Group daemon

</IfModule>
PidFile logs/httpd.pid
DocumentRoot "{root}/htdocs"
<Directory "{root}/htdocs">
    Options Indexes FollowSymLinks
    Require all granted
</Directory>
ErrorLog "logs/error_log"
LogLevel warn
<IfModule log_config_module>
    LogFormat "%h %l %u %t \"%r\" %>s %b \"%{{Referer}}i\" \"%{{User-Agent}}i\"" combined
    LogFormat "%h %l %u %t \"%r\" %>s %b" common

    <IfModule logio_module>
      # You need to enable mod_logio.c to use %I and %O
      LogFormat "%h %l %u %t \"%r\" %>s %b \"%{{Referer}}i\" \"%{{User-Agent}}i\" %I %O" combinedio
    </IfModule>

    CustomLog "logs/access_log" common
</IfModule>
<IfModule headers_module>
    RequestHeader unset Proxy early
</IfModule>
"#,
        root = root.path().display(),
        prefork = module("libmpm_prefork.so").display(),
    );
    let path = root.write("conf/httpd.conf", conf);
    let out = run(&["-t", "-f", &path.display().to_string()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let mut cmd = Command::new(mapache_bin());
    cmd.arg("-f").arg(&path);
    let server = Running::start(cmd, root.path().join("logs/error_log"));
    let resp = server.get(port, "/index.html");
    assert_eq!(resp.status, 200, "{}", server.log());
    for uid in uid_of_children(server.child.id()) {
        assert_eq!(uid, "Uid:\t1\t1\t1\t1", "a child does not run as daemon");
    }
    let access = file_lines(&root.path().join("logs/access_log"), 1);
    assert!(
        access
            .iter()
            .any(|l| l.contains("\"GET /index.html HTTP/1.1\" 200 10")),
        "{access:?}"
    );
}

/// The Debian modules mapache refuses: their .load and
/// .conf links are dropped from the copy.
const NOT_YET: &[&str] = &[
    // Apache 2.2's Order/Allow/Deny: refused (use Require); Debian's files do not use them.
    "access_compat",
];

/// Copies `from` into `to`, links followed (Debian's *-enabled entries are links to
/// *-available).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &target);
        } else if path.is_file() {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Replaces `from` by `to` in the file at `path`.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no '{from}'", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// Debian's stock tree, as apache2ctl runs it: `-d` the tree, `-f apache2.conf`, envvars' values
/// in the environment. What the copy changes: the `.load` files (mapache's module files), the
/// ports (a free one), /var/www and the log, run and lock directories (under the test's temp
/// dir). `-t` passes, then the server serves 000-default's DocumentRoot and logs to its
/// CustomLog and ErrorLog.
/// The modules dropped from the copy are listed in [`NOT_YET`] with why.
#[test]
fn debians_stock_tree() {
    let stock = Path::new("/etc/apache2");
    if !stock.join("apache2.conf").exists() {
        eprintln!("skipped: no /etc/apache2 (apt-get install apache2; .ci/run does)");
        return;
    }
    let root = Root::new();
    chmod(root.path(), 0o755);
    let tree = root.path().join("apache2");
    copy_tree(stock, &tree);
    let mods = tree.join("mods-enabled");
    for name in NOT_YET {
        for ext in ["load", "conf"] {
            let _ = std::fs::remove_file(mods.join(format!("{name}.{ext}")));
        }
    }
    let write_load =
        |name: &str, text: String| std::fs::write(mods.join(format!("{name}.load")), text);
    write_load(
        "mpm_event",
        format!(
            "LoadModule mpm_event_module {}\n",
            module("libmpm_event.so").display()
        ),
    )
    .unwrap();
    write_load(
        "status",
        format!(
            "LoadModule status_module {}\n",
            module("libmod_status.so").display()
        ),
    )
    .unwrap();
    // mod-static does mod_mime, mod_dir and mod_autoindex (its apache_names): one LoadModule.
    let static_line = if static_build() {
        "# static_module is built into this mapache\n".to_owned()
    } else {
        format!(
            "LoadModule static_module {}\n",
            module("libmod_static.so").display()
        )
    };
    write_load("mime", static_line).unwrap();
    for (name, file) in [
        ("env", "libmod_env.so"),
        ("setenvif", "libmod_setenvif.so"),
        ("alias", "libmod_alias.so"),
        // Not enabled in Debian's stock tree: as after `a2enmod headers remoteip`.
        ("headers", "libmod_headers.so"),
        ("remoteip", "libmod_remoteip.so"),
        ("rewrite", "libmod_rewrite.so"),
    ] {
        write_load(
            name,
            format!("LoadModule {name}_module {}\n", module(file).display()),
        )
        .unwrap();
    }
    // mod-deflate's one file exports deflate_module (and brotli_module).
    write_load(
        "deflate",
        format!(
            "# Depends: filter\nLoadModule deflate_module {}\n",
            module("libmod_deflate.so").display()
        ),
    )
    .unwrap();
    write_load(
        "negotiation",
        format!(
            "LoadModule negotiation_module {}\n",
            module("libmod_negotiation.so").display()
        ),
    )
    .unwrap();
    for name in ["dir", "autoindex"] {
        write_load(name, "# done by static_module (mime.load)\n".to_owned()).unwrap();
    }
    // mod-auth's one file holds the five modules, each under its Apache name.
    for name in ["auth_basic", "authn_core", "authn_file", "authz_user"] {
        write_load(
            name,
            format!(
                "LoadModule {name}_module {}\n",
                module("libmod_auth.so").display()
            ),
        )
        .unwrap();
    }
    // authz_core, authz_host, filter, reqtimeout: their Debian lines stay; the core does their
    // job, and LoadModule says they are built in.

    let port = free_port();
    edit(
        &tree.join("ports.conf"),
        "Listen 80\n",
        &format!("Listen 127.0.0.1:{port}\n"),
    );
    let www = root.path().join("www");
    let site = tree.join("sites-enabled/000-default.conf");
    edit(
        &site,
        "<VirtualHost *:80>",
        &format!("<VirtualHost *:{port}>"),
    );
    edit(&site, "/var/www", &www.display().to_string());
    // rewrite.load (as `a2enmod rewrite` enables it) and a site's rule.
    edit(
        &site,
        "</VirtualHost>",
        "<IfModule mod_rewrite.c>\nRewriteEngine On\nRewriteRule ^/rewritten$ /index.html [L]\n</IfModule>\n</VirtualHost>",
    );
    edit(
        &site,
        "</VirtualHost>",
        "Header always set Strict-Transport-Security \"max-age=63072000\"\n\
         RemoteIPHeader X-Forwarded-For\nRemoteIPInternalProxy 127.0.0.1\n</VirtualHost>",
    );
    edit(
        &tree.join("apache2.conf"),
        "<Directory /var/www/>",
        &format!("<Directory {}/>", www.display()),
    );
    std::fs::create_dir_all(www.join("html")).unwrap();
    // A protected place, as an admin adds one in conf-enabled (Debian's auth modules).
    let users = root.write("htpasswd", "alice:{SHA}/vNB+F2HQ559kaLUZbmHHvZrXpg=\n");
    std::fs::write(
        tree.join("conf-enabled/private.conf"),
        format!(
            "<Location /private>\nAuthType Basic\nAuthName \"Private\"\nAuthUserFile {}\nRequire valid-user\n</Location>\n",
            users.display()
        ),
    )
    .unwrap();
    chmod(&www, 0o755);
    chmod(&www.join("html"), 0o755);
    let page = root.write("www/html/index.html", "Debian default page\n");
    chmod(&page, 0o644);
    for dir in ["log", "run", "lock"] {
        std::fs::create_dir_all(root.path().join(dir)).unwrap();
    }
    let log_dir = root.path().join("log");

    // envvars, as apache2ctl sources it (with this test's directories).
    let env = |cmd: &mut Command| {
        cmd.env("APACHE_RUN_USER", "www-data")
            .env("APACHE_RUN_GROUP", "www-data")
            .env("APACHE_PID_FILE", root.path().join("run/apache2.pid"))
            .env("APACHE_RUN_DIR", root.path().join("run"))
            .env("APACHE_LOCK_DIR", root.path().join("lock"))
            .env("APACHE_LOG_DIR", &log_dir)
            .env("LANG", "C")
            .arg("-d")
            .arg(&tree)
            .args(["-f", "apache2.conf"]);
    };
    let mut check = Command::new(mapache_bin());
    env(&mut check);
    let out = check.arg("-t").output().expect("run mapache -t");
    assert!(
        out.status.success(),
        "mapache -t on Debian's tree: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut cmd = Command::new(mapache_bin());
    env(&mut cmd);
    cmd.arg("-DFOREGROUND");
    let server = Running::start(cmd, log_dir.join("error.log"));
    let resp = server.get(port, "/");
    assert_eq!(resp.status, 200, "{}", server.log());
    assert_eq!(resp.body, b"Debian default page\n");
    // headers.load (mod-headers) and the site's `Header always set`.
    assert_eq!(
        resp.header("Strict-Transport-Security"),
        Some("max-age=63072000")
    );
    // remoteip.load (mod-remoteip): the site's RemoteIPHeader; `combined`'s %h is the client.
    let proxied = server.get_with(port, "/", "X-Forwarded-For: 203.0.113.5\r\n");
    assert_eq!(proxied.status, 200, "{}", server.log());
    // deflate.conf's AddOutputFilterByType DEFLATE text/html: Vary even for an identity answer.
    assert_eq!(
        resp.header("Vary"),
        Some("Accept-Encoding"),
        "{}",
        server.log()
    );
    let rewritten = server.get(port, "/rewritten");
    assert_eq!(rewritten.body, b"Debian default page\n", "{}", server.log());
    // alias.conf's `Alias /icons/ "/usr/share/apache2/icons/"` (mod-alias).
    if Path::new("/usr/share/apache2/icons/blank.gif").exists() {
        let icon = server.get(port, "/icons/blank.gif");
        assert_eq!(icon.status, 200, "{}", server.log());
        assert_eq!(
            icon.body,
            std::fs::read("/usr/share/apache2/icons/blank.gif").unwrap()
        );
    }
    let private = server.get(port, "/private/");
    assert_eq!(private.status, 401, "{}", server.log());
    assert_eq!(
        private.header("WWW-Authenticate"),
        Some("Basic realm=\"Private\"")
    );
    let access = file_lines(&log_dir.join("access.log"), 2);
    assert!(
        access.iter().any(|l| l.contains("\"GET / HTTP/1.1\" 200 ")),
        "{access:?}"
    );
    assert!(
        access
            .iter()
            .any(|l| l.starts_with("203.0.113.5 ") && l.contains("\"GET / HTTP/1.1\" 200 ")),
        "{access:?}"
    );
    assert!(server.log().contains("resuming normal operations"));
}
