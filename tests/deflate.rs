//! mod-deflate on the real server, on each MPM: `DEFLATE` and `BROTLI_COMPRESS` chosen by
//! Accept-Encoding (q-values, `x-gzip` and `*` not taken, as Apache), `Vary` even when not
//! compressing, ETag suffixes, no compression of Range, already encoded, tiny, `no-gzip` or
//! (under `gzip-only-text/html`) non-HTML responses, HEAD without a wrong length, streamed
//! bodies, gzip request bodies inflated by the `DEFLATE` input filter with Apache's bounds;
//! `-t` refusals; `curl --compressed` and headless Chromium decoding byte-exact.

use mapache_tests::*;
use std::io::Read;
use std::process::Command;

/// A compressible page well above mod_deflate's floor.
fn page() -> Vec<u8> {
    (0..400)
        .map(|i| format!("<p>paragraph {i}: the quick brown fox jumps over the lazy dog</p>\n"))
        .collect::<String>()
        .into_bytes()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

fn unbrotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(data, 4096)
        .read_to_end(&mut out)
        .expect("a brotli body");
    out
}

/// One request with extra header lines (`"Name: value\r\n"` each).
fn request(s: &Server, method: &str, path: &str, extra: &str) -> Response {
    let raw = format!("{method} {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
    parse_responses(&s.exchange(raw.as_bytes()), method == "HEAD")
        .into_iter()
        .next()
        .expect("a response")
}

fn get_ae(s: &Server, path: &str, accept_encoding: &str) -> Response {
    request(
        s,
        "GET",
        path,
        &format!("Accept-Encoding: {accept_encoding}\r\n"),
    )
}

/// The module lines for `mpm`: both descriptors from the one module file.
fn modules(mpm: &str) -> String {
    let so = module("libmod_deflate.so");
    format!(
        "{}LoadModule setenvif_module {}\nLoadModule deflate_module {}\nLoadModule brotli_module {}\n",
        modules_for(mpm),
        module("libmod_setenvif.so").display(),
        so.display(),
        so.display()
    )
}

/// The lines after the modules (shared with the Apache comparison in apache_compat.rs):
/// brotli first, so a client taking both gets br; gzip alone for JavaScript.
pub fn lines() -> &'static str {
    "AddType text/html .html\nAddType text/css .css\nAddType text/plain .txt\n\
     AddType application/javascript .js\nAddEncoding gzip .gz\n\
     <IfModule mod_brotli.c>\nAddOutputFilterByType BROTLI_COMPRESS text/html text/css\n</IfModule>\n\
     <IfModule deflate_module>\nAddOutputFilterByType DEFLATE text/html text/css text/plain application/javascript\n</IfModule>\n\
     SetEnvIfNoCase Request_URI \\.nogzip\\.txt$ no-gzip\n\
     SetEnvIf Request_URI ^/only/ gzip-only-text/html=1\n"
}

fn site(root: &Root) -> Vec<u8> {
    let page = page();
    for f in [
        "big.html",
        "big.txt",
        "big.nogzip.txt",
        "only/big.html",
        "only/big.txt",
        "app.js",
        "all/big.html",
    ] {
        root.write(&format!("htdocs/{f}"), &page);
    }
    root.write("htdocs/tiny.html", "<p>hi</p>\n");
    // text/html with Content-Encoding gzip (mod_mime's AddEncoding): already encoded.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &page).unwrap();
    root.write("htdocs/packed.html.gz", gz.finish().unwrap());
    page
}

#[test]
fn compression_as_apache_on_each_mpm() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let page = site(&root);
        root.config(&format!(
            "{}{}<Location /stream>\nSetHandler test-stream\n</Location>\n\
             <Location /all/>\nSetOutputFilter DEFLATE\n</Location>\n",
            modules(mpm),
            lines()
        ));
        let s = Server::start(&root, &[]);
        let plain = s.get("/big.html");
        let etag = plain.header("ETag").expect("an ETag").to_owned();
        // Not asked for: identity, but Vary says the answer depends on Accept-Encoding.
        assert_eq!(plain.header("Content-Encoding"), None, "{mpm}");
        assert_eq!(plain.header("Vary"), Some("Accept-Encoding"), "{mpm}");
        assert_eq!(plain.body, page);

        let r = get_ae(&s, "/big.html", "gzip");
        assert_eq!(r.status, 200);
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{mpm}");
        assert_eq!(r.header("Vary"), Some("Accept-Encoding"));
        assert_eq!(r.header("Content-Type"), Some("text/html"));
        let gzip_tag = format!("{}-gzip\"", etag.trim_end_matches('"'));
        assert_eq!(r.header("ETag"), Some(gzip_tag.as_str()));
        assert!(
            r.body.len() < page.len() / 4,
            "{mpm}: {} bytes",
            r.body.len()
        );
        if let Some(n) = r.header("Content-Length") {
            assert_eq!(
                n.parse::<usize>().unwrap(),
                r.body.len(),
                "{mpm}: a true length"
            );
        }
        assert_eq!(gunzip(&r.body), page, "{mpm}");

        // Both taken: brotli runs first in the chain, DEFLATE then sees an encoded body.
        let r = get_ae(&s, "/big.html", "gzip, deflate, br");
        assert_eq!(r.header("Content-Encoding"), Some("br"), "{mpm}");
        let br_tag = format!("{}-br\"", etag.trim_end_matches('"'));
        assert_eq!(r.header("ETag"), Some(br_tag.as_str()));
        assert_eq!(unbrotli(&r.body), page);
        let r = get_ae(&s, "/big.html", "br;q=0, gzip;q=0.5");
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{mpm}");
        assert_eq!(gunzip(&r.body), page);

        // Refused or not named: identity, with Vary.
        for ae in ["gzip;q=0", "x-gzip", "*", "identity"] {
            let r = get_ae(&s, "/big.html", ae);
            assert_eq!(r.header("Content-Encoding"), None, "{mpm}: {ae}");
            assert_eq!(r.header("Vary"), Some("Accept-Encoding"), "{mpm}: {ae}");
            assert_eq!(r.header("ETag"), Some(etag.as_str()));
            assert_eq!(r.body, page, "{mpm}: {ae}");
        }

        // JavaScript: gzip only (no brotli for its type).
        let r = get_ae(&s, "/app.js", "gzip, br");
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{mpm}");
        assert_eq!(r.header("Content-Type"), Some("application/javascript"));
        assert_eq!(gunzip(&r.body), page);

        // Too small to pay: as it is, with Vary.
        let r = get_ae(&s, "/tiny.html", "gzip");
        assert_eq!(r.header("Content-Encoding"), None, "{mpm}");
        assert_eq!(r.header("Vary"), Some("Accept-Encoding"));
        assert_eq!(r.body, b"<p>hi</p>\n");

        // Already encoded: left alone, one Content-Encoding.
        let r = get_ae(&s, "/packed.html.gz", "gzip, br");
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{mpm}");
        assert_eq!(gunzip(&r.body), page);
        assert_eq!(
            r.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("content-encoding"))
                .count(),
            1
        );

        // no-gzip (SetEnvIfNoCase): as it is, and no Vary (Apache checks it first).
        let r = get_ae(&s, "/big.nogzip.txt", "gzip");
        assert_eq!(
            (r.header("Content-Encoding"), r.header("Vary")),
            (None, None),
            "{mpm}"
        );
        assert_eq!(r.body, page);
        // gzip-only-text/html=1: text/plain as it is, text/html compressed.
        let r = get_ae(&s, "/only/big.txt", "gzip");
        assert_eq!(r.header("Content-Encoding"), None, "{mpm}");
        let r = get_ae(&s, "/only/big.html", "gzip");
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{mpm}");

        // Range: the identity bytes asked for, never a slice of a compressed stream.
        let r = request(
            &s,
            "GET",
            "/big.html",
            "Accept-Encoding: gzip, br\r\nRange: bytes=100-199\r\n",
        );
        assert_eq!(r.status, 206, "{mpm}");
        assert_eq!(r.header("Content-Encoding"), None, "{mpm}");
        assert_eq!(r.body, &page[100..200], "{mpm}");

        // Several ranges (multipart/byteranges, no Content-Range of its own) under
        // SetOutputFilter DEFLATE, which takes every type: still the identity parts.
        let r = request(
            &s,
            "GET",
            "/all/big.html",
            "Accept-Encoding: gzip\r\nRange: bytes=0-9,100-109\r\n",
        );
        assert_eq!(r.status, 206, "{mpm}");
        assert_eq!(r.header("Content-Encoding"), None, "{mpm}");
        let body = String::from_utf8_lossy(&r.body);
        assert!(
            body.contains("Content-Range: bytes 100-109/"),
            "{mpm}: {body}"
        );
        assert_eq!(
            get_ae(&s, "/all/big.html", "gzip").header("Content-Encoding"),
            Some("gzip")
        );

        // HEAD: the compressed response's head, and no identity length that GET would break.
        let r = request(&s, "HEAD", "/big.html", "Accept-Encoding: gzip\r\n");
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{mpm}");
        assert_ne!(
            r.header("Content-Length"),
            Some(page.len().to_string().as_str()),
            "{mpm}"
        );
        assert!(r.body.is_empty());

        // A body of unknown length written in pieces: compressed as it streams, chunked.
        let r = get_ae(&s, "/stream?40", "gzip");
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{mpm}");
        let expected: String = (0..40)
            .map(|i| format!("piece {i} {}\n", "x".repeat(30_000)))
            .collect();
        assert_eq!(gunzip(&r.body), expected.as_bytes(), "{mpm}");
    });
}

#[test]
fn gzip_request_bodies_are_inflated_within_apaches_bounds() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        root.config(&format!(
            "{}<Location /echo>\nSetHandler test-echo\nSetInputFilter DEFLATE\n</Location>\n\
             <Location /echo/small>\nDeflateInflateLimitRequestBody 1000\n</Location>\n",
            modules(mpm)
        ));
        let s = Server::start(&root, &[]);
        let body = page();
        let gz = |data: &[u8]| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut e, data).unwrap();
            e.finish().unwrap()
        };
        let post = |path: &str, encoding: Option<&str>, data: &[u8]| {
            let mut raw = format!(
                "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n",
                data.len()
            );
            if let Some(e) = encoding {
                raw.push_str(&format!("Content-Encoding: {e}\r\n"));
            }
            raw.push_str("Connection: close\r\n\r\n");
            let mut raw = raw.into_bytes();
            raw.extend_from_slice(data);
            parse_responses(&s.exchange(&raw), false)
                .into_iter()
                .next()
                .expect("a response")
        };
        // gzip: the handler reads the inflated bytes.
        let r = post("/echo", Some("gzip"), &gz(&body));
        assert_eq!(r.status, 200, "{mpm}");
        let summary = format!("POST /echo HTTP/1.1 {}\n", body.len());
        assert_eq!(&r.body[..summary.len()], summary.as_bytes(), "{mpm}");
        assert_eq!(&r.body[summary.len()..], &body[..], "{mpm}");
        // Not gzip: passed as it is.
        let r = post("/echo", None, b"plain body");
        assert_eq!(r.body, b"POST /echo HTTP/1.1 10\nplain body", "{mpm}");
        // Inflating past DeflateInflateLimitRequestBody: refused, with Apache's line.
        let mark = s.log_mark();
        let r = post("/echo/small", Some("gzip"), &gz(&body));
        assert_eq!(r.status, 400, "{mpm}");
        assert!(
            s.wait_log_since(mark, "is larger than the configured limit of 1000", 5)
                .is_some(),
            "{mpm}: {}",
            s.log_text()
        );
        // A gzip bomb (a MiB of zeros in about a KiB): the ratio limit stops it.
        let mark = s.log_mark();
        let r = post("/echo", Some("gzip"), &gz(&vec![0u8; 1 << 20]));
        assert_eq!(r.status, 400, "{mpm}");
        assert!(
            s.wait_log_since(
                mark,
                "Inflated content ratio is larger than the configured limit 200",
                5
            )
            .is_some(),
            "{mpm}: {}",
            s.log_text()
        );
    });
}

#[test]
fn directives_mapache_cannot_honour_or_bad_values_fail_t() {
    for (line, expected) in [
        (
            "DeflateMemLevel 9",
            "DeflateMemLevel is not supported by mapache's mod_deflate",
        ),
        (
            "DeflateFilterNote Size s",
            "DeflateFilterNote: Unknown note type Size",
        ),
        (
            "BrotliFilterNote Size s",
            "BrotliFilterNote: Unknown note type Size",
        ),
        (
            "DeflateCompressionLevel 10",
            "DeflateCompressionLevel must be between 1 and 9",
        ),
        (
            "DeflateWindowSize 16",
            "DeflateWindowSize must be between 1 and 15",
        ),
        (
            "DeflateAlterETag keep",
            "Unknown DeflateAlterETag argument 'keep'",
        ),
        (
            "BrotliCompressionQuality 12",
            "BrotliCompressionQuality must be between 0 and 11",
        ),
        (
            "BrotliCompressionWindow 25",
            "BrotliCompressionWindow must be between 10 and 24",
        ),
    ] {
        let root = Root::new();
        let conf = root.config(&format!("{}\n{line}\n", modules("prefork")));
        let out = run(&["-t", "-f", conf.to_str().unwrap()]);
        assert_ne!(out.code, Some(0), "{line}");
        assert!(out.stderr.contains(expected), "{line}: {}", out.stderr);
        assert!(
            out.stderr.contains("line "),
            "{line}: file and line: {}",
            out.stderr
        );
    }
    // The values Apache accepts pass.
    let root = Root::new();
    let conf = root.config(&format!(
        "{}DeflateCompressionLevel 9\nDeflateBufferSize 16384\nDeflateWindowSize 12\n\
         DeflateAlterETag NoChange\nDeflateInflateRatioLimit 50\nDeflateInflateRatioBurst 2\n\
         BrotliCompressionQuality 11\nBrotliCompressionWindow 24\nBrotliCompressionMaxInputBlock 20\n\
         BrotliAlterETag Remove\n{}",
        modules("prefork"),
        lines()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn settings_change_what_is_sent() {
    let root = Root::new();
    let page = site(&root);
    root.config(&format!(
        "{}{}DeflateCompressionLevel 1\nDeflateAlterETag Remove\nBrotliAlterETag NoChange\n\
         BrotliCompressionQuality 0\n",
        modules("event"),
        lines()
    ));
    let s = Server::start(&root, &[]);
    let etag = s.get("/big.html").header("ETag").unwrap().to_owned();
    let r = get_ae(&s, "/big.html", "gzip");
    assert_eq!(r.header("ETag"), None, "DeflateAlterETag Remove");
    assert_eq!(gunzip(&r.body), page);
    let r = get_ae(&s, "/big.html", "br");
    assert_eq!(
        r.header("ETag"),
        Some(etag.as_str()),
        "BrotliAlterETag NoChange"
    );
    assert_eq!(unbrotli(&r.body), page);
}

/// `curl --compressed` decodes what mapache sends byte for byte (skipped without curl).
#[test]
fn curl_compressed_decodes_byte_exact() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("NOTE: curl is not installed (apt-get install -y curl); skipping");
        return;
    }
    let root = Root::new();
    let page = site(&root);
    root.config(&format!("{}{}", modules("worker"), lines()));
    let s = Server::start(&root, &[]);
    for (path, encoding) in [("/big.html", "br"), ("/app.js", "gzip")] {
        let head = root.path().join("head.txt");
        let out = Command::new("curl")
            .args(["-s", "--compressed", "-D"])
            .arg(&head)
            .arg(format!("http://{}{path}", s.addr))
            .output()
            .expect("curl runs");
        assert!(out.status.success(), "{path}");
        assert_eq!(out.stdout, page, "{path}");
        let head = std::fs::read_to_string(&head).unwrap().to_ascii_lowercase();
        assert!(
            head.contains(&format!("content-encoding: {encoding}")),
            "{path}: {head}"
        );
    }
}

/// 32-bit FNV-1a, as the page's script computes it over what the browser decoded.
fn fnv1a(data: &[u8]) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for &b in data {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// Headless Chromium loads a page whose CSS arrives br and whose JavaScript arrives gzip:
/// the stylesheet applies, the script runs, and the bytes it fetches again hash as the files
/// (skipped without Debian's chromium).
#[test]
fn chromium_decodes_gzip_and_brotli() {
    if Command::new("chromium").arg("--version").output().is_err() {
        eprintln!("NOTE: chromium is not installed (apt-get install -y chromium); skipping");
        return;
    }
    let root = Root::new();
    let css = b"body { color: rgb(1, 2, 3); }\n".repeat(200);
    let mut js = String::from(
        "function fnv(s){var h=0x811c9dc5;for(var i=0;i<s.length;i++){h^=s.charCodeAt(i);h=Math.imul(h,0x01000193)>>>0;}return ('0000000'+h.toString(16)).slice(-8);}\n\
         function load(p){var x=new XMLHttpRequest();x.open('GET',p,false);x.send();return p+' '+x.getResponseHeader('Content-Encoding')+' '+fnv(x.responseText);}\n\
         window.onload=function(){document.getElementById('out').textContent=[load('/style.css'),load('/app.js'),'color '+getComputedStyle(document.body).color].join('|');};\n",
    );
    for i in 0..300 {
        js.push_str(&format!(
            "var filler{i} = 'the script is long enough to compress';\n"
        ));
    }
    root.write("htdocs/style.css", &css);
    root.write("htdocs/app.js", &js);
    root.write(
        "htdocs/index.html",
        format!(
            "<!DOCTYPE html><html><head><link rel=stylesheet href=/style.css><script src=/app.js></script></head>\
             <body><pre id=out>not run</pre>{}</body></html>\n",
            "<p>page text to compress</p>".repeat(50)
        ),
    );
    root.config(&format!("{}{}", modules("event"), lines()));
    let s = Server::start(&root, &[]);
    let profile = root.path().join("chromium-profile");
    let out = Command::new("timeout")
        .args([
            "60",
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=5000", "--dump-dom"])
        .arg(format!("http://{}/index.html", s.addr))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let expected = format!(
        "/style.css br {}|/app.js gzip {}|color rgb(1, 2, 3)",
        fnv1a(&css),
        fnv1a(js.as_bytes())
    );
    assert!(dom.contains(&expected), "expected {expected} in:\n{dom}");
    // The page itself came br (the access log would say so too; the head says it here).
    let r = get_ae(&s, "/index.html", "gzip, deflate, br, zstd");
    assert_eq!(r.header("Content-Encoding"), Some("br"));
}

/// `StaticPrecompressed On` (mapache's, off by default): `style.css.br` / `style.css.gz` served
/// in place of `style.css` to a client that takes them, with the file's Content-Type,
/// `Content-Encoding` and `Vary`; a stale sidecar, a Range request and the default Off serve
/// the file itself. The DEFLATE filter then leaves the already encoded body alone.
#[test]
fn precompressed_sidecars_when_switched_on_on_each_mpm() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let css = b"body { color: rgb(1, 2, 3); }\n".repeat(100);
        root.write("htdocs/on/style.css", &css);
        // Marked bodies, so the test sees which file went out.
        root.write("htdocs/on/style.css.br", b"brotli sidecar");
        root.write("htdocs/on/style.css.gz", b"gzip sidecar");
        root.write("htdocs/on/old.css", &css);
        let old_gz = root.write("htdocs/on/old.css.gz", b"stale");
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(old_gz)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
        root.write("htdocs/off/style.css", &css);
        root.write("htdocs/off/style.css.gz", b"gzip sidecar");
        let htdocs = root.path().join("htdocs").display().to_string();
        root.config(&format!(
            "{}{}<Directory \"{htdocs}/on\">\nStaticPrecompressed On\n</Directory>\n",
            modules(mpm),
            lines()
        ));
        let s = Server::start(&root, &[]);
        let r = get_ae(&s, "/on/style.css", "gzip, deflate, br");
        assert_eq!(r.status, 200, "{mpm}");
        assert_eq!(r.header("Content-Encoding"), Some("br"), "{mpm}");
        assert_eq!(r.header("Content-Type"), Some("text/css"));
        assert_eq!(r.header("Vary"), Some("Accept-Encoding"));
        assert_eq!(r.body, b"brotli sidecar", "{mpm}");
        let r = get_ae(&s, "/on/style.css", "gzip");
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{mpm}");
        assert_eq!(r.body, b"gzip sidecar", "{mpm}");
        // Not accepted: the file, which the DEFLATE/BROTLI filters may still compress.
        let r = get_ae(&s, "/on/style.css", "identity");
        assert_eq!(
            (r.header("Content-Encoding"), &r.body),
            (None, &css),
            "{mpm}"
        );
        assert_eq!(r.header("Vary"), Some("Accept-Encoding"));
        // Older than the file: not used (the filter compresses the file instead).
        let r = get_ae(&s, "/on/old.css", "gzip");
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{mpm}");
        assert_eq!(
            gunzip(&r.body),
            css,
            "{mpm}: compressed on the fly, not the stale file"
        );
        // Range: the file's identity bytes.
        let r = request(
            &s,
            "GET",
            "/on/style.css",
            "Accept-Encoding: gzip, br\r\nRange: bytes=0-9\r\n",
        );
        assert_eq!(
            (r.status, r.header("Content-Encoding")),
            (206, None),
            "{mpm}"
        );
        assert_eq!(r.body, &css[..10]);
        // Off (the default): the sidecar is never sent.
        let r = get_ae(&s, "/off/style.css", "gzip");
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{mpm}");
        assert_eq!(gunzip(&r.body), css, "{mpm}: compressed on the fly");
    });
}

/// DeflateFilterNote and BrotliFilterNote as Apache writes them (checked by hand against
/// apache2 2.4.71: gzip's Output leaves out the 18 bytes of gzip header and trailer, the ratio
/// is out × 100 / in as a whole number), seen in the access log; nothing for an identity answer.
#[test]
fn filter_notes_reach_the_access_log() {
    let root = Root::new();
    let page = site(&root);
    root.config(&format!(
        "{}{}DeflateFilterNote Input din\nDeflateFilterNote Output dout\nDeflateFilterNote dratio\n\
         BrotliFilterNote Input bin\nBrotliFilterNote Output bout\nBrotliFilterNote Ratio bratio\n\
         LogFormat \"%U %{{din}}n %{{dout}}n %{{dratio}}n %{{bin}}n %{{bout}}n %{{bratio}}n %B\" notes\n\
         CustomLog logs/notes notes\n",
        modules("prefork"),
        lines()
    ));
    let s = Server::start(&root, &[]);
    let gz = get_ae(&s, "/big.html", "gzip");
    let br = get_ae(&s, "/big.html", "br");
    let plain = s.get("/big.html");
    assert_eq!(plain.body, page);
    let log = file_lines(&root.path().join("logs/notes"), 3);
    let n = page.len();
    let (g, b) = (gz.body.len() - 18, br.body.len());
    assert_eq!(
        log,
        [
            format!("/big.html {n} {g} {} - - - {}", g * 100 / n, gz.body.len()),
            format!("/big.html - - - {n} {b} {} {b}", b * 100 / n),
            format!("/big.html - - - - - - {n}"),
        ]
    );
}
