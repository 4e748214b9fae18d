//! The configuration a request's combination of sections amounts to: the core's own settings
//! of that scope (SetHandler, LimitRequestBody, the filters configuration adds) and every
//! module's typed object, merged from the server level down, once per combination, then
//! cached. A request finds its scope in one hash lookup (none when no section applies).

use super::filters::Registry;
use super::module_config;
use crate::config::settings;
use crate::config::store::{Occurrence, Store, View};
use crate::loader::LoadedModule;
use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::RwLock;

/// Combinations kept merged per process; past it a request merges its own, and frees it.
const CACHED_COMBINATIONS: usize = 1024;

/// One scope's merged configuration.
pub struct Merged {
    /// SetHandler in effect ("" when none, or `None`).
    pub handler: String,
    /// LimitRequestBody in effect (0: unlimited).
    pub limit_request_body: u64,
    /// SetOutputFilter in effect, as registry indexes.
    pub output_filters: Vec<usize>,
    /// SetInputFilter in effect.
    pub input_filters: Vec<usize>,
    /// AddOutputFilterByType: (media type, lower-case, without parameters; filter).
    pub by_type: Vec<(String, usize)>,
    /// AddOutputFilter: (extension, lower-case, without its dot; filter).
    pub by_extension: Vec<(String, usize)>,
    /// Each handler module's merged object (null: none), in `Server::handlers` order.
    pub modules: Box<[*const c_void]>,
    /// Which of `modules` were made by a merge for this value (freed with it when uncached).
    made: Box<[bool]>,
}

// SAFETY: the module objects are read-only once made and the modules promise they may be read
// on any thread (ABI 1.4 `merge_config`).
unsafe impl Send for Merged {}
// SAFETY: as above.
unsafe impl Sync for Merged {}

/// A request's scope: cached for the process, or its own.
pub enum ScopeRef {
    /// Kept in the cache (or the server level's).
    Shared(&'static Merged),
    /// Merged for this request only; its module objects are freed with it.
    Own(Box<Merged>, &'static [LoadedModule]),
}

impl std::ops::Deref for ScopeRef {
    type Target = Merged;
    fn deref(&self) -> &Merged {
        match self {
            ScopeRef::Shared(m) => m,
            ScopeRef::Own(m, _) => m,
        }
    }
}

impl Drop for ScopeRef {
    fn drop(&mut self) {
        if let ScopeRef::Own(m, modules) = self {
            for ((module, &object), &made) in
                modules.iter().zip(m.modules.iter()).zip(m.made.iter())
            {
                if let (true, Some(free)) = (made, module.desc.free_config) {
                    free(object as *mut c_void);
                }
            }
        }
    }
}

/// Every scope's configuration.
pub struct Scopes {
    server: &'static Merged,
    cache: RwLock<HashMap<Box<[usize]>, &'static Merged>>,
}

impl Scopes {
    /// Builds the server level's scope and checks the filter lines of every scope (so an
    /// unknown filter name fails `-t`, with its file and line).
    pub fn build(
        store: &Store,
        modules: &[LoadedModule],
        filters: &Registry,
    ) -> Result<Scopes, String> {
        for occ in store
            .server
            .iter()
            .chain(store.sections.iter().flat_map(|s| s.directives.iter()))
        {
            check_filter_line(occ, filters)?;
        }
        let server = Box::leak(Box::new(merge(store, &View::default(), modules, filters)));
        Ok(Scopes {
            server,
            cache: RwLock::new(HashMap::new()),
        })
    }

    /// The server level's scope.
    pub fn server(&self) -> &'static Merged {
        self.server
    }

    /// The scope of `view`.
    pub fn of(
        &self,
        view: &View,
        store: &Store,
        modules: &'static [LoadedModule],
        filters: &Registry,
    ) -> ScopeRef {
        if view.sections.is_empty() {
            return ScopeRef::Shared(self.server);
        }
        if let Some(m) = self
            .cache
            .read()
            .ok()
            .and_then(|c| c.get(view.sections.as_slice()).copied())
        {
            return ScopeRef::Shared(m);
        }
        let merged = merge(store, view, modules, filters);
        let Ok(mut cache) = self.cache.write() else {
            return ScopeRef::Own(Box::new(merged), modules);
        };
        if let Some(&m) = cache.get(view.sections.as_slice()) {
            // Another thread merged the same combination meanwhile: drop ours.
            drop(cache);
            drop(ScopeRef::Own(Box::new(merged), modules));
            return ScopeRef::Shared(m);
        }
        if cache.len() >= CACHED_COMBINATIONS {
            return ScopeRef::Own(Box::new(merged), modules);
        }
        let kept: &'static Merged = Box::leak(Box::new(merged));
        cache.insert(view.sections.clone().into_boxed_slice(), kept);
        ScopeRef::Shared(kept)
    }
}

/// Merges the server level with `view`'s sections, least specific first.
fn merge(store: &Store, view: &View, modules: &[LoadedModule], filters: &Registry) -> Merged {
    let handler = view
        .last(store, "sethandler")
        .map(|o| o.arg0())
        .filter(|h| !h.eq_ignore_ascii_case("none"))
        .unwrap_or("")
        .to_owned();
    let list = |name: &str| -> Vec<usize> {
        view.last(store, name)
            .map(|o| names(o.arg0()).filter_map(|n| filters.find(n)).collect())
            .unwrap_or_default()
    };
    let mut by_type = Vec::new();
    for o in view.occurrences(store, "addoutputfilterbytype") {
        for f in names(o.arg0()).filter_map(|n| filters.find(n)) {
            for t in &o.args[1..] {
                by_type.push((t.to_ascii_lowercase(), f));
            }
        }
    }
    let mut by_extension: Vec<(String, usize)> = Vec::new();
    // In file order across scopes: AddOutputFilter adds, RemoveOutputFilter removes what
    // less specific scopes added for those extensions.
    let scoped: Vec<&Occurrence> = store
        .server
        .iter()
        .chain(
            view.sections
                .iter()
                .flat_map(|&i| store.sections[i].directives.iter()),
        )
        .filter(|o| o.is_named("addoutputfilter") || o.is_named("removeoutputfilter"))
        .collect();
    for o in scoped {
        if o.is_named("removeoutputfilter") {
            for ext in o.args.iter() {
                let ext = extension(ext);
                by_extension.retain(|(e, _)| *e != ext);
            }
        } else {
            for f in names(o.arg0()).filter_map(|n| filters.find(n)) {
                for ext in &o.args[1..] {
                    by_extension.push((extension(ext), f));
                }
            }
        }
    }
    let mut objects = Vec::with_capacity(modules.len());
    let mut made = Vec::with_capacity(modules.len());
    for module in modules {
        let mut current: *const c_void = module
            .configs
            .server
            .map_or(std::ptr::null(), |p| p.as_ptr());
        let mut fresh = false;
        for &section in &view.sections {
            let Some((_, child)) = module.configs.sections.iter().find(|(s, _)| *s == section)
            else {
                continue;
            };
            let (next, new) = module_config::merge(module, current, child.as_ptr());
            if fresh && new {
                if let Some(free) = module.desc.free_config {
                    free(current as *mut c_void);
                }
            }
            current = next;
            fresh = new;
        }
        objects.push(current);
        made.push(fresh);
    }
    Merged {
        handler,
        limit_request_body: settings::limit_request_body(store, view),
        output_filters: list("setoutputfilter"),
        input_filters: list("setinputfilter"),
        by_type,
        by_extension,
        modules: objects.into_boxed_slice(),
        made: made.into_boxed_slice(),
    }
}

/// The names of a `;`-separated filter list.
fn names(list: &str) -> impl Iterator<Item = &str> {
    list.split(';').map(str::trim).filter(|n| !n.is_empty())
}

fn extension(ext: &str) -> String {
    ext.trim_start_matches('.').to_ascii_lowercase()
}

/// Checks the filter names of one SetOutputFilter, SetInputFilter, AddOutputFilterByType or
/// AddOutputFilter line.
fn check_filter_line(occ: &Occurrence, filters: &Registry) -> Result<(), String> {
    let output = occ.is_named("setoutputfilter")
        || occ.is_named("addoutputfilterbytype")
        || occ.is_named("addoutputfilter");
    let input = occ.is_named("setinputfilter");
    if !output && !input {
        return Ok(());
    }
    for name in names(occ.arg0()) {
        match filters.find(name) {
            Some(f) if filters.is_input(f) == input => {}
            Some(_) => {
                return Err(format!(
                    "Syntax error on line {} of {}: {}: {name} is an {} filter",
                    occ.line,
                    occ.file,
                    display(occ),
                    if input { "output" } else { "input" }
                ))
            }
            None => {
                return Err(format!(
                    "Syntax error on line {} of {}: {}: no loaded module offers a filter named {name}: check the LoadModule lines",
                    occ.line,
                    occ.file,
                    display(occ)
                ))
            }
        }
    }
    Ok(())
}

fn display(occ: &Occurrence) -> &'static str {
    [
        "SetOutputFilter",
        "SetInputFilter",
        "AddOutputFilterByType",
        "AddOutputFilter",
    ]
    .into_iter()
    .find(|n| occ.is_named(n))
    .unwrap_or("filter")
}
