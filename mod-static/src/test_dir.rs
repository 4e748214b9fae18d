//! Unit tests' scratch directories.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir (canonical), removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mod-static-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        TempDir(fs::canonicalize(dir).unwrap())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// tmp/outside.txt, tmp/www/{a.txt, .htpasswd, sub/index.html, empty/}, tmp/www2/b.txt
pub fn tree() -> (TempDir, PathBuf) {
    let tmp = TempDir::new();
    let root = tmp.0.join("www");
    fs::create_dir_all(root.join("sub")).unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    fs::create_dir_all(tmp.0.join("www2")).unwrap();
    fs::write(root.join("a.txt"), "a").unwrap();
    fs::write(root.join(".htpasswd"), "secret").unwrap();
    fs::write(root.join("sub/index.html"), "<p>").unwrap();
    fs::write(tmp.0.join("www2/b.txt"), "b").unwrap();
    fs::write(tmp.0.join("outside.txt"), "no").unwrap();
    (tmp, root)
}
