//! PidFile: written by the master once its listeners are bound, removed when it exits, read by
//! `-k` to find the master.

use std::path::Path;

/// What a pid file says about the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Master {
    /// No pid file.
    NoPidFile,
    /// A live mapache master owns the pid file.
    Running(i32),
    /// The pid file names a process that is gone or is not a mapache master (or ourselves, after
    /// a re-exec in place or in a container that reuses pids): left by an unclean shutdown.
    Stale(i32),
}

/// Reads the pid file and judges it. An unreadable or garbled file is an error: as Apache, the
/// user removes it when it is corrupt.
pub fn inspect(path: &Path) -> Result<Master, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Master::NoPidFile),
        Err(e) => {
            return Err(format!(
                "Error retrieving pid file {}: {e}; remove it before continuing if it is corrupted",
                path.display()
            ))
        }
    };
    let pid = match text.trim().parse::<i32>() {
        Ok(p) if p > 0 => p,
        _ => {
            return Err(format!(
                "Error retrieving pid file {}: it does not hold a process id; remove it before \
                 continuing if it is corrupted",
                path.display()
            ))
        }
    };
    Ok(if pid != std::process::id() as i32 && is_mapache(pid) {
        Master::Running(pid)
    } else {
        Master::Stale(pid)
    })
}

/// Whether `pid` is alive and runs a mapache binary. A pid reused by another program after an
/// unclean shutdown must not be signalled, so the program is checked through /proc: the binary's
/// file name (`/proc/pid/exe`, readable for our own processes and for root), else `argv[0]`
/// (`/proc/pid/cmdline`, readable by anyone). Without /proc, a live pid counts as the master.
fn is_mapache(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let alive = unsafe { libc::kill(pid, 0) } == 0
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    if !alive {
        return false;
    }
    let ours = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "mapache".to_owned());
    let proc_dir = Path::new("/proc").join(pid.to_string());
    if let Ok(exe) = std::fs::read_link(proc_dir.join("exe")) {
        // A binary replaced by an upgrade reads `/path/mapache (deleted)`.
        let exe = exe.to_string_lossy();
        let exe = exe.trim_end_matches(" (deleted)");
        let name = exe.rsplit('/').next().unwrap_or(exe);
        return name == ours || name.contains("mapache");
    }
    match std::fs::read(proc_dir.join("cmdline")) {
        Ok(cmd) => {
            let argv0 = cmd.split(|&b| b == 0).next().unwrap_or(&[]);
            let argv0 = String::from_utf8_lossy(argv0);
            let name = argv0.rsplit('/').next().unwrap_or(&argv0);
            name == ours || name.contains("mapache")
        }
        // No /proc (or the process just ended): trust kill(2).
        Err(_) => !Path::new("/proc/self").exists(),
    }
}

/// Writes our pid. Returns the stale pid when an older file was overwritten, for Apache's
/// warning about an unclean shutdown.
pub fn write(path: &Path) -> Result<Option<i32>, String> {
    let previous = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok());
    std::fs::write(path, format!("{}\n", std::process::id())).map_err(|e| {
        format!(
            "could not create PidFile {}: {e}; check that its directory exists and is writable",
            path.display()
        )
    })?;
    Ok(previous)
}

/// Removes the pid file if it still names us (a second server started by mistake on the same
/// file must not remove the first one's).
pub fn remove(path: &Path) {
    let ours = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok())
        == Some(std::process::id());
    if ours {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("mapache-pidfile-{}-{name}", std::process::id()))
    }

    #[test]
    fn missing_garbled_stale_and_self() {
        let p = temp("a");
        assert_eq!(inspect(&p).unwrap(), Master::NoPidFile);
        std::fs::write(&p, "garbage\n").unwrap();
        assert!(inspect(&p)
            .unwrap_err()
            .contains("Error retrieving pid file"));
        // Our own pid is stale by definition (a re-exec in place keeps it).
        std::fs::write(&p, format!("{}\n", std::process::id())).unwrap();
        assert_eq!(
            inspect(&p).unwrap(),
            Master::Stale(std::process::id() as i32)
        );
        // pid 1 exists but is not mapache.
        std::fs::write(&p, "1\n").unwrap();
        assert_eq!(inspect(&p).unwrap(), Master::Stale(1));
        let _ = std::fs::remove_file(&p);
    }

    #[test]
    fn write_reports_the_previous_pid_and_remove_only_removes_ours() {
        let p = temp("b");
        let _ = std::fs::remove_file(&p);
        assert_eq!(write(&p).unwrap(), None);
        assert_eq!(write(&p).unwrap(), Some(std::process::id() as i32));
        remove(&p);
        assert!(!p.exists());
        std::fs::write(&p, "1\n").unwrap();
        remove(&p);
        assert!(p.exists(), "another process's pid file stays");
        let _ = std::fs::remove_file(&p);
    }
}
