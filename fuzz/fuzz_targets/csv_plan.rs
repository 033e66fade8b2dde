//! Any bytes as a CSV analysed with the canonical codebook (the scanner, the plan, the
//! tally, the statistics), by `table` and by `validate`: an error or results, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("in.csv");
    std::fs::write(&path, bytes).expect("written");
    let input = path.to_str().expect("UTF-8 path");
    let cb = concerns::Codebook::canonical();
    let mut opts = concerns::Options::default();
    opts.by = vec!["generation".into(), "country".into()];
    let _ = concerns::analyse(input, &cb, &opts);
    opts.lenient = true;
    let _ = concerns::analyse(input, &cb, &opts);
    let _ = concerns::validate::validate(input, &cb, &opts, 100);
});
