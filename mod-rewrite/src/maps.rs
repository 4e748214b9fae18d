//! RewriteMap: `txt:` files (key and value per line, `#` comments, re-read when the file
//! changes), `rnd:` files (one of the `|`-separated values at random), and the internal
//! functions `int:tolower`, `int:toupper`, `int:escape`, `int:unescape`, and `prg:` programs
//! (a key per line on the program's standard input, its answer a line on its standard output,
//! `NULL` for none). `dbm:` files are refused when the configuration is read.
//!
//! A program is started by the first lookup in each child process (never in the master, which
//! stays single-threaded; Apache starts one in the master and shares it), one lookup at a time
//! per child (a mutex, as Apache's rewrite-map lock), and started again if it has exited. It ends
//! when its child does: its standard input closes with the child.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// A map's source.
#[derive(Debug)]
pub enum Map {
    /// `txt:path`.
    Text(FileMap),
    /// `rnd:path`.
    Random(FileMap),
    /// `int:tolower`.
    ToLower,
    /// `int:toupper`.
    ToUpper,
    /// `int:escape`.
    Escape,
    /// `int:unescape`.
    Unescape,
    /// `prg:path [args]`.
    Program(ProgramMap),
}

/// A `prg:` map: the command line and, once a lookup started it in this process, the program.
#[derive(Debug)]
pub struct ProgramMap {
    command: Vec<String>,
    running: Mutex<Option<Running>>,
}

/// A started program and the pipes to it.
#[derive(Debug)]
struct Running {
    child: std::process::Child,
    to: std::process::ChildStdin,
    from: std::io::BufReader<std::process::ChildStdout>,
    /// The process it was started in: a forked child never uses its parent's program.
    pid: u32,
}

impl Drop for Running {
    fn drop(&mut self) {
        // Only the process that started it stops and reaps it.
        if self.pid == std::process::id() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl ProgramMap {
    fn start(&self) -> std::io::Result<Running> {
        use std::process::{Command, Stdio};
        let mut child = Command::new(&self.command[0])
            .args(&self.command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let to = child.stdin.take().expect("piped stdin");
        let from = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
        Ok(Running {
            child,
            to,
            from,
            pid: std::process::id(),
        })
    }

    /// The program's answer for `key`; `None` for `NULL`, or when the program cannot be
    /// started or does not answer (it is started again at the next lookup).
    fn get(&self, key: &str) -> Option<String> {
        use std::io::{BufRead, Write};
        // A key with a newline would desynchronise the conversation: Apache cuts nothing,
        // mapache asks nothing for it.
        if key.contains('\n') {
            return None;
        }
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let stale = match running.as_mut() {
            None => true,
            Some(r) => r.pid != std::process::id() || !matches!(r.child.try_wait(), Ok(None)),
        };
        if stale {
            *running = Some(self.start().ok()?);
        }
        let r = running.as_mut()?;
        let mut line = String::new();
        let answered = writeln!(r.to, "{key}")
            .and_then(|()| r.to.flush())
            .and_then(|()| r.from.read_line(&mut line));
        match answered {
            Ok(n) if n > 0 => {}
            _ => {
                *running = None;
                return None;
            }
        }
        let value = line.trim_end_matches(['\n', '\r']);
        (value != "NULL").then(|| value.to_owned())
    }
}

/// A map file, read on first use and again whenever its modification time changes (as
/// Apache's cache does).
#[derive(Debug)]
pub struct FileMap {
    path: PathBuf,
    cache: Mutex<Option<(SystemTime, Arc<Table>)>>,
}

/// A map file's keys and values.
type Table = HashMap<String, String>;

impl FileMap {
    fn new(path: &str) -> FileMap {
        FileMap {
            path: PathBuf::from(path),
            cache: Mutex::new(None),
        }
    }

    /// The value of `key` (the first line with it), `None` when absent or the file is gone.
    fn get(&self, key: &str) -> Option<String> {
        let mtime = std::fs::metadata(&self.path).ok()?.modified().ok()?;
        let table = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            match &*cache {
                Some((t, table)) if *t == mtime => table.clone(),
                _ => {
                    let text = std::fs::read(&self.path).ok()?;
                    let table = Arc::new(parse_lines(&String::from_utf8_lossy(&text)));
                    *cache = Some((mtime, table.clone()));
                    table
                }
            }
        };
        table.get(key).cloned()
    }
}

/// `key value` lines; blank lines and `#` comments skipped; the first line of a key wins.
fn parse_lines(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        if let (Some(k), Some(v)) = (words.next(), words.next()) {
            out.entry(k.to_owned()).or_insert_with(|| v.to_owned());
        }
    }
    out
}

impl Map {
    /// Parses `type:source` of `RewriteMap name type:source`, with Apache's errors.
    pub fn parse(name: &str, spec: &str, extra: Option<&str>) -> Result<Map, String> {
        let (kind, source) = spec
            .split_once(':')
            .ok_or_else(|| format!("RewriteMap: bad map:source reference '{spec}'"))?;
        let file = |source: &str| -> Result<FileMap, String> {
            if std::fs::metadata(source).is_err() {
                return Err(format!("RewriteMap: file for map {name} not found"));
            }
            Ok(FileMap::new(source))
        };
        if extra.is_some() && !kind.eq_ignore_ascii_case("dbm") {
            return Err(format!(
                "RewriteMap: only dbm maps take a third argument (map {name})"
            ));
        }
        match kind.to_ascii_lowercase().as_str() {
            "txt" => Ok(Map::Text(file(source)?)),
            "rnd" => Ok(Map::Random(file(source)?)),
            "int" => match source {
                "tolower" => Ok(Map::ToLower),
                "toupper" => Ok(Map::ToUpper),
                "escape" => Ok(Map::Escape),
                "unescape" => Ok(Map::Unescape),
                _ => Err("RewriteMap: internal map not found".to_owned()),
            },
            "prg" => {
                let command: Vec<String> = source.split_whitespace().map(str::to_owned).collect();
                let runnable = command.first().is_some_and(|path| {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::metadata(path)
                        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                });
                if !runnable {
                    return Err(format!("RewriteMap: file for map {name} not found"));
                }
                Ok(Map::Program(ProgramMap {
                    command,
                    running: Mutex::new(None),
                }))
            }
            "dbm" => Err(format!(
                "RewriteMap {name}: dbm: maps are not supported by mapache: use the txt: file the DBM file was made from"
            )),
            "dbd" | "fastdbd" => Err(format!(
                "RewriteMap {name}: {kind}: maps need mod_dbd, which mapache does not have: use a txt: map"
            )),
            _ => Err(format!("RewriteMap: bad map:source reference '{spec}'")),
        }
    }

    /// The value for `key`, `None` when the map has none.
    pub fn lookup(&self, key: &str) -> Option<String> {
        match self {
            Map::Text(f) => f.get(key),
            Map::Random(f) => f.get(key).map(|v| pick(&v).to_owned()),
            Map::ToLower => Some(key.to_ascii_lowercase()),
            Map::ToUpper => Some(key.to_ascii_uppercase()),
            Map::Escape => Some(crate::escape::escape_uri(key)),
            Map::Unescape => crate::escape::unescape(key),
            Map::Program(p) => p.get(key),
        }
    }
}

/// One of `a|b|c`, chosen at random (a small xorshift seeded from the clock per thread:
/// the choice needs no more than being spread).
fn pick(values: &str) -> &str {
    use std::cell::Cell;
    std::thread_local! {
        static STATE: Cell<u64> = Cell::new(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
                | 1,
        );
    }
    let n = values.split('|').count() as u64;
    let r = STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    });
    values.split('|').nth((r % n) as usize).unwrap_or(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_maps() {
        let m = |s| Map::parse("m", s, None).unwrap();
        assert_eq!(m("int:tolower").lookup("AbC").as_deref(), Some("abc"));
        assert_eq!(m("int:toupper").lookup("AbC").as_deref(), Some("ABC"));
        assert_eq!(m("int:escape").lookup("a b").as_deref(), Some("a%20b"));
        assert_eq!(m("int:unescape").lookup("a%20b").as_deref(), Some("a b"));
        assert_eq!(
            Map::parse("m", "int:nope", None).unwrap_err(),
            "RewriteMap: internal map not found"
        );
    }

    #[test]
    fn text_and_random_files_reread_on_change() {
        let dir = std::env::temp_dir().join(format!("rewrite-maps-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("m.txt");
        std::fs::write(&f, "# comment\n  a  1 ignored\nb 2\na 3\n").unwrap();
        let spec = format!("txt:{}", f.display());
        let m = Map::parse("m", &spec, None).unwrap();
        assert_eq!(m.lookup("a").as_deref(), Some("1"));
        assert_eq!(m.lookup("b").as_deref(), Some("2"));
        assert_eq!(m.lookup("c"), None);
        std::fs::write(&f, "a 9\n").unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_eq!(m.lookup("a").as_deref(), Some("9"));
        let r = dir.join("r.txt");
        std::fs::write(&r, "k x|y|z\n").unwrap();
        let m = Map::parse("r", &format!("rnd:{}", r.display()), None).unwrap();
        for _ in 0..20 {
            assert!(["x", "y", "z"].contains(&m.lookup("k").unwrap().as_str()));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_program_answers_line_by_line_and_null_is_none() {
        let dir = std::env::temp_dir().join(format!("rewrite-prg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let prog = dir.join("prog.sh");
        std::fs::write(
            &prog,
            "#!/bin/sh\nwhile read k; do case $k in a) echo /x/a;; quit) exit 0;; *) echo NULL;; esac; done\n",
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
        let m = Map::parse("p", &format!("prg:{}", prog.display()), None).unwrap();
        assert_eq!(m.lookup("a").as_deref(), Some("/x/a"));
        assert_eq!(m.lookup("b"), None);
        // The program ends: no answer, and the next lookup starts it again.
        assert_eq!(m.lookup("quit"), None);
        assert_eq!(m.lookup("a").as_deref(), Some("/x/a"));
        assert_eq!(m.lookup("two\nlines"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refused_kinds_and_missing_files() {
        assert_eq!(
            Map::parse("m", "prg:/nonexistent/prog", None).unwrap_err(),
            "RewriteMap: file for map m not found"
        );
        assert!(Map::parse("m", "dbm:/x", None).unwrap_err().contains("dbm"));
        assert_eq!(
            Map::parse("m", "txt:/nonexistent/x", None).unwrap_err(),
            "RewriteMap: file for map m not found"
        );
        assert_eq!(
            Map::parse("m", "bogus", None).unwrap_err(),
            "RewriteMap: bad map:source reference 'bogus'"
        );
    }
}
