//! Connection functions for MPMs: a `MapacheConn` handle is a boxed [`Connection`].

use super::arg_bytes;
use crate::logs::error_log;
use crate::scoreboard::{self, worker};
use crate::serve::conn::Driver;
use crate::serve::conn::{Connection, State};
use crate::server;
use mapache_plugin_api::abi::{MapacheConn, MapacheStr, MAPACHE_ERROR, MAPACHE_OK};

fn conn<'a>(c: *const MapacheConn) -> &'a Connection {
    // SAFETY: handles come from conn_open and are used by one thread at a time until conn_close.
    unsafe { &*(c as *const Connection) }
}

fn conn_mut<'a>(c: *mut MapacheConn) -> &'a mut Connection {
    // SAFETY: as above.
    unsafe { &mut *(c as *mut Connection) }
}

pub(super) extern "C" fn child_init(slot: u32) -> i32 {
    let srv = server::get();
    // Known before the modules' child_init runs: a gauge they add to is this slot's.
    scoreboard::set_slot(slot);
    // User and Group first, as Apache's drop_privileges hook: no handler code runs as root.
    if let Some(run_as) = &srv.settings.run_as {
        if let Err(e) = crate::control::privileges::drop_to(run_as) {
            error_log::log(
                "core",
                error_log::EMERG,
                None,
                &format!("child slot {slot}: {e}; this child cannot serve"),
            );
            return MAPACHE_ERROR;
        }
    }
    for m in &srv.handlers {
        if let Some(init) = m.desc.child_init {
            if init() != MAPACHE_OK {
                error_log::log(
                    "core",
                    error_log::EMERG,
                    None,
                    &format!("child_init of module {} failed in child slot {slot}; this child cannot serve", m.symbol),
                );
                return MAPACHE_ERROR;
            }
        }
    }
    // The slot is this process's from now on; the calling thread writes its worker record 0.
    scoreboard::child_init(slot);
    MAPACHE_OK
}

pub(super) extern "C" fn child_exit() {
    // The error log writes each line as it happens; BufferedLogs' access lines wait here.
    crate::logs::access_log::flush();
}

pub(super) extern "C" fn serve_connection(fd: i32) -> u64 {
    let served =
        Connection::for_blocking(fd, server::get()).serve_blocking(&crate::pipeline::drive::DRIVER);
    worker::idle();
    served
}

/// The calling thread gives the connection back to the MPM unless it goes on with it at once
/// (`Ready`: `conn_process` follows): its worker record turns idle.
fn handing_back(state: State) -> i32 {
    if state != State::Ready {
        worker::idle();
    }
    state.to_raw()
}

pub(super) extern "C" fn conn_open(fd: i32) -> *mut MapacheConn {
    Box::into_raw(Box::new(Connection::new_queued(fd, server::get()))) as *mut MapacheConn
}

pub(super) extern "C" fn conn_fd(c: *const MapacheConn) -> i32 {
    conn(c).fd()
}

pub(super) extern "C" fn conn_feed(c: *mut MapacheConn, data: MapacheStr) -> i32 {
    // SAFETY: valid for the call; copied.
    let data = unsafe { arg_bytes(data) };
    handing_back(conn_mut(c).feed(data))
}

pub(super) extern "C" fn conn_process(c: *mut MapacheConn) -> i32 {
    handing_back(crate::pipeline::drive::DRIVER.process(conn_mut(c)))
}

pub(super) extern "C" fn conn_write(c: *mut MapacheConn) -> i32 {
    handing_back(conn_mut(c).write_queued())
}

pub(super) extern "C" fn conn_timeout_ms(c: *const MapacheConn) -> u64 {
    conn(c).timeout_ms()
}

pub(super) extern "C" fn conn_expire(c: *mut MapacheConn) -> i32 {
    handing_back(crate::pipeline::drive::DRIVER.expire(conn_mut(c)))
}

pub(super) extern "C" fn conn_close(c: *mut MapacheConn) {
    if c.is_null() {
        return;
    }
    // SAFETY: the handle came from Box::into_raw in conn_open and is not used again.
    let boxed = unsafe { Box::from_raw(c as *mut Connection) };
    // Closing may finish a lingering close (`C`) on this thread.
    boxed.close();
    worker::idle();
}
