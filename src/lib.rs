//! `concerns`: respondent-level survey data in, the ranked "top concerns about AI in
//! customer service" breakdown out.
//!
//! Data flows one way: [`load`] (polars, only needed columns) → exclude and [`tabulate`]
//! (one aggregate query) → [`results::Results`] → [`export`]ers. Statistics live in [`stats`].

pub mod analysis;
pub mod chart;
pub mod codebook;
pub mod error;
pub mod export;
pub mod guess;
pub mod load;
pub mod output;
pub mod report;
pub mod results;
pub mod simulate;
pub mod stats;
pub mod tabulate;
pub mod validate;

pub use analysis::{analyse, Options};
pub use codebook::Codebook;
pub use results::Results;
