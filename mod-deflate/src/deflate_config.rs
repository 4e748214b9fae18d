//! mod_deflate's directives for one scope, with Apache's ranges and errors, and the values in
//! effect (Apache's defaults where a scope says nothing).

use crate::head::EtagMode;
use crate::notes::FilterNotes;
use mapache_plugin_api::sdk::{ModuleConfig, Scope};

/// One scope's settings; `None` where the scope says nothing (the parent's value holds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeflateConfig {
    /// `DeflateCompressionLevel` (1–9).
    pub level: Option<u32>,
    /// `DeflateBufferSize`: bytes compressed (and passed on) per piece.
    pub buffer_size: Option<usize>,
    /// `DeflateWindowSize` (9–15; Apache allows 1–15, zlib uses 9 for anything smaller).
    pub window_bits: Option<u8>,
    /// `DeflateAlterETag`.
    pub alter_etag: Option<EtagMode>,
    /// `DeflateInflateLimitRequestBody`: the most bytes a gzip request body may inflate to.
    pub inflate_limit: Option<u64>,
    /// `DeflateInflateRatioLimit`: inflated/compressed above this counts as a hit.
    pub ratio_limit: Option<u64>,
    /// `DeflateInflateRatioBurst`: hits in a row tolerated.
    pub ratio_burst: Option<u32>,
    /// `DeflateFilterNote` lines.
    pub notes: FilterNotes,
}

/// zlib's default level, which Apache uses when DeflateCompressionLevel is absent.
const DEFAULT_LEVEL: u32 = 6;
/// Apache's DEFAULT_BUFFERSIZE.
const DEFAULT_BUFFER_SIZE: usize = 8096;
/// Apache's DEFAULT_WINDOWSIZE (-15 for raw deflate, 15 bits either way).
const DEFAULT_WINDOW_BITS: u8 = 15;
/// Without DeflateInflateLimitRequestBody, Apache's bound is LimitRequestBody's default (1 GiB).
const DEFAULT_INFLATE_LIMIT: u64 = 1 << 30;
/// Apache's AP_INFLATE_RATIO_LIMIT.
const DEFAULT_RATIO_LIMIT: u64 = 200;
/// Apache's AP_INFLATE_RATIO_BURST.
const DEFAULT_RATIO_BURST: u32 = 3;

impl DeflateConfig {
    /// The compression level in effect.
    pub fn level(&self) -> u32 {
        self.level.unwrap_or(DEFAULT_LEVEL)
    }
    /// The buffer size in effect.
    pub fn buffer_size(&self) -> usize {
        self.buffer_size.unwrap_or(DEFAULT_BUFFER_SIZE)
    }
    /// The window in effect, in bits.
    pub fn window_bits(&self) -> u8 {
        self.window_bits.unwrap_or(DEFAULT_WINDOW_BITS)
    }
    /// The ETag mode in effect.
    pub fn alter_etag(&self) -> EtagMode {
        self.alter_etag.unwrap_or_default()
    }
    /// The inflated-size bound in effect.
    pub fn inflate_limit(&self) -> u64 {
        self.inflate_limit.unwrap_or(DEFAULT_INFLATE_LIMIT)
    }
    /// The ratio limit in effect.
    pub fn ratio_limit(&self) -> u64 {
        self.ratio_limit.unwrap_or(DEFAULT_RATIO_LIMIT)
    }
    /// The ratio burst in effect.
    pub fn ratio_burst(&self) -> u32 {
        self.ratio_burst.unwrap_or(DEFAULT_RATIO_BURST)
    }
}

/// A whole number in `range`, or `err`.
fn number<T: std::str::FromStr + PartialOrd>(
    arg: &str,
    range: std::ops::RangeInclusive<T>,
    err: &str,
) -> Result<T, String> {
    match arg.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(err.to_owned()),
    }
}

impl ModuleConfig for DeflateConfig {
    fn set(&mut self, _scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        let arg = args.first().copied().unwrap_or("");
        match name.to_ascii_lowercase().as_str() {
            "deflatecompressionlevel" => {
                self.level = Some(number(arg, 1..=9, "DeflateCompressionLevel must be between 1 and 9")?);
            }
            "deflatebuffersize" => {
                self.buffer_size = Some(number(
                    arg,
                    1..=usize::MAX,
                    "DeflateBufferSize should be positive",
                )?);
            }
            "deflatewindowsize" => {
                let bits: u8 = number(arg, 1..=15, "DeflateWindowSize must be between 1 and 15")?;
                // zlib raises smaller windows to 9 bits for gzip streams (deflateInit2).
                self.window_bits = Some(bits.max(9));
            }
            "deflatememlevel" => {
                return Err(
                    "DeflateMemLevel is not supported by mapache's mod_deflate (its zlib uses memory level 8); remove the line"
                        .to_owned(),
                )
            }
            "deflatefilternote" => self.notes.set("DeflateFilterNote", args)?,
            "deflatealteretag" => self.alter_etag = Some(EtagMode::parse("DeflateAlterETag", arg)?),
            "deflateinflatelimitrequestbody" => {
                self.inflate_limit = Some(number(
                    arg,
                    0..=u64::MAX,
                    "DeflateInflateLimitRequestBody is invalid",
                )?);
            }
            "deflateinflateratiolimit" => {
                self.ratio_limit = Some(number(arg, 1..=u64::MAX, "DeflateInflateRatioLimit must be positive")?);
            }
            "deflateinflateratioburst" => {
                self.ratio_burst = Some(number(arg, 1..=u32::MAX, "DeflateInflateRatioBurst must be positive")?);
            }
            _ => {}
        }
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        DeflateConfig {
            level: child.level.or(parent.level),
            buffer_size: child.buffer_size.or(parent.buffer_size),
            window_bits: child.window_bits.or(parent.window_bits),
            alter_etag: child.alter_etag.or(parent.alter_etag),
            inflate_limit: child.inflate_limit.or(parent.inflate_limit),
            ratio_limit: child.ratio_limit.or(parent.ratio_limit),
            ratio_burst: child.ratio_burst.or(parent.ratio_burst),
            notes: FilterNotes::merge(&parent.notes, &child.notes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(c: &mut DeflateConfig, name: &str, arg: &str) -> Result<(), String> {
        c.set(Scope::Server, name, &[arg])
    }

    #[test]
    fn values_are_checked_with_apaches_ranges() {
        let mut c = DeflateConfig::default();
        assert_eq!(c.level(), 6);
        set(&mut c, "DeflateCompressionLevel", "9").unwrap();
        assert_eq!(c.level(), 9);
        assert!(set(&mut c, "DeflateCompressionLevel", "0").is_err());
        assert!(set(&mut c, "DeflateCompressionLevel", "10").is_err());
        assert!(set(&mut c, "DeflateBufferSize", "0").is_err());
        set(&mut c, "DeflateWindowSize", "4").unwrap();
        assert_eq!(c.window_bits(), 9);
        assert!(set(&mut c, "DeflateWindowSize", "16").is_err());
        assert!(set(&mut c, "DeflateMemLevel", "9").is_err());
        assert!(set(&mut c, "DeflateFilterNote", "ratio").is_ok());
        assert!(set(&mut c, "DeflateInflateRatioLimit", "0").is_err());
    }

    #[test]
    fn a_section_inherits_what_it_does_not_set() {
        let mut parent = DeflateConfig::default();
        set(&mut parent, "DeflateCompressionLevel", "2").unwrap();
        set(&mut parent, "DeflateInflateLimitRequestBody", "100").unwrap();
        let mut child = DeflateConfig::default();
        set(&mut child, "DeflateInflateLimitRequestBody", "50").unwrap();
        let merged = DeflateConfig::merge(&parent, &child);
        assert_eq!(merged.level(), 2);
        assert_eq!(merged.inflate_limit(), 50);
    }
}
