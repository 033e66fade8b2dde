use crate::error::Result;

use super::TextExporter;
use crate::results::Results;

/// The researchers' contract: pretty JSON of `Results`, field order fixed by the struct.
pub struct JsonExporter;

impl TextExporter for JsonExporter {
    fn text(&self, results: &Results) -> Result<String> {
        let mut s = serde_json::to_string_pretty(results)?;
        s.push('\n');
        Ok(s)
    }
}
