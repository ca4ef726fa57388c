//! Reading and validating one `results.json`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::doc::slug;
use crate::instructions::{CALLGRIND_SCHEMA, CallgrindCounts, INSTRUCTIONS_SCHEMA, Instructions};
use crate::schema::{Results, SCHEMA_VERSION};
use crate::validate::{validate, validate_callgrind_counts, validate_instructions};

/// The oldest schema this renderer still reads.
const OLDEST_SCHEMA_VERSION: u32 = 1;

/// Why a `results.json` could not be used. Every variant names the file.
#[derive(Debug)]
pub enum LoadError {
    /// The file does not exist.
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file exists but could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: io::Error,
    },
    /// The file is not valid JSON, ends early, or does not have the shape of
    /// a results file.
    Json {
        /// The file.
        path: PathBuf,
        /// serde_json's 1-based line of the problem.
        line: usize,
        /// serde_json's 1-based column of the problem.
        column: usize,
        /// What was wrong, in words (serde's message included).
        problem: String,
    },
    /// The file was written by another schema version.
    Schema {
        /// The file.
        path: PathBuf,
        /// The version the file says it is (`None`: no `schema_version`).
        found: Option<u32>,
        /// The version this renderer reads ([`SCHEMA_VERSION`]).
        expected: u32,
    },
    /// The file parses, but its content cannot be rendered.
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
}

impl LoadError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            LoadError::Missing { path }
            | LoadError::Read { path, .. }
            | LoadError::Json { path, .. }
            | LoadError::Schema { path, .. }
            | LoadError::Invalid { path, .. } => path,
        }
    }
}

impl LoadError {
    /// What is wrong, without the file name.
    pub fn problem(&self) -> String {
        match self {
            LoadError::Missing { .. } => "no such file (cargo bench writes it)".to_owned(),
            LoadError::Read { source, .. } => format!("cannot read: {source}"),
            LoadError::Json { line, column, problem, .. } => {
                format!("line {line}, column {column}: {problem}")
            }
            LoadError::Schema { found: Some(found), expected, .. } => format!(
                "written by schema {found}, this renderer reads schemas \
                 {OLDEST_SCHEMA_VERSION} to {expected}; re-run cargo bench"
            ),
            LoadError::Schema { found: None, expected, .. } => format!(
                "no schema_version field (this renderer reads schema {expected}): \
                 not a results.json, or re-run cargo bench"
            ),
            LoadError::Invalid { problem, .. } => problem.clone(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path().display(), self.problem())
    }
}

/// The message names the file and the cause in full, so no `source()`
/// repeats it down an error chain.
impl std::error::Error for LoadError {}

/// Reads `path` and checks it is a results file this renderer understands.
pub fn load(path: &Path) -> Result<Results, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => LoadError::Missing { path: path.to_owned() },
        _ => LoadError::Read { path: path.to_owned(), source },
    })?;
    parse(path, &text)
}

/// Checks `text`, the content of `path`, the way [`load`] does.
fn parse(path: &Path, text: &str) -> Result<Results, LoadError> {
    /// Just the version, so an older layout is reported as such rather than
    /// as whichever field it lacks.
    #[derive(Deserialize)]
    struct Version {
        schema_version: Option<u32>,
    }

    let version: Version = serde_json::from_str(text).map_err(|e| json_error(path, &e, RESULTS))?;
    let found = version.schema_version;
    if !found.is_some_and(|v| (OLDEST_SCHEMA_VERSION..=SCHEMA_VERSION).contains(&v)) {
        return Err(LoadError::Schema { path: path.to_owned(), found, expected: SCHEMA_VERSION });
    }
    let mut results: Results = serde_json::from_str(text).map_err(|e| json_error(path, &e, RESULTS))?;
    if found == Some(OLDEST_SCHEMA_VERSION) {
        assign_ids(&mut results);
    }
    validate(&results).map_err(|problem| LoadError::Invalid { path: path.to_owned(), problem })?;
    Ok(results)
}

/// Schema 1 named strategies by label only: give each record the id of its
/// label, once, so nothing downstream ever matches on a label.
fn assign_ids(results: &mut Results) {
    for record in &mut results.records {
        record.id = id_for(&record.strategy);
    }
    for record in &mut results.workload {
        record.id = id_for(&record.strategy);
    }
}

/// The catalogue id of `label`, else a slug of it.
fn id_for(label: &str) -> String {
    procstore_catalog::id_for_label(label).map_or_else(|| slug(label), str::to_owned)
}

/// What a results file is, for [`json_error`].
const RESULTS: &str = "a results file";
/// What an instructions file is, for [`json_error`].
const INSTRUCTIONS: &str = "an instructions file";
/// What a callgrind counts file is, for [`json_error`].
const CALLGRIND: &str = "an instruction-counts file";

/// The text of `path`; `Ok(None)` when there is no such file.
fn read_if_present(path: &Path) -> Result<Option<String>, LoadError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(source) if source.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(LoadError::Read { path: path.to_owned(), source }),
    }
}

/// Reads `path`, an `instructions.json` (`scripts/instructions.sh` writes
/// it), and checks its shape; `Ok(None)` when there is no such file.
pub fn load_instructions(path: &Path) -> Result<Option<Instructions>, LoadError> {
    read_if_present(path)?.map(|text| parse_instructions(path, &text)).transpose()
}

/// Checks `text`, the content of `path`, the way [`load_instructions`] does.
fn parse_instructions(path: &Path, text: &str) -> Result<Instructions, LoadError> {
    /// Just the version, as in [`parse`].
    #[derive(Deserialize)]
    struct Version {
        schema_version: Option<u32>,
    }

    let invalid = |problem: String| LoadError::Invalid { path: path.to_owned(), problem };
    let version: Version = serde_json::from_str(text).map_err(|e| json_error(path, &e, INSTRUCTIONS))?;
    match version.schema_version {
        Some(INSTRUCTIONS_SCHEMA) => {}
        Some(found) => {
            return Err(invalid(format!(
                "written by instructions schema {found}, this renderer reads schema \
                 {INSTRUCTIONS_SCHEMA}; re-run scripts/instructions.sh"
            )));
        }
        None => {
            return Err(invalid(format!(
                "no schema_version field (this renderer reads instructions schema \
                 {INSTRUCTIONS_SCHEMA}): not an instructions file, or re-run scripts/instructions.sh"
            )));
        }
    }
    let instructions: Instructions =
        serde_json::from_str(text).map_err(|e| json_error(path, &e, INSTRUCTIONS))?;
    validate_instructions(&instructions).map_err(invalid)?;
    Ok(instructions)
}

/// Reads `path`, a `reports/<arch>-linux/instruction-counts.json`
/// (`procstore-instructions` writes it: what every probe executes under
/// callgrind), and checks it; `Ok(None)` when there is no such file.
pub fn load_callgrind_counts(path: &Path) -> Result<Option<CallgrindCounts>, LoadError> {
    read_if_present(path)?.map(|text| parse_callgrind_counts(path, &text)).transpose()
}

/// Checks `text`, the content of `path`, the way [`load_callgrind_counts`] does.
fn parse_callgrind_counts(path: &Path, text: &str) -> Result<CallgrindCounts, LoadError> {
    /// Just the version, as in [`parse`].
    #[derive(Deserialize)]
    struct Version {
        schema: Option<u32>,
    }

    let invalid = |problem: String| LoadError::Invalid { path: path.to_owned(), problem };
    let version: Version = serde_json::from_str(text).map_err(|e| json_error(path, &e, CALLGRIND))?;
    match version.schema {
        Some(CALLGRIND_SCHEMA) => {}
        Some(found) => {
            return Err(invalid(format!(
                "written by instruction-counts schema {found}, this renderer reads schema \
                 {CALLGRIND_SCHEMA}; re-run procstore-instructions"
            )));
        }
        None => {
            return Err(invalid(format!(
                "no schema field (this renderer reads instruction-counts schema {CALLGRIND_SCHEMA}): \
                 not an instruction-counts file"
            )));
        }
    }
    let counts: CallgrindCounts = serde_json::from_str(text).map_err(|e| json_error(path, &e, CALLGRIND))?;
    let dir = path.parent().and_then(Path::file_name).and_then(|name| name.to_str());
    validate_callgrind_counts(&counts, dir).map_err(invalid)?;
    Ok(counts)
}

/// `error` of `path`, a file that should be `what` (e.g. [`RESULTS`]).
fn json_error(path: &Path, error: &serde_json::Error, what: &str) -> LoadError {
    use serde_json::error::Category;
    let not_what = format!("valid JSON but not {what}");
    let what = match error.classify() {
        Category::Eof => "the file ends early (truncated or empty?)",
        Category::Syntax => "not valid JSON",
        Category::Data => not_what.as_str(),
        Category::Io => "cannot read",
    };
    let (line, column) = (error.line(), error.column());
    // serde's message ends with the position, which the error already gives.
    let message = error.to_string();
    let message = message.strip_suffix(&format!(" at line {line} column {column}")).unwrap_or(&message);
    LoadError::Json { path: path.to_owned(), line, column, problem: format!("{what}: {message}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let error = parse(Path::new("r.json"), "{\n  \"schema_version\": 1,\n  oops\n}").unwrap_err();
        let LoadError::Json { line, column, .. } = &error else { panic!("{error:?}") };
        assert_eq!((*line, *column), (3, 3));
        assert!(error.to_string().starts_with("r.json: line 3, column 3: not valid JSON"));
    }

    #[test]
    fn missing_version_is_a_schema_error() {
        let error = parse(Path::new("r.json"), "{}").unwrap_err();
        assert!(matches!(error, LoadError::Schema { found: None, .. }));
    }
}
