//! `concerns`: respondent-level survey data in, the ranked "top concerns about AI in
//! customer service" breakdown out.
//!
//! Data flows one way: [`load`] (only needed fields: the parallel CSV scanner, polars for
//! Parquet, ambers for SPSS) → [`plan`] (the codebook against the header: validity,
//! exclusion, answers) → [`tabulate`] into a [`tally`] (one pass) → [`results::Results`]
//! → [`export`]ers and [`chart`]s. Statistics live in [`stats`].

pub mod analysis;
pub mod chart;
pub mod codebook;
pub mod error;
pub mod export;
pub mod guess;
pub mod load;
pub mod output;
pub mod pipeline;
pub mod plan;
pub mod problems;
pub mod record;
pub mod report;
pub mod results;
pub mod simulate;
pub mod stats;
pub mod tabulate;
pub mod tally;
pub mod text;
pub mod validate;

pub use analysis::analyse;
pub use error::{Error, Result};
pub use pipeline::Options;
pub use codebook::Codebook;
pub use results::Results;
