//! How a chart writes a count: the seed's Russian figure writes "4138" (no separator).
//! The chart's words are in the language's catalogue (`crate::locale`).

/// A count as the chart writes it: "4,138" (en), "4138" (ru, as in the seed).
pub fn number(lang: &str, n: u64) -> String {
    match lang {
        "ru" => n.to_string(),
        _ => crate::text::thousands(n),
    }
}
