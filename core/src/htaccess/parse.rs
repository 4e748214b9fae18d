//! One `.htaccess` file's text to a section: the core's lexer, then each directive checked as
//! Apache does (known; allowed by the granted override classes or AllowOverrideList; its
//! arity and value), modules' typed objects made for it, Require lines parsed.

use super::overrides::Allowed;
#[cfg(test)]
use super::overrides::Overrides;
use super::registry::Dynamic;
use crate::access;
use crate::config::core_directives;
use crate::config::dispatch::{self, Loaded};
use crate::config::lexer::{self, Statement};
use crate::config::store::{Occurrence, Pattern, Section, SectionKind};
use crate::loader::LoadedModule;
use crate::pipeline::module_config::{self, Place};
use crate::regex::Regex;
use mapache_plugin_api::abi;
use std::sync::Arc;

/// What is open at a place of the file, innermost last.
enum Open {
    /// An `<IfModule>` whose lines count.
    IfModule,
    /// A `<RequireAll|Any|None>`.
    Container,
    /// A `<Limit>` or `<LimitExcept>`.
    Limit,
    /// A `<Files>`, `<FilesMatch>`, `<If>`, `<ElseIf>` or `<Else>`: its position in the group.
    Section(usize),
}

/// Sections Apache refuses in `.htaccess` (not OR_* directives): its line names them so.
const NOT_HERE: [&str; 5] = [
    "Directory",
    "DirectoryMatch",
    "Location",
    "LocationMatch",
    "VirtualHost",
];

/// Parses `text`, the file `path` of directory `dir`, under what `allowed` grants: the file's
/// section first, then the sections inside it (parents and children as positions in the
/// group, see [`super::registry::add_group`]). `Err` is the message Apache logs after the
/// file's name.
pub fn parse(
    text: &str,
    path: &str,
    dir: &str,
    allowed: &Allowed<'_>,
    modules: &[LoadedModule],
) -> Result<Vec<Dynamic>, String> {
    let mut group = vec![Dynamic {
        section: Section::new(SectionKind::Directory, "Directory", dir.to_owned()),
        configs: Vec::new(),
        children: Vec::new(),
    }];
    let read = read_lines(text, path, allowed, modules, &mut group);
    if read.is_err() {
        for d in &group {
            free(modules, &d.configs);
        }
    }
    read.map(|()| group)
}

/// The lines of the file into `group`.
fn read_lines(
    text: &str,
    path: &str,
    allowed: &Allowed<'_>,
    modules: &[LoadedModule],
    group: &mut Vec<Dynamic>,
) -> Result<(), String> {
    let file: Arc<str> = Arc::from(path);
    let mut authz = access::Builder::default();
    // What is open, with the name as written and the line it opened on.
    let mut open: Vec<(Open, String, u32)> = Vec::new();
    // Nesting depth inside an `<IfModule>` that is false (0: its lines count).
    let mut skipped = 0usize;
    for line in lexer::lines(text) {
        if skipped > 0 {
            // Only the nesting of skipped lines matters.
            match lexer::tag(&line.text) {
                lexer::Tag::Open { name, .. } if name.eq_ignore_ascii_case("IfModule") => {
                    skipped += 1
                }
                lexer::Tag::Close { name, .. } if name.eq_ignore_ascii_case("IfModule") => {
                    skipped -= 1;
                }
                _ => {}
            }
            continue;
        }
        let current = open
            .iter()
            .rev()
            .find_map(|(o, _, _)| match o {
                Open::Section(i) => Some(*i),
                _ => None,
            })
            .unwrap_or(0);
        // The section Apache's messages name for a line refused here (`<IfModule>` is not one).
        let context = open
            .iter()
            .rev()
            .find(|(o, _, _)| !matches!(o, Open::IfModule))
            .map(|(_, name, _)| name.as_str());
        match lexer::parse(&line.text)? {
            Statement::Open { name, args } if name.eq_ignore_ascii_case("IfModule") => {
                let Some(arg) = args.first().filter(|_| args.len() == 1) else {
                    return Err("<IfModule> takes one argument, the module to test".to_owned());
                };
                let (negated, module) = match arg.strip_prefix('!') {
                    Some(m) => (true, m),
                    None => (false, arg.as_str()),
                };
                if dispatch::is_loaded(modules, module) != negated {
                    open.push((Open::IfModule, name, line.number));
                } else {
                    skipped = 1;
                }
            }
            Statement::Open { name, args } => {
                let opened =
                    open_section(&name, &args, allowed, context, &mut authz, group, current)?;
                open.push((opened, name, line.number));
            }
            Statement::Close { name } => {
                let Some((opened, tag, _)) = open.pop() else {
                    return Err(format!("</{name}> without matching <{name}> section"));
                };
                if !tag.eq_ignore_ascii_case(&name) {
                    return Err(format!("Expected </{tag}> but saw </{name}>"));
                }
                match opened {
                    Open::Container => authz.close(&mut group[current].section.require)?,
                    Open::Limit => authz.limits.close(),
                    Open::IfModule | Open::Section(_) => {}
                }
            }
            Statement::Directive { name, args } => {
                let dir = &group[0].section.path;
                let place = match current {
                    0 => Place::htaccess(dir, None),
                    _ => Place::htaccess(dir, Some(&group[current].section)),
                };
                let item = &mut group[current];
                let Some(display) = directive(
                    &name,
                    &args,
                    allowed,
                    context,
                    modules,
                    &place,
                    &mut item.configs,
                )?
                else {
                    // Skipped under AllowOverride Nonfatal=…
                    continue;
                };
                if display == "Require" {
                    authz.require(&args, &Loaded(modules), &mut item.section.require)?;
                } else if authz.open_tag().is_some() {
                    return Err(format!("{name} not allowed here"));
                }
                item.section.directives.push(Occurrence::new(
                    &display,
                    &args,
                    file.clone(),
                    line.number,
                ));
            }
        }
    }
    match open.last() {
        Some((_, tag, number)) => Err(format!("{path}:{number}: <{tag}> was not closed.")),
        None => Ok(()),
    }
}

/// Opens the section `<name args>` inside the group's section `current`, with Apache's
/// checks for `.htaccess` files.
fn open_section(
    name: &str,
    args: &[String],
    allowed: &Allowed<'_>,
    context: Option<&str>,
    authz: &mut access::Builder,
    group: &mut Vec<Dynamic>,
    current: usize,
) -> Result<Open, String> {
    if authz.open(name, args)? {
        if !allowed.allows("Require", abi::MAPACHE_OVERRIDE_AUTHCFG) {
            return Err(refused(&format!("<{name}>"), context));
        }
        return Ok(Open::Container);
    }
    if let Some(tag) = NOT_HERE.iter().find(|t| t.eq_ignore_ascii_case(name)) {
        return Err(refused(&format!("<{tag}"), context));
    }
    let limit = ["Limit", "LimitExcept"]
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(name));
    let kind = [
        ("Files", false),
        ("FilesMatch", true),
        ("If", false),
        ("ElseIf", false),
        ("Else", false),
    ]
    .into_iter()
    .find(|(t, _)| t.eq_ignore_ascii_case(name));
    let tag = match (limit, kind) {
        (Some(t), _) | (None, Some((t, _))) => t,
        (None, None) => return Err(format!("Invalid command '<{name}', perhaps misspelled or defined by a module not included in the server configuration")),
    };
    // Apache: `<Limit>` is OR_LIMIT|OR_AUTHCFG, the others OR_ALL (any class granted).
    let classes = if limit.is_some() {
        abi::MAPACHE_OVERRIDE_LIMIT | abi::MAPACHE_OVERRIDE_AUTHCFG
    } else {
        abi::MAPACHE_OVERRIDE_ALL
    };
    if !allowed.allows(&format!("<{tag}"), classes) {
        return Err(refused(&format!("<{tag}"), context));
    }
    if let Some(container) = authz.open_tag() {
        return Err(format!("<{tag}> cannot occur within {container} section"));
    }
    if let Some(except) = limit.map(|t| t == "LimitExcept") {
        authz.limits.open(except, args)?;
        return Ok(Open::Limit);
    }
    if authz.limits.is_open() {
        return Err(format!(
            "<{tag}> cannot occur within <Limit> or <LimitExcept> section"
        ));
    }
    let section = match kind {
        Some((t, is_match)) if t.starts_with("Files") => {
            files_section(t, is_match, args, group, current)?
        }
        _ => condition_section(tag, args, group, current)?,
    };
    let at = group.len();
    group[current].children.push(at);
    group.push(Dynamic {
        section,
        configs: Vec::new(),
        children: Vec::new(),
    });
    Ok(Open::Section(at))
}

/// `<Files name>`, `<Files ~ regex>`, `<FilesMatch regex>` inside the group's `current`.
fn files_section(
    tag: &'static str,
    is_match: bool,
    args: &[String],
    group: &[Dynamic],
    current: usize,
) -> Result<Section, String> {
    // Apache reads this and never applies it (files are matched before any condition):
    // refused as in the main configuration.
    let mut scope = Some(current);
    while let Some(i) = scope {
        let outer = &group[i].section;
        if outer.kind == SectionKind::If {
            return Err(format!(
                "<{tag}> inside <{}> would never apply (Apache ignores it): put the <{}> inside the <{tag}> section instead",
                outer.tag, outer.tag
            ));
        }
        scope = outer.parent;
    }
    let (pattern, regex) = match args {
        [] => return Err(format!("<{tag}> directive requires additional arguments")),
        [tilde, p] if !is_match && tilde == "~" => (p.clone(), true),
        [p] => (p.clone(), is_match),
        _ => return Err(format!("Multiple <{tag}> arguments not (yet) supported.")),
    };
    let mut section = Section::new(SectionKind::Files, tag, pattern);
    section.parent = Some(current);
    section.pattern = if regex {
        Some(Pattern::Regex(Regex::for_section(&section.path)?))
    } else {
        dispatch::wildcard(&section.path)?
    };
    Ok(section)
}

/// `<If "expr">`, `<ElseIf "expr">`, `<Else>` inside the group's `current`; an `<ElseIf>` or
/// `<Else>` follows an `<If>` or `<ElseIf>` of the same scope.
fn condition_section(
    tag: &'static str,
    args: &[String],
    group: &[Dynamic],
    current: usize,
) -> Result<Section, String> {
    let previous = group[current]
        .children
        .iter()
        .rev()
        .map(|&c| &group[c].section)
        .find(|s| s.kind == SectionKind::If);
    let mut section = Section::condition(tag, args, previous)?;
    section.parent = Some(current);
    Ok(section)
}

/// The checks of one directive line; the occurrence with the name as declared.
fn directive(
    name: &str,
    args: &[String],
    allowed: &Allowed<'_>,
    context: Option<&str>,
    modules: &[LoadedModule],
    place: &Place,
    configs: &mut Vec<(usize, std::ptr::NonNull<std::ffi::c_void>)>,
) -> Result<Option<String>, String> {
    let unknown = || {
        format!("Invalid command '{name}', perhaps misspelled or defined by a module not included in the server configuration")
    };
    let core = core_directives::find(name);
    let module = modules.iter().enumerate().find_map(|(i, m)| {
        m.directives
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
            .map(|d| (i, m, d))
    });
    let (display, kind, contexts, help) = match (core, module) {
        (Some(c), _) => (c.name.to_owned(), c.args, c.contexts, c.help.to_owned()),
        (None, Some((_, _, d))) => (d.name.clone(), d.args, d.contexts, d.help.clone()),
        (None, None) if allowed.nonfatal_unknown() => {
            // Apache's warning (the name as it lower-cases it).
            warn(&format!("AH02296: Unknown directive {} perhaps misspelled or defined by a module not included in the server configuration", name.to_ascii_lowercase()));
            return Ok(None);
        }
        (None, None) => return Err(unknown()),
    };
    let classes = contexts & abi::MAPACHE_OVERRIDE_ALL;
    if contexts & abi::MAPACHE_CTX_SECTION == 0 || !allowed.allows(&display, classes) {
        if allowed.nonfatal_override() {
            warn(&format!(
                "AH02295: {display} in .htaccess forbidden by AllowOverride"
            ));
            return Ok(None);
        }
        return Err(refused(&display, context));
    }
    if display == "Options" && allowed.classes & abi::MAPACHE_OVERRIDE_OPTIONS != 0 {
        if let Some(word) = args.iter().find(|w| !allowed.allows_option(w)) {
            return Err(format!(
                "Option {} not allowed here",
                word.trim_start_matches(['+', '-'])
            ));
        }
    }
    dispatch::check_arity(&display, kind, &help, args.len())?;
    if kind == abi::MAPACHE_FLAG && !["on", "off"].contains(&args[0].to_ascii_lowercase().as_str())
    {
        return Err(format!("{display} must be On or Off"));
    }
    match (core, module) {
        (Some(c), _) => (c.check)(args)?,
        (None, Some((index, m, _))) => {
            if m.desc.set_directive.is_some() {
                let object = configs.iter().find(|(i, _)| *i == index).map(|(_, o)| *o);
                if let Some(made) = module_config::set_in(m, object, place, &display, args)? {
                    if object.is_none() {
                        configs.push((index, made));
                    }
                }
            } else {
                dispatch::module_check(m, &display, args)?;
            }
        }
        (None, None) => return Err(unknown()),
    }
    Ok(Some(display))
}

/// Apache's sentence for `what` (a directive, or a section's `<Name`) refused by the override
/// classes, inside section `context` (its name as written) or at the file's top.
fn refused(what: &str, context: Option<&str>) -> String {
    match context {
        Some(section) => format!("{what} not allowed in <{section}> context"),
        None => format!("{what} not allowed here"),
    }
}

/// A line skipped under `AllowOverride Nonfatal=…`, logged as Apache does.
fn warn(message: &str) {
    crate::logs::error_log::log("core", crate::logs::error_log::WARN, None, message);
}

/// Frees the typed objects made for a file that turned out bad.
fn free(modules: &[LoadedModule], configs: &[(usize, std::ptr::NonNull<std::ffi::c_void>)]) {
    for &(i, object) in configs {
        if let Some(free) = modules[i].desc.free_config {
            free(object.as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(words: &str) -> Overrides {
        let mut o = Overrides::default();
        o.set_for_test(words);
        o
    }

    fn read(text: &str, allowed: &Overrides) -> Result<Vec<Dynamic>, String> {
        parse(text, "/w/.htaccess", "/w", &allowed.as_allowed(), &[])
    }

    #[test]
    fn directives_are_checked_against_the_granted_classes() {
        let d = read(
            "SetHandler none\nErrorDocument 404 /x.html\n",
            &granted("FileInfo"),
        )
        .unwrap();
        assert_eq!(d[0].section.directives.len(), 2);
        assert_eq!(d[0].section.directives[1].line, 2);
        assert_eq!(
            read("Options -Indexes", &granted("FileInfo"))
                .err()
                .unwrap(),
            "Options not allowed here"
        );
        assert_eq!(
            read("ServerName x", &granted("All")).err().unwrap(),
            "ServerName not allowed here"
        );
        assert_eq!(
            read("Foo bar", &granted("All")).err().unwrap(),
            "Invalid command 'Foo', perhaps misspelled or defined by a module not included in the server configuration"
        );
    }

    #[test]
    fn nonfatal_skips_unknown_and_refused_lines() {
        let d = read(
            "Foo bar\nOptions -Indexes\nSetHandler none\n",
            &granted("FileInfo Nonfatal=All"),
        )
        .unwrap();
        assert_eq!(d[0].section.directives.len(), 1);
        assert!(read("Foo bar", &granted("FileInfo Nonfatal=Override")).is_err());
        assert!(read("Options -Indexes", &granted("FileInfo Nonfatal=Unknown")).is_err());
    }

    #[test]
    fn options_lists_and_directive_lists() {
        assert!(read("Options -Indexes", &granted("Options=Indexes")).is_ok());
        assert_eq!(
            read("Options +ExecCGI", &granted("Options=Indexes"))
                .err()
                .unwrap(),
            "Option ExecCGI not allowed here"
        );
        let by_name = Overrides {
            list: vec!["sethandler".into()],
            ..Overrides::default()
        };
        assert!(read("SetHandler none", &by_name).is_ok());
        assert!(read("AddHandler x .y", &by_name).is_err());
    }

    #[test]
    fn require_lines_and_if_module() {
        let d = read(
            "<IfModule nothing_module>\nFoo\n</IfModule>\n<RequireAny>\nRequire all denied\n</RequireAny>\n",
            &granted("AuthConfig"),
        )
        .unwrap();
        assert!(d[0].section.require.is_some());
        assert!(read("Require all denied", &granted("FileInfo")).is_err());
    }

    #[test]
    fn sections_inside_a_file_form_a_group() {
        let group = read(
            "<Files a.txt>\nRequire all denied\n<If \"true\">\n</If>\n</Files>\n\
             <FilesMatch \"\\.log$\">\n</FilesMatch>\n<If \"false\">\n</If>\n<Else>\n</Else>\n\
             <Limit POST>\nRequire all denied\n</Limit>\n",
            &granted("All"),
        )
        .unwrap();
        let tags: Vec<(&str, Option<usize>)> = group
            .iter()
            .map(|d| (d.section.tag, d.section.parent))
            .collect();
        assert_eq!(
            tags,
            [
                ("Directory", None),
                ("Files", Some(0)),
                ("If", Some(1)),
                ("FilesMatch", Some(0)),
                ("If", Some(0)),
                ("Else", Some(0)),
            ]
        );
        assert_eq!(group[0].children, [1, 3, 4, 5]);
        assert_eq!(group[1].children, [2]);
        assert!(group[1].section.require.is_some());
        assert!(group[3].section.regex().is_some());
        // The <Limit>'s Require is the file's own, for POST only.
        assert!(group[0].section.require.is_some());
    }

    #[test]
    fn sections_apache_refuses_in_a_file() {
        let all = granted("All");
        for (text, want) in [
            (
                "<Directory /x>\n</Directory>",
                "<Directory not allowed here",
            ),
            (
                "<locationmatch x>\n</locationmatch>",
                "<LocationMatch not allowed here",
            ),
            (
                "<Limit POST>\n<If \"true\">\n</If>\n</Limit>",
                "<If> cannot occur within <Limit> or <LimitExcept> section",
            ),
            (
                "<If \"true\">\n<Files a>\n</Files>\n</If>",
                "<Files> inside <If> would never apply",
            ),
            (
                "<Else>\n</Else>",
                "<Else> or <ElseIf> section without previous <If>",
            ),
            ("<Files a>\n</Limit>", "Expected </Files> but saw </Limit>"),
            ("<Files a>\n", "/w/.htaccess:1: <Files> was not closed."),
            ("</Files>", "</Files> without matching <Files> section"),
            (
                "<Files a>\nServerName x\n</Files>",
                "ServerName not allowed in <Files> context",
            ),
            (
                "<files a>\n<Location /x>\n</Location>\n</files>",
                "<Location not allowed in <files> context",
            ),
        ] {
            let e = read(text, &all).err().unwrap();
            assert!(e.starts_with(want), "{text:?}: {e}");
        }
        // <Limit> is Limit's class or AuthConfig's, the others any class; inside them the
        // file's classes.
        assert!(read(
            "<Limit GET>\nRequire all denied\n</Limit>",
            &granted("AuthConfig")
        )
        .is_ok());
        assert_eq!(
            read("<Limit GET>\n</Limit>", &granted("FileInfo"))
                .err()
                .unwrap(),
            "<Limit not allowed here"
        );
        assert!(read("<Files a>\nSetHandler none\n</Files>", &granted("FileInfo")).is_ok());
        assert_eq!(
            read(
                "<Files a>\nRequire all denied\n</Files>",
                &granted("FileInfo")
            )
            .err()
            .unwrap(),
            "Require not allowed in <Files> context"
        );
        let none = Overrides::default();
        assert_eq!(
            read("<Files a>\n</Files>", &none).err().unwrap(),
            "<Files not allowed here"
        );
    }
}
