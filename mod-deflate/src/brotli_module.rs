//! The `brotli_module` descriptor: the `BROTLI_COMPRESS` output filter with mod_brotli's
//! directives.

use crate::brotli_config::BrotliConfig;
use crate::brotli_encoder::BrotliEncoder;
use crate::head::{self, Coding, Decision};
use crate::stream::{self, Compression};
use mapache_plugin_api::sdk::filter::class;
use mapache_plugin_api::{mapache_module, sdk::*};
use std::io;

/// The module's value (everything is in the typed configuration).
pub struct Brotli;

impl HandlerModule for Brotli {
    fn init(_config: &Config<'_>) -> Result<Self, String> {
        Ok(Brotli)
    }
}

/// br as mod_brotli applies it.
const BR: Coding = Coding {
    token: "br",
    off_env: "no-brotli",
    honours_text_html_only: false,
    min_length: 0,
};

/// Bytes passed on per piece (mod_brotli has no buffer directive).
const BUFFER_SIZE: usize = 8192;

/// The output filter.
pub struct BrotliOut;

impl OutputFilter for BrotliOut {
    type State = Option<Compression<BrotliEncoder>>;
    // Apache's AP_FTYPE_CONTENT_SET, as DEFLATE.
    const CLASS: i32 = class::CONTENT_SET;

    fn headers(&self, req: &mut Request<'_>, state: &mut Self::State) -> FilterVerdict {
        let default = BrotliConfig::default();
        let config = req.module_config::<BrotliConfig>().unwrap_or(&default);
        match head::decide(req, &BR, config.alter_etag()) {
            Decision::Leave => FilterVerdict::Leave,
            Decision::Compress => {
                let encoder =
                    BrotliEncoder::new(config.quality(), config.lgwin(), config.lgblock());
                *state = Some(Compression::new(encoder, BUFFER_SIZE));
                FilterVerdict::Stay
            }
        }
    }

    fn body(
        &self,
        req: &mut Request<'_>,
        state: &mut Self::State,
        bucket: Bucket<'_>,
        next: &mut Next<'_>,
    ) -> io::Result<()> {
        stream::filter_body(req, state, bucket, next, |req, bytes_in, bytes_out| {
            if let Some(config) = req.module_config::<BrotliConfig>() {
                config.notes.write(req, bytes_in, bytes_out);
            }
        })
    }
}

mapache_module! {
    symbol: brotli_module,
    name: "brotli",
    handler: Brotli,
    directives: [
        ("BrotliCompressionQuality", TAKE1, SERVER, "Compression quality between 0 and 11 (higher quality means slower compression)"),
        ("BrotliCompressionWindow", TAKE1, SERVER, "Sliding window size between 10 and 24 (larger windows may improve compression ratio)"),
        ("BrotliCompressionMaxInputBlock", TAKE1, SERVER, "Maximum input block size between 16 and 24 (larger block sizes may improve compression ratio)"),
        ("BrotliAlterETag", TAKE1, SERVER, "Set how mod_brotli should modify ETag response headers: 'AddSuffix' (default), 'NoChange', 'Remove'"),
        ("BrotliFilterNote", TAKE12, SERVER, "Set a note to report on compression ratio"),
    ],
    config: BrotliConfig,
    hooks: [],
    filters: [output("BROTLI_COMPRESS", BrotliOut)],
}
