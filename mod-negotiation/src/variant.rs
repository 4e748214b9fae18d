//! One variant of a negotiated resource: what a type-map record or a MultiViews file says
//! about it.

/// A variant as the choice sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Variant {
    /// Its URI, relative to the directory of the map or of the requested name.
    pub uri: String,
    /// The media type, lower case, without parameters (empty when unknown).
    pub media: String,
    /// The Content-Type as written, without `qs`, for a variant served from the map's `Body:`.
    pub content_type: Option<String>,
    /// The source quality (`qs`), 1 unless given.
    pub qs: f32,
    /// The `charset` parameter, lower case.
    pub charset: Option<String>,
    /// Content-Language tags, lower case.
    pub languages: Vec<String>,
    /// Content-Encoding, lower case.
    pub encoding: Option<String>,
    /// Content-Length, when known.
    pub length: Option<u64>,
    /// Description (for the 406 list).
    pub description: Option<String>,
    /// The content itself, from a type map's `Body:`.
    pub body: Option<Vec<u8>>,
}

impl Variant {
    /// A variant named `uri` of unknown type, `qs` 1.
    pub fn named(uri: &str) -> Variant {
        Variant {
            uri: uri.to_owned(),
            qs: 1.0,
            ..Variant::default()
        }
    }

    /// Sets media type, `qs` and `charset` from a Content-Type value (`text/html; qs=0.5`).
    pub fn set_content_type(&mut self, value: &str) {
        let mut parts = value.split(';');
        self.media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut kept = self.media.clone();
        for param in parts {
            let Some((name, v)) = param.split_once('=') else {
                continue;
            };
            let name = name.trim().to_ascii_lowercase();
            let v = v.trim().trim_matches('"');
            match name.as_str() {
                "qs" => self.qs = v.parse::<f32>().map_or(1.0, |q| q.clamp(0.0, 1.0)),
                "charset" => {
                    self.charset = Some(v.to_ascii_lowercase());
                    kept.push_str(&format!("; charset={v}"));
                }
                _ => kept.push_str(&format!("; {name}={v}")),
            }
        }
        self.content_type = Some(kept);
    }
}
