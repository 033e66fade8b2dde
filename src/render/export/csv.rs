use crate::error::{Error, Result};

use super::TextExporter;
use crate::results::{ItemResult, QuestionBase, Results};
use crate::text::{spreadsheet_cell, visible};

/// Long format: one row per question item and net (`net_items` lists what a net combines)
/// for the total and for every segment group,
/// every number at full precision. Text cells from data or codebook cannot start a
/// spreadsheet formula ([`spreadsheet_cell`]).
pub struct CsvExporter;

const HEADER: [&str; 22] = [
    "question_id",
    "segment",
    "group",
    "letter",
    "item_id",
    "label",
    "rank",
    "count",
    "weighted_count",
    "share",
    "se",
    "ci_low",
    "ci_high",
    "higher_than",
    "base_unweighted",
    "base_weighted",
    "base_effective",
    "weighted",
    "excluded",
    "respondents",
    "net_items",
    "filter",
];

fn num(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

impl TextExporter for CsvExporter {
    fn text(&self, r: &Results) -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let filter = r.filter.as_ref().map_or("", |f| f.expression.as_str());
        w.write_record(HEADER)?;
        let mut row = |q: &str,
                       group: [&str; 3],
                       i: &ItemResult,
                       higher: &[String],
                       base: &QuestionBase,
                       weighted: bool| {
            w.write_record([
                q.to_string(),
                group[0].to_string(),
                spreadsheet_cell(&visible(group[1])).into_owned(),
                group[2].to_string(),
                i.id.clone(),
                spreadsheet_cell(&visible(&i.label)).into_owned(),
                i.rank.to_string(),
                i.count.to_string(),
                i.weighted_count.to_string(),
                num(i.share),
                num(i.se),
                num(i.ci_low),
                num(i.ci_high),
                higher.concat(),
                i.base_within(base).unweighted.to_string(),
                i.base_within(base).weighted.to_string(),
                i.base_within(base).effective.to_string(),
                weighted.to_string(),
                r.base.excluded.to_string(),
                r.base.respondents.to_string(),
                i.items.join(";"),
                spreadsheet_cell(&visible(filter)).into_owned(),
            ])
        };
        for q in &r.questions {
            for i in q.rows() {
                row(&q.id, ["", "total", ""], i, &[], &q.base, q.weighted)?;
            }
            for g in &q.by {
                for gi in g.rows() {
                    row(
                        &q.id,
                        [&g.segment, &g.value, &g.letter],
                        &gi.item,
                        &gi.higher_than,
                        &g.base,
                        q.weighted,
                    )?;
                }
            }
        }
        let bytes = w
            .into_inner()
            .map_err(|e| Error::Output(format!("writing CSV failed: {}", e.error())))?;
        // Every cell came from a String.
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}
