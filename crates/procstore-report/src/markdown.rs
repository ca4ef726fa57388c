//! `REPORT.md`: one architecture's report as markdown.

use std::fmt::Write as _;

use crate::escape::markdown as esc;
use crate::report::{EMULATED, Report};
use crate::schema::Results;
use crate::table::Table;

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
    for table in report.tables() {
        write_table(&mut out, table, report.marker(), 2);
    }
    out
}

/// Appends `table` under a heading of `level`, with `marker` after its title.
pub(crate) fn write_table(out: &mut String, table: &Table, marker: &str, level: usize) {
    let marker = if marker.is_empty() { String::new() } else { format!(" — ⚠ {marker}") };
    let _ = writeln!(out, "{} {}{}\n", "#".repeat(level), esc(&table.title), esc(&marker));
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
