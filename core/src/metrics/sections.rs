//! The modules' sections of the status page (`status_sections`): each handler module's
//! `status_section`, in LoadModule order, captured first so that a section that declines leaves
//! nothing, then written to the response (for JSON as `"name": {…}` members, comma-separated).

use crate::serve::request::RequestCtx;
use mapache_plugin_api::abi::{MAPACHE_OK, MAPACHE_STATUS_JSON};

/// A JSON string literal of `s`.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Writes every module's section in `format` to `req`'s response. False when the client has
/// gone. A section asking for the sections again (from inside one) gets nothing.
pub fn write_all(req: &mut RequestCtx<'_>, format: u32) -> bool {
    if req.capture.is_some() {
        return true;
    }
    let mut first = true;
    let srv = req.conn.srv;
    for module in &srv.handlers {
        let Some(section) = module.desc.status_section else {
            continue;
        };
        req.capture = Some(Vec::new());
        let rc = section(req.as_raw(), format);
        let text = req.capture.take().unwrap_or_default();
        if rc != MAPACHE_OK || text.is_empty() {
            continue;
        }
        let ok = if format == MAPACHE_STATUS_JSON {
            let key = format!(
                "{}{}: ",
                if first { "" } else { "," },
                json_string(&module.name)
            );
            req.write(key.as_bytes()) && req.write(&text)
        } else {
            req.write(&text)
        };
        first = false;
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_json_strings() {
        assert_eq!(json_string("probe"), "\"probe\"");
        assert_eq!(json_string("a\"b\\\n"), "\"a\\\"b\\\\\\u000a\"");
    }
}
