//! `AuthGroupFile`: `group: user user …` lines, read as mod_authz_groupfile reads them (the
//! group name before the first colon, members as blank-separated, possibly quoted words; a
//! group named on several lines has the members of all).

use crate::cfg_lines;
use std::collections::{HashMap, HashSet};

/// A parsed group file.
#[derive(Debug, Default)]
pub struct GroupFile {
    members: HashMap<Vec<u8>, HashSet<Vec<u8>>>,
}

impl GroupFile {
    /// Reads the file's text.
    pub fn parse(text: &[u8]) -> GroupFile {
        let mut members: HashMap<Vec<u8>, HashSet<Vec<u8>>> = HashMap::new();
        for line in cfg_lines::lines(text) {
            let (group, rest) = cfg_lines::word(&line, b':');
            members
                .entry(group.to_vec())
                .or_default()
                .extend(cfg_lines::conf_words(rest));
        }
        GroupFile { members }
    }

    /// Whether `user` is in `group`.
    pub fn contains(&self, group: &[u8], user: &[u8]) -> bool {
        self.members.get(group).is_some_and(|m| m.contains(user))
    }

    /// Whether `user` is in any group (Apache logs a different reason when not).
    pub fn knows(&self, user: &[u8]) -> bool {
        self.members.values().any(|m| m.contains(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_by_group_over_several_lines() {
        let f = GroupFile::parse(b"# groups\nadmins: alice bob\nstaff:carol\nadmins: dave\n");
        assert!(f.contains(b"admins", b"alice"));
        assert!(f.contains(b"admins", b"dave"));
        assert!(f.contains(b"staff", b"carol"));
        assert!(!f.contains(b"staff", b"alice"));
        assert!(!f.contains(b"nobody", b"alice"));
        assert!(f.knows(b"bob"));
        assert!(!f.knows(b"eve"));
    }

    #[test]
    fn the_group_name_is_what_stands_before_the_colon() {
        // Apache takes `admins ` (with the blank) as the name here.
        let f = GroupFile::parse(b"admins : alice\n");
        assert!(!f.contains(b"admins", b"alice"));
        assert!(f.contains(b"admins ", b"alice"));
    }
}
