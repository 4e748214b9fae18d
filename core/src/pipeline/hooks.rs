//! Phase hooks (ABI 1.4): every module's registrations for each phase, sorted once at startup
//! as APR sorts hooks: by order, then so that each hook runs after the modules it names as
//! predecessors and before those it names as successors, then in LoadModule order.

use crate::loader::LoadedModule;
use mapache_plugin_api::abi::{self, MapachePhaseFn};

/// Number of phases (`MAPACHE_PHASE_LOG` is the last).
const PHASES: usize = abi::MAPACHE_PHASE_LOG as usize + 1;

/// One hook as the pipeline calls it.
pub struct Hook {
    /// The function.
    pub func: MapachePhaseFn,
    /// Index of its module in `Server::handlers`.
    pub module: usize,
    /// For handler hooks: the names its module declared (empty: it takes any request and looks
    /// at the handler name itself).
    pub names: Box<[String]>,
}

impl Hook {
    /// Whether this handler hook is offered a request whose handler name is `name`
    /// (`default-handler` when none was set).
    pub fn takes(&self, name: &str) -> bool {
        self.names.is_empty() || self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// Every phase's hooks, in the order they run.
#[derive(Default)]
pub struct Hooks {
    phases: Vec<Vec<Hook>>,
}

struct Pending {
    func: MapachePhaseFn,
    module: usize,
    order: i32,
    predecessors: Vec<String>,
    successors: Vec<String>,
}

impl Hooks {
    /// Collects and sorts the hooks of `modules`. A module from before ABI 1.4 with a `handle`
    /// entry is a handler hook in the middle that takes every request, as before.
    pub fn build(modules: &[LoadedModule]) -> Result<Hooks, String> {
        let mut pending: Vec<Vec<Pending>> = (0..PHASES).map(|_| Vec::new()).collect();
        for (i, m) in modules.iter().enumerate() {
            for h in &m.tables.hooks {
                pending[h.phase as usize].push(Pending {
                    func: h.func,
                    module: i,
                    order: h.order,
                    predecessors: h.predecessors.clone(),
                    successors: h.successors.clone(),
                });
            }
            if let Some(handle) = m.desc.handle {
                pending[abi::MAPACHE_PHASE_HANDLER as usize].push(Pending {
                    func: handle,
                    module: i,
                    order: abi::MAPACHE_ORDER_MIDDLE,
                    predecessors: Vec::new(),
                    successors: Vec::new(),
                });
            }
        }
        let names: Vec<&str> = modules.iter().map(|m| m.name.as_str()).collect();
        let mut phases = Vec::with_capacity(PHASES);
        for (phase, list) in pending.into_iter().enumerate() {
            let sorted = sort(list, &names).map_err(|cycle| {
                format!("the hooks of phase {phase} cannot be ordered: {cycle} name each other as predecessors")
            })?;
            phases.push(
                sorted
                    .into_iter()
                    .map(|p| Hook {
                        func: p.func,
                        module: p.module,
                        names: if phase == abi::MAPACHE_PHASE_HANDLER as usize {
                            modules[p.module]
                                .tables
                                .handler_names
                                .clone()
                                .into_boxed_slice()
                        } else {
                            Box::default()
                        },
                    })
                    .collect(),
            );
        }
        Ok(Hooks { phases })
    }

    /// The hooks of `phase`, in order.
    pub fn of(&self, phase: u32) -> &[Hook] {
        self.phases.get(phase as usize).map_or(&[], Vec::as_slice)
    }

    /// Whether some handler hook may take any handler name (it declared none).
    pub fn has_open_handler(&self) -> bool {
        self.of(abi::MAPACHE_PHASE_HANDLER)
            .iter()
            .any(|h| h.names.is_empty())
    }

    /// Whether some handler hook may take requests with the handler `name`.
    pub fn takes(&self, name: &str) -> bool {
        self.of(abi::MAPACHE_PHASE_HANDLER)
            .iter()
            .any(|h| h.takes(name))
    }
}

/// Orders one phase's hooks: stable by (order, LoadModule order), then a topological pass for
/// the named constraints (each step takes the first hook, in that order, whose predecessors
/// have all run). `names` are the modules' names by index. `Err` names the modules in a cycle.
fn sort(mut list: Vec<Pending>, names: &[&str]) -> Result<Vec<Pending>, String> {
    list.sort_by_key(|p| (p.order, p.module));
    let n = list.len();
    // before[i]: hooks that must run before hook i.
    let mut before: Vec<Vec<usize>> = vec![Vec::new(); n];
    let named = |i: usize, name: &str| names[list[i].module].eq_ignore_ascii_case(name);
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            // j is a predecessor of i, or i a successor of j.
            let j_first = list[i].predecessors.iter().any(|p| named(j, p))
                || list[j].successors.iter().any(|s| named(i, s));
            if j_first {
                before[i].push(j);
            }
        }
    }
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let next = (0..n).find(|&i| !done[i] && before[i].iter().all(|&j| done[j]));
        match next {
            Some(i) => {
                done[i] = true;
                order.push(i);
            }
            None => {
                let stuck: Vec<String> = (0..n)
                    .filter(|&i| !done[i])
                    .map(|i| names[list[i].module].to_owned())
                    .collect();
                return Err(stuck.join(", "));
            }
        }
    }
    let mut slots: Vec<Option<Pending>> = list.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .map(|i| slots[i].take().expect("each index once"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" fn f(_: *mut abi::MapacheRequest) -> i32 {
        abi::MAPACHE_DECLINED
    }

    fn p(module: usize, order: i32, predecessors: &[&str], successors: &[&str]) -> Pending {
        Pending {
            func: f,
            module,
            order,
            predecessors: predecessors.iter().map(|s| s.to_string()).collect(),
            successors: successors.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn order(list: Vec<Pending>, names: &[&str]) -> Vec<usize> {
        sort(list, names)
            .expect("sortable")
            .iter()
            .map(|p| p.module)
            .collect()
    }

    #[test]
    fn by_order_then_loadmodule_order() {
        let names = ["a", "b", "c"];
        let list = vec![
            p(0, abi::MAPACHE_ORDER_LAST, &[], &[]),
            p(1, abi::MAPACHE_ORDER_MIDDLE, &[], &[]),
            p(2, abi::MAPACHE_ORDER_FIRST, &[], &[]),
        ];
        assert_eq!(order(list, &names), [2, 1, 0]);
        let same = vec![p(2, 10, &[], &[]), p(0, 10, &[], &[]), p(1, 10, &[], &[])];
        assert_eq!(order(same, &names), [0, 1, 2]);
    }

    #[test]
    fn named_predecessors_and_successors_win_over_order() {
        let names = ["auth", "rewrite", "static"];
        // rewrite asks to run after auth although it is FIRST and auth MIDDLE.
        let list = vec![
            p(0, abi::MAPACHE_ORDER_MIDDLE, &[], &[]),
            p(1, abi::MAPACHE_ORDER_FIRST, &["auth"], &[]),
            p(2, abi::MAPACHE_ORDER_REALLY_FIRST, &[], &[]),
        ];
        assert_eq!(order(list, &names), [2, 0, 1]);
        // static says it runs before auth (a successor), though it is LAST.
        let list = vec![
            p(0, abi::MAPACHE_ORDER_FIRST, &[], &[]),
            p(2, abi::MAPACHE_ORDER_LAST, &[], &["AUTH"]),
        ];
        assert_eq!(order(list, &names), [2, 0]);
        // A name that is not loaded constrains nothing.
        let list = vec![p(1, 0, &["absent"], &[]), p(0, 10, &[], &[])];
        assert_eq!(order(list, &names), [1, 0]);
    }

    #[test]
    fn a_cycle_is_an_error_naming_the_modules() {
        let names = ["a", "b"];
        let list = vec![p(0, 10, &["b"], &[]), p(1, 10, &["a"], &[])];
        let err = sort(list, &names).err().expect("a cycle");
        assert_eq!(err, "a, b");
    }
}
