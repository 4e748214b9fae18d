//! TRACE, answered by the core as Apache's `ap_send_http_trace` does (a map_to_storage hook
//! there: before access control, whatever the URL maps to). `TraceEnable On`: 200 with the
//! request line and header fields echoed as `message/http`, a request body refused (413);
//! `extended`: a body of up to 64 KiB echoed too; `Off`: 405.

use super::Outcome;
use crate::config::settings::TraceEnable;
use crate::http::BodyFraming;
use crate::serve::request::RequestCtx;

/// Most body bytes `TraceEnable extended` echoes.
const MAX_BODY: usize = 64 * 1024;

/// Apache's 413 sentence for TRACE (its line break included).
const TOO_LARGE: &str = "The requested resource does not allow request data with TRACE requests, or the amount of data provided in\nthe request exceeds the capacity limit.";

/// Answers a TRACE request (`Err`: the outcome); other methods go on (`Ok`).
pub fn answer(req: &mut RequestCtx<'_>) -> Result<(), Outcome> {
    if req.head.method != "TRACE" {
        return Ok(());
    }
    let mode = req.vhost.trace_enable;
    if mode == TraceEnable::Off {
        req.error_detail = Some("The requested method TRACE is not allowed for this URL.");
        // Apache's Allow is empty here: nothing was offered for the method yet.
        req.set_header("Allow", "", false);
        return Err(Some(405));
    }
    let has_body = match req.head.framing {
        BodyFraming::None | BodyFraming::Length(0) => false,
        BodyFraming::Length(n) => mode != TraceEnable::Extended || n > MAX_BODY as u64,
        BodyFraming::Chunked => mode != TraceEnable::Extended,
    };
    if has_body {
        return too_large(req);
    }
    let mut body = Vec::new();
    if mode == TraceEnable::Extended {
        let mut buf = [0u8; 8192];
        loop {
            match req.read_body(&mut buf) {
                Ok(0) => break,
                Ok(n) if body.len() + n > MAX_BODY => return too_large(req),
                Ok(n) => body.extend_from_slice(&buf[..n]),
                Err(_) => return Err(Some(400)),
            }
        }
    }
    let echo = echo(req, &body);
    req.set_header("Content-Type", "message/http", false);
    req.write(&echo);
    Err(None)
}

fn too_large(req: &mut RequestCtx<'_>) -> Result<(), Outcome> {
    req.error_detail = Some(TOO_LARGE);
    // The body is not read: the connection cannot go on.
    req.conn.close_after_response();
    Err(Some(413))
}

/// The request line and header fields as received, CRLF-ended, then the body.
fn echo(req: &RequestCtx<'_>, body: &[u8]) -> Vec<u8> {
    let h = &req.head;
    let mut out = Vec::with_capacity(256 + body.len());
    out.extend_from_slice(h.method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(h.target.as_bytes());
    out.push(b' ');
    out.extend_from_slice(h.protocol.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (name, value) in &h.headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}
