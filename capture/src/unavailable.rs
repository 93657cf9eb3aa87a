//! Why live capture cannot run, in words a user can act on.
//!
//! Capture needs CAP_NET_RAW. Root has it and a normal user usually does
//! not; sockscope keeps working without capture (socket calls only), so the
//! one thing that matters is telling the user exactly what to run. libpcap's
//! own messages ("socket: Operation not permitted") are kept inside the
//! reason for whoever debugs, but the sentence leads with what it means.

use std::fmt;
use std::path::Path;

/// Live capture is not possible, with the reason and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    pub kind: UnavailableKind,
    /// What went wrong, as a sentence.
    pub reason: String,
    /// What to do about it: for [`UnavailableKind::NoPermission`] the exact
    /// command to run; empty when there is nothing specific to suggest.
    pub fix: String,
}

/// The broad cause of an [`Unavailable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnavailableKind {
    /// The process lacks CAP_NET_RAW (and CAP_NET_ADMIN).
    NoPermission,
    /// The interface does not exist.
    NoSuchInterface,
    /// Anything else: libpcap failed, the link type is not supported, or
    /// the capture thread stopped.
    Failed,
}

impl Unavailable {
    /// Explains a libpcap error met while opening `interface`.
    pub(crate) fn from_open_error(interface: &str, error: &pcap::Error) -> Unavailable {
        let detail = error.to_string();
        let lower = detail.to_lowercase();
        if lower.contains("permission") || lower.contains("not permitted") {
            Unavailable::no_permission(interface, &detail)
        } else if lower.contains("no such device") {
            Unavailable {
                kind: UnavailableKind::NoSuchInterface,
                reason: format!("there is no network interface named {interface:?} ({detail})"),
                fix: "list the interfaces with `ip link` and pick one of them, or \"any\""
                    .to_owned(),
            }
        } else {
            Unavailable::failed(format!("cannot capture on {interface}: {detail}"))
        }
    }

    fn no_permission(interface: &str, detail: &str) -> Unavailable {
        let fix = match std::env::current_exe() {
            Ok(exe) => format!(
                "sudo setcap cap_net_raw,cap_net_admin=eip {}",
                shell_quoted(&exe)
            ),
            Err(_) => "run sockscope as root".to_owned(),
        };
        Unavailable {
            kind: UnavailableKind::NoPermission,
            reason: format!(
                "no permission to capture on {interface}: capture needs CAP_NET_RAW \
                 (and CAP_NET_ADMIN); grant them to this program, or run it as root \
                 ({detail})"
            ),
            fix,
        }
    }

    /// A capture that failed for `reason`, with nothing the user can grant
    /// to fix it.
    pub fn failed(reason: String) -> Unavailable {
        Unavailable {
            kind: UnavailableKind::Failed,
            reason,
            fix: String::new(),
        }
    }
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.fix.is_empty() {
            write!(f, "{}", self.reason)
        } else {
            write!(f, "{}; to fix: {}", self.reason, self.fix)
        }
    }
}

impl std::error::Error for Unavailable {}

/// The path as one shell word, so the fix can be pasted as it is even when
/// the path holds spaces.
fn shell_quoted(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+,=:@".contains(c));
    if plain && !text.is_empty() {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_errors_name_the_capability_and_the_command() {
        let error = pcap::Error::PcapError(
            "lo: You don't have permission to perform this capture on that device \
             (socket: Operation not permitted)"
                .to_owned(),
        );
        let unavailable = Unavailable::from_open_error("lo", &error);
        assert_eq!(unavailable.kind, UnavailableKind::NoPermission);
        assert!(unavailable.reason.contains("CAP_NET_RAW"));
        assert!(
            unavailable
                .fix
                .starts_with("sudo setcap cap_net_raw,cap_net_admin=eip /")
        );
    }

    #[test]
    fn a_missing_interface_is_named() {
        let error = pcap::Error::PcapError("nope0: No such device exists".to_owned());
        let unavailable = Unavailable::from_open_error("nope0", &error);
        assert_eq!(unavailable.kind, UnavailableKind::NoSuchInterface);
        assert!(unavailable.reason.contains("\"nope0\""));
    }

    #[test]
    fn paths_with_spaces_are_quoted() {
        assert_eq!(
            shell_quoted(Path::new("/usr/bin/sockscope")),
            "/usr/bin/sockscope"
        );
        assert_eq!(
            shell_quoted(Path::new("/home/a b/it's")),
            r"'/home/a b/it'\''s'"
        );
    }
}
