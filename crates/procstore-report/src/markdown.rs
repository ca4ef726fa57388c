//! The markdown encoding of a [`Document`]: `REPORT.md` and `reports/README.md`.

use std::fmt::Write as _;

use crate::doc::{Block, Document, Grid, Inline};
use crate::escape::markdown as esc;
use crate::report;
use crate::schema::Results;

/// Renders `results` as the text of `REPORT.md`.
pub fn render_markdown(results: &Results) -> String {
    encode(&report::document(results, None, &[]))
}

/// `document` as markdown.
pub(crate) fn encode(document: &Document) -> String {
    let mut out = format!("# {}\n\n", esc(&document.title));
    for block in &document.blocks {
        match block {
            Block::Heading { level, text, marker } => {
                let marker = marker.map_or_else(String::new, |m| format!(" — ⚠ {m}"));
                let _ = writeln!(out, "{} {}{}\n", "#".repeat(*level), esc(text), esc(&marker));
            }
            Block::Banner { title, detail } => {
                let _ = writeln!(out, "> **⚠ {}.** {}\n", esc(title), esc(detail));
            }
            Block::Facts(facts) => {
                let facts: Vec<String> =
                    facts.iter().map(|(label, value)| format!("{label}: {}", esc(value))).collect();
                let _ = writeln!(out, "{}\n", facts.join(" · "));
            }
            Block::Paragraph(_, inlines) => {
                let _ = writeln!(out, "{}\n", inline(inlines));
            }
            Block::Grid(grid) => write_grid(&mut out, grid),
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", inline(item));
                }
                out.push('\n');
            }
            Block::Chart(_) | Block::Verdicts(_) => {}
        }
    }
    out
}

fn inline(inlines: &[Inline]) -> String {
    inlines
        .iter()
        .map(|run| match run {
            Inline::Text(text) => esc(text),
            Inline::Code(code) => format!("`{code}`"),
            Inline::Link { text, href } => format!("[{}]({href})", esc(text)),
        })
        .collect()
}

fn write_grid(out: &mut String, grid: &Grid) {
    let cells = |cells: &[String]| {
        let escaped: Vec<String> = cells.iter().map(|c| esc(c)).collect();
        format!("| {} |\n", escaped.join(" | "))
    };
    out.push_str(&cells(&grid.header));
    let rule: Vec<&str> =
        (0..grid.header.len()).map(|i| if grid.is_left(i) { "---" } else { "---:" }).collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in &grid.rows {
        out.push_str(&cells(row));
    }
    out.push('\n');
}
