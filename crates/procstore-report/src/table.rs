//! A titled table as a section builds it; [`crate::doc::Document::table`]
//! turns it into a heading, notes and cells.

/// A titled table of plain (unescaped) text cells: the first `left` columns
/// are text (left-aligned), the others figures (right-aligned).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Table {
    /// The heading above the table.
    pub(crate) title: String,
    /// Paragraphs between the heading and the table.
    pub(crate) notes: Vec<String>,
    /// Column headings.
    pub(crate) header: Vec<String>,
    /// Cells, one `Vec` per row, as long as `header`.
    pub(crate) rows: Vec<Vec<String>>,
    /// How many leading columns are text.
    pub(crate) left: usize,
}

impl Table {
    /// An empty table with `title` and `header`.
    pub(crate) fn new(title: impl Into<String>, header: Vec<String>) -> Self {
        Table { title: title.into(), notes: Vec::new(), header, rows: Vec::new(), left: 1 }
    }

    /// Adds a paragraph under the heading.
    pub(crate) fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Adds a row, padding a short one with empty cells.
    pub(crate) fn row(&mut self, mut cells: Vec<String>) {
        cells.resize(self.header.len().max(cells.len()), String::new());
        self.rows.push(cells);
    }
}
