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
//! process management the bundled MPMs share is a crate of its own on top of this one,
//! `mapache-mpm-kit`, and not part of the contract.

pub mod abi;
pub mod sdk;

#[doc(hidden)]
pub mod __private {
    //! Used by the expansion of [`mapache_module!`](crate::mapache_module); not a public API.
    pub use crate::sdk::entry::*;
    pub use crate::sdk::pipeline_entry::*;
}
