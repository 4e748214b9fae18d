//! Apache's expression language (ap_expr), as `<If>`, `<ElseIf>` and later modules use it:
//! parsed once when the configuration is read ([`Expr::parse`], errors in Apache's words),
//! evaluated per request against a [`Vars`] source ([`Expr::eval`]), so a host function can
//! offer the same to modules: parse at config time, evaluate with the request.
//!
//! - `lex.rs`: text to tokens (strings with `%{VAR}` and `$N` inside, regexes, operators).
//! - `parse.rs`: tokens to the tree, with the names of variables and functions checked.
//! - `eval.rs`: the tree against a request.

mod eval;
mod lex;
mod parse;

pub use eval::Vars;

/// A parsed expression.
#[derive(Debug)]
pub struct Expr {
    root: parse::Cond,
}

impl Expr {
    /// Parses `text`; the error is Apache's sentence after "Cannot parse condition clause: "
    /// (e.g. `Variable 'FOO' does not exist`).
    pub fn parse(text: &str) -> Result<Expr, String> {
        let tokens = lex::tokens(text)?;
        let root = parse::Parser::new(tokens).parse()?;
        Ok(Expr { root })
    }

    /// Evaluates the expression for the request `vars` describes; an error (a value that is
    /// no number for `-eq`, …) is for the caller to log, and counts as false.
    pub fn eval(&self, vars: &dyn Vars) -> Result<bool, String> {
        eval::Evaluation::new(vars).cond(&self.root)
    }
}

#[cfg(test)]
mod tests;
