//! The operator's commands, run as the real binary over a real data folder:
//! each is a library call on `selfdata::App`, the binary only parses and prints.

use bytes::Bytes;
use selfdata_store::PodName;

use crate::e2e;

/// The demo household's electricity export.
fn electricity() -> Vec<u8> {
    selfdata_energy::demo::household(jiff::civil::date(2026, 10, 15), 1, 7)
        .into_iter()
        .find(|f| f.name.ends_with(".csv") && !f.name.contains("litres"))
        .unwrap()
        .bytes
}

#[tokio::test]
async fn import_and_reindex_go_through_every_service_and_say_what_they_did() {
    let dir = tempfile::tempdir().unwrap();
    let options = || selfdata::Options::new(dir.path(), "http://127.0.0.1:9");
    let pod = PodName::parse("cli").unwrap();
    {
        let app = selfdata::App::open(options()).await.unwrap();
        app.create_pod(&pod).await.unwrap();
    }
    let file = dir.path().join("enedis.csv");
    std::fs::write(&file, electricity()).unwrap();
    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "shopping list\nbread\n").unwrap();

    let (ok, out, err) = e2e::try_run(
        dir.path(),
        &["import", "--pod", "cli", file.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(out.contains("readings imported"), "{out}");
    let (ok, out, _) = e2e::try_run(
        dir.path(),
        &["import", "--pod", "cli", file.to_str().unwrap()],
    );
    assert!(ok);
    assert!(out.contains("already imported: nothing new"), "{out}");
    assert!(
        out.contains("Enedis") && out.contains(": 0 of ") && out.contains(" records added"),
        "the layout and the records added: {out}"
    );

    // A bank statement goes to the budget service, and --json says the same as one object.
    let statement = dir.path().join("releve.csv");
    std::fs::write(
        &statement,
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../budget/tests/fixtures/credit_agricole.csv"
        ))
        .unwrap(),
    )
    .unwrap();
    let (ok, out, err) = e2e::try_run(
        dir.path(),
        &[
            "import",
            "--pod",
            "cli",
            "--json",
            statement.to_str().unwrap(),
            junk.to_str().unwrap(),
        ],
    );
    assert!(!ok, "one of the two files was refused: {err}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["service"], "budget");
    assert_eq!(
        lines[0]["layout"],
        "Crédit Agricole account statement (CSV)"
    );
    assert_eq!(
        (lines[0]["readings"].as_u64(), lines[0]["changed"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(lines[0]["file"], statement.to_str().unwrap());
    assert_eq!(lines[1]["file"], junk.to_str().unwrap());
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .contains("not an export selfdata can read"),
        "{out}"
    );

    // A file no service reads is refused, saying which exports are read.
    let (ok, _, err) = e2e::try_run(
        dir.path(),
        &["import", "--pod", "cli", junk.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(err.contains("not an export selfdata can read"), "{err}");
    assert!(err.contains("Enedis"), "{err}");

    let (ok, _, err) = e2e::try_run(
        dir.path(),
        &["import", "--pod", "nobody", file.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(err.contains("there is no pod named 'nobody'"), "{err}");

    let (ok, out, err) = e2e::try_run(dir.path(), &["reindex", "--pod", "cli"]);
    assert!(ok, "{err}");
    assert!(out.contains("cli: energy: "), "{out}");
    assert!(out.contains("records indexed"), "{out}");
}

#[tokio::test]
async fn rotating_the_master_key_keeps_every_pod_readable_with_the_new_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let options = || selfdata::Options::new(dir.path(), "http://127.0.0.1:9");
    let pod = PodName::parse("keys").unwrap();
    {
        let app = selfdata::App::open(options()).await.unwrap();
        app.create_pod(&pod).await.unwrap();
        app.import_file(&pod, Bytes::from(electricity()))
            .await
            .unwrap();
    }
    let key_file = dir.path().join("master.key");
    let before = std::fs::read(&key_file).unwrap();
    let (ok, out, err) = e2e::try_run(dir.path(), &["keys", "rotate-master"]);
    assert!(ok, "{err}");
    assert!(out.contains("Re-wrapped 1 pod data keys"), "{out}");
    assert_ne!(std::fs::read(&key_file).unwrap(), before, "a new key file");
    assert!(!dir.path().join("master.key.new").exists());

    let app = selfdata::App::open(options()).await.unwrap();
    let readings = app.reindex(&pod).await.unwrap();
    assert!(readings[0].1 > 300, "{readings:?}");
}

/// Conformance finding (issue 16): a `--base-url` ending in `/` printed
/// addresses with a doubled slash; an address that is not one is refused.
#[tokio::test]
async fn conformance_a_base_url_with_a_trailing_slash_prints_no_double_slash() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = e2e::try_run(
        dir.path(),
        &[
            "pod",
            "create",
            "slash",
            "--base-url",
            "https://pods.example.org/",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("https://pods.example.org/slash/"), "{out}");
    let after_scheme = out.replace("://", "");
    assert!(!after_scheme.contains("//"), "{out}");
    let (ok, _, err) = e2e::try_run(
        dir.path(),
        &["pod", "create", "other", "--base-url", "pods.example.org"],
    );
    assert!(!ok);
    assert!(
        err.contains("http://") && !err.contains("panicked"),
        "{err}"
    );
}

/// Runs the binary with exactly these arguments and environment (no
/// `--data` added): whether it succeeded, and what it printed.
fn selfdata(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_selfdata"));
    command
        .args(args)
        .env("SELFDATA_LOG", "warn")
        .env_remove("SELFDATA_BASE_URL")
        .env_remove("SELFDATA_CONFIG")
        .env_remove("SELFDATA_DATA");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

/// Issue 18: one configuration file read by every command; a flag wins
/// over its variable, which wins over the file, which wins over the
/// default; `config check` explains each problem; a file with an unknown
/// setting stops every command with a sentence.
#[test]
fn the_configuration_file_is_read_by_every_command_below_flags_and_variables() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pods");
    let file = dir.path().join("selfdata.toml");
    std::fs::write(
        &file,
        format!(
            "# The city's settings\ndata = {:?}\nbase-url = \"https://file.example\"\nsignup = \"invite\"\n",
            data.to_str().unwrap()
        ),
    )
    .unwrap();
    let config = file.to_str().unwrap();

    // The file alone: its data folder and its address.
    let (ok, said) = selfdata(&["--config", config, "pod", "create", "alpha"], &[]);
    assert!(ok, "{said}");
    assert!(said.contains("https://file.example/alpha/"), "{said}");
    assert!(data.is_dir(), "the pods went to the file's folder");
    // Named by the variable instead of the flag; the variable's address wins.
    let (ok, said) = selfdata(
        &["pod", "create", "beta"],
        &[
            ("SELFDATA_CONFIG", config),
            ("SELFDATA_BASE_URL", "https://env.example"),
        ],
    );
    assert!(ok, "{said}");
    assert!(said.contains("https://env.example/beta/"), "{said}");
    // The flag wins over both.
    let (ok, said) = selfdata(
        &[
            "pod",
            "create",
            "gamma",
            "--base-url",
            "https://flag.example",
        ],
        &[
            ("SELFDATA_CONFIG", config),
            ("SELFDATA_BASE_URL", "https://env.example"),
        ],
    );
    assert!(ok, "{said}");
    assert!(said.contains("https://flag.example/gamma/"), "{said}");
    // Every pod went to the file's folder.
    let (ok, listed) = selfdata(&["--config", config, "pod", "list"], &[]);
    assert!(ok, "{listed}");
    for pod in ["alpha", "beta", "gamma"] {
        assert!(listed.contains(pod), "{listed}");
    }

    let (ok, said) = selfdata(&["--config", config, "config", "check"], &[]);
    assert!(ok, "{said}");
    assert!(said.contains("no problem found"), "{said}");

    // Problems, each in a sentence; no command runs with them.
    std::fs::write(
        &file,
        "addr = \"everywhere\"\nsignup = \"sometimes\"\nbase_url = \"https://ok.example\"\nmax-pods = 3\n",
    )
    .unwrap();
    let (ok, said) = selfdata(&["--config", config, "config", "check"], &[]);
    assert!(!ok, "{said}");
    assert!(
        said.contains("`addr`: invalid value 'everywhere'"),
        "{said}"
    );
    assert!(
        said.contains("`signup`: invalid value 'sometimes'"),
        "{said}"
    );
    assert!(
        said.contains("`max-pods` is not a setting of selfdata"),
        "{said}"
    );
    assert!(!said.contains("base_url"), "{said}");
    let (ok, said) = selfdata(&["--config", config, "pod", "list"], &[]);
    assert!(!ok);
    assert!(said.contains("`max-pods` is not a setting"), "{said}");
    let (ok, said) = selfdata(
        &["--config", "/nonexistent/selfdata.toml", "pod", "list"],
        &[],
    );
    assert!(!ok);
    assert!(
        said.contains("cannot read the configuration file"),
        "{said}"
    );
}
