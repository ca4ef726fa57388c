//! The document a report is, built once: headings, paragraphs, tables,
//! charts and verdicts in reading order. [`crate::markdown`] and
//! [`crate::html`] only encode it, so both outputs have the same sections
//! in the same order by construction.

use crate::claims::Claim;
use crate::svg::{BarChart, LineChart};
use crate::table::Table;

/// A whole page: its title and its blocks, in reading order.
#[derive(Clone, Debug)]
pub(crate) struct Document {
    /// The page title (the only level-1 heading).
    pub(crate) title: String,
    /// What every heading added by [`Document::heading`] carries, e.g. the
    /// emulation banner.
    marker: Option<&'static str>,
    /// The content.
    pub(crate) blocks: Vec<Block>,
}

/// A run of text inside a paragraph or list item.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Inline {
    /// Plain text, escaped by the encoder.
    Text(String),
    /// Code, e.g. a command.
    Code(String),
    /// A relative link; `href` is already a valid URL path.
    Link {
        /// What the reader sees.
        text: String,
        /// Where it goes.
        href: String,
    },
}

/// How a paragraph reads: HTML styles them apart, markdown alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// Running text.
    Plain,
    /// A note on the table or section it follows.
    Note,
    /// A paragraph of findings.
    Finding,
}

/// One piece of the document.
#[derive(Clone, Debug)]
pub(crate) enum Block {
    /// A section heading, level 2 or deeper; its anchor is [`slug`] of `text`.
    Heading {
        /// 2 for a section, 3 and 4 below it.
        level: usize,
        /// The heading text.
        text: String,
        /// Shown after the text, e.g. the emulation banner.
        marker: Option<&'static str>,
    },
    /// A warning across the page.
    Banner {
        /// The warning.
        title: &'static str,
        /// Why.
        detail: String,
    },
    /// (label, value) pairs, e.g. the machine a run came from.
    Facts(Vec<(&'static str, String)>),
    /// A paragraph.
    Paragraph(Style, Vec<Inline>),
    /// A table's cells.
    Grid(Grid),
    /// A chart: HTML draws it inline; markdown leaves it to index.html.
    Chart(Chart),
    /// A bulleted list.
    List(Vec<Vec<Inline>>),
    /// The claims' verdicts at a glance, coloured: HTML shows them under the
    /// claims table; markdown has that table and leaves them out.
    Verdicts(Vec<Claim>),
}

/// A table's cells: the first `left` columns are text (left-aligned), the
/// others figures (right-aligned).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Grid {
    /// Column headings.
    pub(crate) header: Vec<String>,
    /// Cells, one `Vec` per row, as long as `header`.
    pub(crate) rows: Vec<Vec<String>>,
    /// How many leading columns are text.
    pub(crate) left: usize,
}

impl Grid {
    /// Whether column `index` is text (left-aligned).
    pub(crate) fn is_left(&self, index: usize) -> bool {
        index < self.left
    }
}

/// A chart block.
#[derive(Clone, Debug)]
pub(crate) enum Chart {
    /// Horizontal bars.
    Bar(BarChart),
    /// Lines over thread counts.
    Line(LineChart),
}

impl Document {
    /// An empty document whose headings carry `marker`.
    pub(crate) fn new(title: impl Into<String>, marker: Option<&'static str>) -> Document {
        Document { title: title.into(), marker, blocks: Vec::new() }
    }

    /// Adds `block`.
    pub(crate) fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }

    /// Adds a heading of `level` with the document's marker.
    pub(crate) fn heading(&mut self, level: usize, text: impl Into<String>) {
        let marker = self.marker;
        self.heading_marked(level, text, marker);
    }

    /// Adds a heading of `level` with `marker`.
    pub(crate) fn heading_marked(
        &mut self,
        level: usize,
        text: impl Into<String>,
        marker: Option<&'static str>,
    ) {
        self.push(Block::Heading { level, text: text.into(), marker });
    }

    /// Adds a paragraph of plain text.
    pub(crate) fn text(&mut self, style: Style, text: impl Into<String>) {
        self.push(Block::Paragraph(style, vec![Inline::Text(text.into())]));
    }

    /// Adds `table` under a heading of `level`: heading, notes, cells.
    pub(crate) fn table(&mut self, level: usize, table: Table) {
        let Table { title, notes, header, rows, left } = table;
        self.heading(level, title);
        for note in notes {
            self.text(Style::Note, note);
        }
        self.push(Block::Grid(Grid { header, rows, left }));
    }

    /// Adds each of `charts`.
    pub(crate) fn charts(&mut self, charts: impl IntoIterator<Item = Chart>) {
        self.blocks.extend(charts.into_iter().map(Block::Chart));
    }
}

/// `text`'s ASCII letters and digits, lower-case, runs of anything else
/// as one `-`: a heading's anchor, or an id for a label the catalogue lacks.
pub(crate) fn slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}
