//! Directive dispatch: the sink the reader feeds. It loads modules as LoadModule lines are read
//! (so later lines may use their directives and `<IfModule>` sees them), checks every directive
//! against the core's table or its module's (name, arity, context, value) and stores it.

use super::core_directives;
use super::store::{Occurrence, Pattern, Section, SectionKind, Store, VhostAddr, VhostEntry};
use super::{Directive, Sink};
use crate::access;
use crate::loader::{self, module_calls, DirectiveSpec, LoadedModule};
use crate::logs::error_log;
use crate::pipeline::module_config;
use crate::regex::Regex;
use mapache_plugin_api::abi;
use std::path::PathBuf;

/// Modules built into the core, as `-l`, `-M` and `<IfModule>` know them: Apache's modules whose
/// job the core does, so configurations that test for them (`<IfModule unixd_module>` around
/// User and Group in Apache's stock httpd.conf) keep their lines. Only what the core really does
/// is claimed; a module file declares the Apache names it stands for in its `apache_names`.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("core_module", "core.c"),
    ("so_module", "mod_so.c"),
    ("http_module", "http_core.c"),
    // LogFormat, CustomLog, TransferLog (core/src/logs).
    ("log_config_module", "mod_log_config.c"),
    // %I, %O and %S in LogFormat (core/src/logs/access_log).
    ("logio_module", "mod_logio.c"),
    // <IfVersion> (the reader).
    ("version_module", "mod_version.c"),
    // User, Group (control/privileges).
    ("unixd_module", "mod_unixd.c"),
    // RequestReadTimeout (serve/read_timeout).
    ("reqtimeout_module", "mod_reqtimeout.c"),
    // AddOutputFilterByType (the pipeline's filters).
    ("filter_module", "mod_filter.c"),
    // sd_notify and socket activation (control/systemd); Fedora's httpd loads it.
    ("systemd_module", "mod_systemd.c"),
    // Require (core/src/access): Apache configurations test for these, e.g.
    // `<IfModule mod_authz_core.c>`, and must not lose their Require lines.
    ("authz_core_module", "mod_authz_core.c"),
    ("authz_host_module", "mod_authz_host.c"),
];

/// Collects the configuration while it is read.
pub struct Dispatcher {
    /// Directives stored so far.
    pub store: Store,
    /// Modules loaded so far, in LoadModule order.
    pub modules: Vec<LoadedModule>,
    /// The current ServerRoot (module paths resolve against it).
    pub server_root: PathBuf,
    /// The sections open where the reader is, outermost first (indexes into the store).
    open: Vec<usize>,
    /// `<RequireAll>`/`<RequireAny>`/`<RequireNone>` open in the current scope.
    authz: access::Builder,
}

/// What a directive name refers to.
enum Owner<'a> {
    Core(&'static core_directives::CoreDirective),
    Module(&'a LoadedModule, &'a DirectiveSpec),
}

impl Dispatcher {
    /// Starts with the modules linked into the binary and nothing loaded. The effective
    /// ServerRoot (from `-d` or the current directory) is recorded first, so modules asking for
    /// ServerRoot see it even when no line sets it; a ServerRoot line later overrides it.
    pub fn new(server_root: PathBuf) -> Result<Self, String> {
        let mut store = Store::default();
        let root = server_root.to_string_lossy().into_owned();
        store.server.push(Occurrence::new(
            "ServerRoot",
            &[root],
            std::sync::Arc::from("(command line)"),
            0,
        ));
        let mut modules = Vec::new();
        for (symbol, _, desc) in loader::linked() {
            // SAFETY: a descriptor linked into this binary is a static of the right type.
            modules.push(unsafe { loader::from_descriptor(symbol, loader::Origin::Static, desc) }?);
        }
        Ok(Dispatcher {
            store,
            modules,
            server_root,
            open: Vec::new(),
            authz: access::Builder::default(),
        })
    }

    /// The innermost open section.
    fn current(&self) -> Option<usize> {
        self.open.last().copied()
    }

    /// Whether `symbol` is built into the binary (the core's own or a linked-in module).
    fn is_built_in(symbol: &str) -> bool {
        BUILT_IN.iter().any(|(s, _)| *s == symbol)
            || loader::linked().iter().any(|(s, _, _)| *s == symbol)
    }

    /// After the whole configuration: every module with typed configuration gets its
    /// server-level object, also when none of its directives appeared.
    pub fn finish_module_configs(&mut self) {
        for module in &mut self.modules {
            module_config::ensure_server(module);
        }
    }

    /// After the whole configuration: records the default DocumentRoot (`htdocs` under the final
    /// ServerRoot) when no line set one, so the core and every module agree on it.
    pub fn record_defaults(&mut self) {
        if self.store.server_last("DocumentRoot").is_none() {
            let root = self
                .server_root
                .join("htdocs")
                .to_string_lossy()
                .into_owned();
            self.store.server.push(Occurrence::new(
                "DocumentRoot",
                &[root],
                std::sync::Arc::from("(default)"),
                0,
            ));
        }
    }

    /// Apache's refusals of a section inside another: `<VirtualHost>` only at the top,
    /// `<Directory>` and `<Location>` only at the top of a (virtual) server, `<Files>` nowhere
    /// under a `<Location>`.
    fn check_nesting(&self, tag: &str, kind: SectionKind) -> Result<(), String> {
        let Some(parent) = self.current() else {
            return Ok(());
        };
        let outer = self.store.sections[parent].kind;
        match kind {
            SectionKind::VirtualHost => Err(format!(
                "<VirtualHost> cannot occur within <{}> section",
                self.store.sections[parent].tag
            )),
            // A virtual host holds sections as the main server does.
            SectionKind::Directory | SectionKind::Location if outer == SectionKind::VirtualHost => {
                Ok(())
            }
            SectionKind::Directory | SectionKind::Location => Err(format!(
                "<{tag} not allowed in <{}> context",
                self.store.sections[parent].tag
            )),
            SectionKind::Files => {
                if let Some(location) = self
                    .ancestors(parent)
                    .find(|s| s.kind == SectionKind::Location)
                {
                    return Err(format!(
                        "<{tag}> cannot occur within <{}> section",
                        location.tag
                    ));
                }
                // Apache reads this and never applies it (files are matched before any
                // condition): refused rather than silently ignored.
                if let Some(condition) = self.ancestors(parent).find(|s| s.kind == SectionKind::If)
                {
                    return Err(format!(
                        "<{tag}> inside <{}> would never apply (Apache ignores it): put the <{}> inside the <{tag}> section instead",
                        condition.tag, condition.tag
                    ));
                }
                Ok(())
            }
            SectionKind::If => Ok(()),
        }
    }

    /// `<Limit>`/`<LimitExcept>`: only inside a section (Apache's OR_LIMIT: not at the server
    /// level); the Require lines until its end are for its methods only.
    fn open_limit(&mut self, tag: &str, except: bool, args: &[String]) -> Result<(), String> {
        if let Some(container) = self.authz.open_tag() {
            return Err(format!("<{tag}> cannot occur within {container} section"));
        }
        // Apache's OR_LIMIT: in a directory section, not at a (virtual) server's top level.
        if self
            .current()
            .is_none_or(|i| self.store.sections[i].kind == SectionKind::VirtualHost)
        {
            return Err(format!("<{tag} not allowed here"));
        }
        self.authz.limits.open(except, args)
    }

    /// `<If "expr">`, `<ElseIf "expr">`, `<Else>`: the expression parsed now (its errors are
    /// `-t` errors); an `<ElseIf>`/`<Else>` must follow an `<If>`/`<ElseIf>` of its scope.
    fn open_condition(&mut self, tag: &'static str, args: &[String]) -> Result<(), String> {
        let parent = self.current();
        let previous = self
            .store
            .sections
            .iter()
            .rev()
            .find(|s| s.kind == SectionKind::If && s.parent == parent);
        let mut section = Section::condition(tag, args, previous)?;
        section.parent = parent;
        self.store.sections.push(section);
        self.store.has_conditions = true;
        self.open.push(self.store.sections.len() - 1);
        Ok(())
    }

    /// Section `i` and those it is nested in, innermost first.
    fn ancestors(&self, i: usize) -> impl Iterator<Item = &Section> {
        std::iter::successors(Some(&self.store.sections[i]), |s| {
            s.parent.map(|p| &self.store.sections[p])
        })
    }

    /// A section whose argument is a path or a wildcard: put in the form it is compared in.
    fn plain_section(&self, section: &mut Section) -> Result<(), String> {
        let path = &mut section.path;
        match section.kind {
            SectionKind::Location if path.starts_with('/') => {
                // Request paths arrive with `//` collapsed and dot segments resolved: the
                // section is compared in the same form (its trailing slash still counts, as
                // in Apache).
                let mut normalized = crate::storage::path::normalize(path.as_bytes());
                if path.ends_with('/') && normalized != b"/" {
                    normalized.push(b'/');
                }
                *path = String::from_utf8_lossy(&normalized).into_owned();
                section.pattern = wildcard(path)?;
            }
            SectionKind::Directory => {
                if !path.starts_with('/') {
                    *path = self.server_root.join(&*path).to_string_lossy().into_owned();
                }
                // One spelling (`/srv/www/`, `/srv//www` and `/srv/./www` are one directory),
                // and the real directory when a link leads to it: requests are matched by
                // where their file really is.
                let normalized = crate::storage::path::normalize(path.as_bytes());
                *path = String::from_utf8_lossy(&normalized).into_owned();
                section.real = std::fs::canonicalize(&*path)
                    .ok()
                    .map(|p| std::os::unix::ffi::OsStringExt::into_vec(p.into_os_string()))
                    .filter(|r| *r != normalized);
                section.pattern = wildcard(path)?;
            }
            SectionKind::Files => section.pattern = wildcard(path)?,
            _ => {}
        }
        Ok(())
    }

    /// `<VirtualHost addr[:port] …>`: its section (the scope its lines go to) and its entry in
    /// the table of virtual hosts.
    fn open_vhost(&mut self, d: &Directive) -> Result<(), String> {
        if d.args.is_empty() {
            return Err("<VirtualHost> requires at least one argument, the address (and port) it is for: <VirtualHost *:80>".to_owned());
        }
        let addrs = d
            .args
            .iter()
            .map(|a| VhostAddr::parse(a))
            .collect::<Result<Vec<_>, _>>()?;
        let section = self.store.sections.len();
        self.store.sections.push(Section::new(
            SectionKind::VirtualHost,
            "VirtualHost",
            d.args.join(" "),
        ));
        self.store.vhosts.push(VhostEntry {
            addrs,
            server_name: None,
            aliases: Vec::new(),
            file: d.file.clone(),
            line: d.line,
            section,
        });
        self.open.push(section);
        Ok(())
    }

    fn find(&self, name: &str) -> Option<Owner<'_>> {
        if let Some(c) = core_directives::find(name) {
            return Some(Owner::Core(c));
        }
        self.modules.iter().find_map(|m| {
            m.directives
                .iter()
                .find(|d| d.name.eq_ignore_ascii_case(name))
                .map(|d| Owner::Module(m, d))
        })
    }

    /// The name a module logs under (its descriptor name, or the core's stem: `core`, `http`),
    /// for a module as `LogLevel module:level` may name it: `ssl`, `ssl_module`, `mod_ssl.c`,
    /// also an Apache name a loaded module declares. `None`: no such module (yet), as Apache's
    /// lookup at read time.
    fn log_module_name(&self, asked: &str) -> Option<String> {
        // `ssl` stands for `ssl_module`, as in Apache.
        let with_suffix = format!("{asked}_module");
        let forms = [asked, with_suffix.as_str()];
        if let Some((symbol, _)) = BUILT_IN
            .iter()
            .find(|(sym, file)| forms.iter().any(|f| f == sym || f == file))
        {
            return Some(symbol.trim_end_matches("_module").to_owned());
        }
        self.modules
            .iter()
            .find(|m| asked == m.name || forms.iter().any(|f| module_answers_to(m, f)))
            .map(|m| m.name.clone())
    }

    /// LogLevel's `module:level` words with each module named as it logs; an unknown module is
    /// refused in Apache's words.
    fn log_level_args(&self, args: &[String]) -> Result<Vec<String>, String> {
        args.iter()
            .map(|arg| match arg.split_once(':') {
                None => Ok(arg.clone()),
                Some((module, level)) => match self.log_module_name(module) {
                    Some(name) => Ok(format!("{name}:{level}")),
                    None => Err(format!(
                        "Cannot find module {module} (LogLevel {arg}: no module of that name is \
                         built in or loaded by a LoadModule line before it)"
                    )),
                },
            })
            .collect()
    }

    fn load_module(&mut self, d: &Directive) -> Result<(), String> {
        let symbol = &d.args[0];
        if BUILT_IN.iter().any(|(s, _)| s == symbol) {
            // An Apache module whose job the core does: stock configurations (Debian's
            // mods-enabled, Apache's httpd.conf) load these on every start, and nothing is
            // wrong with them.
            error_log::log(
                "core",
                error_log::INFO,
                None,
                &format!("module {symbol} is built into mapache's core: nothing to load"),
            );
            return Ok(());
        }
        if self.modules.iter().any(|m| &m.symbol == symbol) || Self::is_built_in(symbol) {
            let what = if Self::is_built_in(symbol) {
                "is built-in and can't be loaded"
            } else {
                "is already loaded, skipping"
            };
            error_log::log(
                "core",
                error_log::WARN,
                None,
                &format!("module {symbol} {what}"),
            );
            return Ok(());
        }
        let path = loader::resolve(&self.server_root, &d.args[1]);
        let module = loader::load(symbol, &path)?;
        if module.is_mpm() {
            if let Some(other) = self.modules.iter().find(|m| m.is_mpm()) {
                return Err(format!(
                    "More than one MPM loaded: {} is already loaded, so {symbol} cannot be",
                    other.symbol
                ));
            }
        }
        self.modules.push(module);
        Ok(())
    }
}

/// Runs a module's own value check (ABI 1.1 `check_directive`) for one occurrence.
pub(crate) fn module_check(
    module: &LoadedModule,
    name: &str,
    args: &[String],
) -> Result<(), String> {
    let Some(check) = module.desc.check_directive else {
        return Ok(());
    };
    let abi_args = module_calls::abi_args(args);
    let name_abi = abi::MapacheStr {
        ptr: name.as_ptr(),
        len: name.len(),
    };
    module_calls::call_with_error(|err, cap| {
        check(name_abi, abi_args.as_ptr(), abi_args.len(), err, cap)
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

/// Checks the number of arguments against a directive's kind, with Apache's sentences.
pub fn check_arity(name: &str, kind: u32, help: &str, n: usize) -> Result<(), String> {
    let ok = match kind {
        abi::MAPACHE_TAKE1 => n == 1,
        abi::MAPACHE_TAKE2 => n == 2,
        abi::MAPACHE_TAKE12 => (1..=2).contains(&n),
        abi::MAPACHE_TAKE123 => (1..=3).contains(&n),
        abi::MAPACHE_FLAG => n == 1,
        abi::MAPACHE_NO_ARGS => n == 0,
        abi::MAPACHE_ITERATE => n >= 1,
        _ => true,
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        abi::MAPACHE_TAKE1 => format!("{name} takes one argument, {help}"),
        abi::MAPACHE_TAKE2 => format!("{name} takes two arguments, {help}"),
        abi::MAPACHE_TAKE12 => format!("{name} takes 1-2 arguments, {help}"),
        abi::MAPACHE_TAKE123 => format!("{name} takes one, two or three arguments, {help}"),
        abi::MAPACHE_FLAG => format!("{name} must be On or Off"),
        abi::MAPACHE_NO_ARGS => format!("{name} takes no arguments"),
        _ => format!("{name} requires at least one argument, {help}"),
    })
}

/// The `Require` providers of the modules loaded so far (LoadModule order: the first one that
/// offers a name has it).
pub(crate) struct Loaded<'a>(pub(crate) &'a [LoadedModule]);

impl access::ModuleProviders for Loaded<'_> {
    fn provider(
        &self,
        name: &str,
        args: &[String],
    ) -> Option<Result<access::ModuleProvider, String>> {
        let (module, spec) = self.0.iter().find_map(|m| {
            m.tables
                .providers
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(name))
                .map(|p| (m, p))
        })?;
        let authorize = spec.def.authorize?;
        if let Some(check) = spec.def.check {
            if let Err(e) = provider_check(check, args) {
                return Some(Err(format!(
                    "Require {}: {e} (provider of module {})",
                    spec.name, module.symbol
                )));
            }
        }
        Some(Ok(access::ModuleProvider {
            name: spec.name.clone(),
            module: module.symbol.clone(),
            authorize,
            args: args.into(),
        }))
    }

    fn names(&self) -> Vec<String> {
        self.0
            .iter()
            .flat_map(|m| m.tables.providers.iter().map(|p| p.name.clone()))
            .collect()
    }
}

/// A provider's own check of a Require line's arguments (same contract as `check_directive`).
fn provider_check(
    check: extern "C" fn(*const abi::MapacheStr, usize, *mut std::ffi::c_char, usize) -> i32,
    args: &[String],
) -> Result<(), String> {
    let abi_args = module_calls::abi_args(args);
    module_calls::call_with_error(|err, cap| check(abi_args.as_ptr(), abi_args.len(), err, cap))
        .map_err(|line| {
            line.unwrap_or_else(|| "invalid arguments (the module gave no reason)".to_owned())
        })
}

/// Where Require lines read now go: the open section's requirement or the server's.
fn require_scope(store: &mut Store, section: Option<usize>) -> &mut Option<access::Requirement> {
    match section {
        Some(i) => &mut store.sections[i].require,
        None => &mut store.server_require,
    }
}

/// A section argument with shell wildcards (`*`, `?`, `[`) is compared with fnmatch(3), as in
/// Apache.
pub(crate) fn wildcard(path: &str) -> Result<Option<Pattern>, String> {
    if !path.contains(['*', '?', '[']) {
        return Ok(None);
    }
    std::ffi::CString::new(path.as_bytes())
        .map(|w| Some(Pattern::Wildcard(w)))
        .map_err(|_| format!("{path}: a section argument cannot hold a NUL byte"))
}

/// The sections the dispatcher stores: (name as Apache spells it, kind, whether the argument
/// is a regex).
const SECTION_TAGS: &[(&str, SectionKind, bool)] = &[
    ("Location", SectionKind::Location, false),
    ("LocationMatch", SectionKind::Location, true),
    ("Directory", SectionKind::Directory, false),
    ("DirectoryMatch", SectionKind::Directory, true),
    ("Files", SectionKind::Files, false),
    ("FilesMatch", SectionKind::Files, true),
    ("If", SectionKind::If, false),
    ("ElseIf", SectionKind::If, false),
    ("Else", SectionKind::If, false),
    ("VirtualHost", SectionKind::VirtualHost, false),
];

/// Whether `asked` (as `<IfModule>` writes it) names the Apache module `declared`
/// (`mime_module`): by that name or its source file's (`mod_mime.c`).
fn is_apache_name(declared: &str, asked: &str) -> bool {
    declared == asked
        || declared.strip_suffix("_module").is_some_and(|stem| {
            asked
                .strip_prefix("mod_")
                .and_then(|a| a.strip_suffix(".c"))
                == Some(stem)
        })
}

/// Whether the loaded module `m` is the module `name` (as `<IfModule>` and `LogLevel` write
/// it): its symbol, its source-file forms, or an Apache module it declares it does the job of.
fn module_answers_to(m: &LoadedModule, name: &str) -> bool {
    m.symbol == name
        || format!("mod_{}.c", m.name) == name
        || format!("{}.c", m.name) == name
        || m.tables
            .apache_names
            .iter()
            .any(|a| is_apache_name(a, name))
}

impl Sink for Dispatcher {
    fn directive(&mut self, d: &Directive) -> Result<(), String> {
        let (args_kind, contexts, help, check, display, relative) = match self.find(&d.name) {
            Some(Owner::Core(c)) => (
                c.args,
                c.contexts,
                c.help.to_owned(),
                Some(c.check),
                c.name.to_owned(),
                c.server_relative,
            ),
            Some(Owner::Module(_, m)) => (
                m.args,
                m.contexts,
                m.help.clone(),
                None,
                m.name.clone(),
                false,
            ),
            None => {
                if let Some(replacement) = core_directives::retired(&d.name) {
                    return Err(replacement.to_owned());
                }
                return Err(format!(
                    "Invalid command '{}', perhaps misspelled or defined by a module not included in the server configuration",
                    d.name
                ));
            }
        };
        let in_section = self.current().map(|i| self.store.sections[i].tag);
        match in_section {
            // A virtual host's own lines are server-level ones (Apache's RSRC_CONF), except
            // those only the main server may have (GLOBAL_ONLY).
            Some(tag)
                if tag == "VirtualHost"
                    && (contexts & abi::MAPACHE_CTX_SERVER == 0
                        || contexts & abi::MAPACHE_CTX_GLOBAL_ONLY != 0) =>
            {
                return Err(format!(
                    "{display} cannot occur within <VirtualHost> section"
                ))
            }
            Some("VirtualHost") => {}
            Some(tag) if contexts & abi::MAPACHE_CTX_SECTION == 0 => {
                return Err(format!("{display} not allowed in <{tag}> context"))
            }
            None if contexts & abi::MAPACHE_CTX_SERVER == 0 => {
                return Err(format!("{display} not allowed here"))
            }
            _ => {}
        }
        if in_section.is_some_and(|tag| tag != "Directory" && tag != "VirtualHost")
            && (display == "AllowOverride" || display == "AllowOverrideList")
        {
            // Apache's warning: only a plain `<Directory>` decides what `.htaccess` files may
            // say (Apache warns for Location and Files; a regex directory or an If is as
            // useless).
            let what = if display == "AllowOverride" {
                format!(
                    "AH00114: Useless use of AllowOverride in line {} of {}.",
                    d.line, d.file
                )
            } else {
                format!(
                    "AH00115: Useless use of AllowOverrideList at line {} of {}.",
                    d.line, d.file
                )
            };
            error_log::log("core", error_log::WARN, None, &what);
        }
        // Inside a Require container only Require lines stand (Apache's OR_AUTHCFG override).
        if self.authz.open_tag().is_some() && display != "Require" {
            return Err(format!("{display} not allowed here"));
        }
        check_arity(&display, args_kind, &help, d.args.len())?;
        if args_kind == abi::MAPACHE_FLAG
            && !["on", "off"].contains(&d.args[0].to_ascii_lowercase().as_str())
        {
            return Err(format!("{display} must be On or Off"));
        }
        if let Some(check) = check {
            check(&d.args)?;
        }
        if let Some(Owner::Module(module, spec)) = self.find(&d.name) {
            let name = spec.name.clone();
            let index = self
                .modules
                .iter()
                .position(|m| std::ptr::eq(m, module))
                .expect("the owner is one of the modules");
            let section = self
                .current()
                .map(|i| (i, module_config::Place::of(&self.store.sections, i)));
            let module = &mut self.modules[index];
            if module.desc.set_directive.is_some() {
                module_config::set_directive(module, section, &name, &d.args)?;
            } else {
                module_check(module, &name, &d.args)?;
            }
        }
        if display == "LoadModule" {
            return self.load_module(d);
        }
        if display == "Require" {
            let loaded = Loaded(&self.modules);
            self.authz.require(
                &d.args,
                &loaded,
                require_scope(&mut self.store, self.open.last().copied()),
            )?;
        }
        if display == "ServerAlias" {
            let vhost = self
                .current()
                .and_then(|i| self.store.vhosts.iter_mut().find(|v| v.section == i))
                .ok_or_else(|| "ServerAlias only used in <VirtualHost>".to_owned())?;
            vhost.aliases.extend(d.args.iter().cloned());
        }
        if display == "ServerName" {
            if let Some(vhost) = self
                .current()
                .and_then(|i| self.store.vhosts.iter_mut().find(|v| v.section == i))
            {
                vhost.server_name = Some(d.args[0].clone());
            }
        }
        if display == "ServerRoot" {
            let root = PathBuf::from(&d.args[0]);
            let root = if root.is_absolute() {
                root
            } else {
                self.server_root.join(root)
            };
            if !root.is_dir() {
                return Err("ServerRoot must be a valid directory".to_owned());
            }
            self.server_root = root;
        }
        let mut args = if display == "LogLevel" {
            self.log_level_args(&d.args)?
        } else {
            d.args.clone()
        };
        // A piped log (`|program`) is a command, not a path; nor is `ErrorLog syslog`.
        let not_a_path = |arg: &str| {
            crate::logs::LogTarget::is_pipe(arg)
                || (display == "ErrorLog" && crate::logs::syslog::Destination::is_syslog(arg))
        };
        if (relative && !not_a_path(&args[0])) || display == "ServerRoot" {
            args[0] = loader::resolve(&self.server_root, &args[0])
                .to_string_lossy()
                .into_owned();
        }
        let occ = Occurrence::new(&display, &args, d.file.clone(), d.line);
        match self.current() {
            Some(i) => self.store.sections[i].directives.push(occ),
            None => self.store.server.push(occ),
        }
        Ok(())
    }

    fn section_start(&mut self, d: &Directive) -> Result<(), String> {
        if self.authz.open(&d.name, &d.args)? {
            return Ok(());
        }
        for (tag, except) in [("Limit", false), ("LimitExcept", true)] {
            if d.name.eq_ignore_ascii_case(tag) {
                return self.open_limit(tag, except, &d.args);
            }
        }
        let Some(&(tag, kind, is_match)) = SECTION_TAGS
            .iter()
            .find(|(t, _, _)| t.eq_ignore_ascii_case(&d.name))
        else {
            return Err(format!(
                "Invalid command '<{}', perhaps misspelled or defined by a module not included in the server configuration",
                d.name
            ));
        };
        if let Some(container) = self.authz.open_tag() {
            return Err(format!("<{tag}> cannot occur within {container} section"));
        }
        if self.authz.limits.is_open() {
            return Err(format!(
                "<{tag}> cannot occur within <Limit> or <LimitExcept> section"
            ));
        }
        self.check_nesting(tag, kind)?;
        if kind == SectionKind::VirtualHost {
            return self.open_vhost(d);
        }
        if kind == SectionKind::If {
            return self.open_condition(tag, &d.args);
        }
        let (pattern_arg, regex) = match d.args.as_slice() {
            [] => return Err(format!("<{tag}> directive requires additional arguments")),
            [tilde, p] if !is_match && tilde == "~" => (p.clone(), true),
            [p] => (p.clone(), is_match),
            _ => return Err(format!("Multiple <{tag}> arguments not (yet) supported.")),
        };
        let mut section = Section::new(kind, tag, pattern_arg);
        section.parent = self.current();
        if regex {
            section.pattern = Some(Pattern::Regex(Regex::for_section(&section.path)?));
        } else {
            self.plain_section(&mut section)?;
        }
        self.store.sections.push(section);
        self.open.push(self.store.sections.len() - 1);
        Ok(())
    }

    fn section_end(&mut self, d: &Directive) -> Result<(), String> {
        // The reader closes sections innermost first: an open Require container is innermost,
        // then the `<Limit>`s (nothing else opens inside one).
        if self.authz.open_tag().is_some() {
            return self
                .authz
                .close(require_scope(&mut self.store, self.open.last().copied()));
        }
        if self.authz.limits.is_open()
            && (d.name.eq_ignore_ascii_case("Limit") || d.name.eq_ignore_ascii_case("LimitExcept"))
        {
            self.authz.limits.close();
            return Ok(());
        }
        self.open.pop();
        Ok(())
    }

    fn is_module_loaded(&self, name: &str) -> bool {
        is_loaded(&self.modules, name)
    }

    fn is_directive_known(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    fn is_section_known(&self, name: &str) -> bool {
        // Those `section_start` opens: the access containers, then the others.
        [
            "RequireAll",
            "RequireAny",
            "RequireNone",
            "Limit",
            "LimitExcept",
        ]
        .iter()
        .chain(SECTION_TAGS.iter().map(|(tag, _, _)| tag))
        .any(|s| s.eq_ignore_ascii_case(name))
    }

    fn warn(&mut self, message: &str) {
        error_log::log("core", error_log::WARN, None, message);
    }
}

/// Whether `<IfModule name>` is true with `modules` loaded.
pub(crate) fn is_loaded(modules: &[LoadedModule], name: &str) -> bool {
    BUILT_IN
        .iter()
        .any(|(sym, file)| name == *sym || name == *file)
        || modules.iter().any(|m| module_answers_to(m, name))
}

#[cfg(test)]
mod tests {
    use super::is_apache_name;

    #[test]
    fn apache_names_match_by_symbol_or_source_file() {
        assert!(is_apache_name("mime_module", "mime_module"));
        assert!(is_apache_name("mime_module", "mod_mime.c"));
        assert!(!is_apache_name("mime_module", "mod_mime_magic.c"));
        assert!(!is_apache_name("mime_module", "mime.c"));
        assert!(!is_apache_name("dir_module", "mime_module"));
    }
}
