//! Reading Apache-httpd-style configuration files.
//!
//! The [`Reader`] turns configuration text into a stream of events delivered to a [`Sink`], in file
//! order. It handles the parts of the language that decide *which* lines exist: comments, line
//! continuation, quoting, `Define`/`UnDefine` and `${VAR}`, `Include`/`IncludeOptional`,
//! the conditions (`<IfModule>`, `<IfDefine>`, `<IfVersion>`, `<IfFile>`, `<IfDirective>`,
//! `<IfSection>`) and `ServerRoot`. Every other directive and section is the sink's
//! business.
//!
//! It is a streaming reader, not a tree builder, on purpose: the sink loads a module as soon as it
//! sees `LoadModule`, and a later `<IfModule>` must see that module.
//!
//! The rest of the folder is what the server does with those events: `dispatch` is the sink
//! (LoadModule, directive tables, arity and context checks), `core_directives` the core's own
//! table, `store` what modules query, `settings` the core's typed values.

pub mod if_version;
mod include;
pub(crate) mod lexer;
pub mod reader;

pub mod core_directives;
pub mod dispatch;
mod matching;
pub mod mutex;
pub mod settings;
pub mod store;
#[cfg(test)]
mod temp_tree;
mod variables;

use std::fmt;
use std::sync::Arc;

pub use reader::{Reader, MAX_INCLUDE_DEPTH};

/// One directive or section line as read.
///
/// `name` is as written (case kept, without the `<` of a section); `args` have their quotes removed
/// and `${VAR}` expanded.
#[derive(Debug, Clone)]
pub struct Directive {
    /// The directive or section name as written, e.g. `Listen` or `Location`.
    pub name: String,
    /// The arguments, unquoted and expanded.
    pub args: Vec<String>,
    /// The file the line was read from (the origin name for [`Reader::read_str`]).
    pub file: Arc<str>,
    /// The line number, 1-based; a continued line carries the number of its first line.
    pub line: u32,
}

/// Receives what the reader does not handle itself.
///
/// An `Err(message)` from any method stops reading; the reader wraps the message into a
/// [`ConfigError`] at the directive's file and line.
pub trait Sink {
    /// A plain directive, e.g. `Listen 80`. Also `ServerRoot`, after the reader has taken note of it.
    fn directive(&mut self, d: &Directive) -> Result<(), String>;
    /// The opening line of a section, e.g. name `Location`, args `["/status"]`.
    fn section_start(&mut self, d: &Directive) -> Result<(), String>;
    /// The matching close of the innermost open section: `d.name` as written in the closing tag,
    /// `d.args` empty.
    fn section_end(&mut self, d: &Directive) -> Result<(), String>;
    /// For `<IfModule>`: the argument as written without its `!`, e.g. `status_module` or
    /// `mod_status.c`.
    fn is_module_loaded(&self, name: &str) -> bool;
    /// For `<IfDirective>`: whether a directive of that name (case-insensitive) is known now,
    /// to the core or a module loaded so far.
    fn is_directive_known(&self, _name: &str) -> bool {
        false
    }
    /// For `<IfSection>`: whether a section of that name (without `<`, case-insensitive) is
    /// known now.
    fn is_section_known(&self, _name: &str) -> bool {
        false
    }
    /// A warning that does not stop reading, e.g. an undefined `${X}`.
    fn warn(&mut self, message: &str);
}

/// A configuration error, located at a file and line where there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The file (or `-C` origin) the error is in.
    pub file: String,
    /// The 1-based line, or 0 when the error is not tied to a line (e.g. the main file is missing).
    pub line: u32,
    /// What went wrong, in Apache's words where Apache has them.
    pub message: String,
}

impl ConfigError {
    /// An error at `line` of `file`.
    pub fn at(file: &str, line: u32, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    /// One line, no newline: `Syntax error on line 5 of /etc/x.conf: message`, or just the message
    /// when there is no line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(
                f,
                "Syntax error on line {} of {}: {}",
                self.line, self.file, self.message
            )
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_display_with_line() {
        let e = ConfigError::at("/etc/x.conf", 5, "Invalid command 'Foo'");
        assert_eq!(
            e.to_string(),
            "Syntax error on line 5 of /etc/x.conf: Invalid command 'Foo'"
        );
    }

    #[test]
    fn error_display_without_line_is_the_message() {
        let e = ConfigError::at(
            "/x/httpd.conf",
            0,
            "Could not open configuration file /x/httpd.conf: No such file or directory",
        );
        assert_eq!(
            e.to_string(),
            "Could not open configuration file /x/httpd.conf: No such file or directory"
        );
    }
}
