//! The checked-in C header matches the Rust definitions and compiles on its own under -Werror.

use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The header as checked in: cbindgen's output of `src/abi.rs` with the hand-written preamble
/// and macros of `header/`, made readable as C (see [`for_c_readers`]).
fn generate() -> String {
    let dir = crate_dir();
    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let read = |name: &str| {
        std::fs::read_to_string(dir.join("header").join(name))
            .unwrap_or_else(|e| panic!("header/{name}: {e}"))
    };
    config.header = Some(read("preamble.h").trim_end().to_owned());
    config.after_includes = Some(format!("\n{}", read("macros.h").trim_end()));
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/abi.rs"))
        .generate()
        .expect("cbindgen could not read src/abi.rs")
        .write(&mut out);
    for_c_readers(&String::from_utf8(out).expect("header is UTF-8"))
}

/// What cbindgen leaves Rust-shaped, put in C terms: doc links and code spans in comments become
/// plain names (`[`X::y`]` reads `X.y`), the magic is shown in hex, and the `extern "C"` block
/// the macros open closes before the include guard ends.
fn for_c_readers(generated: &str) -> String {
    let magic = mapache_plugin_api::abi::MAPACHE_MODULE_MAGIC;
    let mut out = String::with_capacity(generated.len() + 64);
    for line in generated.lines() {
        if line.trim_start().starts_with("//") {
            out.push_str(&plain_comment(line));
        } else if line == format!("#define MAPACHE_MODULE_MAGIC {magic}") {
            out.push_str(&format!("#define MAPACHE_MODULE_MAGIC 0x{magic:08X}"));
        } else if line == "#endif  /* MAPACHE_MODULE_H */" {
            out.push_str("#ifdef __cplusplus\n}  /* extern \"C\" */\n#endif\n\n");
            out.push_str(line);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// One comment line without rustdoc syntax: `[`a`]` and `` `a` `` become `a`, `::` becomes `.`.
fn plain_comment(line: &str) -> String {
    let (indent, text) = line.split_at(line.find("//").expect("a comment line"));
    let mut out = String::from(indent);
    let mut rest = text;
    while let Some(at) = rest.find("[`") {
        match rest[at + 2..].find("`]") {
            Some(end) => {
                out.push_str(&rest[..at]);
                out.push_str(&rest[at + 2..at + 2 + end]);
                rest = &rest[at + 2 + end + 2..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out.replace('`', "").replace("::", ".")
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
    // The macros are used too: MAPACHE_HOST_HAS on a 1.4 field, MAPACHE_EXPORT on a descriptor.
    let src = format!(
        "#include \"{}\"\n\
         int mapache_header_check(const MapacheHost *host);\n\
         int mapache_header_check(const MapacheHost *host) {{ return MAPACHE_ABI_MAJOR + (int)sizeof(MapacheModule) + MAPACHE_HOST_HAS(host, status_sections) + (MAPACHE_MODULE_MAGIC == 0x4D415043u); }}\n\
         MAPACHE_EXPORT extern const MapacheModule check_module;\n\
         const MapacheModule check_module = {{ MAPACHE_MODULE_MAGIC, MAPACHE_ABI_MAJOR, MAPACHE_ABI_MINOR, sizeof(MapacheModule), MAPACHE_KIND_HANDLER, \"check\", \"0\", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }};\n",
        header.display()
    );
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

/// C readers see C: no rustdoc links or code spans, no Rust paths, the magic in hex, and every
/// field appended after 1.0 says which minor added it.
#[test]
fn header_reads_as_c() {
    let text = std::fs::read_to_string(crate_dir().join("include/mapache_module.h")).unwrap();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") || line.trim_start().starts_with('*') {
            assert!(
                !line.contains('`') && !line.contains("[`") && !line.contains("::"),
                "line {}: Rust doc syntax in a C comment: {line}",
                n + 1
            );
        }
    }
    assert!(text.contains("#define MAPACHE_MODULE_MAGIC 0x4D415043\n"));
    assert!(text.contains("extern \"C\" {") && text.contains("#define MAPACHE_HOST_HAS("));
    for (start, end) in [
        ("  int32_t (*check_directive)", "} MapacheModule;"),
        ("  int32_t (*score_open)", "} MapacheHost;"),
    ] {
        let from = text.find(start).expect(start);
        let body = &text[from..from + text[from..].find(end).unwrap()];
        let block_start = text[..from].rfind(";\n").unwrap();
        let mut doc_first = true;
        for line in text[block_start..from].lines().chain(body.lines()) {
            let l = line.trim();
            if l.starts_with("//") {
                if doc_first {
                    assert!(
                        l.starts_with("// (ABI 1."),
                        "field doc without its minor: {l}"
                    );
                }
                doc_first = false;
            } else {
                doc_first = true;
            }
        }
    }
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
