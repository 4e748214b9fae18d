//! mapache-core: the server behind the `mapache` binary. It reads the configuration (loading
//! modules as LoadModule lines are read), initialises the modules, binds the listeners and hands
//! them to the MPM, whose children serve connections through the core's HTTP engine and the
//! handler modules. `main.rs` only calls [`startup::run`].

pub mod access;
pub mod cli;
pub mod config;
pub mod control;
pub mod expr;
pub mod host;
pub mod htaccess;
pub mod http;
pub mod listen;
pub mod loader;
pub mod logs;
pub mod metrics;
pub mod pipeline;
pub mod regex;
pub mod scoreboard;
pub mod serve;
pub mod server;
pub mod shared_memory;
pub mod startup;
pub mod storage;
pub mod vhost;
