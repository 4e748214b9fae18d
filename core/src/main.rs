//! The `mapache` binary.

fn main() {
    std::process::exit(mapache_core::startup::run());
}
