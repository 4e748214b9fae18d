//! One scope's `Header` and `RequestHeader` lines, in three lists as Apache keeps them, merged
//! as Apache's merge_headers_config: the outer scope's lines first, the inner scope's after.

use crate::directive::{self, Entry, List};
use mapache_plugin_api::sdk::{ModuleConfig, Scope};
use std::sync::Arc;

/// One scope's lines, in file order.
#[derive(Clone, Debug, Default)]
pub struct HeadersConfig {
    /// `RequestHeader` (Apache's fixup_in).
    pub request: Arc<Vec<Entry>>,
    /// `Header` / `Header onsuccess` (fixup_out).
    pub on_success: Arc<Vec<Entry>>,
    /// `Header always` (fixup_err).
    pub always: Arc<Vec<Entry>>,
}

impl HeadersConfig {
    /// Whether any line changes the response.
    pub fn touches_response(&self) -> bool {
        !self.on_success.is_empty() || !self.always.is_empty()
    }
}

fn joined(outer: &Arc<Vec<Entry>>, inner: &Arc<Vec<Entry>>) -> Arc<Vec<Entry>> {
    if inner.is_empty() {
        return outer.clone();
    }
    if outer.is_empty() {
        return inner.clone();
    }
    Arc::new(outer.iter().chain(inner.iter()).cloned().collect())
}

impl ModuleConfig for HeadersConfig {
    fn set(&mut self, scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        let (list, entry) = directive::parse(name, args, scope)?;
        let target = match list {
            List::Request => &mut self.request,
            List::OnSuccess => &mut self.on_success,
            List::Always => &mut self.always,
        };
        Arc::make_mut(target).push(entry);
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        HeadersConfig {
            request: joined(&parent.request, &child.request),
            on_success: joined(&parent.on_success, &child.on_success),
            always: joined(&parent.always, &child.always),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(lines: &[&[&str]]) -> HeadersConfig {
        let mut c = HeadersConfig::default();
        for l in lines {
            c.set(Scope::Section, l[0], &l[1..]).unwrap();
        }
        c
    }

    fn names(list: &[Entry]) -> Vec<&str> {
        list.iter().map(|e| e.header.as_str()).collect()
    }

    #[test]
    fn outer_lines_run_first_inner_after() {
        let server = scope(&[
            &["Header", "set", "A", "1"],
            &["Header", "always", "set", "B", "1"],
            &["RequestHeader", "set", "C", "1"],
        ]);
        let section = scope(&[
            &["Header", "unset", "A"],
            &["Header", "onsuccess", "set", "D", "1"],
        ]);
        let m = HeadersConfig::merge(&server, &section);
        assert_eq!(names(&m.on_success), vec!["A", "A", "D"]);
        assert_eq!(names(&m.always), vec!["B"]);
        assert_eq!(names(&m.request), vec!["C"]);
        assert!(m.touches_response());
        assert!(!scope(&[&["RequestHeader", "set", "C", "1"]]).touches_response());
    }
}
