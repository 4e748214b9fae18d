//! prefork
