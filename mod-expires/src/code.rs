//! Expiry codes as Apache's `check_code` reads them, and what they give for one response.

/// What an expiry counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// The time of the request (`A`, `access`, `now`).
    Access,
    /// The file's modification time (`M`, `modification`).
    Modification,
}

/// One parsed code: a base and the seconds added to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    /// What the seconds are added to.
    pub base: Base,
    /// Seconds after the base.
    pub seconds: i64,
}

/// C's `atoi`: leading digits, the rest ignored (Apache reads numbers so).
fn atoi(s: &str) -> i64 {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() {
        0
    } else {
        digits.parse().unwrap_or(i64::MAX)
    }
}

/// `strncasecmp(word, full, n) == 0`: the first `n` characters agree, a shorter word only
/// when it ends where `full` does (C compares the terminating NUL).
fn prefix_is(word: &str, full: &str, n: usize) -> bool {
    let w = word.as_bytes();
    let f = full.as_bytes();
    (0..n).all(|i| match (w.get(i), f.get(i)) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    })
}

/// Parses a code as Apache 2.4's mod_expires does; the error is Apache's text.
pub fn parse(code: &str) -> Result<Code, String> {
    // The old form: A or M and seconds (Apache checks nothing further; atoi reads the number).
    if let Some(rest) = code.strip_prefix('A') {
        return Ok(Code {
            base: Base::Access,
            seconds: atoi(rest),
        });
    }
    if let Some(rest) = code.strip_prefix('M') {
        return Ok(Code {
            base: Base::Modification,
            seconds: atoi(rest),
        });
    }
    let mut words = code.split_ascii_whitespace();
    let word = words.next().unwrap_or("");
    let base = if prefix_is(word, "now", 1) || prefix_is(word, "access", 1) {
        Base::Access
    } else if prefix_is(word, "modification", 1) {
        Base::Modification
    } else {
        return Err(format!("bad expires code, unrecognised <base> '{word}'"));
    };
    let mut word = words.next().unwrap_or("");
    if prefix_is(word, "plus", 1) {
        word = words.next().unwrap_or("");
    }
    let mut seconds: i64 = 0;
    while !word.is_empty() {
        if !word.as_bytes()[0].is_ascii_digit() {
            return Err(format!(
                "bad expires code, numeric value expected <num> '{word}'"
            ));
        }
        let num = atoi(word);
        let unit = words.next().unwrap_or("");
        if unit.is_empty() {
            return Err("bad expires code, missing <type>".to_owned());
        }
        let factor: i64 = if prefix_is(unit, "years", 1) {
            60 * 60 * 24 * 365
        } else if prefix_is(unit, "months", 2) {
            60 * 60 * 24 * 30
        } else if prefix_is(unit, "weeks", 1) {
            60 * 60 * 24 * 7
        } else if prefix_is(unit, "days", 1) {
            60 * 60 * 24
        } else if prefix_is(unit, "hours", 1) {
            60 * 60
        } else if prefix_is(unit, "minutes", 2) {
            60
        } else if prefix_is(unit, "seconds", 1) {
            1
        } else {
            return Err(format!("bad expires code, unrecognised <type>'{unit}'"));
        };
        seconds = seconds.saturating_add(factor.saturating_mul(num));
        word = words.next().unwrap_or("");
    }
    Ok(Code { base, seconds })
}

/// For a request made at `now_us` (microseconds since the epoch) whose file was modified at
/// `mtime` (seconds, from its `Last-Modified`) if it has one: the `max-age` and the `Expires`
/// time in seconds, or `None` when the code counts from a modification time the response
/// lacks. As Apache: an expiry in the past is now, and max-age is the whole seconds from the
/// request's microsecond time to the expiry.
pub fn apply(code: Code, now_us: i64, mtime: Option<i64>) -> Option<(i64, i64)> {
    const US: i64 = 1_000_000;
    let base = match code.base {
        Base::Access => now_us,
        Base::Modification => mtime?.saturating_mul(US),
    };
    let expires = base
        .saturating_add(code.seconds.saturating_mul(US))
        .max(now_us);
    Some(((expires - now_us) / US, expires.div_euclid(US)))
}

/// The Cache-Control value after Apache's `apr_table_mergen`: an existing value, a comma,
/// then ours.
pub fn merged_cache_control(existing: Option<&str>, max_age: i64) -> String {
    match existing {
        Some(v) if !v.is_empty() => format!("{v}, max-age={max_age}"),
        _ => format!("max-age={max_age}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(code: &str) -> (Base, i64) {
        let c = parse(code).unwrap();
        (c.base, c.seconds)
    }

    #[test]
    fn the_short_form_reads_base_and_seconds() {
        assert_eq!(secs("A86400"), (Base::Access, 86400));
        assert_eq!(secs("M60"), (Base::Modification, 60));
    }

    #[test]
    fn the_long_form_adds_its_units() {
        assert_eq!(
            secs("access plus 1 month 2 days"),
            (Base::Access, 32 * 86400)
        );
        assert_eq!(secs("now plus 1 year"), (Base::Access, 365 * 86400));
        assert_eq!(
            secs("modification plus 2 weeks 3 hours 4 minutes 5 seconds"),
            (Base::Modification, 14 * 86400 + 3 * 3600 + 4 * 60 + 5)
        );
        // Singular, plural, abbreviated as far as Apache compares; "plus" optional.
        assert_eq!(
            secs("access 1 d 1 h 1 mi 1 mo"),
            (Base::Access, 86400 + 3600 + 60 + 30 * 86400)
        );
        assert_eq!(secs("access PLUS 1 DAY"), (Base::Access, 86400));
        // A capital A or M is the short form whatever follows (Apache's check_code): no number
        // is 0 seconds.
        assert_eq!(secs("Access plus 1 day"), (Base::Access, 0));
        assert_eq!(secs("access"), (Base::Access, 0));
    }

    #[test]
    fn errors_are_apaches() {
        assert_eq!(
            parse("later plus 1 day").unwrap_err(),
            "bad expires code, unrecognised <base> 'later'"
        );
        assert_eq!(
            parse("access plus x day").unwrap_err(),
            "bad expires code, numeric value expected <num> 'x'"
        );
        assert_eq!(
            parse("access plus 1").unwrap_err(),
            "bad expires code, missing <type>"
        );
        assert_eq!(
            parse("access plus 1 fortnight").unwrap_err(),
            "bad expires code, unrecognised <type>'fortnight'"
        );
        // "m" alone is neither months nor minutes (Apache compares two letters).
        assert!(parse("access plus 1 m").is_err());
    }

    #[test]
    fn modification_needs_a_modification_time_and_the_past_is_now() {
        let m = parse("M100").unwrap();
        let s = 1_000_000;
        assert_eq!(apply(m, 1000 * s, None), None);
        assert_eq!(apply(m, 1000 * s, Some(950)), Some((50, 1050)));
        // From a whole-second mtime, the request's fraction of a second is cut off max-age.
        assert_eq!(apply(m, 1000 * s + 1, Some(950)), Some((49, 1050)));
        assert_eq!(apply(m, 1000 * s, Some(10)), Some((0, 1000)));
        assert_eq!(
            apply(parse("A60").unwrap(), 1000 * s + 5, None),
            Some((60, 1060))
        );
    }

    #[test]
    fn cache_control_is_merged_after_an_existing_value() {
        assert_eq!(merged_cache_control(None, 5), "max-age=5");
        assert_eq!(merged_cache_control(Some("public"), 5), "public, max-age=5");
    }
}
