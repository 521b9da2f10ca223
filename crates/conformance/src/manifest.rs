//! The run plans (`conformance/hasura-manifest.yaml` and `hasura-manifest-part2.yaml`): folders,
//! fixture classes and test files, the settings and database objects a folder needs, and the
//! committed list of files known to fail until the features they need are built.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Setup or teardown files that are known to be refused (`<folder>/<file>`), see the corpus README.
pub const KNOWN_BROKEN: &[&str] = &["graphql_mutation/update/basic/schema_teardown.yaml"];

/// Test files upstream marks as expected failures (`<folder>/<file>`): their recorded response
/// cannot be produced (this one declares `[String]` for a `_text` column and expects
/// `returning` as an object). Reported as expected failures, not counted as failed.
pub const EXPECTED_FAILURES: &[&str] =
    &["graphql_mutation/insert/basic/insert_into_array_col_with_array_input.yaml"];

/// The manifests, in run order: folders are numbered across both.
pub const MANIFESTS: &[&str] = &["hasura-manifest.yaml", "hasura-manifest-part2.yaml"];

/// Files that fail until a feature is built (`<folder>/<file>  # cause`), one per line.
const KNOWN_FAILURES: &str = include_str!("../known-failures.txt");

/// The known failures of `KNOWN_FAILURES`: (`<folder>/<file>`, cause).
pub fn known_failures() -> Vec<(&'static str, &'static str)> {
    KNOWN_FAILURES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('#') {
            Some((path, cause)) => (path.trim(), cause.trim()),
            None => (l, ""),
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct Manifest {
    pub folders: Vec<Folder>,
}

/// One folder under `hasura/`, e.g. `graphql_query/basic`.
#[derive(Debug, Deserialize)]
pub struct Folder {
    pub dir: String,
    pub mode: Mode,
    /// What the database needs before the setup: extensions (`postgis`, `ltree`, ...) and
    /// schemas (`schema:hge_tests`).
    #[serde(default)]
    pub requires: Vec<String>,
    /// Settings the engine starts with (`NAME=value`, Hasura's environment variables).
    #[serde(default)]
    pub server_env: Vec<String>,
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
    /// `setup` before every test file, `teardown` after it.
    Method,
}

/// A setup or teardown file, with the endpoint it goes to (`/v1/query` unless given).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum FixtureFile {
    Name(String),
    WithUrl { file: String, url: String },
}

impl FixtureFile {
    pub fn file(&self) -> &str {
        match self {
            FixtureFile::Name(f) | FixtureFile::WithUrl { file: f, .. } => f,
        }
    }

    pub fn url(&self) -> &str {
        match self {
            FixtureFile::Name(_) => "/v1/query",
            FixtureFile::WithUrl { url, .. } => url,
        }
    }
}

/// An upstream test class: its fixture files (relative to the folder) and its tests.
#[derive(Debug, Deserialize)]
pub struct Class {
    pub name: String,
    #[serde(default)]
    pub setup: Vec<FixtureFile>,
    #[serde(default)]
    pub teardown: Vec<FixtureFile>,
    #[serde(default)]
    pub schema_setup: Vec<FixtureFile>,
    #[serde(default)]
    pub schema_teardown: Vec<FixtureFile>,
    #[serde(default)]
    pub values_setup: Vec<FixtureFile>,
    #[serde(default)]
    pub values_teardown: Vec<FixtureFile>,
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
    pub before_class: &'a [FixtureFile],
    /// Posted before every test.
    pub before_test: &'a [FixtureFile],
    /// Posted after every test.
    pub after_test: &'a [FixtureFile],
    /// Posted once after the class's tests.
    pub after_class: &'a [FixtureFile],
}

impl Fixture<'_> {
    /// Every fixture file, in run order.
    pub fn files(&self) -> impl Iterator<Item = &FixtureFile> {
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
            Mode::Method => Fixture {
                before_class: &[],
                before_test: &self.setup,
                after_test: &self.teardown,
                after_class: &[],
            },
        }
    }

    /// The fixture keys that do not belong to `mode` but are set anyway.
    fn stray_keys(&self, mode: Mode) -> Vec<&'static str> {
        let class_like = |m: Mode| m == Mode::Class || m == Mode::Method;
        let keys: [(&str, &Vec<FixtureFile>, bool); 6] = [
            ("setup", &self.setup, class_like(mode)),
            ("teardown", &self.teardown, class_like(mode)),
            ("schema_setup", &self.schema_setup, mode == Mode::Mutation),
            (
                "schema_teardown",
                &self.schema_teardown,
                mode == Mode::Mutation,
            ),
            ("values_setup", &self.values_setup, mode == Mode::Mutation),
            (
                "values_teardown",
                &self.values_teardown,
                mode == Mode::Mutation,
            ),
        ];
        keys.iter()
            .filter(|(_, files, allowed)| !*allowed && !files.is_empty())
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

    /// Why `file` is on the committed list of known failures, if it is.
    pub fn known_failure(&self, file: &str) -> Option<&'static str> {
        let path = format!("{}/{file}", self.dir);
        known_failures()
            .into_iter()
            .find(|(p, _)| *p == path)
            .map(|(_, cause)| cause)
    }

    /// The `schema:<name>` entries of `requires`.
    pub fn required_schemas(&self) -> impl Iterator<Item = &str> {
        self.requires
            .iter()
            .filter_map(|r| r.strip_prefix("schema:"))
    }

    /// The extensions of `requires`.
    pub fn required_extensions(&self) -> impl Iterator<Item = &str> {
        self.requires
            .iter()
            .filter(|r| !r.starts_with("schema:"))
            .map(String::as_str)
    }

    /// `server_env` as (name, value) pairs.
    pub fn env(&self) -> Vec<(String, String)> {
        self.server_env
            .iter()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

/// Reads the manifests in `dir` that exist (part 1 must), folders in manifest order.
pub fn load_all(dir: &Path) -> Result<Manifest, String> {
    let mut folders = vec![];
    for (i, name) in MANIFESTS.iter().enumerate() {
        let path = dir.join(name);
        if i > 0 && !path.is_file() {
            continue;
        }
        folders.extend(load(&path)?.folders);
    }
    Ok(Manifest { folders })
}

/// Reads one manifest and checks that each class uses only its mode's fixture keys.
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
        let manifest = load_all(&dir).unwrap();
        let corpus = dir.join("hasura");
        let mut cases = 0;
        for folder in &manifest.folders {
            for class in &folder.classes {
                for file in class.fixture(folder.mode).files() {
                    let body = yaml::load(&folder.path(&corpus).join(file.file())).unwrap();
                    assert!(body.get("type").is_some(), "{}/{file:?}", folder.dir);
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
        // Every known failure names a file of the plan.
        for (path, _) in known_failures() {
            let listed = manifest.folders.iter().any(|f| {
                f.classes.iter().any(|c| {
                    let file = |name: &str| path == format!("{}/{name}", f.dir);
                    c.tests.iter().any(|t| file(&t.file))
                        || c.fixture(f.mode).files().any(|x| file(x.file()))
                })
            });
            assert!(listed, "known failure {path} is not in the manifests");
        }
    }

    #[test]
    fn fixture_entries_name_their_endpoint() {
        let class: Class = yaml_serde::from_str(
            "name: c\nsetup:\n- setup.yaml\n- {file: s.yaml, url: /v1/metadata}\n",
        )
        .unwrap();
        assert_eq!(class.setup[0].url(), "/v1/query");
        assert_eq!(class.setup[1].file(), "s.yaml");
        assert_eq!(class.setup[1].url(), "/v1/metadata");
        let f = class.fixture(Mode::Method);
        assert_eq!(f.before_test.len(), 2);
        assert!(f.before_class.is_empty());
    }
}
