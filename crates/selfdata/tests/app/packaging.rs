//! Issue 18, running as a service: the systemd unit passes
//! `systemd-analyze verify` with its hardening (the data folder the only
//! writable path), the configuration the install script writes passes
//! `config check` and names that same folder, and the script is valid shell.

use crate::e2e;

fn read(path: &str) -> String {
    std::fs::read_to_string(e2e::repo().join(path)).unwrap()
}

#[test]
fn the_systemd_unit_verifies_and_writes_only_the_data_folder() {
    let unit = read("packaging/systemd/selfdata.service");
    for line in [
        "User=selfdata",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/selfdata",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=\n",
        "Environment=SELFDATA_CONFIG=/etc/selfdata/selfdata.toml",
        "ExecStart=/usr/local/bin/selfdata serve",
        "KillSignal=SIGTERM",
    ] {
        assert!(unit.contains(line), "the unit lacks {line:?}");
    }
    // Verified as installed, but starting the binary just built.
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().join("selfdata.service");
    std::fs::write(
        &here,
        unit.replace("/usr/local/bin/selfdata", env!("CARGO_BIN_EXE_selfdata")),
    )
    .unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&here)
        .output()
        .expect("systemd-analyze (Debian's systemd; scripts/system-deps.sh --browser installs it)");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_installed_configuration_checks_and_names_the_units_data_folder() {
    let config = e2e::repo().join("packaging/selfdata.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_selfdata"))
        .args(["config", "check", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("no problem found"),
        "{said}"
    );
    assert!(read("packaging/selfdata.toml").contains("data = \"/var/lib/selfdata\""));
    let script = e2e::repo().join("scripts/install-service.sh");
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(syntax.success());
    let text = read("scripts/install-service.sh");
    assert!(text.contains("packaging/selfdata.toml /etc/selfdata/selfdata.toml"));
    assert!(text.contains("systemd-analyze verify"));
}
