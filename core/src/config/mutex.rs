//! `Mutex mechanism[:dir] [type …] [OmitPID]`, checked as Apache checks it.
//!
//! mapache has no cross-process mutex: the MPMs wait for connections with `EPOLLEXCLUSIVE`
//! (one child woken per connection) instead of Apache's accept mutex, and shared memory is
//! written with atomics. The mutex types Apache's stock configuration names are those of the
//! core and the MPM, `default` and `mpm-accept`; a line for them is valid and changes nothing,
//! since no mutex exists to take the mechanism. Other types would belong to modules mapache
//! has not (ssl-cache, rewrite-map…) and are refused, as Apache refuses a type no loaded module
//! registered.

use std::path::{Path, PathBuf};

/// Apache's list, in its words.
const MECHANISMS: &str = "Mutex mechanisms are: 'none', 'default', 'flock:/path/to/file', 'fcntl:/path/to/file', 'file:/path/to/file', 'pthread', 'sysvsem', 'posixsem', 'sem'";

/// The mutex types a Mutex line may name here.
const TYPES: [&str; 2] = ["default", "mpm-accept"];

/// A Mutex line's mechanism, read.
#[derive(Debug, PartialEq, Eq)]
pub struct Mechanism {
    /// The directory for a file-based mechanism (`file:/run/lock`), as written.
    pub dir: Option<String>,
}

/// Checks the line's words (the directory's existence is checked against ServerRoot by
/// [`check_dir`] once ServerRoot is known).
pub fn check(args: &[String]) -> Result<Mechanism, String> {
    let Some(first) = args.first() else {
        return Err(format!(
            "Mutex requires at least a mechanism argument ({MECHANISMS})"
        ));
    };
    let (method, dir) = match first.split_once(':') {
        Some((m, d)) => (m, (!d.is_empty()).then(|| d.to_owned())),
        None => (first.as_str(), None),
    };
    let method = method.to_ascii_lowercase();
    let none = matches!(method.as_str(), "none" | "no");
    let file_based = matches!(
        method.as_str(),
        "default" | "yes" | "fcntl" | "file" | "flock"
    );
    // posixsem takes the name as a semaphore name; the others have no use for one.
    let named_sem = matches!(method.as_str(), "posixsem" | "sem");
    if !none && !file_based && !named_sem && !matches!(method.as_str(), "sysvsem" | "pthread") {
        return Err(format!("Invalid Mutex argument {first} ({MECHANISMS})"));
    }
    let dir = if named_sem { None } else { dir };
    if dir.is_some() && !file_based && !none {
        return Err(format!("Invalid Mutex directory in argument {first}"));
    }
    let mut types: Vec<&str> = args[1..]
        .iter()
        .map(String::as_str)
        .filter(|t| !t.eq_ignore_ascii_case("omitpid"))
        .collect();
    if types.is_empty() {
        types.push("default");
    }
    // Apache reports from the last type back.
    for t in types.iter().rev() {
        if !TYPES.contains(t) {
            return Err(format!(
                "Mutex type {t} is not valid (the mutex types here are default and mpm-accept)"
            ));
        }
        if none {
            return Err(format!("None is not allowed for mutex type {t}"));
        }
    }
    Ok(Mechanism { dir })
}

/// The directory of a file-based mechanism must exist (relative to ServerRoot).
pub fn check_dir(args: &[String], server_root: &Path) -> Result<(), String> {
    let Mechanism { dir: Some(dir) } = check(args)? else {
        return Ok(());
    };
    let path = match Path::new(&dir).is_absolute() {
        true => PathBuf::from(&dir),
        false => server_root.join(&dir),
    };
    match path.is_dir() {
        true => Ok(()),
        false => Err(format!("Invalid Mutex directory in argument {}", args[0])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn apaches_answers() {
        for ok in [
            "file:/tmp default",
            "fcntl",
            "default:/tmp",
            "posixsem mpm-accept",
            "sem:name default",
            "flock:/tmp mpm-accept default OmitPID",
            "pthread",
        ] {
            assert!(check(&words(ok)).is_ok(), "{ok}");
        }
        for (bad, message) in [
            (
                "bogus",
                "Invalid Mutex argument bogus (Mutex mechanisms are: 'none', ",
            ),
            (
                "sysvsem:/x default",
                "Invalid Mutex directory in argument sysvsem:/x",
            ),
            ("default foo-mutex", "Mutex type foo-mutex is not valid"),
            ("pthread mpm-accept x y", "Mutex type y is not valid"),
            ("default Default", "Mutex type Default is not valid"),
            ("none", "None is not allowed for mutex type default"),
            (
                "none default mpm-accept",
                "None is not allowed for mutex type mpm-accept",
            ),
        ] {
            let e = check(&words(bad)).unwrap_err();
            assert!(e.starts_with(message), "{bad}: {e}");
        }
        assert!(check(&[])
            .unwrap_err()
            .starts_with("Mutex requires at least a mechanism argument"));
    }

    #[test]
    fn directories_must_exist() {
        let root = std::env::temp_dir();
        assert!(check_dir(&words("file:/ default"), &root).is_ok());
        assert!(check_dir(&words("file:. default"), &root).is_ok());
        let e = check_dir(&words("file:/nonexistent-dir-here default"), &root).unwrap_err();
        assert_eq!(
            e,
            "Invalid Mutex directory in argument file:/nonexistent-dir-here"
        );
    }
}
