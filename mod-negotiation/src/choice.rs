//! Apache's choice among variants (mod_negotiation's "best" algorithm, as far as sites rely on
//! it): the product of the Accept quality and `qs` first, then the language's quality, then
//! its place (in Accept-Language, or LanguagePriority when the client names no language, or
//! under `ForceLanguagePriority Prefer` for a tie), then charset, then no encoding over an
//! encoding, then the smaller length. A variant with a quality of 0 in any dimension is not
//! acceptable; with none acceptable the answer is 406, unless `ForceLanguagePriority Fallback`
//! and only the language is wrong: then LanguagePriority picks.

use crate::accept::{self, Range};
use crate::config::NegotiationConfig;
use crate::variant::Variant;

/// What the client asked for (each `None` when the field is absent).
#[derive(Debug, Default)]
pub struct Wanted {
    pub media: Option<Vec<Range>>,
    pub languages: Option<Vec<Range>>,
    pub charsets: Option<Vec<Range>>,
    pub encodings: Option<Vec<Range>>,
}

impl Wanted {
    /// From the field values as sent.
    pub fn from_fields(
        accept: Option<&str>,
        language: Option<&str>,
        charset: Option<&str>,
        encoding: Option<&str>,
    ) -> Wanted {
        Wanted {
            media: accept.map(|v| {
                let mut r = accept::parse(v);
                accept::fiddle_media_wildcards(&mut r);
                r
            }),
            languages: language.map(accept::parse),
            charsets: charset.map(accept::parse),
            encodings: encoding.map(accept::parse),
        }
    }
}

/// The outcome of a negotiation.
#[derive(Debug, PartialEq)]
pub enum Choice {
    /// The index of the variant to serve.
    Variant(usize),
    /// None is acceptable: 406 with the list.
    NotAcceptable,
}

/// How one variant scores.
#[derive(Clone, Copy, Debug, Default)]
struct Score {
    quality: f32,
    language: f32,
    /// Lower is better; `usize::MAX` when not ranked.
    language_index: usize,
    priority_index: usize,
    charset: f32,
    encoded: bool,
    encoding: f32,
    length: u64,
}

impl Score {
    fn acceptable(&self) -> bool {
        self.quality > 0.0 && self.language > 0.0 && self.charset > 0.0 && self.encoding > 0.0
    }

    /// Whether `self` beats `best` (a tie keeps the earlier variant).
    fn beats(&self, best: &Score, prefer: bool) -> bool {
        use std::cmp::Ordering::*;
        let steps = [
            cmp_f(self.quality, best.quality),
            cmp_f(self.language, best.language),
            best.language_index.cmp(&self.language_index),
            if prefer {
                best.priority_index.cmp(&self.priority_index)
            } else {
                Equal
            },
            cmp_f(self.charset, best.charset),
            best.encoded.cmp(&self.encoded),
            cmp_f(self.encoding, best.encoding),
            best.length.cmp(&self.length),
        ];
        steps.into_iter().find(|o| *o != Equal) == Some(Greater)
    }
}

fn cmp_f(a: f32, b: f32) -> std::cmp::Ordering {
    a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal)
}

/// Picks the variant to serve.
pub fn choose(variants: &[Variant], wanted: &Wanted, config: &NegotiationConfig) -> Choice {
    let priority = config.priority();
    let mut scores: Vec<Score> = variants
        .iter()
        .map(|v| score(v, wanted, priority, wanted.languages.as_deref()))
        .collect();
    let fallback =
        config.fallback() && wanted.languages.is_some() && !scores.iter().any(|s| s.language > 0.0);
    if fallback {
        // No variant's language is acceptable: judge as if the client had named none.
        scores = variants
            .iter()
            .map(|v| score(v, wanted, priority, None))
            .collect();
    }
    let prefer = config.prefer();
    let mut best: Option<usize> = None;
    for (i, s) in scores.iter().enumerate() {
        if !s.acceptable() {
            continue;
        }
        if best.is_none_or(|b| s.beats(&scores[b], prefer)) {
            best = Some(i);
        }
    }
    best.map_or(Choice::NotAcceptable, Choice::Variant)
}

fn score(v: &Variant, wanted: &Wanted, priority: &[String], languages: Option<&[Range]>) -> Score {
    let (language, language_index) = language_quality(v, languages, priority);
    Score {
        quality: media_quality(v, wanted.media.as_deref()) * v.qs,
        language,
        language_index,
        priority_index: priority_index(v, priority),
        charset: charset_quality(v, wanted.charsets.as_deref()),
        encoded: v.encoding.is_some(),
        encoding: encoding_quality(v, wanted.encodings.as_deref()),
        length: v.length.unwrap_or(0),
    }
}

/// The quality of the most specific matching media range.
fn media_quality(v: &Variant, ranges: Option<&[Range]>) -> f32 {
    let Some(ranges) = ranges else {
        return 1.0;
    };
    let major = v.media.split('/').next().unwrap_or("");
    let mut best: Option<(u8, f32)> = None;
    for r in ranges {
        let specificity = if !v.media.is_empty() && r.name == v.media {
            3
        } else if r.name.strip_suffix("/*") == Some(major) && !major.is_empty() {
            2
        } else if r.name == "*/*" || r.name == "*" {
            1
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, r.q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// The quality of the variant's best language and that range's place in the list. Without
/// Accept-Language every language is acceptable and LanguagePriority ranks them.
fn language_quality(v: &Variant, ranges: Option<&[Range]>, priority: &[String]) -> (f32, usize) {
    let Some(ranges) = ranges else {
        return (1.0, priority_index(v, priority));
    };
    let star = ranges.iter().position(|r| r.name == "*");
    if v.languages.is_empty() {
        // Apache's fiddle: a variant in no language is a poor match, not an unacceptable one.
        return star.map_or((0.001, usize::MAX), |i| (ranges[i].q, i));
    }
    let mut best: Option<(f32, usize)> = None;
    let mut consider = |q: f32, i: usize| {
        if best.is_none_or(|(bq, bi)| q > bq || (q == bq && i < bi)) {
            best = Some((q, i));
        }
    };
    for tag in &v.languages {
        let mut matched = false;
        for (i, r) in ranges.iter().enumerate() {
            let prefix_of = tag
                .strip_prefix(r.name.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'));
            if prefix_of {
                consider(r.q, i);
                matched = true;
            }
        }
        if !matched {
            // Apache's fiddle: `en-US` still takes an `en` or `en-GB` variant, far behind.
            for (i, r) in ranges.iter().enumerate() {
                if let Some((base, _)) = r.name.split_once('-') {
                    if tag.split('-').next() == Some(base) && r.q > 0.0 {
                        consider(0.001, i);
                        matched = true;
                    }
                }
            }
        }
        if !matched {
            if let Some(i) = star {
                consider(ranges[i].q, i);
            }
        }
    }
    best.unwrap_or((0.0, usize::MAX))
}

/// The variant's first place in LanguagePriority (`usize::MAX` when not listed).
fn priority_index(v: &Variant, priority: &[String]) -> usize {
    v.languages
        .iter()
        .filter_map(|tag| priority.iter().position(|p| p.eq_ignore_ascii_case(tag)))
        .min()
        .unwrap_or(usize::MAX)
}

/// ISO-8859-1 (and no charset) is acceptable unless the client refuses it by name.
fn charset_quality(v: &Variant, ranges: Option<&[Range]>) -> f32 {
    let Some(ranges) = ranges else {
        return 1.0;
    };
    let charset = v.charset.as_deref().unwrap_or("iso-8859-1");
    if let Some(r) = ranges.iter().find(|r| r.name == charset) {
        return r.q;
    }
    if charset == "iso-8859-1" {
        return 1.0;
    }
    ranges.iter().find(|r| r.name == "*").map_or(0.0, |r| r.q)
}

/// No encoding is always acceptable; an encoding must be named (`x-gzip` is `gzip`) or `*`.
fn encoding_quality(v: &Variant, ranges: Option<&[Range]>) -> f32 {
    let (Some(encoding), Some(ranges)) = (v.encoding.as_deref(), ranges) else {
        return 1.0;
    };
    let plain = encoding.strip_prefix("x-").unwrap_or(encoding);
    let named = ranges
        .iter()
        .find(|r| r.name.strip_prefix("x-").unwrap_or(&r.name) == plain);
    named
        .or_else(|| ranges.iter().find(|r| r.name == "*"))
        .map_or(0.0, |r| r.q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mapache_plugin_api::sdk::{ModuleConfig, Scope};

    fn variant(uri: &str, ty: &str, lang: &str) -> Variant {
        let mut v = Variant::named(uri);
        v.set_content_type(ty);
        v.languages = lang
            .split(',')
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        v
    }

    fn config(lines: &[&[&str]]) -> NegotiationConfig {
        let mut c = NegotiationConfig::default();
        for l in lines {
            c.set(Scope::Server, l[0], &l[1..]).unwrap();
        }
        c
    }

    fn pick<'v>(
        vs: &'v [Variant],
        accept: Option<&str>,
        lang: Option<&str>,
        c: &NegotiationConfig,
    ) -> Option<&'v str> {
        match choose(vs, &Wanted::from_fields(accept, lang, None, None), c) {
            Choice::Variant(i) => Some(vs[i].uri.as_str()),
            Choice::NotAcceptable => None,
        }
    }

    #[test]
    fn accept_times_qs_and_the_most_specific_range() {
        let vs = [
            variant("a.html", "text/html; qs=0.8", ""),
            variant("a.txt", "text/plain; qs=0.5", ""),
        ];
        let c = config(&[]);
        assert_eq!(pick(&vs, None, None, &c), Some("a.html"));
        assert_eq!(pick(&vs, Some("text/plain"), None, &c), Some("a.txt"));
        assert_eq!(pick(&vs, Some("text/*"), None, &c), Some("a.html"));
        assert_eq!(
            pick(&vs, Some("text/html;q=0.5, text/plain"), None, &c),
            Some("a.txt")
        );
        assert_eq!(
            pick(&vs, Some("text/*, text/html;q=0"), None, &c),
            Some("a.txt")
        );
        assert_eq!(pick(&vs, Some("image/png"), None, &c), None);
        // Without q, the wildcard counts 0.01: the named type wins despite its lower qs.
        assert_eq!(pick(&vs, Some("text/plain, */*"), None, &c), Some("a.txt"));
    }

    #[test]
    fn languages_by_accept_language_then_language_priority() {
        let vs = [
            variant("d.en.html", "text/html", "en"),
            variant("d.de.html", "text/html", "de"),
        ];
        let c = config(&[&["LanguagePriority", "de", "en"]]);
        assert_eq!(pick(&vs, None, None, &c), Some("d.de.html"));
        assert_eq!(pick(&vs, None, Some("en"), &c), Some("d.en.html"));
        assert_eq!(
            pick(&vs, None, Some("de;q=0.5, en;q=0.9"), &c),
            Some("d.en.html")
        );
        assert_eq!(pick(&vs, None, Some("en, de"), &c), Some("d.en.html"));
        assert_eq!(pick(&vs, None, Some("en-gb"), &c), Some("d.en.html"));
        assert_eq!(pick(&vs, None, Some("fr, *;q=0.1"), &c), Some("d.de.html"));
        assert_eq!(pick(&vs, None, Some("fr"), &c), None);
        let c = config(&[
            &["LanguagePriority", "de", "en"],
            &["ForceLanguagePriority", "Fallback"],
        ]);
        assert_eq!(pick(&vs, None, Some("fr"), &c), Some("d.de.html"));
        // Fallback is about languages only: a wrong type stays a 406.
        assert_eq!(pick(&vs, Some("image/png"), Some("fr"), &c), None);
    }

    #[test]
    fn prefer_breaks_a_tie_with_language_priority() {
        let vs = [
            variant("x.en-us", "text/html", "en-us"),
            variant("x.en-gb", "text/html", "en-gb"),
        ];
        let c = config(&[&["LanguagePriority", "en-gb", "en-us"]]);
        assert_eq!(pick(&vs, None, Some("en"), &c), Some("x.en-gb"));
        let c = config(&[
            &["LanguagePriority", "en-gb", "en-us"],
            &["ForceLanguagePriority", "None"],
        ]);
        assert_eq!(pick(&vs, None, Some("en"), &c), Some("x.en-us"));
    }

    #[test]
    fn charset_encoding_and_length() {
        let mut utf = variant("u", "text/html; charset=utf-8", "");
        utf.length = Some(10);
        let mut latin = variant("l", "text/html", "");
        latin.length = Some(20);
        let vs = [latin.clone(), utf.clone()];
        let w = |cs: Option<&str>, enc: Option<&str>| Wanted::from_fields(None, None, cs, enc);
        let c = config(&[]);
        assert_eq!(choose(&vs, &w(None, None), &c), Choice::Variant(1));
        assert_eq!(
            choose(&vs, &w(Some("iso-8859-1"), None), &c),
            Choice::Variant(0)
        );
        let mut gz = utf.clone();
        gz.encoding = Some("x-gzip".into());
        gz.length = Some(1);
        let vs = [gz, utf];
        assert_eq!(choose(&vs, &w(None, None), &c), Choice::Variant(1));
        assert_eq!(
            choose(&vs[..1], &w(None, Some("gzip")), &c),
            Choice::Variant(0)
        );
        assert_eq!(
            choose(&vs[..1], &w(None, Some("br")), &c),
            Choice::NotAcceptable
        );
    }
}
