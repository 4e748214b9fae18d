//! How Apache's mod_status writes numbers, times and sizes, so `?auto` reads the same to the tools
//! that parse it and the HTML page reads the same to people who know Apache's.

use std::fmt::Write as _;

/// A number as Apache's `%g` prints it. Apache formats through APR, whose `%g` differs from C's:
/// no `0` before the point (`.25`), trailing zeros dropped, and the exponent form chosen by the
/// digits that remain (`1e+5` is `1.e+5`, 123456 stays as is). Six significant digits.
pub fn g(x: f64) -> String {
    g_digits(x, 6)
}

/// [`g`] with `digits` significant digits (Apache's `%.3g` is `g_digits(x, 3)`).
pub fn g_digits(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let digits = digits.max(1);
    let mut out = String::new();
    if x.is_sign_negative() && x != 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` rounds correctly; it gives "d.ddddde<exp>" from which we take the digits and
    // where the point goes (`point`: the value is 0.d1d2… × 10^point).
    let sci = format!("{:.*e}", digits - 1, x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut ds: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while ds.len() > 1 && ds.last() == Some(&b'0') {
        ds.pop();
    }
    let zero = ds == [b'0'];
    let point = if zero { 0 } else { exp + 1 };
    let n = ds.len() as i32;
    if (point >= 0 && point - n > 4) || point < -3 {
        out.push(char::from(ds[0]));
        out.push('.');
        out.extend(ds[1..].iter().map(|&d| char::from(d)));
        let _ = write!(
            out,
            "e{}{}",
            if point - 1 < 0 { '-' } else { '+' },
            (point - 1).abs()
        );
        return out;
    }
    if point <= 0 {
        if !zero {
            out.push('.');
        }
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.extend(ds.iter().map(|&d| char::from(d)));
        return out;
    }
    for (i, &d) in ds.iter().enumerate() {
        out.push(char::from(d));
        if i as i32 + 1 == point && (i as i32) + 1 < n {
            out.push('.');
        }
    }
    out.extend(std::iter::repeat_n('0', (point - n).max(0) as usize));
    out
}

/// An uptime as Apache writes it: ` 1 day 2 hours 3 minutes 4 seconds`, each part with a leading
/// space, zero parts left out (so 0 seconds is the empty string).
pub fn uptime(secs: u64) -> String {
    let parts = [
        (secs / 86_400, "day"),
        (secs / 3_600 % 24, "hour"),
        (secs / 60 % 60, "minute"),
        (secs % 60, "second"),
    ];
    let mut out = String::new();
    for (n, unit) in parts {
        if n > 0 {
            let _ = write!(out, " {n} {unit}{}", if n == 1 { "" } else { "s" });
        }
    }
    out
}

const KB: f64 = 1024.0;
const MB: f64 = 1024.0 * 1024.0;
const GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A byte count for people, with Apache's thresholds: `B` below 5 kB, then one decimal of kB, MB
/// or GB.
pub fn bytes(n: u64) -> String {
    let f = n as f64;
    if f < 5.0 * KB {
        format!("{n} B")
    } else if f < MB / 2.0 {
        format!("{:.1} kB", f / KB)
    } else if f < GB / 2.0 {
        format!("{:.1} MB", f / MB)
    } else {
        format!("{:.1} GB", f / GB)
    }
}

/// A traffic total for people, as Apache's page writes it from kilobytes: `kB` up to 1 MB, then
/// MB or GB with one decimal.
pub fn kbytes(kb: u64) -> String {
    let f = kb as f64;
    if f < KB {
        format!("{kb} kB")
    } else if f < MB {
        format!("{:.1} MB", f / KB)
    } else {
        format!("{:.1} GB", f / MB)
    }
}

/// A time (µs since the epoch) in the local time zone, as Apache's status page writes it:
/// `Tuesday, 14-May-2024 10:00:00 UTC`.
pub fn local_time(us: u64) -> String {
    // strftime, not a date crate: the zone's abbreviation (%Z) comes from the C library's tz data,
    // which is what Apache prints.
    let secs = (us / 1_000_000) as libc::time_t;
    // SAFETY: an all-zero `tm` is a valid value; localtime_r fills it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers to a time_t and a tm owned by this frame.
    if unsafe { libc::localtime_r(&secs, &mut tm) }.is_null() {
        return String::new();
    }
    let mut buf = [0u8; 128];
    // SAFETY: the buffer and its length match, the format is NUL-terminated, `tm` was filled.
    let n = unsafe {
        libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%A, %d-%b-%Y %H:%M:%S %Z".as_ptr(),
            &tm,
        )
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_prints_as_apache_does() {
        // Values seen in real Apache ?auto output.
        assert_eq!(g(0.0), "0");
        assert_eq!(g(0.82), ".82");
        assert_eq!(g(10.35), "10.35");
        assert_eq!(g(0.002593470), ".00259347");
        assert_eq!(g(15.890_312), "15.8903");
        assert_eq!(g(6127.0416), "6127.04");
        assert_eq!(g(0.011_053_5), ".0110535");
        assert_eq!(g(2.0), "2");
        assert_eq!(g(123456.0), "123456");
        // APR keeps the fixed form while the dropped digits are few: no exponent here.
        assert_eq!(g(1234567.0), "1234570");
        assert_eq!(g(1.5e12), "1.5e+12");
        assert_eq!(g(100000.0), "1.e+5");
        assert_eq!(g(1500.0), "1500");
        assert_eq!(g(0.0001), ".0001");
        assert_eq!(g(0.00001), "1.e-5");
        assert_eq!(g(-2.5), "-2.5");
        assert_eq!(g_digits(12.345, 3), "12.3");
        assert_eq!(g_digits(0.5, 3), ".5");
        for s in [g(0.82), g(1e9), g(0.00001), g(1.5e12)] {
            assert!(s.parse::<f64>().is_ok(), "{s} parses");
        }
    }

    #[test]
    fn uptime_reads_as_apache() {
        assert_eq!(uptime(0), "");
        assert_eq!(uptime(1), " 1 second");
        assert_eq!(uptime(61), " 1 minute 1 second");
        assert_eq!(
            uptime(2 * 86_400 + 23 * 3_600 + 7 * 60 + 8),
            " 2 days 23 hours 7 minutes 8 seconds"
        );
        assert_eq!(uptime(3_600), " 1 hour");
    }

    #[test]
    fn sizes_follow_apache_thresholds() {
        assert_eq!(bytes(5119), "5119 B");
        assert_eq!(bytes(5120), "5.0 kB");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MB");
        assert_eq!(kbytes(1023), "1023 kB");
        assert_eq!(kbytes(1536), "1.5 MB");
        assert_eq!(kbytes(2 * 1024 * 1024), "2.0 GB");
    }

    #[test]
    fn local_time_has_apache_shape() {
        let t = local_time(1_700_000_000_000_000);
        // "Tuesday, 14-Nov-2023 22:13:20 UTC" in UTC; the day and zone depend on TZ.
        let (day, rest) = t.split_once(", ").expect(&t);
        assert!(day.ends_with("day"), "{t}");
        assert_eq!(rest.split(' ').count(), 3, "{t}");
        assert_eq!(rest.split(' ').nth(1).unwrap().len(), 8, "{t}");
    }
}
