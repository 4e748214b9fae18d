//! mod_brotli's directives for one scope, with Apache's ranges and errors, and the values in
//! effect (Apache's defaults where a scope says nothing).

use crate::head::EtagMode;
use crate::notes::FilterNotes;
use mapache_plugin_api::sdk::{ModuleConfig, Scope};

/// One scope's settings; `None` where the scope says nothing (the parent's value holds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrotliConfig {
    /// `BrotliCompressionQuality` (0–11).
    pub quality: Option<u32>,
    /// `BrotliCompressionWindow` (10–24).
    pub lgwin: Option<u32>,
    /// `BrotliCompressionMaxInputBlock` (16–24).
    pub lgblock: Option<u32>,
    /// `BrotliAlterETag`.
    pub alter_etag: Option<EtagMode>,
    /// `BrotliFilterNote` lines.
    pub notes: FilterNotes,
}

/// Apache's default quality ("5", a speed/ratio balance for dynamic content).
const DEFAULT_QUALITY: u32 = 5;
/// Apache's default window (18 bits).
const DEFAULT_LGWIN: u32 = 18;

impl BrotliConfig {
    /// The quality in effect.
    pub fn quality(&self) -> u32 {
        self.quality.unwrap_or(DEFAULT_QUALITY)
    }
    /// The window in effect, in bits.
    pub fn lgwin(&self) -> u32 {
        self.lgwin.unwrap_or(DEFAULT_LGWIN)
    }
    /// The input block in effect, in bits; 0 lets the encoder choose (Apache's default).
    pub fn lgblock(&self) -> u32 {
        self.lgblock.unwrap_or(0)
    }
    /// The ETag mode in effect.
    pub fn alter_etag(&self) -> EtagMode {
        self.alter_etag.unwrap_or_default()
    }
}

fn number(arg: &str, range: std::ops::RangeInclusive<u32>, err: &str) -> Result<u32, String> {
    match arg.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(err.to_owned()),
    }
}

impl ModuleConfig for BrotliConfig {
    fn set(&mut self, _scope: Scope, name: &str, args: &[&str]) -> Result<(), String> {
        let arg = args.first().copied().unwrap_or("");
        match name.to_ascii_lowercase().as_str() {
            "brotlicompressionquality" => {
                self.quality = Some(number(
                    arg,
                    0..=11,
                    "BrotliCompressionQuality must be between 0 and 11",
                )?);
            }
            "brotlicompressionwindow" => {
                self.lgwin = Some(number(
                    arg,
                    10..=24,
                    "BrotliCompressionWindow must be between 10 and 24",
                )?);
            }
            "brotlicompressionmaxinputblock" => {
                self.lgblock = Some(number(
                    arg,
                    16..=24,
                    "BrotliCompressionMaxInputBlock must be between 16 and 24",
                )?);
            }
            "brotlialteretag" => self.alter_etag = Some(EtagMode::parse("BrotliAlterETag", arg)?),
            "brotlifilternote" => self.notes.set("BrotliFilterNote", args)?,
            _ => {}
        }
        Ok(())
    }

    fn merge(parent: &Self, child: &Self) -> Self {
        BrotliConfig {
            quality: child.quality.or(parent.quality),
            lgwin: child.lgwin.or(parent.lgwin),
            lgblock: child.lgblock.or(parent.lgblock),
            alter_etag: child.alter_etag.or(parent.alter_etag),
            notes: FilterNotes::merge(&parent.notes, &child.notes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_with_apaches_ranges() {
        let mut c = BrotliConfig::default();
        assert_eq!((c.quality(), c.lgwin(), c.lgblock()), (5, 18, 0));
        c.set(Scope::Server, "BrotliCompressionQuality", &["11"])
            .unwrap();
        assert_eq!(c.quality(), 11);
        assert!(c
            .set(Scope::Server, "BrotliCompressionQuality", &["12"])
            .is_err());
        assert!(c
            .set(Scope::Server, "BrotliCompressionWindow", &["9"])
            .is_err());
        assert!(c
            .set(Scope::Server, "BrotliCompressionWindow", &["25"])
            .is_err());
        assert!(c
            .set(Scope::Server, "BrotliCompressionMaxInputBlock", &["15"])
            .is_err());
        c.set(Scope::Server, "BrotliFilterNote", &["Ratio", "r"])
            .unwrap();
        assert_eq!(c.notes.ratio.as_deref(), Some("r"));
    }
}
