//! The A/A control of `scripts/bench-compare.sh`: BASE measured twice (A and
//! A') and the work tree once (B), each saved by criterion as a baseline.
//! The largest |A'/A − 1| over the run is its noise; a benchmark is slower or
//! faster than BASE only when B/A is further from 1 than that spread.
//! Criterion's own verdicts (a fixed noise threshold) flagged identical code
//! as slower on a shared runner, so they decide nothing here.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::format;

/// The file criterion writes in `<benchmark>/<baseline>/` with the estimates.
const ESTIMATES: &str = "estimates.json";

/// Which criterion baselines (`cargo bench -- --save-baseline NAME`) hold
/// the three runs.
#[derive(Clone, Copy, Debug)]
pub struct Baselines<'n> {
    /// BASE's first run, A.
    pub base: &'n str,
    /// BASE's second run, A': the A/A control.
    pub base_again: &'n str,
    /// The work tree's run, B; `None` when the tree is BASE (so it was not
    /// run a third time and the A/B comparison is the A/A control itself).
    pub tree: Option<&'n str>,
}

/// Why no comparison could be made: one line naming the directory, file or
/// benchmark and what is wrong.
#[derive(Debug)]
pub struct NoiseError(String);

impl fmt::Display for NoiseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The message names the file and the cause in full, so no `source()`
/// repeats it down an error chain.
impl std::error::Error for NoiseError {}

/// Reads every `<criterion>/**/<baseline>/estimates.json` of the three
/// `baselines` and returns the table (benchmark, the three medians, A'/A,
/// B/A, verdict) with the A/A spread and a one-line summary naming `base`
/// (the ref BASE was given as). Any verdict is a success: it informs.
pub fn noise_report(criterion: &Path, base: &str, baselines: Baselines<'_>) -> Result<String, NoiseError> {
    let Baselines { base: a, base_again, tree } = baselines;
    let mut names = vec![a, base_again];
    names.extend(tree);
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(NoiseError(format!("baseline `{name}` given twice: each run needs its own")));
        }
    }
    let a_medians = medians(criterion, a)?;
    let again_medians = medians(criterion, base_again)?;
    let tree_medians = tree.map(|tree| medians(criterion, tree)).transpose()?;
    let comparison = compare(
        Named { name: a, medians: &a_medians },
        Named { name: base_again, medians: &again_medians },
        tree_medians.as_ref(),
    )?;
    Ok(render(&comparison, base, baselines))
}

/// One baseline's medians by benchmark id, with its name for messages.
#[derive(Clone, Copy)]
struct Named<'m> {
    name: &'m str,
    medians: &'m BTreeMap<String, f64>,
}

/// The median (ns per iteration) of every benchmark saved as `baseline`
/// under `criterion`, by id: the directory path of the benchmark relative to
/// `criterion`, `/`-separated (`single_reader/arcshift/1`).
fn medians(criterion: &Path, baseline: &str) -> Result<BTreeMap<String, f64>, NoiseError> {
    if baseline.is_empty() || baseline.contains('/') || baseline == "change" || baseline == "report" {
        return Err(NoiseError(format!(
            "`{baseline}` cannot be a baseline name (criterion keeps change/ and report/ for itself)"
        )));
    }
    if !criterion.is_dir() {
        return Err(NoiseError(format!(
            "{}: no such directory (cargo bench writes criterion's baselines there)",
            criterion.display()
        )));
    }
    let mut found = Vec::new();
    walk(criterion, baseline, &mut found)?;
    if found.is_empty() {
        return Err(NoiseError(format!(
            "{}: no baseline `{baseline}` (no */{baseline}/{ESTIMATES}); \
             was `cargo bench -- --save-baseline {baseline}` run with this target directory?",
            criterion.display()
        )));
    }
    let mut medians = BTreeMap::new();
    for dir in found {
        let Some(id) = dir.parent().and_then(|bench| bench.strip_prefix(criterion).ok()) else { continue };
        let id: Vec<_> = id.components().map(|c| c.as_os_str().to_string_lossy()).collect();
        medians.insert(id.join("/"), read_median(&dir.join(ESTIMATES))?);
    }
    Ok(medians)
}

/// Collects every directory under `dir` (not `dir` itself) named `baseline`
/// that holds an `estimates.json`. Symbolic links are not followed.
fn walk(dir: &Path, baseline: &str, found: &mut Vec<PathBuf>) -> Result<(), NoiseError> {
    let cannot = |e: io::Error| NoiseError(format!("{}: cannot read: {e}", dir.display()));
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(cannot)? {
        let entry = entry.map_err(cannot)?;
        if entry.file_type().map_err(cannot)?.is_dir() {
            entries.push(entry);
        }
    }
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_name() == baseline && path.join(ESTIMATES).is_file() {
            found.push(path);
        } else {
            walk(&path, baseline, found)?;
        }
    }
    Ok(())
}

/// `median.point_estimate` of the criterion estimates in `path`.
fn read_median(path: &Path) -> Result<f64, NoiseError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| NoiseError(format!("{}: cannot read: {e}", path.display())))?;
    parse_median(&text).map_err(|problem| NoiseError(format!("{}: {problem}", path.display())))
}

/// `median.point_estimate` of criterion's `estimates.json` text, which must
/// be a finite time above zero.
fn parse_median(text: &str) -> Result<f64, String> {
    #[derive(Deserialize)]
    struct Estimates {
        median: Estimate,
    }
    #[derive(Deserialize)]
    struct Estimate {
        point_estimate: f64,
    }
    let estimates: Estimates = serde_json::from_str(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "ends early (truncated or empty?)",
            serde_json::error::Category::Syntax => "not valid JSON",
            _ => "not criterion's estimates (no median.point_estimate)",
        };
        format!("{what}: {e}")
    })?;
    let median = estimates.median.point_estimate;
    if median.is_finite() && median > 0.0 {
        Ok(median)
    } else {
        Err(format!("median.point_estimate is {median}, not a time above zero"))
    }
}

/// What B/A says about one benchmark.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Verdict {
    /// B/A above 1 by more than the spread.
    Slower,
    /// B/A below 1 by more than the spread.
    Faster,
    /// B/A within the spread of 1.
    WithinNoise,
    /// Measured in the tree only: added since BASE.
    New,
    /// Measured in BASE only: removed or renamed since.
    Gone,
    /// The tree is BASE: nothing to compare beyond the control.
    Control,
}

impl Verdict {
    fn text(self) -> &'static str {
        match self {
            Verdict::Slower => "slower",
            Verdict::Faster => "faster",
            Verdict::WithinNoise => "within noise",
            Verdict::New => "new, not compared",
            Verdict::Gone => "not in the tree, not compared",
            Verdict::Control => "A/A control",
        }
    }
}

/// One benchmark's medians (ns per iteration) and verdict.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    id: String,
    a: Option<f64>,
    a_again: Option<f64>,
    tree: Option<f64>,
    verdict: Verdict,
}

/// Every benchmark of a run, with the A/A spread.
#[derive(Clone, Debug, PartialEq)]
struct Comparison {
    /// By id; the benchmarks of BASE, then those new in the tree, in order.
    rows: Vec<Row>,
    /// The largest |A'/A − 1|.
    spread: f64,
    /// The benchmark of that spread.
    largest: String,
}

/// Checks that A and A' measured the same benchmarks, takes the spread of
/// A'/A, and gives each benchmark its verdict from B/A (`tree`: `None` when
/// the tree is BASE).
fn compare(
    a: Named<'_>,
    again: Named<'_>,
    tree: Option<&BTreeMap<String, f64>>,
) -> Result<Comparison, NoiseError> {
    let only = |x: Named<'_>, y: Named<'_>| x.medians.keys().find(|id| !y.medians.contains_key(*id)).cloned();
    for (x, y) in [(a, again), (again, a)] {
        if let Some(id) = only(x, y) {
            return Err(NoiseError(format!(
                "{id}: in baseline `{}` but not in `{}`; both runs of BASE must measure the same \
                 benchmarks (same ref, same filter)",
                x.name, y.name
            )));
        }
    }
    let mut spread = 0.0;
    let mut largest = String::new();
    for (id, &first) in a.medians {
        let deviation = (again.medians[id] / first - 1.0).abs();
        if largest.is_empty() || deviation > spread {
            (spread, largest) = (deviation, id.clone());
        }
    }
    let mut rows = Vec::new();
    for (id, &first) in a.medians {
        let second = again.medians[id];
        let (tree, verdict) = match tree {
            None => (None, Verdict::Control),
            Some(tree) => match tree.get(id) {
                None => (None, Verdict::Gone),
                Some(&b) if b / first - 1.0 > spread => (Some(b), Verdict::Slower),
                Some(&b) if 1.0 - b / first > spread => (Some(b), Verdict::Faster),
                Some(&b) => (Some(b), Verdict::WithinNoise),
            },
        };
        rows.push(Row { id: id.clone(), a: Some(first), a_again: Some(second), tree, verdict });
    }
    for (id, &b) in tree.into_iter().flatten() {
        if !a.medians.contains_key(id) {
            rows.push(Row { id: id.clone(), a: None, a_again: None, tree: Some(b), verdict: Verdict::New });
        }
    }
    Ok(Comparison { rows, spread, largest })
}

/// The table, the spread and the summary line.
fn render(comparison: &Comparison, base: &str, baselines: Baselines<'_>) -> String {
    let Comparison { rows, spread, largest } = comparison;
    let ratio = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => format!("{:.3}", x / y),
        _ => format::GAP.to_owned(),
    };
    let ns = |x: Option<f64>| if x.is_some() { format::ns(x) } else { format::GAP.to_owned() };
    let spread_text = format!("{:.1}%", spread * 100.0);
    let mut out = String::new();
    let mut table: Vec<Vec<String>> = Vec::new();
    match baselines.tree {
        Some(tree) => {
            out.push_str(&format!(
                "A = {base} (baseline {}), A' = {base} again (baseline {}), B = this tree (baseline {tree}); \
                 criterion's median time per iteration\n\n",
                baselines.base, baselines.base_again
            ));
            table.push(
                ["benchmark", "A median", "A' median", "B median", "A'/A", "B/A", "verdict"]
                    .map(String::from)
                    .into(),
            );
            for row in rows {
                table.push(vec![
                    row.id.clone(),
                    ns(row.a),
                    ns(row.a_again),
                    ns(row.tree),
                    ratio(row.a_again, row.a),
                    ratio(row.tree, row.a),
                    row.verdict.text().to_owned(),
                ]);
            }
        }
        None => {
            out.push_str(&format!(
                "the tree is {base}: it was run as A (baseline {}) and A' (baseline {}), not a third time, \
                 so the A/B comparison is the A/A control itself; criterion's median time per iteration\n\n",
                baselines.base, baselines.base_again
            ));
            table.push(["benchmark", "A median", "A' median", "A'/A"].map(String::from).into());
            for row in rows {
                table.push(vec![row.id.clone(), ns(row.a), ns(row.a_again), ratio(row.a_again, row.a)]);
            }
        }
    }
    out.push_str(&aligned(&table));
    let count = |verdict| rows.iter().filter(|row| row.verdict == verdict).count();
    let (slower, faster) = (count(Verdict::Slower), count(Verdict::Faster));
    out.push_str(&format!(
        "\nA/A spread: {spread_text}, the largest |A'/A - 1| of {} benchmark(s), at {largest}; \
         B/A decides only beyond it\n",
        rows.iter().filter(|row| row.a.is_some()).count()
    ));
    out.push_str(&format!(
        "bench-compare: {slower} slower and {faster} faster than {base} beyond the A/A spread of \
         {spread_text} (largest: {largest}); reported, not failed\n"
    ));
    out
}

/// `table`'s rows as lines: the first column left-aligned, the figures
/// right-aligned, the last (the verdict) left-aligned, two spaces apart.
fn aligned(table: &[Vec<String>]) -> String {
    let columns = table.iter().map(Vec::len).max().unwrap_or(0);
    let width = |c: usize| table.iter().filter_map(|row| row.get(c)).map(|s| s.chars().count()).max();
    let widths: Vec<usize> = (0..columns).map(|c| width(c).unwrap_or(0)).collect();
    let mut out = String::new();
    for row in table {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let pad = " ".repeat(widths[c].saturating_sub(cell.chars().count()));
            let left = c == 0 || (c == columns - 1 && columns > 4);
            if c > 0 {
                line.push_str("  ");
            }
            if left {
                line.push_str(cell);
                line.push_str(&pad);
            } else {
                line.push_str(&pad);
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, f64)]) -> BTreeMap<String, f64> {
        entries.iter().map(|&(id, ns)| (id.to_owned(), ns)).collect()
    }

    fn named<'m>(name: &'m str, medians: &'m BTreeMap<String, f64>) -> Named<'m> {
        Named { name, medians }
    }

    #[test]
    fn the_spread_is_the_largest_aa_difference_and_decides_the_verdicts() {
        let a = map(&[("g/x/1", 100.0), ("g/y/1", 200.0), ("g/z/10", 50.0), ("h/w", 10.0)]);
        // A'/A: 1.02, 0.95 (the largest, 5%), 1.01, 1.0.
        let again = map(&[("g/x/1", 102.0), ("g/y/1", 190.0), ("g/z/10", 50.5), ("h/w", 10.0)]);
        // B/A: 1.10 slower, 0.96 within, 0.90 faster, 1.05 exactly the spread: within.
        let tree = map(&[("g/x/1", 110.0), ("g/y/1", 192.0), ("g/z/10", 45.0), ("h/w", 10.5)]);
        let c = compare(named("aa-1", &a), named("aa-2", &again), Some(&tree)).unwrap();
        assert!((c.spread - 0.05).abs() < 1e-12, "{}", c.spread);
        assert_eq!(c.largest, "g/y/1");
        let verdicts: Vec<_> = c.rows.iter().map(|r| (r.id.as_str(), r.verdict)).collect();
        assert_eq!(
            verdicts,
            [
                ("g/x/1", Verdict::Slower),
                ("g/y/1", Verdict::WithinNoise),
                ("g/z/10", Verdict::Faster),
                ("h/w", Verdict::WithinNoise)
            ]
        );
        let text = render(&c, "HEAD~1", Baselines { base: "aa-1", base_again: "aa-2", tree: Some("tree") });
        let summary = text.lines().last().unwrap();
        assert_eq!(
            summary,
            "bench-compare: 1 slower and 1 faster than HEAD~1 beyond the A/A spread of 5.0% \
             (largest: g/y/1); reported, not failed"
        );
        let row = text.lines().find(|l| l.starts_with("g/x/1")).unwrap();
        assert!(row.contains("100 ns") && row.contains("1.020") && row.contains("1.100"), "{row}");
        assert!(row.ends_with("slower"), "{row}");
    }

    #[test]
    fn identical_runs_have_no_spread_and_any_change_counts() {
        let a = map(&[("g/x/1", 100.0)]);
        let c = compare(named("aa-1", &a), named("aa-2", &a), Some(&map(&[("g/x/1", 100.1)]))).unwrap();
        assert_eq!((c.spread, c.largest.as_str()), (0.0, "g/x/1"));
        assert_eq!(c.rows[0].verdict, Verdict::Slower);
    }

    #[test]
    fn a_benchmark_new_in_the_tree_is_listed_not_compared() {
        let a = map(&[("g/x/1", 100.0)]);
        let again = map(&[("g/x/1", 101.0)]);
        let tree = map(&[("g/x/1", 100.0), ("g/new/1", 5.0)]);
        let c = compare(named("aa-1", &a), named("aa-2", &again), Some(&tree)).unwrap();
        let new = c.rows.iter().find(|r| r.id == "g/new/1").unwrap();
        assert_eq!((new.a, new.tree, new.verdict), (None, Some(5.0), Verdict::New));
        assert_eq!(c.largest, "g/x/1", "a new benchmark has no A/A pair");
        let text = render(&c, "main", Baselines { base: "aa-1", base_again: "aa-2", tree: Some("tree") });
        let line = text.lines().find(|l| l.starts_with("g/new/1")).unwrap();
        assert!(line.ends_with("new, not compared") && line.contains("5.00 ns"), "{line}");
        assert!(text.contains("0 slower and 0 faster than main"), "{text}");
    }

    #[test]
    fn a_benchmark_gone_from_the_tree_is_listed_not_compared() {
        let a = map(&[("g/x/1", 100.0), ("g/old/1", 7.0)]);
        let c = compare(named("aa-1", &a), named("aa-2", &a), Some(&map(&[("g/x/1", 100.0)]))).unwrap();
        assert_eq!(c.rows.iter().find(|r| r.id == "g/old/1").unwrap().verdict, Verdict::Gone);
    }

    #[test]
    fn a_benchmark_missing_from_either_aa_run_is_an_error() {
        let a = map(&[("g/x/1", 100.0), ("g/y/1", 100.0)]);
        let again = map(&[("g/x/1", 100.0)]);
        let error = compare(named("aa-1", &a), named("aa-2", &again), None).unwrap_err().to_string();
        assert!(error.starts_with("g/y/1: in baseline `aa-1` but not in `aa-2`"), "{error}");
        let error = compare(named("aa-1", &again), named("aa-2", &a), None).unwrap_err().to_string();
        assert!(error.starts_with("g/y/1: in baseline `aa-2` but not in `aa-1`"), "{error}");
        assert!(!error.contains('\n'));
    }

    #[test]
    fn without_a_tree_run_the_control_is_the_comparison() {
        let a = map(&[("g/x/1", 100.0)]);
        let again = map(&[("g/x/1", 97.0)]);
        let c = compare(named("aa-1", &a), named("aa-2", &again), None).unwrap();
        assert_eq!(c.rows[0].verdict, Verdict::Control);
        let text = render(&c, "HEAD", Baselines { base: "aa-1", base_again: "aa-2", tree: None });
        assert!(text.starts_with("the tree is HEAD:"), "{text}");
        assert!(!text.contains("B median"), "{text}");
        assert!(text.ends_with(
            "bench-compare: 0 slower and 0 faster than HEAD beyond the A/A spread of 3.0% \
             (largest: g/x/1); reported, not failed\n"
        ));
    }

    #[test]
    fn medians_must_be_times_above_zero() {
        let estimates =
            r#"{"mean":{"point_estimate":1.0},"median":{"point_estimate":183.06,"standard_error":0.5}}"#;
        assert_eq!(parse_median(estimates), Ok(183.06));
        for (text, problem) in [
            ("", "ends early"),
            ("{\"median\":", "ends early"),
            ("not json", "not valid JSON"),
            ("{\"mean\":{\"point_estimate\":1.0}}", "not criterion's estimates"),
            ("{\"median\":{\"point_estimate\":null}}", "not criterion's estimates"),
            ("{\"median\":{\"point_estimate\":0.0}}", "is 0, not a time above zero"),
            ("{\"median\":{\"point_estimate\":-3.0}}", "is -3, not a time above zero"),
        ] {
            let error = parse_median(text).unwrap_err();
            assert!(error.contains(problem), "{text}: {error}");
        }
    }

    /// A fresh directory under the system temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let dir = std::env::temp_dir()
                .join(format!("procstore-report-noise-{}-{name}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("create scratch dir");
            Scratch(dir)
        }

        fn estimates(&self, bench: &str, baseline: &str, median: f64) {
            let dir = self.0.join(bench).join(baseline);
            std::fs::create_dir_all(&dir).expect("create dirs");
            let text = format!(r#"{{"median":{{"point_estimate":{median:?}}}}}"#);
            std::fs::write(dir.join(ESTIMATES), text).expect("write");
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const RUNS: Baselines<'static> = Baselines { base: "aa-1", base_again: "aa-2", tree: Some("tree") };

    #[test]
    fn reads_criterions_layout_with_slashes_in_ids() {
        let dir = Scratch::new("layout");
        for (bench, a, b) in [("single_reader/arcshift/1", 100.0, 150.0), ("contention/x", 10.0, 10.0)] {
            dir.estimates(bench, "aa-1", a);
            dir.estimates(bench, "aa-2", a * 1.01);
            dir.estimates(bench, "tree", b);
            // criterion's other directories of the same benchmark are not baselines.
            dir.estimates(bench, "change", 0.5);
            dir.estimates(bench, "new", 1.0);
        }
        dir.estimates("report/tree", "x", 1.0);
        let medians = medians(&dir.0, "aa-1").unwrap();
        assert_eq!(medians, map(&[("contention/x", 10.0), ("single_reader/arcshift/1", 100.0)]));
        let text = noise_report(&dir.0, "HEAD~1", RUNS).unwrap();
        assert!(text.contains("1 slower and 0 faster than HEAD~1 beyond the A/A spread of 1.0%"), "{text}");
    }

    #[test]
    fn bad_input_is_a_one_line_error_naming_what() {
        let dir = Scratch::new("bad");
        let missing = dir.0.join("nothing-here");
        let error = noise_report(&missing, "HEAD", RUNS).unwrap_err().to_string();
        assert!(error.starts_with(&missing.display().to_string()) && error.contains("no such directory"));

        dir.estimates("g/x/1", "aa-1", 1.0);
        let error = noise_report(&dir.0, "HEAD", RUNS).unwrap_err().to_string();
        assert!(error.contains("no baseline `aa-2`") && error.contains("--save-baseline aa-2"), "{error}");

        dir.estimates("g/x/1", "aa-2", 1.0);
        dir.estimates("g/y/1", "aa-2", 1.0);
        dir.estimates("g/x/1", "tree", 1.0);
        let error = noise_report(&dir.0, "HEAD", RUNS).unwrap_err().to_string();
        assert!(error.starts_with("g/y/1: in baseline `aa-2` but not in `aa-1`"), "{error}");

        dir.estimates("g/y/1", "aa-1", 1.0);
        let file = dir.0.join("g/y/1/aa-1").join(ESTIMATES);
        std::fs::write(&file, "{\"median\": {\"point_es").unwrap();
        let error = noise_report(&dir.0, "HEAD", RUNS).unwrap_err().to_string();
        assert!(error.starts_with(&format!("{}: ends early", file.display())), "{error}");

        let twice = Baselines { base: "aa-1", base_again: "aa-1", tree: None };
        let error = noise_report(&dir.0, "HEAD", twice).unwrap_err().to_string();
        assert_eq!(error, "baseline `aa-1` given twice: each run needs its own");
        for error in [noise_report(&missing, "HEAD", RUNS), noise_report(&dir.0, "HEAD", twice)] {
            assert!(!error.unwrap_err().to_string().contains('\n'));
        }
    }
}
