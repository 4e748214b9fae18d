//! # mod-expires
//!
//! Apache's mod_expires: `ExpiresActive`, `ExpiresByType` (also `major/*`) and
//! `ExpiresDefault` per scope (server, virtual host, section, `.htaccess` under
//! `AllowOverride Indexes`), merged as Apache merges them. The insert_filter hook adds the
//! header-only output filter `MOD_EXPIRES` where expiry is on; at the header stage it reads the
//! final status and Content-Type and sets `Expires` and `Cache-Control: max-age=N` (after an
//! existing Cache-Control), then leaves the chain, so file bodies still go out with sendfile.
//! As Apache: nothing for errors (status 400 and above) or when an `Expires` is already set;
//! a modification-based code applies only to a response with a `Last-Modified`.

pub mod code;
pub mod config;
pub mod http_date;

use config::ExpiresConfig;
use mapache_plugin_api::{mapache_module, sdk::*};
use std::time::{SystemTime, UNIX_EPOCH};

/// The module's value (nothing beyond the typed configuration).
struct Expires;

impl HandlerModule for Expires {
    fn init(_config: &Config<'_>) -> Result<Self, String> {
        Ok(Expires)
    }
}

impl InsertFilter for Expires {
    fn insert_filter(&self, req: &mut Request<'_>) -> Verdict {
        let Some(config) = req.module_config::<ExpiresConfig>() else {
            return Verdict::Declined;
        };
        // As Apache's expires_insert_filter: only where it is on and something is configured.
        if config.active != Some(true) || (config.default.is_none() && config.by_type.is_empty()) {
            return Verdict::Declined;
        }
        match req.add_filter(FILTER_NAME) {
            Ok(()) => Verdict::Ok,
            Err(e) => {
                req.log(Level::Error, &format!("{FILTER_NAME}: {e:?}"));
                Verdict::Declined
            }
        }
    }
}

/// The filter's name, as Apache's.
const FILTER_NAME: &str = "MOD_EXPIRES";

/// The header-only filter.
struct ExpiresFilter;

impl OutputFilter for ExpiresFilter {
    type State = ();
    const CLASS: i32 = mapache_plugin_api::sdk::filter::class::CONTENT_SET;
    const KEEPS_LENGTH: bool = true;

    fn headers(&self, req: &mut Request<'_>, _state: &mut ()) -> FilterVerdict {
        if req.status() >= 400 {
            return FilterVerdict::Leave;
        }
        let Some(config) = req.module_config::<ExpiresConfig>() else {
            return FilterVerdict::Leave;
        };
        let table = if req.table_get(Table::ErrHeadersOut, "Expires").is_some()
            || req.table_get(Table::HeadersOut, "Expires").is_some()
        {
            return FilterVerdict::Leave;
        } else {
            Table::HeadersOut
        };
        let content_type = req.table_get(table, "Content-Type").map(str::to_owned);
        let Some(code) = config.code_for(content_type.as_deref()) else {
            return FilterVerdict::Leave;
        };
        // The request's time, to the microsecond as Apache's request_time.
        let now = SystemTime::now()
            .checked_sub(req.elapsed())
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_micros() as i64);
        let mtime = req
            .table_get(table, "Last-Modified")
            .and_then(http_date::parse);
        let Some((max_age, expires)) = code::apply(code, now, mtime) else {
            return FilterVerdict::Leave;
        };
        let cache_control =
            code::merged_cache_control(req.table_get(table, "Cache-Control"), max_age);
        let set = req
            .table_set(table, "Cache-Control", &cache_control)
            .and_then(|()| req.table_set(table, "Expires", &http_date::format(expires)));
        if let Err(e) = set {
            req.log(Level::Error, &format!("{FILTER_NAME}: {e:?}"));
        }
        FilterVerdict::Leave
    }
}

mapache_module! {
    symbol: expires_module,
    name: "expires",
    handler: Expires,
    directives: [
        ("ExpiresActive", FLAG, ANY | INDEXES, "Limited to 'on' or 'off'"),
        ("ExpiresByType", TAKE2, ANY | INDEXES, "a MIME type followed by an expiry date code"),
        ("ExpiresDefault", TAKE1, ANY | INDEXES, "an expiry date code"),
    ],
    config: ExpiresConfig,
    hooks: [InsertFilter],
    filters: [output("MOD_EXPIRES", ExpiresFilter)],
    apache_names: ["expires_module"],
}
