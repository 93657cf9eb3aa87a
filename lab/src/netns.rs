//! Network namespaces: creating one (named under `/run/netns` or not),
//! running work inside it, removing it, and removing those a crashed process
//! left behind.
//!
//! A namespace is created by a short-lived std thread that calls
//! `unshare(CLONE_NEWNET)`: namespaces belong to threads, so only that thread
//! moves, and it ends right after. The namespace lives on through an open
//! file of `/proc/thread-self/ns/net` (and, when named, a bind mount of it on
//! `/run/netns/<name>`, which is all `ip netns add` does, so `ip netns exec`
//! works for a witness such as tshark). Work is run inside it by another
//! short-lived thread that enters it with `setns`; a socket or device created
//! there stays there when the thread ends. No tokio worker ever changes
//! namespace.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;

use crate::error::{LabError, NamespaceStep};

/// Where `ip netns` keeps named namespaces.
pub const NETNS_DIR: &str = "/run/netns";

/// Every name the lab gives starts with this, so that what it leaves behind
/// can be recognised (and nothing else is ever removed).
pub const PREFIX: &str = "sockscope-";

/// A network namespace the lab created; dropping it removes its name (the
/// namespace itself ends when the last socket inside it closes).
#[derive(Debug)]
pub struct Namespace {
    /// The open namespace, which keeps it alive and lets threads enter it.
    file: File,
    /// `/run/netns/<name>`, when named.
    path: Option<PathBuf>,
}

impl Namespace {
    /// Creates a namespace, named `name` under `/run/netns` when given.
    ///
    /// # Errors
    ///
    /// `NamespaceDirectory` when `/run/netns/<name>` cannot be created,
    /// `Namespace` when a system call fails, `Thread` when the creating
    /// thread cannot start.
    pub fn create(name: Option<&str>) -> Result<Namespace, LabError> {
        let path = name.map(|name| Path::new(NETNS_DIR).join(name));
        if let Some(path) = &path {
            create_mount_point(path)?;
        }
        let mount_at = path.clone();
        let created = std::thread::Builder::new()
            .name("sockscope-netns".into())
            .spawn(move || unshare_and_open(mount_at.as_deref()))
            .map_err(|source| LabError::Thread {
                role: "namespace",
                source,
            })?
            .join()
            .map_err(|_| LabError::Panicked)
            .and_then(|result| result);
        match created {
            Ok(file) => Ok(Namespace { file, path }),
            Err(error) => {
                if let Some(path) = &path {
                    remove_name(path);
                }
                Err(error)
            }
        }
    }

    /// The name `ip netns` knows it by, when named.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.path
            .as_deref()
            .and_then(Path::file_name)
            .and_then(|name| name.to_str())
    }

    /// Runs `work` on a short-lived thread that entered this namespace, and
    /// returns what it returns.
    ///
    /// # Errors
    ///
    /// `Thread` if the thread cannot start, `Namespace` if `setns` fails,
    /// `Panicked` if `work` panics.
    pub fn run<T: Send>(&self, work: impl FnOnce() -> T + Send) -> Result<T, LabError> {
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("sockscope-in-netns".into())
                .spawn_scoped(scope, || {
                    nix::sched::setns(&self.file, CloneFlags::CLONE_NEWNET).map_err(|source| {
                        LabError::Namespace {
                            step: NamespaceStep::Setns,
                            source,
                        }
                    })?;
                    Ok(work())
                })
                .map_err(|source| LabError::Thread {
                    role: "namespace",
                    source,
                })?
                .join()
                .map_err(|_| LabError::Panicked)?
        })
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            remove_name(path);
        }
    }
}

/// Creates the empty file a named namespace is mounted on, refusing to
/// reuse one.
fn create_mount_point(path: &Path) -> Result<(), LabError> {
    let directory_error = |source: io::Error| LabError::NamespaceDirectory {
        path: path.to_path_buf(),
        source,
    };
    fs::create_dir_all(NETNS_DIR).map_err(directory_error)?;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(directory_error)?;
    Ok(())
}

/// On the creating thread: moves it into a new namespace, opens that
/// namespace, and names it by a bind mount when asked.
fn unshare_and_open(mount_at: Option<&Path>) -> Result<File, LabError> {
    nix::sched::unshare(CloneFlags::CLONE_NEWNET).map_err(|source| LabError::Namespace {
        step: NamespaceStep::Unshare,
        source,
    })?;
    // `thread-self`, not `self`: `self` is the process's main thread, which
    // stays in the namespace it was in.
    let own = "/proc/thread-self/ns/net";
    let file = File::open(own).map_err(|error| LabError::Namespace {
        step: NamespaceStep::Open,
        source: nix::Error::from_raw(error.raw_os_error().unwrap_or(0)),
    })?;
    if let Some(path) = mount_at {
        nix::mount::mount(
            Some(own),
            path,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|source| LabError::Namespace {
            step: NamespaceStep::Mount,
            source,
        })?;
    }
    Ok(file)
}

/// Unmounts and deletes a namespace's name. Failures are ignored: this runs
/// on drop and on error paths, where the name may be half made.
fn remove_name(path: &Path) {
    let _unmounted = nix::mount::umount2(path, MntFlags::MNT_DETACH);
    let _removed = fs::remove_file(path);
}

/// The pid in a name the lab gave (`sockscope-<pid>-<n>-<side>`).
fn owner_pid(name: &str) -> Option<u32> {
    name.strip_prefix(PREFIX)?.split('-').next()?.parse().ok()
}

/// Removes the named namespaces that a process which no longer runs left
/// under `/run/netns` (a crash skips `Drop`), and returns their names.
/// Devices inside them go with them. Names of running processes, and names
/// the lab did not give, are left alone.
///
/// # Errors
///
/// The error reading `/run/netns`; its absence is not an error.
pub fn cleanup_stale() -> io::Result<Vec<String>> {
    remove_names(|pid| !Path::new("/proc").join(pid.to_string()).exists())
}

/// Removes every name this process's labs gave under `/run/netns`, and
/// returns them: for a shutdown path that ends the process without
/// dropping its labs (`std::process::exit`, or a runtime whose blocking
/// threads still hold one). Dropping a `Lab` already removes its names,
/// and its devices go with the process's file descriptors; but a named
/// namespace is a bind mount, which outlives the process until the next
/// lab's `cleanup_stale`. Labs still alive keep working (their namespaces
/// live on through their open files) but `ip netns exec` no longer finds
/// them; their `Drop` then has nothing left to do.
///
/// # Errors
///
/// The error reading `/run/netns`; its absence is not an error.
pub fn remove_all_of_this_process() -> io::Result<Vec<String>> {
    let own = std::process::id();
    remove_names(|pid| pid == own)
}

/// Removes the names the lab gave whose owner's pid `doomed` picks.
fn remove_names(doomed: impl Fn(u32) -> bool) -> io::Result<Vec<String>> {
    let entries = match fs::read_dir(NETNS_DIR) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let Some(pid) = owner_pid(&name) else {
            continue;
        };
        if !doomed(pid) {
            continue;
        }
        remove_name(&entry.path());
        removed.push(name);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_left_by_a_process_that_is_gone_is_removed() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: naming a namespace needs root");
            return;
        }
        // Above the kernel's largest pid (2^22), so no process has it.
        let name = "sockscope-9999999-0-client";
        let namespace = Namespace::create(Some(name)).unwrap();
        let path = Path::new(NETNS_DIR).join(name);
        // As a crash would: the name stays, nothing runs `Drop`.
        std::mem::forget(namespace);
        assert!(path.exists());
        let removed = cleanup_stale().unwrap();
        assert!(removed.iter().any(|removed| removed == name), "{removed:?}");
        assert!(!path.exists());
        // A live process's names are left alone.
        let own = format!("{PREFIX}{}-unit-client", std::process::id());
        let live = Namespace::create(Some(&own)).unwrap();
        assert!(!cleanup_stale().unwrap().contains(&own));
        assert_eq!(live.name(), Some(own.as_str()));

        // A shutdown path removes this process's names, and only those:
        // pid 1's is another (live) process's.
        let others = Namespace::create(Some("sockscope-1-0-client")).unwrap();
        let removed = remove_all_of_this_process().unwrap();
        assert!(removed.contains(&own), "{removed:?}");
        assert!(!removed.iter().any(|name| name.starts_with("sockscope-1-")));
        assert!(!Path::new(NETNS_DIR).join(&own).exists());
        assert!(Path::new(NETNS_DIR).join("sockscope-1-0-client").exists());
        // Dropping finds nothing left to remove, and says nothing.
        drop(live);
        drop(others);
        assert!(!Path::new(NETNS_DIR).join("sockscope-1-0-client").exists());
    }

    #[test]
    fn only_names_the_lab_gave_carry_a_pid() {
        assert_eq!(owner_pid("sockscope-4242-3-client"), Some(4242));
        assert_eq!(owner_pid("sockscope-x-3-client"), None);
        assert_eq!(owner_pid("blue"), None);
        assert_eq!(owner_pid("sockscopeX-1-1-client"), None);
    }
}
