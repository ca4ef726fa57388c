//! `index.html`: one architecture's report as a single self-contained page
//! (inline CSS and SVG, no script, nothing loaded from anywhere).

use std::fmt::Write as _;

use crate::claims::Verdict;
use crate::doc::slug;
use crate::escape::html as esc;
use crate::markdown::CRITERION_REPORT;
use crate::report::Report;
use crate::schema::Results;
use crate::svg;
use crate::table::Table;
use crate::thresholds::EMULATED;
use crate::workload::{self, Workload};

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
h3{font-size:1.1rem;margin-top:1.8rem}h4{font-size:1rem;margin-top:1.4rem}
p.ranking{max-width:60rem}
.marker{color:#b00020;font-size:.8em;font-weight:600}
.banner{background:#b00020;color:#fff;padding:.8rem 1rem;font-weight:700;font-size:1.1rem;border-radius:4px}
.banner span{display:block;font-weight:400;font-size:.9rem}
dl.machine{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dl.machine dt{font-weight:600}dl.machine dd{margin:0}
table{border-collapse:collapse;margin:.6rem 0;background:#fff;font-size:.9rem}
th,td{border:1px solid #d0d0d0;padding:.3rem .6rem}th{background:#f0f0f0}
td{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.l{text-align:left;white-space:normal}
.note{color:#444;font-size:.9rem;max-width:60rem}
.scroll{overflow-x:auto}
figure{margin:1rem 0}svg.chart{max-width:100%;height:auto;border:1px solid #e0e0e0}
svg .chart-title{font-weight:600;font-size:14px}svg text{font-size:12px;fill:#222}
svg .tick{font-size:11px;fill:#555}svg .grid{stroke:#e6e6e6}
svg .frame{fill:none;stroke:#999}svg .value{font-size:11px}
ul.verdicts li{margin:.3rem 0}.v-holds{color:#1b6e20}.v-partly{color:#8a5a00}
.v-does-not-hold{color:#b00020}.v-not-measured{color:#666}
";

/// Renders `results` as the text of `index.html`.
pub fn render_html(results: &Results) -> String {
    render(&Report::new(results))
}

pub(crate) fn render(report: &Report) -> String {
    let marker = report.marker();
    let mut body = format!("<h1>{}</h1>\n", esc(&report.title));
    if let Some(evidence) = &report.emulated {
        let _ = writeln!(body, "<p class=\"banner\">⚠ {}<span>{}</span></p>", esc(EMULATED), esc(evidence));
    }
    body.push_str("<dl class=\"machine\">\n");
    for (label, value) in &report.machine {
        let _ = writeln!(body, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(value));
    }
    body.push_str("</dl>\n");
    let _ = writeln!(
        body,
        "<p>Tables as markdown: <a href=\"REPORT.md\">REPORT.md</a>. Criterion's own report \
         (per-benchmark distributions): <a href=\"{}\">target/criterion/report/index.html</a>.</p>",
        esc(CRITERION_REPORT)
    );

    write_table(&mut body, &report.main, marker, 2);
    charts(&mut body, report.main_charts.iter().map(svg::bar_chart));
    write_table(&mut body, &report.go, marker, 2);
    write_table(&mut body, &report.speedup, marker, 2);
    write_table(&mut body, &report.sweep, marker, 2);
    charts(&mut body, [svg::line_chart(&report.sweep_chart)]);
    write_table(&mut body, &report.contention, marker, 2);
    write_table(&mut body, &report.writes, marker, 2);
    write_table(&mut body, &report.registry, marker, 2);
    charts(&mut body, report.registry_charts.iter().map(svg::bar_chart));
    if let Some(workload) = &report.workload {
        write_workload(&mut body, workload, marker);
    }
    write_table(&mut body, &report.floor, marker, 2);
    write_table(&mut body, &report.floor_gap, marker, 2);

    write_table(&mut body, &report.claims, marker, 2);
    body.push_str("<ul class=\"verdicts\">\n");
    for claim in &report.claim_list {
        let class = match claim.verdict {
            Verdict::Holds => "v-holds",
            Verdict::Partly => "v-partly",
            Verdict::DoesNotHold => "v-does-not-hold",
            Verdict::NotMeasured => "v-not-measured",
        };
        let _ = writeln!(
            body,
            "<li class=\"{class}\"><strong>{}</strong>: {}. {}</li>",
            esc(&claim.verdict.to_string()),
            esc(&claim.statement),
            esc(&claim.reason)
        );
    }
    body.push_str("</ul>\n");
    page(&report.title, &body)
}

/// A complete page around `body` (already HTML).
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n\
         </body>\n</html>\n",
        esc(title)
    )
}

fn charts(out: &mut String, charts: impl IntoIterator<Item = String>) {
    for chart in charts {
        let _ = writeln!(out, "<figure>{chart}</figure>");
    }
}

/// Appends an `<h{level}>` of `title` with `marker`, its id made from `title`.
fn heading(out: &mut String, title: &str, marker: &str, level: usize) {
    let marker = if marker.is_empty() {
        String::new()
    } else {
        format!(" <span class=\"marker\">⚠ {}</span>", esc(marker))
    };
    let _ = writeln!(out, "<h{level} id=\"{}\">{}{marker}</h{level}>", esc(&slug(title)), esc(title));
}

fn write_workload(out: &mut String, workload: &Workload, marker: &str) {
    heading(out, workload::TITLE, marker, 2);
    for paragraph in &workload.intro {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(paragraph));
    }
    for part in &workload.modes {
        write_table(out, &part.table, marker, 3);
        charts(out, [svg::bar_chart(&part.chart)]);
        write_table(out, &part.by_query, marker, 4);
        heading(out, &part.ranking_title, marker, 4);
        let _ = writeln!(out, "<p class=\"ranking\">{}</p>", esc(&part.ranking));
    }
}

/// Appends `table` as an `<h{level}>` with `marker`, its notes and the table.
pub(crate) fn write_table(out: &mut String, table: &Table, marker: &str, level: usize) {
    heading(out, &table.title, marker, level);
    for note in &table.notes {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", esc(note));
    }
    out.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for heading in &table.header {
        let _ = write!(out, "<th>{}</th>", esc(heading));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if table.is_left(i) { " class=\"l\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", esc(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}
