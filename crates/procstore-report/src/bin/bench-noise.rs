//! `bench-noise`: the A/A control of `scripts/bench-compare.sh`. Reads
//! criterion's baselines of BASE run twice (A, A') and of the work tree (B),
//! and prints each benchmark's medians, A'/A, B/A and verdict: slower or
//! faster only when B/A differs from 1 by more than the largest |A'/A − 1|.
//!
//! ```text
//! bench-noise --criterion DIR --base REF --a NAME --a-again NAME [--tree NAME]
//! ```
//!
//! Exits 0 whatever the verdicts (it informs, it does not gate), 1 on input
//! it cannot use, 2 on bad arguments.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use procstore_report::{Baselines, noise_report};

/// Compares the work tree's criterion baseline with BASE's, against the
/// spread of BASE measured twice.
#[derive(Debug, PartialEq, Parser)]
#[command(name = "bench-noise")]
struct Cli {
    /// Criterion's output directory (`$CARGO_TARGET_DIR/criterion`)
    #[arg(long, value_name = "DIR")]
    criterion: PathBuf,
    /// The ref BASE was given as, for the output (`HEAD`, `origin/main`)
    #[arg(long, value_name = "REF")]
    base: String,
    /// The baseline of BASE's first run (A)
    #[arg(long, value_name = "NAME")]
    a: String,
    /// The baseline of BASE's second run (A'), the A/A control
    #[arg(long, value_name = "NAME")]
    a_again: String,
    /// The baseline of the work tree's run (B); without it the tree is BASE
    /// and the A/B comparison is the A/A control itself
    #[arg(long, value_name = "NAME")]
    tree: Option<String>,
}

/// clap's message without its usage and hints, on one line: `unexpected
/// argument 'x' found`; a list clap puts under a heading that ends in `:`
/// (the required arguments not given) follows it on the same line.
fn one_line(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let mut line = first.strip_prefix("error: ").unwrap_or(first).to_owned();
    if line.ends_with(':') {
        let items: Vec<_> =
            lines.take_while(|l| l.starts_with(' ')).map(str::trim).filter(|l| !l.is_empty()).collect();
        line = format!("{} {}", line, items.join(", "));
    }
    line
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("bench-noise: {}", one_line(&error));
            return ExitCode::from(2);
        }
    };
    let baselines = Baselines { base: &cli.a, base_again: &cli.a_again, tree: cli.tree.as_deref() };
    match noise_report(&cli.criterion, &cli.base, baselines) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("bench-noise: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("bench-noise").chain(list.iter().copied()))
    }

    #[test]
    fn reads_the_three_baselines_the_tree_optional() {
        let full =
            ["--criterion", "c", "--base", "HEAD~1", "--a", "aa-1", "--a-again", "aa-2", "--tree", "t"];
        assert_eq!(
            args(&full).unwrap(),
            Cli {
                criterion: PathBuf::from("c"),
                base: "HEAD~1".to_owned(),
                a: "aa-1".to_owned(),
                a_again: "aa-2".to_owned(),
                tree: Some("t".to_owned()),
            }
        );
        assert_eq!(args(&full[..8]).unwrap().tree, None);
        assert_eq!(args(&["--help"]).unwrap_err().kind(), ErrorKind::DisplayHelp);
    }

    #[test]
    fn rejects_bad_arguments_in_one_line() {
        for bad in [
            &[][..],
            &["--criterion", "c", "--base", "b", "--a", "x"],
            &["--criterion", "c", "--base", "b", "--a", "x", "--a-again", "y", "stray"],
            &["--criterion", "c", "--base", "b", "--a", "x", "--a-again", "y", "--tree"],
        ] {
            let error = args(bad).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
            let line = one_line(&error);
            assert!(!line.is_empty() && !line.contains('\n') && !line.starts_with("error"), "{line}");
            assert!(!line.ends_with(':'), "{line}");
        }
        let line = one_line(&args(&["--criterion", "c", "--base", "b", "--a", "x"]).unwrap_err());
        assert!(line.ends_with("provided: --a-again <NAME>"), "{line}");
    }
}
