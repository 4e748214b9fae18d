//! The rewriting engine: a rule list applied to a request's URL (server context) or file
//! name (per-directory context), as Apache's `apply_rewrite_list` and `apply_rewrite_rule`.
//! It changes a [`Work`] (the file name, the query, the status) and tells the [`Host`] about
//! the rest (environment, cookies, trace lines); the hooks in `lib.rs` turn the result into
//! the request's next step.

use crate::cond::{Cond, Probe};
use crate::flags::RuleFlags;
use crate::pattern::Pattern;
use crate::template::{Backrefs, RefEscape, Resolve, Template};

/// One RewriteRule line with the RewriteCond lines before it.
#[derive(Debug)]
pub struct Rule {
    /// The pattern as written (for the trace).
    pub pattern_text: String,
    /// The compiled pattern.
    pub pattern: Pattern,
    /// A leading `!`.
    pub negate: bool,
    /// The substitution; `None` for `-`.
    pub output: Option<Template>,
    /// The substitution as written.
    pub output_text: String,
    /// The flags.
    pub flags: RuleFlags,
    /// The conditions, in order.
    pub conds: Vec<std::sync::Arc<Cond>>,
    /// `[E=…]` values, expanded when the rule matches.
    pub env: Vec<Template>,
    /// `[CO=…]` values, expanded when the rule matches.
    pub cookies: Vec<Template>,
}

impl Rule {
    /// Parses `RewriteRule pattern substitution [flags]` with the conditions read before it.
    pub fn parse(
        pattern: &str,
        output: &str,
        flags: Option<&str>,
        conds: Vec<std::sync::Arc<Cond>>,
    ) -> Result<Rule, String> {
        let flags = match flags {
            Some(f) => crate::flags::parse_rule(f)?,
            None => RuleFlags::default(),
        };
        let (negate, body) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        let templates = |list: &[String]| -> Result<Vec<Template>, String> {
            list.iter().map(|t| Template::parse(t)).collect()
        };
        Ok(Rule {
            pattern_text: pattern.to_owned(),
            pattern: Pattern::compile(body, flags.nocase, "RewriteRule")?,
            negate,
            output: if output == "-" || flags.status_only {
                None
            } else {
                Some(Template::parse(output)?)
            },
            output_text: output.to_owned(),
            env: templates(&flags.env)?,
            cookies: templates(&flags.cookies)?,
            flags,
            conds,
        })
    }

    /// The RewriteMap names the rule's templates use.
    pub fn map_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.output.iter().flat_map(Template::map_names).collect();
        for c in &self.conds {
            out.extend(c.input.map_names());
        }
        for t in self.env.iter().chain(&self.cookies) {
            out.extend(t.map_names());
        }
        out
    }
}

/// What the engine asks of the request.
pub trait Host: Resolve + Probe {
    /// Sets (`Some`) or unsets an environment variable (`[E=]`).
    fn set_env(&mut self, name: &str, value: Option<&str>);
    /// Adds a `Set-Cookie` (`[CO=]`), already formatted.
    fn add_cookie(&mut self, cookie: String);
    /// The request headers read since the last call (for `Vary`), emptied.
    fn take_headers_read(&mut self) -> Vec<String>;
    /// Writes a trace line at `level` (1..=8) when `LogLevel rewrite:traceN` allows it.
    fn trace(&mut self, level: u8, line: &dyn Fn() -> String);
    /// `scheme://host[:port]` of this server as the client reached it (for `[R]`).
    fn origin(&self) -> String;
    /// Whether `scheme://authority` names this server (Apache's self-reduction).
    fn is_this_server(&self, scheme: &str, authority: &str) -> bool;
    /// The request's time, seconds since the epoch (cookie lifetimes).
    fn now(&self) -> i64;
    /// Whether the rules run for a lookup on another request's behalf (Apache's subrequest).
    fn is_subrequest(&self) -> bool;
}

/// The request as the rules change it (Apache's `r->filename`, `r->args`, `r->status`).
#[derive(Clone, Debug, Default)]
pub struct Work {
    /// The URL path (server context) or file name (per directory) being rewritten; a URL
    /// after a redirecting rule.
    pub filename: String,
    /// The query string (`None`: none).
    pub args: Option<String>,
    /// A status a rule set (`[R=…]`, `[F]`, `[G]`).
    pub status: Option<u16>,
    /// Headers for `Vary`, comma-joined as Apache merges them.
    pub vary: Vec<String>,
    /// `[END]` applied.
    pub end: bool,
    /// `[PT]` applied (server context: the result is a URL for the other translate hooks).
    pub passthrough: bool,
    /// `[T=]` of the last matching rule that had it.
    pub mime_type: Option<String>,
    /// `[H=]` of the last matching rule that had it.
    pub handler: Option<String>,
    /// An absolute URL naming this server was reduced to its path.
    pub uri_reduced: bool,
    /// A server-level substitution began with an expansion (no file-system path then).
    pub unsafe_prefix: bool,
    /// The request target has an encoded `?` (`%3f`), set by the caller.
    pub encoded_question: bool,
}

/// What a rule list did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// No rule changed the URL.
    Unchanged,
    /// A rule changed it; `noescape` when the last was `[NE]`.
    Changed {
        /// `[NE]`.
        noescape: bool,
    },
    /// A rule answers with this status (the substitution dropped).
    Status(u16),
}

/// Whether `s` is an absolute URL Apache knows the scheme of; the length of `scheme://` (or
/// `scheme:`) and whether a query makes sense for it.
pub fn absolute_uri(s: &str) -> Option<(usize, bool)> {
    let lower = |n: usize| s.get(..n).map(str::to_ascii_lowercase);
    for (scheme, query) in [
        ("ajp://", true),
        ("balancer://", true),
        ("fcgi://", true),
        ("ftp://", false),
        ("gopher://", false),
        ("h2://", true),
        ("h2c://", true),
        ("http://", true),
        ("https://", true),
        ("ldap://", true),
        ("mailto:", true),
        ("news:", false),
        ("nntp://", false),
        ("scgi://", true),
        ("unix:", true),
        ("ws://", true),
        ("wss://", true),
    ] {
        if lower(scheme.len()).as_deref() == Some(scheme) {
            return Some((scheme.len(), query));
        }
    }
    None
}

/// One rule list over `work`; `perdir` is the per-directory prefix with its trailing `/`
/// (None at the server level).
pub fn apply_list(
    rules: &[std::sync::Arc<Rule>],
    work: &mut Work,
    perdir: Option<&str>,
    host: &mut dyn Host,
) -> Action {
    let mut changed = Action::Unchanged;
    let mut round: u32 = 1;
    'again: loop {
        let mut i = 0;
        while i < rules.len() {
            let rule = &rules[i];
            // As Apache's: a lookup skips `[NS]` rules and redirects.
            if (rule.flags.nosubreq || rule.flags.redirect) && host.is_subrequest() {
                i += 1;
                continue;
            }
            let hit = apply_rule(rule, work, perdir, host);
            if let Hit::Status(s) = hit {
                return Action::Status(s);
            }
            if hit == Hit::No {
                // A rule that did not match skips the rules chained to it.
                while i < rules.len() && rules[i].flags.chain {
                    i += 1;
                }
                i += 1;
                continue;
            }
            if work.filename.len() > 2 * 8190 {
                host.trace(1, &|| {
                    format!(
                        "RewriteRule '{}' and URI '{}' exceeded maximum length",
                        rule.pattern_text, work.filename
                    )
                });
                return Action::Status(500);
            }
            let f = &rule.flags;
            if f.status_only {
                return Action::Status(f.status.unwrap_or(500));
            }
            if hit == Hit::Rewrote {
                changed = Action::Changed {
                    noescape: f.noescape,
                };
            }
            if f.passthrough {
                host.trace(2, &|| {
                    with_perdir(
                        perdir,
                        format!(
                            "forcing '{}' to get passed through to next API URI-to-filename handler",
                            work.filename
                        ),
                    )
                });
                work.passthrough = true;
                changed = Action::Changed { noescape: false };
                break 'again;
            }
            if f.end {
                host.trace(8, &|| {
                    with_perdir(
                        perdir,
                        "Rule has END flag, no further rewriting for this request".into(),
                    )
                });
                work.end = true;
                break 'again;
            }
            if f.last {
                break 'again;
            }
            if let Some(max) = f.next_round {
                round += 1;
                if round >= max {
                    host.trace(1, &|| {
                        format!(
                            "AH02596: RewriteRule '{}' and URI '{}' exceeded maximum number of rounds ({max}) via the [N] flag",
                            rule.pattern_text, work.filename
                        )
                    });
                    return Action::Status(500);
                }
                continue 'again;
            }
            i += 1 + f.skip;
        }
        break;
    }
    changed
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hit {
    No,
    /// Matched, substitution `-`.
    MatchOnly,
    Rewrote,
    /// The rule answers with this status at once.
    Status(u16),
}

fn with_perdir(perdir: Option<&str>, line: String) -> String {
    match perdir {
        Some(d) => format!("[perdir {d}] {line}"),
        None => line,
    }
}

/// One rule: match, conditions, substitution, flags.
fn apply_rule(rule: &Rule, work: &mut Work, perdir: Option<&str>, host: &mut dyn Host) -> Hit {
    let mut uri = work.filename.as_str();
    if let Some(dir) = perdir {
        if let Some(local) = uri.strip_prefix(dir) {
            host.trace(3, &|| {
                with_perdir(perdir, format!("strip per-dir prefix: {uri} -> {local}"))
            });
            uri = local;
        }
    }
    let uri = uri.to_owned();
    host.trace(3, &|| {
        with_perdir(
            perdir,
            format!("applying pattern '{}' to uri '{uri}'", rule.pattern_text),
        )
    });
    let rule_refs = match (rule.pattern.captures(&uri), rule.negate) {
        (Some(m), false) => Some(m),
        (None, true) => None,
        _ => return Hit::No,
    };

    let (filename, args) = (work.filename.clone(), work.args.clone());
    let mut scoped = Scoped {
        filename: &filename,
        args: args.as_deref(),
        host,
    };
    let esc = RefEscape {
        escape: rule.flags.escape_backrefs.as_ref().map(Option::as_deref),
        noplus: rule.flags.escape_noplus,
    };
    let mut cond_refs: Option<Backrefs> = None;
    let mut vary: Vec<String> = Vec::new();
    let mut c = 0;
    while c < rule.conds.len() {
        let cond = &rule.conds[c];
        scoped.host.take_headers_read();
        let input = cond
            .input
            .expand(rule_refs.as_ref(), cond_refs.as_ref(), esc, &mut scoped);
        let (ok, refs) = cond.check(&input, &mut scoped);
        scoped.host.trace(4, &|| {
            with_perdir(
                perdir,
                format!(
                    "RewriteCond: input='{input}' pattern='{}'{} => {}",
                    cond.pattern_text,
                    if cond.flags.nocase { " [NC]" } else { "" },
                    if ok { "matched" } else { "not-matched" }
                ),
            )
        });
        if refs.is_some() {
            cond_refs = refs;
        }
        let mut read = scoped.host.take_headers_read();
        if cond.flags.novary {
            read.clear();
        }
        if cond.flags.ornext {
            if !ok {
                c += 1;
                continue;
            }
            // The rest of the OR chain is not evaluated.
            while c < rule.conds.len() && rule.conds[c].flags.ornext {
                c += 1;
            }
        } else if !ok {
            return Hit::No;
        }
        vary.extend(read);
        c += 1;
    }
    for h in vary {
        if !work.vary.iter().any(|v| v.eq_ignore_ascii_case(&h)) {
            work.vary.push(h);
        }
    }

    let new = rule.output.as_ref().map(|t| {
        let s = t.expand(rule_refs.as_ref(), cond_refs.as_ref(), esc, &mut scoped);
        scoped.host.trace(2, &|| {
            with_perdir(perdir, format!("rewrite '{uri}' -> '{s}'"))
        });
        s
    });
    for e in &rule.env {
        let v = e.expand(rule_refs.as_ref(), cond_refs.as_ref(), esc, &mut scoped);
        set_env(&v, perdir, scoped.host);
    }
    for co in &rule.cookies {
        let v = co.expand(rule_refs.as_ref(), cond_refs.as_ref(), esc, &mut scoped);
        if let Some(cookie) = cookie(&v, scoped.host.now()) {
            scoped.host.trace(5, &|| {
                with_perdir(perdir, format!("setting cookie '{cookie}'"))
            });
            scoped.host.add_cookie(cookie);
        }
    }

    let host = scoped.host;
    let Some(mut new) = new else {
        force_type_handler(rule, work);
        if rule.flags.status_only {
            work.status = rule.flags.status;
        }
        return Hit::MatchOnly;
    };

    // 2.4.60: a request that sent an encoded `%3f` may not get a query from a rewrite.
    if !rule.flags.unsafe_allow_3f && work.encoded_question && new.contains('?') {
        host.trace(1, &|| {
            with_perdir(
                perdir,
                "AH10508: Unsafe URL with %3f URL rewritten without UnsafeAllow3F".into(),
            )
        });
        return Hit::Status(403);
    }
    if perdir.is_none()
        && !rule.flags.unsafe_prefix_stat
        && rule
            .output
            .as_ref()
            .is_some_and(Template::starts_with_expansion)
    {
        work.unsafe_prefix = true;
    }
    split_query(&mut new, &rule.flags, work, host);
    if let Some(dir) = perdir {
        if !new.starts_with('/') && absolute_uri(&new).is_none() {
            host.trace(3, &|| {
                with_perdir(perdir, format!("add per-dir prefix: {new} -> {dir}{new}"))
            });
            new = format!("{dir}{new}");
        }
    }
    work.filename = new;

    if rule.flags.redirect {
        if absolute_uri(&work.filename).is_none() {
            let slash = if work.filename.starts_with('/') {
                ""
            } else {
                "/"
            };
            work.filename = format!("{}{slash}{}", host.origin(), work.filename);
        }
        host.trace(2, &|| {
            with_perdir(
                perdir,
                format!("explicitly forcing redirect with {}", work.filename),
            )
        });
        work.status = rule.flags.status;
        return Hit::Rewrote;
    }
    reduce(work, perdir, host);
    if absolute_uri(&work.filename).is_some() {
        host.trace(2, &|| {
            with_perdir(
                perdir,
                format!("implicitly forcing redirect with {}", work.filename),
            )
        });
        work.status = Some(302);
        return Hit::Rewrote;
    }
    force_type_handler(rule, work);
    Hit::Rewrote
}

/// The request's variables with the two the rules change, as Apache's `lookup_variable`
/// reads them from `r->filename` and `r->args`: REQUEST_FILENAME (and SCRIPT_FILENAME) and
/// QUERY_STRING.
struct Scoped<'w, 'h> {
    filename: &'w str,
    args: Option<&'w str>,
    host: &'h mut dyn Host,
}

impl Resolve for Scoped<'_, '_> {
    fn var(&mut self, var: &crate::template::Var) -> String {
        match var {
            crate::template::Var::Named(n) => match n.as_str() {
                "REQUEST_FILENAME" | "SCRIPT_FILENAME" => self.filename.to_owned(),
                "QUERY_STRING" => self.args.unwrap_or("").to_owned(),
                _ => self.host.var(var),
            },
            _ => self.host.var(var),
        }
    }

    fn map(&mut self, name: &str, key: &str) -> Option<String> {
        self.host.map(name, key)
    }
}

impl Probe for Scoped<'_, '_> {
    fn url_served(&mut self, url: &str) -> bool {
        self.host.url_served(url)
    }
    fn file_served(&mut self, path: &str) -> bool {
        self.host.file_served(path)
    }
    fn expr(&mut self, expr: &mapache_plugin_api::sdk::expr::Expr) -> bool {
        self.host.expr(expr)
    }
}

fn force_type_handler(rule: &Rule, work: &mut Work) {
    if let Some(t) = &rule.flags.mime_type {
        work.mime_type = Some(t.clone());
    }
    if let Some(h) = &rule.flags.handler {
        work.handler = Some(h.clone());
    }
}

/// `[E=var:value]`, `[E=var]` (empty), `[E=!var]` (unset).
fn set_env(spec: &str, perdir: Option<&str>, host: &mut dyn Host) {
    if let Some(name) = spec.strip_prefix('!') {
        host.trace(5, &|| {
            with_perdir(perdir, format!("unsetting env variable '{name}'"))
        });
        host.set_env(name, None);
        return;
    }
    let (name, value) = spec.split_once(':').unwrap_or((spec, ""));
    host.trace(5, &|| {
        with_perdir(
            perdir,
            format!("setting env variable '{name}' to '{value}'"),
        )
    });
    host.set_env(name, Some(value));
}

/// Apache's `splitout_queryargs`: a `?` in the new URL starts the query (`[QSA]` appends the
/// request's, `[QSD]` drops it, `[QSL]` splits at the last `?`).
fn split_query(new: &mut String, f: &RuleFlags, work: &mut Work, host: &mut dyn Host) {
    let skip = match absolute_uri(new) {
        Some((_, false)) => {
            work.args = None;
            return;
        }
        Some((n, true)) => n,
        None => 0,
    };
    if f.qsdiscard {
        host.trace(2, &|| "discarding query string".into());
        work.args = None;
    }
    let at = if f.qslast {
        new[skip..].rfind('?')
    } else {
        new[skip..].find('?')
    };
    let Some(at) = at.map(|i| i + skip) else {
        return;
    };
    let q = new[at + 1..].to_owned();
    new.truncate(at);
    let mut args = if f.qsappend {
        if q.is_empty() {
            work.args.clone()
        } else {
            Some(match &work.args {
                Some(old) => format!("{q}&{old}"),
                None => q,
            })
        }
    } else {
        Some(q)
    };
    if let Some(a) = &mut args {
        if a.ends_with('&') {
            a.pop();
        }
        if a.is_empty() {
            args = None;
        }
    }
    host.trace(3, &|| {
        format!(
            "split uri={new}?… -> uri={new}, args={}",
            args.as_deref().unwrap_or("<none>")
        )
    });
    work.args = args;
}

/// Apache's `reduce_uri`: `http://this-server/path` becomes `/path`.
fn reduce(work: &mut Work, perdir: Option<&str>, host: &mut dyn Host) {
    let Some((skip, _)) = absolute_uri(&work.filename) else {
        return;
    };
    let scheme = work.filename[..skip]
        .trim_end_matches("://")
        .to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return;
    }
    let rest = &work.filename[skip..];
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_this_server(&scheme, authority) {
        let reduced = path.to_owned();
        host.trace(3, &|| {
            with_perdir(perdir, format!("reduce {} -> {reduced}", work.filename))
        });
        work.filename = reduced;
        work.uri_reduced = true;
    }
}

/// `[CO=name:value:domain[:lifetime[:path[:secure[:httponly[:samesite]]]]]]` as Apache
/// formats it; `;` separates instead of `:` when the value starts with `;`. Empty fields are
/// skipped, as `apr_strtok` skips them.
pub fn cookie(spec: &str, now: i64) -> Option<String> {
    let (sep, body) = match spec.strip_prefix(';') {
        Some(rest) => (';', rest),
        None => (':', spec),
    };
    let mut parts = body.split(sep).filter(|p| !p.is_empty());
    let (name, value, domain) = (parts.next()?, parts.next()?, parts.next()?);
    let expires = parts.next();
    let path = parts.next();
    let secure = parts.next();
    let httponly = parts.next();
    let samesite = parts.next();
    let mut out = format!("{name}={value}; path={}", path.unwrap_or("/"));
    out.push_str(&format!("; domain={domain}"));
    if let Some(minutes) = expires.map(atol).filter(|m| *m != 0) {
        out.push_str(&format!("; expires={}", cookie_date(now + 60 * minutes)));
    }
    let truthy = |v: Option<&str>, word: &str| {
        v.is_some_and(|v| {
            v.eq_ignore_ascii_case("true") || v == "1" || v.eq_ignore_ascii_case(word)
        })
    };
    if truthy(secure, "secure") {
        out.push_str("; secure");
    }
    if truthy(httponly, "HttpOnly") {
        out.push_str("; HttpOnly");
    }
    if let Some(s) =
        samesite.filter(|s| !s.eq_ignore_ascii_case("0") && !s.eq_ignore_ascii_case("false"))
    {
        out.push_str(&format!("; SameSite={s}"));
    }
    Some(out)
}

fn atol(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, d) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let v = d.bytes().take_while(u8::is_ascii_digit).fold(0i64, |v, b| {
        v.saturating_mul(10).saturating_add(i64::from(b - b'0'))
    });
    if neg {
        -v
    } else {
        v
    }
}

/// `Wed, 02-Dec-2026 10:00:00 GMT`, the cookie date Apache writes.
fn cookie_date(t: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{}, {d:02}-{}-{y:04} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Var;
    use std::collections::HashMap;
    use std::sync::Arc;

    #[derive(Default)]
    struct Fake {
        vars: HashMap<String, String>,
        env: HashMap<String, String>,
        cookies: Vec<String>,
        read: Vec<String>,
        subrequest: bool,
    }

    impl Resolve for Fake {
        fn var(&mut self, var: &Var) -> String {
            match var {
                Var::Http(h) => {
                    let v = self.vars.get(&format!("http:{h}")).cloned();
                    if v.is_some() {
                        self.read.push(h.clone());
                    }
                    v.unwrap_or_default()
                }
                Var::Env(e) => self.env.get(e).cloned().unwrap_or_default(),
                Var::Ssl(_) => String::new(),
                Var::Named(n) => self.vars.get(n).cloned().unwrap_or_default(),
            }
        }
        fn map(&mut self, _: &str, _: &str) -> Option<String> {
            None
        }
    }

    impl Probe for Fake {
        fn url_served(&mut self, _: &str) -> bool {
            false
        }
        fn file_served(&mut self, _: &str) -> bool {
            false
        }
        fn expr(&mut self, _: &mapache_plugin_api::sdk::expr::Expr) -> bool {
            false
        }
    }

    impl Host for Fake {
        fn set_env(&mut self, name: &str, value: Option<&str>) {
            match value {
                Some(v) => self.env.insert(name.into(), v.into()),
                None => self.env.remove(name),
            };
        }
        fn add_cookie(&mut self, cookie: String) {
            self.cookies.push(cookie);
        }
        fn take_headers_read(&mut self) -> Vec<String> {
            std::mem::take(&mut self.read)
        }
        fn trace(&mut self, _: u8, _: &dyn Fn() -> String) {}
        fn origin(&self) -> String {
            "http://t".into()
        }
        fn is_this_server(&self, _: &str, authority: &str) -> bool {
            authority.eq_ignore_ascii_case("t")
        }
        fn is_subrequest(&self) -> bool {
            self.subrequest
        }
        fn now(&self) -> i64 {
            0
        }
    }

    fn rule(pattern: &str, output: &str, flags: &str, conds: &[(&str, &str, &str)]) -> Arc<Rule> {
        let conds = conds
            .iter()
            .map(|(i, p, f)| Arc::new(Cond::parse(i, p, (!f.is_empty()).then_some(*f)).unwrap()))
            .collect();
        Arc::new(Rule::parse(pattern, output, (!flags.is_empty()).then_some(flags), conds).unwrap())
    }

    fn run(
        rules: &[Arc<Rule>],
        path: &str,
        args: Option<&str>,
        perdir: Option<&str>,
        host: &mut Fake,
    ) -> (Action, Work) {
        let mut work = Work {
            filename: path.into(),
            args: args.map(str::to_owned),
            ..Work::default()
        };
        let a = apply_list(rules, &mut work, perdir, host);
        (a, work)
    }

    #[test]
    fn a_lookup_skips_ns_rules_and_redirects() {
        let rules = [
            rule("^/a$", "/ns", "[NS,L]", &[]),
            rule("^/a$", "http://example.com/", "[R,L]", &[]),
            rule("^/a$", "/sub", "[L]", &[]),
        ];
        let (_, w) = run(&rules, "/a", None, None, &mut Fake::default());
        assert_eq!(w.filename, "/ns");
        let mut lookup = Fake {
            subrequest: true,
            ..Fake::default()
        };
        let (_, w) = run(&rules, "/a", None, None, &mut lookup);
        assert_eq!(w.filename, "/sub");
    }

    #[test]
    fn last_stops_and_chain_skips() {
        let rules = [rule("^/a$", "/b", "[L]", &[]), rule("^/b$", "/c", "", &[])];
        let (a, w) = run(&rules, "/a", None, None, &mut Fake::default());
        assert_eq!(a, Action::Changed { noescape: false });
        assert_eq!(w.filename, "/b");
        let rules = [
            rule("^/x$", "/y", "[C]", &[]),
            rule("^/y$", "/z", "", &[]),
            rule("^/a$", "/b", "", &[]),
        ];
        // /a: the chain's head fails, so its link is skipped; the third rule applies.
        let (_, w) = run(&rules, "/a", None, None, &mut Fake::default());
        assert_eq!(w.filename, "/b");
        let (_, w) = run(&rules, "/x", None, None, &mut Fake::default());
        assert_eq!(w.filename, "/z");
    }

    #[test]
    fn skip_next_round_and_its_bound() {
        let rules = [
            rule("^/s$", "/t", "[S=1]", &[]),
            rule("^/t$", "/never", "", &[]),
            rule("^/t$", "/u", "", &[]),
        ];
        let (_, w) = run(&rules, "/s", None, None, &mut Fake::default());
        assert_eq!(w.filename, "/u");
        let rules = [
            rule("^/(a+)b$", "/$1", "[N]", &[]),
            rule("^/(a+)$", "/$1b", "", &[]),
        ];
        // N restarts: /aab -> /aa -> (N again? no: /aa does not match rule 1) -> /aab.
        let (_, w) = run(&rules, "/aab", None, None, &mut Fake::default());
        assert_eq!(w.filename, "/aab");
        let rules = [rule("^/(.*)$", "/x$1", "[N=3]", &[])];
        let (a, _) = run(&rules, "/a", None, None, &mut Fake::default());
        assert_eq!(a, Action::Status(500));
    }

    #[test]
    fn conditions_or_and_backrefs() {
        let rules = [rule(
            "^/(.*)$",
            "http://%1/$1",
            "[R=301,L]",
            &[
                ("%{HTTP:Host}", "^nomatch$", "[OR]"),
                ("%{HTTP:Host}", "^www\\.(.+)$", "[NC]"),
            ],
        )];
        let mut h = Fake::default();
        h.vars.insert("http:Host".into(), "www.example.com".into());
        let (_, w) = run(&rules, "/p", Some("q=1"), None, &mut h);
        assert_eq!(w.filename, "http://example.com/p");
        assert_eq!(w.status, Some(301));
        assert_eq!(w.args.as_deref(), Some("q=1"));
        let mut h = Fake::default();
        h.vars.insert("http:Host".into(), "example.com".into());
        let (a, _) = run(&rules, "/p", None, None, &mut h);
        assert_eq!(a, Action::Unchanged);
    }

    #[test]
    fn vary_collects_headers_of_matching_conditions_not_nv() {
        let rules = [rule(
            "^/",
            "/m",
            "",
            &[
                ("%{HTTP:User-Agent}", "bot", ""),
                ("%{HTTP:Accept}", ".", "[NV]"),
            ],
        )];
        let mut h = Fake::default();
        h.vars.insert("http:User-Agent".into(), "a bot".into());
        h.vars.insert("http:Accept".into(), "x".into());
        let (_, w) = run(&rules, "/", None, None, &mut h);
        assert_eq!(w.vary, ["User-Agent"]);
    }

    #[test]
    fn query_strings_qsa_qsd_qsl() {
        let r = |flags: &str| [rule("^/a$", "/b?x=1", flags, &[])];
        let (_, w) = run(&r(""), "/a", Some("o=2"), None, &mut Fake::default());
        assert_eq!(w.args.as_deref(), Some("x=1"));
        let (_, w) = run(&r("[QSA]"), "/a", Some("o=2"), None, &mut Fake::default());
        assert_eq!(w.args.as_deref(), Some("x=1&o=2"));
        let rules = [rule("^/a$", "/b", "[QSD]", &[])];
        let (_, w) = run(&rules, "/a", Some("o=2"), None, &mut Fake::default());
        assert_eq!(w.args, None);
        let rules = [rule("^/a$", "/b?c?d=1", "[QSL]", &[])];
        let (_, w) = run(&rules, "/a", None, None, &mut Fake::default());
        assert_eq!(
            (w.filename.as_str(), w.args.as_deref()),
            ("/b?c", Some("d=1"))
        );
        // Without a `?` in the substitution the request's query stays.
        let rules = [rule("^/a$", "/b", "", &[])];
        let (_, w) = run(&rules, "/a", Some("o=2"), None, &mut Fake::default());
        assert_eq!(w.args.as_deref(), Some("o=2"));
    }

    #[test]
    fn per_directory_prefix_is_stripped_and_added_back() {
        let rules = [rule("^blog/(.*)$", "index.php?p=$1", "[L]", &[])];
        let (_, w) = run(
            &rules,
            "/srv/www/blog/x",
            None,
            Some("/srv/www/"),
            &mut Fake::default(),
        );
        assert_eq!(w.filename, "/srv/www/index.php");
        assert_eq!(w.args.as_deref(), Some("p=x"));
        let rules = [rule("^a$", "/abs", "", &[])];
        let (_, w) = run(
            &rules,
            "/srv/www/a",
            None,
            Some("/srv/www/"),
            &mut Fake::default(),
        );
        assert_eq!(w.filename, "/abs");
    }

    #[test]
    fn redirects_absolute_and_reduced() {
        let rules = [rule("^/r$", "/t", "[R]", &[])];
        let (_, w) = run(&rules, "/r", None, None, &mut Fake::default());
        assert_eq!((w.filename.as_str(), w.status), ("http://t/t", Some(302)));
        let rules = [rule("^/x$", "http://elsewhere/y", "", &[])];
        let (_, w) = run(&rules, "/x", None, None, &mut Fake::default());
        assert_eq!(
            (w.filename.as_str(), w.status),
            ("http://elsewhere/y", Some(302))
        );
        let rules = [rule("^/x$", "http://T/y", "", &[])];
        let (_, w) = run(&rules, "/x", None, None, &mut Fake::default());
        assert_eq!(
            (w.filename.as_str(), w.status, w.uri_reduced),
            ("/y", None, true)
        );
    }

    #[test]
    fn dash_status_env_and_cookie() {
        let rules = [rule("^/f", "-", "[F]", &[])];
        let (a, _) = run(&rules, "/f", None, None, &mut Fake::default());
        assert_eq!(a, Action::Status(403));
        let rules = [rule(
            "^/(e)",
            "-",
            "[E=A:$1,E=!B,CO=n:v:.ex.com:10:/p:1:true:Lax]",
            &[],
        )];
        let mut h = Fake::default();
        h.env.insert("B".into(), "x".into());
        let (a, _) = run(&rules, "/e", None, None, &mut h);
        assert_eq!(a, Action::Unchanged);
        assert_eq!(h.env.get("A").map(String::as_str), Some("e"));
        assert!(!h.env.contains_key("B"));
        assert_eq!(
            h.cookies,
            ["n=v; path=/p; domain=.ex.com; expires=Thu, 01-Jan-1970 00:10:00 GMT; secure; HttpOnly; SameSite=Lax"]
        );
    }

    #[test]
    fn cookie_forms() {
        assert_eq!(
            cookie("a:b:x.org", 0).as_deref(),
            Some("a=b; path=/; domain=x.org")
        );
        // Empty fields are skipped (apr_strtok): `/q` is the lifetime, 0 minutes, no expiry.
        assert_eq!(
            cookie(";a;b;x.org;;/q", 0).as_deref(),
            Some("a=b; path=/; domain=x.org")
        );
        assert_eq!(cookie("a:b", 0), None);
        assert_eq!(cookie_date(0), "Thu, 01-Jan-1970 00:00:00 GMT");
        assert_eq!(
            cookie_date(365 * 86400 + 3723),
            "Fri, 01-Jan-1971 01:02:03 GMT"
        );
    }

    #[test]
    fn end_and_passthrough_stop() {
        let rules = [
            rule("^/a$", "/b", "[END]", &[]),
            rule("^/b$", "/c", "", &[]),
        ];
        let (_, w) = run(&rules, "/a", None, None, &mut Fake::default());
        assert!(w.end && w.filename == "/b");
        let rules = [rule("^/a$", "/b", "[PT]", &[]), rule("^/b$", "/c", "", &[])];
        let (_, w) = run(&rules, "/a", None, None, &mut Fake::default());
        assert!(w.passthrough && w.filename == "/b");
    }

    #[test]
    fn absolute_uri_schemes() {
        assert_eq!(absolute_uri("HTTP://x"), Some((7, true)));
        assert_eq!(absolute_uri("ftp://x"), Some((6, false)));
        assert_eq!(absolute_uri("/x"), None);
    }
}
