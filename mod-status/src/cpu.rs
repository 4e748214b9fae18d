//! CPU time of the server's processes, read from `/proc/<pid>/stat`: Apache's CPUUser, CPUSystem,
//! CPUChildrenUser and CPUChildrenSystem. Apache adds the master's `times()` to its children's;
//! here the master's own record covers what it spent, and its "children" times cover every child
//! it has reaped, so exited children are not lost.

/// CPU seconds, summed over the master and the live children in the scoreboard.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuTimes {
    /// User time of the processes themselves.
    pub user: f64,
    /// System time of the processes themselves.
    pub system: f64,
    /// User time of the children they reaped (exited server children, piped loggers…).
    pub children_user: f64,
    /// System time of the children they reaped.
    pub children_system: f64,
}

impl CpuTimes {
    /// All four summed.
    pub fn total(&self) -> f64 {
        self.user + self.system + self.children_user + self.children_system
    }
}

/// Reads the times of the master and of `children` (the PIDs in the scoreboard); `None` when no
/// process's times could be read (no `/proc`).
pub fn read(children: &[i32]) -> Option<CpuTimes> {
    // SAFETY: getpid, getppid and sysconf have no preconditions.
    let (me, parent, tick) = unsafe {
        (
            libc::getpid(),
            libc::getppid(),
            libc::sysconf(libc::_SC_CLK_TCK),
        )
    };
    let tick = if tick > 0 { tick as f64 } else { 100.0 };
    // A child serving this request finds the master as its parent; a master serving itself
    // (one-process mode) is not in the list of children.
    let master = if children.contains(&me) { parent } else { me };
    let mut pids: Vec<i32> = std::iter::once(master)
        .chain(children.iter().copied())
        .collect();
    pids.sort_unstable();
    pids.dedup();
    let mut sum = CpuTimes::default();
    let mut read_any = false;
    for pid in pids {
        let Some(ticks) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| parse_stat(&s))
        else {
            continue;
        };
        read_any = true;
        sum.user += ticks[0] as f64 / tick;
        sum.system += ticks[1] as f64 / tick;
        sum.children_user += ticks[2] as f64 / tick;
        sum.children_system += ticks[3] as f64 / tick;
    }
    read_any.then_some(sum)
}

/// utime, stime, cutime, cstime (fields 14 to 17 of proc(5)), in clock ticks.
fn parse_stat(stat: &str) -> Option<[u64; 4]> {
    // The command name, in parentheses, may hold spaces: count fields after its last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) is index 11.
    let get = |i: usize| fields.get(i)?.parse::<i64>().ok().map(|v| v.max(0) as u64);
    Some([get(11)?, get(12)?, get(13)?, get(14)?])
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> Option<[f64; 3]> {
    let mut l = [0f64; 3];
    // SAFETY: the buffer holds the 3 values asked for.
    (unsafe { libc::getloadavg(l.as_mut_ptr(), 3) } == 3).then_some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_a_name_with_spaces() {
        let line = "123 (a b) c) S 1 123 123 0 -1 4194560 100 0 0 0 7 3 5 2 20 0 1 0 100 0 0";
        assert_eq!(parse_stat(line), Some([7, 3, 5, 2]));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_can_be_read() {
        let t = read(&[]).expect("/proc is there on Linux");
        assert!(t.total() >= 0.0);
        assert!(load_average().is_some());
    }
}
