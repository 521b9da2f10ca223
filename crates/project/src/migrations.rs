//! Migrations on disk (`<dir>/<database>/<version>_<name>/{up,down}.sql`) and which of them a
//! `migrate apply` runs, in which direction, given what the database has applied.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// One migration directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: u64,
    pub name: String,
    pub dir: PathBuf,
    /// The SQL of `up.sql` (`None`: absent or empty, as the Hasura CLI treats it).
    pub up: Option<String>,
    pub down: Option<String>,
}

/// The migrations of one database, oldest first.
pub fn scan(dir: &Path) -> anyhow::Result<Vec<Migration>> {
    if !dir.is_dir() {
        bail!(
            "expected to find a migrations directory at {}, but it does not exist",
            dir.display()
        );
    }
    let mut out: Vec<Migration> = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        if !entry.path().is_dir() {
            continue;
        }
        let file_name = entry.file_name().to_string_lossy().to_string();
        let Some((version, name)) = parse_dir_name(&file_name) else {
            continue;
        };
        let read = |f: &str| -> anyhow::Result<Option<String>> {
            let p = entry.path().join(f);
            if !p.exists() {
                return Ok(None);
            }
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            Ok((!text.is_empty()).then_some(text))
        };
        let m = Migration {
            version,
            name: name.to_string(),
            dir: entry.path(),
            up: read("up.sql")?,
            down: read("down.sql")?,
        };
        if m.up.is_none() && m.down.is_none() {
            continue;
        }
        if let Some(other) = out.iter().find(|o| o.version == version) {
            bail!(
                "two migrations have version {version}: {} and {}",
                other.dir.display(),
                m.dir.display()
            );
        }
        out.push(m);
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}

/// `<version>_<name>` (digits, underscore, anything).
pub fn parse_dir_name(s: &str) -> Option<(u64, &str)> {
    let (v, name) = s.split_once('_')?;
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((v.parse().ok()?, name))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// What `migrate apply` was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `--up N` (`None`: all).
    Up(Option<usize>),
    /// `--down N` (`None`: all).
    Down(Option<usize>),
    /// `--goto V`.
    Goto(u64),
    /// `--version V --type up|down`.
    Version(u64, Direction),
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub version: u64,
    pub name: String,
    pub direction: Direction,
    /// The SQL to run (`None`: nothing to run, the state changes only).
    pub sql: Option<String>,
    /// Run statement by statement outside a transaction (the file is marked so).
    pub no_transaction: bool,
}

/// Whether SQL opts out of the transaction: its first line is `-- hasura:no-transaction`
/// (the Hasura CLI's marker; surrounding spaces and a CRLF ending allowed).
pub fn marked_no_transaction(sql: &str) -> bool {
    let head = &sql.as_bytes()[..sql.len().min(256)];
    let head = String::from_utf8_lossy(head);
    head.lines().next().map(str::trim) == Some("-- hasura:no-transaction")
}

/// The steps `target` takes from the `applied` versions (each with its dirty flag).
pub fn plan(
    migrations: &[Migration],
    applied: &BTreeMap<u64, bool>,
    target: Target,
) -> anyhow::Result<Vec<Step>> {
    if let Some((v, _)) = applied.iter().find(|(_, dirty)| **dirty) {
        bail!("Dirty database version {v}. Fix and force version.");
    }
    let by_version = |v: u64| migrations.iter().find(|m| m.version == v);
    let up = |m: &Migration| Step {
        version: m.version,
        name: m.name.clone(),
        direction: Direction::Up,
        no_transaction: m.up.as_deref().is_some_and(marked_no_transaction),
        sql: m.up.clone(),
    };
    let down = |v: u64| -> anyhow::Result<Step> {
        let Some(m) = by_version(v) else {
            bail!("{v} down migration not found");
        };
        Ok(Step {
            version: v,
            name: m.name.clone(),
            direction: Direction::Down,
            no_transaction: m.down.as_deref().is_some_and(marked_no_transaction),
            sql: m.down.clone(),
        })
    };
    let pending = migrations
        .iter()
        .filter(|m| !applied.contains_key(&m.version));
    let applied_desc = applied.keys().rev().copied();
    Ok(match target {
        Target::Up(n) => pending.take(n.unwrap_or(usize::MAX)).map(up).collect(),
        Target::Down(n) => applied_desc
            .take(n.unwrap_or(usize::MAX))
            .map(down)
            .collect::<anyhow::Result<_>>()?,
        Target::Goto(v) => {
            if by_version(v).is_none() {
                bail!("version {v} is not a migration of this directory");
            }
            let mut steps: Vec<Step> = applied_desc
                .filter(|a| *a > v)
                .map(down)
                .collect::<anyhow::Result<_>>()?;
            steps.extend(pending.filter(|m| m.version <= v).map(up));
            steps
        }
        Target::Version(v, dir) => {
            let Some(m) = by_version(v) else {
                bail!("version {v} is not a migration of this directory");
            };
            match (dir, applied.contains_key(&v)) {
                (Direction::Up, true) => bail!("Version already applied in database"),
                (Direction::Down, false) => bail!("Migration not applied in database"),
                (Direction::Up, false) => vec![up(m)],
                (Direction::Down, true) => vec![down(v)?],
            }
        }
    })
}

/// A new migration's version: milliseconds since the epoch, as the Hasura CLI makes them.
pub fn new_version() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(version: u64, down: bool) -> Migration {
        Migration {
            version,
            name: format!("m{version}"),
            dir: PathBuf::from(format!("{version}_m{version}")),
            up: Some(format!("up {version}")),
            down: down.then(|| format!("down {version}")),
        }
    }

    fn versions(steps: &[Step]) -> Vec<(u64, &'static str)> {
        steps
            .iter()
            .map(|s| (s.version, s.direction.as_str()))
            .collect()
    }

    #[test]
    fn up_down_goto_and_version() {
        let ms = vec![m(1, true), m(2, true), m(3, false)];
        let applied: BTreeMap<u64, bool> = [(1, false)].into();
        assert_eq!(
            versions(&plan(&ms, &applied, Target::Up(None)).unwrap()),
            [(2, "up"), (3, "up")]
        );
        assert_eq!(
            versions(&plan(&ms, &applied, Target::Up(Some(1))).unwrap()),
            [(2, "up")]
        );
        let all: BTreeMap<u64, bool> = [(1, false), (2, false), (3, false)].into();
        assert!(plan(&ms, &all, Target::Up(None)).unwrap().is_empty());
        let two = plan(&ms, &all, Target::Down(Some(2))).unwrap();
        assert_eq!(versions(&two), [(3, "down"), (2, "down")]);
        // 3 has no down.sql: its step runs nothing and only forgets the version.
        assert_eq!(two[0].sql, None);
        assert_eq!(
            versions(&plan(&ms, &all, Target::Goto(1)).unwrap()),
            [(3, "down"), (2, "down")]
        );
        assert_eq!(
            versions(&plan(&ms, &applied, Target::Goto(2)).unwrap()),
            [(2, "up")]
        );
        assert_eq!(
            plan(&ms, &all, Target::Version(2, Direction::Up))
                .unwrap_err()
                .to_string(),
            "Version already applied in database"
        );
        assert_eq!(
            plan(&ms, &applied, Target::Version(2, Direction::Down))
                .unwrap_err()
                .to_string(),
            "Migration not applied in database"
        );
    }

    #[test]
    fn a_dirty_state_and_unknown_versions_are_refused() {
        let ms = vec![m(1, true)];
        let dirty: BTreeMap<u64, bool> = [(1, true)].into();
        assert!(plan(&ms, &dirty, Target::Up(None))
            .unwrap_err()
            .to_string()
            .starts_with("Dirty database version 1"));
        let foreign: BTreeMap<u64, bool> = [(9, false)].into();
        assert_eq!(
            plan(&ms, &foreign, Target::Down(None))
                .unwrap_err()
                .to_string(),
            "9 down migration not found"
        );
    }

    #[test]
    fn the_no_transaction_marker_is_the_first_line_exactly() {
        assert!(marked_no_transaction(
            "  -- hasura:no-transaction  \r\nCREATE INDEX CONCURRENTLY i ON t (a);"
        ));
        assert!(!marked_no_transaction("--hasura:no-transaction\nSELECT 1;"));
        assert!(!marked_no_transaction(
            "-- hasura:no-transaction please\nSELECT 1;"
        ));
        assert!(!marked_no_transaction(
            "SELECT 1;\n-- hasura:no-transaction\n"
        ));
    }

    #[test]
    fn scan_reads_directories_and_skips_empty_ones() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (name, up, down) in [
            ("20_second", "b", ""),
            ("10_first", "a", "undo a"),
            ("30_empty", "", ""),
            ("notes", "x", "x"),
        ] {
            std::fs::create_dir_all(d.join(name)).unwrap();
            std::fs::write(d.join(name).join("up.sql"), up).unwrap();
            std::fs::write(d.join(name).join("down.sql"), down).unwrap();
        }
        let ms = scan(d).unwrap();
        assert_eq!(
            ms.iter()
                .map(|m| (m.version, m.name.as_str()))
                .collect::<Vec<_>>(),
            [(10, "first"), (20, "second")]
        );
        assert_eq!(ms[1].down, None);
        assert_eq!(ms[0].down.as_deref(), Some("undo a"));
    }
}
