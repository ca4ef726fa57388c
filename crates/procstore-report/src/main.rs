//! `procstore-report`: renders `reports/` from every `reports/*/results.json`,
//! optionally adding other machines' results first.
//!
//! ```text
//! cargo run -p procstore-report -- [--reports DIR] [--add RESULTS.json ...]
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
usage: procstore-report [--reports DIR] [--add RESULTS.json ...]

Renders DIR/<arch>-<os>/REPORT.md and index.html for every
DIR/<arch>-<os>/results.json, then DIR/README.md and DIR/index.html
comparing the architectures.

options:
  --reports DIR          the reports directory (default: the workspace's reports/)
  --add FILE [FILE ...]  validate each results.json (e.g. one downloaded from an
                         ARM CI runner) and copy it to DIR/<its machine>/results.json
                         before rendering; may be repeated
  -h, --help             print this help";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    /// Print the usage.
    Help,
    /// Add `add`, then render `reports`.
    Render { reports: PathBuf, add: Vec<PathBuf> },
}

/// The workspace's `reports/`, two levels above this package.
fn default_reports() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().and_then(Path::parent).unwrap_or(manifest).join("reports")
}

fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut reports = None;
    let mut add = Vec::new();
    let mut args = args.into_iter().peekable();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        let (flag, inline) = match text.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_owned(), Some(value)),
            _ => (text.to_string(), None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--reports" => {
                let dir = match inline {
                    Some(value) => OsString::from(value),
                    None => args
                        .next()
                        .filter(|v| !v.to_string_lossy().starts_with("--"))
                        .ok_or("--reports needs a directory")?,
                };
                if reports.replace(PathBuf::from(dir)).is_some() {
                    return Err("--reports given twice".to_owned());
                }
            }
            "--add" => {
                let before = add.len();
                if let Some(value) = inline {
                    add.push(PathBuf::from(value));
                }
                while let Some(file) = args.next_if(|next| !next.to_string_lossy().starts_with("--")) {
                    add.push(PathBuf::from(file));
                }
                if add.len() == before {
                    return Err("--add needs at least one results.json".to_owned());
                }
            }
            _ => return Err(format!("unexpected argument `{text}`")),
        }
    }
    Ok(Command::Render { reports: reports.unwrap_or_else(default_reports), add })
}

fn main() -> ExitCode {
    let (reports, add) = match parse(std::env::args_os().skip(1)) {
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Render { reports, add }) => (reports, add),
        Err(problem) => {
            eprintln!("procstore-report: {problem}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if !add.is_empty() {
        match procstore_report::add_results(&reports, &add) {
            Ok(added) => {
                for (from, to) in add.iter().zip(&added) {
                    println!("added {} as {}", from.display(), to.display());
                }
            }
            Err(error) => {
                eprintln!("procstore-report: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    match procstore_report::render_all(&reports) {
        Ok(written) => {
            for path in written {
                println!("wrote {}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("procstore-report: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Command, String> {
        parse(list.iter().map(OsString::from))
    }

    #[test]
    fn defaults_to_the_workspace_reports() {
        let Ok(Command::Render { reports, add }) = args(&[]) else { panic!() };
        assert!(reports.ends_with("reports") && add.is_empty());
        assert!(reports.parent().unwrap().join("Cargo.toml").exists());
    }

    #[test]
    fn reads_reports_and_several_adds() {
        assert_eq!(
            args(&["--add", "a.json", "b.json", "--reports", "out", "--add=c.json"]),
            Ok(Command::Render {
                reports: PathBuf::from("out"),
                add: ["a.json", "b.json", "c.json"].map(PathBuf::from).to_vec(),
            })
        );
        assert_eq!(args(&["--reports=x"]).map(|_| ()), Ok(()));
        assert_eq!(args(&["-h"]), Ok(Command::Help));
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(args(&["--add"]).is_err());
        assert!(args(&["--add", "--reports", "x"]).is_err());
        assert!(args(&["--reports"]).is_err());
        assert!(args(&["--reports", "a", "--reports", "b"]).is_err());
        assert!(args(&["--frobnicate"]).is_err());
        assert!(args(&["stray"]).is_err());
    }
}
