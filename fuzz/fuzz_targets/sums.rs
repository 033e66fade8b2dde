//! Any bytes as a sums file (the result of `concerns sql`'s query, as CSV or, behind
//! Parquet's signature, as Parquet) finished with the canonical codebook: without options,
//! by generation, and with a design of strata and PSUs. An error or results, never a panic,
//! never unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("in.sums");
    std::fs::write(&path, bytes).expect("written");
    let files = vec![path.to_str().expect("UTF-8 path").to_string()];
    let cb = concerns::Codebook::canonical();
    let mut opts = concerns::Options::default();
    let _ = concerns::analyse_sums(&files, &cb, &opts);
    opts.by = vec!["generation".into()];
    let _ = concerns::analyse_sums(&files, &cb, &opts);
    opts.lenient = true;
    opts.strata = Some("country".into());
    opts.psu = Some("gender".into());
    let _ = concerns::analyse_sums(&files, &cb, &opts);
});
