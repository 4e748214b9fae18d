//! The shared memory the values live in: an anonymous memory file (memfd, close-on-exec) mapped
//! shared, made by the master before it forks, so every child adds to the same cells, and handed
//! to the re-executed master on a graceful restart (as the scoreboard is), so values survive it.
//!
//! Layout: a [`Header`] (64 bytes), `entry_capacity` [`Entry`]s, then `cell_capacity` 64-bit
//! cells. An entry says which metric (name, kind, histogram bounds) owns which run of cells; only
//! masters write or read entries (before forking), children touch cells only. Every field is an
//! atomic and there are no pointers, so any process may map the memory at any address.

use super::names::MAX_NAME_LEN;
use crate::shared_memory::SharedMemory;
use mapache_plugin_api::abi::{
    MAPACHE_METRIC_GAUGE, MAPACHE_METRIC_HISTOGRAM, MAPACHE_METRIC_MAX_BUCKETS,
};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering};

/// "MAPMETRC": what a mapped memory must start with to be taken for a metric area.
const MAGIC: u64 = u64::from_le_bytes(*b"MAPMETRC");
/// Counted up whenever the layout changes: an area of another layout is not reused.
const LAYOUT_VERSION: u32 = 1;
/// No area is larger than this.
const MAX_LEN: usize = 256 << 20;

/// The area's first 64 bytes.
#[repr(C, align(64))]
struct Header {
    magic: AtomicU64,
    layout: AtomicU32,
    /// Gauges have one cell per process slot and one for the master.
    server_limit: AtomicU32,
    entry_capacity: AtomicU32,
    entries_used: AtomicU32,
    cell_capacity: AtomicU32,
    cells_used: AtomicU32,
}

/// One metric's description in the area.
#[repr(C)]
struct Entry {
    kind: AtomicU32,
    bucket_count: AtomicU32,
    name_len: AtomicU32,
    first_cell: AtomicU32,
    name: [AtomicU8; MAX_NAME_LEN],
    bounds: [AtomicU64; MAPACHE_METRIC_MAX_BUCKETS],
}

const HEADER_LEN: usize = std::mem::size_of::<Header>();
const ENTRY_LEN: usize = std::mem::size_of::<Entry>();
const CELL_LEN: usize = std::mem::size_of::<AtomicU64>();
const _: () = assert!(HEADER_LEN == 64 && ENTRY_LEN.is_multiple_of(8));

/// What identifies a metric across a graceful restart: a metric of the same name, kind and
/// bounds keeps its cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// `MAPACHE_METRIC_*`.
    pub kind: u32,
    /// The registered name.
    pub name: String,
    /// A histogram's bucket bounds (empty for the others).
    pub bounds: Vec<u64>,
}

impl Shape {
    /// Cells the metric takes: a counter one; a gauge one per process slot plus the master's; a
    /// histogram its observation count, its sum and one per bucket.
    pub fn cells(&self, server_limit: u32) -> usize {
        match self.kind {
            MAPACHE_METRIC_GAUGE => server_limit as usize + 1,
            MAPACHE_METRIC_HISTOGRAM => 2 + self.bounds.len(),
            _ => 1,
        }
    }
}

/// A mapped metric area.
pub struct Area {
    mem: SharedMemory,
    server_limit: u32,
    entry_capacity: u32,
    cell_capacity: u32,
}

fn area_len(entries: u32, cells: u32) -> Option<usize> {
    let len = HEADER_LEN
        .checked_add((entries as usize).checked_mul(ENTRY_LEN)?)?
        .checked_add((cells as usize).checked_mul(CELL_LEN)?)?;
    (len <= MAX_LEN).then_some(len)
}

impl Area {
    /// Makes a new, zeroed area with room for `entries` metrics and `cells` cells.
    pub fn create(server_limit: u32, entries: u32, cells: u32) -> Result<Area, String> {
        let len = area_len(entries, cells).ok_or_else(|| {
            format!(
                "{entries} metrics in {cells} cells do not fit in {} MiB",
                MAX_LEN >> 20
            )
        })?;
        let area = Area {
            mem: SharedMemory::create(c"mapache-metrics", len)?,
            server_limit,
            entry_capacity: entries,
            cell_capacity: cells,
        };
        let h = area.header();
        h.layout.store(LAYOUT_VERSION, Ordering::Relaxed);
        h.server_limit.store(server_limit, Ordering::Relaxed);
        h.entry_capacity.store(entries, Ordering::Relaxed);
        h.cell_capacity.store(cells, Ordering::Relaxed);
        h.magic.store(MAGIC, Ordering::Release);
        Ok(area)
    }

    /// Maps the area in `fd` (handed over by a graceful restart), checking that it is one, of
    /// this layout, and whole.
    pub fn from_fd(fd: OwnedFd) -> Result<Area, String> {
        let mem = SharedMemory::from_fd(fd, HEADER_LEN, "metric area")?;
        let size = mem.size();
        let mut area = Area {
            mem,
            server_limit: 0,
            entry_capacity: 0,
            cell_capacity: 0,
        };
        let h = area.header();
        if h.magic.load(Ordering::Acquire) != MAGIC {
            return Err("not a metric area (no magic number)".to_owned());
        }
        let layout = h.layout.load(Ordering::Relaxed);
        if layout != LAYOUT_VERSION {
            return Err(format!(
                "metric area layout {layout}, this binary reads layout {LAYOUT_VERSION}"
            ));
        }
        let (sl, entries, cells) = (
            h.server_limit.load(Ordering::Relaxed),
            h.entry_capacity.load(Ordering::Relaxed),
            h.cell_capacity.load(Ordering::Relaxed),
        );
        if area_len(entries, cells) != Some(size)
            || h.entries_used.load(Ordering::Relaxed) > entries
            || h.cells_used.load(Ordering::Relaxed) > cells
        {
            return Err(format!(
                "metric area of {size} bytes does not match its header"
            ));
        }
        area.server_limit = sl;
        area.entry_capacity = entries;
        area.cell_capacity = cells;
        Ok(area)
    }

    /// The raw descriptor number (for handing over across exec).
    pub fn raw_fd(&self) -> i32 {
        self.mem.raw_fd()
    }

    /// The ServerLimit the gauges' cells were laid out for.
    pub fn server_limit(&self) -> u32 {
        self.server_limit
    }

    fn at<T>(&self, offset: usize) -> &T {
        // SAFETY: in bounds (offsets come from the checked capacities), aligned (the mapping is
        // page-aligned, every offset a multiple of 8), and every bit pattern is valid (atomics
        // only).
        unsafe { self.mem.at(offset) }
    }

    fn header(&self) -> &Header {
        self.at(0)
    }

    fn entry(&self, index: u32) -> &Entry {
        debug_assert!(index < self.entry_capacity);
        self.at(HEADER_LEN + index as usize * ENTRY_LEN)
    }

    /// Cell `index`, if inside the area.
    pub fn cell(&self, index: usize) -> Option<&AtomicU64> {
        (index < self.cell_capacity as usize).then(|| {
            self.at(HEADER_LEN + self.entry_capacity as usize * ENTRY_LEN + index * CELL_LEN)
        })
    }

    fn shape_of(&self, index: u32) -> Shape {
        let e = self.entry(index);
        let len = (e.name_len.load(Ordering::Relaxed) as usize).min(MAX_NAME_LEN);
        let name: Vec<u8> = e.name[..len]
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .collect();
        let buckets =
            (e.bucket_count.load(Ordering::Relaxed) as usize).min(MAPACHE_METRIC_MAX_BUCKETS);
        Shape {
            kind: e.kind.load(Ordering::Relaxed),
            name: String::from_utf8_lossy(&name).into_owned(),
            bounds: e.bounds[..buckets]
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect(),
        }
    }

    /// The first cell of the entry of this shape, if the area has one (the latest, should a name
    /// have been used with another kind before).
    pub fn find(&self, shape: &Shape) -> Option<usize> {
        let used = self
            .header()
            .entries_used
            .load(Ordering::Relaxed)
            .min(self.entry_capacity);
        (0..used)
            .rev()
            .find(|&i| self.shape_of(i) == *shape)
            .map(|i| self.entry(i).first_cell.load(Ordering::Relaxed) as usize)
    }

    /// Adds an entry for `shape`, its cells zero; its first cell, or None when the area is full.
    /// Masters only, before forking.
    pub fn append(&self, shape: &Shape) -> Option<usize> {
        let h = self.header();
        let index = h.entries_used.load(Ordering::Relaxed);
        let first = h.cells_used.load(Ordering::Relaxed) as usize;
        let cells = shape.cells(self.server_limit);
        if index >= self.entry_capacity
            || first + cells > self.cell_capacity as usize
            || shape.name.len() > MAX_NAME_LEN
            || shape.bounds.len() > MAPACHE_METRIC_MAX_BUCKETS
        {
            return None;
        }
        let e = self.entry(index);
        e.kind.store(shape.kind, Ordering::Relaxed);
        e.bucket_count
            .store(shape.bounds.len() as u32, Ordering::Relaxed);
        e.name_len.store(shape.name.len() as u32, Ordering::Relaxed);
        e.first_cell.store(first as u32, Ordering::Relaxed);
        for (to, b) in e.name.iter().zip(shape.name.bytes()) {
            to.store(b, Ordering::Relaxed);
        }
        for (to, b) in e.bounds.iter().zip(&shape.bounds) {
            to.store(*b, Ordering::Relaxed);
        }
        h.cells_used
            .store((first + cells) as u32, Ordering::Relaxed);
        h.entries_used.store(index + 1, Ordering::Release);
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapache_plugin_api::abi::MAPACHE_METRIC_COUNTER;

    fn counter(name: &str) -> Shape {
        Shape {
            kind: MAPACHE_METRIC_COUNTER,
            name: name.into(),
            bounds: vec![],
        }
    }

    #[test]
    fn a_second_mapping_finds_the_entries_and_shares_the_cells() {
        let a = Area::create(4, 8, 64).unwrap();
        let hist = Shape {
            kind: MAPACHE_METRIC_HISTOGRAM,
            name: "h".into(),
            bounds: vec![1, 10],
        };
        let c = a.append(&counter("c")).unwrap();
        let h = a.append(&hist).unwrap();
        assert_eq!((c, h), (0, 1));
        a.cell(c).unwrap().fetch_add(5, Ordering::Relaxed);
        let b = Area::from_fd(a.mem.fd().try_clone_to_owned().unwrap()).unwrap();
        assert_eq!(b.find(&counter("c")), Some(0));
        assert_eq!(b.find(&hist), Some(1));
        assert_eq!(
            b.find(&Shape {
                bounds: vec![1],
                ..hist
            }),
            None,
            "other bounds: another metric"
        );
        assert_eq!(b.cell(0).unwrap().load(Ordering::Relaxed), 5);
    }

    #[test]
    fn a_full_area_refuses_more() {
        let a = Area::create(2, 1, 4).unwrap();
        let gauge = Shape {
            kind: MAPACHE_METRIC_GAUGE,
            name: "g".into(),
            bounds: vec![],
        };
        assert_eq!(a.append(&gauge), Some(0), "3 cells");
        assert_eq!(a.append(&counter("c")), None, "no entry left");
        let fd =
            nix::sys::memfd::memfd_create(c"x", nix::sys::memfd::MFdFlags::MFD_CLOEXEC).unwrap();
        nix::unistd::ftruncate(&fd, 4096).unwrap();
        assert!(Area::from_fd(fd).err().unwrap().contains("no magic"));
    }
}
