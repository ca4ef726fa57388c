//! The document a report is: built once, encoded as markdown and as HTML.

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
