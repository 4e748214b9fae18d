//! Serving: a connection's life (socket I/O around the sans-io HTTP engine), one request's
//! context (what handlers see through the host table), and handler dispatch.
//!
//! A request reads top to bottom: `conn.rs` gets bytes and frames heads (timed by
//! `read_timeout.rs`), `dispatch.rs` picks the configuration and the handler, `request.rs` builds
//! and sends the response (through `io.rs`, or queued in `output.rs` for event MPMs) and logs it.

pub mod conn;
pub mod dispatch;
pub mod io;
pub mod output;
pub mod read_timeout;
pub mod request;
