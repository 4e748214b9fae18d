//! Serving: a connection's life (socket I/O around the sans-io HTTP engine) and one request's
//! context (what modules see through the host table).
//!
//! A request reads top to bottom: `conn.rs` gets bytes and frames heads (timed by
//! `read_timeout.rs`), the pipeline (`crate::pipeline`) runs its phases, `request.rs` builds
//! and sends the response (through `io.rs`, or queued in `output.rs` for event MPMs) and logs it.
//! Every byte to and from the client passes the connection's `transport.rs` (a plain socket, or
//! TLS).

pub mod conn;
pub mod io;
pub mod output;
pub mod read_timeout;
mod remote_host;
pub mod request;
mod request_items;
pub mod transport;
