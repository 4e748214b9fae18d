//! The ABI 1.4 request pipeline against the real server, with the raw-ABI test module
//! `pipeline-probe` (tests/modules/pipeline-probe) next to mod-static: `Require` with a
//! module's provider and the authn phase, whatever the LoadModule order; a header filter on
//! every response, the core's error pages included; a translate hook choosing the file; a
//! declining handler whose output never reaches the client.

use mapache_tests::*;

/// The right credentials, `probe:secret` in base64.
const RIGHT: &str = "cHJvYmU6c2VjcmV0";
/// `probe:wrong`.
const WRONG: &str = "cHJvYmU6d3Jvbmc=";

fn static_line() -> String {
    if static_build() {
        "# static_module is built into this mapache".to_owned()
    } else {
        format!(
            "LoadModule static_module {}",
            module("libmod_static.so").display()
        )
    }
}

/// The MPM, then pipeline-probe and mod-static in the order asked for.
fn modules(mpm: &str, probe_first: bool) -> String {
    let mpm = format!(
        "LoadModule mpm_{mpm}_module {}",
        module(&format!("libmpm_{mpm}.so")).display()
    );
    let probe = format!(
        "LoadModule pipeline_probe_module {}",
        module("libpipeline_probe.so").display()
    );
    let static_line = static_line();
    if probe_first {
        format!("{mpm}\n{probe}\n{static_line}\n")
    } else {
        format!("{mpm}\n{static_line}\n{probe}\n")
    }
}

fn start(root: &Root, mpm: &str, probe_first: bool, body: &str) -> Server {
    root.config(&format!("{}{body}", modules(mpm, probe_first)));
    Server::start(root, &[])
}

/// One request with extra header lines, parsed.
fn request(s: &Server, method: &str, path: &str, extra: &str) -> Response {
    let raw = format!("{method} {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
    parse_responses(&s.exchange(raw.as_bytes()), method == "HEAD")
        .into_iter()
        .next()
        .expect("a response")
}

fn with_auth(s: &Server, path: &str, credentials: &str) -> Response {
    request(
        s,
        "GET",
        path,
        &format!("Authorization: Basic {credentials}\r\n"),
    )
}

#[test]
fn a_modules_require_provider_asks_for_a_user_whatever_the_loadmodule_order() {
    on_each_mpm(|mpm| {
        for probe_first in [true, false] {
            auth_with_modules_in_order(mpm, probe_first);
        }
    });
}

fn auth_with_modules_in_order(mpm: &str, probe_first: bool) {
    let order = if probe_first {
        "probe first"
    } else {
        "static first"
    };
    let root = Root::new();
    root.write("htdocs/private/secret.txt", "the secret\n");
    root.write("htdocs/open.txt", "open\n");
    let s = start(
        &root,
        mpm,
        probe_first,
        "LogFormat \"%u %>s %U\" who\nCustomLog logs/access_log who\n\
             <Location /private>\nRequire probe-user probe\n</Location>\n",
    );
    let none = s.get("/private/secret.txt");
    assert_eq!(none.status, 401, "{order}: no credentials");
    assert_eq!(
        none.header("WWW-Authenticate"),
        Some("Basic realm=\"probe\""),
        "{order}"
    );
    assert_ne!(none.body, b"the secret\n", "{order}");
    let wrong = with_auth(&s, "/private/secret.txt", WRONG);
    assert_eq!(wrong.status, 401, "{order}: wrong password");
    assert_ne!(wrong.body, b"the secret\n", "{order}");
    let right = with_auth(&s, "/private/secret.txt", RIGHT);
    assert_eq!(right.status, 200, "{order}: {:?}", right);
    assert_eq!(right.body, b"the secret\n", "{order}: mod-static's file");
    assert_eq!(
        right.header("X-Probe-User"),
        Some("probe"),
        "{order}: REMOTE_USER is set"
    );
    assert_eq!(none.header("X-Probe-User"), None, "{order}");
    // Outside the location nothing asks for a user.
    assert_eq!(s.get("/open.txt").status, 200, "{order}");
    let lines = file_lines(&root.path().join("logs/access_log"), 4);
    assert_eq!(
        lines,
        [
            "- 401 /private/secret.txt",
            "- 401 /private/secret.txt",
            "probe 200 /private/secret.txt",
            "- 200 /open.txt",
        ],
        "{order}: %u is the authenticated user"
    );
}

#[test]
fn an_authenticated_user_the_provider_refuses_gets_401_and_apaches_line() {
    let root = Root::new();
    root.write("htdocs/a/x.txt", "x\n");
    let s = start(
        &root,
        "prefork",
        true,
        "<Location /a>\nRequire probe-user somebody-else\n</Location>\n",
    );
    let mark = s.log_mark();
    let r = with_auth(&s, "/a/x.txt", RIGHT);
    assert_eq!(r.status, 401);
    assert!(
        s.wait_log_since(
            mark,
            "AH01631: user probe: authorization failure for \"/a/x.txt\"",
            5
        )
        .is_some(),
        "{}",
        s.log_text()
    );
}

#[test]
fn a_needed_user_without_an_authn_module_is_a_500_with_a_clear_line() {
    let root = Root::new();
    root.write("htdocs/a/x.txt", "x\n");
    root.config(&format!(
        "LoadModule mpm_prefork_module {}\nLoadModule probe_provider_only_module {}\n{}\n\
         <Location /a>\nRequire probe-user\n</Location>\n",
        module("libmpm_prefork.so").display(),
        module("libpipeline_probe.so").display(),
        static_line()
    ));
    let s = Server::start(&root, &[]);
    let mark = s.log_mark();
    let r = with_auth(&s, "/a/x.txt", RIGHT);
    assert_eq!(r.status, 500, "{r:?}");
    assert_ne!(r.body, b"x\n");
    assert!(
        s.wait_log_since(mark, "AH00027: No authentication done but request not allowed without authentication for /a/x.txt. Authentication not configured?", 5)
            .is_some(),
        "{}",
        s.log_text()
    );
}

#[test]
fn a_provider_no_module_offers_is_refused_at_t() {
    let root = Root::new();
    root.config(&format!(
        "LoadModule mpm_prefork_module {}\n{}\n<Location /a>\nRequire probe-user\n</Location>\n",
        module("libmpm_prefork.so").display(),
        static_line()
    ));
    let conf = root.path().join("conf/httpd.conf");
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("Syntax error on line 8 of")
            && out.stderr.contains("Unknown Authz provider: probe-user"),
        "{}",
        out.stderr
    );
    // With the probe loaded, a misspelt name is still unknown, and the message says what the
    // modules offer.
    root.config(&format!(
        "{}<Location /a>\nRequire probe-usr\n</Location>\n",
        modules("prefork", true)
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("Syntax error on line 9 of")
            && out.stderr.contains(
                "Unknown Authz provider: probe-usr (mapache has all, ip, local, method, env and expr; the loaded modules offer probe-user)"
            ),
        "{}",
        out.stderr
    );
}

#[test]
fn a_providers_own_check_fails_the_config_with_file_and_line() {
    let root = Root::new();
    root.config(&format!(
        "{}<Location /a>\nRequire probe-user one two\n</Location>\n",
        modules("prefork", true)
    ));
    let conf = root.path().join("conf/httpd.conf");
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0));
    // The header has 4 lines and the module lines 3: the Require line is line 9.
    assert!(
        out.stderr.contains("line 9 of")
            && out
                .stderr
                .contains("probe-user takes at most one user name"),
        "{}",
        out.stderr
    );
}

#[test]
fn require_method_and_env() {
    let root = Root::new();
    root.write("htdocs/m/x.txt", "x\n");
    let s = start(
        &root,
        "prefork",
        true,
        "<Location /m>\nRequire method GET\n</Location>\n\
         <Location /e>\nRequire env LET_IN\n</Location>\n",
    );
    assert_eq!(s.get("/m/x.txt").status, 200);
    assert_eq!(request(&s, "HEAD", "/m/x.txt", "").status, 200);
    assert_eq!(request(&s, "OPTIONS", "/m/x.txt", "").status, 403);
    root.write("htdocs/e/x.txt", "x\n");
    assert_eq!(s.get("/e/x.txt").status, 403);
    assert_eq!(
        request(&s, "GET", "/e/x.txt", "X-Set-Env: OTHER\r\n").status,
        403
    );
    let r = request(&s, "GET", "/e/x.txt", "X-Set-Env: let_in\r\n");
    assert_eq!((r.status, r.body), (200, b"x\n".to_vec()));
}

#[test]
fn a_filters_header_reaches_every_response_the_cores_errors_included() {
    on_each_mpm(filter_header_everywhere);
}

fn filter_header_everywhere(mpm: &str) {
    let root = Root::new();
    root.write("htdocs/ok.txt", "ok\n");
    root.write("htdocs/closed/x.txt", "x\n");
    let s = start(
        &root,
        mpm,
        true,
        "LimitRequestBody 10\n<Location /closed>\nRequire all denied\n</Location>\n",
    );
    let ok = s.get("/ok.txt");
    assert_eq!((ok.status, ok.header("X-Probe")), (200, Some("1")));
    let missing = s.get("/missing.txt");
    assert_eq!(
        (missing.status, missing.header("X-Probe")),
        (404, Some("1"))
    );
    let closed = s.get("/closed/x.txt");
    assert_eq!((closed.status, closed.header("X-Probe")), (403, Some("1")));
    let big = request(
        &s,
        "POST",
        "/ok.txt",
        "Content-Length: 100\r\nContent-Type: text/plain\r\n",
    );
    assert_eq!((big.status, big.header("X-Probe")), (413, Some("1")));
    let unauthorized = {
        drop(s);
        let s = start(
            &root,
            mpm,
            false,
            "<Location /closed>\nRequire probe-user\n</Location>\n",
        );
        s.get("/closed/x.txt")
    };
    assert_eq!(
        (unauthorized.status, unauthorized.header("X-Probe")),
        (401, Some("1"))
    );
}

#[test]
fn a_translate_hook_makes_mod_static_serve_another_file() {
    let root = Root::new();
    let elsewhere = root.write("elsewhere/target.txt", "from elsewhere\n");
    root.write("htdocs/alias/x", "the plain file\n");
    let s = start(
        &root,
        "prefork",
        false,
        &format!("ProbeAlias /alias/x {}\n", elsewhere.display()),
    );
    let r = s.get("/alias/x");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, b"from elsewhere\n");
    assert_eq!(s.get("/alias/y").status, 404, "other paths map as usual");
}

#[test]
fn a_declining_handlers_output_never_reaches_the_client() {
    let root = Root::new();
    root.write("htdocs/d/file.txt", "exactly this\n");
    root.write("htdocs/named/file.txt", "not served\n");
    let s = start(
        &root,
        "prefork",
        true,
        "<Location /d>\nProbeDecline\n</Location>\n\
         <Location /named>\nSetHandler probe-decline\n</Location>\n",
    );
    // The probe's hook runs first, writes and declines; mod-static then serves the file.
    let r = s.get("/d/file.txt");
    assert_eq!(r.status, 200, "{r:?}\n{}", s.log_text());
    assert_eq!(r.header("X-Junk"), None, "{r:?}");
    assert_eq!(r.body, b"exactly this\n");
    assert_eq!(r.header("Content-Length"), Some("13"));
    let head = request(&s, "HEAD", "/d/file.txt", "");
    assert_eq!((head.status, head.header("X-Junk")), (200, None));
    // Nothing else takes `probe-decline` (mod-static serves only the default handler): the
    // core's 500, without the junk.
    let r = s.get("/named/file.txt");
    assert_eq!(r.status, 500, "{r:?}");
    assert_eq!(r.header("X-Junk"), None, "{r:?}");
    let body = String::from_utf8_lossy(&r.body);
    assert!(!body.contains("junk"), "{body}");
}

/// `-t` on `body` (after the MPM and mod-static alone) fails with `message` at the line that
/// reads `line`.
fn refused_at_t(line: &str, body: &str, message: &str) {
    let root = Root::new();
    let mpm = format!(
        "LoadModule mpm_prefork_module {}",
        module("libmpm_prefork.so").display()
    );
    let conf = root.config(&format!("{mpm}\n{}\n{body}", static_line()));
    let number = std::fs::read_to_string(&conf)
        .unwrap()
        .lines()
        .position(|l| l.trim() == line)
        .expect("the line is in the file")
        + 1;
    let conf = conf.display().to_string();
    let out = run(&["-t", "-f", &conf]);
    assert_eq!(out.code, Some(1), "{body}: {}", out.stderr);
    let expected = format!("Syntax error on line {number} of {conf}: {message}");
    assert!(
        out.stderr.contains(&expected),
        "{expected}\nin: {}",
        out.stderr
    );
}

#[test]
fn a_sethandler_no_module_declares_is_refused_at_t() {
    // mod-static declares `default-handler` only: nothing would serve this name.
    refused_at_t(
        "SetHandler no-such-handler",
        "<Location /x>\nSetHandler no-such-handler\n</Location>\n",
        "SetHandler no-such-handler: no loaded module declares a handler of that name",
    );
}

#[test]
fn a_filter_no_module_offers_is_refused_at_t() {
    refused_at_t(
        "SetOutputFilter DEFLATE",
        "<Location /x>\nSetOutputFilter DEFLATE\n</Location>\n",
        "SetOutputFilter: no loaded module offers a filter named DEFLATE",
    );
}

#[test]
fn a_module_directive_in_a_section_is_checked_at_t() {
    // mod-static's typed configuration reads its sections' values while the file is read.
    refused_at_t(
        "AddType text/plain",
        "<Directory /srv>\nAddType text/plain\n</Directory>\n",
        "AddType requires at least two arguments",
    );
    refused_at_t(
        "AddDefaultCharset not/a/charset",
        "<Location /x>\nAddDefaultCharset not/a/charset\n</Location>\n",
        "AddDefaultCharset takes On, Off or a charset name",
    );
}

#[test]
fn an_internal_redirect_serves_another_uri_from_translate_on() {
    let root = Root::new();
    root.write("htdocs/target.txt", "the target\n");
    let s = start(
        &root,
        "prefork",
        false,
        "<Location /go>\nSetHandler probe-redirect\n</Location>\n\
         <Location /loop>\nSetHandler probe-redirect\n</Location>\n",
    );
    let r = s.get("/go?/target.txt");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, b"the target\n", "mod-static served the new URI");
    assert_eq!(r.header("X-Redirect-Url"), Some("/go"), "{r:?}");
    assert_eq!(r.header("X-Redirect-Status"), Some("200"));
    // A redirect to itself stops after Apache's limit, with its line.
    let r = s.get("/loop");
    assert_eq!(r.status, 500, "{r:?}");
    assert!(
        s.wait_log(
            "AH00124: Request exceeded the limit of 10 internal redirects",
            5
        ),
        "{}",
        s.log_text()
    );
}

#[test]
fn a_lookup_runs_translate_and_require_for_the_uri() {
    let root = Root::new();
    root.write("htdocs/target.txt", "0123456789");
    root.write("htdocs/secret/x.txt", "hidden");
    let elsewhere = root.write("elsewhere/aliased.txt", "aliased!");
    let s = start(
        &root,
        "prefork",
        false,
        &format!(
            "ProbeAlias /alias/x {}\n<Location /lk>\nSetHandler probe-lookup\n</Location>\n\
             <Location /secret>\nRequire all denied\n</Location>\n",
            elsewhere.display()
        ),
    );
    let body = |q: &str| String::from_utf8(s.get(&format!("/lk?{q}")).body).unwrap();
    assert_eq!(body("/target.txt"), "0 1 10", "a regular file and its size");
    assert_eq!(
        body("/missing.txt"),
        "0 0 0",
        "nothing there is not an error"
    );
    assert_eq!(
        body("/alias/x"),
        "0 1 8",
        "translate hooks run for a lookup"
    );
    assert!(
        body("/secret/x.txt").starts_with("403 "),
        "Require applies to what is looked up"
    );
}

#[test]
fn an_input_filter_sees_the_body_before_the_handler() {
    let root = Root::new();
    let s = start(
        &root,
        "prefork",
        false,
        "<Location /echo>\nSetHandler probe-echo\nSetInputFilter PROBE_UPPER\n</Location>\n\
         <Location /plain>\nSetHandler probe-echo\n</Location>\n",
    );
    let post = |path: &str, framing: &str, body: &str| {
        let raw =
            format!("POST {path} HTTP/1.1\r\nHost: t\r\n{framing}Connection: close\r\n\r\n{body}");
        parse_responses(&s.exchange(raw.as_bytes()), false)
            .into_iter()
            .next()
            .expect("a response")
    };
    let r = post("/echo", "Content-Length: 11\r\n", "hello world");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, b"HELLO WORLD");
    let r = post(
        "/echo",
        "Transfer-Encoding: chunked\r\n",
        "5\r\nabcde\r\n3\r\nfgh\r\n0\r\n\r\n",
    );
    assert_eq!(r.body, b"ABCDEFGH", "de-chunked first, then filtered");
    let r = post("/plain", "Content-Length: 5\r\n", "as is");
    assert_eq!(r.body, b"as is", "only where SetInputFilter says");
}

#[test]
fn output_filters_by_extension_and_type_and_removed_by_extension() {
    let root = Root::new();
    root.write("htdocs/a.txt", "hello");
    root.write("htdocs/a.html", "<p>hi</p>");
    root.write("htdocs/s.css", "p{}");
    root.write("htdocs/plain/b.txt", "as is");
    let big = "x".repeat(100_000);
    root.write("htdocs/big.txt", &big);
    let s = start(
        &root,
        "prefork",
        false,
        "AddOutputFilter PROBE_STARS .TXT\nAddOutputFilterByType PROBE_STARS text/css\n\
         <Location /plain>\nRemoveOutputFilter txt\n</Location>\n",
    );
    let r = s.get("/a.txt");
    assert_eq!(r.body, b"*****", "{r:?}");
    assert_eq!(
        r.header("Content-Length"),
        Some("5"),
        "the filter keeps the length"
    );
    assert_eq!(s.get("/a.html").body, b"<p>hi</p>", "other extensions pass");
    assert_eq!(s.get("/s.css").body, b"***", "by type");
    assert_eq!(
        s.get("/plain/b.txt").body,
        b"as is",
        "removed for .txt there"
    );
    // A file too big for one bucket: read in pieces, all of it filtered.
    let r = s.get("/big.txt");
    assert_eq!(r.body.len(), big.len());
    assert!(r.body.iter().all(|&b| b == b'*'));
}

#[test]
fn the_access_log_shows_environment_variables_and_notes() {
    let root = Root::new();
    root.write("htdocs/a.txt", "a");
    let log = root.path().join("logs/envnotes_log");
    let s = start(
        &root,
        "prefork",
        false,
        &format!(
            "CustomLog {} \"%{{PROBE_VAR}}e %{{probe-note}}n %{{ABSENT}}e %>s\"\n",
            log.display()
        ),
    );
    request(
        &s,
        "GET",
        "/a.txt",
        "X-Set-Env: PROBE_VAR\r\nX-Set-Note: probe-note\r\n",
    );
    request(&s, "GET", "/a.txt", "");
    let lines = file_lines(&log, 2);
    assert_eq!(lines, ["1 noted - 200", "- - - 200"], "{lines:?}");
}

#[test]
fn head_responses_through_body_filters_announce_what_get_would_send() {
    let root = Root::new();
    root.write("htdocs/a.txt", "hello");
    root.write("htdocs/a.dbl", "abc");
    let s = start(
        &root,
        "prefork",
        false,
        "AddOutputFilter PROBE_STARS .txt\nAddOutputFilter PROBE_DOUBLE .dbl\n",
    );
    // A filter that changes the length: GET gets the new length, HEAD none (unknown).
    let r = s.get("/a.dbl");
    assert_eq!(r.body, b"aabbcc", "{r:?}");
    assert_eq!(r.header("Content-Length"), Some("6"));
    let r = request(&s, "HEAD", "/a.dbl", "");
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.header("Content-Length"), None, "{r:?}");
    assert!(r.body.is_empty());
    // A filter that keeps it: HEAD says GET's length.
    let r = request(&s, "HEAD", "/a.txt", "");
    assert_eq!(r.header("Content-Length"), Some("5"), "{r:?}");
}
