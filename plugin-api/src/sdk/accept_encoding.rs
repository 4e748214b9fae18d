//! The request's `Accept-Encoding` (RFC 9110 12.5.3): whether it accepts one content coding.
//! Kept once here so the compressing filters and the static handler's precompressed files
//! read the field alike.
//!
//! As Apache 2.4's mod_deflate and mod_brotli: only the coding's own token counts (`gzip`,
//! `br`; not `x-gzip`, not `*`), and a `q` of 0 refuses it. Tokens and parameter names are
//! case-insensitive.

/// Whether the `Accept-Encoding` value `field` accepts `coding` (`gzip`, `br`): the token is
/// listed with a q-value above 0. The last listing of the token wins, as a list read in order.
pub fn accepts_coding(field: &str, coding: &str) -> bool {
    let mut accepted = false;
    for member in field.split(',') {
        let mut parts = member.split(';');
        let token = parts.next().unwrap_or("").trim();
        if !token.eq_ignore_ascii_case(coding) {
            continue;
        }
        accepted = parts
            .filter_map(|p| p.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .is_none_or(|(_, q)| q_above_zero(q.trim().trim_matches('"')));
    }
    accepted
}

/// A qvalue (`0`, `0.000`, `0.5`, `1`) above 0. An unreadable one is taken as 1 (accepted),
/// as Apache reads it with `atof`-like leniency only for zero.
fn q_above_zero(q: &str) -> bool {
    match q.parse::<f32>() {
        Ok(v) => v > 0.0,
        Err(_) => !q.bytes().all(|b| b == b'0' || b == b'.'),
    }
}

#[cfg(test)]
mod tests {
    use super::accepts_coding as accepts;

    #[test]
    fn a_listed_token_is_accepted_in_any_case_and_position() {
        assert!(accepts("gzip", "gzip"));
        assert!(accepts("deflate, GZip", "gzip"));
        assert!(accepts("br , gzip;q=0.5", "gzip"));
        assert!(accepts("gzip, deflate, br, zstd", "br"));
    }

    #[test]
    fn q_zero_refuses_and_other_q_values_accept() {
        assert!(!accepts("gzip;q=0", "gzip"));
        assert!(!accepts("gzip; Q=0.000", "gzip"));
        assert!(accepts("gzip;q=0.001", "gzip"));
        assert!(accepts("gzip;q=1", "gzip"));
        assert!(accepts("br;q=0, gzip", "gzip"));
        assert!(!accepts("br;q=0, gzip", "br"));
    }

    #[test]
    fn only_the_coding_itself_counts_as_in_apache() {
        // Apache 2.4.71 compresses none of these for gzip.
        assert!(!accepts("x-gzip", "gzip"));
        assert!(!accepts("*", "gzip"));
        assert!(!accepts("identity", "gzip"));
        assert!(!accepts("gzipped", "gzip"));
        assert!(!accepts("", "gzip"));
        assert!(!accepts("gzip", "br"));
    }
}
