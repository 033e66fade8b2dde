//! Any text as a codebook: an error or a codebook, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(cb) = concerns::Codebook::parse(text, "fuzz.toml") {
        // A codebook that parses is compiled against its own columns as a header (through
        // the public API: `validate` of a file of that header and one empty respondent).
        let mut columns = cb.needed_columns(cb.weight.as_deref());
        columns.extend(cb.segments.iter().map(|s| s.column.clone()));
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(&columns);
        let _ = w.write_record(columns.iter().map(|_| ""));
        let Ok(bytes) = w.into_inner() else { return };
        let path = std::env::temp_dir().join(format!("concerns-fuzz-{}.csv", std::process::id()));
        if std::fs::write(&path, bytes).is_ok() {
            let _ = concerns::validate(path.to_str().unwrap_or("-"), &cb, &concerns::Options::default(), 10);
        }
    }
});
