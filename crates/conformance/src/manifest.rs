//! The run plan in `conformance/hasura-manifest.yaml`: folders, fixture classes and test files.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Setup or teardown files that are known to be refused (`<folder>/<file>`), see the corpus README.
pub const KNOWN_BROKEN: &[&str] = &["graphql_mutation/update/basic/schema_teardown.yaml"];

/// Test files upstream marks as expected failures (`<folder>/<file>`): their recorded response
/// cannot be produced (this one declares `[String]` for a `_text` column and expects
/// `returning` as an object). Reported as expected failures, not counted as failed.
pub const EXPECTED_FAILURES: &[&str] =
    &["graphql_mutation/insert/basic/insert_into_array_col_with_array_input.yaml"];

#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub folders: Vec<Folder>,
}

/// One folder under `hasura/`, e.g. `graphql_query/basic`.
#[derive(Debug, Deserialize)]
pub struct Folder {
    pub dir: String,
    pub mode: Mode,
    /// Database extensions the folder needs, e.g. `postgis`.
    #[serde(default)]
    pub requires: Vec<String>,
    pub classes: Vec<Class>,
}

/// How setup and teardown files wrap the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `setup` once before the class, `teardown` once after.
    Class,
    /// `schema_setup` once; `values_setup`/`values_teardown` around every test; `schema_teardown` last.
    Mutation,
}

/// An upstream test class: its fixture files (relative to the folder) and its tests.
#[derive(Debug, Deserialize)]
pub struct Class {
    pub name: String,
    #[serde(default)]
    pub setup: Vec<String>,
    #[serde(default)]
    pub teardown: Vec<String>,
    #[serde(default)]
    pub schema_setup: Vec<String>,
    #[serde(default)]
    pub schema_teardown: Vec<String>,
    #[serde(default)]
    pub values_setup: Vec<String>,
    #[serde(default)]
    pub values_teardown: Vec<String>,
    #[serde(default)]
    pub tests: Vec<TestRef>,
}

#[derive(Debug, Deserialize)]
pub struct TestRef {
    pub file: String,
    #[serde(default)]
    pub transports: Vec<String>,
}

/// A class's fixture files in the order they run.
pub struct Fixture<'a> {
    /// Posted once before the class's tests.
    pub before_class: &'a [String],
    /// Posted before every test.
    pub before_test: &'a [String],
    /// Posted after every test.
    pub after_test: &'a [String],
    /// Posted once after the class's tests.
    pub after_class: &'a [String],
}

impl Fixture<'_> {
    /// Every fixture file, in run order.
    pub fn files(&self) -> impl Iterator<Item = &String> {
        self.before_class
            .iter()
            .chain(self.before_test)
            .chain(self.after_test)
            .chain(self.after_class)
    }
}

impl Class {
    pub fn fixture(&self, mode: Mode) -> Fixture<'_> {
        match mode {
            Mode::Class => Fixture {
                before_class: &self.setup,
                before_test: &[],
                after_test: &[],
                after_class: &self.teardown,
            },
            Mode::Mutation => Fixture {
                before_class: &self.schema_setup,
                before_test: &self.values_setup,
                after_test: &self.values_teardown,
                after_class: &self.schema_teardown,
            },
        }
    }

    /// The fixture keys that do not belong to `mode` but are set anyway.
    fn stray_keys(&self, mode: Mode) -> Vec<&'static str> {
        let keys: [(&str, &Vec<String>, Mode); 6] = [
            ("setup", &self.setup, Mode::Class),
            ("teardown", &self.teardown, Mode::Class),
            ("schema_setup", &self.schema_setup, Mode::Mutation),
            ("schema_teardown", &self.schema_teardown, Mode::Mutation),
            ("values_setup", &self.values_setup, Mode::Mutation),
            ("values_teardown", &self.values_teardown, Mode::Mutation),
        ];
        keys.iter()
            .filter(|(_, files, m)| *m != mode && !files.is_empty())
            .map(|(k, _, _)| *k)
            .collect()
    }
}

impl TestRef {
    /// Whether the test runs over plain HTTP (a test without transports is HTTP-only upstream).
    pub fn runs_over_http(&self) -> bool {
        self.transports.is_empty() || self.transports.iter().any(|t| t == "http")
    }
}

impl Folder {
    /// Where the folder's files live, given the corpus directory (`conformance/hasura`).
    pub fn path(&self, corpus: &Path) -> PathBuf {
        corpus.join(&self.dir)
    }

    pub fn is_expected_failure(&self, file: &str) -> bool {
        EXPECTED_FAILURES.contains(&format!("{}/{file}", self.dir).as_str())
    }

    pub fn is_known_broken(&self, file: &str) -> bool {
        KNOWN_BROKEN.contains(&format!("{}/{file}", self.dir).as_str())
    }
}

/// Reads the manifest and checks that each class uses only its mode's fixture keys.
pub fn load(path: &Path) -> Result<Manifest, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let manifest: Manifest =
        yaml_serde::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for folder in &manifest.folders {
        for class in &folder.classes {
            let stray = class.stray_keys(folder.mode);
            if !stray.is_empty() {
                return Err(format!(
                    "{}: class {} is in {:?} mode but sets {}",
                    folder.dir,
                    class.name,
                    folder.mode,
                    stray.join(", ")
                ));
            }
        }
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{case, yaml};

    /// The shared corpus (`../shared/conformance` from the repository root), if present.
    fn conformance_dir() -> Option<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
        dir.is_dir().then_some(dir)
    }

    #[test]
    fn every_listed_file_loads() {
        let Some(dir) = conformance_dir() else {
            eprintln!("skipped: ../shared/conformance not found");
            return;
        };
        let manifest = load(&dir.join("hasura-manifest.yaml")).unwrap();
        let corpus = dir.join("hasura");
        let mut cases = 0;
        for folder in &manifest.folders {
            for class in &folder.classes {
                for file in class.fixture(folder.mode).files() {
                    let body = yaml::load(&folder.path(&corpus).join(file)).unwrap();
                    assert!(body.get("type").is_some(), "{}/{file}", folder.dir);
                }
                for test in &class.tests {
                    let doc = yaml::load(&folder.path(&corpus).join(&test.file)).unwrap();
                    cases += case::parse_cases(&doc)
                        .unwrap_or_else(|e| panic!("{}/{}: {e}", folder.dir, test.file))
                        .len();
                }
            }
        }
        assert!(cases > 0);
    }
}
