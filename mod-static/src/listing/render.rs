//! The listing page, byte for byte as Apache 2.4's mod_autoindex writes it (`emit_head`,
//! `output_directories`, `emit_tail`): the preamble or the `HeaderName` file, then a plain
//! `<ul>` list, the `FancyIndexing` `<pre>` columns or the `HTMLTable` table, then the
//! `ReadmeName` file.

use super::config::{self, IndexConfig, SortKey, Width};
use super::sort::Order;
use super::Row;
use std::fmt::Write as _;
use std::time::SystemTime;

/// The contents of a `HeaderName` or `ReadmeName` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Included {
    /// A `text/html` file: written as it is.
    Html(Vec<u8>),
    /// Another `text/*` file: in a `<pre>` block, escaped.
    Plain(Vec<u8>),
}

/// Everything a page shows.
pub struct Page<'a> {
    /// The directory's URL path (decoded, ending in `/`).
    pub url_path: &'a [u8],
    /// The parent directory's row and URL path (none at the top).
    pub parent: Option<(Row, Vec<u8>)>,
    /// The entries, sorted.
    pub rows: &'a [Row],
    pub config: &'a IndexConfig,
    pub order: Order,
    /// The client's `F=`, `V=`, `P=` arguments, carried on by the column links.
    pub colargs: &'a str,
    pub header: Option<Included>,
    pub readme: Option<Included>,
}

const DOCTYPE_HTML: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n";
const DOCTYPE_XHTML: &str = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n";
/// Apache's icon sizes for a bare `IconWidth`/`IconHeight`.
const DEFAULT_ICON_WIDTH: u32 = 20;
const DEFAULT_ICON_HEIGHT: u32 = 22;

/// `ap_escape_html`: `<`, `>`, `&` and `"`.
fn html(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// `ap_os_escape_path(…, 0)`: bytes other than letters, digits and `$-_.+!*'(),:@&=/~` as
/// `%xx`; a name with `:` before any `/` gets `./` first, so it cannot read as a scheme.
fn escape_path(bytes: &[u8]) -> String {
    let mut out = String::new();
    let colon = bytes.iter().position(|&b| b == b':');
    let slash = bytes.iter().position(|&b| b == b'/');
    if colon.is_some_and(|c| slash.is_none_or(|s| c < s)) {
        out.push_str("./");
    }
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"$-_.+!*'(),:@&=/~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02x}");
        }
    }
    out
}

/// `apr_strfsize`: four columns, `  - ` for none.
fn size_text(size: Option<u64>) -> String {
    let Some(mut size) = size else {
        return "  - ".to_owned();
    };
    if size < 973 {
        return format!("{size:3} ");
    }
    for unit in ['K', 'M', 'G', 'T', 'P', 'E'] {
        let mut remain = size & 1023;
        size >>= 10;
        if size >= 973 {
            continue;
        }
        if size < 9 || (size == 9 && remain < 973) {
            remain = (remain * 5 + 256) / 512;
            if remain >= 10 {
                size += 1;
                remain = 0;
            }
            return format!("{size}.{remain}{unit}");
        }
        if remain >= 512 {
            size += 1;
        }
        return format!("{size:3}{unit}");
    }
    "****".to_owned()
}

/// `%Y-%m-%d %H:%M  ` in local time, as Apache writes modification times.
fn date_text(t: SystemTime) -> String {
    let secs = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as libc::time_t,
        Err(_) => 0,
    };
    // SAFETY: `tm` is plain data; localtime_r writes it and keeps no pointer.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call.
    if unsafe { libc::localtime_r(&secs, &mut tm) }.is_null() {
        return " ".repeat(18);
    }
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}  ",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min
    )
}

/// `terminate_description`: at most `width` visible characters (tags skipped, an entity one
/// character), the last replaced by `>` when cut.
fn terminate(desc: &str, width: usize) -> String {
    let d = desc.as_bytes();
    let mut left = width as isize;
    let mut x = 0;
    while x < d.len() && (left > 0 || d[x] == b'<') {
        if d[x] == b'<' {
            while x < d.len() && d[x] != b'>' {
                x += 1;
            }
            if x == d.len() {
                left = 0;
                break;
            }
        } else if d[x] == b'&' {
            left -= 1;
            while x < d.len() && d[x] != b';' {
                x += 1;
            }
            if x == d.len() {
                left = 0;
                break;
            }
        } else {
            left -= 1;
        }
        x += 1;
    }
    if left == 0 && x < d.len() {
        let mut cut = d[..x.saturating_sub(1)].to_vec();
        cut.push(b'>');
        return String::from_utf8_lossy(&cut).into_owned();
    }
    desc.to_owned()
}

/// The page.
pub fn render(page: &Page<'_>) -> String {
    let c = page.config;
    let styled = c.style_sheet.is_some();
    let xhtml = c.has(config::XHTML);
    let close = if xhtml { " />" } else { ">" };
    // Apache's title: the URL path without its trailing slashes (`/` stays).
    let mut path = page.url_path;
    while path.len() > 1 && path.ends_with(b"/") {
        path = &path[..path.len() - 1];
    }
    let title = html(path);
    let mut out = String::new();
    let preamble = |out: &mut String| {
        out.push_str(if xhtml { DOCTYPE_XHTML } else { DOCTYPE_HTML });
        out.push_str(if xhtml {
            "<html xmlns=\"http://www.w3.org/1999/xhtml\">\n"
        } else {
            "<html>\n"
        });
        let _ = writeln!(out, " <head>\n  <title>Index of {title}</title>");
        if let Some(css) = &c.style_sheet {
            let _ = writeln!(
                out,
                "  <link rel=\"stylesheet\" href=\"{css}\" type=\"text/css\"{close}"
            );
        }
        if let Some(insert) = &c.head_insert {
            out.push_str(insert);
        }
        out.push_str(" </head>\n <body>\n");
    };
    match &page.header {
        Some(Included::Html(body)) => {
            if !c.has(config::SUPPRESS_HTML_PREAMBLE) {
                preamble(&mut out);
            }
            out.push_str(&String::from_utf8_lossy(body));
        }
        Some(Included::Plain(body)) => {
            preamble(&mut out);
            plain_block(&mut out, body);
        }
        None => {
            preamble(&mut out);
            if styled {
                let _ = writeln!(out, "  <h1 id=\"indextitle\">Index of {title}</h1>");
            } else {
                let _ = writeln!(out, "<h1>Index of {title}</h1>");
            }
        }
    }
    let mut rows: Vec<(&Row, String)> = Vec::new();
    if let Some((row, href)) = &page.parent {
        rows.push((row, escape_path(href)));
    }
    rows.extend(page.rows.iter().map(|r| (r, escape_path(&r.name))));
    if c.has(config::HTML_TABLE) {
        table(&mut out, page, &rows, close);
    } else if c.has(config::FANCY_INDEXING) {
        fancy(&mut out, page, &rows, close);
    } else {
        out.push_str("<ul>");
        for (row, href) in &rows {
            let _ = writeln!(
                out,
                "<li><a href=\"{}\"> {}</a></li>",
                html(href.as_bytes()),
                html(&row.name)
            );
        }
        out.push_str("</ul>\n");
    }
    // An HTML readme under SuppressHTMLPreamble brings its own end.
    let mut post = true;
    match &page.readme {
        Some(Included::Html(body)) => {
            out.push_str(&String::from_utf8_lossy(body));
            post = !c.has(config::SUPPRESS_HTML_PREAMBLE);
        }
        Some(Included::Plain(body)) => plain_block(&mut out, body),
        None => {}
    }
    if post {
        out.push_str("</body></html>\n");
    }
    out
}

/// `do_emit_plain`.
fn plain_block(out: &mut String, body: &[u8]) {
    out.push_str("<pre>\n");
    for c in String::from_utf8_lossy(body).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out.push_str("</pre>\n");
}

/// A column head: a link that sorts by it (the other way round when it is the current key).
fn column(page: &Page<'_>, text: &str, key: SortKey) -> String {
    if page.config.has(config::SUPPRESS_COLUMN_SORTING) {
        return text.to_owned();
    }
    let dir = if page.order.key == key && page.order.ascending {
        'D'
    } else {
        'A'
    };
    format!(
        "<a href=\"?C={};O={dir}{}\">{text}</a>",
        key.letter(),
        page.colargs
    )
}

/// ` width="…" height="…"` of icons.
fn icon_size(c: &IndexConfig) -> String {
    let mut s = String::new();
    if let Some(w) = c.icon_width {
        let _ = write!(s, " width=\"{}\"", w.unwrap_or(DEFAULT_ICON_WIDTH));
    }
    if let Some(h) = c.icon_height {
        let _ = write!(s, " height=\"{}\"", h.unwrap_or(DEFAULT_ICON_HEIGHT));
    }
    s
}

/// An entry's name as shown: cut to `width` with `..>` when longer.
fn shown_name(name: &[u8], width: Option<usize>) -> (String, usize) {
    match width {
        Some(w) if name.len() > w => {
            let mut cut = name[..w.saturating_sub(3)].to_vec();
            cut.extend_from_slice(b"..>");
            (html(&cut), w)
        }
        _ => (html(name), name.len()),
    }
}

fn table(out: &mut String, page: &Page<'_>, rows: &[(&Row, String)], close: &str) {
    let c = page.config;
    let styled = c.style_sheet.is_some();
    let cls = |name: &str, plain: &str| {
        if styled {
            format!(" class=\"{name}\"")
        } else {
            plain.to_owned()
        }
    };
    let show_icon = !c.has(config::SUPPRESS_ICON);
    let show_lm = !c.has(config::SUPPRESS_LAST_MODIFIED);
    let show_size = !c.has(config::SUPPRESS_SIZE);
    let show_desc = !c.has(config::SUPPRESS_DESCRIPTION);
    let cols = 1
        + usize::from(show_icon)
        + usize::from(show_lm)
        + usize::from(show_size)
        + usize::from(show_desc);
    let breakrow = if c.has(config::SUPPRESS_RULES) {
        String::new()
    } else {
        format!(
            "   <tr{}><th colspan=\"{cols}\"><hr{close}</th></tr>\n",
            cls("indexbreakrow", "")
        )
    };
    let _ = writeln!(
        out,
        "  <table{}>",
        if styled { " id=\"indexlist\"" } else { "" }
    );
    let _ = write!(out, "   <tr{}>", cls("indexhead", ""));
    if show_icon {
        let _ = write!(out, "<th{}>", cls("indexcolicon", " valign=\"top\""));
        match c.blank_icon() {
            Some(icon) => {
                let _ = write!(
                    out,
                    "<img src=\"{}\" alt=\"[ICO]\"{}{close}",
                    html(icon.as_bytes()),
                    icon_size(c)
                );
            }
            None => out.push_str("&nbsp;"),
        }
        out.push_str("</th>");
    }
    for (shown, class, title, key) in [
        (true, "indexcolname", "Name", SortKey::Name),
        (
            show_lm,
            "indexcollastmod",
            "Last modified",
            SortKey::Modified,
        ),
        (show_size, "indexcolsize", "Size", SortKey::Size),
        (
            show_desc,
            "indexcoldesc",
            "Description",
            SortKey::Description,
        ),
    ] {
        if shown {
            let _ = write!(
                out,
                "<th{}>{}</th>",
                cls(class, ""),
                column(page, title, key)
            );
        }
    }
    out.push_str("</tr>\n");
    out.push_str(&breakrow);
    let name_width = (c.name_width != Width::Adjust).then(|| c.name_width.base());
    for (x, (row, href)) in rows.iter().enumerate() {
        if styled {
            let _ = write!(
                out,
                "   <tr class=\"{}\">",
                if x % 2 == 1 { "odd" } else { "even" }
            );
        } else {
            out.push_str("<tr>");
        }
        if show_icon {
            let _ = write!(out, "<td{}>", cls("indexcolicon", " valign=\"top\""));
            if c.has(config::ICONS_ARE_LINKS) {
                let _ = write!(out, "<a href=\"{}\">", html(href.as_bytes()));
            }
            match row.icon.as_ref().or(c.default_icon.as_ref()) {
                Some(icon) => {
                    let _ = write!(
                        out,
                        "<img src=\"{}\" alt=\"[{}]\"{}{close}",
                        html(icon.as_bytes()),
                        row.alt.as_deref().unwrap_or("   "),
                        icon_size(c)
                    );
                }
                None => out.push_str("&nbsp;"),
            }
            if c.has(config::ICONS_ARE_LINKS) {
                out.push_str("</a>");
            }
            out.push_str("</td>");
        }
        let (name, width) = shown_name(&row.name, name_width);
        let pad = name_width.map_or(0, |w| w.saturating_sub(width));
        let _ = write!(
            out,
            "<td{}><a href=\"{}\">{name}</a>{}</td>",
            cls("indexcolname", ""),
            html(href.as_bytes()),
            " ".repeat(pad)
        );
        if show_lm {
            match row.modified {
                Some(t) => {
                    let _ = write!(
                        out,
                        "<td{}>{}</td>",
                        cls("indexcollastmod", " align=\"right\""),
                        date_text(t)
                    );
                }
                None => {
                    let _ = write!(out, "<td{}>&nbsp;</td>", cls("indexcollastmod", ""));
                }
            }
        }
        if show_size {
            let _ = write!(
                out,
                "<td{}>{}</td>",
                cls("indexcolsize", " align=\"right\""),
                size_text(row.size)
            );
        }
        if show_desc {
            let desc = row
                .description
                .as_deref()
                .map(|d| match c.description_width {
                    Width::Adjust => d.to_owned(),
                    w => terminate(d, w.base()),
                });
            let _ = write!(
                out,
                "<td{}>{}</td>",
                cls("indexcoldesc", ""),
                desc.as_deref().unwrap_or("&nbsp;")
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str(&breakrow);
    out.push_str("</table>\n");
}

fn fancy(out: &mut String, page: &Page<'_>, rows: &[(&Row, String)], close: &str) {
    let c = page.config;
    let show_icon = !c.has(config::SUPPRESS_ICON);
    let show_lm = !c.has(config::SUPPRESS_LAST_MODIFIED);
    let show_size = !c.has(config::SUPPRESS_SIZE);
    let show_desc = !c.has(config::SUPPRESS_DESCRIPTION);
    let rules = !c.has(config::SUPPRESS_RULES);
    let links = c.has(config::ICONS_ARE_LINKS);
    let mut name_width = c.name_width.base();
    if c.name_width == Width::Adjust {
        // Apache counts the parent's entry by its path.
        let parent = page.parent.as_ref().map(|(_, path)| path.len());
        name_width = page
            .rows
            .iter()
            .map(|r| r.name.len())
            .chain(parent)
            .fold(name_width, usize::max);
    }
    let mut desc_width = c.description_width.base();
    if c.description_width == Width::Adjust {
        desc_width = rows
            .iter()
            .filter_map(|(r, _)| r.description.as_ref())
            .map(String::len)
            .fold(desc_width, usize::max);
    }
    if c.description_width == Width::Unset {
        // Apache's old habit: the room of suppressed columns goes to the description.
        desc_width += if show_icon { 0 } else { 6 }
            + if show_lm { 0 } else { 19 }
            + if show_size { 0 } else { 7 };
    }
    out.push_str("<pre>");
    if show_icon {
        match c.blank_icon() {
            Some(icon) => {
                let _ = write!(
                    out,
                    "<img src=\"{}\" alt=\"Icon \"{}{close} ",
                    html(icon.as_bytes()),
                    icon_size(c)
                );
            }
            None => out.push_str("      "),
        }
    }
    out.push_str(&column(page, "Name", SortKey::Name));
    out.push_str(&" ".repeat(name_width.saturating_sub(4)));
    out.push(' ');
    if show_lm {
        out.push_str(&column(page, "Last modified", SortKey::Modified));
        out.push_str("      ");
    }
    if show_size {
        out.push_str(&column(page, "Size", SortKey::Size));
        out.push_str("  ");
    }
    if show_desc {
        out.push_str(&column(page, "Description", SortKey::Description));
    }
    if rules {
        let _ = write!(out, "<hr{close}");
    } else {
        out.push('\n');
    }
    for (row, href) in rows {
        let anchor = html(href.as_bytes());
        if show_icon {
            if links {
                let _ = write!(out, "<a href=\"{anchor}\">");
            }
            match row.icon.as_ref().or(c.default_icon.as_ref()) {
                Some(icon) => {
                    let _ = write!(
                        out,
                        "<img src=\"{}\" alt=\"[{}]\"{}{close}",
                        html(icon.as_bytes()),
                        row.alt.as_deref().unwrap_or("   "),
                        icon_size(c)
                    );
                }
                None => out.push_str("     "),
            }
            out.push_str(if links { "</a> " } else { " " });
        }
        let (name, width) = shown_name(&row.name, Some(name_width));
        let _ = write!(
            out,
            "<a href=\"{anchor}\">{name}</a>{} ",
            " ".repeat(name_width.saturating_sub(width))
        );
        if show_lm {
            match row.modified {
                Some(t) => out.push_str(&date_text(t)),
                // Apache's blank is one wider than its dates.
                None => out.push_str(&" ".repeat(19)),
            }
        }
        if show_size {
            out.push_str(&size_text(row.size));
            out.push_str("  ");
        }
        if show_desc {
            if let Some(d) = &row.description {
                out.push_str(&terminate(d, desc_width));
            }
        }
        out.push('\n');
    }
    if rules {
        let _ = writeln!(out, "<hr{close}</pre>");
    } else {
        out.push_str("</pre>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apaches_sizes() {
        let s = |n| size_text(Some(n));
        assert_eq!(s(6), "  6 ");
        assert_eq!(s(972), "972 ");
        assert_eq!(s(3000), "2.9K");
        assert_eq!(s(973), "1.0K");
        assert_eq!(s(20 * 1024), " 20K");
        assert_eq!(s(5 * 1024 * 1024 + 600 * 1024), "5.6M");
        assert_eq!(size_text(None), "  - ");
    }

    #[test]
    fn apaches_escapes() {
        assert_eq!(escape_path(b"Zed & <b>.c"), "Zed%20&%20%3cb%3e.c");
        assert_eq!(escape_path(b"x:y"), "./x:y");
        assert_eq!(escape_path(b"sub/"), "sub/");
        assert_eq!(escape_path(b"caf\xe9"), "caf%e9");
        assert_eq!(html(b"a&b<\"'>"), "a&amp;b&lt;&quot;'&gt;");
    }

    #[test]
    fn descriptions_are_cut_as_apache() {
        let long = "A long description <b>bold</b> that is much longer than twenty-three";
        assert_eq!(terminate(long, 23), "A long description <b>bold</b>");
        assert_eq!(terminate(long, 15), "A long descrip>");
        assert_eq!(terminate("short", 15), "short");
        assert_eq!(terminate("&auml;&ouml;xyz", 3), "&auml;&ouml;>");
    }
}
