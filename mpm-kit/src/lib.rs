//! # mapache-mpm-kit
//!
//! What the bundled MPMs share, so a master loop, signal handling and maintenance are written
//! once. It is built on [`mapache_plugin_api`] and is not part of the module contract: the core
//! knows nothing of it, and a third-party MPM may use it or talk to the ABI directly.
//!
//! - [`master`]: the master process: forking, reaping, spare-worker maintenance, health checks,
//!   and the control signals (stop, restart, graceful restart, graceful stop).
//! - [`child`]: the prologue every forked child runs, and the pipe of death.
//! - [`signals`]: async-signal-safe handlers and the flags they set, per process role.
//! - [`maintenance`]: the spare-worker policy and the crash backoff, as pure arithmetic.
//! - [`lifecycle`]: the directives every bundled MPM shares ([`LIFECYCLE_DIRECTIVES`]).
//! - [`limits`]: Apache's corrections of contradictory limits, shared by the MPMs' settings.
//! - [`exit`]: how a child ended, in Apache's words, and the start-up verdict.
//!
//! What differs between MPMs is how a child accepts and serves; the master takes it as a
//! function.

pub mod child;
pub mod exit;
pub mod lifecycle;
pub mod limits;
pub mod maintenance;
pub mod master;
pub mod signals;

pub use lifecycle::{Lifecycle, LIFECYCLE_DIRECTIVES};
pub use master::{ChildStart, Plan};
