//! Everything made from `Results`: the exporters (one file per format), the charts, the
//! report's set of files, and the writing of outputs. Nothing here recomputes a statistic.

pub mod chart;
pub mod export;
pub mod output;
pub mod report;
