//! `AuthUserFile` and `AuthGroupFile` name files relative to ServerRoot, as Apache's
//! `ap_server_root_relative`; the root is recorded in `init` (the master, before any request).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static ROOT: OnceLock<PathBuf> = OnceLock::new();

/// Records ServerRoot (the first module's `init` does; all see the same value).
pub fn record(root: &str) {
    let _ = ROOT.set(PathBuf::from(root));
}

/// `path` made absolute against ServerRoot when it is relative.
pub fn resolve(path: &Path) -> PathBuf {
    match ROOT.get() {
        Some(root) if path.is_relative() => root.join(path),
        _ => path.to_owned(),
    }
}
