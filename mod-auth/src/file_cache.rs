//! Password and group files kept parsed per process and re-read when they change: each
//! request stats the file (Apache opens and reads it each time), and a different inode, size,
//! modification or change time makes the next request parse it again. File times move in
//! clock ticks, so two writes in one tick can leave the same times: a file modified less than
//! a second before it was read is read again on each request until it has settled.

use std::collections::HashMap;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(m: &std::fs::Metadata) -> Stamp {
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// Each file read: the version read, whether it had settled, and what it parsed into.
type Files<T> = Option<HashMap<PathBuf, (Stamp, bool, Arc<T>)>>;

/// How long after its last modification a file's times are trusted to tell a change.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Parsed files of one kind by path.
pub struct FileCache<T> {
    parse: fn(&[u8]) -> T,
    files: Mutex<Files<T>>,
}

impl<T> FileCache<T> {
    /// An empty cache that reads files with `parse`.
    pub const fn new(parse: fn(&[u8]) -> T) -> Self {
        FileCache {
            parse,
            files: Mutex::new(None),
        }
    }

    /// The file at `path` as it is now: the cached parse when the file did not change, else
    /// a fresh one.
    pub fn get(&self, path: &Path) -> io::Result<Arc<T>> {
        let stamp = Stamp::of(&std::fs::metadata(path)?);
        if let Some((s, true, parsed)) = self.lock().as_ref().and_then(|m| m.get(path)) {
            if *s == stamp {
                return Ok(parsed.clone());
            }
        }
        // Read outside the lock. The times taken before the read are those of what was read
        // or older ones, so a change during the read shows at the next request.
        let before = std::fs::metadata(path)?;
        let text = std::fs::read(path)?;
        let settled = before
            .modified()
            .ok()
            .and_then(|m| std::time::SystemTime::now().duration_since(m).ok())
            .is_some_and(|age| age >= SETTLE);
        let parsed = Arc::new((self.parse)(&text));
        self.lock().get_or_insert_with(HashMap::new).insert(
            path.to_owned(),
            (Stamp::of(&before), settled, parsed.clone()),
        );
        Ok(parsed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Files<T>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_lines(text: &[u8]) -> usize {
        text.iter().filter(|&&b| b == b'\n').count()
    }

    #[test]
    fn a_changed_file_is_read_again_and_an_unchanged_one_is_not() {
        let dir = std::env::temp_dir().join(format!("mod-auth-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users");
        std::fs::write(&path, "a\n").unwrap();
        let cache = FileCache::new(count_lines);
        // Just written: read on every request.
        let fresh = cache.get(&path).unwrap();
        assert_eq!(*fresh, 1);
        assert!(!Arc::ptr_eq(&fresh, &cache.get(&path).unwrap()));
        // Settled: read once.
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(10);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let first = cache.get(&path).unwrap();
        assert!(Arc::ptr_eq(&first, &cache.get(&path).unwrap()));
        // Rewritten in place (same inode, same size): read again.
        std::fs::write(&path, "b\n").unwrap();
        assert!(!Arc::ptr_eq(&first, &cache.get(&path).unwrap()));
        std::fs::write(&path, "b\nc\n").unwrap();
        assert_eq!(*cache.get(&path).unwrap(), 2);
        std::fs::remove_file(&path).unwrap();
        assert!(cache.get(&path).is_err());
        let _ = std::fs::remove_dir(&dir);
    }
}
