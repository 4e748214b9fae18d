//! Small text helpers every module that writes HTML needs, kept once here so the core's error
//! pages and the modules' pages escape alike.

/// Text made safe inside HTML elements and double-quoted or single-quoted attribute values.
pub fn html_escape(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            html_escape("/a?b=1&c=\"<>\"'é"),
            "/a?b=1&amp;c=&quot;&lt;&gt;&quot;&#39;é"
        );
    }
}
