//! Filters (ABI 1.4): the registry of every filter the loaded modules offer, and a request's
//! chains.
//!
//! An output chain sits between the handler and the core's sender. When the response is
//! committed (its first body bytes leave the handler's small buffer, a file is sent, or the
//! handler returns) each filter's `headers` runs in chain order and may change the status and
//! headers or leave the chain; then the body flows as buckets through the filters that stayed
//! and have a `body` function, and the core sends what comes out of the last. Filters without a
//! `body` add nothing per bucket, so a file range still reaches the sender as a range (sendfile).
//! An input chain sits between the core's body reader and the handler's reads.

use crate::loader::LoadedModule;
use crate::serve::request::RequestCtx;
use mapache_plugin_api::abi::{
    self, MapacheBucket, MapacheFilter, MapacheFilterDef, MapacheRequest, MapacheStr,
};
use std::ffi::c_void;

/// One filter a module offers.
pub struct Entry {
    /// Its name as declared.
    pub name: String,
    /// Its definition.
    pub def: MapacheFilterDef,
}

/// Every filter of every loaded module.
#[derive(Default)]
pub struct Registry {
    entries: Vec<Entry>,
}

// SAFETY: the definitions point to the modules' static, immutable data.
unsafe impl Send for Registry {}
// SAFETY: as above.
unsafe impl Sync for Registry {}

impl Registry {
    /// Collects the filters of `modules`; a name offered twice in one direction is an error.
    /// Output and input filters are two namespaces, as Apache's registries are (mod_deflate's
    /// `DEFLATE` is both).
    pub fn build(modules: &[LoadedModule]) -> Result<Registry, String> {
        let mut entries: Vec<Entry> = Vec::new();
        for m in modules {
            for f in &m.tables.filters {
                if entries.iter().any(|e| {
                    e.name.eq_ignore_ascii_case(&f.name) && e.def.direction == f.def.direction
                }) {
                    return Err(format!(
                        "module {} offers filter {}, which another module already offers",
                        m.symbol, f.name
                    ));
                }
                entries.push(Entry {
                    name: f.name.clone(),
                    def: f.def,
                });
            }
        }
        Ok(Registry { entries })
    }

    /// The filter called `name` (case-insensitive), the output filter when the name is both.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.find_in(name, false)
            .or_else(|| self.find_in(name, true))
    }

    /// The input (`input`) or output filter called `name` (case-insensitive).
    pub fn find_in(&self, name: &str, input: bool) -> Option<usize> {
        let direction = if input {
            abi::MAPACHE_FILTER_INPUT
        } else {
            abi::MAPACHE_FILTER_OUTPUT
        };
        self.entries
            .iter()
            .position(|e| e.def.direction == direction && e.name.eq_ignore_ascii_case(name))
    }

    /// Whether filter `i` is an input filter.
    pub fn is_input(&self, i: usize) -> bool {
        self.entries[i].def.direction == abi::MAPACHE_FILTER_INPUT
    }

    /// Filter `i`.
    pub fn get(&self, i: usize) -> &Entry {
        &self.entries[i]
    }
}

/// One filter in one request's chain.
pub struct Instance {
    /// Registry index.
    pub filter: usize,
    /// What the filter keeps for this request (null until it sets one).
    pub state: *mut c_void,
    /// Still in the chain for the body (its `headers` did not decline).
    pub active: bool,
}

// SAFETY: a state pointer is used only by calls for its request, which runs on one thread at a
// time; between requests the chains are empty (the connection keeps them for their capacity).
unsafe impl Send for Instance {}

/// A request's filter chains, nearest the handler first.
#[derive(Default)]
pub struct Chain {
    /// Output filters.
    pub output: Vec<Instance>,
    /// Input filters.
    pub input: Vec<Instance>,
    /// Whether any output filter with a `body` stayed after the header stage.
    pub body_filters: bool,
}

impl Chain {
    /// Adds filter `f` in its class's place (after those of the same class already there);
    /// a filter already in the chain is not added twice.
    pub fn add(&mut self, registry: &Registry, f: usize) {
        let class = registry.get(f).def.class;
        let list = if registry.is_input(f) {
            &mut self.input
        } else {
            &mut self.output
        };
        if list.iter().any(|i| i.filter == f) {
            return;
        }
        let at = list
            .iter()
            .position(|i| registry.get(i.filter).def.class > class)
            .unwrap_or(list.len());
        list.insert(
            at,
            Instance {
                filter: f,
                state: std::ptr::null_mut(),
                active: true,
            },
        );
    }

    /// Whether the chain is empty (the request pays nothing for filters).
    pub fn is_empty(&self) -> bool {
        self.output.is_empty() && self.input.is_empty()
    }

    /// Calls every filter's `done` with its state and empties the chains.
    pub fn release(&mut self, registry: &Registry) {
        for i in self.output.drain(..).chain(self.input.drain(..)) {
            if i.state.is_null() {
                continue;
            }
            if let Some(done) = registry.get(i.filter).def.done {
                done(i.state);
            }
        }
        self.body_filters = false;
    }
}

/// What a `MapacheFilter` handle points to: a request and a place in one of its chains.
pub struct Call {
    /// The request.
    pub req: *mut MapacheRequest,
    /// Index in the chain.
    pub index: usize,
    /// Which chain.
    pub input: bool,
}

impl Call {
    /// The handle the filter is given.
    fn handle(&mut self) -> *mut MapacheFilter {
        self as *mut Call as *mut MapacheFilter
    }
}

/// A body piece on its way to the sender.
pub enum Piece<'a> {
    /// Bytes.
    Bytes(&'a [u8]),
    /// A file range.
    File { fd: i32, offset: u64, length: u64 },
    /// Send what is buffered.
    Flush,
    /// The end.
    End,
}

impl Piece<'_> {
    /// As an ABI bucket (borrowing the bytes).
    pub fn bucket(&self) -> MapacheBucket {
        let empty = MapacheStr {
            ptr: std::ptr::null(),
            len: 0,
        };
        let (kind, fd, data, offset, length) = match *self {
            Piece::Bytes(b) => (
                abi::MAPACHE_BUCKET_BYTES,
                -1,
                MapacheStr {
                    ptr: b.as_ptr(),
                    len: b.len(),
                },
                0,
                0,
            ),
            Piece::File { fd, offset, length } => {
                (abi::MAPACHE_BUCKET_FILE, fd, empty, offset, length)
            }
            Piece::Flush => (abi::MAPACHE_BUCKET_FLUSH, -1, empty, 0, 0),
            Piece::End => (abi::MAPACHE_BUCKET_EOS, -1, empty, 0, 0),
        };
        MapacheBucket {
            kind,
            fd,
            data,
            offset,
            length,
        }
    }

    /// From an ABI bucket; `None` for an unknown kind.
    ///
    /// # Safety
    /// The bucket's bytes must be readable for `'a`.
    pub unsafe fn from_bucket<'a>(b: &MapacheBucket) -> Option<Piece<'a>> {
        Some(match b.kind {
            abi::MAPACHE_BUCKET_BYTES => Piece::Bytes(if b.data.ptr.is_null() || b.data.len == 0 {
                &[]
            } else {
                std::slice::from_raw_parts(b.data.ptr, b.data.len)
            }),
            abi::MAPACHE_BUCKET_FILE => Piece::File {
                fd: b.fd,
                offset: b.offset,
                length: b.length,
            },
            abi::MAPACHE_BUCKET_FLUSH => Piece::Flush,
            abi::MAPACHE_BUCKET_EOS => Piece::End,
            _ => return None,
        })
    }
}

impl RequestCtx<'_> {
    /// What the filter at `index` of a chain is called with.
    fn filter_call(&mut self, index: usize, input: bool) -> Call {
        Call {
            req: self.as_raw(),
            index,
            input,
        }
    }

    /// Runs the header stage of the output chain. Filters whose `headers` decline leave it. An
    /// error makes the response the core's 500 page (the filters after it still see that).
    /// Returns whether a body filter stayed.
    pub(crate) fn run_header_filters(&mut self) -> bool {
        let registry = &self.conn.srv.pipeline.filters;
        let mut body = false;
        let mut keeps_length = true;
        for index in 0..self.chain.output.len() {
            let entry = registry.get(self.chain.output[index].filter);
            if let Some(headers) = entry.def.headers {
                let mut call = self.filter_call(index, false);
                let verdict = headers(call.handle(), self.as_raw());
                match verdict {
                    abi::MAPACHE_OK => {}
                    abi::MAPACHE_DECLINED => {
                        self.chain.output[index].active = false;
                        continue;
                    }
                    other => {
                        self.chain.output[index].active = false;
                        self.log(
                            "core",
                            crate::logs::error_log::ERROR,
                            &format!(
                                "output filter {} failed on the response head ({other}); answering 500",
                                entry.name
                            ),
                        );
                        self.replace_with_error_page(500);
                        continue;
                    }
                }
            }
            if entry.def.body.is_some() {
                body = true;
                keeps_length &= entry.def.flags & abi::MAPACHE_FILTER_KEEPS_LENGTH != 0;
            }
        }
        if body && !keeps_length {
            self.forget_content_length();
        }
        self.chain.body_filters = body;
        body
    }

    /// Passes `piece` into the output chain from position `from` on: to the first filter there
    /// that stayed and has a body function, or to the sender. Returns false when the client is
    /// gone or a filter aborted.
    pub(crate) fn pass_from(&mut self, from: usize, piece: Piece<'_>) -> bool {
        let registry = &self.conn.srv.pipeline.filters;
        let next = (from..self.chain.output.len()).find(|&i| {
            let inst = &self.chain.output[i];
            inst.active && registry.get(inst.filter).def.body.is_some()
        });
        let Some(index) = next else {
            return self.sink(piece);
        };
        let entry = registry.get(self.chain.output[index].filter);
        let body = entry.def.body.expect("checked above");
        let bucket = piece.bucket();
        let mut call = self.filter_call(index, false);
        let verdict = body(call.handle(), self.as_raw(), &bucket);
        if verdict != abi::MAPACHE_OK {
            let name = entry.name.clone();
            self.abort_response(&format!("output filter {name} failed ({verdict})"));
            return false;
        }
        !self.client_is_gone()
    }

    /// Reads body bytes through the input chain from position `from` on.
    pub(crate) fn read_from(&mut self, from: usize, dst: &mut [u8]) -> isize {
        if from >= self.chain.input.len() {
            return match self.read_body_raw(dst) {
                Ok(n) => n as isize,
                Err(_) => -1,
            };
        }
        let registry = &self.conn.srv.pipeline.filters;
        let read = registry
            .get(self.chain.input[from].filter)
            .def
            .read
            .expect("input filters have a read function (checked at LoadModule)");
        let mut call = self.filter_call(from, true);
        read(call.handle(), self.as_raw(), dst.as_mut_ptr(), dst.len())
    }
}
