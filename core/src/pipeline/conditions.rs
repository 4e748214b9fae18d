//! `<If>`, `<ElseIf>` and `<Else>` per request: once the file is mapped, the conditions of the
//! sections in effect are evaluated against the request (the expression language's
//! [`Vars`] over a [`RequestCtx`]) and those that hold are merged last, as Apache's
//! `ap_if_walk`. A true `<If>` is one more section index, so the scope cache covers it.

use crate::expr::Vars;
use crate::logs::error_log;
use crate::serve::request::RequestCtx;

/// The request as the expression language sees it.
pub struct RequestVars<'r, 'c> {
    /// The request.
    pub req: &'r RequestCtx<'c>,
}

impl Vars for RequestVars<'_, '_> {
    fn var(&self, name: &str) -> Option<String> {
        let req = self.req;
        let head = &req.head;
        let conn = &req.conn;
        let srv = conn.srv;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        if let Some(header) = name.strip_prefix("HTTP_") {
            if name != "HTTP_HOST" || head.authority.is_none() {
                return self.request_header(&header.replace('_', "-"));
            }
        }
        Some(match name {
            "HTTP_HOST" => text(head.host()?),
            "REQUEST_METHOD" => head.method.to_owned(),
            "REQUEST_SCHEME" => "http".to_owned(),
            "REQUEST_URI" | "DOCUMENT_URI" => text(&head.path),
            "REQUEST_FILENAME" | "SCRIPT_FILENAME" => match req.mapped.first() {
                Some(m) => text(&m.requested),
                None => text(req.filename.as_deref()?),
            },
            "QUERY_STRING" => head.query.clone(),
            "IS_SUBREQ" => if req.in_lookup { "true" } else { "false" }.to_owned(),
            "DOCUMENT_ROOT" | "CONTEXT_DOCUMENT_ROOT" => {
                req.vhost.document_root.to_string_lossy().into_owned()
            }
            "CONTEXT_PREFIX" => String::new(),
            "THE_REQUEST" => format!("{} {} {}", head.method, head.target, head.protocol),
            "CONTENT_TYPE" => self.response_header("Content-Type")?,
            "HANDLER" => req.handler.clone(),
            "REMOTE_USER" => req.user.clone()?,
            // The virtual host's name or the one the client used, as UseCanonicalName says.
            "SERVER_NAME" => text(req.server_name()),
            "SERVER_ADMIN" => req.vhost.server_admin.clone(),
            "SERVER_PORT" => conn.local_port.to_string(),
            "SERVER_PROTOCOL" => head.protocol.to_owned(),
            "SERVER_SOFTWARE" => srv.settings.server_header.clone(),
            "REMOTE_ADDR" => req.client_ip().to_owned(),
            "REMOTE_PORT" => conn.peer_port.to_string(),
            "HTTPS" => "off".to_owned(),
            "IPV6" => if req.client_ip().contains(':') {
                "on"
            } else {
                "off"
            }
            .to_owned(),
            "REQUEST_STATUS" => req.status.to_string(),
            _ => return None,
        })
    }

    fn request_header(&self, name: &str) -> Option<String> {
        self.req
            .head
            .header(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    fn response_header(&self, name: &str) -> Option<String> {
        self.req
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    fn request_env(&self, name: &str) -> Option<String> {
        self.req
            .env
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn note(&self, name: &str) -> Option<String> {
        self.req
            .notes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// Adds the `<If>` sections that hold to the request's sections.
pub fn apply(req: &mut RequestCtx<'_>) {
    let srv = req.conn.srv;
    if !srv.store.has_conditions && !crate::htaccess::registry::has_conditions() {
        return;
    }
    let mut errors = Vec::new();
    let ifs = srv
        .store
        .if_sections(&req.view.sections, &RequestVars { req }, &mut |e| {
            errors.push(e.to_owned())
        });
    for e in errors {
        req.log(
            "core",
            error_log::ERROR,
            &format!("AH01639: Failed to evaluate <If > condition: {e}"),
        );
    }
    if ifs.is_empty() {
        return;
    }
    let mut sections = req.view.sections.clone();
    sections.extend(ifs);
    super::set_sections(req, sections);
}
