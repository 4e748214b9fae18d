//! Typed per-scope configuration (ABI 1.4): one value of the module's configuration type per
//! scope (the server level and each section that uses the module's directives), filled while
//! the configuration is read and merged once per combination of sections.
//!
//! Name the type in the `config: Type` part of [`mapache_module!`](crate::mapache_module); the
//! macro generates `create_config` (a `Box<Type>` made with `Default`), `set_directive`,
//! `merge_config` and `free_config`. The core owns the boxes' lifetimes (server and section
//! values live for the process; merged ones until the core's cache lets them go). Read the
//! value in effect for a request with [`Request::module_config`](super::Request::module_config).

/// Where a directive occurrence was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// At the server level, outside any section.
    Server,
    /// Inside a `<Location>` or `<Directory>` section.
    Section,
}

impl Scope {
    pub(crate) fn from_raw(raw: u32) -> Scope {
        if raw == crate::abi::MAPACHE_SCOPE_SECTION {
            Scope::Section
        } else {
            Scope::Server
        }
    }
}

/// A module's configuration for one scope.
///
/// `set` runs in the master while the configuration is read (also for `-t`), single-threaded,
/// before the module's `init`. `merge` runs in children, on any thread, concurrently, so the
/// type is `Send + Sync`; the merged values are read-only from then on.
pub trait ModuleConfig: Default + Clone + Send + Sync + 'static {
    /// Applies one occurrence of one of the module's directives (`name` as declared) to this
    /// scope's value, in file order. An `Err` is one line without file and line (the core adds
    /// them) and fails the configuration. When a module has a `config`, this replaces
    /// [`HandlerModule::check_directive`](super::HandlerModule::check_directive).
    fn set(&mut self, scope: Scope, name: &str, args: &[&str]) -> Result<(), String>;

    /// The value for `child` (a section) inside `parent` (the server level, or what is already
    /// merged): what the child sets wins, the rest comes from the parent. Keep "set" apart from
    /// "default" in the type (e.g. `Option` fields) so a section that sets nothing inherits.
    fn merge(parent: &Self, child: &Self) -> Self;
}
