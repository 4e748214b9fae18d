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
use crate::config::store::{Occurrence, Section, SectionKind};
use crate::loader::LoadedModule;
use crate::pipeline::module_config;
use mapache_plugin_api::abi;
use std::sync::Arc;

/// Parses `text`, the file `path` of directory `dir`, under what `allowed` grants. `Err` is
/// the message Apache logs after the file's name.
pub fn parse(
    text: &str,
    path: &str,
    dir: &str,
    allowed: &Allowed<'_>,
    modules: &[LoadedModule],
) -> Result<Dynamic, String> {
    let file: Arc<str> = Arc::from(path);
    let mut section = Section::new(SectionKind::Directory, "Directory", dir.to_owned());
    let mut configs: Vec<(usize, std::ptr::NonNull<std::ffi::c_void>)> = Vec::new();
    let mut authz = access::Builder::default();
    // Open `<IfModule>` sections: whether each one's lines count.
    let mut conditions: Vec<bool> = Vec::new();
    for line in lexer::lines(text) {
        let skipping = conditions.contains(&false);
        if skipping {
            // Only the nesting of skipped lines matters.
            match lexer::tag(&line.text) {
                lexer::Tag::Open { name, .. } if name.eq_ignore_ascii_case("IfModule") => {
                    conditions.push(false)
                }
                lexer::Tag::Close { name, .. } if name.eq_ignore_ascii_case("IfModule") => {
                    conditions.pop();
                }
                _ => {}
            }
            continue;
        }
        match lexer::parse(&line.text)? {
            Statement::Open { name, args } if name.eq_ignore_ascii_case("IfModule") => {
                let Some(arg) = args.first().filter(|_| args.len() == 1) else {
                    return Err("<IfModule> takes one argument, the module to test".to_owned());
                };
                let (negated, module) = match arg.strip_prefix('!') {
                    Some(m) => (true, m),
                    None => (false, arg.as_str()),
                };
                conditions.push(dispatch::is_loaded(modules, module) != negated);
            }
            Statement::Open { name, args } => {
                if !authz.open(&name, &args)? {
                    return Err(format!("Invalid command '<{name}', perhaps misspelled or defined by a module not included in the server configuration"));
                }
                if !allowed.allows("Require", abi::MAPACHE_OVERRIDE_AUTHCFG) {
                    return Err(format!("<{name}> not allowed here"));
                }
            }
            Statement::Close { name } => {
                if name.eq_ignore_ascii_case("IfModule") && !conditions.is_empty() {
                    conditions.pop();
                } else if authz.open_tag().is_some() {
                    authz.close(&mut section.require)?;
                } else {
                    return Err(format!("</{name}> without matching <{name}> section"));
                }
            }
            Statement::Directive { name, args } => {
                let display = match directive(&name, &args, allowed, modules, &mut configs) {
                    Ok(Some(d)) => d,
                    // Skipped under AllowOverride Nonfatal=…
                    Ok(None) => continue,
                    Err(e) => {
                        free(modules, &configs);
                        return Err(e);
                    }
                };
                if display == "Require" {
                    authz.require(&args, &Loaded(modules), &mut section.require)?;
                } else if authz.open_tag().is_some() {
                    return Err(format!("{name} not allowed here"));
                }
                section.directives.push(Occurrence::new(
                    &display,
                    &args,
                    file.clone(),
                    line.number,
                ));
            }
        }
    }
    if let Some(tag) = authz.open_tag() {
        return Err(format!("{tag} section not closed"));
    }
    Ok(Dynamic { section, configs })
}

/// The checks of one directive line; the occurrence with the name as declared.
fn directive(
    name: &str,
    args: &[String],
    allowed: &Allowed<'_>,
    modules: &[LoadedModule],
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
        return Err(format!("{display} not allowed here"));
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
                if let Some(made) = module_config::set_in(m, object, &display, args)? {
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

    fn read(text: &str, allowed: &Overrides) -> Result<Dynamic, String> {
        parse(text, "/w/.htaccess", "/w", &allowed.as_allowed(), &[])
    }

    #[test]
    fn directives_are_checked_against_the_granted_classes() {
        let d = read(
            "SetHandler none\nErrorDocument 404 /x.html\n",
            &granted("FileInfo"),
        )
        .unwrap();
        assert_eq!(d.section.directives.len(), 2);
        assert_eq!(d.section.directives[1].line, 2);
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
        assert_eq!(d.section.directives.len(), 1);
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
        assert!(d.section.require.is_some());
        assert!(read("Require all denied", &granted("FileInfo")).is_err());
    }
}
