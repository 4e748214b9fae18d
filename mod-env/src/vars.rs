//! The variables of one scope and Apache's merge of them (`merge_env_dir_configs`): a section
//! starts from its parent's variables, drops those its `UnsetEnv` lines name, then sets its own.
//! Within one scope the lines apply in file order (an `UnsetEnv` after a `SetEnv` of the same
//! name removes it; a `SetEnv` after it sets it again). Names compare case-insensitively, as
//! APR tables do.

use mapache_plugin_api::sdk::{ModuleConfig, Scope};
use std::sync::Mutex;

/// Warnings met while the configuration was read, logged by `init` (the host table, hence the
/// error log, is known only from `init` on).
static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The warnings collected so far, emptied.
pub fn take_warnings() -> Vec<String> {
    std::mem::take(&mut *WARNINGS.lock().unwrap_or_else(|e| e.into_inner()))
}

fn warn(message: String) {
    WARNINGS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(message);
}

/// One scope's `SetEnv`/`PassEnv` variables and `UnsetEnv` names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvConfig {
    /// Name and value, in the order first set.
    pub vars: Vec<(String, String)>,
    /// The names this scope's `UnsetEnv` lines take from its parent's variables.
    pub unset: Vec<String>,
}

impl EnvConfig {
    fn set_var(&mut self, name: &str, value: &str) {
        match self
            .vars
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.vars.push((name.to_owned(), value.to_owned())),
        }
    }

    fn unset_var(&mut self, name: &str) {
        self.vars.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
}

/// What `PassEnv` reads: the server process's environment.
fn process_env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

impl ModuleConfig for EnvConfig {
    fn set(&mut self, _scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        if name.eq_ignore_ascii_case("SetEnv") {
            let var = args.first().copied().unwrap_or("");
            // No value: the empty string, as Apache.
            self.set_var(var, args.get(1).copied().unwrap_or(""));
        } else if name.eq_ignore_ascii_case("PassEnv") {
            for var in args {
                match process_env(var) {
                    Some(value) => self.set_var(var, &value),
                    None => warn(format!("AH01506: PassEnv variable {var} was undefined")),
                }
            }
        } else if name.eq_ignore_ascii_case("UnsetEnv") {
            for var in args {
                self.unset_var(var);
                if !self.unset.iter().any(|u| u.eq_ignore_ascii_case(var)) {
                    self.unset.push((*var).to_owned());
                }
            }
        }
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        let mut merged = EnvConfig {
            vars: parent.vars.clone(),
            unset: Vec::new(),
        };
        for name in &child.unset {
            merged.unset_var(name);
        }
        for (name, value) in &child.vars {
            merged.set_var(name, value);
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(lines: &[&[&str]]) -> EnvConfig {
        let mut c = EnvConfig::default();
        for l in lines {
            c.set(Scope::Section, l[0], &l[1..]).unwrap();
        }
        c
    }

    fn vars(c: &EnvConfig) -> Vec<(&str, &str)> {
        c.vars
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn lines_apply_in_file_order_within_a_scope() {
        let c = scope(&[
            &["SetEnv", "A", "1"],
            &["SetEnv", "B"],
            &["SetEnv", "a", "2"],
            &["UnsetEnv", "B"],
            &["SetEnv", "C", "3"],
            &["UnsetEnv", "C"],
            &["SetEnv", "C", "again"],
        ]);
        assert_eq!(vars(&c), [("A", "2"), ("C", "again")]);
    }

    #[test]
    fn a_section_unsets_its_parents_variables_then_sets_its_own() {
        let server = scope(&[&["SetEnv", "A", "server"], &["SetEnv", "B", "server"]]);
        let section = scope(&[&["SetEnv", "A", "section"], &["UnsetEnv", "b", "A"]]);
        // The section's own SetEnv A came before its UnsetEnv A: gone in the section, and the
        // server's A with it.
        assert_eq!(vars(&EnvConfig::merge(&server, &section)), []);
        let section = scope(&[&["UnsetEnv", "A"], &["SetEnv", "A", "section"]]);
        assert_eq!(
            vars(&EnvConfig::merge(&server, &section)),
            [("B", "server"), ("A", "section")]
        );
        // The merged value unsets nothing further down.
        let deeper = EnvConfig::merge(&EnvConfig::merge(&server, &section), &scope(&[]));
        assert_eq!(vars(&deeper), [("B", "server"), ("A", "section")]);
    }

    #[test]
    fn pass_env_reads_the_process_environment() {
        let path = std::env::var("PATH").expect("PATH is set for tests");
        let c = scope(&[&["PassEnv", "PATH", "MAPACHE_SURELY_UNSET_VARIABLE"]]);
        assert_eq!(vars(&c), [("PATH", path.as_str())]);
        assert!(take_warnings().contains(
            &"AH01506: PassEnv variable MAPACHE_SURELY_UNSET_VARIABLE was undefined".to_owned()
        ));
    }
}
