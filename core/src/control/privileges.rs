//! User and Group: the identity children serve as when the server starts as root. The master
//! keeps root (to bind, write the pid file, re-exec); each child drops to the configured user in
//! the host's `child_init`, after the listeners are bound and before any handler runs.
//!
//! Names are looked up with libc's getpwnam_r/getgrnam_r (NSS, so LDAP users work too).

use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicI32, Ordering};

/// Whom children run as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAs {
    /// User id.
    pub uid: libc::uid_t,
    /// Group id.
    pub gid: libc::gid_t,
    /// The user's name, for its supplementary groups (initgroups); None for an unnamed `#uid`.
    pub user_name: Option<CString>,
}

/// A user: `name` or `#uid`. Returns the uid, the user's primary group and its name.
pub fn user(spec: &str) -> Result<(libc::uid_t, libc::gid_t, Option<CString>), String> {
    let bad = || format!("bad user name {spec}");
    if let Some(n) = spec.strip_prefix('#') {
        let uid: libc::uid_t = n.parse().map_err(|_| bad())?;
        // A numeric user may have no passwd entry: its primary group is then unknown.
        return Ok(match passwd(Lookup::Uid(uid)) {
            Some((_, gid, name)) => (uid, gid, Some(name)),
            None => (uid, libc::gid_t::MAX, None),
        });
    }
    let name = CString::new(spec).map_err(|_| bad())?;
    passwd(Lookup::Name(&name))
        .map(|(uid, gid, name)| (uid, gid, Some(name)))
        .ok_or_else(bad)
}

/// A group: `name` or `#gid`.
pub fn group(spec: &str) -> Result<libc::gid_t, String> {
    let bad = || format!("bad group name {spec}");
    if let Some(n) = spec.strip_prefix('#') {
        return n.parse().map_err(|_| bad());
    }
    let name = CString::new(spec).map_err(|_| bad())?;
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut buf = vec![0u8; 16384];
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; the result points into `grp`/`buf`.
    let rc = unsafe {
        libc::getgrnam_r(
            name.as_ptr(),
            &mut grp,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut out,
        )
    };
    if rc != 0 || out.is_null() {
        return Err(bad());
    }
    Ok(grp.gr_gid)
}

enum Lookup<'a> {
    Name(&'a CStr),
    Uid(libc::uid_t),
}

fn passwd(by: Lookup<'_>) -> Option<(libc::uid_t, libc::gid_t, CString)> {
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0u8; 16384];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call; the result points into `pw`/`buf`.
    let rc = unsafe {
        match by {
            Lookup::Name(n) => libc::getpwnam_r(
                n.as_ptr(),
                &mut pw,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut out,
            ),
            Lookup::Uid(u) => {
                libc::getpwuid_r(u, &mut pw, buf.as_mut_ptr().cast(), buf.len(), &mut out)
            }
        }
    };
    if rc != 0 || out.is_null() || pw.pw_name.is_null() {
        return None;
    }
    // SAFETY: pw_name is a NUL-terminated string in `buf`.
    let name = unsafe { CStr::from_ptr(pw.pw_name) }.to_owned();
    Some((pw.pw_uid, pw.pw_gid, name))
}

/// The master's pid, recorded before the MPM runs, so a child can tell that its parent is still
/// the master after dropping privileges.
static MASTER_PID: AtomicI32 = AtomicI32::new(0);

/// Records this process as the master.
pub fn set_master() {
    MASTER_PID.store(std::process::id() as i32, Ordering::Relaxed);
}

/// Whether privileges will be dropped: we are root.
pub fn running_as_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Becomes `run_as` (supplementary groups, group, then user: the other order would lose the
/// right to change groups). A no-op unless root. In a forked child, re-arms the parent-death
/// signal, which the kernel clears on a change of credentials, and then checks that the master
/// did not die meanwhile (`Err` says so; the child must exit).
pub fn drop_to(run_as: &RunAs) -> Result<(), String> {
    if !running_as_root() {
        return Ok(());
    }
    let gid = run_as.gid;
    // SAFETY: plain system calls with valid arguments.
    unsafe {
        let groups_ok = match &run_as.user_name {
            Some(name) => libc::initgroups(name.as_ptr(), gid) == 0,
            None => libc::setgroups(1, &gid) == 0,
        };
        if !groups_ok {
            return Err(format!(
                "setgroups/initgroups for gid {gid} failed: {}",
                std::io::Error::last_os_error()
            ));
        }
        if libc::setgid(gid) != 0 {
            return Err(format!(
                "setgid: unable to set group id to Group {gid}: {}",
                std::io::Error::last_os_error()
            ));
        }
        if libc::setuid(run_as.uid) != 0 {
            return Err(format!(
                "setuid: unable to change to uid: {}: {}",
                run_as.uid,
                std::io::Error::last_os_error()
            ));
        }
    }
    let master = MASTER_PID.load(Ordering::Relaxed);
    if master != 0 && master != std::process::id() as i32 {
        // SAFETY: prctl with a signal number.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong) };
        // SAFETY: getppid cannot fail.
        if unsafe { libc::getppid() } != master {
            return Err("the master exited while this child dropped its privileges".to_owned());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        let (uid, gid, name) = user("root").unwrap();
        assert_eq!((uid, gid), (0, 0));
        assert_eq!(name.unwrap().to_str().unwrap(), "root");
        assert_eq!(user("#0").unwrap().0, 0);
        assert_eq!(user("#4000000").unwrap().0, 4_000_000);
        assert_eq!(group("#7").unwrap(), 7);
        assert_eq!(group("root").unwrap(), 0);
        assert_eq!(
            user("no-such-user-here").unwrap_err(),
            "bad user name no-such-user-here"
        );
        assert_eq!(
            group("no-such-group-here").unwrap_err(),
            "bad group name no-such-group-here"
        );
        assert!(user("#x").is_err());
    }
}
