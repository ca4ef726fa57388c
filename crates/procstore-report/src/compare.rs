//! `reports/README.md` and `reports/index.html`: every machine side by side.

use std::fmt::Write as _;

use crate::doc::{Block, Document, Inline, Style};
use crate::format;
use crate::recommend;
use crate::report::{MainFigures, main_figures};
use crate::rows::Column;
use crate::schema::Results;
use crate::table::Table;
use crate::thresholds::EMULATED;
use crate::workload;

/// The comparison of `runs` (directory name, results), noting `skipped`
/// (one line per results file that could not be rendered).
pub(crate) fn document(runs: &[(String, Results)], skipped: Vec<String>) -> Document {
    let mut doc = Document::new("procstore benchmark reports", None);
    let text = |text: &str| Inline::Text(text.to_owned());
    doc.push(Block::Paragraph(
        Style::Plain,
        vec![
            text("One section per machine measured ("),
            Inline::Code("cargo bench".to_owned()),
            text(" writes one, named after its architecture unless "),
            Inline::Code("PROCSTORE_BENCH_MACHINE".to_owned()),
            text(" names it; "),
            Inline::Code("cargo run -p procstore-report -- --add results.json".to_owned()),
            text(" adds another's), then the main columns side by side."),
        ],
    ));
    for (dir, results) in runs {
        let m = &results.machine;
        doc.heading_marked(2, m.slug(), m.emulated.then_some(EMULATED));
        doc.text(
            Style::Plain,
            format!(
                "{}, {} cores, {}, {} profile, finished {}",
                m.cpu_model,
                m.cores,
                m.rustc,
                results.config.profile,
                format::utc(m.finished_unix)
            ),
        );
        if let Some(line) = workload::fastest_line(results) {
            doc.text(Style::Plain, line);
        }
        let dir = link_path(dir);
        let link = |file: &str| Inline::Link { text: file.to_owned(), href: format!("{dir}/{file}") };
        doc.push(Block::Paragraph(Style::Plain, vec![link("REPORT.md"), text(" · "), link("index.html")]));
    }
    recommendations(runs, &mut doc);
    doc.table(2, side_by_side(runs));
    if !skipped.is_empty() {
        doc.heading(2, "Not rendered");
        doc.push(Block::List(skipped.into_iter().map(|line| vec![Inline::Text(line)]).collect()));
    }
    doc
}

/// Each machine's Recommendation in one line, and the facade's default
/// the machines (not emulators) point to together: they can disagree, and
/// the default is one pair for all of them. Nothing where no run has a
/// workload.
fn recommendations(runs: &[(String, Results)], doc: &mut Document) {
    let header = [
        "Machine",
        "Profile",
        "Recommended there",
        "Settings met",
        "The default it ran",
        "Settings met",
        "Default's writer vs the floor, closed loop",
    ];
    let mut table = Table::new("The recommendation on each machine", header.map(str::to_owned).to_vec());
    table.note(
        "Settings met: of the settings with paced readers (the bar; each REPORT.md's Recommendation \
         says how it is judged). The default it ran: the row that run marked as the facade's default, \
         which may have changed since. Writer vs the floor: the default's lifecycle events/s as a \
         share of what readers that only read the clock leave the writer, lowest over the \
         closed-loop settings.",
    );
    let (mut any, mut summaries) = (false, Vec::new());
    for (_, results) in runs {
        let Some(summary) = recommend::summary(&results.workload) else {
            continue;
        };
        any = true;
        let of = |met: usize| format!("{met} of {}", summary.settings);
        let (default, default_met) = summary
            .default
            .as_ref()
            .map_or(("—".to_owned(), "—".to_owned()), |(label, met)| (label.clone(), of(*met)));
        table.row(vec![
            results.machine.slug(),
            results.config.profile.clone(),
            summary.recommended.clone(),
            of(summary.recommended_met),
            default,
            default_met,
            summary.default_writer.clone(),
        ]);
        // An emulator's figures are not a machine's: they choose nothing.
        if !results.machine.emulated {
            summaries.push((results.machine.slug(), results.machine.cores, summary));
        }
    }
    if !any {
        return;
    }
    doc.table(2, table);
    if let Some(text) = recommend::across_machines(&summaries, procstore_catalog::facade_default().id) {
        doc.text(Style::Finding, text);
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
    let per_run: Vec<Vec<MainFigures>> = runs.iter().map(|(_, r)| main_figures(r)).collect();
    // One row per id, labelled as the first run that has it labels it.
    let mut rows: Vec<&MainFigures> = Vec::new();
    for row in per_run.iter().flatten() {
        if !rows.iter().any(|known| known.id == row.id) {
            rows.push(row);
        }
    }
    let mut table = Table::new("Side by side", header);
    table.note(
        "ns per read in the Go record's columns; EMULATED columns come from an emulator and are \
         not hardware figures.",
    );
    for first in rows {
        let mut cells = vec![first.label.clone()];
        for figures in &per_run {
            let row = figures.iter().find(|row| row.id == first.id);
            cells.extend((0..3).map(|i| format::ns(row.and_then(|row| row.ns[i]))));
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
