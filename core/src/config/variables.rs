//! `Define`d variables, `-D` names and `${VAR}` expansion.

use std::collections::HashMap;

/// The defined names and their values. `-D NAME` and `Define NAME` share one table, as in Apache,
/// so `UnDefine` also undoes a `-D` and `<IfDefine>` sees both.
#[derive(Debug, Default)]
pub(crate) struct Variables {
    defined: HashMap<String, String>,
}

impl Variables {
    /// `-D` names are defined with an empty value.
    pub(crate) fn new(cli_defines: &[String]) -> Self {
        Variables {
            defined: cli_defines
                .iter()
                .map(|name| (name.clone(), String::new()))
                .collect(),
        }
    }

    pub(crate) fn define(&mut self, name: &str, value: &str) {
        self.defined.insert(name.to_string(), value.to_string());
    }

    pub(crate) fn undefine(&mut self, name: &str) {
        self.defined.remove(name);
    }

    pub(crate) fn is_defined(&self, name: &str) -> bool {
        self.defined.contains_key(name)
    }

    /// Replaces every `${NAME}` in `text` in one pass (a value is not expanded again), from the
    /// defined names first, then the process environment. An undefined name is reported through
    /// `warn` and left as written; a `${` without a closing `}` is left as written.
    pub(crate) fn expand(&self, text: &str, warn: &mut dyn FnMut(&str)) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(len) = after.find('}') else {
                break;
            };
            let name = &after[..len];
            out.push_str(&rest[..start]);
            match self.lookup(name) {
                Some(value) => out.push_str(&value),
                None => {
                    warn(&format!("Config variable ${{{name}}} is not defined"));
                    out.push_str(&rest[start..start + 2 + len + 1]);
                }
            }
            rest = &after[len + 1..];
        }
        out.push_str(rest);
        out
    }

    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(value) = self.defined.get(name) {
            return Some(value.clone());
        }
        // The environment functions may panic on such names; they cannot be set anyway.
        if name.is_empty() || name.contains(['=', '\0']) {
            return None;
        }
        std::env::var(name).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(vars: &Variables, text: &str) -> (String, Vec<String>) {
        let mut warnings = Vec::new();
        let out = vars.expand(text, &mut |m| warnings.push(m.to_string()));
        (out, warnings)
    }

    #[test]
    fn expands_defines_anywhere_in_one_pass() {
        let mut vars = Variables::new(&[]);
        vars.define("A", "x");
        vars.define("LOOP", "${A}");
        assert_eq!(
            expand(&vars, "p${A}q ${A}${LOOP}"),
            ("pxq x${A}".to_string(), vec![])
        );
    }

    #[test]
    fn environment_is_the_fallback_and_defines_win() {
        // Cargo sets CARGO_PKG_NAME for the test process; the compile-time value is the same.
        let mut vars = Variables::new(&[]);
        assert_eq!(expand(&vars, "${CARGO_PKG_NAME}").0, env!("CARGO_PKG_NAME"));
        vars.define("CARGO_PKG_NAME", "mine");
        assert_eq!(expand(&vars, "${CARGO_PKG_NAME}").0, "mine");
    }

    #[test]
    fn undefined_warns_and_stays() {
        let vars = Variables::new(&[]);
        assert_eq!(
            expand(&vars, "a ${NOPE_MAPACHE_TEST} b ${} ${open"),
            (
                "a ${NOPE_MAPACHE_TEST} b ${} ${open".to_string(),
                vec![
                    "Config variable ${NOPE_MAPACHE_TEST} is not defined".to_string(),
                    "Config variable ${} is not defined".to_string()
                ]
            )
        );
    }

    #[test]
    fn cli_defines_are_defined_empty_and_can_be_undefined() {
        let mut vars = Variables::new(&["FOREGROUND".to_string()]);
        assert!(vars.is_defined("FOREGROUND"));
        assert_eq!(expand(&vars, "[${FOREGROUND}]").0, "[]");
        vars.undefine("FOREGROUND");
        assert!(!vars.is_defined("FOREGROUND"));
    }
}
