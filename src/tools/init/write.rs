//! The draft as TOML: serialised by serde, then laid out as a person writes a codebook
//! (`label.en = …` keys, one inline table per item), with the notes as a comment on top.

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use super::Draft;
use crate::codebook::Codebook;
use crate::error::{Error, Result};
use crate::text::visible;

pub(super) fn toml(draft: &Draft) -> Result<String> {
    let body = toml::to_string(&draft.codebook)
        .map_err(|e| Error::Output(format!("writing the codebook failed: {e}")))?;
    let mut doc: DocumentMut = body
        .parse()
        .map_err(|e| Error::Output(format!("laying out the codebook failed: {e}")))?;
    tidy(doc.as_table_mut());
    let mut out = format!(
        "# Codebook drafted by `concerns codebook init` from {}.\n\
         # Check every entry before trusting a number; the keys are documented in docs/codebook.md.\n",
        visible(&draft.source)
    );
    if !draft.notes.is_empty() {
        out.push_str("#\n# To check:\n");
        for n in &draft.notes {
            // Notes quote names from the data: escaped, they stay one comment line.
            out.push_str(&format!("# - {}\n", visible(n)));
        }
    }
    out.push('\n');
    out.push_str(doc.to_string().trim());
    out.push('\n');
    Ok(out)
}

/// The draft written and read back: an error if it is not a valid codebook or does not
/// read back as itself.
pub(super) fn checked(draft: &Draft) -> Result<()> {
    let text = toml(draft)?;
    let back = Codebook::parse(&text, "the drafted codebook")?;
    if back != draft.codebook {
        return Err(Error::Output(
            "the drafted codebook does not read back as written".into(),
        ));
    }
    Ok(())
}

/// Label tables as dotted keys; `items` and `values` as arrays of inline tables.
fn tidy(root: &mut Table) {
    if let Some(t) = root.get_mut("survey").and_then(Item::as_table_mut) {
        dotted(t);
    }
    for key in ["exclude", "segments", "questions", "contrasts"] {
        let Some(tables) = root.get_mut(key).and_then(Item::as_array_of_tables_mut) else {
            continue;
        };
        for t in tables.iter_mut() {
            dotted(t);
            for list in ["items", "values", "nets"] {
                inline_list(t, list);
            }
        }
    }
}

fn dotted(t: &mut Table) {
    for (_, item) in t.iter_mut() {
        if let Some(sub) = item.as_table_mut() {
            sub.set_dotted(true);
        }
    }
}

/// `[[questions.items]]` blocks become `items = [ { … }, … ]`, one item per line.
fn inline_list(t: &mut Table, key: &str) {
    let Some(tables) = t.get(key).and_then(Item::as_array_of_tables) else {
        return;
    };
    let mut list = Array::new();
    for sub in tables.iter() {
        let mut inline: InlineTable = sub.clone().into_inline_table();
        for (_, v) in inline.iter_mut() {
            if let Some(labels) = v.as_inline_table_mut() {
                labels.set_dotted(true);
            }
        }
        // A flag reads best after the label it qualifies.
        if let Some(last) = inline.remove("last") {
            inline.insert("last", last);
        }
        inline.fmt();
        let mut v = Value::InlineTable(inline);
        v.decor_mut().set_prefix("\n  ");
        list.push_formatted(v);
    }
    list.set_trailing("\n");
    list.set_trailing_comma(true);
    t.insert(key, Item::Value(Value::Array(list)));
}
