//! Password and group files kept parsed per process and re-read when they change: each
//! request stats the file (Apache opens and reads it each time), and a different inode, size,
//! modification or change time makes the next request parse it again.

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

/// Each file read: the version read and what it parsed into.
type Files<T> = Option<HashMap<PathBuf, (Stamp, Arc<T>)>>;

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
        if let Some((s, parsed)) = self.lock().as_ref().and_then(|m| m.get(path)) {
            if *s == stamp {
                return Ok(parsed.clone());
            }
        }
        // Read outside the lock; the stamp taken after the read belongs to what was read
        // unless the file changed meanwhile, in which case the next request reads it again.
        let text = std::fs::read(path)?;
        let stamp = Stamp::of(&std::fs::metadata(path)?);
        let parsed = Arc::new((self.parse)(&text));
        self.lock()
            .get_or_insert_with(HashMap::new)
            .insert(path.to_owned(), (stamp, parsed.clone()));
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
        let first = cache.get(&path).unwrap();
        assert_eq!(*first, 1);
        assert!(Arc::ptr_eq(&first, &cache.get(&path).unwrap()));
        // Rewritten in place (same inode): read again.
        std::fs::write(&path, "b\nc\n").unwrap();
        assert_eq!(*cache.get(&path).unwrap(), 2);
        std::fs::remove_file(&path).unwrap();
        assert!(cache.get(&path).is_err());
        let _ = std::fs::remove_dir(&dir);
    }
}
