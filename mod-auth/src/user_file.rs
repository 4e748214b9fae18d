//! `AuthUserFile`: `user:hash` lines (htpasswd's format), read as mod_authn_file reads them:
//! the first line naming the user wins, the hash ends at the next colon.

use crate::cfg_lines;
use std::collections::HashMap;

/// A parsed password file.
#[derive(Debug, Default)]
pub struct UserFile {
    hashes: HashMap<Vec<u8>, String>,
}

impl UserFile {
    /// Reads the file's text.
    pub fn parse(text: &[u8]) -> UserFile {
        let mut hashes = HashMap::new();
        for line in cfg_lines::lines(text) {
            let (user, rest) = cfg_lines::word(&line, b':');
            let (hash, _) = cfg_lines::word(rest, b':');
            hashes
                .entry(user.to_vec())
                .or_insert_with(|| String::from_utf8_lossy(hash).into_owned());
        }
        UserFile { hashes }
    }

    /// The stored hash of `user`, if the file names the user.
    pub fn hash(&self, user: &[u8]) -> Option<&str> {
        self.hashes.get(user).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_of_a_user_wins_and_extra_fields_are_ignored() {
        let f =
            UserFile::parse(b"# made by htpasswd\nalice:$apr1$x$y:comment\nbob:abc\nalice:other\n");
        assert_eq!(f.hash(b"alice"), Some("$apr1$x$y"));
        assert_eq!(f.hash(b"bob"), Some("abc"));
        assert_eq!(f.hash(b"carol"), None);
    }

    #[test]
    fn a_line_without_a_hash_names_a_user_with_an_empty_one() {
        let f = UserFile::parse(b"dave\n");
        assert_eq!(f.hash(b"dave"), Some(""));
    }

    #[test]
    fn user_names_are_case_sensitive() {
        let f = UserFile::parse(b"Alice:x\n");
        assert_eq!(f.hash(b"alice"), None);
    }
}
