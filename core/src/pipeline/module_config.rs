//! Modules' typed configuration (ABI 1.4 `create_config`, `set_directive`, `merge_config`):
//! objects made and filled while the configuration is read, so a bad value fails `-t` with its
//! file and line, and merged once per combination of sections (see `scope.rs`).

use crate::loader::{module_calls, LoadedModule};
use mapache_plugin_api::abi::{self, MapacheStr};
use std::ffi::c_void;
use std::ptr::NonNull;

/// Feeds one occurrence of `module`'s directive `name` to the object of its scope (`section`,
/// or the server level), making the object first when needed. `server_level`: the section is
/// a `<VirtualHost>`, whose own lines are server-level ones for the module.
pub fn set_directive(
    module: &mut LoadedModule,
    section: Option<usize>,
    server_level: bool,
    name: &str,
    args: &[String],
) -> Result<(), String> {
    let Some(set) = module.desc.set_directive else {
        return Ok(());
    };
    let scope = if section.is_some() && !server_level {
        abi::MAPACHE_SCOPE_SECTION
    } else {
        abi::MAPACHE_SCOPE_SERVER
    };
    let object = match section {
        None => {
            ensure_server(module);
            module.configs.server
        }
        Some(i) => match module.configs.sections.iter().find(|(s, _)| *s == i) {
            Some((_, o)) => Some(*o),
            None => {
                let made = create(module, scope);
                if let Some(o) = made {
                    module.configs.sections.push((i, o));
                }
                made
            }
        },
    };
    let object = object.map_or(std::ptr::null_mut(), NonNull::as_ptr);
    let abi_args = module_calls::abi_args(args);
    module_calls::call_with_error(|err, cap| {
        set(
            object,
            scope,
            text(name.as_bytes()),
            abi_args.as_ptr(),
            abi_args.len(),
            err,
            cap,
        )
    })
    .map_err(|line| {
        line.unwrap_or_else(|| {
            format!(
                "{name}: invalid value (module {} gave no reason)",
                module.symbol
            )
        })
    })
}

/// Feeds one directive of a `.htaccess` file to `object` (made first when `None`), as a
/// section's; the object made, if one was.
pub fn set_in(
    module: &LoadedModule,
    object: Option<NonNull<c_void>>,
    name: &str,
    args: &[String],
) -> Result<Option<NonNull<c_void>>, String> {
    let Some(set) = module.desc.set_directive else {
        return Ok(None);
    };
    let made = match object {
        Some(_) => None,
        None => create(module, abi::MAPACHE_SCOPE_SECTION),
    };
    let target = object
        .or(made)
        .map_or(std::ptr::null_mut(), NonNull::as_ptr);
    let abi_args = module_calls::abi_args(args);
    module_calls::call_with_error(|err, cap| {
        set(
            target,
            abi::MAPACHE_SCOPE_SECTION,
            text(name.as_bytes()),
            abi_args.as_ptr(),
            abi_args.len(),
            err,
            cap,
        )
    })
    .map_err(|line| {
        if let (Some(o), Some(free)) = (made, module.desc.free_config) {
            free(o.as_ptr());
        }
        line.unwrap_or_else(|| {
            format!(
                "{name}: invalid value (module {} gave no reason)",
                module.symbol
            )
        })
    })?;
    Ok(made)
}

/// Makes the module's server-level object if it has typed configuration and none yet.
pub fn ensure_server(module: &mut LoadedModule) {
    if module.configs.server.is_none() {
        module.configs.server = create(module, abi::MAPACHE_SCOPE_SERVER);
    }
}

fn create(module: &LoadedModule, scope: u32) -> Option<NonNull<c_void>> {
    NonNull::new(module.desc.create_config?(scope))
}

/// The module's object for `parent` merged with `child`: the module's merge, or the child as
/// it is when the module has none. The second value says whether the result is a new object
/// (which `free_config` may free).
pub fn merge(
    module: &LoadedModule,
    parent: *const c_void,
    child: *const c_void,
) -> (*const c_void, bool) {
    match module.desc.merge_config {
        Some(merge) if !parent.is_null() => (merge(parent, child) as *const c_void, true),
        _ => (child, false),
    }
}

fn text(b: &[u8]) -> MapacheStr {
    MapacheStr {
        ptr: b.as_ptr(),
        len: b.len(),
    }
}
