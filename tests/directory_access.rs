//! `<Directory>` access decided by where a file really is: however DocumentRoot, the section or
//! the request spell the path, through symbolic links inside the root, as `Options` says of
//! links, and while a directory is swapped for a link during requests.

use mapache_tests::*;
use std::io::{Read, Write};
use std::os::unix::fs::symlink;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const SECRET: &[u8] = b"the protected content";

/// www/{index.html, public/a.txt, private/secret.txt}; DocumentRoot and `<Directory>` lines
/// come from the test.
fn site(root: &Root) -> String {
    root.write("www/index.html", b"home");
    root.write("www/public/a.txt", b"public");
    root.write("www/private/secret.txt", SECRET);
    root.path().display().to_string()
}

fn start(root: &Root, mpm: &str, body: &str) -> Server {
    root.config(&format!("{}{body}", modules_for(mpm)));
    Server::start(root, &[])
}

/// Every way of spelling the protected file's URL.
const SPELLINGS: [&str; 6] = [
    "/private/secret.txt",
    "//private/secret.txt",
    "/./private/secret.txt",
    "/private//secret.txt",
    "/public/../private/secret.txt",
    "/private/./secret.txt",
];

fn assert_protected(s: &Server, what: &str) {
    for url in SPELLINGS {
        let r = s.get(url);
        assert_eq!(r.status, 403, "{what}: {url} answered {}", r.status);
        assert!(!r.body.windows(SECRET.len()).any(|w| w == SECRET));
    }
    // A missing file in the protected directory is refused too, not a 404 that says it is not there.
    assert_eq!(s.get("/private/nothing.txt").status, 403, "{what}");
    assert_eq!(s.get("/public/a.txt").body, b"public", "{what}");
}

#[test]
fn directory_sections_match_however_the_paths_are_written() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let r = site(&root);
        std::fs::create_dir_all(root.path().join("links")).unwrap();
        symlink(root.path().join("www"), root.path().join("links/current")).unwrap();
        let cases = [
            ("DocumentRoot with a trailing slash", format!("DocumentRoot \"{r}/www/\"\n<Directory {r}/www/private>\nRequire all denied\n</Directory>\n")),
            ("section with //", format!("DocumentRoot {r}/www\n<Directory {r}/www//private>\nRequire all denied\n</Directory>\n")),
            ("section with /./ and a trailing slash", format!("DocumentRoot {r}/www\n<Directory \"{r}/www/./private/\">\nRequire all denied\n</Directory>\n")),
            ("DocumentRoot with // and /./", format!("DocumentRoot {r}//www/.\n<Directory {r}/www/private>\nRequire all denied\n</Directory>\n")),
            ("linked DocumentRoot, section by the real path", format!("DocumentRoot {r}/links/current\n<Directory {r}/www/private>\nRequire all denied\n</Directory>\n")),
            ("real DocumentRoot, section through the link", format!("DocumentRoot {r}/www\n<Directory {r}/links/current/private>\nRequire all denied\n</Directory>\n")),
            ("linked DocumentRoot, section through the link", format!("DocumentRoot {r}/links/current/\n<Directory {r}/links/current/private>\nRequire all denied\n</Directory>\n")),
        ];
        for (what, conf) in cases {
            let s = start(&root, mpm, &conf);
            assert_protected(&s, what);
            assert!(
                s.wait_log("client denied by server configuration", 5),
                "{what}: {}",
                s.log_text()
            );
        }
    });
}

#[test]
fn a_link_into_a_protected_directory_is_judged_by_the_directory_it_reaches() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let r = site(&root);
        symlink("private", root.path().join("www/pub")).unwrap();
        symlink(
            "../private/secret.txt",
            root.path().join("www/public/file-link"),
        )
        .unwrap();
        root.write("www/idx/.keep", b"");
        symlink(
            "../private/secret.txt",
            root.path().join("www/idx/index.html"),
        )
        .unwrap();
        symlink("../public/a.txt", root.path().join("www/idx/ok.html")).unwrap();
        let deny = format!(
            "DocumentRoot {r}/www\n<Directory {r}/www/private>\nRequire all denied\n</Directory>\n"
        );
        // Links are followed (the default follows those inside the root; FollowSymLinks every
        // one), but the real directory decides.
        for options in ["", "Options FollowSymLinks\n", "Options +Indexes\n"] {
            let s = start(&root, mpm, &format!("{deny}{options}"));
            for url in [
                "/pub/secret.txt",
                "/public/file-link",
                "/idx/",
                "/idx/index.html",
            ] {
                let got = s.get(url);
                assert_eq!(got.status, 403, "{options:?} {url}");
                assert!(!got.body.windows(SECRET.len()).any(|w| w == SECRET));
            }
            // A link into an open directory still works.
            assert_eq!(s.get("/idx/ok.html").body, b"public", "{options:?}");
        }
        // Options None: no link is followed at all, as in Apache.
        let s = start(&root, mpm, &format!("{deny}Options None\n"));
        assert_eq!(s.get("/idx/ok.html").status, 403);
        assert!(s.wait_log("Symbolic link not allowed or link target not accessible", 5));
        drop(s);
        // Per directory, as the <Directory> holding the link says.
        let s = start(
            &root,
            mpm,
            &format!("{deny}Options None\n<Directory {r}/www/idx>\nOptions FollowSymLinks\n</Directory>\n"),
        );
        assert_eq!(s.get("/idx/ok.html").body, b"public");
        assert_eq!(s.get("/pub/secret.txt").status, 403);
    });
}

#[test]
fn symlinks_if_owner_match_follows_only_links_owned_like_their_target() {
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("skipped: changing a link's owner needs root");
        return;
    }
    on_each_mpm(|mpm| {
        let root = Root::new();
        let r = site(&root);
        symlink("public/a.txt", root.path().join("www/mine")).unwrap();
        let theirs = root.path().join("www/theirs");
        symlink("public/a.txt", &theirs).unwrap();
        let c = std::ffi::CString::new(theirs.to_str().unwrap()).unwrap();
        // SAFETY: a valid path; lchown changes the link itself.
        assert_eq!(unsafe { libc::lchown(c.as_ptr(), 65534, 65534) }, 0);
        let s = start(
            &root,
            mpm,
            &format!("DocumentRoot {r}/www\nOptions SymLinksIfOwnerMatch\n"),
        );
        assert_eq!(s.get("/mine").body, b"public");
        assert_eq!(s.get("/theirs").status, 403);
    });
}

/// Exchanges two paths atomically (renameat2 RENAME_EXCHANGE).
fn exchange(a: &std::path::Path, b: &std::path::Path) -> bool {
    let a = std::ffi::CString::new(a.to_str().unwrap()).unwrap();
    let b = std::ffi::CString::new(b.to_str().unwrap()).unwrap();
    // SAFETY: two valid paths.
    unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        ) == 0
    }
}

#[test]
fn a_directory_swapped_for_a_link_never_serves_outside_the_root() {
    on_each_mpm(|mpm| {
        let root = Root::new();
        let r = site(&root);
        root.write("www/race/passwd", b"inside");
        root.write("outside/passwd", SECRET);
        symlink(
            root.path().join("outside"),
            root.path().join("www/race.link"),
        )
        .unwrap();
        // One connection for the whole run.
        let s = start(
            &root,
            mpm,
            &format!("DocumentRoot {r}/www\nMaxKeepAliveRequests 0\n"),
        );
        let stop = AtomicBool::new(false);
        let (dir, link) = (
            root.path().join("www/race"),
            root.path().join("www/race.link"),
        );
        let (mut served, mut leaked) = (0u32, 0u32);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    assert!(exchange(&dir, &link), "renameat2 RENAME_EXCHANGE failed");
                }
            });
            let mut conn = s.connect();
            let started = Instant::now();
            let mut buf = vec![0u8; 4096];
            while started.elapsed() < Duration::from_secs(2) {
                conn.write_all(b"GET /race/passwd HTTP/1.1\r\nHost: t\r\n\r\n")
                    .unwrap();
                // One response: a head, then a body of Content-Length bytes.
                let mut got = Vec::new();
                let response = loop {
                    let n = conn.read(&mut buf).unwrap();
                    assert!(n > 0, "the server closed the connection");
                    got.extend_from_slice(&buf[..n]);
                    if let Some(r) = complete_response(&got) {
                        break r;
                    }
                };
                served += 1;
                if response.windows(SECRET.len()).any(|w| w == SECRET) {
                    leaked += 1;
                }
            }
            stop.store(true, Ordering::Relaxed);
        });
        assert!(served > 50, "{mpm}: only {served} requests in 2 s");
        assert_eq!(
            leaked, 0,
            "{mpm}: {leaked} of {served} responses had the file outside DocumentRoot"
        );
    });
}

/// The bytes of one complete response at the start of `got`, when it is all there.
fn complete_response(got: &[u8]) -> Option<&[u8]> {
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap_or(0));
    (got.len() >= head_end + length).then(|| &got[..head_end + length])
}
