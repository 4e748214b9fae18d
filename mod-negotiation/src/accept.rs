//! The request's Accept-* fields as lists of ranges with qualities.

/// One element of an Accept-* list.
#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    /// The range, lower case (`text/html`, `text/*`, `en-gb`, `*`).
    pub name: String,
    /// Its quality (`q`, 1 unless given).
    pub q: f32,
    /// Whether `q` was written.
    pub explicit_q: bool,
}

/// Parses an Accept-* field value (several lines joined with `,`).
pub fn parse(value: &str) -> Vec<Range> {
    value
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let name = parts.next()?.trim().to_ascii_lowercase();
            if name.is_empty() {
                return None;
            }
            let mut range = Range {
                name,
                q: 1.0,
                explicit_q: false,
            };
            for param in parts {
                if let Some((k, v)) = param.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        range.q = v.trim().parse::<f32>().map_or(0.0, |q| q.clamp(0.0, 1.0));
                        range.explicit_q = true;
                    }
                }
            }
            Some(range)
        })
        .collect()
}

/// Apache's fiddle for old browsers: in an Accept without any `q`, `*/*` counts 0.01 and
/// `type/*` 0.02, so the types named explicitly win.
pub fn fiddle_media_wildcards(ranges: &mut [Range]) {
    if ranges.iter().any(|r| r.explicit_q) {
        return;
    }
    for r in ranges {
        if r.name == "*/*" {
            r.q = 0.01;
        } else if r.name.ends_with("/*") {
            r.q = 0.02;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_with_qualities() {
        let r = parse("text/html;level=1, text/*; q=0.5, ,EN;q=x");
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].name.as_str(), r[0].q), ("text/html", 1.0));
        assert_eq!((r[1].name.as_str(), r[1].q), ("text/*", 0.5));
        assert_eq!((r[2].name.as_str(), r[2].q), ("en", 0.0));
    }

    #[test]
    fn wildcards_fiddled_only_without_q() {
        let mut r = parse("text/html, text/*, */*");
        fiddle_media_wildcards(&mut r);
        assert_eq!(r.iter().map(|r| r.q).collect::<Vec<_>>(), [1.0, 0.02, 0.01]);
        let mut r = parse("text/html, */*;q=0.9");
        fiddle_media_wildcards(&mut r);
        assert_eq!(r[1].q, 0.9);
    }
}
