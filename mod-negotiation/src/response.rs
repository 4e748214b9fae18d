//! What a negotiated response carries, as Apache's mod_negotiation sets it: `Vary` naming the
//! dimensions in which the variants differ (with `negotiate`), `TCN`, `Content-Location` for a
//! choice, and for 406 the `Alternates` field and Apache's page listing the variants.

use crate::variant::Variant;
use mapache_plugin_api::sdk::html_escape;

/// The `Vary` value for these variants: `negotiate`, then `accept`, `accept-language`,
/// `accept-charset`, `accept-encoding` for each dimension in which some variant differs from
/// the first.
pub fn vary(variants: &[Variant]) -> String {
    let mut parts = vec!["negotiate"];
    if let Some(first) = variants.first() {
        let differs = |f: &dyn Fn(&Variant) -> String| variants.iter().any(|v| f(v) != f(first));
        if differs(&|v| v.media.clone()) {
            parts.push("accept");
        }
        if differs(&|v| v.languages.join(",")) {
            parts.push("accept-language");
        }
        if differs(&|v| v.charset.clone().unwrap_or_default()) {
            parts.push("accept-charset");
        }
        if differs(&|v| v.encoding.clone().unwrap_or_default()) {
            parts.push("accept-encoding");
        }
    }
    parts.join(",")
}

/// The `Alternates` value of a 406: `{"name" qs {type t} {language l} {length n}}, …`
/// (Apache leaves the description out).
pub fn alternates(variants: &[Variant]) -> String {
    variants
        .iter()
        .map(|v| {
            let mut s = format!("{{\"{}\" {}", escape_uri(&v.uri), v.qs);
            if !v.media.is_empty() {
                s.push_str(&format!(" {{type {}}}", v.media));
            }
            if let Some(c) = &v.charset {
                s.push_str(&format!(" {{charset {c}}}"));
            }
            if !v.languages.is_empty() {
                s.push_str(&format!(" {{language {}}}", v.languages.join(", ")));
            }
            if let Some(e) = &v.encoding {
                s.push_str(&format!(" {{encoding {e}}}"));
            }
            if let Some(n) = v.length {
                s.push_str(&format!(" {{length {n}}}"));
            }
            s.push('}');
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Apache's 406 page, with the list of variants.
pub fn not_acceptable_page(variants: &[Variant]) -> String {
    let mut page = String::from(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n\
         <html><head>\n<title>406 Not Acceptable</title>\n</head><body>\n<h1>Not Acceptable</h1>\n\
         <p>An appropriate representation of the requested resource could not be found on this server.</p>\n\
         Available variants:\n<ul>\n",
    );
    for v in variants {
        let name = html_escape(&v.uri);
        page.push_str(&format!(
            "<li><a href=\"{}\">{name}</a> {}",
            html_escape(&escape_uri(&v.uri)),
            html_escape(v.description.as_deref().unwrap_or(""))
        ));
        if !v.media.is_empty() {
            page.push_str(&format!(", type {}", html_escape(&v.media)));
        }
        if !v.languages.is_empty() {
            page.push_str(&format!(
                ", language {}",
                html_escape(&v.languages.join(", "))
            ));
        }
        if let Some(c) = &v.charset {
            page.push_str(&format!(", charset {}", html_escape(c)));
        }
        if let Some(e) = &v.encoding {
            page.push_str(&format!(", encoding {}", html_escape(e)));
        }
        page.push_str("</li>\n");
    }
    page.push_str("</ul>\n</body></html>\n");
    page
}

/// A file name or relative URI as it goes into a URL: bytes outside the unreserved set and
/// `/;:@&=+$,~` percent-encoded (Apache's `ap_escape_uri`).
pub fn escape_uri(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for &b in name.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()/;:@&=+$,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(uri: &str, ty: &str, lang: &str, len: u64) -> Variant {
        let mut v = Variant::named(uri);
        v.set_content_type(ty);
        if !lang.is_empty() {
            v.languages = vec![lang.into()];
        }
        v.length = Some(len);
        v
    }

    #[test]
    fn vary_names_what_differs() {
        let a = v("a.en.html", "text/html", "en", 1);
        let b = v("a.de.html", "text/html", "de", 1);
        assert_eq!(vary(&[a.clone(), b]), "negotiate,accept-language");
        let c = v("a.txt", "text/plain; qs=0.5", "en", 1);
        assert_eq!(vary(&[a.clone(), c]), "negotiate,accept");
        assert_eq!(vary(&[a]), "negotiate");
    }

    #[test]
    fn alternates_and_the_list_page_as_apache_writes_them() {
        let mut t = v("a.txt", "text/plain; qs=0.5", "", 6);
        t.description = Some("plain text".into());
        let vs = [v("a.html", "text/html; qs=0.8", "", 12), t];
        assert_eq!(
            alternates(&vs[..1]),
            "{\"a.html\" 0.8 {type text/html} {length 12}}"
        );
        let page = not_acceptable_page(&vs);
        assert!(
            page.contains(
                "<li><a href=\"a.html\">a.html</a> , type text/html</li>\n\
             <li><a href=\"a.txt\">a.txt</a> plain text, type text/plain</li>\n"
            ),
            "{page}"
        );
        assert_eq!(escape_uri("a b%.html"), "a%20b%25.html");
    }
}
