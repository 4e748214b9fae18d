//! mod-negotiation on the real server: type maps chosen by Accept and Accept-Language (with
//! `qs`, LanguagePriority, ForceLanguagePriority Fallback), a map's `Body:`, MultiViews over
//! `doc.en.html`/`doc.de.html` with AddLanguage, 406 with Apache's variant list, the headers
//! Apache sets (Vary, TCN, Content-Location, Alternates), and `-t` passing Debian's
//! `AddHandler type-map var` and negotiation.conf lines. When apache2 is installed, the same
//! requests go to it too and the answers are compared.

use mapache_tests::*;
use std::path::Path;

fn modules() -> String {
    format!("{}{}", standard_modules(), negotiation_line())
}

fn negotiation_line() -> String {
    format!(
        "LoadModule negotiation_module {}\n",
        module("libmod_negotiation.so").display()
    )
}

/// The MPM and mod-static only: the test handlers declare no handler names, which lets any
/// `AddHandler` name pass `-t`.
fn plain_modules() -> String {
    modules_for("prefork")
        .lines()
        .filter(|l| !l.contains("test_handlers"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The site both servers serve: a type map by type, one by language, one with a body, and a
/// MultiViews directory (and one with Fallback).
fn site(htdocs: &Path) {
    let write = |rel: &str, data: &str| {
        let p = htdocs.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    write("tm/a.html", "<p>html</p>\n");
    write("tm/a.txt", "plain\n");
    write(
        "tm/a.var",
        "URI: a\n\nURI: a.html\nContent-Type: text/html; qs=0.8\n\n\
         URI: a.txt\nContent-Type: text/plain; qs=0.5\nDescription: plain text\n",
    );
    write("tm/l.en.html", "hello en\n");
    write("tm/l.de.html", "hallo de\n");
    write(
        "tm/l.var",
        "URI: l.en.html\nContent-Type: text/html\nContent-Language: en\n\n\
         URI: l.de.html\nContent-Type: text/html\nContent-Language: de\n",
    );
    write(
        "tm/b.var",
        "URI: b\nContent-Type: text/plain\nContent-Language: fr\nBody:--end--\nbonjour\n--end--\n",
    );
    write("ht/.htaccess", "LanguagePriority de en\n");
    for dir in ["mv", "fb", "ht"] {
        write(&format!("{dir}/doc.en.html"), "hello en\n");
        write(&format!("{dir}/doc.de.html"), "hallo de\n");
        write(&format!("{dir}/doc.en.xyzzy"), "old\n");
    }
}

/// The configuration lines both servers get (after their own modules and paths).
fn shared_lines(htdocs: &Path) -> String {
    format!(
        "AddHandler type-map var\n\
         AddLanguage en .en\nAddLanguage de .de\nAddLanguage fr .fr\n\
         LanguagePriority en de fr\n\
         <Directory \"{d}/mv\">\nOptions +MultiViews\n</Directory>\n\
         <Directory \"{d}/fb\">\nOptions +MultiViews\nForceLanguagePriority Fallback\n</Directory>\n\
         <Directory \"{d}/ht\">\nOptions +MultiViews\nAllowOverride FileInfo\n</Directory>\n",
        d = htdocs.display()
    )
}

fn get(s: &Server, path: &str, extra: &str) -> Response {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n");
    parse_responses(&s.exchange(raw.as_bytes()), false)
        .into_iter()
        .next()
        .expect("a response")
}

fn start() -> (Root, Server) {
    let root = Root::new();
    let htdocs = root.path().join("htdocs");
    site(&htdocs);
    root.config(&format!("{}{}", modules(), shared_lines(&htdocs)));
    let s = Server::start(&root, &[]);
    (root, s)
}

fn body(r: &Response) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

#[test]
fn a_type_map_chosen_by_accept_and_qs() {
    let (_root, s) = start();
    let r = get(&s, "/tm/a.var", "");
    assert_eq!((r.status, body(&r).as_str()), (200, "<p>html</p>\n"));
    assert_eq!(r.header("Content-Location"), Some("a.html"));
    assert_eq!(r.header("Vary"), Some("negotiate,accept"));
    assert_eq!(r.header("TCN"), Some("choice"));
    assert_eq!(r.header("Content-Type"), Some("text/html"));
    let r = get(&s, "/tm/a.var", "Accept: text/plain\r\n");
    assert_eq!((r.status, body(&r).as_str()), (200, "plain\n"));
    assert_eq!(r.header("Content-Location"), Some("a.txt"));
    let r = get(&s, "/tm/a.var", "Accept: text/html;q=0.5, text/plain\r\n");
    assert_eq!(body(&r), "plain\n");
    let r = get(&s, "/tm/a.var", "Accept: text/*\r\n");
    assert_eq!(body(&r), "<p>html</p>\n");
}

#[test]
fn a_type_map_chosen_by_accept_language_and_language_priority() {
    let (_root, s) = start();
    let r = get(&s, "/tm/l.var", "Accept-Language: de\r\n");
    assert_eq!((r.status, body(&r).as_str()), (200, "hallo de\n"));
    assert_eq!(r.header("Content-Language"), Some("de"));
    assert_eq!(r.header("Vary"), Some("negotiate,accept-language"));
    let r = get(&s, "/tm/l.var", "Accept-Language: de;q=0.4, en;q=0.9\r\n");
    assert_eq!(body(&r), "hello en\n");
    // No Accept-Language: LanguagePriority's first.
    assert_eq!(body(&get(&s, "/tm/l.var", "")), "hello en\n");
    // en-GB takes an en variant (Apache's prefix fiddle).
    assert_eq!(
        body(&get(&s, "/tm/l.var", "Accept-Language: en-GB\r\n")),
        "hello en\n"
    );
    // A map's Body: is served from the map itself.
    let r = get(&s, "/tm/b.var", "");
    assert_eq!((r.status, body(&r).as_str()), (200, "bonjour"));
    assert_eq!(r.header("Content-Language"), Some("fr"));
}

#[test]
fn nothing_acceptable_is_406_with_apaches_list() {
    let (_root, s) = start();
    let r = get(&s, "/tm/a.var", "Accept: image/png\r\n");
    assert_eq!(r.status, 406);
    assert_eq!(r.header("TCN"), Some("list"));
    assert_eq!(
        r.header("Alternates"),
        Some("{\"a.html\" 0.8 {type text/html} {length 12}}, {\"a.txt\" 0.5 {type text/plain} {length 6}}")
    );
    let page = body(&r);
    assert!(
        page.contains("<h1>Not Acceptable</h1>")
            && page.contains("<li><a href=\"a.txt\">a.txt</a> plain text, type text/plain</li>"),
        "{page}"
    );
    assert_eq!(
        r.header("Content-Type"),
        Some("text/html; charset=iso-8859-1")
    );
    let r = get(&s, "/mv/doc", "Accept-Language: fr\r\n");
    assert_eq!(r.status, 406, "{}", body(&r));
    assert!(body(&r).contains(
        "<li><a href=\"doc.de.html\">doc.de.html</a> , type text/html, language de</li>"
    ));
    // doc.en.xyzzy has an extension mod_mime does not know: no variant.
    assert!(!body(&r).contains("xyzzy"), "{}", body(&r));
}

#[test]
fn multiviews_picks_a_variant_by_language() {
    let (_root, s) = start();
    let r = get(&s, "/mv/doc", "Accept-Language: de\r\n");
    assert_eq!((r.status, body(&r).as_str()), (200, "hallo de\n"));
    assert_eq!(r.header("Content-Location"), Some("doc.de.html"));
    assert_eq!(r.header("Vary"), Some("negotiate,accept-language"));
    assert_eq!(r.header("TCN"), Some("choice"));
    assert_eq!(r.header("Content-Language"), Some("de"));
    assert_eq!(body(&get(&s, "/mv/doc", "")), "hello en\n");
    // Fallback: no acceptable language, LanguagePriority picks.
    let r = get(&s, "/fb/doc", "Accept-Language: fr\r\n");
    assert_eq!((r.status, body(&r).as_str()), (200, "hello en\n"));
    // LanguagePriority from a .htaccess (AllowOverride FileInfo) over the server's.
    assert_eq!(body(&get(&s, "/ht/doc", "")), "hallo de\n");
    // Without MultiViews the name is just missing; with it, a name without variants too.
    assert_eq!(get(&s, "/tm/l", "").status, 404);
    assert_eq!(get(&s, "/mv/none", "").status, 404);
    // An existing file is not negotiated.
    let r = get(&s, "/mv/doc.de.html", "Accept-Language: en\r\n");
    assert_eq!((r.status, r.header("TCN")), (200, None));
}

#[test]
fn debians_negotiation_lines_pass_t() {
    let root = Root::new();
    let debian = Path::new("/etc/apache2/mods-available/negotiation.conf");
    let shipped = if debian.exists() {
        format!("Include {}\n", debian.display())
    } else {
        "<IfModule mod_negotiation.c>\nLanguagePriority en ca cs da de el eo es et fr he hr it ja ko ltz nl nn no pl pt pt-BR ru sv tr zh-CN zh-TW\nForceLanguagePriority Prefer Fallback\n</IfModule>\n".to_owned()
    };
    // Debian's mime.conf too (its `AddHandler type-map var` is unconditional), when present.
    let mime = Path::new("/etc/apache2/mods-available/mime.conf");
    let mime = if mime.exists() {
        format!("Include {}\n", mime.display())
    } else {
        String::new()
    };
    let conf = root.config(&format!(
        "{}{}{mime}AddHandler type-map var\n{shipped}CacheNegotiatedDocs Off\n",
        plain_modules(),
        negotiation_line()
    ));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // Without the module, Debian's mime.conf line is refused, as before.
    let conf = root.config(&format!("{}AddHandler type-map var\n", plain_modules()));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("AddHandler type-map: no loaded module declares a handler"),
        "{}",
        out.stderr
    );
    // A bad ForceLanguagePriority value fails with Apache's words and the line.
    let conf = root.config(&format!("{}ForceLanguagePriority None Prefer\n", modules()));
    let out = run(&["-t", "-f", conf.to_str().unwrap()]);
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr
            .contains("Cannot combine ForceLanguagePriority options with None"),
        "{}",
        out.stderr
    );
}
