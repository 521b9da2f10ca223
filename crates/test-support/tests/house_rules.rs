//! The house rules of the workspace, checked on its sources: no circle of files within a crate,
//! no crate over 4,000 lines, every Rust file opening with `//!`, a README per crate.
//!
//! A file depends on another when it names an item of it (`crate::a::b`, `super::x`,
//! `self::x`, or a child module by its bare name). Re-exports (`pub use`) are a module's public
//! surface, not a dependency, and test modules (from the first `#[cfg(test)]`) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The longest a crate's `src` may be, in lines.
const MAX_CRATE_LINES: usize = 4_000;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn crates() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(workspace().join("crates"))
        .expect("crates/ is readable")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    out.sort();
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.expect("a directory entry").path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target") {
                rust_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

type ModPath = Vec<String>;

/// The module a file under `src` defines.
fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("");
    let mut parts: ModPath = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|l| matches!(l.as_str(), "lib" | "main" | "mod"))
    {
        parts.pop();
    }
    parts
}

/// The code that counts: comments, re-exports and test modules removed.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let mut out = String::new();
    let mut in_reexport = false;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let trimmed = code.trim_start();
        if trimmed.starts_with("pub use ") || trimmed.starts_with("pub(crate) use ") {
            in_reexport = true;
        }
        if !in_reexport {
            out.push_str(code);
            out.push('\n');
        }
        if in_reexport && code.contains(';') {
            in_reexport = false;
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths a use-tree or expression path names, from `s` (just past a `::`).
fn paths_after(s: &str, prefix: &ModPath, out: &mut Vec<ModPath>) -> usize {
    let s_chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut path = prefix.clone();
    loop {
        if s_chars.get(i) == Some(&'{') {
            // A group: each member extends the path so far.
            i += 1;
            loop {
                while s_chars
                    .get(i)
                    .is_some_and(|c| c.is_whitespace() || *c == ',')
                {
                    i += 1;
                }
                match s_chars.get(i) {
                    None => return i,
                    Some('}') => return i + 1,
                    _ => {
                        let rest: String = s_chars[i..].iter().collect();
                        i += paths_after(&rest, &path, out);
                    }
                }
            }
        }
        let start = i;
        while s_chars.get(i).copied().is_some_and(is_ident_char) {
            i += 1;
        }
        if i == start {
            out.push(path);
            return i;
        }
        let seg: String = s_chars[start..i].iter().collect();
        if seg != "self" {
            path.push(seg);
        }
        if s_chars.get(i) == Some(&':') && s_chars.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            out.push(path);
            return i;
        }
    }
}

/// The module paths a file's code names.
fn named_paths(code: &str, here: &ModPath) -> Vec<ModPath> {
    let mut out = vec![];
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    for (k, &(pos, _)) in chars.iter().enumerate() {
        let before = if k == 0 { None } else { Some(chars[k - 1].1) };
        if before.is_some_and(|c| is_ident_char(c) || c == ':') {
            continue;
        }
        let rest = &code[pos..];
        let word_end = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
        let word = &rest[..word_end];
        if word.is_empty() || !rest[word_end..].starts_with("::") {
            continue;
        }
        let mut base: ModPath = match word {
            "crate" => vec![],
            "self" => here.clone(),
            "super" => here[..here.len().saturating_sub(1)].to_vec(),
            other => {
                let mut p = here.clone();
                p.push(other.to_string());
                p
            }
        };
        let mut after = &rest[word_end + 2..];
        while let Some(r) = after.strip_prefix("super::") {
            base.pop();
            after = r;
        }
        paths_after(after, &base, &mut out);
    }
    out
}

/// The crate's module graph: each module and the other modules its file names.
fn module_graph(src: &Path) -> BTreeMap<ModPath, BTreeSet<ModPath>> {
    let mut files = vec![];
    rust_files(src, &mut files);
    let modules: BTreeMap<ModPath, PathBuf> = files
        .iter()
        .map(|f| (module_of(src, f), f.clone()))
        .collect();
    let mut graph = BTreeMap::new();
    for (m, file) in &modules {
        let text = std::fs::read_to_string(file).expect("readable source");
        let mut deps = BTreeSet::new();
        for p in named_paths(&code_of(&text), m) {
            // The longest prefix that is a module file.
            let target = (0..=p.len())
                .rev()
                .map(|n| p[..n].to_vec())
                .find(|q| modules.contains_key(q));
            if let Some(t) = target.filter(|t| t != m) {
                deps.insert(t);
            }
        }
        graph.insert(m.clone(), deps);
    }
    graph
}

/// The circles of a graph (strongly connected parts of more than one module).
fn circles(graph: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<ModPath>> {
    // Kosaraju: order by finish time, then collect on the reversed graph.
    fn visit(
        n: &ModPath,
        g: &BTreeMap<ModPath, BTreeSet<ModPath>>,
        seen: &mut BTreeSet<ModPath>,
        out: &mut Vec<ModPath>,
    ) {
        if !seen.insert(n.clone()) {
            return;
        }
        for m in g.get(n).into_iter().flatten() {
            visit(m, g, seen, out);
        }
        out.push(n.clone());
    }
    let mut order = vec![];
    let mut seen = BTreeSet::new();
    for n in graph.keys() {
        visit(n, graph, &mut seen, &mut order);
    }
    let mut reversed: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (n, deps) in graph {
        for d in deps {
            reversed.entry(d.clone()).or_default().insert(n.clone());
        }
    }
    let mut seen = BTreeSet::new();
    let mut out = vec![];
    for n in order.iter().rev() {
        let mut part = vec![];
        visit(n, &reversed, &mut seen, &mut part);
        if part.len() > 1 {
            part.sort();
            out.push(part);
        }
    }
    out
}

fn show(m: &ModPath) -> String {
    if m.is_empty() {
        "<root>".to_string()
    } else {
        m.join("::")
    }
}

#[test]
fn no_circle_of_files_in_any_crate() {
    let mut found = vec![];
    for c in crates() {
        for part in circles(&module_graph(&c.join("src"))) {
            let names: Vec<String> = part.iter().map(show).collect();
            found.push(format!("{}: {}", c.display(), names.join(", ")));
        }
    }
    assert!(found.is_empty(), "circles of files:\n{}", found.join("\n"));
}

#[test]
fn no_crate_over_the_line_limit() {
    let mut over = vec![];
    for c in crates() {
        let mut files = vec![];
        rust_files(&c.join("src"), &mut files);
        let lines: usize = files
            .iter()
            .map(|f| {
                std::fs::read_to_string(f)
                    .expect("readable")
                    .lines()
                    .count()
            })
            .sum();
        if lines > MAX_CRATE_LINES {
            over.push(format!("{}: {lines} lines", c.display()));
        }
    }
    assert!(
        over.is_empty(),
        "crates over {MAX_CRATE_LINES} lines: {over:?}"
    );
}

#[test]
fn every_rust_file_opens_with_its_purpose_and_every_crate_has_a_readme() {
    let mut missing = vec![];
    for c in crates() {
        if !c.join("README.md").is_file() {
            missing.push(format!("{}: no README.md", c.display()));
        }
        let mut files = vec![];
        rust_files(&c, &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).expect("readable");
            if !text.starts_with("//!") {
                missing.push(format!("{}: no `//!` line", f.display()));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_checker_sees_a_circle() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let src = dir.path();
    std::fs::write(src.join("lib.rs"), "//! x\nmod a;\nmod b;\npub use a::A;\n").unwrap();
    std::fs::write(
        src.join("a.rs"),
        "//! a\nuse crate::b::B;\npub struct A(B);\n",
    )
    .unwrap();
    std::fs::write(
        src.join("b.rs"),
        "//! b\npub struct B;\nfn f() { super::a::g() }\n",
    )
    .unwrap();
    let found = circles(&module_graph(src));
    assert_eq!(
        found,
        vec![vec![vec!["a".to_string()], vec!["b".to_string()]]]
    );
    std::fs::write(src.join("b.rs"), "//! b\npub struct B;\n").unwrap();
    assert!(circles(&module_graph(src)).is_empty());
}
