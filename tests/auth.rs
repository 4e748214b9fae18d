//! mod-auth on the real server: password files made by Debian's real `htpasswd` in every
//! format it writes (`-B`, `-m`, `-s`, `-d`, `-2`, `-5`) authenticate; the 401 challenge, the
//! user in `%u` and REMOTE_USER, Apache's log lines for a wrong password and an unknown user;
//! `Require user`, `Require group` and `Require ip` inside `<RequireAll>` and `<RequireAny>`;
//! `.htaccess` under `AllowOverride AuthConfig` (these three on each MPM); a changed password
//! file seen without restart; malformed `Authorization` headers; `<IfModule>` with every name;
//! `-t` refusals of what mapache does not do. Without htpasswd (apache2-utils, which `.ci/run`
//! installs) the tests that need it say so and pass.

use mapache_tests::*;
use mod_auth::base64;
use std::path::Path;
use std::process::Command;

const HTPASSWD: &str = "/usr/bin/htpasswd";

/// The five modules' LoadModule lines (all from the one file).
fn auth_modules() -> String {
    let so = module("libmod_auth.so");
    [
        "authn_core",
        "auth_basic",
        "authn_file",
        "authz_user",
        "authz_groupfile",
    ]
    .iter()
    .map(|m| format!("LoadModule {m}_module {}\n", so.display()))
    .collect()
}

/// Adds `user` with `password` to the file at `path` with `htpasswd -b<flag>` (creating it
/// with `-c` the first time); false when htpasswd is not installed.
fn htpasswd(path: &Path, flag: &str, user: &str, password: &str) -> bool {
    if !Path::new(HTPASSWD).exists() {
        eprintln!("skipped: {HTPASSWD} is not installed (apt-get install apache2-utils)");
        return false;
    }
    let create = if path.exists() { "" } else { "c" };
    let out = Command::new(HTPASSWD)
        .arg(format!("-b{create}{flag}"))
        .arg(path)
        .args([user, password])
        .output()
        .expect("run htpasswd");
    assert!(out.status.success(), "htpasswd: {out:?}");
    true
}

/// A GET with `Authorization: <value>` (none when `None`).
fn get_with(s: &Server, path: &str, authorization: Option<&str>) -> Response {
    let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{auth}Connection: close\r\n\r\n");
    parse_responses(&s.exchange(raw.as_bytes()), false).remove(0)
}

/// A GET as `user` with `password`.
fn get_as(s: &Server, path: &str, user: &str, password: &str) -> Response {
    let token = base64::encode(format!("{user}:{password}").as_bytes());
    get_with(s, path, Some(&format!("Basic {token}")))
}

/// The users of every htpasswd format, each with its own password (DES keeps 8 characters).
const FORMATS: &[(&str, &str, &str)] = &[
    ("B", "bcrypt", "pw-bcrypt"),
    ("m", "apr1", "pw-apr1"),
    ("s", "sha", "pw-sha"),
    ("d", "des", "pw-des"),
    ("2", "sha256", "pw-sha256"),
    ("5", "sha512", "pw-sha512"),
];

#[test]
fn every_htpasswd_format_authenticates_on_each_mpm() {
    let probe = Root::new();
    if !htpasswd(&probe.path().join("p"), "m", "x", "y") {
        return;
    }
    on_each_mpm(|mpm| {
        let root = Root::new();
        root.write("htdocs/private/a.txt", "secret\n");
        let users = root.path().join("conf/users");
        std::fs::create_dir_all(users.parent().unwrap()).unwrap();
        for (flag, user, password) in FORMATS {
            htpasswd(&users, flag, user, password);
        }
        root.config(&format!(
            "{}{}LogFormat \"%u %>s %{{REMOTE_USER}}e\" auth\nCustomLog logs/access_log auth\n\
             <Location /private>\nAuthType Basic\nAuthName \"Members Only\"\n\
             AuthUserFile conf/users\nRequire valid-user\n</Location>\n",
            modules_for(mpm),
            auth_modules()
        ));
        let s = Server::start(&root, &[]);
        let r = s.get("/private/a.txt");
        assert_eq!(r.status, 401, "{mpm}");
        assert_eq!(
            r.header("WWW-Authenticate"),
            Some("Basic realm=\"Members Only\""),
            "{mpm}"
        );
        for (_, user, password) in FORMATS {
            let r = get_as(&s, "/private/a.txt", user, password);
            assert_eq!(r.status, 200, "{mpm}: {user}\n{}", s.log_text());
            assert_eq!(r.body, b"secret\n");
            assert_eq!(r.header("WWW-Authenticate"), None);
            let r = get_as(&s, "/private/a.txt", user, "wrong");
            assert_eq!(r.status, 401, "{mpm}: {user}");
            assert!(
                s.wait_log(
                    &format!(
                        "user {user}: authentication failure for \"/private/a.txt\": Password Mismatch"
                    ),
                    5
                ),
                "{mpm}: {}",
                s.log_text()
            );
        }
        let r = get_as(&s, "/private/a.txt", "nobody", "x");
        assert_eq!(r.status, 401);
        assert_eq!(
            r.header("WWW-Authenticate"),
            Some("Basic realm=\"Members Only\"")
        );
        assert!(
            s.wait_log("[auth_basic:error]", 5)
                && s.wait_log("user nobody not found: /private/a.txt", 5),
            "{mpm}: {}",
            s.log_text()
        );
        // Outside the location nothing is asked.
        root.write("htdocs/open.txt", "open\n");
        assert_eq!(s.get("/open.txt").status, 200);
        // %u and REMOTE_USER: the user on success; %u also names who failed, as Apache's.
        let log = file_lines(&root.path().join("logs/access_log"), 2 * FORMATS.len() + 3);
        assert_eq!(log[0], "- 401 -", "{mpm}");
        assert_eq!(log[1], "bcrypt 200 bcrypt", "{mpm}");
        assert_eq!(log[2], "bcrypt 401 -", "{mpm}");
        assert_eq!(log.last().map(String::as_str), Some("- 200 -"), "{mpm}");
    });
}

/// Users alice, bob and carol (password = name), groups admins (alice) and staff (bob).
fn team_site(root: &Root) -> bool {
    let users = root.path().join("conf/users");
    std::fs::create_dir_all(users.parent().unwrap()).unwrap();
    for u in ["alice", "bob", "carol"] {
        if !htpasswd(&users, "B", u, u) {
            return false;
        }
    }
    root.write("conf/groups", "# groups\nadmins: alice\nstaff: bob carol\n");
    for d in [
        "team",
        "bob",
        "any-local",
        "any-remote",
        "all-local",
        "all-remote",
        "ht",
        "fi",
    ] {
        root.write(&format!("htdocs/{d}/a.txt"), format!("{d}\n"));
    }
    true
}

/// The sections of the users, groups and ip test.
fn team_lines(conf: &str) -> String {
    let auth = format!(
        "AuthType Basic\nAuthName team\nAuthUserFile {conf}/users\nAuthGroupFile {conf}/groups\n"
    );
    format!(
        "<Location /team>\n{auth}Require group admins\n</Location>\n\
         <Location /bob>\n{auth}Require user bob carol\n</Location>\n\
         <Location /any-local>\n{auth}<RequireAny>\nRequire ip 127.0.0.1\nRequire valid-user\n</RequireAny>\n</Location>\n\
         <Location /any-remote>\n{auth}<RequireAny>\nRequire ip 192.0.2.1\nRequire valid-user\n</RequireAny>\n</Location>\n\
         <Location /all-local>\n{auth}<RequireAll>\nRequire ip 127.0.0.1\nRequire group staff\n</RequireAll>\n</Location>\n\
         <Location /all-remote>\n{auth}<RequireAll>\nRequire ip 192.0.2.1\nRequire valid-user\n</RequireAll>\n</Location>\n"
    )
}

#[test]
fn users_groups_and_ip_combine_as_apache() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        if !team_site(&root) {
            return;
        }
        let conf = root.path().join("conf").display().to_string();
        root.config(&format!(
            "{}{}LogLevel warn authz_user:debug authz_groupfile:debug\n{}",
            modules_for(mpm),
            auth_modules(),
            team_lines(&conf)
        ));
        let s = Server::start(&root, &[]);
        let status = |path: &str, user: Option<&str>| match user {
            Some(u) => get_as(&s, path, u, u).status,
            None => s.get(path).status,
        };
        // Groups.
        assert_eq!(status("/team/a.txt", Some("alice")), 200);
        let r = get_as(&s, "/team/a.txt", "bob", "bob");
        assert_eq!(r.status, 401);
        // Refused by Require after a good password: challenged again, as Apache.
        assert_eq!(r.header("WWW-Authenticate"), Some("Basic realm=\"team\""));
        assert!(s.wait_log(
            "Authorization of user bob to access /team/a.txt failed, reason: user is not part of the 'require'ed group(s).",
            5
        ), "{}", s.log_text());
        // Users.
        assert_eq!(status("/bob/a.txt", Some("bob")), 200);
        assert_eq!(status("/bob/a.txt", Some("carol")), 200);
        assert_eq!(status("/bob/a.txt", Some("alice")), 401);
        assert!(s.wait_log(
            "access to /bob/a.txt failed, reason: user 'alice' does not meet 'require'ments for user to be allowed access",
            5
        ), "{}", s.log_text());
        // Require ip with a user: either, or both.
        assert_eq!(status("/any-local/a.txt", None), 200);
        assert_eq!(status("/any-remote/a.txt", None), 401);
        assert_eq!(status("/any-remote/a.txt", Some("carol")), 200);
        assert_eq!(status("/all-local/a.txt", None), 401);
        assert_eq!(status("/all-local/a.txt", Some("bob")), 200);
        assert_eq!(status("/all-local/a.txt", Some("alice")), 401);
        assert_eq!(status("/all-remote/a.txt", None), 403);
        assert_eq!(status("/all-remote/a.txt", Some("alice")), 403);
    });
}

#[test]
fn htaccess_under_allowoverride_authconfig_protects_its_directory() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        if !team_site(&root) {
            return;
        }
        let conf = root.path().join("conf").display().to_string();
        let ht = format!(
            "AuthType Basic\nAuthName \"In htaccess\"\nAuthUserFile {conf}/users\nAuthGroupFile {conf}/groups\nRequire group staff\n"
        );
        root.write("htdocs/ht/.htaccess", &ht);
        root.write("htdocs/fi/.htaccess", &ht);
        let htdocs = root.path().join("htdocs").display().to_string();
        root.config(&format!(
            "{}{}<Directory \"{htdocs}/ht\">\nAllowOverride AuthConfig\n</Directory>\n\
             <Directory \"{htdocs}/fi\">\nAllowOverride FileInfo\n</Directory>\n",
            modules_for(mpm),
            auth_modules()
        ));
        let s = Server::start(&root, &[]);
        let r = s.get("/ht/a.txt");
        assert_eq!(r.status, 401, "{}", s.log_text());
        assert_eq!(
            r.header("WWW-Authenticate"),
            Some("Basic realm=\"In htaccess\"")
        );
        assert_eq!(get_as(&s, "/ht/a.txt", "bob", "bob").status, 200);
        assert_eq!(get_as(&s, "/ht/a.txt", "alice", "alice").status, 401);
        // Without AuthConfig the file's lines are refused: 500 and Apache's line.
        assert_eq!(s.get("/fi/a.txt").status, 500);
        assert!(
            s.wait_log("/fi/.htaccess: AuthType not allowed here", 5),
            "{}",
            s.log_text()
        );
    });
}

#[test]
fn a_changed_password_file_is_read_again_without_restart() {
    let root = Root::new();
    root.write("htdocs/p/a.txt", "p\n");
    let users = root.path().join("conf/users");
    std::fs::create_dir_all(users.parent().unwrap()).unwrap();
    if !htpasswd(&users, "m", "alice", "one") {
        return;
    }
    root.config(&format!(
        "{}{}<Location /p>\nAuthType Basic\nAuthName p\nAuthUserFile {}\nRequire valid-user\n</Location>\n",
        standard_modules(),
        auth_modules(),
        users.display()
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(get_as(&s, "/p/a.txt", "alice", "one").status, 200);
    assert_eq!(get_as(&s, "/p/a.txt", "bob", "two").status, 401);
    htpasswd(&users, "m", "bob", "two");
    htpasswd(&users, "m", "alice", "three");
    assert_eq!(get_as(&s, "/p/a.txt", "bob", "two").status, 200);
    assert_eq!(get_as(&s, "/p/a.txt", "alice", "one").status, 401);
    assert_eq!(get_as(&s, "/p/a.txt", "alice", "three").status, 200);
    // A file that went away: 500 and the reason in the log.
    std::fs::remove_file(&users).unwrap();
    assert_eq!(get_as(&s, "/p/a.txt", "alice", "three").status, 500);
    assert!(
        s.wait_log("Could not open password file: ", 5),
        "{}",
        s.log_text()
    );
}

#[test]
fn malformed_authorization_headers_are_challenged() {
    let root = Root::new();
    root.write("htdocs/p/a.txt", "p\n");
    root.write(
        "conf/users",
        "alice:$apr1$2NkiGOgo$nh2ooIr3PpFE6.yUHRVuq/\n",
    );
    root.config(&format!(
        "{}{}<Location /p>\nAuthType Basic\nAuthName p\nAuthUserFile conf/users\nRequire valid-user\n</Location>\n",
        standard_modules(),
        auth_modules()
    ));
    let s = Server::start(&root, &[]);
    for (value, line) in [
        (
            "Bearer abc",
            "client used wrong authentication scheme: /p/a.txt",
        ),
        ("Basic !!!!", "user  not found: /p/a.txt"),
        (
            "Basic YWxpY2U=",
            "user alice: authentication failure for \"/p/a.txt\": Password Mismatch",
        ),
    ] {
        let r = get_with(&s, "/p/a.txt", Some(value));
        assert_eq!(r.status, 401, "{value}");
        assert_eq!(r.header("WWW-Authenticate"), Some("Basic realm=\"p\""));
        assert!(s.wait_log(line, 5), "{value}: {}", s.log_text());
    }
    // The scheme in any case, blanks before the token, padding optional.
    for value in ["basic YWxpY2U6czNjcmV0", "BASIC    YWxpY2U6czNjcmV0"] {
        assert_eq!(get_with(&s, "/p/a.txt", Some(value)).status, 200, "{value}");
    }
}

#[test]
fn ifmodule_knows_every_name() {
    let root = Root::new();
    for name in [
        "auth_basic_module",
        "mod_auth_basic.c",
        "authn_core_module",
        "mod_authn_core.c",
        "authn_file_module",
        "mod_authn_file.c",
        "authz_user_module",
        "mod_authz_user.c",
        "authz_groupfile_module",
        "mod_authz_groupfile.c",
    ] {
        // A block is read (and its bogus line refused) only when the module is known.
        let conf = root.config(&format!(
            "{}{}<IfModule {name}>\nNoSuchDirective\n</IfModule>\n",
            standard_modules(),
            auth_modules()
        ));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_ne!(out.code, Some(0), "{name}");
        assert!(
            out.stderr.contains("NoSuchDirective"),
            "{name}: {}",
            out.stderr
        );
        let conf = root.config(&format!(
            "{}{}<IfModule !{name}>\nNoSuchDirective\n</IfModule>\n",
            standard_modules(),
            auth_modules()
        ));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.stderr);
    }
}

#[test]
fn what_mapache_does_not_do_fails_t_with_its_line() {
    for (lines, expected) in [
        (
            "AuthType Digest",
            "AuthType Digest: not supported by mapache",
        ),
        ("AuthType Form", "AuthType Form: not supported by mapache"),
        ("AuthBasicProvider file dbm", "Unknown Authn provider: dbm"),
        (
            "AuthBasicFake alice pw",
            "AuthBasicFake is not supported by mapache",
        ),
        (
            "Require file-group",
            "Require file-group is not supported by mapache",
        ),
        (
            "Require user %{REMOTE_ADDR}",
            "expressions are not supported by mapache",
        ),
        ("Require group", "Require group takes one or more names"),
        (
            "AuthName \"%{HTTP_HOST}\"",
            "expressions are not supported by mapache",
        ),
    ] {
        let root = Root::new();
        let conf = root.config(&format!(
            "{}{}<Location /p>\n{lines}\n</Location>\n",
            standard_modules(),
            auth_modules()
        ));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_ne!(out.code, Some(0), "{lines}");
        assert!(out.stderr.contains(expected), "{lines}: {}", out.stderr);
        assert!(out.stderr.contains("line "), "{lines}: {}", out.stderr);
    }
    // Apache's contexts: directory and .htaccess only.
    let root = Root::new();
    let conf = root.config(&format!(
        "{}{}AuthType Basic\n",
        standard_modules(),
        auth_modules()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("AuthType"), "{}", out.stderr);
}

#[test]
fn basic_without_authn_file_says_which_module_is_missing() {
    let root = Root::new();
    root.write("htdocs/p/a.txt", "p\n");
    let so = module("libmod_auth.so");
    root.config(&format!(
        "{}LoadModule authn_core_module {so}\nLoadModule auth_basic_module {so}\n\
         LoadModule authz_user_module {so}\n\
         <Location /p>\nAuthType Basic\nAuthName p\nRequire valid-user\n</Location>\n",
        standard_modules(),
        so = so.display()
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(get_as(&s, "/p/a.txt", "alice", "x").status, 500);
    assert!(
        s.wait_log(
            "AuthBasicProvider file needs authn_file_module: add its LoadModule line",
            5
        ),
        "{}",
        s.log_text()
    );
    // Without credentials the challenge comes first, as in Apache.
    assert_eq!(s.get("/p/a.txt").status, 401);
}
