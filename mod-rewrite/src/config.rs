//! The module's configuration per scope, as Apache keeps two of them: the server part (the
//! main server's and each virtual host's lines outside sections, applied in translate) and
//! the per-directory part (`<Directory>` and `.htaccess`, applied in fixups). Merged as
//! Apache's `config_server_merge` and `config_perdir_merge`: rules are not inherited (by a
//! virtual host from the main server, by a directory from its parent) unless `RewriteOptions
//! Inherit` (the parent's rules after the child's) or `InheritBefore` (before) says so.

use crate::cond::Cond;
use crate::engine::Rule;
use crate::maps::Map;
use mapache_plugin_api::sdk::{ModuleConfig, Scope, SectionInfo, SectionKind};
use std::sync::Arc;

/// How a scope takes its parent's rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `Inherit`: the parent's rules after the child's.
    pub inherit: bool,
    /// `InheritBefore`: the parent's rules before the child's.
    pub inherit_before: bool,
    /// `AllowNoSlash`: the rules apply to the directory's name without its trailing `/`.
    pub allow_no_slash: bool,
}

/// The rules of one kind of context.
#[derive(Clone, Default)]
pub struct Part {
    /// `RewriteEngine` (`None`: not set here).
    pub engine: Option<bool>,
    /// `RewriteOptions` (`None`: not set here).
    pub options: Option<Options>,
    /// The rules in order.
    pub rules: Vec<Arc<Rule>>,
    /// RewriteCond lines waiting for their RewriteRule.
    pending: Vec<Arc<Cond>>,
}

impl Part {
    /// Whether the engine is on.
    pub fn enabled(&self) -> bool {
        self.engine == Some(true)
    }

    fn options(&self) -> Options {
        self.options.unwrap_or_default()
    }

    /// Apache's merge of rule lists: the child's alone, or with the parent's after
    /// (`Inherit`) or before (`InheritBefore`).
    fn merge(parent: &Part, child: &Part) -> Part {
        let options = child.options.or(parent.options);
        let o = options.unwrap_or_default();
        let rules = if o.inherit_before {
            parent.rules.iter().chain(&child.rules).cloned().collect()
        } else if o.inherit {
            child.rules.iter().chain(&parent.rules).cloned().collect()
        } else {
            child.rules.clone()
        };
        Part {
            engine: child.engine.or(parent.engine),
            options,
            rules,
            pending: Vec::new(),
        }
    }
}

/// Where this value's lines were written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Context {
    /// The main server or a virtual host.
    #[default]
    Server,
    /// A `<VirtualHost>`.
    VirtualHost,
    /// A `<Directory>` or `.htaccess` (the directory with a trailing `/`).
    Directory(String),
    /// A section mapache does not run rules in (its name for the error).
    Unsupported(&'static str),
}

/// The configuration in effect.
#[derive(Clone, Default)]
pub struct RewriteConfig {
    context: Context,
    /// The server part.
    pub server: Part,
    /// The per-directory part.
    pub dir: Part,
    /// The per-directory prefix with its trailing `/` (the innermost section with rules).
    pub directory: Option<String>,
    /// `RewriteBase`.
    pub base: Option<String>,
    /// RewriteMap definitions (server level), by name.
    pub maps: Vec<(String, Arc<Map>)>,
}

impl RewriteConfig {
    /// The map named `name`.
    pub fn map(&self, name: &str) -> Option<&Map> {
        self.maps
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m.as_ref())
    }

    /// `RewriteOptions` of the per-directory part.
    pub fn dir_options(&self) -> Options {
        self.dir.options()
    }

    fn part(&mut self, scope: Scope) -> &mut Part {
        match (scope, &self.context) {
            (Scope::Server, _) | (_, Context::Server | Context::VirtualHost) => &mut self.server,
            _ => &mut self.dir,
        }
    }
}

fn parse_options(args: &[&str]) -> Result<Options, String> {
    let mut o = Options::default();
    for a in args {
        match a.to_ascii_lowercase().as_str() {
            "inherit" => o.inherit = true,
            "inheritbefore" => o.inherit_before = true,
            "allownoslash" => o.allow_no_slash = true,
            "inheritdown" | "inheritdownbefore" | "ignoreinherit" | "allowanyuri" | "mergebase"
            | "ignorecontextinfo" | "legacyprefixdocroot" | "longurloptimization" => {
                return Err(format!(
                    "RewriteOptions {a} is not supported by mapache yet: remove it (Inherit, InheritBefore and AllowNoSlash are)"
                ))
            }
            _ if a.to_ascii_lowercase().starts_with("maxredirects") => {
                return Err(
                    "RewriteOptions: MaxRedirects option has been removed in favor of the global LimitInternalRecursion directive and will be ignored."
                        .to_owned(),
                )
            }
            _ => return Err(format!("RewriteOptions: unknown option '{a}'")),
        }
    }
    Ok(o)
}

impl ModuleConfig for RewriteConfig {
    fn for_section(section: &SectionInfo) -> Self {
        let context = match section.kind {
            SectionKind::Server => Context::Server,
            SectionKind::VirtualHost => Context::VirtualHost,
            SectionKind::Directory | SectionKind::Htaccess if !section.is_regex => {
                Context::Directory(format!("{}/", section.directory.trim_end_matches('/')))
            }
            SectionKind::Directory => Context::Unsupported("<DirectoryMatch>"),
            SectionKind::Htaccess => Context::Unsupported(".htaccess"),
            SectionKind::Location => Context::Unsupported("<Location>"),
            SectionKind::Files => Context::Unsupported("<Files>"),
            SectionKind::If => Context::Unsupported("<If>"),
        };
        RewriteConfig {
            context,
            ..RewriteConfig::default()
        }
    }

    fn set(&mut self, scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        if let (Scope::Section, Context::Unsupported(what)) = (scope, &self.context) {
            return Err(format!(
                "{name} inside {what} is not supported by mapache yet: put the rewrite lines in <Directory> (or .htaccess) or at the server level"
            ));
        }
        let per_dir = scope == Scope::Section;
        let lower = name.to_ascii_lowercase();
        if matches!(lower.as_str(), "rewritecond" | "rewriterule" | "rewritemap") && args.len() < 2
        {
            return Err(format!(
                "{name} takes two or three arguments, {}",
                match lower.as_str() {
                    "rewritecond" => "an input string and a to be applied regexp-pattern",
                    "rewriterule" => "an URL-applied regexp-pattern and a substitution URL",
                    _ => "a mapname and a filename and options",
                }
            ));
        }
        match lower.as_str() {
            "rewriteengine" => {
                let on = args.first().is_some_and(|a| a.eq_ignore_ascii_case("on"));
                self.part(scope).engine = Some(on);
            }
            "rewriteoptions" => {
                let o = parse_options(args)?;
                if o.allow_no_slash && !per_dir {
                    return Err(
                        "RewriteOptions AllowNoSlash: only valid in per-directory context".into(),
                    );
                }
                self.part(scope).options = Some(o);
            }
            "rewritebase" => {
                if !per_dir {
                    return Err("RewriteBase: only valid in per-directory config files".into());
                }
                let base = args.first().copied().unwrap_or("");
                if base.is_empty() {
                    return Err("RewriteBase: empty URL not allowed".into());
                }
                if !base.starts_with('/') {
                    return Err("RewriteBase: argument is not a valid URL".into());
                }
                self.base = Some(base.to_owned());
            }
            "rewritemap" => {
                let (map, spec) = (args[0], args.get(1).copied().unwrap_or(""));
                let m = Map::parse(map, spec, args.get(2).copied())?;
                self.maps.retain(|(n, _)| n != map);
                self.maps.push((map.to_owned(), Arc::new(m)));
            }
            "rewritecond" => {
                let c = Cond::parse(
                    args[0],
                    args.get(1).copied().unwrap_or(""),
                    args.get(2).copied(),
                )?;
                self.part(scope).pending.push(Arc::new(c));
            }
            "rewriterule" => {
                let part = self.part(scope);
                let conds = std::mem::take(&mut part.pending);
                let rule = Rule::parse(
                    args[0],
                    args.get(1).copied().unwrap_or(""),
                    args.get(2).copied(),
                    conds,
                )?;
                part.rules.push(Arc::new(rule));
            }
            _ => return Err(format!("{name}: not a mod_rewrite directive")),
        }
        if per_dir {
            if let Context::Directory(d) = &self.context {
                self.directory = Some(d.clone());
            }
        }
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        let mut maps = child.maps.clone();
        for (n, m) in &parent.maps {
            if !maps.iter().any(|(c, _)| c == n) {
                maps.push((n.clone(), m.clone()));
            }
        }
        match child.context {
            Context::Server | Context::VirtualHost => RewriteConfig {
                context: child.context.clone(),
                server: Part::merge(&parent.server, &child.server),
                dir: parent.dir.clone(),
                directory: parent.directory.clone(),
                base: parent.base.clone(),
                maps,
            },
            _ => RewriteConfig {
                context: child.context.clone(),
                server: parent.server.clone(),
                dir: Part::merge(&parent.dir, &child.dir),
                directory: child.directory.clone().or_else(|| parent.directory.clone()),
                base: child.base.clone().or_else(|| parent.base.clone()),
                maps,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(kind: SectionKind, dir: &str) -> RewriteConfig {
        RewriteConfig::for_section(&SectionInfo {
            kind,
            path: dir.into(),
            is_regex: false,
            directory: dir.into(),
        })
    }

    fn rule(c: &mut RewriteConfig, scope: Scope, from: &str) {
        c.set(scope, "RewriteRule", &[from, "/x"]).unwrap();
    }

    fn patterns(p: &Part) -> Vec<&str> {
        p.rules.iter().map(|r| r.pattern_text.as_str()).collect()
    }

    #[test]
    fn virtual_hosts_inherit_rules_only_when_asked() {
        let mut main = RewriteConfig::default();
        main.set(Scope::Server, "RewriteEngine", &["on"]).unwrap();
        rule(&mut main, Scope::Server, "^/main");
        let mut vh = section(SectionKind::VirtualHost, "");
        rule(&mut vh, Scope::Server, "^/vh");
        let m = RewriteConfig::merge(&main, &vh);
        assert_eq!(patterns(&m.server), ["^/vh"]);
        // The engine state is inherited, as Apache's server merge does.
        assert!(m.server.enabled());
        vh.set(Scope::Server, "RewriteOptions", &["Inherit"])
            .unwrap();
        let m = RewriteConfig::merge(&main, &vh);
        assert_eq!(patterns(&m.server), ["^/vh", "^/main"]);
        vh.set(Scope::Server, "RewriteOptions", &["InheritBefore"])
            .unwrap();
        let m = RewriteConfig::merge(&main, &vh);
        assert_eq!(patterns(&m.server), ["^/main", "^/vh"]);
    }

    #[test]
    fn directories_keep_their_own_rules_prefix_and_base() {
        let mut main = RewriteConfig::default();
        rule(&mut main, Scope::Server, "^/main");
        let mut d = section(SectionKind::Directory, "/srv/www");
        d.set(Scope::Section, "RewriteEngine", &["On"]).unwrap();
        rule(&mut d, Scope::Section, "^a");
        let mut h = section(SectionKind::Htaccess, "/srv/www/sub");
        rule(&mut h, Scope::Section, "^b");
        let m = RewriteConfig::merge(&RewriteConfig::merge(&main, &d), &h);
        assert_eq!(patterns(&m.server), ["^/main"]);
        assert_eq!(patterns(&m.dir), ["^b"]);
        assert!(m.dir.enabled());
        assert_eq!(m.directory.as_deref(), Some("/srv/www/sub/"));
        h.set(Scope::Section, "RewriteOptions", &["inherit"])
            .unwrap();
        h.set(Scope::Section, "RewriteBase", &["/sub/"]).unwrap();
        let m = RewriteConfig::merge(&RewriteConfig::merge(&main, &d), &h);
        assert_eq!(patterns(&m.dir), ["^b", "^a"]);
        assert_eq!(m.base.as_deref(), Some("/sub/"));
    }

    #[test]
    fn conditions_attach_to_the_next_rule() {
        let mut c = RewriteConfig::default();
        c.set(Scope::Server, "RewriteCond", &["%{HTTP_HOST}", "^a"])
            .unwrap();
        c.set(Scope::Server, "RewriteCond", &["%{HTTP_HOST}", "b", "[NC]"])
            .unwrap();
        rule(&mut c, Scope::Server, "^/1");
        rule(&mut c, Scope::Server, "^/2");
        assert_eq!(c.server.rules[0].conds.len(), 2);
        assert_eq!(c.server.rules[1].conds.len(), 0);
    }

    #[test]
    fn refusals() {
        let mut c = RewriteConfig::default();
        assert_eq!(
            c.set(Scope::Server, "RewriteBase", &["/"]).unwrap_err(),
            "RewriteBase: only valid in per-directory config files"
        );
        let mut d = section(SectionKind::Directory, "/d");
        assert_eq!(
            d.set(Scope::Section, "RewriteBase", &["x"]).unwrap_err(),
            "RewriteBase: argument is not a valid URL"
        );
        assert!(c
            .set(Scope::Server, "RewriteOptions", &["MergeBase"])
            .unwrap_err()
            .contains("not supported"));
        assert_eq!(
            c.set(Scope::Server, "RewriteOptions", &["Bogus"])
                .unwrap_err(),
            "RewriteOptions: unknown option 'Bogus'"
        );
        let mut l = section(SectionKind::Location, "");
        assert!(l
            .set(Scope::Section, "RewriteRule", &["^", "/x"])
            .unwrap_err()
            .contains("inside <Location> is not supported"));
    }
}
