//! Apache's expression language (ap_expr) for modules (ABI 1.6): parse once while the
//! configuration is read (`Header … expr=…`, `SetEnvIfExpr`, `RewriteCond expr`), evaluate per
//! request. The core parses and evaluates; the module holds an owned handle.

use super::host::{host, host_provides, to_abi};
use super::request::{read_sized, Request};
use crate::abi::{self, MapacheExpr};

/// What an expression yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// A condition, as `<If>` takes (`%{REQUEST_URI} =~ m#^/api#`).
    Bool,
    /// A string with `%{VAR}`, `%{func:arg}` and `$N` in it (`Header set X "expr=%{HTTP_HOST}"`).
    String,
}

/// A parsed expression, freed when dropped.
#[derive(Debug)]
pub struct Expr {
    raw: *mut MapacheExpr,
    kind: ExprKind,
}

// SAFETY: the core's expressions are immutable once parsed and may be evaluated on any thread.
unsafe impl Send for Expr {}
// SAFETY: as above.
unsafe impl Sync for Expr {}

impl Expr {
    /// Parses `text`; the error is Apache's sentence (`Variable 'FOO' does not exist`). Works
    /// from the module's `attach` on, so in [`ModuleConfig::set`](super::ModuleConfig::set).
    pub fn parse(text: &str, kind: ExprKind) -> Result<Expr, String> {
        if !host_provides(core::mem::offset_of!(abi::MapacheHost, expr_parse)) {
            return Err("expressions need mapache 1.6 or later".to_owned());
        }
        let flags = match kind {
            ExprKind::Bool => abi::MAPACHE_EXPR_BOOL,
            ExprKind::String => abi::MAPACHE_EXPR_STRING,
        };
        let mut err = [0u8; 512];
        let raw = (host().expr_parse)(
            to_abi(text.as_bytes()),
            flags,
            err.as_mut_ptr().cast(),
            err.len(),
        );
        if raw.is_null() {
            return Err(c_line(&err));
        }
        Ok(Expr { raw, kind })
    }

    /// What it yields.
    pub fn kind(&self) -> ExprKind {
        self.kind
    }

    /// Evaluates a condition for `req`; an error (a string expression, a value that is no
    /// number for `-eq`, …) is the module's to log and counts as false in Apache.
    pub fn eval(&self, req: &Request<'_>) -> Result<bool, String> {
        let mut err = [0u8; 512];
        match (host().expr_eval)(self.raw, req.raw(), err.as_mut_ptr().cast(), err.len()) {
            1 => Ok(true),
            0 => Ok(false),
            _ => Err(c_line(&err)),
        }
    }

    /// Evaluates a string expression for `req`.
    pub fn eval_string(&self, req: &Request<'_>) -> Result<String, String> {
        let f = host().expr_eval_string;
        read_sized(|buf, cap| f(self.raw, req.raw(), buf, cap))
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .ok_or_else(|| "the expression is no string expression".to_owned())
    }
}

impl Drop for Expr {
    fn drop(&mut self) {
        (host().expr_free)(self.raw);
    }
}

/// The NUL-terminated line the core wrote.
fn c_line(buf: &[u8]) -> String {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}
