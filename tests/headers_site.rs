//! The site mod-headers is tested on, shared by headers.rs and apache_compat.rs: the same
//! lines go to mapache and to apache2.

use mapache_tests::Response;

/// The site's files (under DocumentRoot).
pub const FILES: [&str; 6] = [
    "ht/x.txt",
    "a.txt",
    "sub/x.txt",
    "err.html",
    "bad/x.txt",
    "nocache/x.txt",
];

/// `ht/.htaccess` (under `AllowOverride FileInfo`).
pub const HTACCESS: &str =
    "<IfModule mod_headers.c>\nHeader always set X-Ht 1\nHeader unset X-On\n</IfModule>\n";

/// The lines after the modules (mod-alias, mod-env, mod-expires, mod-headers); `docs` is
/// DocumentRoot.
pub fn lines(docs: &str) -> String {
    format!(
        "Redirect /old http://example.com/new\n\
         <Location /denied>\nRequire all denied\n</Location>\n\
         <Directory \"{docs}/bad\">\nAllowOverride All\n</Directory>\n\
         <Location /withdoc>\nErrorDocument 404 /err.html\n</Location>\n\
         <Location /nocache>\nSetEnv nocache 1\n</Location>\n\
         Header always set Strict-Transport-Security \"max-age=63072000; includeSubDomains\"\n\
         Header always set Content-Security-Policy \"default-src 'self'; img-src *\"\n\
         Header set X-On on\n\
         Header always set X-Al al\n\
         Header always edit Location ^http: https:\n\
         Header unset Server\n\
         Header append Vary User-Agent\n\
         Header merge Vary User-Agent\n\
         Header set Cache-Control \"no-cache\" env=nocache\n\
         Header add Set-Cookie a=1\n\
         Header add Set-Cookie b=2\n\
         Header edit Set-Cookie ^(.*)$ $1;HttpOnly;Secure\n\
         Header always edit* X-Al a A\n\
         RequestHeader set X-Forwarded-Proto https\n\
         RequestHeader append X-Forwarded-Proto x\n\
         Header echo ^X-Forwarded-Proto$\n\
         Header set X-Scope server\n\
         Header set X-Expr expr=%{{REQUEST_URI}} \"expr=%{{REQUEST_URI}} =~ m#^/sub#\"\n\
         Header always set X-Not-Sub 1 \"expr=!(%{{REQUEST_URI}} =~ m#^/sub#)\"\n\
         <Location /sub>\nHeader append X-Scope location\n</Location>\n\
         <Directory \"{docs}/sub\">\nHeader append X-Scope directory\nHeader setifempty X-Scope never\n\
         ExpiresActive On\nExpiresDefault A60\nHeader append Cache-Control public\n</Directory>\n\
         <Directory \"{docs}/ht\">\nAllowOverride FileInfo\n</Directory>\n"
    )
}

/// Every value of `name`, joined as one field would carry them.
pub fn all(r: &Response, name: &str) -> Option<String> {
    let v: Vec<&str> = r
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    (!v.is_empty()).then(|| v.join(" | "))
}
