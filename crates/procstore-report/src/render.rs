//! Rendering every architecture under `reports/`, and the comparison.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::instructions::{CALLGRIND_FILE, CallgrindCounts, INSTRUCTIONS_FILE};
use crate::load::{LoadError, load, load_callgrind_counts, load_instructions};
use crate::report;
use crate::schema::Results;
use crate::{compare, html, markdown};

/// The file each architecture's directory holds.
pub const RESULTS_FILE: &str = "results.json";

/// One thing that went wrong while rendering; the rest was still rendered.
#[derive(Debug)]
pub enum Problem {
    /// A `results.json` could not be used.
    Load(LoadError),
    /// A report could not be written.
    Write {
        /// The file being written.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Load(error) => error.fmt(f),
            Problem::Write { path, source } => {
                write!(f, "{}: cannot write: {source}", path.display())
            }
        }
    }
}

/// The message names the file and the cause in full, so no `source()`
/// repeats it down an error chain.
impl std::error::Error for Problem {}

/// Why [`render_all`] failed.
#[derive(Debug)]
pub enum RenderError {
    /// The reports directory does not exist.
    NoReportsDir {
        /// The directory.
        path: PathBuf,
    },
    /// The reports directory could not be listed.
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// No `<dir>/results.json` under the reports directory.
    NoResults {
        /// The directory.
        path: PathBuf,
    },
    /// Some results could not be rendered; every other one was.
    Failed {
        /// The reports directory.
        path: PathBuf,
        /// Architectures rendered.
        rendered: usize,
        /// Everything that went wrong.
        problems: Vec<Problem>,
    },
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::NoReportsDir { path } => write!(
                f,
                "{}: no such directory (cargo bench creates it with the first results)",
                path.display()
            ),
            RenderError::ReadDir { path, source } => {
                write!(f, "{}: cannot list: {source}", path.display())
            }
            RenderError::NoResults { path } => write!(
                f,
                "{}: no */{RESULTS_FILE} to render (run cargo bench, or add one with \
                 `cargo run -p procstore-report -- --add FILE`)",
                path.display()
            ),
            RenderError::Failed { path, rendered, problems } => {
                write!(
                    f,
                    "{}: {} problem(s); {rendered} architecture(s) rendered anyway:",
                    path.display(),
                    problems.len()
                )?;
                for problem in problems {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}

/// The message names the file and the cause in full, so no `source()`
/// repeats it down an error chain.
impl std::error::Error for RenderError {}

/// Renders `reports/<dir>/REPORT.md` and `index.html` for every
/// `reports/<dir>/results.json` (with the section on what each read
/// compiles to where `reports/instructions.json` exists, and every
/// `reports/<dir>/instruction-counts.json` in it), then
/// `reports/README.md` and `reports/index.html` comparing them. A results
/// file that cannot be used does not stop the others: every problem is
/// returned together, after the rest was rendered. Returns the files
/// written.
pub fn render_all(reports: &Path) -> Result<Vec<PathBuf>, RenderError> {
    let entries = fs::read_dir(reports).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => RenderError::NoReportsDir { path: reports.to_owned() },
        _ => RenderError::ReadDir { path: reports.to_owned(), source },
    })?;
    let mut dirs: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join(RESULTS_FILE).exists())
        .map(|entry| (entry.file_name().to_string_lossy().into_owned(), entry.path()))
        .collect();
    if dirs.is_empty() {
        return Err(RenderError::NoResults { path: reports.to_owned() });
    }
    dirs.sort();

    let mut written = Vec::new();
    let mut problems = Vec::new();
    // Compiler output, one file for every architecture: a bad one is a
    // problem, and the reports render without its section.
    let instructions = load_instructions(&reports.join(INSTRUCTIONS_FILE)).unwrap_or_else(|error| {
        problems.push(Problem::Load(error));
        None
    });
    let counts = callgrind_counts(reports, &mut problems);
    let mut runs: Vec<(String, Results)> = Vec::new();
    for (name, dir) in dirs {
        match load(&dir.join(RESULTS_FILE)) {
            Ok(results) => {
                let document = report::document(&results, instructions.as_ref(), &counts);
                for (file, text) in
                    [("REPORT.md", markdown::encode(&document)), ("index.html", html::encode(&document))]
                {
                    write(&dir.join(file), &text, &mut written, &mut problems);
                }
                runs.push((name, results));
            }
            Err(error) => problems.push(Problem::Load(error)),
        }
    }

    if !runs.is_empty() {
        let skipped = problems
            .iter()
            .map(|problem| match problem {
                Problem::Load(error) => {
                    let path = error.path();
                    let shown = path.strip_prefix(reports).unwrap_or(path);
                    format!("{}: {}", shown.display(), error.problem())
                }
                other => other.to_string(),
            })
            .collect();
        let comparison = compare::document(&runs, skipped);
        write(&reports.join("README.md"), &markdown::encode(&comparison), &mut written, &mut problems);
        write(&reports.join("index.html"), &html::encode(&comparison), &mut written, &mut problems);
    }

    if problems.is_empty() {
        Ok(written)
    } else {
        Err(RenderError::Failed { path: reports.to_owned(), rendered: runs.len(), problems })
    }
}

/// Every `reports/<dir>/instruction-counts.json`, results beside it or
/// not, native architectures first; a bad one is a problem and left out.
fn callgrind_counts(reports: &Path, problems: &mut Vec<Problem>) -> Vec<CallgrindCounts> {
    let mut files: Vec<PathBuf> = fs::read_dir(reports)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path().join(CALLGRIND_FILE))
                .filter(|file| file.exists())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut counts: Vec<CallgrindCounts> = Vec::new();
    for file in files {
        match load_callgrind_counts(&file) {
            Ok(Some(found)) if counts.iter().any(|c| c.arch == found.arch) => {
                problems.push(Problem::Load(LoadError::Invalid {
                    path: file,
                    problem: format!("a second instruction-counts file for arch {:?}", found.arch),
                }));
            }
            Ok(Some(found)) => counts.push(found),
            Ok(None) => {}
            Err(error) => problems.push(Problem::Load(error)),
        }
    }
    counts.sort_by(|a, b| (a.emulated, &a.arch).cmp(&(b.emulated, &b.arch)));
    counts
}

/// Writes `text` to `path` through a temporary file, so a reader never sees
/// half a report; records the outcome.
fn write(path: &Path, text: &str, written: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    let temporary = path.with_extension("tmp");
    let result = fs::write(&temporary, text).and_then(|()| fs::rename(&temporary, path));
    match result {
        Ok(()) => written.push(path.to_owned()),
        Err(source) => {
            let _ = fs::remove_file(&temporary);
            problems.push(Problem::Write { path: path.to_owned(), source });
        }
    }
}
