//! Whether a password matches a stored hash, as `apr_password_validate` decides on Linux:
//! `$2a$`/`$2y$` bcrypt (`htpasswd -B`), `$apr1$` MD5 (`-m`, the default), `{SHA}` (`-s`),
//! and anything else through the system's `crypt(3)` (`-d`, `-2`, `-5`). A plain-text
//! password in the file is refused, as Apache refuses it everywhere but Windows and NetWare
//! (crypt never yields its input). The final comparison is constant-time.

pub mod apr1;
pub mod crypt;

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// `htpasswd -s`'s prefix.
const SHA_PREFIX: &str = "{SHA}";

/// The hash kinds, as the stored value's prefix names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `$2a$` or `$2y$`: bcrypt, computed here.
    Bcrypt,
    /// `$apr1$`: APR's MD5.
    Apr1,
    /// `{SHA}`: base64 of the unsalted SHA-1.
    Sha1,
    /// Anything else: the system's crypt.
    Crypt,
}

impl Kind {
    /// The kind of a stored hash.
    pub fn of(stored: &str) -> Kind {
        let b = stored.as_bytes();
        if b.len() >= 4
            && b[0] == b'$'
            && b[1] == b'2'
            && matches!(b[2], b'a' | b'y')
            && b[3] == b'$'
        {
            Kind::Bcrypt
        } else if stored.starts_with(apr1::MAGIC) {
            Kind::Apr1
        } else if stored.starts_with(SHA_PREFIX) {
            Kind::Sha1
        } else {
            Kind::Crypt
        }
    }
}

/// Whether `password` matches `stored` (a password file's second field).
pub fn validate(password: &[u8], stored: &str) -> bool {
    let computed = match Kind::of(stored) {
        // bcrypt's own check compares in constant time.
        Kind::Bcrypt => return bcrypt::verify(password, stored).unwrap_or(false),
        Kind::Apr1 => apr1::encode(password, stored.as_bytes()),
        Kind::Sha1 => format!(
            "{SHA_PREFIX}{}",
            crate::base64::encode(&Sha1::digest(password))
        ),
        Kind::Crypt => match crypt::crypt(password, stored) {
            Some(c) => c,
            None => return false,
        },
    };
    bool::from(computed.as_bytes().ct_eq(stored.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each made by Debian's htpasswd (`htpasswd -nb[B|m|s|d] alice s3cret`).
    const BCRYPT: &str = "$2y$05$PbkEb/t21dYt2vtTbSwvE.bUJ6Zl8d5PYo/MZkD6ctHlje.76Sxs2";
    const APR1: &str = "$apr1$2NkiGOgo$nh2ooIr3PpFE6.yUHRVuq/";
    const SHA: &str = "{SHA}/vNB+F2HQ559kaLUZbmHHvZrXpg=";
    const DES: &str = "Ljvs7UJ4iyWic";

    #[test]
    fn every_htpasswd_format_validates_the_right_password_only() {
        for stored in [BCRYPT, APR1, SHA, DES] {
            assert!(validate(b"s3cret", stored), "{stored}");
            assert!(!validate(b"s3cre", stored), "{stored}");
            assert!(!validate(b"", stored), "{stored}");
        }
    }

    #[test]
    fn kinds_by_prefix_as_apr() {
        assert_eq!(Kind::of(BCRYPT), Kind::Bcrypt);
        assert_eq!(Kind::of("$2a$05$x"), Kind::Bcrypt);
        // `$2b$` is not APR's: it goes to crypt, which knows it on Linux.
        assert_eq!(Kind::of("$2b$05$x"), Kind::Crypt);
        assert_eq!(Kind::of(APR1), Kind::Apr1);
        assert_eq!(Kind::of(SHA), Kind::Sha1);
        assert_eq!(Kind::of(DES), Kind::Crypt);
    }

    #[test]
    fn other_crypt_schemes_go_to_the_system_crypt() {
        // Made by perl's crypt (the system's): `$1$` MD5-crypt and `$2b$` bcrypt.
        for stored in [
            "$1$saltsalt$RwMqRjSWhXMKbW72DwzGd1",
            "$2b$05$abcdefghijklmnopqrstuuLK7U1u6pVRmL7L1BBM2aS35PSZnDXlK",
        ] {
            assert!(validate(b"s3cret", stored), "{stored}");
            assert!(!validate(b"s3creT", stored), "{stored}");
        }
    }

    #[test]
    fn plain_text_in_the_file_never_matches() {
        assert!(!validate(b"s3cret", "s3cret"));
        assert!(!validate(b"", ""));
    }

    #[test]
    fn a_malformed_bcrypt_hash_is_a_mismatch() {
        assert!(!validate(b"s3cret", "$2y$05$short"));
    }
}
