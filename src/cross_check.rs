//! The parallel CSV scanner (simd-csv, chunks parsed in parallel) and the `csv` crate's
//! reader (an independent, serial RFC 4180 reader, kept for this cross-check only) give
//! identical tabulations of well-formed files, whatever the chunking, quoting, line ends and
//! bad values (a property test on random data).

use proptest::prelude::*;

use crate::codebook::Codebook;
use crate::load::record::{Consumer, Fields};
use crate::load::scan::{scan, CsvFile};
use crate::load::{check_header, Source, WeightChoice};
use crate::plan::Plan;
use crate::tally::pass::{Pass, Settings, Tabulation};
use crate::tally::problems::ProblemCounts;
use crate::tools::simulate::HEADER;

/// One respondent: codes drawn from the canonical sets, now and then a bad value.
fn respondent() -> impl Strategy<Value = Vec<String>> {
    let pick = |v: &'static [&'static str]| prop::sample::select(v).prop_map(str::to_string);
    (
        pick(&["us", "gb", "de", "", " fr "]),
        pick(&["gen_z", "millennial", "gen_x", "boomer", ""]),
        pick(&["female", "male", "other"]),
        prop_oneof![
            pick(&["0.5939", "1.3087", "0.9869", "2", "1e0"]),
            (1u32..5_000_000).prop_map(|x| format!("{}", x as f64 / 1_000_000.0)),
            Just("-1".to_string()),
        ],
        pick(&[
            "very_familiar",
            "somewhat_familiar",
            "not_very_familiar",
            "dont_know_ai",
            "maybe",
        ]),
        pick(&["yes", "no", ""]),
        pick(&["yes", "no", "unsure", "", "perhaps"]),
        prop::collection::vec(pick(&["0", "1", "1", "", "2"]), 6),
        "[a-z ,\"\n\r;]{0,12}",
    )
        .prop_map(
            |(country, generation, gender, weight, fam, prefer, switch, concerns, text)| {
                let mut row = vec![
                    String::new(),
                    country,
                    generation,
                    gender,
                    weight,
                    fam,
                    prefer,
                    switch,
                ];
                row.extend(concerns);
                row.push(text);
                row
            },
        )
}

fn csv_bytes(rows: &[Vec<String>], crlf: bool, quote_all: bool) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .quote_style(if quote_all {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .from_writer(Vec::new());
    w.write_record(HEADER).unwrap();
    for (i, r) in rows.iter().enumerate() {
        let mut r = r.clone();
        // Now and then a repeated respondent ID.
        r[0] = format!("r{}", if i % 17 == 16 { i - 3 } else { i });
        w.write_record(&r).unwrap();
    }
    w.into_inner().unwrap()
}

/// A record read by the `csv` crate.
struct Record<'a>(&'a csv::ByteRecord);

impl Fields for Record<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, column: usize) -> Option<std::borrow::Cow<'_, [u8]>> {
        self.0.get(column).map(std::borrow::Cow::Borrowed)
    }
}

/// Feeds every record after the header rows, one by one.
fn serial<C: Consumer>(src: &Source, first_row: u64, consumer: &mut C) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(src.delimiter)
        .from_path(&src.path)
        .unwrap();
    let mut record = csv::ByteRecord::new();
    let mut index = 0;
    for _ in 1..first_row {
        assert!(reader.read_byte_record(&mut record).unwrap());
    }
    while reader.read_byte_record(&mut record).unwrap() {
        let offset = record.position().map(|p| p.byte()).unwrap_or_default();
        consumer.record(&Record(&record), offset, index);
        index += 1;
    }
}

/// Tabulation and problem counts, the way `analyse` produces them, through one engine.
fn tabulate(path: &std::path::Path, chunk: Option<u64>) -> (Tabulation, ProblemCounts, Vec<u64>) {
    let codebook = Codebook::canonical();
    let src = Source::open(path.to_str().unwrap(), "utf-8", None).unwrap();
    let header = check_header(
        &src,
        &codebook,
        &WeightChoice::Codebook,
        &["generation".to_string()],
    )
    .unwrap();
    let mut plan = Plan::new(
        &codebook,
        &header.columns,
        header.weight.as_deref(),
        &["generation".to_string(), "switch_intent".to_string()],
        &[],
    )
    .unwrap();
    // A filter too: the rows outside it are summed apart and merged chunk by chunk.
    let filter = "country in (us, gb) or not generation = boomer";
    plan.filter =
        Some(crate::codebook::domain::compile(filter, "test", &codebook, &header.columns).unwrap());
    let settings = Settings {
        max_problems: 1000,
        skip: Default::default(),
    };
    let mut pass = Pass::new(&plan, &settings);
    match chunk {
        Some(chunk) => {
            let file = CsvFile {
                path: &src.path,
                data_start: header.data_start,
                delimiter: b',',
                chunk,
                digest: false,
            };
            pass = scan(&file, 3, &|| Pass::new(&plan, &settings), &|_| {})
                .unwrap()
                .0;
        }
        None => serial(&src, header.first_row, &mut pass),
    }
    let problem_rows: Vec<u64> = pass.problems().iter().map(|p| p.record).collect();
    (
        pass.finish(&codebook.question_ids()),
        pass.counts().clone(),
        problem_rows,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_scanner_and_a_serial_reader_agree(
        rows in prop::collection::vec(respondent(), 1..120),
        chunk in 1u64..3000,
        crlf in any::<bool>(),
        quote_all in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("random.csv");
        std::fs::write(&path, csv_bytes(&rows, crlf, quote_all)).unwrap();
        let serially = tabulate(&path, None);
        let whole = tabulate(&path, Some(1 << 30));
        let chunked = tabulate(&path, Some(chunk));
        prop_assert_eq!(&whole, &serially);
        prop_assert_eq!(&chunked, &whole);
        prop_assert_eq!(whole.0.rows, rows.len() as u64);
    }
}

#[test]
fn the_bundled_data_tabulates_the_same_through_both_readers() {
    let data =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/ai-customer-service-2023.csv");
    assert_eq!(
        tabulate(&data, None),
        tabulate(&data, Some(crate::load::scan::CHUNK))
    );
}
