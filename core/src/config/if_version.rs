//! `<IfVersion [[!]operator] version>` (Apache's mod_version), evaluated by the reader.
//!
//! mapache answers as the Apache version whose behaviour it follows, [`APACHE_COMPATIBLE`]: the
//! configurations that test versions ask which Apache features they may use
//! (`<IfVersion >= 2.4>` around 2.4 syntax), not which mapache release runs them.

/// The Apache httpd version mapache answers `<IfVersion>` with (and shows in `-V`): the 2.4
/// release its behaviour was checked against.
pub const APACHE_COMPATIBLE: (u32, u32, u32) = (2, 4, 62);

/// The compatible version as `<IfVersion ~ regex>` matches it: `2.4.62`.
pub fn compatible_text() -> String {
    let (major, minor, patch) = APACHE_COMPATIBLE;
    format!("{major}.{minor}.{patch}")
}

/// Whether `<IfVersion args>` holds, with mod_version's rules: one argument is `= version`;
/// the operators are `=`/`==` (a `/regex/` with them matches), `~` (a regex), `<`, `<=`, `>`,
/// `>=`, each reversible with a leading `!`; a missing minor or patch number counts as 0.
pub fn holds(args: &[String]) -> Result<bool, String> {
    let (operator, version) = match args {
        [version] => ("=", version.as_str()),
        [operator, version] => (operator.as_str(), version.as_str()),
        _ => {
            return Err(
                "<IfVersion> takes one or two arguments, a comparison operator and a version"
                    .to_owned(),
            )
        }
    };
    let (reverse, op) = match operator.strip_prefix('!') {
        Some(rest) if !rest.is_empty() => (true, rest),
        _ => (false, operator),
    };
    let matched = match op {
        "=" | "==" => match version.strip_prefix('/') {
            Some(rest) => {
                let regex = rest
                    .strip_suffix('/')
                    .ok_or("Missing delimiting / of regular expression.")?;
                regex_matches(regex)?
            }
            None => compare(version)?.is_eq(),
        },
        "~" => regex_matches(version)?,
        "<" => compare(version)?.is_lt(),
        "<=" => compare(version)?.is_le(),
        ">" => compare(version)?.is_gt(),
        ">=" => compare(version)?.is_ge(),
        _ => return Err(format!("unrecognized operator '{operator}'")),
    };
    Ok(matched != reverse)
}

/// The compatible version compared with `version` (`major[.minor[.patch]]`).
fn compare(version: &str) -> Result<std::cmp::Ordering, String> {
    let invalid = || {
        "Version appears to be invalid. It must have the format major[.minor[.patch]] where \
         major, minor and patch are numbers."
            .to_owned()
    };
    let mut parts = [0u32; 3];
    let fields: Vec<&str> = version.split('.').collect();
    if fields.len() > 3 {
        return Err(invalid());
    }
    for (slot, field) in parts.iter_mut().zip(&fields) {
        if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        *slot = field.parse().map_err(|_| invalid())?;
    }
    let (major, minor, patch) = APACHE_COMPATIBLE;
    Ok([major, minor, patch].cmp(&parts))
}

fn regex_matches(regex: &str) -> Result<bool, String> {
    let re = crate::regex::Regex::new(regex, false).map_err(|e| format!("<IfVersion>: {e}"))?;
    Ok(re.is_match(compatible_text().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(args: &[&str]) -> Result<bool, String> {
        holds(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn comparisons_as_mod_version() {
        assert_eq!(APACHE_COMPATIBLE.0, 2);
        assert_eq!(APACHE_COMPATIBLE.1, 4);
        assert!(h(&[">=", "2.4"]).unwrap());
        assert!(h(&[">", "2.2"]).unwrap());
        assert!(h(&["<", "3"]).unwrap());
        assert!(h(&["<=", "2.4.99"]).unwrap());
        assert!(!h(&["<", "2.4"]).unwrap());
        assert!(h(&["!<", "2.4"]).unwrap());
        // A missing patch level is 0: 2.4.x is not equal to 2.4.
        assert!(!h(&["2.4"]).unwrap());
        assert!(h(&["!=", "2.4"]).unwrap());
        assert!(h(&["==", &compatible_text()]).unwrap());
        assert!(h(&[&compatible_text()]).unwrap());
    }

    #[test]
    fn regular_expressions() {
        assert!(h(&["~", r"^2\.4\."]).unwrap());
        assert!(!h(&["~", r"^2\.2"]).unwrap());
        assert!(h(&["=", r"/^2\.4/"]).unwrap());
        assert!(h(&["!~", r"^1\."]).unwrap());
        assert_eq!(
            h(&["=", "/^2"]).unwrap_err(),
            "Missing delimiting / of regular expression."
        );
    }

    #[test]
    fn errors_in_apaches_words() {
        assert_eq!(h(&["=>", "2.4"]).unwrap_err(), "unrecognized operator '=>'");
        assert_eq!(h(&["~=", "2.4"]).unwrap_err(), "unrecognized operator '~='");
        assert!(h(&[">=", "2.x"])
            .unwrap_err()
            .starts_with("Version appears"));
        assert!(h(&[">=", "2.4.1.1"]).is_err());
        assert!(h(&[]).is_err());
    }
}
