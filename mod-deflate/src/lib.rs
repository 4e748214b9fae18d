//! # mod-deflate
//!
//! Apache's mod_deflate and mod_brotli in one module file, `libmod_deflate.so`, which exports
//! both descriptors: `LoadModule deflate_module …/libmod_deflate.so` gives the `DEFLATE`
//! filters and the `Deflate*` directives, `LoadModule brotli_module …/libmod_deflate.so` the
//! `BROTLI_COMPRESS` filter and the `Brotli*` directives; either may be loaded alone, and
//! `<IfModule mod_deflate.c>` / `<IfModule brotli_module>` see each as Apache's. The filters
//! join a response the core's way (AddOutputFilterByType, SetOutputFilter, AddOutputFilter,
//! SetInputFilter); this crate adds no mechanism of its own for that.
//!
//! What it is: Apache's header-stage checks ([`head`]) with Accept-Encoding read by the SDK's
//! `accepts_coding` (q-values), bucket-by-bucket compression in constant memory ([`stream`])
//! with gzip ([`gzip`], zlib-rs) or brotli ([`brotli_encoder`]), and gzip request bodies
//! inflated with Apache's bounds ([`inflate`]). What it is not: a cache of compressed files (mod-static's
//! `StaticPrecompressed` serves `.gz`/`.br` files made beforehand).

pub mod brotli_config;
pub mod brotli_encoder;
pub mod brotli_module;
pub mod deflate_config;
pub mod deflate_module;
pub mod gzip;
pub mod head;
pub mod inflate;
pub mod notes;
pub mod stream;
