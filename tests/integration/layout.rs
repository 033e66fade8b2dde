//! The house rules that can be read off the source: data flows one way (no import cycle
//! among the crate's modules) and the library's errors are typed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The crate's top-level modules (a folder or a file of `src/`) and the top-level modules
/// each one uses, by `crate::name` paths and `use crate::{a, b::c}` groups (test code left
/// out: a `#[cfg(test)]` module may reach anywhere).
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = super::root().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    collect(&src, &mut files);
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_string();
        if matches!(top.as_str(), "main" | "cmd" | "lib" | "cross_check") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let uses = graph.entry(top.clone()).or_default();
        for name in crate_paths(code) {
            if name != top {
                uses.insert(name);
            }
        }
    }
    graph
}

/// The first component of every `crate::…` path in `code`, braces included.
fn crate_paths(code: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        if let Some(group) = rest.strip_prefix('{') {
            // Names at the group's own depth: `a`, `b` of `{a, b::{c, d}}`.
            let (mut depth, mut start) = (0, true);
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start && depth == 0 => {
                        out.push(ident(&group[j..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out.retain(|n| !n.is_empty());
    out
}

/// The layers of the crate, lowest first: a module uses only modules below it.
const LAYERS: [&str; 15] = [
    "error",
    "text",
    "stats",
    "locale",
    "codebook",
    "results",
    "load",
    "plan",
    "tally",
    "pipeline",
    "estimate",
    "render",
    "warehouse",
    "validate",
    "tools",
];

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_point_down_the_layers_the_folders_show() {
    let graph = module_graph();
    let modules: BTreeSet<&str> = graph.keys().map(String::as_str).collect();
    let layers: BTreeSet<&str> = LAYERS.into_iter().collect();
    assert_eq!(
        modules, layers,
        "src/ holds modules the layers do not place, or the reverse"
    );
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    for (module, uses) in &graph {
        for used in uses {
            let below = match (rank(module), rank(used)) {
                (Some(a), Some(b)) => b < a,
                _ => false,
            };
            assert!(
                below,
                "{module} imports {used}, which is not below it: {LAYERS:?}"
            );
        }
    }
    // The bottom of the crate depends on nothing of it; the estimation not on the SQL.
    for leaf in ["error", "text", "stats"] {
        assert_eq!(
            graph[leaf],
            BTreeSet::new(),
            "{leaf} imports {:?}",
            graph[leaf]
        );
    }
    assert!(!graph["estimate"].contains("warehouse"));
}

#[test]
fn use_groups_count_as_imports() {
    let found = crate_paths(
        "use crate::{plan::Plan, tally::{pass, design}};\nlet x = crate::text::visible(y);",
    );
    assert_eq!(found, ["plan", "tally", "text"]);
}

#[test]
fn the_readme_layout_names_every_module() {
    let readme = std::fs::read_to_string(super::root().join("README.md")).unwrap();
    let layout = readme.split("## Layout").nth(1).unwrap();
    let layout = layout.split("\n## ").next().unwrap();
    let mut files = Vec::new();
    let src = super::root().join("src");
    collect(&src, &mut files);
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        // A folder's mod.rs is its folder; every other file is named as it is.
        let wanted = match name.as_str() {
            "mod.rs" => format!(
                "{}/",
                rel.trim_end_matches("/mod.rs").rsplit('/').next().unwrap()
            ),
            _ => name.clone(),
        };
        assert!(
            layout.contains(&wanted),
            "README's layout does not name {rel} (as '{wanted}')"
        );
    }
}

#[test]
fn the_library_reports_typed_errors() {
    let mut files = Vec::new();
    collect(&super::root().join("src"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("anyhow"),
            "{} uses anyhow; library errors are concerns::Error",
            file.display()
        );
    }
}

/// Functions of `src/` (test modules left out) longer than `limit` lines, with whether the
/// comment above says why it stays whole: (file, name, lines, explained).
fn long_functions(limit: usize) -> Vec<(String, String, usize, bool)> {
    let src = super::root().join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let lines: Vec<&str> = code.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let indent = line.len() - line.trim_start().len();
            let rest = line.trim_start();
            let rest = ["pub(crate) ", "pub(super) ", "pub "]
                .iter()
                .fold(rest, |r, p| r.strip_prefix(p).unwrap_or(r));
            let Some(name) = rest.strip_prefix("fn ") else {
                continue;
            };
            let name: String = name
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // The body ends at the first line holding only `}` at the signature's indent.
            let close = format!("{}}}", " ".repeat(indent));
            let Some(end) = lines[i..].iter().position(|l| *l == close) else {
                continue;
            };
            let length = end + 1;
            if length > limit {
                let above: Vec<&str> = lines[..i]
                    .iter()
                    .rev()
                    .take_while(|l| {
                        l.trim_start().starts_with("//") || l.trim_start().starts_with("#[")
                    })
                    .copied()
                    .collect();
                let explained = above.iter().any(|l| l.contains("stays whole"));
                let rel = file.strip_prefix(&src).unwrap().display().to_string();
                out.push((rel, name, length, explained));
            }
        }
    }
    out
}

#[test]
fn functions_fit_in_a_readers_head() {
    let long = long_functions(80);
    let unexplained: Vec<_> = long.iter().filter(|f| !f.3).collect();
    assert!(
        unexplained.is_empty(),
        "functions over 80 lines without a comment saying why each stays whole: {unexplained:#?}"
    );
    assert!(
        long.len() <= 3,
        "at most 3 functions over 80 lines: {long:#?}"
    );
    // The counter finds what it should: the hot loops that stay whole.
    let names: Vec<&str> = long.iter().map(|f| f.1.as_str()).collect();
    assert!(names.contains(&"eval"), "{long:?}");
}
