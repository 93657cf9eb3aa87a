//! Which Linux capabilities the lab needs, whether this process has them, and
//! the command that grants them.
//!
//! Checked on Linux 6.18 by removing one capability at a time (`setpriv
//! --bounding-set`): `unshare(CLONE_NEWNET)` and `setns(CLONE_NEWNET)` fail
//! with EPERM without CAP_SYS_ADMIN (the bind mount that names a namespace
//! needs it too); `TUNSETIFF` and netlink link and address changes fail
//! without CAP_NET_ADMIN, and do not need CAP_SYS_ADMIN. CAP_NET_RAW is not needed by
//! the lab itself but by the capture that watches it, so the command grants
//! it too. Naming a namespace also writes under `/run/netns`, which is
//! root's: a non-root binary with these capabilities creates unnamed labs.

use std::fmt;
use std::path::PathBuf;

/// A Linux capability the lab may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// CAP_NET_ADMIN (12): TUN devices, links and addresses.
    NetAdmin,
    /// CAP_SYS_ADMIN (21): creating, entering and naming namespaces.
    SysAdmin,
}

impl Capability {
    /// The capability's number in the kernel's bit sets.
    fn bit(self) -> u32 {
        match self {
            Capability::NetAdmin => 12,
            Capability::SysAdmin => 21,
        }
    }

    /// The capability's name as `setcap` and the man pages write it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Capability::NetAdmin => "CAP_NET_ADMIN",
            Capability::SysAdmin => "CAP_SYS_ADMIN",
        }
    }
}

/// The capabilities a lab needs that this process lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct MissingCapabilities {
    /// What is missing, never empty.
    pub missing: Vec<Capability>,
    /// The executable the command should grant them to.
    pub executable: PathBuf,
}

impl MissingCapabilities {
    /// The command that grants every capability sockscope needs.
    #[must_use]
    pub fn grant_command(&self) -> String {
        format!(
            "sudo setcap cap_net_admin,cap_net_raw,cap_sys_admin=eip {}",
            self.executable.display()
        )
    }
}

impl fmt::Display for MissingCapabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.missing.iter().map(|cap| cap.name()).collect();
        write!(
            f,
            "the network lab needs {} (namespaces need CAP_SYS_ADMIN, TUN devices and netlink \
             need CAP_NET_ADMIN), which this process lacks; grant them with: {}",
            names.join(" and "),
            self.grant_command()
        )
    }
}

/// Checks that this thread holds every capability the lab needs.
///
/// # Errors
///
/// `MissingCapabilities` naming each one that is absent from the effective
/// set. If the set cannot be read (no `/proc`), the check passes and the
/// system calls themselves will say what is wrong.
pub fn check() -> Result<(), MissingCapabilities> {
    let Ok(status) = std::fs::read_to_string("/proc/thread-self/status") else {
        return Ok(());
    };
    let Some(effective) = effective_set(&status) else {
        return Ok(());
    };
    let missing = missing_from(effective);
    if missing.is_empty() {
        return Ok(());
    }
    let executable = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("sockscope"));
    Err(MissingCapabilities {
        missing,
        executable,
    })
}

/// The effective capability set from `/proc/…/status` text.
fn effective_set(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("CapEff:"))?;
    let hex = line.trim_start_matches("CapEff:").trim();
    u64::from_str_radix(hex, 16).ok()
}

/// The needed capabilities absent from `effective`.
fn missing_from(effective: u64) -> Vec<Capability> {
    [Capability::SysAdmin, Capability::NetAdmin]
        .into_iter()
        .filter(|cap| effective & (1 << cap.bit()) == 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_effective_set() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t0000000000201000\n";
        assert_eq!(effective_set(status), Some(0x0020_1000));
        assert_eq!(missing_from(0x0020_1000), vec![]);
        assert_eq!(missing_from(0x1000), vec![Capability::SysAdmin]);
        assert_eq!(
            missing_from(0),
            vec![Capability::SysAdmin, Capability::NetAdmin]
        );
    }

    #[test]
    fn the_message_names_what_is_missing_and_the_command() {
        let error = MissingCapabilities {
            missing: vec![Capability::SysAdmin, Capability::NetAdmin],
            executable: PathBuf::from("/opt/sockscope/target/release/sockscope"),
        };
        let text = error.to_string();
        assert!(text.contains("CAP_SYS_ADMIN and CAP_NET_ADMIN"), "{text}");
        assert!(
            text.contains(
                "sudo setcap cap_net_admin,cap_net_raw,cap_sys_admin=eip \
                 /opt/sockscope/target/release/sockscope"
            ),
            "{text}"
        );
    }
}
