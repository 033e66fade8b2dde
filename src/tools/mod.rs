//! Tools beside the analysis, each with its own job: raking weights (`weight`), a first
//! codebook from a file (`init`), synthetic data calibrated to the study (`simulate`).

pub mod init;
pub mod simulate;
pub mod weight;
