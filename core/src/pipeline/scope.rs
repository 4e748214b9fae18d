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
    /// AddHandler: (extension, lower-case, without its dot; handler name).
    pub handler_by_extension: Vec<(String, String)>,
    /// ErrorDocument per status.
    pub error_documents: Vec<(u16, super::error_document::Target)>,
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
        super::error_document::warn_ignored(
            store
                .server
                .iter()
                .chain(store.sections.iter().flat_map(|s| s.directives.iter())),
        );
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
    let list = |name: &str, input: bool| -> Vec<usize> {
        view.last(store, name)
            .map(|o| {
                names(o.arg0())
                    .filter_map(|n| filters.find_in(n, input))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut by_type = Vec::new();
    for o in view.occurrences(store, "addoutputfilterbytype") {
        for f in names(o.arg0()).filter_map(|n| filters.find_in(n, false)) {
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
                .flat_map(|&i| store.section(i).directives.iter()),
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
            for f in names(o.arg0()).filter_map(|n| filters.find_in(n, false)) {
                for ext in &o.args[1..] {
                    by_extension.push((extension(ext), f));
                }
            }
        }
    }
    let mut handler_by_extension: Vec<(String, String)> = Vec::new();
    for o in in_file_order(store, view, &["addhandler", "removehandler"]) {
        if o.is_named("removehandler") {
            for ext in o.args.iter() {
                let ext = extension(ext);
                handler_by_extension.retain(|(e, _)| *e != ext);
            }
        } else {
            for ext in &o.args[1..] {
                let ext = extension(ext);
                handler_by_extension.retain(|(e, _)| *e != ext);
                handler_by_extension.push((ext, o.arg0().to_owned()));
            }
        }
    }
    let error_documents =
        super::error_document::merge(in_file_order(store, view, &["errordocument"]).into_iter());
    let mut objects = Vec::with_capacity(modules.len());
    let mut made = Vec::with_capacity(modules.len());
    for (index, module) in modules.iter().enumerate() {
        let mut current: *const c_void = module
            .configs
            .server
            .map_or(std::ptr::null(), |p| p.as_ptr());
        let mut fresh = false;
        for &section in &view.sections {
            let child = if crate::htaccess::registry::is_dynamic(section) {
                crate::htaccess::registry::get(section)
                    .configs
                    .iter()
                    .find(|(m, _)| *m == index)
                    .map(|(_, o)| *o)
            } else {
                module
                    .configs
                    .sections
                    .iter()
                    .find(|(s, _)| *s == section)
                    .map(|(_, o)| *o)
            };
            let Some(child) = child else {
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
        output_filters: list("setoutputfilter", false),
        input_filters: list("setinputfilter", true),
        by_type,
        by_extension,
        handler_by_extension,
        error_documents,
        modules: objects.into_boxed_slice(),
        made: made.into_boxed_slice(),
    }
}

/// The lines named one of `names` at server level and in `view`'s sections, least specific
/// first.
fn in_file_order<'a>(store: &'a Store, view: &'a View, names: &[&str]) -> Vec<&'a Occurrence> {
    store
        .server
        .iter()
        .chain(
            view.sections
                .iter()
                .flat_map(|&i| store.section(i).directives.iter()),
        )
        .filter(|o| names.iter().any(|n| o.is_named(n)))
        .collect()
}

/// The handler AddHandler gives the file `name` (its last extension with one; Apache's
/// mod_mime looks at every extension, `a.cgi.en` included).
pub fn handler_for<'a>(scope: &'a Merged, name: &[u8]) -> Option<&'a str> {
    let base = name.rsplit(|&b| b == b'/').next().unwrap_or(&[]);
    let mut found = None;
    for ext in base.split(|&b| b == b'.').skip(1) {
        if let Some((_, h)) = scope
            .handler_by_extension
            .iter()
            .find(|(e, _)| e.as_bytes().eq_ignore_ascii_case(ext))
        {
            found = Some(h.as_str());
        }
    }
    found
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
        match filters.find_in(name, input).or_else(|| filters.find(name)) {
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
