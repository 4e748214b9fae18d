//! What a metric's name may be: Prometheus' rule, and short enough for the shared entry.

/// Longest name kept in the shared memory's entry table.
pub const MAX_NAME_LEN: usize = 128;

/// Whether `name` is a valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, at most
/// [`MAX_NAME_LEN`] bytes.
pub fn valid(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':');
    first_ok
        && name.len() <= MAX_NAME_LEN
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_names_only() {
        assert!(valid("probe_hits_total") && valid(":a:b") && valid("_x9"));
        assert!(!valid("") && !valid("9lives") && !valid("a-b") && !valid("a b"));
        assert!(!valid(&"a".repeat(MAX_NAME_LEN + 1)));
    }
}
