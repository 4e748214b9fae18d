//! The sections `.htaccess` files became, numbered after the store's: a request's view and
//! the scope cache take them as any section. A file is a group of consecutive numbers: its own
//! section first, then the `<Files>`/`<If>`/… sections inside it, each naming its parent by
//! number and its children listed in its entry. Append-only and read without a lock: an entry is
//! never moved or freed (a changed file gets a new entry; the old one stays for the requests
//! and cached scopes that still name it).

use crate::config::store::Section;
use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The first number a `.htaccess` section gets (store sections are numbered from 0).
pub const FIRST: usize = 1 << 32;

/// Slots in the first segment; segment `k` holds `BASE << k`.
const BASE: usize = 1024;
const SEGMENTS: usize = 24;

/// One `.htaccess` file, parsed.
pub struct Dynamic {
    /// Its directives, as a `<Directory>` section of its directory.
    pub section: Section,
    /// Modules' typed objects made from its lines: (index in `Server::handlers`, object).
    pub configs: Vec<(usize, NonNull<c_void>)>,
    /// The sections directly inside it, in file order (as [`add_group`] numbers them).
    pub children: Vec<usize>,
}

// SAFETY: the objects are read-only once made; modules promise they may be read on any thread
// (ABI 1.4 `merge_config`), and the section's own strings are immutable.
unsafe impl Send for Dynamic {}
// SAFETY: as above.
unsafe impl Sync for Dynamic {}

type Segment = Box<[OnceLock<&'static Dynamic>]>;

static SEGMENT: [OnceLock<Segment>; SEGMENTS] = [const { OnceLock::new() }; SEGMENTS];
static NEXT: AtomicUsize = AtomicUsize::new(0);
/// Whether an `<If>` was ever read from a `.htaccess` file (requests then look for them).
static CONDITIONS: AtomicBool = AtomicBool::new(false);

fn slot(n: usize) -> Option<&'static OnceLock<&'static Dynamic>> {
    let shifted = n + BASE;
    let k = (usize::BITS - 1 - shifted.leading_zeros()) as usize - BASE.trailing_zeros() as usize;
    let segment = SEGMENT.get(k)?.get_or_init(|| {
        (0..BASE << k)
            .map(|_| OnceLock::new())
            .collect::<Vec<_>>()
            .into_boxed_slice()
    });
    segment.get(shifted - (BASE << k))
}

/// Keeps `d` for the process; its section number, or `None` when the registry is full.
pub fn add(d: Dynamic) -> Option<usize> {
    add_group(vec![d])
}

/// Keeps one file's sections for the process under consecutive numbers; the first one's
/// number, or `None` when the registry is full. In `group`, parents (`section.parent`) and
/// `children` are positions in `group`; they are renumbered here.
pub fn add_group(mut group: Vec<Dynamic>) -> Option<usize> {
    let base = NEXT.fetch_add(group.len(), Ordering::Relaxed);
    let number = |local: usize| FIRST + base + local;
    for (k, d) in group.iter_mut().enumerate() {
        d.section.parent = d.section.parent.map(number);
        for c in &mut d.children {
            *c = number(*c);
        }
        if d.section.kind == crate::config::store::SectionKind::If {
            CONDITIONS.store(true, Ordering::Relaxed);
        }
        debug_assert!(k == 0 || d.section.parent.is_some());
    }
    for (k, d) in group.into_iter().enumerate() {
        let kept: &'static Dynamic = Box::leak(Box::new(d));
        slot(base + k)?.set(kept).ok()?;
    }
    Some(number(0))
}

/// Whether any `.htaccess` file read by this process had an `<If>`, `<ElseIf>` or `<Else>`.
pub fn has_conditions() -> bool {
    CONDITIONS.load(Ordering::Relaxed)
}

/// The `.htaccess` section numbered `i` (one [`add`] returned).
pub fn get(i: usize) -> &'static Dynamic {
    slot(i - FIRST)
        .and_then(OnceLock::get)
        .expect("a .htaccess section number comes from `add`")
}

/// Whether `i` numbers a `.htaccess` section.
pub fn is_dynamic(i: usize) -> bool {
    i >= FIRST
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::store::SectionKind;

    fn dynamic(path: &str) -> Dynamic {
        Dynamic {
            section: Section::new(SectionKind::Directory, "Directory", path.into()),
            configs: Vec::new(),
            children: Vec::new(),
        }
    }

    #[test]
    fn a_group_is_renumbered_together() {
        let mut root = dynamic("/w");
        root.children = vec![1];
        let mut files = dynamic("a.txt");
        files.section.parent = Some(0);
        let n = add_group(vec![root, files]).unwrap();
        assert_eq!(get(n).children, [n + 1]);
        assert_eq!(get(n + 1).section.parent, Some(n));
        assert_eq!(get(n + 1).section.path, "a.txt");
    }

    #[test]
    fn entries_keep_their_number_across_segments() {
        let numbers: Vec<usize> = (0..3000)
            .map(|i| add(dynamic(&format!("/d{i}"))).unwrap())
            .collect();
        for (i, &n) in numbers.iter().enumerate() {
            assert!(is_dynamic(n));
            assert_eq!(get(n).section.path, format!("/d{i}"));
        }
    }
}
