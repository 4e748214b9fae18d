//! What an `Include` names: wildcard expansion and directory listing.
//!
//! Only names are produced here; opening, recursion and the depth cap belong to the reader, so one
//! code path reads the main file, an included file and a file found in an included directory.

use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

use glob::{MatchOptions, Pattern};

/// Apache's `apr_fnmatch` with `APR_FNM_PERIOD`: `*` does not match a leading dot, and never a `/`.
const MATCH: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: true,
};

fn has_wildcard(component: &Component<'_>) -> bool {
    component
        .as_os_str()
        .to_string_lossy()
        .contains(['*', '?', '['])
}

/// The paths `path` names, in reading order: itself when it has no wildcard (whether it exists is
/// found out when it is opened), else every match, sorted. A wildcard may stand in any component;
/// one before the last matches directories only.
///
/// Errors are messages for the `Include` line. When `optional`, a wildcard that matches nothing
/// and a missing directory to search are not errors.
pub(crate) fn resolve(path: &Path, optional: bool) -> Result<Vec<PathBuf>, String> {
    let components: Vec<Component<'_>> = path.components().collect();
    match components.iter().position(has_wildcard) {
        None => Ok(vec![path.to_path_buf()]),
        Some(first) => {
            let base: PathBuf = components[..first].iter().collect();
            expand(base, &components[first..], optional)
        }
    }
}

/// Expands `rest[0]`, a wildcard component, inside `dir`, then what follows it.
fn expand(dir: PathBuf, rest: &[Component<'_>], optional: bool) -> Result<Vec<PathBuf>, String> {
    let Some((wildcard, tail)) = rest.split_first() else {
        return Ok(vec![dir]);
    };
    let wildcard = wildcard.as_os_str().to_string_lossy();
    let pattern = Pattern::new(&wildcard)
        .map_err(|e| format!("Invalid wildcard '{wildcard}' in '{}': {e}", dir.display()))?;
    let names = match names_in(&dir) {
        Ok(names) => names,
        Err(_) if optional => return Ok(Vec::new()),
        Err(e) => {
            return Err(format!(
                "Could not open config directory {}: {}",
                dir.display(),
                io_reason(&e)
            ))
        }
    };
    let matches: Vec<PathBuf> = names
        .into_iter()
        .filter(|name| pattern.matches_with(&name.to_string_lossy(), MATCH))
        .map(|name| dir.join(name))
        // A directory component can only be matched by a directory.
        .filter(|path| tail.is_empty() || path.is_dir())
        .collect();
    if matches.is_empty() && !optional {
        return Err(format!(
            "No matches for the wildcard '{wildcard}' in '{}', failing",
            dir.display()
        ));
    }
    let next = tail.iter().position(has_wildcard).unwrap_or(tail.len());
    let mut found = Vec::new();
    for matched in matches {
        // `extend`, not `join`: joining an empty path would add a trailing '/'.
        let mut literal = matched;
        literal.extend(&tail[..next]);
        if next == tail.len() {
            found.push(literal);
        } else {
            found.extend(expand(literal, &tail[next..], optional)?);
        }
    }
    Ok(found)
}

/// The entries of `dir` (all of them, dot files too, as Apache does), sorted by name.
fn names_in(dir: &Path) -> io::Result<Vec<OsString>> {
    let mut names = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

/// The paths inside an included directory, in reading order.
pub(crate) fn directory_entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    names_in(dir)
        .map(|names| names.into_iter().map(|name| dir.join(name)).collect())
        .map_err(|e| {
            format!(
                "Could not open config directory {}: {}",
                dir.display(),
                io_reason(&e)
            )
        })
}

/// The system's words for an I/O error, without Rust's " (os error N)" suffix, so messages read
/// like Apache's ("No such file or directory").
pub(crate) fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::super::temp_tree::TempTree;
    use super::*;

    fn names(tree: &TempTree, paths: Vec<PathBuf>) -> Vec<String> {
        paths
            .iter()
            .map(|p| {
                p.strip_prefix(tree.root())
                    .map(|r| r.display().to_string())
                    .unwrap_or_else(|_| p.display().to_string())
            })
            .collect()
    }

    #[test]
    fn literal_path_is_returned_unchecked() {
        let got = resolve(Path::new("/nonexistent/x.conf"), false).unwrap();
        assert_eq!(got, vec![PathBuf::from("/nonexistent/x.conf")]);
    }

    #[test]
    fn wildcard_in_last_component_sorted_without_dot_files() {
        let tree = TempTree::new("inc-last");
        for f in ["b.conf", "a.conf", "c.txt", ".hidden.conf", "a1.conf"] {
            tree.write(f, "");
        }
        let got = resolve(&tree.path("*.conf"), false).unwrap();
        assert_eq!(names(&tree, got), vec!["a.conf", "a1.conf", "b.conf"]);
        let got = resolve(&tree.path("a?.conf"), false).unwrap();
        assert_eq!(names(&tree, got), vec!["a1.conf"]);
        let got = resolve(&tree.path("[bc]*"), false).unwrap();
        assert_eq!(names(&tree, got), vec!["b.conf", "c.txt"]);
    }

    #[test]
    fn wildcard_in_directory_component_matches_directories() {
        let tree = TempTree::new("inc-dir");
        tree.write("sites/b/main.conf", "");
        tree.write("sites/a/main.conf", "");
        tree.write("sites/file/main.conf", "");
        tree.write("sites/plain", "");
        let got = resolve(&tree.path("sites/[ab]/main.conf"), false).unwrap();
        assert_eq!(
            names(&tree, got),
            vec!["sites/a/main.conf", "sites/b/main.conf"]
        );
        let got = resolve(&tree.path("sites/*/*.conf"), false).unwrap();
        assert_eq!(
            names(&tree, got),
            vec![
                "sites/a/main.conf",
                "sites/b/main.conf",
                "sites/file/main.conf"
            ]
        );
    }

    #[test]
    fn no_match_fails_unless_optional() {
        let tree = TempTree::new("inc-none");
        let dir = tree.root().display().to_string();
        assert_eq!(
            resolve(&tree.path("*.conf"), false).unwrap_err(),
            format!("No matches for the wildcard '*.conf' in '{dir}', failing")
        );
        assert!(resolve(&tree.path("*.conf"), true).unwrap().is_empty());
        assert!(resolve(&tree.path("missing/*.conf"), true)
            .unwrap()
            .is_empty());
        assert_eq!(
            resolve(&tree.path("missing/*.conf"), false).unwrap_err(),
            format!("Could not open config directory {dir}/missing: No such file or directory")
        );
    }

    #[test]
    fn directory_entries_are_sorted_and_complete() {
        let tree = TempTree::new("inc-list");
        for f in ["z", "a", ".dot", "m/x"] {
            tree.write(f, "");
        }
        let got = directory_entries(tree.root()).unwrap();
        assert_eq!(names(&tree, got), vec![".dot", "a", "m", "z"]);
    }
}
