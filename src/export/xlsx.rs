//! `banners.xlsx`: the banner workbook analysts hand over. A contents sheet, then one sheet
//! per question: the total and every `--by` segment side by side under a segment header,
//! shares as numbers in a percent format, significance letters in their own cells, three
//! base rows with low-base marks, and the notes (question, bases, legend, exclusions,
//! method, synthetic data). Every text is written as a string, never as a formula; the
//! workbook's dates are fixed, so the same results give the same bytes.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use crate::error::{Error, Result};
use crate::results::{GroupResult, QuestionBase, QuestionResult, Results};

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
    let w = words(&r.lang);
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
            .write_string_with_format(row, 0, words(&r.lang).get("synthetic_line"), &f.warn)
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

/// One question's banner sheet: title, heads, item rows, base rows, notes.
fn question(sheet: &mut Worksheet, r: &Results, q: &QuestionResult, f: &Formats) -> Result<()> {
    let w = words(&r.lang);
    printable(sheet);
    sheet
        .write_string_with_format(0, 0, clip(&q.title), &f.title)
        .map_err(output)?;
    sheet
        .write_string_with_format(1, 0, clip(&q.text), &f.italic)
        .map_err(output)?;
    if r.survey.synthetic {
        sheet
            .write_string_with_format(2, 0, w.get("synthetic_line"), &f.warn)
            .map_err(output)?;
    }
    let columns = heads(sheet, w, q, f)?;
    let row = item_rows(sheet, (w, q), &columns, f)?;
    let row = base_rows(sheet, w, q, &columns, row, f)?;
    let mut notes = Vec::new();
    if !q.note.is_empty() {
        notes.push(q.note.clone());
    }
    notes.push(base_line(w, q));
    notes.extend(no_group_lines(w, q));
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
    w: &Words,
    q: &'a QuestionResult,
    f: &Formats,
) -> Result<Columns<'a>> {
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
    sheet
        .write_string_with_format(SEGMENT_ROW, 1, w.get("total"), &f.segment)
        .map_err(output)?;
    sheet
        .write_string_with_format(HEAD_ROW, 1, w.get("total"), &f.head)
        .map_err(output)?;
    sheet.set_column_width(1, 10).map_err(output)?;
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
    sheet.set_freeze_panes(HEAD_ROW + 1, 1).map_err(output)?;
    sheet
        .set_repeat_rows(SEGMENT_ROW, HEAD_ROW)
        .map_err(output)?;
    Ok(columns)
}

/// One row per item: label, total share, each group's share and letters. The last row.
fn item_rows(
    sheet: &mut Worksheet,
    (w, q): (&Words, &QuestionResult),
    columns: &Columns,
    f: &Formats,
) -> Result<u32> {
    let mut row = HEAD_ROW;
    for (k, item) in q.rows().enumerate() {
        row += 1;
        // Nets in italics after the items, so nobody reads one as an item.
        let label = super::row_label(w, item);
        match item.is_net() {
            true => sheet.write_string_with_format(row, 0, clip(&label), &f.italic),
            false => sheet.write_string(row, 0, clip(&label)),
        }
        .map_err(output)?;
        if let Some(p) = item.share {
            sheet
                .write_number_with_format(row, 1, p, &f.share)
                .map_err(output)?;
        }
        for (g, c) in columns {
            let Some(gi) = g.rows().nth(k) else { continue };
            if let Some(p) = gi.item.share {
                sheet
                    .write_number_with_format(row, *c, p, &f.share)
                    .map_err(output)?;
            }
            let marks = gi.marks().concat();
            if !marks.is_empty() {
                sheet
                    .write_string_with_format(row, c + 1, &marks, &f.letters)
                    .map_err(output)?;
            }
        }
    }
    Ok(row)
}

/// The unweighted, weighted and effective bases after row `row`, low bases marked.
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
