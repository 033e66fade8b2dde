//! `concerns`: respondent-level survey data in, the ranked "top concerns about AI in
//! customer service" breakdown out.
//!
//! Data flows one way, and the folders show it: [`load`] (the record every reader hands on;
//! the parallel CSV scanner, polars for Parquet, ambers for SPSS) → [`plan`] (the codebook
//! against the header: validity, exclusion, answers) → [`tally`] (one pass into exact
//! additive sums) → [`estimate`] (the design, one variance engine, comparisons) →
//! [`results::Results`] → [`render`] (exporters, charts, the report). The warehouse route
//! ([`warehouse`]) computes the same sums in SQL. Pure statistics live in [`stats`].

// The public API: analyse or validate an input, render what came out.
pub mod codebook;
pub mod error;
pub mod locale;
pub mod render;
pub mod results;
pub mod stats;
pub mod text;
pub mod tools;
pub mod validate;
pub mod warehouse;

// The machinery, in the order data flows through it.
pub(crate) mod estimate;
pub(crate) mod load;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub mod tally;

pub use codebook::Codebook;
pub use error::{Error, Result};
pub use estimate::analyse;
pub use load::{
    guess_encoding as load_guess_encoding, Format as InputFormat, Source, WeightChoice,
};
pub use pipeline::{delimiter_byte, DesignChoice, Options};
pub use render::{chart, export, output, report};
pub use results::Results;
pub use stats::Adjust;
pub use tally::problems::Problem;
pub use tools::{init, simulate, weight};
pub use validate::{validate, Validation};
pub use warehouse::analyse_sums;
pub use warehouse::query as sql;

#[cfg(test)]
mod cross_check;
