//! The configuration file: one TOML file of `setting = value` lines, named
//! like the command-line options without their dashes (`base-url =
//! "https://pods.city.example"`, `data = "/var/lib/selfdata"`,
//! `log-json = true`, `trusted-issuer = ["https://a", "https://b"]`), read
//! by `serve` and every other command: each command takes the settings it
//! has an option for and leaves the others.
//!
//! Found at `--config FILE`, else `$SELFDATA_CONFIG`, else
//! [`DEFAULT_PATH`] when it exists; no file at all is fine. A flag wins over
//! its environment variable, which wins over the file, which wins over the
//! built-in default: the file's settings are handed to clap as options only
//! for the options the command line and the environment left unset, so
//! every value goes through the same parsing and checks as a flag.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command};

/// Where the file is looked for when neither `--config` nor
/// `$SELFDATA_CONFIG` names one.
pub const DEFAULT_PATH: &str = "/etc/selfdata/selfdata.toml";

/// A problem with the configuration file, in a sentence.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: {problem}")]
    Setting { path: PathBuf, problem: String },
}

/// The file in force: given, from the environment, or the default one if
/// it exists.
pub fn locate(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = given {
        return Some(path.to_owned());
    }
    let default = Path::new(DEFAULT_PATH);
    default.exists().then(|| default.to_owned())
}

/// Reads the file's settings.
pub fn read(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            message: e.message().to_owned() + &line_of(&text, e.span()),
        })
}

fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|s| {
        let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
        format!(" (line {line})")
    })
    .unwrap_or_default()
}

/// `argv` with the file's settings added as options, for the options of
/// the command it runs that neither `argv` nor the environment set.
/// `argv` that clap refuses anyway (`--help`, a typo) is returned as is,
/// for clap to answer.
pub fn with_file(cli: &Command, argv: Vec<OsString>) -> Result<Vec<OsString>, ConfigError> {
    let mut cli = cli.clone();
    cli.build();
    let Ok(matches) = cli.clone().try_get_matches_from(&argv) else {
        return Ok(argv);
    };
    // `selfdata config …` reads the file itself, to explain its problems.
    if matches.subcommand_name() == Some("config") {
        return Ok(argv);
    }
    let given = matches.get_one::<PathBuf>("config").map(PathBuf::as_path);
    let Some(path) = locate(given) else {
        return Ok(argv);
    };
    let table = read(&path)?;
    let (command, matches) = deepest(&cli, &matches);
    let mut added = Vec::new();
    for (key, value) in &table {
        let long = key.replace('_', "-");
        let Some(arg) = command
            .get_arguments()
            .find(|a| a.get_long() == Some(long.as_str()))
        else {
            if !known_anywhere(&cli, &long) {
                return Err(ConfigError::Setting {
                    path,
                    problem: unknown(key),
                });
            }
            continue;
        };
        if matches!(
            matches.value_source(arg.get_id().as_str()),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            continue;
        }
        added.extend(
            as_options(&long, arg.get_action(), value).map_err(|problem| ConfigError::Setting {
                path: path.clone(),
                problem,
            })?,
        );
    }
    // Before a `--` that ends the options, if there is one.
    let mut argv = argv;
    let at = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
    argv.splice(at..at, added);
    Ok(argv)
}

/// The subcommand that runs, and its matches.
fn deepest<'c, 'm>(cli: &'c Command, matches: &'m ArgMatches) -> (&'c Command, &'m ArgMatches) {
    let (mut command, mut matches) = (cli, matches);
    while let Some((name, sub)) = matches.subcommand() {
        match command.find_subcommand(name) {
            Some(c) => (command, matches) = (c, sub),
            None => break,
        }
    }
    (command, matches)
}

/// Whether any command has an option of that name.
fn known_anywhere(command: &Command, long: &str) -> bool {
    command.get_arguments().any(|a| a.get_long() == Some(long))
        || command.get_subcommands().any(|c| known_anywhere(c, long))
}

fn unknown(key: &str) -> String {
    format!(
        "`{key}` is not a setting of selfdata: settings are named like the command-line options without their dashes (see `selfdata serve --help`)"
    )
}

/// A setting as options: `--name=value`, `--name` for a flag set to true,
/// one `--name=item` per item of a list.
fn as_options(
    long: &str,
    action: &ArgAction,
    value: &toml::Value,
) -> Result<Vec<OsString>, String> {
    let scalar = |v: &toml::Value| -> Result<String, String> {
        match v {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Float(f) => Ok(f.to_string()),
            toml::Value::Boolean(b) => Ok(b.to_string()),
            _ => Err(format!(
                "`{long}` takes a single value (text in quotes, a number or true/false)"
            )),
        }
    };
    let option = |v: String| OsString::from(format!("--{long}={v}"));
    match (action, value) {
        (ArgAction::SetTrue, toml::Value::Boolean(true)) => Ok(vec![format!("--{long}").into()]),
        (ArgAction::SetTrue, toml::Value::Boolean(false)) => Ok(Vec::new()),
        (ArgAction::SetTrue, _) => Err(format!("`{long}` is true or false")),
        (ArgAction::Append, toml::Value::Array(items)) => {
            items.iter().map(|v| scalar(v).map(option)).collect()
        }
        (_, toml::Value::Array(_)) => Err(format!("`{long}` takes one value, not a list")),
        (_, v) => Ok(vec![option(scalar(v)?)]),
    }
}

/// `selfdata config check`: each problem of the file in a sentence (empty:
/// none). Every setting is tried as the option of the first command that
/// has it, so a value a command would refuse is reported now.
pub fn check(cli: &Command, path: &Path) -> Result<Vec<String>, ConfigError> {
    let table = read(path)?;
    let mut cli = cli.clone();
    cli.build();
    let mut problems = Vec::new();
    for (key, value) in &table {
        let long = key.replace('_', "-");
        let Some((mut route, action)) = first_with(&cli, &long, Vec::new()) else {
            problems.push(unknown(key));
            continue;
        };
        let options = match as_options(&long, &action, value) {
            Ok(o) => o,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        route.insert(0, "selfdata".into());
        route.extend(options);
        if let Err(e) = cli.clone().try_get_matches_from(route)
            && e.kind() != clap::error::ErrorKind::MissingRequiredArgument
            && e.kind() != clap::error::ErrorKind::MissingSubcommand
            && e.kind() != clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        {
            let said = e.to_string();
            let first = said.lines().next().unwrap_or_default();
            problems.push(format!("`{key}`: {}", first.trim_start_matches("error: ")));
        }
    }
    Ok(problems)
}

/// The subcommands leading to the first command with that option, and its
/// action.
fn first_with(
    command: &Command,
    long: &str,
    route: Vec<OsString>,
) -> Option<(Vec<OsString>, ArgAction)> {
    if let Some(arg) = command.get_arguments().find(|a| a.get_long() == Some(long)) {
        return Some((route, arg.get_action().clone()));
    }
    command.get_subcommands().find_map(|sub| {
        let mut route = route.clone();
        route.push(sub.get_name().into());
        first_with(sub, long, route)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Arg;

    fn cli() -> Command {
        Command::new("selfdata")
            .arg(
                Arg::new("config")
                    .long("config")
                    .global(true)
                    .value_parser(clap::value_parser!(PathBuf)),
            )
            .arg(
                Arg::new("data")
                    .long("data")
                    .global(true)
                    .env("T_SELFDATA_DATA")
                    .default_value("d"),
            )
            .subcommand(
                Command::new("serve")
                    .arg(
                        Arg::new("addr")
                            .long("addr")
                            .value_parser(clap::value_parser!(std::net::SocketAddr))
                            .default_value("127.0.0.1:8000"),
                    )
                    .arg(
                        Arg::new("log-json")
                            .long("log-json")
                            .action(ArgAction::SetTrue),
                    )
                    .arg(
                        Arg::new("trusted-issuer")
                            .long("trusted-issuer")
                            .action(ArgAction::Append),
                    ),
            )
            .subcommand(Command::new("pod").subcommand(Command::new("list")))
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    fn argv(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_file_fills_what_the_command_line_left_unset() {
        let f = file(
            "data = \"/srv/pods\"\naddr = \"0.0.0.0:443\"\nlog_json = true\ntrusted-issuer = [\"https://a\", \"https://b\"]\n",
        );
        let config = f.path().to_str().unwrap();
        let out = with_file(
            &cli(),
            argv(&[
                "selfdata",
                "--config",
                config,
                "serve",
                "--addr",
                "10.0.0.1:80",
            ]),
        )
        .unwrap();
        let m = cli().try_get_matches_from(out).unwrap();
        assert_eq!(m.get_one::<String>("data").unwrap(), "/srv/pods");
        let serve = m.subcommand_matches("serve").unwrap();
        assert_eq!(
            serve
                .get_one::<std::net::SocketAddr>("addr")
                .unwrap()
                .to_string(),
            "10.0.0.1:80"
        );
        assert!(serve.get_flag("log-json"));
        let issuers: Vec<&String> = serve.get_many("trusted-issuer").unwrap().collect();
        assert_eq!(issuers, ["https://a", "https://b"]);
        // A command without those options takes only what it has.
        let out = with_file(
            &cli(),
            argv(&["selfdata", "pod", "list", "--config", config]),
        )
        .unwrap();
        let m = cli().try_get_matches_from(out).unwrap();
        assert_eq!(m.get_one::<String>("data").unwrap(), "/srv/pods");
    }

    #[test]
    fn unknown_settings_and_wrong_shapes_are_refused_in_a_sentence() {
        let f = file("dta = \"/srv\"\n");
        let config = f.path().to_str().unwrap();
        let e = with_file(
            &cli(),
            argv(&["selfdata", "--config", config, "pod", "list"]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("`dta` is not a setting"), "{e}");
        let f = file("log-json = \"yes\"\n");
        let config = f.path().to_str().unwrap();
        let e = with_file(&cli(), argv(&["selfdata", "--config", config, "serve"])).unwrap_err();
        assert!(e.to_string().contains("true or false"), "{e}");
        let f = file("addr = [\n");
        let e = read(f.path()).unwrap_err();
        assert!(
            e.to_string().contains("is not TOML") && e.to_string().contains("line"),
            "{e}"
        );
    }

    #[test]
    fn check_reports_each_problem() {
        let f = file("addr = \"not an address\"\ndta = 1\nlog-json = true\ndata = \"/srv\"\n");
        let problems = check(&cli(), f.path()).unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with("`addr`: invalid value"),
            "{problems:?}"
        );
        assert!(
            problems[1].contains("`dta` is not a setting"),
            "{problems:?}"
        );
    }
}
