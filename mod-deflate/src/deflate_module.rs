//! The `deflate_module` descriptor: the `DEFLATE` output filter (gzip) and the `DEFLATE` input
//! filter (gzip request bodies), with mod_deflate's directives.

use crate::deflate_config::DeflateConfig;
use crate::gzip::GzipEncoder;
use crate::head::{self, Coding, Decision};
use crate::inflate::Inflation;
use crate::stream::{self, Compression};
use mapache_plugin_api::sdk::filter::class;
use mapache_plugin_api::{mapache_module, sdk::*};
use std::io;

/// The module's value (everything is in the typed configuration).
pub struct Deflate;

impl HandlerModule for Deflate {
    fn init(_config: &Config<'_>) -> Result<Self, String> {
        Ok(Deflate)
    }
}

/// gzip as mod_deflate applies it.
const GZIP: Coding = Coding {
    token: "gzip",
    off_env: "no-gzip",
    honours_text_html_only: true,
    // Apache 2.4 sends bodies of 68 bytes or less as they are (what gzip adds would not pay).
    min_length: 68,
};

/// The gzip header and trailer (10 + 8 bytes), which Apache's Output note does not count (it
/// writes them itself around zlib's raw deflate stream).
const GZIP_FRAMING: u64 = 18;

/// The output filter.
pub struct DeflateOut;

impl OutputFilter for DeflateOut {
    type State = Option<Compression<GzipEncoder>>;
    // Apache's AP_FTYPE_CONTENT_SET: after the resource filters, before the protocol's.
    const CLASS: i32 = class::CONTENT_SET;

    fn headers(&self, req: &mut Request<'_>, state: &mut Self::State) -> FilterVerdict {
        let default = DeflateConfig::default();
        let config = req.module_config::<DeflateConfig>().unwrap_or(&default);
        match head::decide(req, &GZIP, config.alter_etag()) {
            Decision::Leave => FilterVerdict::Leave,
            Decision::Compress => {
                let encoder = GzipEncoder::new(config.level(), config.window_bits());
                *state = Some(Compression::new(encoder, config.buffer_size()));
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
            if let Some(config) = req.module_config::<DeflateConfig>() {
                config
                    .notes
                    .write(req, bytes_in, bytes_out.saturating_sub(GZIP_FRAMING));
            }
        })
    }
}

/// The input filter.
pub struct DeflateIn;

impl InputFilter for DeflateIn {
    type State = Inflation;

    fn read(
        &self,
        req: &mut Request<'_>,
        state: &mut Inflation,
        buf: &mut [u8],
        source: &mut Source<'_>,
    ) -> io::Result<usize> {
        state.read(req, buf, source)
    }
}

mapache_module! {
    symbol: deflate_module,
    name: "deflate",
    handler: Deflate,
    directives: [
        ("DeflateCompressionLevel", TAKE1, SERVER, "Set the Deflate Compression Level (1-9)"),
        ("DeflateBufferSize", TAKE1, SERVER, "Set the Deflate Buffer Size"),
        ("DeflateWindowSize", TAKE1, SERVER, "Set the Deflate window size (1-15)"),
        ("DeflateMemLevel", TAKE1, SERVER, "Set the Deflate Memory Level (1-9)"),
        ("DeflateFilterNote", TAKE12, SERVER, "Set a note to report on compression ratio"),
        ("DeflateAlterETag", TAKE1, SERVER, "Set how mod_deflate should modify ETAG response headers: 'AddSuffix' (default), 'NoChange' (2.2.x behavior), 'Remove'"),
        ("DeflateInflateLimitRequestBody", TAKE1, ANY, "Set a limit on size of inflated input"),
        ("DeflateInflateRatioLimit", TAKE1, ANY, "Set the inflate ratio limit above which inflation is aborted (default: 200)"),
        ("DeflateInflateRatioBurst", TAKE1, ANY, "Set the maximum number of following inflate ratios above limit (default: 3)"),
    ],
    config: DeflateConfig,
    hooks: [],
    filters: [output("DEFLATE", DeflateOut), input("DEFLATE", DeflateIn)],
}
