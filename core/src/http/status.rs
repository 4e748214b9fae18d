//! Status codes: reason phrases (RFC 9110 §15) and the short HTML pages
//! Apache sends with an error.

use mapache_plugin_api::sdk::html_escape;

/// The standard reason phrase for `status`; `"Unknown"` for codes without one.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => "Unknown",
    }
}

/// Apache's sentence for an error page, where it has one; a plain
/// restatement of the status otherwise.
pub fn default_detail(status: u16) -> &'static str {
    match status {
        301 | 302 | 303 | 307 | 308 => "The document has moved.",
        400 => "Your browser sent a request that this server could not understand.",
        401 => {
            "This server could not verify that you are authorized to access the document \
             requested. Either you supplied the wrong credentials (e.g., bad password), or your \
             browser doesn't understand how to supply the credentials required."
        }
        403 => "You don't have permission to access this resource.",
        404 => "The requested URL was not found on this server.",
        405 => "The requested method is not allowed for this URL.",
        406 => {
            "An appropriate representation of the requested resource could not be found on \
             this server."
        }
        408 => "Server timeout waiting for the HTTP request from the client.",
        409 => {
            "The request could not be completed because of a conflict with the current state \
             of the resource."
        }
        410 => {
            "The requested resource is no longer available on this server and there is no \
             forwarding address. Please remove all references to this resource."
        }
        411 => "A request of the requested method requires a valid Content-length.",
        412 => "The precondition on the request for this URL evaluated to false.",
        413 => {
            "The requested resource does not allow request data with this request, or the \
             amount of data provided in the request exceeds the capacity limit."
        }
        414 => "The requested URL's length exceeds the capacity limit for this server.",
        415 => "The supplied request data is not in a format acceptable for processing by this resource.",
        416 => {
            "None of the range-specifier values in the Range request-header field overlap the \
             current extent of the selected resource."
        }
        417 => "The expectation given in the Expect request-header field could not be met by this server.",
        429 => "The user has sent too many requests in a given amount of time.",
        431 => "Your browser sent a request whose header fields exceed this server's limits.",
        500 => {
            "The server encountered an internal error or misconfiguration and was unable to \
             complete your request."
        }
        501 => "The requested method or transfer coding is not supported by this server.",
        502 => "The proxy server received an invalid response from an upstream server.",
        503 => {
            "The server is temporarily unable to service your request due to maintenance \
             downtime or capacity problems. Please try again later."
        }
        504 => "The gateway did not receive a timely response from the upstream server or application.",
        505 => "The server does not support the HTTP protocol version used in the request.",
        _ => "The server could not complete your request.",
    }
}

/// A short Apache-style HTML page for `status`, with `detail` (plain text,
/// escaped here) as its paragraph. Serve as `text/html; charset=iso-8859-1`
/// like Apache, or utf-8: the page itself is ASCII unless `detail` is not.
pub fn error_page(status: u16, detail: &str) -> String {
    let reason = reason_phrase(status);
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n\
         <html><head>\n\
         <title>{status} {reason}</title>\n\
         </head><body>\n\
         <h1>{reason}</h1>\n\
         <p>{}</p>\n\
         </body></html>\n",
        html_escape(detail)
    )
}

/// `page` with ServerSignature's footer (HTML, or empty) before its `</body>`, where Apache
/// puts it on every page it makes.
pub fn signed(page: String, signature: &str) -> String {
    if signature.is_empty() {
        return page;
    }
    let at = page.rfind("</body>").unwrap_or(page.len());
    format!("{}{signature}{}", &page[..at], &page[at..])
}

/// Apache's `ap_psignature("<hr>\n", r)`: the server's banner, name and port, the name a
/// `mailto:` link to `admin` when given.
pub fn signature(banner: &str, name: &str, port: u16, admin: Option<&str>) -> String {
    let name = html_escape(name);
    match admin {
        Some(admin) => {
            let mailto = if admin.len() >= 7 && admin[..7].eq_ignore_ascii_case("mailto:") {
                ""
            } else {
                "mailto:"
            };
            format!(
                "<hr>\n<address>{banner} Server at <a href=\"{mailto}{}\">{name}</a> Port {port}</address>\n",
                html_escape(admin)
            )
        }
        None => format!("<hr>\n<address>{banner} Server at {name} Port {port}</address>\n"),
    }
}

/// Apache's page for a redirect status sent to `location`: the sentence links there.
pub fn redirect_page(status: u16, location: &str) -> String {
    let reason = reason_phrase(status);
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n\
         <html><head>\n\
         <title>{status} {reason}</title>\n\
         </head><body>\n\
         <h1>{reason}</h1>\n\
         <p>The document has moved <a href=\"{}\">here</a>.</p>\n\
         </body></html>\n",
        html_escape(location)
    )
}

/// The page for `status` when serving its ErrorDocument failed with `second` (Apache's
/// wording).
pub fn recursive_error_page(status: u16, second: u16) -> String {
    let page = error_page(status, default_detail(status));
    let note = format!(
        "<p>Additionally, a {second} {}\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n",
        reason_phrase(second)
    );
    let at = page.rfind("</body>").unwrap_or(page.len());
    format!("{}{note}{}", &page[..at], &page[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_code_has_a_phrase() {
        let codes = [100, 101]
            .into_iter()
            .chain(200..=206)
            .chain(300..=308)
            .chain(400..=418)
            .chain([421, 422])
            .chain(425..=429)
            .chain([431, 451])
            .chain(500..=505);
        for code in codes {
            if code == 306 || code == 419 || code == 420 || code == 427 {
                continue; // unassigned
            }
            assert_ne!(reason_phrase(code), "Unknown", "{code}");
        }
        assert_eq!(reason_phrase(306), "Unknown");
        assert_eq!(reason_phrase(599), "Unknown");
    }

    #[test]
    fn common_phrases() {
        assert_eq!(reason_phrase(200), "OK");
        assert_eq!(reason_phrase(304), "Not Modified");
        assert_eq!(reason_phrase(404), "Not Found");
        assert_eq!(reason_phrase(413), "Content Too Large");
        assert_eq!(reason_phrase(505), "HTTP Version Not Supported");
    }

    #[test]
    fn error_page_exact() {
        assert_eq!(
            error_page(404, default_detail(404)),
            "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n\
             <html><head>\n\
             <title>404 Not Found</title>\n\
             </head><body>\n\
             <h1>Not Found</h1>\n\
             <p>The requested URL was not found on this server.</p>\n\
             </body></html>\n"
        );
    }

    #[test]
    fn signatures_as_apaches() {
        assert_eq!(
            signature("mapache/0.1.0 (Unix)", "h<x", 8080, None),
            "<hr>\n<address>mapache/0.1.0 (Unix) Server at h&lt;x Port 8080</address>\n"
        );
        assert_eq!(
            signature("mapache", "h", 80, Some("a@b.example")),
            "<hr>\n<address>mapache Server at <a href=\"mailto:a@b.example\">h</a> Port 80</address>\n"
        );
        assert!(signature("m", "h", 80, Some("MailTo:a@b")).contains("href=\"MailTo:a@b\""));
        assert!(
            signed(error_page(404, "x"), "<hr>\n").ends_with("<p>x</p>\n<hr>\n</body></html>\n")
        );
        assert_eq!(signed("a</body>".to_owned(), ""), "a</body>");
    }

    #[test]
    fn error_page_escapes_detail() {
        let page = error_page(400, "<script>alert('x')</script> & \"q\"");
        assert!(page.contains(
            "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>"
        ));
    }

    #[test]
    fn apache_details() {
        assert_eq!(
            default_detail(403),
            "You don't have permission to access this resource."
        );
        assert_eq!(
            default_detail(400),
            "Your browser sent a request that this server could not understand."
        );
        for code in [405, 408, 412, 413, 414, 416, 500, 501, 505] {
            assert!(default_detail(code).ends_with('.'), "{code}");
            assert!(!default_detail(code).contains("  "), "{code}");
        }
    }
}
