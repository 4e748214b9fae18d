//! One scope's `ExpiresActive`, `ExpiresDefault` and `ExpiresByType` lines, Apache's merge of
//! them (`merge_expires_dir_configs`) and the lookup of a response's code by its type.

use crate::code::{self, Code};
use mapache_plugin_api::sdk::{ModuleConfig, Scope};

/// One scope's settings; `None` where the scope says nothing (the parent's value holds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiresConfig {
    /// `ExpiresActive On|Off`.
    pub active: Option<bool>,
    /// `ExpiresDefault`.
    pub default: Option<Code>,
    /// `ExpiresByType`: the type as written (`text/html`, `image/*`) and its code.
    pub by_type: Vec<(String, Code)>,
}

impl ExpiresConfig {
    fn set_type(&mut self, mime: &str, code: Code) {
        match self
            .by_type
            .iter_mut()
            .find(|(t, _)| t.eq_ignore_ascii_case(mime))
        {
            Some(slot) => slot.1 = code,
            None => self.by_type.push((mime.to_owned(), code)),
        }
    }

    fn get_type(&self, mime: &str) -> Option<Code> {
        self.by_type
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(mime))
            .map(|(_, c)| *c)
    }

    /// The code for a response of `content_type` (parameters ignored), as Apache: the exact
    /// type, then `major/*`, then `ExpiresDefault`; `None` when inactive or nothing applies.
    pub fn code_for(&self, content_type: Option<&str>) -> Option<Code> {
        if self.active != Some(true) {
            return None;
        }
        let mime = content_type
            .map(|t| t.split(';').next().unwrap_or("").trim())
            .unwrap_or("");
        if let Some(c) = self.get_type(mime) {
            return Some(c);
        }
        if let Some((major, minor)) = mime.split_once('/') {
            if !minor.is_empty() {
                if let Some(c) = self.get_type(&format!("{major}/*")) {
                    return Some(c);
                }
            }
        }
        self.default
    }
}

impl ModuleConfig for ExpiresConfig {
    fn set(&mut self, _scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        if name.eq_ignore_ascii_case("ExpiresActive") {
            let arg = args.first().copied().unwrap_or("");
            self.active = Some(if arg.eq_ignore_ascii_case("on") {
                true
            } else if arg.eq_ignore_ascii_case("off") {
                false
            } else {
                return Err("ExpiresActive must be On or Off".to_owned());
            });
        } else if name.eq_ignore_ascii_case("ExpiresDefault") {
            let text = args.first().copied().unwrap_or("");
            let c = code::parse(text).map_err(|e| format!("'ExpiresDefault {text}': {e}"))?;
            self.default = Some(c);
        } else if name.eq_ignore_ascii_case("ExpiresByType") {
            let mime = args.first().copied().unwrap_or("");
            let text = args.get(1).copied().unwrap_or("");
            let c = code::parse(text).map_err(|e| format!("'ExpiresByType {mime} {text}': {e}"))?;
            self.set_type(mime, c);
        }
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        let mut by_type = parent.by_type.clone();
        let mut merged = ExpiresConfig {
            active: child.active.or(parent.active),
            default: child.default.or(parent.default),
            by_type: Vec::new(),
        };
        std::mem::swap(&mut merged.by_type, &mut by_type);
        for (mime, c) in &child.by_type {
            merged.set_type(mime, *c);
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Base;

    fn scope(lines: &[&[&str]]) -> Result<ExpiresConfig, String> {
        let mut c = ExpiresConfig::default();
        for l in lines {
            c.set(Scope::Section, l[0], &l[1..])?;
        }
        Ok(c)
    }

    fn secs(c: &ExpiresConfig, t: Option<&str>) -> Option<i64> {
        c.code_for(t).map(|c| c.seconds)
    }

    #[test]
    fn exact_type_then_wildcard_then_default() {
        let c = scope(&[
            &["ExpiresActive", "On"],
            &["ExpiresDefault", "A10"],
            &["ExpiresByType", "image/*", "A20"],
            &["ExpiresByType", "image/png", "access plus 30 seconds"],
        ])
        .unwrap();
        assert_eq!(secs(&c, Some("image/png")), Some(30));
        assert_eq!(secs(&c, Some("IMAGE/GIF; q=1")), Some(20));
        assert_eq!(secs(&c, Some("text/html; charset=utf-8")), Some(10));
        assert_eq!(secs(&c, None), Some(10));
    }

    #[test]
    fn nothing_unless_active() {
        let c = scope(&[&["ExpiresDefault", "A10"]]).unwrap();
        assert_eq!(secs(&c, Some("text/html")), None);
        let off = scope(&[&["ExpiresActive", "Off"]]).unwrap();
        let on = scope(&[&["ExpiresActive", "On"]]).unwrap();
        assert_eq!(
            secs(&ExpiresConfig::merge(&on, &c), Some("text/html")),
            Some(10)
        );
        assert_eq!(
            secs(
                &ExpiresConfig::merge(&ExpiresConfig::merge(&on, &c), &off),
                Some("text/html")
            ),
            None
        );
    }

    #[test]
    fn a_section_overlays_its_types_on_its_parents() {
        let server = scope(&[
            &["ExpiresActive", "On"],
            &["ExpiresByType", "text/html", "A1"],
            &["ExpiresByType", "text/css", "A2"],
        ])
        .unwrap();
        let section = scope(&[&["ExpiresByType", "TEXT/HTML", "M3"]]).unwrap();
        let m = ExpiresConfig::merge(&server, &section);
        assert_eq!(
            m.code_for(Some("text/html")),
            Some(Code {
                base: Base::Modification,
                seconds: 3
            })
        );
        assert_eq!(secs(&m, Some("text/css")), Some(2));
    }

    #[test]
    fn errors_name_the_directive_as_apache() {
        assert_eq!(
            scope(&[&["ExpiresDefault", "later"]]).unwrap_err(),
            "'ExpiresDefault later': bad expires code, unrecognised <base> 'later'"
        );
        assert_eq!(
            scope(&[&["ExpiresByType", "text/html", "access plus 1"]]).unwrap_err(),
            "'ExpiresByType text/html access plus 1': bad expires code, missing <type>"
        );
    }
}
