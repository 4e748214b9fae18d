//! `<Limit GET POST>` and `<LimitExcept GET>`: the Require lines inside apply to those methods
//! only (Apache's `cmd->limited`); other directives inside apply as if outside. Apache's checks
//! as the sections are read: no TRACE in `<Limit>`, and a nested one must narrow the methods
//! of the one around it without excluding them all.

/// The methods a `<Limit>` or `<LimitExcept>` section names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodLimit {
    /// `<LimitExcept>`: the methods not named.
    pub except: bool,
    /// The methods as written (case-sensitive, as in the request line).
    pub methods: Box<[String]>,
}

impl MethodLimit {
    /// Whether a request with `method` is one the section limits. HEAD counts as GET, as in
    /// Apache (both are `M_GET`).
    pub fn applies(&self, method: &str) -> bool {
        let method = if method == "HEAD" { "GET" } else { method };
        self.methods.iter().any(|m| m == method) != self.except
    }
}

/// Apache's method numbers (`M_GET` … `M_MERGE`; `M_INVALID` for every method not
/// registered); a method `<Limit>` names that is not one of them is registered after them.
const KNOWN: &[&str] = &[
    "GET",
    "PUT",
    "POST",
    "DELETE",
    "CONNECT",
    "OPTIONS",
    "TRACE",
    "PATCH",
    "PROPFIND",
    "PROPPATCH",
    "MKCOL",
    "COPY",
    "MOVE",
    "LOCK",
    "UNLOCK",
    "VERSION-CONTROL",
    "CHECKOUT",
    "UNCHECKOUT",
    "CHECKIN",
    "UPDATE",
    "LABEL",
    "REPORT",
    "MKWORKSPACE",
    "MKACTIVITY",
    "BASELINE-CONTROL",
    "MERGE",
];

/// The `<Limit>` sections open where the configuration is read, as Apache's bit sets, to
/// refuse the nestings Apache refuses.
#[derive(Debug, Default)]
pub struct LimitStack {
    /// Methods registered by `<Limit>` lines beyond Apache's own.
    registered: Vec<String>,
    /// Each open section's limit and its bit set, outermost first.
    open: Vec<(MethodLimit, u64)>,
}

impl LimitStack {
    /// The limits open now, outermost first.
    pub fn limits(&self) -> impl DoubleEndedIterator<Item = &MethodLimit> {
        self.open.iter().map(|(l, _)| l)
    }

    /// Whether a `<Limit>` or `<LimitExcept>` is open.
    pub fn is_open(&self) -> bool {
        !self.open.is_empty()
    }

    fn bit(&mut self, method: &str) -> Result<u64, String> {
        if let Some(i) = KNOWN.iter().position(|k| *k == method) {
            return Ok(1 << i);
        }
        let i = match self.registered.iter().position(|m| m == method) {
            Some(i) => i,
            None => {
                if KNOWN.len() + 1 + self.registered.len() >= 64 {
                    return Err(format!(
                        "Could not register method '{method}': too many methods"
                    ));
                }
                self.registered.push(method.to_owned());
                self.registered.len() - 1
            }
        };
        Ok(1 << (KNOWN.len() + 1 + i))
    }

    /// Opens `<Limit args>` (`except`: `<LimitExcept args>`), with Apache's checks.
    pub fn open(&mut self, except: bool, args: &[String]) -> Result<(), String> {
        let tag = if except { "LimitExcept" } else { "Limit" };
        if args.is_empty() {
            return Err(format!("<{tag}> directive requires additional arguments"));
        }
        let mut bits = 0u64;
        for m in args {
            if m == "TRACE" && !except {
                return Err("TRACE cannot be controlled by <Limit>, see TraceEnable".to_owned());
            }
            bits |= self.bit(m)?;
        }
        let bits = if except { !bits } else { bits };
        let around = self.open.last().map_or(u64::MAX, |(_, b)| *b);
        if around & bits == 0 {
            return Err(format!("<{tag}> directive excludes all methods"));
        }
        if around & bits == around {
            return Err(format!(
                "<{tag}> directive specifies methods already excluded"
            ));
        }
        let limit = MethodLimit {
            except,
            methods: args.into(),
        };
        self.open.push((limit, around & bits));
        Ok(())
    }

    /// Closes the innermost one.
    pub fn close(&mut self) {
        self.open.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &str) -> Vec<String> {
        w.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn limits_apply_to_their_methods_and_head_is_get() {
        let only = MethodLimit {
            except: false,
            methods: words("GET POST").into(),
        };
        assert!(only.applies("GET") && only.applies("HEAD") && only.applies("POST"));
        assert!(!only.applies("PUT") && !only.applies("get"));
        let except = MethodLimit {
            except: true,
            methods: words("GET").into(),
        };
        assert!(!except.applies("GET") && !except.applies("HEAD"));
        assert!(except.applies("DELETE") && except.applies("FROB"));
    }

    #[test]
    fn nesting_checks_are_apaches() {
        let mut s = LimitStack::default();
        assert_eq!(
            s.open(false, &[]).unwrap_err(),
            "<Limit> directive requires additional arguments"
        );
        assert_eq!(
            s.open(false, &words("GET TRACE")).unwrap_err(),
            "TRACE cannot be controlled by <Limit>, see TraceEnable"
        );
        s.open(false, &words("GET POST")).unwrap();
        assert_eq!(
            s.open(false, &words("PUT")).unwrap_err(),
            "<Limit> directive excludes all methods"
        );
        assert_eq!(
            s.open(false, &words("GET POST")).unwrap_err(),
            "<Limit> directive specifies methods already excluded"
        );
        s.open(false, &words("POST")).unwrap();
        s.close();
        s.close();
        s.open(true, &words("GET")).unwrap();
        assert_eq!(
            s.open(true, &words("GET")).unwrap_err(),
            "<LimitExcept> directive specifies methods already excluded"
        );
        // An extension method is registered, as Apache does.
        s.open(false, &words("FROB")).unwrap();
        assert!(s.is_open());
    }
}
