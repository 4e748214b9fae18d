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

/// A parsed expression: a condition (`<If>`, `expr=` conditions) or a string (the value of
/// `Header … "expr=…"`, Apache's string mode: text with `%{VAR}`, `%{func:arg}` and `$N`).
#[derive(Debug)]
pub struct Expr {
    root: Root,
}

#[derive(Debug)]
enum Root {
    Cond(parse::Cond),
    Str(parse::Word),
}

impl Expr {
    /// Parses `text`; the error is Apache's sentence after "Cannot parse condition clause: "
    /// (e.g. `Variable 'FOO' does not exist`).
    pub fn parse(text: &str) -> Result<Expr, String> {
        let tokens = lex::tokens(text)?;
        let root = parse::Parser::new(tokens).parse()?;
        Ok(Expr {
            root: Root::Cond(root),
        })
    }

    /// Parses `text` as a string expression (no quotes: all of it is the string).
    pub fn parse_string(text: &str) -> Result<Expr, String> {
        let word = parse::string_word(lex::bare_string(text)?)?;
        Ok(Expr {
            root: Root::Str(word),
        })
    }

    /// Evaluates the condition for the request `vars` describes; an error (a value that is
    /// no number for `-eq`, a string expression, …) is for the caller to log, and counts as
    /// false.
    pub fn eval(&self, vars: &dyn Vars) -> Result<bool, String> {
        match &self.root {
            Root::Cond(c) => eval::Evaluation::new(vars).cond(c),
            Root::Str(_) => Err("a string expression is no condition".to_owned()),
        }
    }

    /// The value of a string expression for the request `vars` describes.
    pub fn eval_string(&self, vars: &dyn Vars) -> Result<String, String> {
        match &self.root {
            Root::Str(w) => eval::Evaluation::new(vars).string(w),
            Root::Cond(_) => Err("a condition is no string expression".to_owned()),
        }
    }
}

/// The variable `name` (upper case, as `%{NAME}` writes it) for the request `vars`
/// describes, the `TIME…` ones included; None when it is unset.
pub fn variable(vars: &dyn Vars, name: &str) -> Option<String> {
    eval::variable(vars, name)
}

#[cfg(test)]
mod tests;
