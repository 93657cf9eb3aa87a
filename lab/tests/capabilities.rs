//! Without CAP_SYS_ADMIN and CAP_NET_ADMIN, creating a lab fails with a
//! typed error that names what is missing and the command that grants it.
//!
//! As root the test runs itself again under `setpriv`, with both removed
//! from the bounding set (so the child, though root, lacks them), and the
//! child makes the assertions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::process::Command;

use sockscope_lab::{Capability, Lab, LabConfig, LabError};

/// Set in the child run.
const CHILD: &str = "SOCKSCOPE_LAB_WITHOUT_CAPABILITIES";

#[test]
fn without_the_capabilities_creation_names_them_and_the_command() {
    if std::env::var_os(CHILD).is_some() {
        let error = Lab::create(LabConfig::default()).unwrap_err();
        let LabError::MissingCapabilities(missing) = &error else {
            panic!("expected MissingCapabilities, got {error:?}");
        };
        assert_eq!(
            missing.missing,
            vec![Capability::SysAdmin, Capability::NetAdmin]
        );
        let text = error.to_string();
        let executable = std::env::current_exe().unwrap();
        let command = format!(
            "sudo setcap cap_net_admin,cap_net_raw,cap_sys_admin=eip {}",
            executable.display()
        );
        assert!(text.contains(&command), "{text}");
        assert!(text.contains("CAP_SYS_ADMIN and CAP_NET_ADMIN"), "{text}");
        println!("checked without capabilities");
        return;
    }
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: removing capabilities to test their absence needs root");
        return;
    }
    let output = Command::new("setpriv")
        .args(["--bounding-set", "-sys_admin,-net_admin"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "without_the_capabilities_creation_names_them_and_the_command",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .expect("setpriv (util-linux) runs the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("checked without capabilities"),
        "the child failed: {stdout}\n{stderr}"
    );
}
