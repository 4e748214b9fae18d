//! The ABI 1.4 tables of a descriptor (hooks, handler names, filters, `Require` providers),
//! checked and copied out at LoadModule so nothing later reads module memory it was not promised.

use super::c_text;
use mapache_plugin_api::abi::{
    self, MapacheAuthzProvider, MapacheFilterDef, MapacheHook, MapacheModule,
};
use std::ffi::c_char;

/// One phase registration.
#[derive(Debug, Clone)]
pub struct HookSpec {
    /// `MAPACHE_PHASE_*`.
    pub phase: u32,
    /// `MAPACHE_ORDER_*`.
    pub order: i32,
    /// The function.
    pub func: abi::MapachePhaseFn,
    /// Modules whose hooks of the phase run first.
    pub predecessors: Vec<String>,
    /// Modules whose hooks of the phase run after.
    pub successors: Vec<String>,
}

/// One filter a module offers.
#[derive(Debug, Clone)]
pub struct FilterSpec {
    /// Its name as declared.
    pub name: String,
    /// The definition, copied.
    pub def: MapacheFilterDef,
}

/// One `Require` provider a module offers.
#[derive(Debug, Clone)]
pub struct ProviderSpec {
    /// The word after `Require`.
    pub name: String,
    /// The definition, copied.
    pub def: MapacheAuthzProvider,
}

/// What a module plugs into the pipeline (all empty before ABI 1.4).
#[derive(Debug, Clone, Default)]
pub struct PipelineTables {
    /// Phase hooks.
    pub hooks: Vec<HookSpec>,
    /// Handler names it declares.
    pub handler_names: Vec<String>,
    /// Filters.
    pub filters: Vec<FilterSpec>,
    /// Require providers.
    pub providers: Vec<ProviderSpec>,
    /// (ABI 1.5) The Apache modules whose job it does, for `<IfModule>` and `-M`.
    pub apache_names: Vec<String>,
}

/// Reads the tables; `what` names the module for messages ("Module x in file").
pub fn read(what: &str, desc: &MapacheModule) -> Result<PipelineTables, String> {
    let hooks = slice(what, "hooks", desc.hooks, desc.hook_count)?
        .iter()
        .map(|h: &MapacheHook| {
            if !(abi::MAPACHE_PHASE_POST_READ_REQUEST..=abi::MAPACHE_PHASE_LOG).contains(&h.phase) {
                return Err(format!(
                    "{what} registers a hook for unknown phase {}",
                    h.phase
                ));
            }
            let func = h
                .func
                .ok_or_else(|| format!("{what} registers a hook without a function"))?;
            Ok(HookSpec {
                phase: h.phase,
                order: h.order,
                func,
                predecessors: names(h.predecessors),
                successors: names(h.successors),
            })
        })
        .collect::<Result<_, _>>()?;
    let handler_names = slice(
        what,
        "handler names",
        desc.handler_names,
        desc.handler_name_count,
    )?
    .iter()
    .map(|&p| c_text(p).ok_or_else(|| format!("{what} declares a null handler name")))
    .collect::<Result<_, _>>()?;
    let filters = slice(what, "filters", desc.filters, desc.filter_count)?
        .iter()
        .map(|f: &MapacheFilterDef| {
            let name =
                c_text(f.name).ok_or_else(|| format!("{what} declares a filter without a name"))?;
            if f.direction != abi::MAPACHE_FILTER_OUTPUT && f.direction != abi::MAPACHE_FILTER_INPUT
            {
                return Err(format!(
                    "{what}: filter {name} has an unknown direction {}",
                    f.direction
                ));
            }
            if f.direction == abi::MAPACHE_FILTER_INPUT && f.read.is_none() {
                return Err(format!("{what}: input filter {name} has no read function"));
            }
            Ok(FilterSpec { name, def: *f })
        })
        .collect::<Result<_, _>>()?;
    let providers = slice(
        what,
        "Require providers",
        desc.authz_providers,
        desc.authz_provider_count,
    )?
    .iter()
    .map(|p: &MapacheAuthzProvider| {
        let name = c_text(p.name)
            .ok_or_else(|| format!("{what} declares a Require provider without a name"))?;
        if p.authorize.is_none() {
            return Err(format!(
                "{what}: Require provider {name} has no authorize function"
            ));
        }
        Ok(ProviderSpec { name, def: *p })
    })
    .collect::<Result<_, _>>()?;
    let apache_names = slice(
        what,
        "Apache module names",
        desc.apache_names,
        desc.apache_name_count,
    )?
    .iter()
    .map(|&p| c_text(p).ok_or_else(|| format!("{what} declares a null Apache module name")))
    .collect::<Result<_, _>>()?;
    Ok(PipelineTables {
        hooks,
        handler_names,
        filters,
        providers,
        apache_names,
    })
}

fn slice<'a, T>(what: &str, table: &str, ptr: *const T, count: usize) -> Result<&'a [T], String> {
    if count == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(format!("{what} declares {count} {table} but no table"));
    }
    // SAFETY: the descriptor promises `count` static entries at `ptr`.
    Ok(unsafe { std::slice::from_raw_parts(ptr, count) })
}

/// A null-terminated array of C strings (null: none).
fn names(list: *const *const c_char) -> Vec<String> {
    let mut out = Vec::new();
    if list.is_null() {
        return out;
    }
    let mut i = 0;
    loop {
        // SAFETY: the array is null-terminated by contract and static.
        let p = unsafe { *list.add(i) };
        match c_text(p) {
            Some(name) => out.push(name),
            None => return out,
        }
        i += 1;
    }
}
