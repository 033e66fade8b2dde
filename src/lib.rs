//! `concerns`: respondent-level survey data in, the ranked "top concerns about AI in
//! customer service" breakdown out.
//!
//! Data flows one way: [`load`] (only needed fields: the parallel CSV scanner, polars for
//! Parquet, ambers for SPSS) → [`plan`] (the codebook against the header: validity,
//! exclusion, answers) → [`tabulate`] into a [`tally`] (one pass) → [`results::Results`]
//! → [`export`]ers and [`chart`]s. Statistics live in [`stats`].

// The public API: analyse or validate an input, render what came out.
pub mod chart;
pub mod codebook;
pub mod domain;
pub mod error;
pub mod export;
pub mod filter;
pub mod init;
pub mod locale;
pub mod output;
pub mod report;
pub mod results;
pub mod simulate;
pub mod sql;
pub mod stats;
pub mod text;
pub mod validate;
pub mod weight;

// The machinery, in the order data flows through it.
pub(crate) mod design;
pub(crate) mod estimate;
pub(crate) mod load;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub(crate) mod problems;
pub(crate) mod record;
pub(crate) mod sums;
pub(crate) mod tabulate;
pub(crate) mod tally;

pub use codebook::Codebook;
pub use error::{Error, Result};
pub use estimate::{analyse, analyse_sums};
pub use load::{
    guess_encoding as load_guess_encoding, Format as InputFormat, Source, WeightChoice,
};
pub use pipeline::{delimiter_byte, Options};
pub use problems::Problem;
pub use results::Results;
pub use stats::Adjust;
pub use validate::{validate, Validation};

#[cfg(test)]
mod cross_check;
