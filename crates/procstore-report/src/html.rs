//! The HTML encoding of a [`Document`]: one self-contained page (inline CSS
//! and SVG, no script, nothing loaded from anywhere).

use std::fmt::Write as _;

use crate::claims::Verdict;
use crate::doc::{Block, Chart, Document, Grid, Inline, Style, slug};
use crate::escape::html as esc;
use crate::report;
use crate::schema::Results;
use crate::svg;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
h3{font-size:1.1rem;margin-top:1.8rem}h4{font-size:1rem;margin-top:1.4rem}
p.finding{max-width:60rem}
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
    encode(&report::document(results, None, &[]))
}

/// `document` as a complete page.
pub(crate) fn encode(document: &Document) -> String {
    let mut body = format!("<h1>{}</h1>\n", esc(&document.title));
    for block in &document.blocks {
        match block {
            Block::Heading { level, text, marker } => {
                let marker = marker
                    .map_or_else(String::new, |m| format!(" <span class=\"marker\">⚠ {}</span>", esc(m)));
                let _ =
                    writeln!(body, "<h{level} id=\"{}\">{}{marker}</h{level}>", esc(&slug(text)), esc(text));
            }
            Block::Banner { title, detail } => {
                let _ =
                    writeln!(body, "<p class=\"banner\">⚠ {}<span>{}</span></p>", esc(title), esc(detail));
            }
            Block::Facts(facts) => {
                body.push_str("<dl class=\"machine\">\n");
                for (label, value) in facts {
                    let _ = writeln!(body, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(value));
                }
                body.push_str("</dl>\n");
            }
            Block::Paragraph(style, inlines) => {
                let class = match style {
                    Style::Plain => "",
                    Style::Note => " class=\"note\"",
                    Style::Finding => " class=\"finding\"",
                };
                let _ = writeln!(body, "<p{class}>{}</p>", inline(inlines));
            }
            Block::Grid(grid) => write_grid(&mut body, grid),
            Block::Chart(chart) => {
                let svg = match chart {
                    Chart::Bar(chart) => svg::bar_chart(chart),
                    Chart::Line(chart) => svg::line_chart(chart),
                };
                let _ = writeln!(body, "<figure>{svg}</figure>");
            }
            Block::List(items) => {
                body.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(body, "<li>{}</li>", inline(item));
                }
                body.push_str("</ul>\n");
            }
            Block::Verdicts(claims) => {
                body.push_str("<ul class=\"verdicts\">\n");
                for claim in claims {
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
            }
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n\
         </body>\n</html>\n",
        esc(&document.title)
    )
}

fn inline(inlines: &[Inline]) -> String {
    inlines
        .iter()
        .map(|run| match run {
            Inline::Text(text) => esc(text),
            Inline::Code(code) => format!("<code>{}</code>", esc(code)),
            Inline::Link { text, href } => format!("<a href=\"{}\">{}</a>", esc(href), esc(text)),
        })
        .collect()
}

fn write_grid(out: &mut String, grid: &Grid) {
    out.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for heading in &grid.header {
        let _ = write!(out, "<th>{}</th>", esc(heading));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &grid.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if grid.is_left(i) { " class=\"l\"" } else { "" };
            let _ = write!(out, "<td{class}>{}</td>", esc(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}
