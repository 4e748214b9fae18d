//! From text to statements: logical lines, words, section tags.
//!
//! Two steps, because `${VAR}` is expanded between them: [`lines`] joins continued lines and drops
//! blanks and comments; [`parse`] splits one (expanded) line into a [`Statement`]. [`tag`] is the
//! lenient first half of [`parse`], used alone on lines inside a skipped `<IfModule>`/`<IfDefine>`,
//! which are neither expanded nor checked beyond their nesting.

/// A logical line: continuations joined, blanks trimmed, never empty, never a comment.
#[derive(Debug, PartialEq)]
pub(crate) struct Line {
    pub text: String,
    /// The number of the line's first physical line, 1-based.
    pub number: u32,
}

/// Apache's `isspace`: also vertical tab, which `char::is_ascii_whitespace` leaves out.
fn is_blank(c: char) -> bool {
    c.is_ascii_whitespace() || c == '\x0b'
}

pub(crate) fn trim_blanks(s: &str) -> &str {
    s.trim_matches(is_blank)
}

/// The logical lines of `text`, in order.
///
/// A backslash as the very last character of a physical line removes itself and joins the next
/// physical line as it is. This happens before comments are recognised, so a comment ending in a
/// backslash swallows the next line, as in Apache.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = Line> + '_ {
    let mut physical = text.lines().enumerate();
    std::iter::from_fn(move || loop {
        let (index, first) = physical.next()?;
        let mut joined = first.to_string();
        while joined.ends_with('\\') {
            joined.pop();
            match physical.next() {
                Some((_, next)) => joined.push_str(next),
                None => break,
            }
        }
        let trimmed = trim_blanks(&joined);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        return Some(Line {
            text: trimmed.to_string(),
            number: u32::try_from(index + 1).unwrap_or(u32::MAX),
        });
    })
}

/// Splits a line into words. Blanks separate words; a word that starts with `"` or `'` runs to
/// the matching quote and may hold blanks, and inside it a backslash escapes that quote or a
/// backslash. Other backslashes, and quotes inside an unquoted word, are kept as written.
pub(crate) fn words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| is_blank(*c)).is_some() {}
        let Some(&first) = chars.peek() else {
            return Ok(words);
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                match chars.next() {
                    None => {
                        return Err(format!(
                            "Unterminated quoted string: missing closing {first}"
                        ))
                    }
                    Some(c) if c == first => break,
                    Some('\\') => match chars.next_if(|c| *c == first || *c == '\\') {
                        Some(escaped) => word.push(escaped),
                        None => word.push('\\'),
                    },
                    Some(c) => word.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !is_blank(*c)) {
                word.push(c);
            }
        }
        words.push(word);
    }
}

/// How a line begins: a section opening, a section close, or anything else.
#[derive(Debug, PartialEq)]
pub(crate) enum Tag<'a> {
    /// `<Name rest`: `rest` is everything after the name, untrimmed.
    Open { name: &'a str, rest: &'a str },
    /// `</Name rest`.
    Close { name: &'a str, rest: &'a str },
    /// Not a section line.
    Plain,
}

/// Recognises a section line by its first characters only. The name runs up to a blank or `>`.
pub(crate) fn tag(text: &str) -> Tag<'_> {
    let name_len = |s: &str| s.find(|c: char| is_blank(c) || c == '>').unwrap_or(s.len());
    if let Some(after) = text.strip_prefix("</") {
        let (name, rest) = after.split_at(name_len(after));
        Tag::Close { name, rest }
    } else if let Some(after) = text.strip_prefix('<') {
        let (name, rest) = after.split_at(name_len(after));
        Tag::Open { name, rest }
    } else {
        Tag::Plain
    }
}

/// One line, understood.
#[derive(Debug, PartialEq)]
pub(crate) enum Statement {
    /// `Name args…`
    Directive { name: String, args: Vec<String> },
    /// `<Name args…>`
    Open { name: String, args: Vec<String> },
    /// `</Name>`
    Close { name: String },
}

/// Parses a trimmed, non-empty, expanded line.
pub(crate) fn parse(text: &str) -> Result<Statement, String> {
    match tag(text) {
        Tag::Open { name, rest } => {
            if name.is_empty() {
                return Err("Section name missing after '<'".to_string());
            }
            // The '>' must end the line; Apache would ignore text after it, which hides mistakes.
            let Some(inner) = rest.strip_suffix('>') else {
                return Err(format!("<{name}> directive missing closing '>'"));
            };
            Ok(Statement::Open {
                name: name.to_string(),
                args: words(inner)?,
            })
        }
        Tag::Close { name, rest } => {
            if name.is_empty() {
                return Err("Section name missing after '</'".to_string());
            }
            let Some(inner) = rest.strip_suffix('>') else {
                return Err(format!("</{name}> directive missing closing '>'"));
            };
            if !trim_blanks(inner).is_empty() {
                return Err(format!("</{name}> takes no arguments"));
            }
            Ok(Statement::Close {
                name: name.to_string(),
            })
        }
        Tag::Plain => {
            let mut args = words(text)?;
            if args.is_empty() {
                return Err("Empty directive".to_string());
            }
            let name = args.remove(0);
            Ok(Statement::Directive { name, args })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logical(text: &str) -> Vec<(u32, String)> {
        lines(text).map(|l| (l.number, l.text)).collect()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn lines_trim_and_skip_blanks_and_comments() {
        let text =
            "  Listen 80  \n\n\t# a comment\n   #indented comment\nTimeout 5 # not a comment\r\n";
        assert_eq!(
            logical(text),
            vec![
                (1, "Listen 80".to_string()),
                (5, "Timeout 5 # not a comment".to_string())
            ]
        );
    }

    #[test]
    fn continuation_joins_and_keeps_first_line_number() {
        let text = "A\nServerName \\\n  example.com\\\n.org\nB";
        assert_eq!(
            logical(text),
            vec![
                (1, "A".to_string()),
                (2, "ServerName   example.com.org".to_string()),
                (5, "B".to_string())
            ]
        );
    }

    #[test]
    fn continuation_with_crlf_and_at_end_of_file() {
        assert_eq!(
            logical("A \\\r\nB\r\nC \\"),
            vec![(1, "A B".to_string()), (3, "C".to_string())]
        );
    }

    #[test]
    fn comment_ending_in_backslash_swallows_next_line() {
        assert_eq!(
            logical("# comment \\\nListen 80\nListen 81"),
            vec![(3, "Listen 81".to_string())]
        );
    }

    #[test]
    fn backslash_before_trailing_blank_does_not_continue() {
        assert_eq!(
            logical("A \\ \nB"),
            vec![(1, "A \\".to_string()), (2, "B".to_string())]
        );
    }

    #[test]
    fn words_split_on_blanks_and_quotes() {
        assert_eq!(
            words("a  \"b c\"\t'd e' f").unwrap(),
            strings(&["a", "b c", "d e", "f"])
        );
        assert_eq!(words("\"\" x").unwrap(), strings(&["", "x"]));
        // A quote only quotes at the start of a word; a closing quote ends the word.
        assert_eq!(
            words("a\"b\" \"c\"d").unwrap(),
            strings(&["a\"b\"", "c", "d"])
        );
    }

    #[test]
    fn quote_escapes() {
        assert_eq!(
            words(r#""say \"hi\"" 'it\'s' "back\\slash" "keep\n" 'mixed"'"#).unwrap(),
            strings(&["say \"hi\"", "it's", "back\\slash", "keep\\n", "mixed\""])
        );
        // Unquoted words keep their backslashes.
        assert_eq!(
            words(r"C:\\dir \d+").unwrap(),
            strings(&[r"C:\\dir", r"\d+"])
        );
    }

    #[test]
    fn unterminated_quote_is_an_error() {
        assert_eq!(
            words("a \"b c").unwrap_err(),
            "Unterminated quoted string: missing closing \""
        );
        assert_eq!(
            words(r"'escaped at end\'").unwrap_err(),
            "Unterminated quoted string: missing closing '"
        );
    }

    #[test]
    fn parse_directive_and_sections() {
        assert_eq!(
            parse("Listen 80").unwrap(),
            Statement::Directive {
                name: "Listen".into(),
                args: strings(&["80"])
            }
        );
        assert_eq!(
            parse("<Location \"/a b\">").unwrap(),
            Statement::Open {
                name: "Location".into(),
                args: strings(&["/a b"])
            }
        );
        assert_eq!(
            parse("<VirtualHost>").unwrap(),
            Statement::Open {
                name: "VirtualHost".into(),
                args: vec![]
            }
        );
        assert_eq!(
            parse("</Location >").unwrap(),
            Statement::Close {
                name: "Location".into()
            }
        );
    }

    #[test]
    fn parse_section_errors() {
        assert_eq!(
            parse("<Location /x").unwrap_err(),
            "<Location> directive missing closing '>'"
        );
        assert_eq!(
            parse("<Location /x> Require all granted").unwrap_err(),
            "<Location> directive missing closing '>'"
        );
        assert_eq!(
            parse("</Location").unwrap_err(),
            "</Location> directive missing closing '>'"
        );
        assert_eq!(
            parse("</Location /x>").unwrap_err(),
            "</Location> takes no arguments"
        );
        assert_eq!(
            parse("< Location>").unwrap_err(),
            "Section name missing after '<'"
        );
        assert_eq!(parse("</>").unwrap_err(), "Section name missing after '</'");
    }

    #[test]
    fn tag_is_lenient() {
        assert_eq!(
            tag("<IfModule !x"),
            Tag::Open {
                name: "IfModule",
                rest: " !x"
            }
        );
        assert_eq!(
            tag("</IfModule>"),
            Tag::Close {
                name: "IfModule",
                rest: ">"
            }
        );
        assert_eq!(tag("Listen 80"), Tag::Plain);
    }
}
