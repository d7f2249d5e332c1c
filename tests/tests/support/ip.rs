//! The `ip` command, for the tests that build hosts out of network
//! namespaces (tests/transport_netns.rs, tests/cluster.rs).

use std::process::Command;

/// Runs `ip` with `args`; its error output when it fails.
pub(crate) fn ip(args: &[&str]) -> Result<(), String> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|error| format!("ip {args:?}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}
