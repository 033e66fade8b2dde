//! Any bytes behind a spss signature, analysed with the canonical codebook (and, for
//! SPSS, the file's own dictionary): an error or results, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("in.bin");
    let mut data = b"$FL2".to_vec();
    data.extend_from_slice(bytes);
    std::fs::write(&path, data).expect("written");
    let input = path.to_str().expect("UTF-8 path");
    let opts = concerns::Options::default();
    let _ = concerns::analyse(input, &concerns::Codebook::canonical(), &opts);
    if let Ok(Some(cb)) = concerns::guess::spss_codebook(input) {
        let _ = concerns::analyse(input, &cb, &opts);
    }
});
