//! Logging: the error log (this issue); the access log comes with issue 3.

pub mod error_log;
