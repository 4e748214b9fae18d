//! The checked-in C header matches the Rust definitions and compiles on its own under -Werror.

use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generate() -> String {
    let dir = crate_dir();
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/abi.rs"))
        .generate()
        .expect("cbindgen could not read src/abi.rs")
        .write(&mut out);
    String::from_utf8(out).expect("header is UTF-8")
}

#[test]
fn header_is_current() {
    let path = crate_dir().join("include/mapache_module.h");
    let fresh = generate();
    if std::env::var_os("MAPACHE_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write header");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == fresh,
        "{} is stale: run MAPACHE_BLESS=1 cargo test -p mapache-plugin-api --test header",
        path.display()
    );
}

fn compile(header: &Path, std: &str, lang: &str) {
    let out = std::env::temp_dir().join(format!("mapache-header-{}-{std}.o", std::process::id()));
    let src = format!("#include \"{}\"\nint mapache_header_check(void);\nint mapache_header_check(void) {{ return MAPACHE_ABI_MAJOR + (int)sizeof(MapacheHost) + (int)sizeof(MapacheModule); }}\n", header.display());
    let src_path = out.with_extension(if lang == "c" { "c" } else { "cc" });
    std::fs::write(&src_path, src).unwrap();
    let cc = if lang == "c" { "cc" } else { "c++" };
    let status = Command::new(cc)
        .args([
            &format!("-std={std}"),
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-c",
        ])
        .arg(&src_path)
        .arg("-o")
        .arg(&out)
        .status()
        .expect("a C compiler (cc) is needed for this test");
    let _ = std::fs::remove_file(&src_path);
    let _ = std::fs::remove_file(&out);
    assert!(
        status.success(),
        "{} does not compile under {cc} -std={std} -Werror",
        header.display()
    );
}

#[test]
fn header_compiles_alone_as_c11() {
    compile(&crate_dir().join("include/mapache_module.h"), "c11", "c");
}

#[test]
fn header_compiles_as_cpp() {
    compile(
        &crate_dir().join("include/mapache_module.h"),
        "c++17",
        "c++",
    );
}
