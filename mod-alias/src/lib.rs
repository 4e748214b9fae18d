//! # mod-alias
//!
//! Apache's mod_alias: `Alias` and `AliasMatch` map a URL path onto a
//! file outside DocumentRoot (the core then matches `<Directory>` against that file), and
//! `Redirect`, `RedirectMatch`, `RedirectPermanent` and `RedirectTemp` answer with a status and
//! a `Location`. As in Apache's `translate_alias_redir`, the redirects are tried before the
//! aliases, each list in file order, and the first line that matches wins. Redirect lines
//! inside sections are tried in fixups, as Apache's `fixup_redir`.
//!
//! `ScriptAlias` and `ScriptAliasMatch` are refused: mapache runs no CGI, and mapping the
//! scripts as plain files would serve their source.

mod rules;

use mapache_plugin_api::{mapache_module, module_names, sdk::*};
use rules::{first_match, Rule};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The lines of one scope, in file order (Apache keeps two arrays per server).
#[derive(Clone, Default)]
pub struct AliasConfig {
    /// Alias and AliasMatch.
    aliases: Vec<Rule>,
    /// Redirect and its forms.
    redirects: Vec<Rule>,
    /// Redirect and its forms inside sections (and `.htaccess`), tried in fixups as Apache's
    /// `fixup_redir`: the innermost section's lines first.
    section_redirects: Vec<Rule>,
}

impl ModuleConfig for AliasConfig {
    fn set(&mut self, scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        let lower = name.to_ascii_lowercase();
        if scope == Scope::Section {
            return self.set_in_section(name, &lower, args);
        }
        match lower.as_str() {
            "scriptalias" | "scriptaliasmatch" => Err(format!(
                "{name}: mapache does not run CGI scripts (it has no mod_cgi); remove the line or map the directory with Alias if its files are to be served as they are"
            )),
            "alias" | "aliasmatch" => {
                let [fake, real] = args else {
                    return Err(format!("{name} takes two arguments"));
                };
                let pattern = if lower == "aliasmatch" {
                    rules::Pattern::Regex(rules::compile(fake, name)?)
                } else {
                    rules::Pattern::Prefix((*fake).to_owned())
                };
                self.aliases.push(Rule {
                    pattern,
                    target: Some((*real).to_owned()),
                    status: 0,
                });
                Ok(())
            }
            "redirectpermanent" | "redirecttemp" => {
                let word = if lower == "redirectpermanent" {
                    "permanent"
                } else {
                    "temp"
                };
                let [fake, url] = args else {
                    return Err(format!("{name} takes two arguments"));
                };
                self.redirects
                    .push(rules::redirect(&[word, fake, url], false, name)?);
                Ok(())
            }
            _ => {
                let regex = lower == "redirectmatch";
                self.redirects.push(rules::redirect(args, regex, name)?);
                Ok(())
            }
        }
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        // The inner scope's lines come before the outer's, as Apache's merges.
        let join = |c: &[Rule], p: &[Rule]| c.iter().chain(p).cloned().collect();
        AliasConfig {
            aliases: join(&child.aliases, &parent.aliases),
            redirects: join(&child.redirects, &parent.redirects),
            section_redirects: join(&child.section_redirects, &parent.section_redirects),
        }
    }
}

impl AliasConfig {
    /// A Redirect line inside a section: the forms with a URL-path as at the server level, and
    /// those without, which answer every request of the section (Apache's `cmd->path` case).
    fn set_in_section(&mut self, name: &str, lower: &str, args: &[&str]) -> Result<(), String> {
        let word = match lower {
            "redirectpermanent" => Some("permanent"),
            "redirecttemp" => Some("temp"),
            _ => None,
        };
        let rule = match (word, args) {
            (Some(word), [fake, url]) => rules::redirect(&[word, fake, url], false, name)?,
            (Some(_), _) => return Err(format!("{name} takes two arguments")),
            (None, [_]) if lower == "redirect" => rules::section_redirect(args, name)?,
            (None, [status, url])
                if lower == "redirect" && rules::is_status_word(status) && rules::is_url(url) =>
            {
                rules::section_redirect(args, name)?
            }
            (None, _) => rules::redirect(args, lower == "redirectmatch", name)?,
        };
        self.section_redirects.push(rule);
        Ok(())
    }
}

/// The module's value (the lines are read per request from the configuration in effect).
struct Alias;

impl HandlerModule for Alias {
    fn init(_config: &Config<'_>) -> Result<Self, String> {
        Ok(Alias)
    }
}

impl Translate for Alias {
    // Apache: after mod_rewrite, before mod_userdir and mod_vhost_alias; every translate hook
    // runs before the core's own DocumentRoot mapping.
    const ORDER: HookOrder = HookOrder::MIDDLE
        .after(module_names!["rewrite"])
        .before(module_names!["userdir", "vhost_alias"]);

    fn translate(&self, req: &mut Request<'_>) -> Verdict {
        let Some(config) = req.module_config::<AliasConfig>() else {
            return Verdict::Declined;
        };
        let path = req.path();
        if !path.starts_with(b"/") {
            return Verdict::Declined;
        }
        if let Some(verdict) = redirect(req, &config.redirects) {
            return verdict;
        }
        if let Some((_, Some(file))) = first_match(&config.aliases, path, false) {
            return match req.set_filename(Path::new(OsStr::from_bytes(&file))) {
                Ok(()) => Verdict::Ok,
                Err(e) => {
                    req.log(Level::Error, &format!("Alias to {file:?}: {e:?}"));
                    Verdict::Error
                }
            };
        }
        Verdict::Declined
    }
}

impl Fixups for Alias {
    fn fixups(&self, req: &mut Request<'_>) -> Verdict {
        let Some(config) = req.module_config::<AliasConfig>() else {
            return Verdict::Declined;
        };
        redirect(req, &config.section_redirects).unwrap_or(Verdict::Declined)
    }
}

/// The answer of the first of `rules` matching the request's path, with its Location.
fn redirect(req: &mut Request<'_>, rules: &[Rule]) -> Option<Verdict> {
    let path = req.path();
    if !path.starts_with(b"/") {
        return None;
    }
    let (rule, found) = first_match(rules, path, true)?;
    if let Some(target) = found {
        let location = location(req, &target);
        req.set_header("Location", &location);
    }
    Some(Verdict::Status(rule.status))
}

/// The Location for a redirect's target: a path becomes a full URL on this server (Apache's
/// `ap_construct_url`, the name and port from the Host header), and the request's query is
/// appended unless the target has its own.
fn location(req: &Request<'_>, target: &[u8]) -> String {
    let mut url = String::from_utf8_lossy(target).into_owned();
    if url.starts_with('/') {
        url = format!("{}{url}", req.origin());
    }
    let query = req.query();
    if !query.is_empty() && !url.contains('?') {
        url = format!("{url}?{query}");
    }
    url
}

mapache_module! {
    symbol: alias_module,
    name: "alias",
    handler: Alias,
    directives: [
        ("Alias", TAKE2, SERVER, "a fakename and a realname"),
        ("AliasMatch", TAKE2, SERVER, "a regular expression and a filename"),
        ("Redirect", TAKE123, ANY | FILEINFO, "an optional status, then document to be redirected and destination URL"),
        ("RedirectMatch", TAKE123, ANY | FILEINFO, "an optional status, then a regular expression and destination URL"),
        ("RedirectPermanent", TAKE2, ANY | FILEINFO, "a document to be redirected, then the destination URL"),
        ("RedirectTemp", TAKE2, ANY | FILEINFO, "a document to be redirected, then the destination URL"),
        ("ScriptAlias", TAKE2, SERVER, "a fakename and a realname"),
        ("ScriptAliasMatch", TAKE2, SERVER, "a regular expression and a filename"),
    ],
    config: AliasConfig,
    hooks: [Translate, Fixups],
}
