//! `metadata diff`'s report: for each file of the layout that differs, its path and the changed
//! lines as a unified diff (`-` the engine's side, `+` the project's).

use similar::TextDiff;

use crate::layout::File;

/// The report of every file that differs between `from` and `to` (empty when none does).
pub fn files(from: &[File], to: &[File]) -> String {
    let mut paths: Vec<&std::path::Path> = from.iter().map(|f| f.path.as_path()).collect();
    for f in to {
        if !paths.contains(&f.path.as_path()) {
            paths.push(&f.path);
        }
    }
    let text_of = |side: &[File], p: &std::path::Path| {
        side.iter()
            .find(|f| f.path == p)
            .map(|f| f.text.clone())
            .unwrap_or_default()
    };
    let mut out = String::new();
    for p in paths {
        let (a, b) = (text_of(from, p), text_of(to, p));
        if a == b {
            continue;
        }
        let name = p.display().to_string();
        let diff = TextDiff::from_lines(&a, &b);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(2)
                .header(&name, &name)
                .to_string(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(path: &str, text: &str) -> File {
        File {
            path: path.into(),
            text: text.into(),
        }
    }

    #[test]
    fn only_changed_files_are_reported() {
        let from = [f("a.yaml", "x: 1\ny: 2\n"), f("same.yaml", "s\n")];
        let to = [
            f("a.yaml", "x: 1\ny: 3\n"),
            f("same.yaml", "s\n"),
            f("new.yaml", "n\n"),
        ];
        let out = files(&from, &to);
        assert!(out.contains("--- a.yaml\n+++ a.yaml\n"), "{out}");
        assert!(out.contains("-y: 2\n+y: 3\n"), "{out}");
        assert!(out.contains("+++ new.yaml\n"), "{out}");
        assert!(!out.contains("same.yaml"), "{out}");
        assert_eq!(files(&from, &from), "");
    }
}
