//! Summaries of the results: per-folder console lines, totals and the markdown report.

use crate::compare::{truncate, Verdict};
use crate::runner::{FolderResult, Run};

/// Width of a failure reason in console and markdown output.
const REASON_CHARS: usize = 200;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    /// Passed files whose error bodies differ in message or code (included in `passed`).
    pub soft: usize,
    /// Test files upstream expects to fail that did fail (in neither count).
    pub xfail: usize,
    /// Failed files on the list of known failures (included in `failed`).
    pub known: usize,
    /// Passed files still on the list of known failures (included in `passed`).
    pub fixed: usize,
}

impl Totals {
    /// Passed over counted files; 1 when nothing was counted.
    pub fn pass_rate(&self) -> f64 {
        let total = self.passed + self.failed;
        if total == 0 {
            1.0
        } else {
            self.passed as f64 / total as f64
        }
    }
}

pub fn folder_totals(r: &FolderResult) -> Totals {
    let mut t = Totals::default();
    for f in &r.files {
        match f.verdict {
            Verdict::Pass => t.passed += 1,
            Verdict::Soft(_) => {
                t.passed += 1;
                t.soft += 1;
            }
            Verdict::Fail(_) if f.expected_failure => t.xfail += 1,
            Verdict::Fail(_) => t.failed += 1,
        }
        match (&f.verdict, f.known) {
            (Verdict::Fail(_), Some(_)) if !f.expected_failure => t.known += 1,
            (Verdict::Pass | Verdict::Soft(_), Some(_)) => t.fixed += 1,
            _ => {}
        }
    }
    t
}

pub fn totals(results: &[FolderResult]) -> Totals {
    results
        .iter()
        .map(folder_totals)
        .fold(Totals::default(), |a, b| Totals {
            passed: a.passed + b.passed,
            failed: a.failed + b.failed,
            soft: a.soft + b.soft,
            xfail: a.xfail + b.xfail,
            known: a.known + b.known,
            fixed: a.fixed + b.fixed,
        })
}

/// The folder's summary line, followed by per-file lines (setup-only runs always list every
/// file; test runs list failing and soft files with `verbose`).
pub fn folder_lines(r: &FolderResult, run: Run, verbose: bool) -> Vec<String> {
    let t = folder_totals(r);
    let mut state = String::from(if r.setup_ok {
        "setup ok"
    } else {
        "setup failed"
    });
    if t.soft > 0 {
        state += &format!(", {} soft", t.soft);
    }
    if t.xfail > 0 {
        state += &format!(", {} expected failure", t.xfail);
    }
    if t.known > 0 {
        state += &format!(", {} known failures", t.known);
    }
    if t.fixed > 0 {
        state += &format!(", {} known failures now pass", t.fixed);
    }
    if !r.warnings.is_empty() {
        state += &format!(", {} warnings", r.warnings.len());
    }
    let mut lines = vec![format!(
        "{}: {} passed, {} failed ({state})",
        r.dir, t.passed, t.failed
    )];
    for f in &r.files {
        let line = match (&f.verdict, run) {
            (Verdict::Pass, Run::SetupOnly) => format!("  {}: accepted", f.name),
            (Verdict::Fail(body), Run::SetupOnly) => {
                let known = if f.known_broken {
                    " (known broken)"
                } else {
                    ""
                };
                let body = if verbose { body.clone() } else { reason(body) };
                format!("  {}: refused{known}: {body}", f.name)
            }
            (Verdict::Fail(why), Run::Tests) if verbose || f.unexpected_failure() => {
                format!("  {}: {}", f.name, reason(why))
            }
            (Verdict::Pass | Verdict::Soft(_), _) if f.known.is_some() => format!(
                "  {}: passes but is listed in crates/conformance/known-failures.txt",
                f.name
            ),
            (Verdict::Soft(why), Run::Tests) if verbose => {
                format!("  {}: soft: {}", f.name, reason(why))
            }
            _ => continue,
        };
        lines.push(line);
    }
    if verbose {
        lines.extend(
            r.warnings
                .iter()
                .map(|w| format!("  warning: {}", reason(w))),
        );
    }
    lines
}

/// A one-line reason of bounded length.
fn reason(text: &str) -> String {
    truncate(&text.replace('\n', " "), REASON_CHARS)
}

/// The markdown report: a folder table, then failing files, soft mismatches and warnings.
pub fn markdown(results: &[FolderResult], run: Run) -> String {
    let t = totals(results);
    let what = match run {
        Run::Tests => "test files",
        Run::SetupOnly => "setup and teardown files (`--setup-only`)",
    };
    let mut out = String::from("# Rasura conformance report\n\n");
    out += "Corpus: Hasura's recorded cases in `../shared/conformance`. ";
    out += &format!(
        "Counted: {what}. Only the http transport is run; websocket runs are not counted.\n\n"
    );
    out += "| Folder | Passed | Failed | of them known |\n| --- | ---: | ---: | ---: |\n";
    for r in results {
        let ft = folder_totals(r);
        out += &format!(
            "| {} | {} | {} | {} |\n",
            r.dir, ft.passed, ft.failed, ft.known
        );
    }
    out += &format!(
        "| **Total** | **{}** | **{}** | **{}** |\n\n",
        t.passed, t.failed, t.known
    );
    out += &format!(
        "{} passed, {} failed ({} soft: error bodies that differ only in message or code).\n",
        t.passed, t.failed, t.soft
    );
    section(&mut out, "Failing files", results, |v| match v {
        Verdict::Fail(why) => Some(why),
        _ => None,
    });
    section(&mut out, "Soft mismatches", results, |v| match v {
        Verdict::Soft(why) => Some(why),
        _ => None,
    });
    let warnings: Vec<String> = results
        .iter()
        .flat_map(|r| {
            r.warnings
                .iter()
                .map(move |w| format!("- `{}`: {}\n", r.dir, reason(w)))
        })
        .collect();
    if !warnings.is_empty() {
        out += "\n## Warnings\n\n";
        out.extend(warnings);
    }
    out
}

fn section(
    out: &mut String,
    title: &str,
    results: &[FolderResult],
    pick: impl Fn(&Verdict) -> Option<&String>,
) {
    let mut items = String::new();
    for r in results {
        for f in &r.files {
            if let Some(why) = pick(&f.verdict) {
                let known = if f.known_broken {
                    " (known broken)".to_string()
                } else if f.expected_failure {
                    " (expected failure upstream; not counted)".to_string()
                } else if let Some(cause) = f.known {
                    format!(" (known: {cause})")
                } else {
                    String::new()
                };
                items += &format!("- `{}/{}`{known}: {}\n", r.dir, f.name, reason(why));
            }
        }
    }
    if !items.is_empty() {
        *out += &format!("\n## {title}\n\n{items}");
    }
}
