//! The house rules that can be read off the source: data flows one way (no import cycle
//! among the crate's modules) and the library's errors are typed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The crate's top-level modules and the top-level modules each one uses (test code left
/// out: a `#[cfg(test)]` module may reach anywhere).
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = super::root().join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = Vec::new();
    collect(&src, &mut files);
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let test_only: Vec<String> = lib
        .split("#[cfg(test)]")
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.trim_start();
            rest.strip_prefix("mod ")
                .map(|r| r.trim_end_matches(|c: char| c != ';'))
                .map(|r| r.trim_end_matches(';').trim().to_string())
        })
        .collect();
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
        if matches!(top.as_str(), "main" | "cmd" | "lib") || test_only.contains(&top) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let uses = graph.entry(top.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                uses.insert(name);
            }
        }
    }
    graph
}

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
fn no_module_imports_one_that_imports_it_back() {
    let graph = module_graph();
    assert!(graph.len() > 10, "modules found: {graph:?}");
    // Depth-first search for a path back to the start.
    for start in graph.keys() {
        let mut stack: Vec<Vec<&str>> = vec![vec![start.as_str()]];
        let mut seen = BTreeSet::new();
        while let Some(path) = stack.pop() {
            let last = *path.last().unwrap();
            for next in graph.get(last).into_iter().flatten() {
                assert!(
                    next != start,
                    "import cycle: {} -> {start}",
                    path.join(" -> ")
                );
                if seen.insert(next.as_str()) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push(longer);
                }
            }
        }
    }
    // The bottom of the crate depends on nothing of it.
    for leaf in ["text", "stats", "record", "error"] {
        assert_eq!(
            graph[leaf],
            BTreeSet::new(),
            "{leaf} imports {:?}",
            graph[leaf]
        );
    }
    // Readers know nothing of tabulation; exporters and charts nothing of reading.
    for (module, never) in [
        ("load", ["tabulate", "pipeline", "estimate"]),
        ("export", ["load", "tabulate", "estimate"]),
        ("chart", ["load", "tabulate", "estimate"]),
    ] {
        for n in never {
            assert!(!graph[module].contains(n), "{module} imports {n}");
        }
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
