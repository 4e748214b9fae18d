//! mod-env and mod-setenvif on the real server: the variables they set, seen through
//! `%{VAR}e` in the access log and through `Require env`.
//! - SetEnv/UnsetEnv/PassEnv per scope, merged as Apache merges them (a section's UnsetEnv
//!   takes the server's SetEnv away, not what SetEnvIf set), applied in fixups;
//! - SetEnvIf on every attribute kind (the specials, a header, a header-name expression, an
//!   earlier variable), NoCase, `!var`, `$1`; server-level lines before mapping, section lines
//!   before `Require env`; Debian's setenvif.conf lines;
//! - SetEnvIfExpr with Apache's expressions (the core's engine, ABI 1.6), at the server level and
//!   in a section, feeding `Require env`;
//! - `-t` refusing what the regex crate cannot express, a bad expression in Apache's words, and
//!   regex groups in a SetEnvIfExpr value, with the line.

use mapache_tests::*;

fn modules() -> String {
    format!(
        "{}LoadModule env_module {}\nLoadModule setenvif_module {}\n",
        standard_modules(),
        module("libmod_env.so").display(),
        module("libmod_setenvif.so").display()
    )
}

/// One GET with extra header lines.
fn get(s: &Server, path: &str, extra: &str) -> Response {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
    parse_responses(&s.exchange(raw.as_bytes()), false)
        .into_iter()
        .next()
        .expect("a response")
}

#[test]
fn set_env_unset_env_and_pass_env_per_scope() {
    let root = Root::new();
    root.write("htdocs/a.txt", "a");
    root.write("htdocs/sub/b.txt", "b");
    let log = root.path().join("logs/env_log");
    let home = std::env::var("HOME").unwrap_or_default();
    root.config(&format!(
        "{}CustomLog {} \"%U a=%{{A}}e b=%{{B}}e c=%{{C}}e h=%{{HOME}}e\"\n\
         SetEnvIf Request_URI . B=fromsetenvif\n\
         SetEnv A server\nSetEnv C server-c\nPassEnv HOME\n\
         <Location /sub>\nUnsetEnv A B HOME\nSetEnv C sub-c\n</Location>\n",
        modules(),
        log.display()
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(get(&s, "/a.txt", "").status, 200);
    assert_eq!(get(&s, "/sub/b.txt", "").status, 200);
    let lines = file_lines(&log, 2);
    let home = if home.is_empty() {
        "-".to_owned()
    } else {
        home
    };
    assert_eq!(
        lines,
        [
            format!("/a.txt a=server b=fromsetenvif c=server-c h={home}"),
            // UnsetEnv takes away the server's SetEnv and PassEnv, not what SetEnvIf set.
            "/sub/b.txt a=- b=fromsetenvif c=sub-c h=-".to_owned(),
        ],
        "{lines:?}"
    );
}

#[test]
fn pass_env_of_an_unset_variable_warns_as_apache() {
    let root = Root::new();
    let conf = root.config(&format!("{}PassEnv MAPACHE_TEST_SURELY_UNSET\n", modules()));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("AH01506: PassEnv variable MAPACHE_TEST_SURELY_UNSET was undefined"),
        "{}",
        out.stderr
    );
}

#[test]
fn set_env_if_attributes_actions_and_phases() {
    let root = Root::new();
    root.write("htdocs/x.txt", "x");
    root.write("htdocs/sub/y.txt", "y");
    root.write("htdocs/gate/z.txt", "z");
    let log = root.path().join("logs/setenvif_log");
    root.config(&format!(
        "{}CustomLog {} \"%U d=%{{D}}e e=%{{E}}e f=%{{F}}e g=%{{G}}e h=%{{H}}e m=%{{M}}e \
         p=%{{P}}e r=%{{R}}e s=%{{S}}e u=%{{U}}e v=%{{V}}e\"\n\
         SetEnvIf User-Agent \"^cu(r)l/([0-9])\" D=$1-$2 E\n\
         SetEnvIf ^X-Fo. ^ba F=hdrregex\n\
         SetEnvIf D \"r-\" G=fromD\n\
         SetEnvIfNoCase x-h \"^YES$\" H\n\
         SetEnvIf X-Missing ^$ M=absent\n\
         SetEnvIf Request_Method ^GET$ V=get\n\
         SetEnvIf Request_Protocol ^HTTP/1\\.1$ P=11\n\
         SetEnvIf Remote_Addr ^127\\.0\\.0\\.1$ R=local\n\
         SetEnvIf Server_Addr ^127\\. S=loopback\n\
         SetEnvIf Request_URI %41 U=as-sent\n\
         BrowserMatchNoCase ^CURL V=browser\n\
         <Location /sub>\nSetEnvIf Request_URI ^/sub/ !E U=decoded\n</Location>\n\
         <Location /gate>\nSetEnvIf X-Key ^open$ let_in\nRequire env let_in\n</Location>\n",
        modules(),
        log.display()
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(
        get(&s, "/x.txt?%41", "User-Agent: curl/7.1\r\n").status,
        200
    );
    let r = get(
        &s,
        "/sub/y.txt",
        "User-Agent: curl/8\r\nX-Foo: bar\r\nx-h: yes\r\nX-Missing: here\r\n",
    );
    assert_eq!(r.status, 200);
    // Section lines run before Require env.
    assert_eq!(get(&s, "/gate/z.txt", "X-Key: open\r\n").status, 200);
    assert_eq!(get(&s, "/gate/z.txt", "X-Key: shut\r\n").status, 403);
    // Request_URI at the server level is the path as sent (%41 not decoded yet).
    assert_eq!(get(&s, "/%41.txt", "").status, 404);
    let lines = file_lines(&log, 5);
    assert_eq!(
        lines[..2],
        [
            "/x.txt d=r-7 e=1 f=- g=fromD h=- m=absent p=11 r=local s=loopback u=- v=browser",
            "/sub/y.txt d=r-8 e=- f=hdrregex g=fromD h=1 m=- p=11 r=local s=loopback u=decoded v=browser",
        ],
        "{lines:?}"
    );
    assert!(
        lines[4].starts_with("/A.txt ") && lines[4].contains(" u=as-sent "),
        "{lines:?}"
    );
}

/// Debian's setenvif.conf, as it ships.
#[test]
fn debians_browser_match_lines() {
    let debian = "BrowserMatch \"Mozilla/2\" nokeepalive\n\
        BrowserMatch \"MSIE 4\\.0b2;\" nokeepalive downgrade-1.0 force-response-1.0\n\
        BrowserMatch \"RealPlayer 4\\.0\" force-response-1.0\n\
        BrowserMatch \"Java/1\\.0\" force-response-1.0\n\
        BrowserMatch \"JDK/1\\.0\" force-response-1.0\n\
        BrowserMatch \"Microsoft Data Access Internet Publishing Provider\" redirect-carefully\n\
        BrowserMatch \"MS FrontPage\" redirect-carefully\n\
        BrowserMatch \"^WebDrive\" redirect-carefully\n\
        BrowserMatch \"^WebDAVFS/1\\.[012]\" redirect-carefully\n\
        BrowserMatch \"^gnome-vfs/1\\.0\" redirect-carefully\n\
        BrowserMatch \"^gvfs/1\" redirect-carefully\n\
        BrowserMatch \"^XML Spy\" redirect-carefully\n\
        BrowserMatch \"^Dreamweaver-WebDAV-SCM1\" redirect-carefully\n\
        BrowserMatch \" Konqueror/4\" redirect-carefully\n";
    let root = Root::new();
    root.write("htdocs/a.txt", "a");
    let log = root.path().join("logs/debian_log");
    root.config(&format!(
        "{}CustomLog {} \"%{{nokeepalive}}e %{{downgrade-1.0}}e %{{force-response-1.0}}e %{{redirect-carefully}}e\"\n{debian}",
        modules(),
        log.display()
    ));
    let s = Server::start(&root, &[]);
    for ua in [
        "Mozilla/4.0 (compatible; MSIE 4.0b2; Windows 95)",
        "gvfs/1.2",
        "Mozilla/5.0 (compatible; Konqueror/4.1)",
        "MSIE 4x0b2;",
    ] {
        assert_eq!(
            get(&s, "/a.txt", &format!("User-Agent: {ua}\r\n")).status,
            200
        );
    }
    let lines = file_lines(&log, 4);
    assert_eq!(
        lines,
        ["1 1 1 -", "- - - 1", "- - - 1", "- - - -"],
        "{lines:?}"
    );
}

#[test]
fn set_env_if_expr_evaluates_apaches_expressions() {
    let root = Root::new();
    root.write("htdocs/a.txt", "a");
    root.write("htdocs/api/b.txt", "b");
    let log = root.path().join("logs/env_log");
    root.config(&format!(
        "{}CustomLog {} \"%U beta=%{{BETA}}e local=%{{LOCAL}}e api=%{{API}}e\"\n\
         SetEnvIfExpr \"%{{HTTP:X-Mode}} == 'beta' && -R '127.0.0.0/8'\" BETA=yes LOCAL\n\
         SetEnvIfExpr \"%{{REQUEST_METHOD}} in {{'PUT', 'DELETE'}}\" !LOCAL\n\
         <Location /api>\nSetEnvIfExpr \"tolower(req('X-Key')) == 'open'\" API=1\n\
         Require env API\n</Location>\n",
        modules(),
        log.display()
    ));
    let s = Server::start(&root, &[]);
    assert_eq!(get(&s, "/a.txt", "X-Mode: beta\r\n").status, 200);
    assert_eq!(get(&s, "/a.txt", "X-Mode: alpha\r\n").status, 200);
    assert_eq!(get(&s, "/api/b.txt", "X-Key: OPEN\r\n").status, 200);
    assert_eq!(get(&s, "/api/b.txt", "X-Key: shut\r\n").status, 403);
    let lines = file_lines(&log, 4);
    assert_eq!(
        lines,
        [
            "/a.txt beta=yes local=1 api=-",
            "/a.txt beta=- local=- api=-",
            "/api/b.txt beta=- local=- api=1",
            "/api/b.txt beta=- local=- api=-",
        ]
    );
}

#[test]
fn what_cannot_be_expressed_is_refused_at_config_test_with_its_line() {
    let root = Root::new();
    let cases = [
        (
            "SetEnvIf User-Agent (?<=x)y A",
            "SetEnvIf regex could not be compiled: '(?<=x)y'",
        ),
        (
            "BrowserMatch (a)\\1 A",
            "BrowserMatch regex could not be compiled",
        ),
        (
            "SetEnvIf User-Agent",
            "Missing regular expression for SetEnvIf",
        ),
        (
            "SetEnvIfExpr \"%{NOPE} == 1\" A",
            "Could not parse expression \"%{NOPE} == 1\": Variable 'NOPE' does not exist",
        ),
        (
            "SetEnvIfExpr \"%{REQUEST_URI} =~ m#^/(x)#\" A=$1",
            "SetEnvIfExpr: $0-$9 in a value",
        ),
        ("SetEnv", "SetEnv takes 1-2 arguments"),
    ];
    for (line, message) in cases {
        let conf = root.config(&format!(
            "{}<Location /x>\n{line}\n</Location>\n",
            modules()
        ));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_eq!(out.code, Some(1), "{line}: {}", out.stderr);
        let at = format!("on line 11 of {}", conf.display());
        assert!(out.stderr.contains(&at), "{line}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{line}: {}", out.stderr);
        assert_eq!(
            out.stderr.trim().lines().count(),
            1,
            "{line}: {}",
            out.stderr
        );
    }
}
