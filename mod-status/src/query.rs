//! The options a status request carries in its query string: `auto`, `json`, `prometheus`,
//! `notable` and `refresh[=N]`, separated by `&` or `;`, in any order (Apache's are found
//! anywhere in the query too).

/// What to answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The HTML page.
    Html,
    /// Apache's `?auto` text.
    Auto,
    /// JSON.
    Json,
    /// Prometheus text exposition 0.0.4.
    Prometheus,
}

/// The parsed options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The format; when several are named, the last wins.
    pub format: Format,
    /// Seconds for a `Refresh` header.
    pub refresh: Option<u32>,
    /// The HTML page without tables.
    pub no_tables: bool,
}

/// `refresh` without a usable number: Apache 2.4's default.
const DEFAULT_REFRESH: u32 = 10;

impl Options {
    /// Parses a query string (without `?`), starting from `format`.
    pub fn parse(query: &str, format: Format) -> Options {
        let mut o = Options {
            format,
            refresh: None,
            no_tables: false,
        };
        for item in query.split(['&', ';']) {
            let (key, value) = item.split_once('=').unwrap_or((item, ""));
            match key {
                "auto" => o.format = Format::Auto,
                "json" => o.format = Format::Json,
                "prometheus" | "metrics" => o.format = Format::Prometheus,
                "notable" => o.no_tables = true,
                "refresh" => {
                    let secs = value.parse::<u32>().ok().filter(|&n| n >= 1);
                    o.refresh = Some(secs.unwrap_or(DEFAULT_REFRESH));
                }
                _ => {}
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_in_any_order() {
        let o = Options::parse("", Format::Html);
        assert_eq!(
            (o.format, o.refresh, o.no_tables),
            (Format::Html, None, false)
        );
        let o = Options::parse("refresh=5&auto", Format::Html);
        assert_eq!((o.format, o.refresh), (Format::Auto, Some(5)));
        let o = Options::parse("notable;refresh", Format::Html);
        assert_eq!((o.no_tables, o.refresh), (true, Some(10)));
        assert_eq!(Options::parse("refresh=0", Format::Html).refresh, Some(10));
        assert_eq!(Options::parse("refresh=x", Format::Html).refresh, Some(10));
        assert_eq!(Options::parse("json", Format::Html).format, Format::Json);
        assert_eq!(
            Options::parse("", Format::Prometheus).format,
            Format::Prometheus
        );
        assert_eq!(Options::parse("autox", Format::Html).format, Format::Html);
    }
}
