//! Any text as a codebook: an error or a codebook, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(cb) = concerns::Codebook::parse(text, "fuzz.toml") {
        // A codebook that parses is compiled against its own columns as a header.
        let columns = cb.needed_columns(cb.weight.as_deref());
        let segments: Vec<&concerns::codebook::Segment> = cb.segments.iter().collect();
        let _ = concerns::plan::Plan::new(&cb, &columns, None, &[], &segments);
    }
});
