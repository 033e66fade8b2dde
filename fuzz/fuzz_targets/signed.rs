//! Shared by the `parquet` and `spss` targets: any bytes behind a format's signature,
//! analysed with the canonical codebook and, where the file has one, its own dictionary.

pub fn analyse_signed(signature: &[u8], bytes: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("in.bin");
    let mut data = signature.to_vec();
    data.extend_from_slice(bytes);
    std::fs::write(&path, data).expect("written");
    let input = path.to_str().expect("UTF-8 path");
    let opts = concerns::Options::default();
    let _ = concerns::analyse(input, &concerns::Codebook::canonical(), &opts);
    if let Ok(Some(cb)) = concerns::init::spss_codebook(input) {
        let _ = concerns::analyse(input, &cb, &opts);
    }
}
