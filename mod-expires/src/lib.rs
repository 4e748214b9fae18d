//! # mod-expires
//!
//! Apache's mod_expires, in progress: the parser of expiry codes (`A86400`, `"access plus 1
//! month"`), the per-scope configuration with Apache's merge, and the computation of
//! `Cache-Control: max-age` and `Expires`. The header-stage output filter that applies them to
//! responses is not written yet, so the crate builds no `.so` yet.

pub mod code;
pub mod config;
