//! The driver a connection is handed: it takes each framed request from the connection and
//! runs the pipeline on it, and answers what could not be framed the same way, so every
//! response leaves through the same filters and every request ends with the same epilogue
//! (scoreboard, log phase, access log).

use super::{conclude, error_document, insert_filters, serve};
use crate::logs::error_log;
use crate::serve::conn::{Connection, Driver, Expiry, Next, State};
use crate::serve::request::RequestCtx;

/// The request pipeline as a connection's driver.
pub struct Pipeline;

/// The one driver.
pub static DRIVER: Pipeline = Pipeline;

impl Driver for Pipeline {
    fn process(&self, conn: &mut Connection) -> State {
        loop {
            match conn.take_next() {
                Next::Wait(state) => return state,
                Next::Malformed(e) => {
                    error_log::log_for(
                        conn.base.entry,
                        "core",
                        error_log::INFO,
                        Some(&conn.peer),
                        &e.reason,
                    );
                    answer_unframed(conn, e.status);
                    return conn.malformed_done();
                }
                Next::Request(head) => {
                    serve(conn, head);
                    match conn.request_done() {
                        State::Ready => continue,
                        other => return other,
                    }
                }
            }
        }
    }

    fn expire(&self, conn: &mut Connection) -> State {
        match conn.expire() {
            Expiry::Close => State::Close,
            Expiry::HeadTimeout => {
                answer_unframed(conn, 408);
                conn.timeout_answered()
            }
        }
    }
}

/// Answers bytes that are not a request with the core's page for `status`: through the
/// server level's filters (those configuration sets and insert_filter hooks add), then the
/// log phase and the access log, as any request.
fn answer_unframed(conn: &mut Connection, status: u16) {
    let line = conn.raw_line().to_vec();
    let mut req = RequestCtx::unframed(conn, line);
    // An insert_filter hook's own answer does not replace the one the bytes call for.
    let _ = insert_filters(&mut req);
    let outcome = error_document::apply(&mut req, Some(status));
    conclude(&mut req, outcome);
}
