//! `.htaccess` files: the only configuration read while serving. The store and its sections
//! are fixed at startup; each `.htaccess` a request passes becomes a section of its own
//! (`registry`), placed right after the `<Directory>` sections of its level as Apache applies
//! it, so views, the merged scopes and their cache take it like any section.
//!
//! A file is read only at a level whose AllowOverride (or AllowOverrideList) grants anything,
//! from the root down to the file's directory. Parsed files are kept per process by (device,
//! inode), checked against modification time and size, and what a level holds (its parse, or
//! no file) is trusted for [`RECHECK`] before the file is looked at again: Apache stats, opens
//! and reads every level's file on every request, which is what makes `.htaccess` slow there;
//! here a busy site pays one stat per level and second, and an edit is seen within a second.
//! A changed file's old parse stays in the registry (requests and cached scopes may still name
//! it) until the process ends.
//!
//! - `overrides.rs`: AllowOverride / AllowOverrideList.
//! - `parse.rs`: a file's text to its sections, each directive checked.
//! - `registry.rs`: the parsed sections, numbered after the store's.

pub mod overrides;
mod parse;
pub mod registry;

use crate::config::store::{Section, SectionKind, Store};
use crate::logs::error_log;
use crate::server::Server;
use crate::storage::path::is_under;
use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::sync::{OnceLock, RwLock};

/// What the configuration says about `.htaccess` files, read once per process.
struct Settings {
    /// Whether any `<Directory>` grants anything: if none, nothing is ever looked for.
    granted: bool,
    /// The sections with AllowOverride lines.
    grants: Vec<overrides::Grant>,
    /// The length of the shortest directory of `grants` (its real path's, when shorter).
    shortest: usize,
    /// AccessFileName (the first that exists at a level is read): the main server's, then
    /// each virtual host's (its own line, or the main server's).
    names: Vec<String>,
    vhost_names: Vec<Vec<String>>,
}

fn settings(store: &Store) -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        let grants = overrides::grants(store);
        let shortest = grants
            .iter()
            .map(overrides::Grant::shortest)
            .min()
            .unwrap_or(0);
        let main_names: Vec<String> = store
            .server_last("AccessFileName")
            .map(|o| o.args.to_vec())
            .unwrap_or_else(|| vec![".htaccess".to_owned()]);
        Settings {
            granted: store.sections.iter().any(|s| {
                s.kind == SectionKind::Directory
                    && s.directives.iter().any(|o| {
                        (o.is_named("allowoverride") || o.is_named("allowoverridelist"))
                            && !o.arg0().eq_ignore_ascii_case("none")
                    })
            }),
            grants,
            shortest,
            names: main_names.clone(),
            vhost_names: store
                .vhosts
                .iter()
                .map(|v| {
                    store.sections[v.section]
                        .directives
                        .iter()
                        .rev()
                        .find(|o| o.is_named("accessfilename"))
                        .map_or_else(|| main_names.clone(), |o| o.args.to_vec())
                })
                .collect(),
        }
    })
}

/// A file as its stat describes it.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    mtime_ns: i64,
    size: u64,
}

#[derive(Clone)]
enum Parsed {
    /// Its section's number.
    Section(usize),
    /// The message it was refused with.
    Bad(std::sync::Arc<str>),
}

/// A parsed file: when it was read (modification time and size), as the file of which
/// directory and for which virtual host (the same file reached from another level, or under
/// another vhost's AllowOverride, is parsed again there).
struct Entry {
    mtime_ns: i64,
    size: u64,
    level: Vec<u8>,
    vhost: Option<usize>,
    parsed: Parsed,
}

/// Looks kept per process at most.
const RECENT_LOOKS: usize = 4096;

/// How long what a level holds is trusted before its file is looked at again.
pub const RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// What a file path held when it was last looked at (None: no such file), by the path and
/// the virtual host (see [`recent_key`]).
struct Recent {
    checked: std::time::Instant,
    found: Option<Parsed>,
}

/// Keyed by paths from requests: the standard (keyed) hasher, so no client can make its
/// paths collide.
type RecentLooks = RwLock<HashMap<Vec<u8>, Recent>>;

fn recent() -> &'static RecentLooks {
    static RECENT: OnceLock<RecentLooks> = OnceLock::new();
    RECENT.get_or_init(|| RwLock::new(HashMap::default()))
}

/// Makes `path` the key of its look for `vhost` (a NUL, which no path holds, then the vhost);
/// the caller truncates it back to `len`.
fn recent_key(path: &mut Vec<u8>, vhost: Option<usize>) -> usize {
    let len = path.len();
    path.push(0);
    path.extend_from_slice(&vhost.map_or(u64::MAX, |v| v as u64).to_le_bytes());
    len
}

/// Files by (device, inode): two numbers hashed, not a path.
type Cache = RwLock<HashMap<(u64, u64), Entry, BuildIdentityHasher>>;

/// A hasher for (device, inode) pairs: a multiply-mix of the two words (the keys are not
/// chosen by clients).
#[derive(Default, Clone, Copy)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type BuildIdentityHasher = std::hash::BuildHasherDefault<IdentityHasher>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| RwLock::new(HashMap::default()))
}

/// Adds to `sections` (a request's, from the store) the `.htaccess` files on the way to the
/// file `requested` (a directory's own level counts when `is_dir`). `Err` is the status to
/// answer with (500 for a file with a bad line, 403 for one that cannot be read), logged for
/// `peer` in the error log of virtual host `vhost` (None: the main server), whose
/// `<Directory>` grants count besides the main server's.
pub fn extend(
    srv: &'static Server,
    vhost: Option<usize>,
    peer: &str,
    sections: &mut Vec<usize>,
    requested: &[u8],
    is_dir: bool,
) -> Result<(), u16> {
    let settings = settings(&srv.store);
    if !settings.granted {
        return Ok(());
    }
    let mut path = Vec::with_capacity(requested.len() + 16);
    let mut read_any = false;
    for level in levels(requested, is_dir) {
        if level.len() < settings.shortest {
            // Above every section that grants anything.
            continue;
        }
        let allowed = overrides::at(&settings.grants, level, vhost);
        if !allowed.any() {
            continue;
        }
        if let Some(n) = read_level(
            srv,
            vhost,
            peer,
            level,
            &allowed,
            vhost
                .and_then(|v| settings.vhost_names.get(v))
                .unwrap_or(&settings.names),
            &mut path,
        )? {
            insert(&srv.store, sections, level, n);
            read_any = true;
        }
    }
    if read_any {
        let name = requested.rsplit(|&b| b == b'/').next().unwrap_or(requested);
        srv.store.place_htaccess_files(sections, name);
    }
    Ok(())
}

/// The directories from `/` down to the one holding `requested` (or `requested` itself, a
/// directory).
fn levels(requested: &[u8], is_dir: bool) -> impl Iterator<Item = &[u8]> {
    let dir = if is_dir {
        requested
    } else {
        &requested[..requested.iter().rposition(|&b| b == b'/').unwrap_or(0)]
    };
    let dir = dir.strip_suffix(b"/").unwrap_or(dir);
    let inner = dir
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, &b)| b == b'/')
        .map(|(i, _)| i)
        .chain((dir.len() > 1).then_some(dir.len()));
    std::iter::once(&b"/"[..]).chain(inner.map(move |i| &dir[..i]))
}

/// The section of the first AccessFileName at `level`, read or from the cache.
fn read_level(
    srv: &'static Server,
    vhost: Option<usize>,
    peer: &str,
    level: &[u8],
    allowed: &overrides::Allowed<'_>,
    names: &[String],
    path: &mut Vec<u8>,
) -> Result<Option<usize>, u16> {
    for name in names {
        path.clear();
        path.extend_from_slice(level);
        if !path.ends_with(b"/") {
            path.push(b'/');
        }
        path.extend_from_slice(name.as_bytes());
        let now = std::time::Instant::now();
        let len = recent_key(path, vhost);
        let seen = recent().read().ok().and_then(|r| {
            r.get(path.as_slice())
                .filter(|l| now.duration_since(l.checked) < RECHECK)
                .map(|l| l.found.clone())
        });
        path.truncate(len);
        let remember = |path: &mut Vec<u8>, found: Option<Parsed>| {
            let len = recent_key(path, vhost);
            if let Ok(mut r) = recent().write() {
                // Paths come from requests, existing or not: bounded, so that asking for many
                // made-up directories costs no memory (the looks are then made again).
                if r.len() >= RECENT_LOOKS {
                    r.clear();
                }
                r.insert(
                    path.clone(),
                    Recent {
                        checked: now,
                        found,
                    },
                );
            }
            path.truncate(len);
        };
        match seen {
            Some(None) => continue,
            Some(Some(parsed)) => return answer(vhost, peer, path, parsed),
            None => {}
        }
        let id = match identity(path) {
            Ok(id) => id,
            Err(libc::ENOENT) | Err(libc::ENOTDIR) => {
                remember(path, None);
                continue;
            }
            Err(_) => return Err(unreadable(vhost, peer, path, level)),
        };
        let os = std::ffi::OsStr::from_bytes(path);
        let known = cache().read().ok().and_then(|c| {
            c.get(&(id.dev, id.ino))
                .filter(|e| {
                    e.mtime_ns == id.mtime_ns
                        && e.size == id.size
                        && e.level == level
                        && e.vhost == vhost
                })
                .map(|e| e.parsed.clone())
        });
        let parsed = match known {
            Some(p) => p,
            None => {
                let text = std::fs::read(os).map_err(|_| unreadable(vhost, peer, path, level))?;
                let shown = String::from_utf8_lossy(path).into_owned();
                let dir = String::from_utf8_lossy(level).into_owned();
                let parsed = match parse::parse(
                    &String::from_utf8_lossy(&text),
                    &shown,
                    &dir,
                    allowed,
                    &srv.handlers,
                ) {
                    Ok(group) => match registry::add_group(group) {
                        Some(n) => Parsed::Section(n),
                        None => Parsed::Bad(
                            "too many .htaccess versions read by this process; restart it".into(),
                        ),
                    },
                    Err(e) => Parsed::Bad(e.into()),
                };
                if let Ok(mut c) = cache().write() {
                    c.insert(
                        (id.dev, id.ino),
                        Entry {
                            mtime_ns: id.mtime_ns,
                            size: id.size,
                            level: level.to_vec(),
                            vhost,
                            parsed: parsed.clone(),
                        },
                    );
                }
                parsed
            }
        };
        remember(path, Some(parsed.clone()));
        return answer(vhost, peer, path, parsed);
    }
    Ok(None)
}

/// A level's parsed file as the request takes it: its section, or the 500 of a bad file
/// (logged for every request it fails, as Apache's).
fn answer(
    vhost: Option<usize>,
    peer: &str,
    path: &[u8],
    parsed: Parsed,
) -> Result<Option<usize>, u16> {
    match parsed {
        Parsed::Section(n) => Ok(Some(n)),
        Parsed::Bad(message) => {
            error_log::log_for(
                vhost,
                "core",
                error_log::ALERT,
                Some(peer),
                &format!("{}: {message}", String::from_utf8_lossy(path)),
            );
            Err(500)
        }
    }
}

/// The identity of the file at `path` (one stat(2), on the path made a C string in place),
/// or the errno.
fn identity(path: &mut Vec<u8>) -> Result<Identity, i32> {
    if path.contains(&0) {
        return Err(libc::ENOENT);
    }
    path.push(0);
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `path` is NUL-terminated and `st` is writable.
    let rc = unsafe { libc::stat(path.as_ptr().cast(), st.as_mut_ptr()) };
    path.pop();
    if rc != 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
    }
    // SAFETY: stat succeeded and filled it.
    let st = unsafe { st.assume_init() };
    Ok(Identity {
        dev: st.st_dev,
        ino: st.st_ino,
        mtime_ns: st.st_mtime * 1_000_000_000 + st.st_mtime_nsec,
        size: st.st_size as u64,
    })
}

/// Apache's line for a `.htaccess` that exists but cannot be read.
fn unreadable(vhost: Option<usize>, peer: &str, path: &[u8], level: &[u8]) -> u16 {
    error_log::log_for(
        vhost,
        "core",
        error_log::CRIT,
        Some(peer),
        &format!(
            "(13)Permission denied: AH00529: {} pcfg_openfile: unable to check htaccess file, ensure it is readable and that '{}/' is executable",
            String::from_utf8_lossy(path),
            String::from_utf8_lossy(level).trim_end_matches('/')
        ),
    );
    403
}

/// Puts section `n` (of directory `level`) right after the `<Directory>` sections that apply
/// at `level` or above, as Apache applies each level's file after its sections.
fn insert(store: &Store, sections: &mut Vec<usize>, level: &[u8], n: usize) {
    let covers = |s: &Section| {
        s.kind == SectionKind::Directory
            && (is_under(level, s.path.as_bytes())
                || s.real.as_deref().is_some_and(|r| is_under(level, r)))
    };
    // After the request's virtual host (its outermost scope) at least.
    let at = sections
        .iter()
        .rposition(|&i| covers(store.section(i)))
        .map_or_else(
            || {
                sections
                    .iter()
                    .take_while(|&&i| store.section(i).kind == SectionKind::VirtualHost)
                    .count()
            },
            |p| p + 1,
        );
    sections.insert(at, n);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(p: &str, is_dir: bool) -> Vec<String> {
        levels(p.as_bytes(), is_dir)
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    #[test]
    fn levels_run_from_the_root_to_the_files_directory() {
        assert_eq!(
            all("/srv/www/a/f.txt", false),
            ["/", "/srv", "/srv/www", "/srv/www/a"]
        );
        assert_eq!(
            all("/srv/www/a", true),
            ["/", "/srv", "/srv/www", "/srv/www/a"]
        );
        assert_eq!(
            all("/srv/www/a/", true),
            ["/", "/srv", "/srv/www", "/srv/www/a"]
        );
        assert_eq!(all("/f.txt", false), ["/"]);
    }

    #[test]
    fn a_file_goes_after_the_directory_sections_of_its_level() {
        let dir = |p: &str| Section::new(SectionKind::Directory, "Directory", p.into());
        let store = Store {
            sections: vec![dir("/srv"), dir("/srv/www"), dir("/srv/www/a")],
            ..Store::default()
        };
        let file = |p: &str| {
            registry::add(registry::Dynamic {
                section: dir(p),
                configs: Vec::new(),
                children: Vec::new(),
            })
            .unwrap()
        };
        let (www, root, a) = (file("/srv/www"), file("/"), file("/srv/www/a"));
        let mut sections = vec![0, 1, 2];
        insert(&store, &mut sections, b"/srv/www", www);
        assert_eq!(sections, [0, 1, www, 2]);
        insert(&store, &mut sections, b"/", root);
        assert_eq!(sections, [root, 0, 1, www, 2]);
        insert(&store, &mut sections, b"/srv/www/a", a);
        assert_eq!(sections, [root, 0, 1, www, 2, a]);
    }
}
