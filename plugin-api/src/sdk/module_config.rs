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

/// Which kind of scope a configuration value is for (ABI 1.6, [`SectionInfo::kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    /// The main server's level.
    Server,
    /// A `<VirtualHost>`'s own level.
    VirtualHost,
    /// `<Directory>` or `<DirectoryMatch>`.
    Directory,
    /// `<Location>` or `<LocationMatch>`.
    Location,
    /// `<Files>` or `<FilesMatch>`.
    Files,
    /// `<If>`, `<ElseIf>`, `<Else>`.
    If,
    /// A `.htaccess` file.
    Htaccess,
}

/// The scope a configuration value is made for (ABI 1.6): given to
/// [`ModuleConfig::for_section`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionInfo {
    /// Its kind.
    pub kind: SectionKind,
    /// What it matches: a `<Directory>`'s absolute path without a trailing `/`, a
    /// `<Location>`'s or `<Files>`' path or pattern as written, a `.htaccess` file's directory;
    /// empty for the server levels and `<If>`.
    pub path: String,
    /// Whether `path` is a regular expression or wildcard pattern.
    pub is_regex: bool,
    /// The nearest `<Directory>` (not a pattern) or `.htaccess` directory the scope is, or is
    /// inside of; empty when none (mod_rewrite's per-directory prefix).
    pub directory: String,
}

impl SectionInfo {
    /// Reads the core's description; None for a null pointer.
    ///
    /// # Safety
    /// `raw` is null or points to a section valid for the call.
    pub unsafe fn from_raw(raw: *const crate::abi::MapacheSection) -> Option<SectionInfo> {
        use crate::abi;
        let raw = raw.as_ref()?;
        let text =
            |s: abi::MapacheStr| String::from_utf8_lossy(super::host::from_abi(s)).into_owned();
        let kind = match raw.kind {
            abi::MAPACHE_SECTION_VIRTUALHOST => SectionKind::VirtualHost,
            abi::MAPACHE_SECTION_DIRECTORY => SectionKind::Directory,
            abi::MAPACHE_SECTION_LOCATION => SectionKind::Location,
            abi::MAPACHE_SECTION_FILES => SectionKind::Files,
            abi::MAPACHE_SECTION_IF => SectionKind::If,
            abi::MAPACHE_SECTION_HTACCESS => SectionKind::Htaccess,
            _ => SectionKind::Server,
        };
        Some(SectionInfo {
            kind,
            path: text(raw.path),
            is_regex: raw.is_regex != 0,
            directory: text(raw.directory),
        })
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

    /// The value a scope starts from before its lines are set (ABI 1.6): `Default` unless the
    /// module keeps something of where it is (a per-directory prefix, a `<Location>` path).
    fn for_section(section: &SectionInfo) -> Self {
        let _ = section;
        Self::default()
    }
}
