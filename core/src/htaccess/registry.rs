//! The sections `.htaccess` files became, numbered after the store's: a request's view and
//! the scope cache take them as any section. Append-only and read without a lock: an entry is
//! never moved or freed (a changed file gets a new entry; the old one stays for the requests
//! and cached scopes that still name it).

use crate::config::store::Section;
use std::ffi::c_void;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
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
}

// SAFETY: the objects are read-only once made; modules promise they may be read on any thread
// (ABI 1.4 `merge_config`), and the section's own strings are immutable.
unsafe impl Send for Dynamic {}
// SAFETY: as above.
unsafe impl Sync for Dynamic {}

type Segment = Box<[OnceLock<&'static Dynamic>]>;

static SEGMENT: [OnceLock<Segment>; SEGMENTS] = [const { OnceLock::new() }; SEGMENTS];
static NEXT: AtomicUsize = AtomicUsize::new(0);

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
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let kept: &'static Dynamic = Box::leak(Box::new(d));
    slot(n)?.set(kept).ok()?;
    Some(FIRST + n)
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
        }
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
