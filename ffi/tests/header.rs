//! `include/ringpax.h` must be exactly what cbindgen generates from `ffi/src` today.
//! To regenerate: `RINGPAX_BLESS=1 cargo test -p ringpax-ffi --test header` (or `make header`).
use std::path::Path;

#[test]
fn committed_header_is_up_to_date() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("config");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = crate_dir.join("../include/ringpax.h");
    if std::env::var_os("RINGPAX_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write header");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/ringpax.h is stale: run `make header` \
         (RINGPAX_BLESS=1 cargo test -p ringpax-ffi --test header) and commit it"
    );
}
