//! `REPORT.md`: one architecture's report as markdown.

use std::fmt::Write as _;

use crate::escape::markdown as esc;
use crate::report::Report;
use crate::schema::Results;
use crate::table::Table;
use crate::thresholds::EMULATED;
use crate::workload::{self, Workload};

/// The criterion report, relative to `reports/<slug>/`.
pub(crate) const CRITERION_REPORT: &str = "../../target/criterion/report/index.html";

/// Renders `results` as the text of `REPORT.md`.
pub fn render_markdown(results: &Results) -> String {
    render(&Report::new(results))
}

pub(crate) fn render(report: &Report) -> String {
    let mut out = format!("# {}\n\n", esc(&report.title));
    if let Some(evidence) = &report.emulated {
        let _ = writeln!(out, "> **⚠ {EMULATED}.** {}\n", esc(evidence));
    }
    let machine: Vec<String> =
        report.machine.iter().map(|(label, value)| format!("{label}: {}", esc(value))).collect();
    let _ = writeln!(out, "{}\n", machine.join(" · "));
    let _ = writeln!(
        out,
        "Charts: [index.html](index.html). Criterion's own report: \
         [target/criterion/report/index.html]({CRITERION_REPORT}).\n"
    );
    let marker = report.marker();
    let (before, after) = report.tables();
    for table in before {
        write_table(&mut out, table, marker, 2);
    }
    if let Some(workload) = &report.workload {
        write_workload(&mut out, workload, marker);
    }
    for table in after {
        write_table(&mut out, table, marker, 2);
    }
    out
}

fn write_workload(out: &mut String, workload: &Workload, marker: &str) {
    heading(out, workload::TITLE, marker, 2);
    for paragraph in &workload.intro {
        let _ = writeln!(out, "{}\n", esc(paragraph));
    }
    for part in &workload.modes {
        write_table(out, &part.table, marker, 3);
        write_table(out, &part.by_query, marker, 4);
        heading(out, &part.ranking_title, marker, 4);
        let _ = writeln!(out, "{}\n", esc(&part.ranking));
    }
}

/// Appends a heading of `level`, with `marker` after `title`.
fn heading(out: &mut String, title: &str, marker: &str, level: usize) {
    let marker = if marker.is_empty() { String::new() } else { format!(" — ⚠ {marker}") };
    let _ = writeln!(out, "{} {}{}\n", "#".repeat(level), esc(title), esc(&marker));
}

/// Appends `table` under a heading of `level`, with `marker` after its title.
pub(crate) fn write_table(out: &mut String, table: &Table, marker: &str, level: usize) {
    heading(out, &table.title, marker, level);
    for note in &table.notes {
        let _ = writeln!(out, "{}\n", esc(note));
    }
    let cells = |cells: &[String]| {
        let escaped: Vec<String> = cells.iter().map(|c| esc(c)).collect();
        format!("| {} |\n", escaped.join(" | "))
    };
    out.push_str(&cells(&table.header));
    let rule: Vec<&str> =
        (0..table.header.len()).map(|i| if table.is_left(i) { "---" } else { "---:" }).collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in &table.rows {
        out.push_str(&cells(row));
    }
    out.push('\n');
}
