//! Adding another machine's `results.json` (from a CI runner, say) to `reports/`.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::load::{LoadError, load};
use crate::render::RESULTS_FILE;

/// Why [`add_results`] copied nothing, or not everything.
#[derive(Debug)]
pub enum AddError {
    /// Some files are not usable results; nothing was copied.
    Invalid(Vec<LoadError>),
    /// Two files come from the same machine slug; nothing was copied.
    SameMachine {
        /// The slug both claim.
        slug: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// Copying failed (the files before it were copied).
    Write {
        /// The destination.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
}

impl fmt::Display for AddError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddError::Invalid(errors) => {
                write!(f, "nothing added; {} file(s) are not usable:", errors.len())?;
                for error in errors {
                    write!(f, "\n  - {error}")?;
                }
                Ok(())
            }
            AddError::SameMachine { slug, first, second } => write!(
                f,
                "nothing added: {} and {} are both {slug} results; add one of them",
                first.display(),
                second.display()
            ),
            AddError::Write { path, source } => {
                write!(f, "{}: cannot write: {source}", path.display())
            }
        }
    }
}

/// The message names the file and the cause in full, so no `source()`
/// repeats it down an error chain.
impl std::error::Error for AddError {}

/// Validates every file of `files`, then copies each to
/// `reports/<its machine slug>/results.json` (replacing what was there).
/// Nothing is copied unless every file is valid. Returns the destinations.
pub fn add_results(reports: &Path, files: &[PathBuf]) -> Result<Vec<PathBuf>, AddError> {
    let mut slugs: Vec<(String, &PathBuf)> = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match load(file) {
            Ok(results) => slugs.push((results.machine.slug(), file)),
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(AddError::Invalid(errors));
    }
    for (i, (slug, file)) in slugs.iter().enumerate() {
        if let Some((_, first)) = slugs[..i].iter().find(|(s, _)| s == slug) {
            return Err(AddError::SameMachine {
                slug: slug.clone(),
                first: (*first).clone(),
                second: (*file).clone(),
            });
        }
    }
    let mut added = Vec::new();
    for (slug, file) in slugs {
        let dir = reports.join(&slug);
        let destination = dir.join(RESULTS_FILE);
        let write_error = |source| AddError::Write { path: destination.clone(), source };
        fs::create_dir_all(&dir).map_err(write_error)?;
        let same = matches!(
            (fs::canonicalize(file), fs::canonicalize(&destination)),
            (Ok(a), Ok(b)) if a == b
        );
        if !same {
            fs::copy(file, &destination).map_err(write_error)?;
        }
        added.push(destination);
    }
    Ok(added)
}
