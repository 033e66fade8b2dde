//! `banners.xlsx`: the banner workbook analysts hand over. A contents sheet, then one sheet
//! per question: the total and every `--by` segment side by side under a segment header,
//! three base rows on top with low-base marks, then per item the cells `--cells` asks for
//! (shares as numbers in a percent format with the significance letters in their own
//! cells, counts, intervals), and the notes (question, bases, legend, exclusions, method,
//! synthetic data). Every text is written as a string, never as a formula; the
//! workbook's dates are fixed, so the same results give the same bytes.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use crate::error::{Error, Result};
use crate::results::{Cell, GroupResult, ItemResult, QuestionBase, QuestionResult, Results};

use super::banner::no_group_lines;
use super::legend::{letters_legend, method_lines};
use super::{base_line, exclusion_line, Exporter};
use crate::locale::{words, Words};

pub struct XlsxExporter;

/// One of the three numbers of a base.
type BaseValue = fn(&QuestionBase) -> f64;

/// Excel's limit on the characters of a cell.
const CELL_CHARS: usize = 32_000;
/// Widest label column, in characters.
const LABEL_WIDTH: usize = 60;

fn output(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::Output(format!("writing the workbook: {e}"))
}

/// A cell's text: within Excel's limit.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(CELL_CHARS) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

struct Formats {
    title: Format,
    italic: Format,
    head: Format,
    segment: Format,
    share: Format,
    count: Format,
    weighted: Format,
    letters: Format,
    cell: Format,
    interval: Format,
    note: Format,
    warn: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            italic: Format::new().set_italic(),
            head: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin),
            segment: Format::new()
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color(0xE8EEF4),
            share: Format::new().set_num_format("0.0%"),
            count: Format::new().set_num_format("#,##0"),
            weighted: Format::new().set_num_format("#,##0.0"),
            letters: Format::new().set_bold().set_font_color(0x1F5F8B),
            cell: Format::new().set_font_color(0x555555).set_indent(1),
            interval: Format::new().set_align(FormatAlign::Right),
            note: Format::new().set_font_color(0x555555),
            warn: Format::new().set_bold().set_font_color(0x9A3412),
        }
    }
}

/// A sheet name Excel accepts: the question's place and id (ids are safe: letters, digits,
/// `_` and `-`), at most 31 characters.
pub(crate) fn sheet_name(i: usize, q: &QuestionResult) -> String {
    let name = format!("Q{} {}", i + 1, q.id);
    name.chars().take(31).collect()
}

impl Exporter for XlsxExporter {
    fn render(&self, r: &Results) -> Result<Vec<u8>> {
        let mut book = Workbook::new();
        // A fixed creation date: the file depends on the results only.
        let fixed = ExcelDateTime::from_ymd(2000, 1, 1).map_err(output)?;
        book.set_properties(
            &DocProperties::new()
                .set_title(clip(&r.survey.title))
                .set_creation_datetime(&fixed),
        );
        let f = Formats::new();
        contents(book.add_worksheet(), r, &f)?;
        for (i, q) in r.questions.iter().enumerate() {
            let sheet = book.add_worksheet();
            sheet.set_name(sheet_name(i, q)).map_err(output)?;
            question(sheet, r, q, &f)?;
        }
        book.save_to_buffer().map_err(output)
    }
}

fn printable(sheet: &mut Worksheet) {
    sheet.set_landscape();
    sheet.set_print_fit_to_pages(1, 0);
}

fn contents(sheet: &mut Worksheet, r: &Results, f: &Formats) -> Result<()> {
    let w = words(r.lang);
    sheet.set_name(w.get("contents")).map_err(output)?;
    printable(sheet);
    sheet.set_column_width(0, 12).map_err(output)?;
    sheet.set_column_width(1, 80).map_err(output)?;
    sheet
        .write_string_with_format(0, 0, clip(&r.survey.title), &f.title)
        .map_err(output)?;
    let mut row = 1;
    if r.survey.synthetic {
        sheet
            .write_string_with_format(row, 0, words(r.lang).get("synthetic_line"), &f.warn)
            .map_err(output)?;
        row += 1;
    }
    sheet
        .write_string_with_format(row, 0, clip(&exclusion_line(r)), &f.note)
        .map_err(output)?;
    row += 2;
    sheet
        .write_string_with_format(row, 0, w.get("sheet"), &f.head)
        .map_err(output)?;
    sheet
        .write_string_with_format(row, 1, w.get("question"), &f.head)
        .map_err(output)?;
    for (i, q) in r.questions.iter().enumerate() {
        row += 1;
        let name = sheet_name(i, q);
        sheet
            .write_url_with_text(row, 0, format!("internal:'{name}'!A1").as_str(), &name)
            .map_err(output)?;
        sheet.write_string(row, 1, clip(&q.title)).map_err(output)?;
    }
    row += 2;
    for line in method_lines(r) {
        sheet
            .write_string_with_format(row, 0, clip(&line), &f.note)
            .map_err(output)?;
        row += 1;
    }
    Ok(())
}

/// Rows of the segment header and of the column heads.
const SEGMENT_ROW: u32 = 4;
const HEAD_ROW: u32 = 5;

/// One group's columns: its share, then its letters.
type Columns<'a> = Vec<(&'a GroupResult, u16)>;

/// One question's banner sheet: title, heads, base rows, item rows, notes.
fn question(sheet: &mut Worksheet, r: &Results, q: &QuestionResult, f: &Formats) -> Result<()> {
    let w = words(r.lang);
    printable(sheet);
    sheet
        .write_string_with_format(0, 0, clip(&q.title), &f.title)
        .map_err(output)?;
    sheet
        .write_string_with_format(1, 0, clip(&q.text), &f.italic)
        .map_err(output)?;
    let mut top = 2;
    if let Some(line) = super::filter_line(r) {
        sheet
            .write_string_with_format(top, 0, clip(&line), &f.note)
            .map_err(output)?;
        top += 1;
    }
    if r.survey.synthetic {
        sheet
            .write_string_with_format(top, 0, w.get("synthetic_line"), &f.warn)
            .map_err(output)?;
    }
    let columns = heads(sheet, r, q, f)?;
    // Bases first, as data-processing tables have them: each column's base over its shares.
    let row = base_rows(sheet, w, q, &columns, HEAD_ROW, f)?;
    let row = item_rows(sheet, (r, q), &columns, row, f)?;
    let mut notes = Vec::new();
    if !q.note.is_empty() {
        notes.push(q.note.clone());
    }
    notes.push(base_line(w, q));
    notes.extend(no_group_lines(w, q));
    notes.extend(super::cells_line(r));
    if !q.by.is_empty() {
        notes.push(letters_legend(r));
    }
    notes.push(exclusion_line(r));
    notes.extend(method_lines(r));
    for (k, line) in notes.iter().enumerate() {
        sheet
            .write_string_with_format(row + 2 + k as u32, 0, clip(line), &f.note)
            .map_err(output)?;
    }
    Ok(())
}

/// The segment header and column heads, widths and frozen panes; the groups' columns.
fn heads<'a>(
    sheet: &mut Worksheet,
    r: &Results,
    q: &'a QuestionResult,
    f: &Formats,
) -> Result<Columns<'a>> {
    let w = words(r.lang);
    let label_width = q
        .rows()
        .map(|i| super::row_label(w, i).chars().count())
        .max()
        .unwrap_or(10)
        .clamp(18, LABEL_WIDTH);
    sheet
        .set_column_width(0, label_width as f64)
        .map_err(output)?;
    sheet
        .write_string_with_format(HEAD_ROW, 0, w.get("answer"), &f.head)
        .map_err(output)?;
    // The total's column is headed once: "Total", or the filter its respondents meet.
    let total = match &r.filter {
        Some(filter) => filter.label.clone().unwrap_or(filter.expression.clone()),
        None => w.get("total").to_string(),
    };
    sheet
        .write_string_with_format(HEAD_ROW, 1, clip(&total), &f.head)
        .map_err(output)?;
    let width = (total.chars().count() + 2).clamp(10, 28) as f64;
    sheet.set_column_width(1, width).map_err(output)?;
    let mut columns = Columns::new();
    let mut col: u16 = 2;
    for (_, groups) in q.segments() {
        let name = groups[0].segment_name();
        let first = col;
        for g in groups {
            let head = format!("({}) {}", g.letter, g.label);
            sheet
                .write_string_with_format(HEAD_ROW, col, clip(&head), &f.head)
                .map_err(output)?;
            sheet
                .write_string_with_format(HEAD_ROW, col + 1, w.get("sig"), &f.head)
                .map_err(output)?;
            let width = (head.chars().count() + 3).clamp(9, 28) as f64;
            sheet.set_column_width(col, width).map_err(output)?;
            sheet.set_column_width(col + 1, 6).map_err(output)?;
            columns.push((g, col));
            col += 2;
        }
        if col - 1 > first {
            sheet
                .merge_range(
                    SEGMENT_ROW,
                    first,
                    SEGMENT_ROW,
                    col - 1,
                    clip(name),
                    &f.segment,
                )
                .map_err(output)?;
        } else {
            sheet
                .write_string_with_format(SEGMENT_ROW, first, clip(name), &f.segment)
                .map_err(output)?;
        }
    }
    // The heads and the bases stay in view.
    sheet.set_freeze_panes(HEAD_ROW + 4, 1).map_err(output)?;
    sheet
        .set_repeat_rows(SEGMENT_ROW, HEAD_ROW)
        .map_err(output)?;
    Ok(columns)
}

/// After row `row`, one row per item and cell (`--cells`): label (a further cell's name),
/// the total's and each group's number, and a group's letters beside its share. The last
/// row.
fn item_rows(
    sheet: &mut Worksheet,
    (r, q): (&Results, &QuestionResult),
    columns: &Columns,
    mut row: u32,
    f: &Formats,
) -> Result<u32> {
    let w = words(r.lang);
    let cells = r.banner_cells();
    for (k, item) in q.rows().enumerate() {
        for (n, &kind) in cells.iter().enumerate() {
            row += 1;
            // Nets in italics after the items, so nobody reads one as an item.
            match (n, item.is_net()) {
                (0, true) => sheet.write_string_with_format(
                    row,
                    0,
                    clip(&super::row_label(w, item)),
                    &f.italic,
                ),
                (0, false) => sheet.write_string(row, 0, clip(&super::row_label(w, item))),
                _ => sheet.write_string_with_format(row, 0, super::cell_name(r, kind), &f.cell),
            }
            .map_err(output)?;
            value(sheet, (row, 1), w, kind, item, f)?;
            for (g, c) in columns {
                let Some(gi) = g.rows().nth(k) else { continue };
                value(sheet, (row, *c), w, kind, &gi.item, f)?;
                let marks = gi.marks().concat();
                if kind == Cell::Share && !marks.is_empty() {
                    sheet
                        .write_string_with_format(row, c + 1, &marks, &f.letters)
                        .map_err(output)?;
                }
            }
        }
    }
    Ok(row)
}

/// One number of an item: a share in percent, a count, or an interval as text.
fn value(
    sheet: &mut Worksheet,
    (row, col): (u32, u16),
    w: &Words,
    kind: Cell,
    item: &ItemResult,
    f: &Formats,
) -> Result<()> {
    match kind {
        Cell::Share => match item.share {
            Some(p) => sheet.write_number_with_format(row, col, p, &f.share),
            None => return Ok(()),
        },
        Cell::Count => sheet.write_number_with_format(row, col, item.count as f64, &f.count),
        Cell::Ci => sheet.write_string_with_format(
            row,
            col,
            w.interval(item.ci_low, item.ci_high),
            &f.interval,
        ),
    }
    .map_err(output)?;
    Ok(())
}

/// The unweighted, weighted and effective bases after row `row`, low bases marked. The
/// last row.
fn base_rows(
    sheet: &mut Worksheet,
    w: &Words,
    q: &QuestionResult,
    columns: &Columns,
    mut row: u32,
    f: &Formats,
) -> Result<u32> {
    let bases: [(&str, BaseValue, &Format); 3] = [
        (
            w.get("base_row_unweighted"),
            |b| b.unweighted as f64,
            &f.count,
        ),
        (w.get("base_row_weighted"), |b| b.weighted, &f.weighted),
        (w.get("base_row_effective"), |b| b.effective, &f.weighted),
    ];
    for (k, (label, value, format)) in bases.iter().enumerate() {
        row += 1;
        sheet.write_string(row, 0, *label).map_err(output)?;
        sheet
            .write_number_with_format(row, 1, value(&q.base), format)
            .map_err(output)?;
        for (g, c) in columns {
            sheet
                .write_number_with_format(row, *c, value(&g.base), format)
                .map_err(output)?;
            if let (0, Some(flag)) = (k, g.base_flag) {
                sheet
                    .write_string_with_format(row, c + 1, flag.mark().trim(), &f.warn)
                    .map_err(output)?;
            }
        }
    }
    Ok(row)
}
