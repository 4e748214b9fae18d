//! APR's `$apr1$` hash (`htpasswd -m`): the FreeBSD MD5-crypt algorithm with Apache's magic
//! string, as `apr_md5_encode` computes it.

use md5::{Digest, Md5};

/// The hash's prefix.
pub const MAGIC: &str = "$apr1$";

const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The salt of `setting` as `apr_md5_encode` takes it: after the magic, up to a `$` or 8
/// characters.
fn salt_of(setting: &[u8]) -> &[u8] {
    let rest = setting.strip_prefix(MAGIC.as_bytes()).unwrap_or(setting);
    let end = rest
        .iter()
        .take(8)
        .position(|&b| b == b'$')
        .unwrap_or(rest.len().min(8));
    &rest[..end]
}

fn to64(out: &mut String, mut v: u32, n: usize) {
    for _ in 0..n {
        out.push(ITOA64[(v & 0x3f) as usize] as char);
        v >>= 6;
    }
}

/// `$apr1$<salt>$<digest>` for `password` with the salt of `setting` (a stored hash).
pub fn encode(password: &[u8], setting: &[u8]) -> String {
    let salt = salt_of(setting);
    let mut ctx = Md5::new();
    ctx.update(password);
    ctx.update(MAGIC.as_bytes());
    ctx.update(salt);
    let mut alt = Md5::new();
    alt.update(password);
    alt.update(salt);
    alt.update(password);
    let alt = alt.finalize();
    let mut left = password.len();
    while left > 0 {
        ctx.update(&alt[..left.min(16)]);
        left = left.saturating_sub(16);
    }
    // The algorithm's odd step: a zero byte for each set bit of the length, else the
    // password's first byte.
    let mut i = password.len();
    while i != 0 {
        if i & 1 != 0 {
            ctx.update([0u8]);
        } else {
            ctx.update(&password[..1]);
        }
        i >>= 1;
    }
    let mut fin = ctx.finalize();
    for round in 0..1000 {
        let mut c = Md5::new();
        if round & 1 != 0 {
            c.update(password);
        } else {
            c.update(fin);
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(password);
        }
        if round & 1 != 0 {
            c.update(fin);
        } else {
            c.update(password);
        }
        fin = c.finalize();
    }
    let f = |i: usize| u32::from(fin[i]);
    let mut out = String::with_capacity(37);
    out.push_str(MAGIC);
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        to64(&mut out, f(a) << 16 | f(b) << 8 | f(c), 4);
    }
    to64(&mut out, f(11), 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by `htpasswd -nbm alice s3cret` and `openssl passwd -apr1 -salt …`.
    #[test]
    fn matches_htpasswd_and_openssl() {
        let stored = "$apr1$2NkiGOgo$nh2ooIr3PpFE6.yUHRVuq/";
        assert_eq!(encode(b"s3cret", stored.as_bytes()), stored);
        let empty = "$apr1$abcdefgh$L.PT565ESX4Tp2bqNs7Ie.";
        assert_eq!(encode(b"", empty.as_bytes()), empty);
        let long = "$apr1$ab$BssM3aYvOQ9eneAScCPa40";
        assert_eq!(
            encode(
                b"a much longer password, over sixteen bytes",
                long.as_bytes()
            ),
            long
        );
    }

    #[test]
    fn a_wrong_password_gives_another_hash() {
        let stored = "$apr1$2NkiGOgo$nh2ooIr3PpFE6.yUHRVuq/";
        assert_ne!(encode(b"s3creT", stored.as_bytes()), stored);
    }

    #[test]
    fn the_salt_stops_at_a_dollar_or_eight_characters() {
        assert_eq!(salt_of(b"$apr1$ab$xyz"), b"ab");
        assert_eq!(salt_of(b"$apr1$abcdefghij$xyz"), b"abcdefgh");
        assert_eq!(salt_of(b"$apr1$"), b"");
    }
}
