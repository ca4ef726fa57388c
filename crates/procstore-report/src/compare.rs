//! `reports/README.md` and `reports/index.html`: every architecture side by side.

use std::fmt::Write as _;

use crate::escape;
use crate::format;
use crate::html;
use crate::markdown;
use crate::report::main_figures;
use crate::rows::Column;
use crate::schema::Results;
use crate::table::Table;
use crate::thresholds::EMULATED;
use crate::workload;

/// One architecture in the comparison.
#[derive(Debug)]
struct Arch {
    /// The directory under `reports/` holding it.
    dir: String,
    /// `<arch>-<os>`.
    slug: String,
    /// CPU, cores, date.
    machine: String,
    emulated: bool,
    /// The supervisor workload's fastest strategy, when measured.
    workload: Option<String>,
}

/// Every architecture's section, the side-by-side table, and what was left out.
#[derive(Debug)]
pub(crate) struct Comparison {
    archs: Vec<Arch>,
    table: Table,
    skipped: Vec<String>,
}

const TITLE: &str = "procstore benchmark reports";

impl Comparison {
    /// The comparison of `runs` (directory name, results), noting `skipped`
    /// (one line per results file that could not be rendered).
    pub(crate) fn new(runs: &[(String, Results)], skipped: Vec<String>) -> Comparison {
        let archs = runs
            .iter()
            .map(|(dir, results)| {
                let m = &results.machine;
                Arch {
                    dir: dir.clone(),
                    slug: m.slug(),
                    machine: format!(
                        "{}, {} cores, {}, {} profile, finished {}",
                        m.cpu_model,
                        m.cores,
                        m.rustc,
                        results.config.profile,
                        format::utc(m.finished_unix)
                    ),
                    emulated: m.emulated,
                    workload: workload::fastest_line(results),
                }
            })
            .collect();
        Comparison { archs, table: side_by_side(runs), skipped }
    }

    /// The text of `reports/README.md`.
    pub(crate) fn markdown(&self) -> String {
        let mut out = format!("# {TITLE}\n\n");
        out.push_str(
            "One section per architecture measured (`cargo bench` writes one; \
             `cargo run -p procstore-report -- --add results.json` adds another's), \
             then the main columns side by side.\n\n",
        );
        for arch in &self.archs {
            let marker = if arch.emulated { format!(" — ⚠ {EMULATED}") } else { String::new() };
            let dir = link_path(&arch.dir);
            let _ = writeln!(
                out,
                "## {}{}\n\n{}\n",
                escape::markdown(&arch.slug),
                escape::markdown(&marker),
                escape::markdown(&arch.machine),
            );
            if let Some(line) = &arch.workload {
                let _ = writeln!(out, "{}\n", escape::markdown(line));
            }
            let _ = writeln!(out, "[REPORT.md]({dir}/REPORT.md) · [index.html]({dir}/index.html)\n");
        }
        markdown::write_table(&mut out, &self.table, "", 2);
        if !self.skipped.is_empty() {
            out.push_str("## Not rendered\n\n");
            for line in &self.skipped {
                let _ = writeln!(out, "- {}", escape::markdown(line));
            }
            out.push('\n');
        }
        out
    }

    /// The text of `reports/index.html`.
    pub(crate) fn html(&self) -> String {
        let mut body = format!("<h1>{}</h1>\n", escape::html(TITLE));
        for arch in &self.archs {
            let marker = if arch.emulated {
                format!(" <span class=\"marker\">⚠ {}</span>", escape::html(EMULATED))
            } else {
                String::new()
            };
            let dir = escape::html(&link_path(&arch.dir));
            let _ = writeln!(
                body,
                "<h2>{}{marker}</h2>\n<p>{}</p>",
                escape::html(&arch.slug),
                escape::html(&arch.machine),
            );
            if let Some(line) = &arch.workload {
                let _ = writeln!(body, "<p>{}</p>", escape::html(line));
            }
            let _ = writeln!(
                body,
                "<p><a href=\"{dir}/index.html\">index.html</a> · <a href=\"{dir}/REPORT.md\">REPORT.md</a></p>"
            );
        }
        html::write_table(&mut body, &self.table, "", 2);
        if !self.skipped.is_empty() {
            body.push_str("<h2>Not rendered</h2>\n<ul>\n");
            for line in &self.skipped {
                let _ = writeln!(body, "<li>{}</li>", escape::html(line));
            }
            body.push_str("</ul>\n");
        }
        html::page(TITLE, &body)
    }
}

fn side_by_side(runs: &[(String, Results)]) -> Table {
    let mut header = vec!["Approach".to_owned()];
    for (_, results) in runs {
        let slug = results.machine.slug();
        let slug = if results.machine.emulated { format!("{slug} (EMULATED)") } else { slug };
        let n = results.config.concurrent_threads;
        header.extend(Column::ALL.map(|c| match c {
            Column::Single => format!("{slug} single"),
            Column::Concurrent => format!("{slug} concurrent ({n})"),
            Column::Contention => format!("{slug} contention"),
        }));
    }
    let per_run: Vec<Vec<(String, String, [Option<f64>; 3])>> =
        runs.iter().map(|(_, r)| main_figures(r)).collect();
    // One row per id, labelled as the first run that has it labels it.
    let mut rows: Vec<(&str, &str)> = Vec::new();
    for (id, label, _) in per_run.iter().flatten() {
        if !rows.iter().any(|(known, _)| known == id) {
            rows.push((id, label));
        }
    }
    let mut table = Table::new("Side by side", header);
    table.note(
        "ns per read in the Go record's columns; EMULATED columns come from an emulator and are \
         not hardware figures.",
    );
    for (id, label) in rows {
        let mut cells = vec![label.to_owned()];
        for figures in &per_run {
            let row = figures.iter().find(|(known, ..)| known == id);
            cells.extend((0..3).map(|i| format::ns(row.and_then(|(.., f)| f[i]))));
        }
        table.row(cells);
    }
    table
}

/// `dir` as a relative link: anything but unreserved characters percent-encoded.
fn link_path(dir: &str) -> String {
    let mut out = String::new();
    for byte in dir.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}
