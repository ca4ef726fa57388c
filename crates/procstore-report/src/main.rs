//! `procstore-report`: renders `reports/` from every `reports/*/results.json`,
//! optionally adding other machines' results first.
//!
//! ```text
//! cargo run -p procstore-report -- [--reports DIR] [--add RESULTS.json ...]
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

/// Renders DIR/<arch>-<os>/REPORT.md and index.html for every
/// DIR/<arch>-<os>/results.json, then DIR/README.md and DIR/index.html
/// comparing the architectures.
#[derive(Debug, PartialEq, Parser)]
#[command(name = "procstore-report")]
struct Cli {
    /// The reports directory [default: the workspace's reports/]
    #[arg(long, value_name = "DIR")]
    reports: Option<PathBuf>,
    /// Validate each results.json (e.g. one downloaded from an ARM CI
    /// runner) and copy it to DIR/<its machine>/results.json before
    /// rendering; may be repeated
    #[arg(long, value_name = "FILE", num_args = 1..)]
    add: Vec<PathBuf>,
}

/// The workspace's `reports/`, two levels above this package.
fn default_reports() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().and_then(Path::parent).unwrap_or(manifest).join("reports")
}

/// clap's message without its usage and hints: `unexpected argument 'x' found`.
fn one_line(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

fn main() -> ExitCode {
    let Cli { reports, add } = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("procstore-report: {}", one_line(&error));
            return ExitCode::from(2);
        }
    };
    let reports = reports.unwrap_or_else(default_reports);
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

    fn args(list: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("procstore-report").chain(list.iter().copied()))
    }

    #[test]
    fn defaults_to_the_workspace_reports() {
        assert_eq!(args(&[]).unwrap(), Cli { reports: None, add: Vec::new() });
        let reports = default_reports();
        assert!(reports.ends_with("reports"));
        assert!(reports.parent().unwrap().join("Cargo.toml").exists());
    }

    #[test]
    fn reads_reports_and_several_adds() {
        assert_eq!(
            args(&["--add", "a.json", "b.json", "--reports", "out", "--add=c.json"]).unwrap(),
            Cli {
                reports: Some(PathBuf::from("out")),
                add: ["a.json", "b.json", "c.json"].map(PathBuf::from).to_vec(),
            }
        );
        assert!(args(&["--reports=x"]).is_ok());
        assert_eq!(args(&["-h"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
    }

    #[test]
    fn rejects_bad_arguments_in_one_line() {
        for bad in [
            &["--add"][..],
            &["--add", "--reports", "x"],
            &["--reports"],
            &["--reports", "a", "--reports", "b"],
            &["--frobnicate"],
            &["stray"],
        ] {
            let error = args(bad).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
            let line = one_line(&error);
            assert!(!line.is_empty() && !line.contains('\n') && !line.starts_with("error"), "{line}");
        }
    }
}
