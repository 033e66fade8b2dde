//! The JSON contract: `docs/summary.schema.json` is derived from the `Results` types, and
//! every JSON result the tests produce is checked against it (`super::conforms`).

use super::{concerns, conforms, json, root, succeeded, DATA};

#[test]
fn the_committed_schema_is_the_one_the_types_give() {
    let out = succeeded(concerns().arg("schema"));
    let committed = std::fs::read_to_string(root().join("docs/summary.schema.json")).unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == committed,
        "the Results types changed: regenerate the schema with \
         `cargo run --release -- schema > docs/summary.schema.json`, and bump \
         SCHEMA_VERSION if a field was renamed, removed or changed meaning"
    );
}

#[test]
fn the_schema_accepts_real_results_and_refuses_broken_ones() {
    let mut v = json(&["table", DATA, "--by", "generation", "--format", "json"]);
    conforms(&v);
    // A missing required field, a share as text, an unknown base flag: each refused.
    let schema: jsonschema::Validator = jsonschema::validator_for(
        &serde_json::from_str(
            &std::fs::read_to_string(root().join("docs/summary.schema.json")).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let mut broken = v.clone();
    broken.as_object_mut().unwrap().remove("questions");
    assert!(!schema.is_valid(&broken));
    let mut broken = v.clone();
    broken["questions"][0]["items"][0]["share"] = "47%".into();
    assert!(!schema.is_valid(&broken));
    let mut broken = v.clone();
    broken["questions"][0]["by"][0]["base_flag"] = "tiny".into();
    assert!(!schema.is_valid(&broken));
    v["questions"][0]["by"][0]["base_flag"] = "under_30".into();
    assert!(schema.is_valid(&v));
}
