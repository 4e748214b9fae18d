//! # mapache-plugin-api
//!
//! The contract between the mapache core and its modules: a stable C ABI ([`abi`]) and a safe Rust
//! layer over it ([`sdk`] and the [`mapache_module!`] macro).
//!
//! A module is a `cdylib` that exports one [`abi::MapacheModule`] descriptor under the symbol named in
//! `LoadModule`. The core hands it a [`abi::MapacheHost`] function table in `init`; the module links
//! no symbol of the core. C authors use `include/mapache_module.h`, generated from [`abi`].
//!
//! This crate depends on nothing, and the core, the MPMs and the handler modules depend on it. The
//! optional feature `mpm-kit` adds [`mpm_kit`], the process management the bundled MPMs share; it
//! brings in `nix` and `libc`.

pub mod abi;
#[cfg(feature = "mpm-kit")]
pub mod mpm_kit;
pub mod sdk;

#[doc(hidden)]
pub mod __private {
    //! Used by the expansion of [`mapache_module!`](crate::mapache_module); not a public API.
    pub use crate::sdk::entry::*;
}
