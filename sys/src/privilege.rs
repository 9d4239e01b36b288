//! Privileges of a live capture: whether the process holds a capability, and
//! giving root up for the user who ran `sudo` once the capture is open, so
//! that nothing after the socket's creation runs as root.

use nix::unistd::{self, Gid, Uid, User};
use std::ffi::CString;

/// Bit of CAP_NET_RAW in the capability sets (linux/capability.h).
pub const CAP_NET_RAW: u32 = 13;

/// Whether capability `bit` is in the effective set; None if /proc cannot say.
pub fn has_capability(bit: u32) -> Option<bool> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?.trim();
    let set = u64::from_str_radix(hex, 16).ok()?;
    Some(bit < 64 && set & (1 << bit) != 0)
}

/// The account root was given up for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub uid: u32,
    pub gid: u32,
    pub user: Option<String>,
}

/// Giving root up failed: the run must not go on as root by surprise.
#[derive(Debug)]
pub struct DropError(String);

impl std::fmt::Display for DropError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot give up root for the user who ran sudo: {}", self.0)
    }
}

impl std::error::Error for DropError {}

/// Under sudo (effective uid 0, SUDO_UID naming another user), becomes that
/// user: their groups, then their gid, then their uid, in that order because
/// each step needs the privilege the next one removes. Ok(None) when not
/// under sudo (run as a user with capabilities, or as root on purpose).
pub fn drop_to_sudo_user() -> Result<Option<Dropped>, DropError> {
    if !unistd::geteuid().is_root() {
        return Ok(None);
    }
    let Some(uid) = env_id("SUDO_UID")? else {
        return Ok(None);
    };
    if uid == 0 {
        return Ok(None);
    }
    let account = User::from_uid(Uid::from_raw(uid)).ok().flatten();
    let gid = match (env_id("SUDO_GID")?, &account) {
        (Some(gid), _) => gid,
        (None, Some(a)) => a.gid.as_raw(),
        (None, None) => {
            return Err(DropError(format!(
                "SUDO_UID={uid} has no account and SUDO_GID is unset"
            )))
        }
    };
    let fail = |step: &str, e: nix::Error| DropError(format!("{step}: {e}"));
    match &account {
        // The user's own supplementary groups, as a login would set them.
        Some(a) => {
            let name = CString::new(a.name.as_str()).map_err(|e| DropError(e.to_string()))?;
            unistd::initgroups(&name, Gid::from_raw(gid)).map_err(|e| fail("initgroups", e))?
        }
        None => unistd::setgroups(&[Gid::from_raw(gid)]).map_err(|e| fail("setgroups", e))?,
    }
    unistd::setgid(Gid::from_raw(gid)).map_err(|e| fail("setgid", e))?;
    unistd::setuid(Uid::from_raw(uid)).map_err(|e| fail("setuid", e))?;
    // setuid from root sets real, effective and saved ids: root must be out of reach now.
    if unistd::setuid(Uid::from_raw(0)).is_ok() || unistd::geteuid().as_raw() != uid {
        return Err(DropError("root could be regained after setuid".into()));
    }
    Ok(Some(Dropped {
        uid,
        gid,
        user: account.map(|a| a.name),
    }))
}

fn env_id(name: &str) -> Result<Option<u32>, DropError> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| DropError(format!("{name}={v:?} is not a numeric id"))),
    }
}
