//! The system's `crypt(3)`, which Apache on Linux hands every hash it does not compute itself
//! (`apr_password_validate`'s last branch): `htpasswd -d` (DES, 8 characters at most), `-2`
//! (`$5$`), `-5` (`$6$`), and whatever else the platform's libcrypt knows (`$1$`, `$y$`,
//! `$2b$`). libxcrypt's `crypt_rn` is the thread-safe form with an explicit buffer size.

use std::ffi::{c_char, c_int, c_void, CStr, CString};

/// `struct crypt_data` of libxcrypt (32 KiB); a larger buffer is allowed.
const DATA_SIZE: usize = 32_768;

#[link(name = "crypt")]
extern "C" {
    fn crypt_rn(
        phrase: *const c_char,
        setting: *const c_char,
        data: *mut c_void,
        size: c_int,
    ) -> *mut c_char;
}

/// `crypt(password, setting)`, or `None` when libcrypt refuses the setting (an unknown or
/// malformed hash) or an argument holds a NUL byte.
pub fn crypt(password: &[u8], setting: &str) -> Option<String> {
    let phrase = CString::new(password).ok()?;
    let setting = CString::new(setting).ok()?;
    let mut data = vec![0u8; DATA_SIZE];
    // SAFETY: both strings are NUL-terminated; `data` is a zeroed buffer of the size given,
    // which libxcrypt uses for its work and its result; the result is copied before `data`
    // is dropped.
    unsafe {
        let out = crypt_rn(
            phrase.as_ptr(),
            setting.as_ptr(),
            data.as_mut_ptr().cast(),
            DATA_SIZE as c_int,
        );
        if out.is_null() {
            return None;
        }
        let text = CStr::from_ptr(out).to_str().ok()?.to_owned();
        // libxcrypt's failure token starts with `*`.
        (!text.starts_with('*')).then_some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by `htpasswd -nbd` and `openssl passwd -6`.
    #[test]
    fn des_and_sha512_crypt_as_htpasswd_and_openssl_wrote_them() {
        assert_eq!(
            crypt(b"s3cret", "Ljvs7UJ4iyWic").as_deref(),
            Some("Ljvs7UJ4iyWic")
        );
        let sha512 = "$6$saltsalt$As4wrv0kZlfch1du9WeH7qhskyLriQWySXrZzynnvi46nFnNxjdpl6ksRegrrKexvhIa/Iny8S8uF3fVWTMuC1";
        assert_eq!(crypt(b"s3cret", sha512).as_deref(), Some(sha512));
    }

    #[test]
    fn des_reads_eight_characters_only() {
        // `htpasswd -d` warns that it keeps 8 characters; so does the check.
        let stored = "fuBCxlLiLiZIU";
        assert_eq!(crypt(b"longpassword", stored).as_deref(), Some(stored));
        assert_eq!(crypt(b"longpass", stored).as_deref(), Some(stored));
        assert_ne!(crypt(b"longpas", stored).as_deref(), Some(stored));
    }

    #[test]
    fn a_setting_libcrypt_cannot_read_is_none() {
        assert_eq!(crypt(b"x", "!"), None);
        assert_eq!(crypt(b"x", ""), None);
    }
}
