//! Sans-io HTTP/1.1: bytes in, events out, no sockets.
//!
//! Each file has one job, in the order a request travels:
//!
//! - [`request`]: parse and validate a request head (limits, version, method,
//!   Host, body framing, keep-alive), resuming where it stopped as the head arrives.
//! - [`target`]: turn the request target into a decoded, dot-free path and a
//!   raw query.
//! - [`body`]: decode a request body (Content-Length or chunked), never reading
//!   past its end so pipelined requests stay in the buffer.
//! - [`response`]: write a response head and chunk framing.
//! - [`status`]: reason phrases and the short HTML error pages.
//! - [`date`]: the `Date` header, formatted at most once a second per thread.
//!
//! Nothing here reads a clock other than [`date`], and nothing does I/O: the
//! connection code owns the sockets and feeds these functions byte slices.

pub mod body;
pub mod date;
pub mod request;
pub mod response;
pub mod status;
pub mod target;

pub use body::{BodyDecoder, Decoded};
pub use request::{
    parse_request_head, BodyFraming, HeadParse, HeadParser, HttpError, Limits, RequestHead, Version,
};
pub use response::{
    status_has_no_body, write_chunk_header, write_response_head, KeepAlive, ResponseFraming,
    ResponseHead,
};
