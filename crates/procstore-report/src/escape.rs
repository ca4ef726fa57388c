//! Escaping text for HTML/SVG and for markdown.

/// `text` safe inside HTML or SVG element content and quoted attributes.
pub(crate) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `text` shown literally by a CommonMark renderer, in running text or a
/// table cell: markup characters get a backslash (so `Mutex<HashMap>` is not
/// swallowed as an HTML tag, and `|` does not split a cell), and line breaks
/// become spaces.
pub(crate) fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '&' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn markdown_escapes_cells_and_tags() {
        assert_eq!(markdown("std Mutex<HashMap>"), r"std Mutex\<HashMap\>");
        assert_eq!(markdown("a|b\nc"), r"a\|b c");
        assert_eq!(markdown("parking_lot RwLock"), "parking_lot RwLock");
    }
}
