use anyhow::Result;

use super::Exporter;
use crate::results::Results;

/// Long format: one row per question item, every number at full precision.
pub struct CsvExporter;

const HEADER: [&str; 16] = [
    "question_id",
    "item_id",
    "label",
    "rank",
    "count",
    "weighted_count",
    "share",
    "se",
    "ci_low",
    "ci_high",
    "base_unweighted",
    "base_weighted",
    "base_effective",
    "weighted",
    "excluded",
    "respondents",
];

fn num(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

impl Exporter for CsvExporter {
    fn render(&self, r: &Results) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(HEADER)?;
        for q in &r.questions {
            for i in &q.items {
                w.write_record([
                    q.id.clone(),
                    i.id.clone(),
                    i.label.clone(),
                    i.rank.to_string(),
                    i.count.to_string(),
                    i.weighted_count.to_string(),
                    num(i.share),
                    num(i.se),
                    num(i.ci_low),
                    num(i.ci_high),
                    q.base.unweighted.to_string(),
                    q.base.weighted.to_string(),
                    q.base.effective.to_string(),
                    q.weighted.to_string(),
                    r.base.excluded.to_string(),
                    r.base.respondents.to_string(),
                ])?;
            }
        }
        Ok(String::from_utf8(w.into_inner()?)?)
    }
}
