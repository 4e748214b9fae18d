//! LoadModule: dlopen a module, check its descriptor before anything in it runs, keep it forever.
//!
//! The checks, in order: the file opens (RTLD_NOW, so a missing symbol of the module's own is
//! reported now, not at the first request), the named descriptor symbol exists, its magic is
//! ours, its ABI major is ours, its minor is not newer than ours, and its declared size covers
//! every field of the minor it claims. Only then is the descriptor copied and its tables read.
//! Libraries are leaked on purpose: unloading Rust code is unsound and a module is never unloaded.

use mapache_plugin_api::abi::{
    self, MapacheModule, MAPACHE_ABI_MAJOR, MAPACHE_ABI_MINOR, MAPACHE_MODULE_MAGIC,
};
use std::ffi::CStr;
use std::path::{Path, PathBuf};

pub mod module_calls;
mod pipeline_tables;
pub use pipeline_tables::{FilterSpec, HookSpec, PipelineTables, ProviderSpec};

/// Descriptor size required for each minor of the current major (index = minor): each minor's
/// struct ends where the next one's appended fields begin.
const MODULE_SIZE_BY_MINOR: [usize; MAPACHE_ABI_MINOR as usize + 1] = [
    std::mem::offset_of!(MapacheModule, check_directive),
    std::mem::offset_of!(MapacheModule, hooks),
    // 1.2 and 1.3 appended to the host table only.
    std::mem::offset_of!(MapacheModule, hooks),
    std::mem::offset_of!(MapacheModule, hooks),
    std::mem::offset_of!(MapacheModule, apache_names),
    std::mem::offset_of!(MapacheModule, attach),
    std::mem::size_of::<MapacheModule>(),
];

/// One directive a module declares.
#[derive(Debug, Clone)]
pub struct DirectiveSpec {
    /// As declared (matched case-insensitively).
    pub name: String,
    /// `MAPACHE_TAKE1` …
    pub args: u32,
    /// `MAPACHE_CTX_*` bits.
    pub contexts: u32,
    /// One-line help.
    pub help: String,
}

/// Whether a module is linked into the binary or loaded from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Loaded by LoadModule from this file.
    Shared(PathBuf),
    /// Linked into the binary (feature `static-modules`).
    Static,
}

/// A module that passed every check, with its descriptor copied out.
pub struct LoadedModule {
    /// The symbol named in LoadModule, e.g. `static_module`.
    pub symbol: String,
    /// Where it came from.
    pub origin: Origin,
    /// The descriptor, zero-filled past the module's declared size.
    pub desc: MapacheModule,
    /// `desc.name` as text, e.g. `static`.
    pub name: String,
    /// The module's own version.
    pub version: String,
    /// Its directive table.
    pub directives: Vec<DirectiveSpec>,
    /// The descriptor where the module keeps it: the identity a module passes to
    /// `config_module` and `metric_register`.
    pub ptr: *const MapacheModule,
    /// What it plugs into the request pipeline (ABI 1.4).
    pub tables: PipelineTables,
    /// Its typed configuration objects (ABI 1.4 `create_config`), made as the configuration
    /// was read.
    pub configs: ModuleConfigs,
}

/// A module's configuration objects: the server level's, and those of the sections where one
/// of its directives appears (a section without any merges to its parent unchanged).
#[derive(Debug, Default)]
pub struct ModuleConfigs {
    /// The server level's; null without `create_config`.
    pub server: Option<std::ptr::NonNull<std::ffi::c_void>>,
    /// (section index, object), in section order.
    pub sections: Vec<(usize, std::ptr::NonNull<std::ffi::c_void>)>,
}

// SAFETY: the descriptor pointer and configuration objects are the module's static or
// long-lived data; the core only hands them back to the module, which must make its own objects
// safe to share (they are read on any thread once the configuration is read).
unsafe impl Send for LoadedModule {}
// SAFETY: as above.
unsafe impl Sync for LoadedModule {}

impl LoadedModule {
    /// True for an MPM.
    pub fn is_mpm(&self) -> bool {
        self.desc.kind == abi::MAPACHE_KIND_MPM
    }

    /// `major.minor` the module was built against.
    pub fn abi(&self) -> String {
        format!("{}.{}", self.desc.abi_major, self.desc.abi_minor)
    }
}

/// The first fields of every descriptor of every version: read before trusting anything else.
#[repr(C)]
struct Preamble {
    magic: u32,
    abi_major: u16,
    abi_minor: u16,
    struct_size: u32,
}

/// Modules linked into the binary by the `static-modules` feature: (symbol, source name as `-l`
/// lists it, descriptor).
pub fn linked() -> Vec<(&'static str, &'static str, &'static MapacheModule)> {
    #[cfg(feature = "static-modules")]
    {
        vec![
            ("static_module", "mod_static.c", &mod_static::static_module),
            ("status_module", "mod_status.c", &mod_status::status_module),
        ]
    }
    #[cfg(not(feature = "static-modules"))]
    {
        Vec::new()
    }
}

/// Resolves a module path against ServerRoot, as Apache does.
pub fn resolve(server_root: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        server_root.join(p)
    }
}

/// Loads `path` and checks the descriptor `symbol`. Errors are Apache's sentences, one line each.
pub fn load(symbol: &str, path: &Path) -> Result<LoadedModule, String> {
    let shown = path.display();
    let flags = libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_LOCAL;
    // SAFETY: running a library's initialisers is inherent to loading modules; the admin chose it.
    let lib = unsafe { libloading::os::unix::Library::open(Some(path), flags) }
        .map_err(|e| format!("Cannot load {shown} into server: {}", dl_message(&e)))?;
    let mut name = symbol.as_bytes().to_vec();
    name.push(0);
    // SAFETY: we only take the symbol's address here; nothing is read until the checks below.
    let ptr: *const Preamble = match unsafe { lib.get::<*const Preamble>(name.as_slice()) } {
        Ok(s) => *s,
        Err(e) => {
            return Err(format!(
                "Can't locate API module structure `{symbol}' in file {shown}: {}",
                dl_message(&e)
            ))
        }
    };
    // Never unloaded (see the module comment).
    std::mem::forget(lib);
    // SAFETY: the symbol is the module's descriptor (checked from its preamble on).
    unsafe {
        from_descriptor(
            symbol,
            Origin::Shared(path.to_path_buf()),
            ptr as *const MapacheModule,
        )
    }
}

/// Checks and copies a descriptor that is already in memory: from a loaded file, or linked into
/// the binary (feature `static-modules`). The same checks apply to both.
///
/// # Safety
/// `ptr` must point to at least the preamble of a descriptor (or of whatever the admin named),
/// readable for the descriptor's declared size.
pub unsafe fn from_descriptor(
    symbol: &str,
    origin: Origin,
    ptr: *const MapacheModule,
) -> Result<LoadedModule, String> {
    let shown = match &origin {
        Origin::Shared(p) => p.display().to_string(),
        Origin::Static => "the mapache binary".to_owned(),
    };
    if ptr.is_null() {
        return Err(format!(
            "Can't locate API module structure `{symbol}' in file {shown}: symbol is null"
        ));
    }
    // SAFETY: every descriptor starts with the preamble; the symbol is at least that large unless
    // it is not a descriptor at all, which the magic check then reports.
    let pre = unsafe { std::ptr::read_unaligned(ptr as *const Preamble) };
    check_preamble(symbol, &shown, &pre)?;

    let size = (pre.struct_size as usize).min(std::mem::size_of::<MapacheModule>());
    // SAFETY: an all-zero MapacheModule is valid (null pointers, None functions); we copy only the
    // bytes the module declared, which check_preamble proved cover its minor's fields.
    let desc = {
        let mut d: MapacheModule = std::mem::zeroed();
        std::ptr::copy_nonoverlapping(
            ptr as *const u8,
            &mut d as *mut MapacheModule as *mut u8,
            size,
        );
        d
    };
    let name =
        c_text(desc.name).ok_or_else(|| format!("Module {symbol} in {shown} has no name"))?;
    let version = c_text(desc.version).unwrap_or_default();
    if desc.kind != abi::MAPACHE_KIND_MPM && desc.kind != abi::MAPACHE_KIND_HANDLER {
        return Err(format!(
            "Module {symbol} in {shown} declares an unknown kind {}",
            desc.kind
        ));
    }
    if desc.kind == abi::MAPACHE_KIND_MPM && desc.mpm_run.is_none() {
        return Err(format!(
            "MPM module {symbol} in {shown} has no mpm_run entry point"
        ));
    }
    let directives = read_directives(symbol, &shown, &desc)?;
    let tables = pipeline_tables::read(&format!("Module {symbol} in {shown}"), &desc)?;
    if let Some(attach) = desc.attach {
        attach(&crate::host::HOST);
    }
    Ok(LoadedModule {
        symbol: symbol.to_owned(),
        origin,
        desc,
        name,
        version,
        directives,
        ptr,
        tables,
        configs: ModuleConfigs::default(),
    })
}

fn check_preamble(symbol: &str, shown: &str, pre: &Preamble) -> Result<(), String> {
    if pre.magic != MAPACHE_MODULE_MAGIC {
        return Err(format!(
            "API module structure '{symbol}' in file {shown} is garbled - expected signature {MAPACHE_MODULE_MAGIC:08x} but saw {:08x} - perhaps this is not a mapache module DSO, or was compiled for a different mapache version?",
            pre.magic
        ));
    }
    if pre.abi_major != MAPACHE_ABI_MAJOR {
        return Err(format!(
            "Module \"{symbol}\" in {shown} is not compatible with this version of mapache (found ABI major {}, need {MAPACHE_ABI_MAJOR}). Please contact the vendor for the correct version.",
            pre.abi_major
        ));
    }
    if pre.abi_minor > MAPACHE_ABI_MINOR {
        return Err(format!(
            "Module \"{symbol}\" in {shown} needs module ABI {}.{} but this mapache provides {MAPACHE_ABI_MAJOR}.{MAPACHE_ABI_MINOR}: upgrade mapache or use a build of the module for ABI {MAPACHE_ABI_MAJOR}.{MAPACHE_ABI_MINOR}",
            pre.abi_major, pre.abi_minor
        ));
    }
    let need = MODULE_SIZE_BY_MINOR[pre.abi_minor as usize];
    if (pre.struct_size as usize) < need {
        return Err(format!(
            "API module structure '{symbol}' in file {shown} is too small: {} bytes where ABI {}.{} needs {need}; the module was built wrongly",
            pre.struct_size, pre.abi_major, pre.abi_minor
        ));
    }
    Ok(())
}

fn read_directives(
    symbol: &str,
    shown: &str,
    desc: &MapacheModule,
) -> Result<Vec<DirectiveSpec>, String> {
    if desc.directive_count == 0 {
        return Ok(Vec::new());
    }
    if desc.directives.is_null() {
        return Err(format!(
            "Module {symbol} in {shown} declares {} directives but no table",
            desc.directive_count
        ));
    }
    // SAFETY: the descriptor promises `directive_count` static entries.
    let table = unsafe { std::slice::from_raw_parts(desc.directives, desc.directive_count) };
    table
        .iter()
        .map(|d| {
            let name = c_text(d.name).ok_or_else(|| {
                format!("Module {symbol} in {shown} has a directive without a name")
            })?;
            if !(abi::MAPACHE_TAKE1..=abi::MAPACHE_RAW_ARGS).contains(&d.args) {
                return Err(format!(
                    "Module {symbol} in {shown}: directive {name} has an unknown argument kind {}",
                    d.args
                ));
            }
            Ok(DirectiveSpec {
                name,
                args: d.args,
                contexts: contexts(desc, d.contexts),
                help: c_text(d.help).unwrap_or_default(),
            })
        })
        .collect()
}

/// A directive's contexts as the core applies them: an MPM's directives shape the whole
/// server, so they are global whatever the module declared (before ABI 1.5 there was no bit to
/// say so).
fn contexts(desc: &MapacheModule, declared: u32) -> u32 {
    if desc.kind == abi::MAPACHE_KIND_MPM && declared & abi::MAPACHE_CTX_SERVER != 0 {
        declared | abi::MAPACHE_CTX_GLOBAL_ONLY
    } else {
        declared
    }
}

fn c_text(p: *const std::ffi::c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: descriptor strings are static and NUL-terminated by contract.
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The dlerror text admins know ("…: cannot open shared object file: No such file or
/// directory"); libloading keeps it as the error's source.
fn dl_message(e: &libloading::Error) -> String {
    match std::error::Error::source(e) {
        Some(detail) => detail.to_string(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod context_tests {
    use super::contexts;
    use mapache_plugin_api::abi::{self, MapacheModule};

    fn module(minor: u16, kind: u32) -> MapacheModule {
        MapacheModule {
            abi_minor: minor,
            kind,
            ..MapacheModule::PRE_1_4
        }
    }

    #[test]
    fn an_mpms_server_directives_are_global() {
        let mpm = module(4, abi::MAPACHE_KIND_MPM);
        assert_eq!(
            contexts(&mpm, abi::MAPACHE_CTX_SERVER),
            abi::MAPACHE_CTX_SERVER | abi::MAPACHE_CTX_GLOBAL_ONLY
        );
        let handler = module(5, abi::MAPACHE_KIND_HANDLER);
        assert_eq!(
            contexts(&handler, abi::MAPACHE_CTX_SERVER),
            abi::MAPACHE_CTX_SERVER
        );
        assert_eq!(
            contexts(&handler, abi::MAPACHE_CTX_ANY),
            abi::MAPACHE_CTX_ANY
        );
    }
}
