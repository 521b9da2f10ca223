//! `rasura-conformance`: runs Hasura's recorded conformance corpus (`../shared/conformance`)
//! against a real `rasura` binary and reports, per folder, how many test files pass.

mod case;
mod compare;
mod manifest;
mod report;
mod runner;
mod yaml;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use crate::manifest::Manifest;
use crate::runner::{Env, Run};

#[derive(Debug, Parser)]
#[command(
    name = "rasura-conformance",
    about = "Runs Hasura's recorded conformance corpus against the rasura binary"
)]
struct Args {
    /// The rasura binary [default: target/release/rasura if present, else target/debug/rasura]
    #[arg(long)]
    bin: Option<PathBuf>,
    /// The shared directory holding `conformance/`
    #[arg(long, default_value = "../shared")]
    shared: PathBuf,
    /// Run only this folder, e.g. `graphql_query/basic` (repeatable)
    #[arg(long = "folder", value_name = "DIR")]
    folders: Vec<String>,
    /// Post only the setup and teardown files and count those
    #[arg(long)]
    setup_only: bool,
    /// Write a markdown report to this file
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Exit 1 when the overall pass rate is below this fraction (0 to 1)
    #[arg(long, value_name = "FRACTION", value_parser = parse_fraction)]
    min_pass: Option<f64>,
    /// List failing files with reasons, and warnings
    #[arg(long)]
    verbose: bool,
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!("{s:?} is not a fraction between 0 and 1")),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    quiet_panics();
    let conformance = args.shared.join("conformance");
    if !conformance.is_dir() {
        println!("skipped: {} not found", conformance.display());
        return ExitCode::SUCCESS;
    }
    match run(&args, &conformance).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rasura-conformance: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &Args, conformance: &Path) -> Result<ExitCode, String> {
    let manifest = manifest::load_all(conformance)?;
    let folders = select_folders(&manifest, &args.folders)?;
    let bin = args.bin.clone().unwrap_or_else(default_bin);
    // The servers run in temporary directories, so a relative path would not resolve there.
    let bin = std::path::absolute(&bin).unwrap_or(bin);
    if !bin.is_file() {
        return Err(format!(
            "rasura binary not found at {} (build it with `cargo build -p rasura`, or pass --bin)",
            bin.display()
        ));
    }
    let run = if args.setup_only {
        Run::SetupOnly
    } else {
        Run::Tests
    };
    if run == Run::Tests {
        println!("note: only the http transport is run (websocket is not implemented)");
    }

    let env = Env::start(bin, conformance.join("hasura")).await?;
    if !env.postgis_available {
        println!(
            "note: PostGIS is not installed in this PostgreSQL; folders that need it will fail"
        );
    }
    let mut results = Vec::new();
    for (n, folder) in folders {
        let result = runner::run_folder(&env, &format!("f{n}"), folder, run).await;
        for line in report::folder_lines(&result, run, args.verbose) {
            println!("{line}");
        }
        results.push(result);
    }
    drop(env);

    let totals = report::totals(&results);
    if let Some(path) = &args.report {
        std::fs::write(path, report::markdown(&results, run))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let mut failing = false;
    let unexpected = results
        .iter()
        .flat_map(|r| &r.files)
        .filter(|f| f.unexpected_failure())
        .count();
    if unexpected > 0 {
        let what = match run {
            Run::SetupOnly => "setup/teardown files refused",
            Run::Tests => "test files failed",
        };
        eprintln!(
            "{unexpected} {what} that are not known failures (crates/conformance/known-failures.txt)"
        );
        failing = true;
    }
    if totals.fixed > 0 {
        println!(
            "{} files listed as known failures now pass: take them off crates/conformance/known-failures.txt",
            totals.fixed
        );
    }
    if let Some(min) = args.min_pass {
        if totals.pass_rate() < min {
            eprintln!(
                "pass rate {:.3} is below --min-pass {min}",
                totals.pass_rate()
            );
            failing = true;
        }
    }
    if totals.soft > 0 {
        println!(
            "{} soft mismatches (error bodies differing in message or code, counted as passed)",
            totals.soft
        );
    }
    if totals.xfail > 0 {
        println!(
            "{} expected failures (marked as failing upstream; not counted)",
            totals.xfail
        );
    }
    if totals.known > 0 {
        println!(
            "{} known failures (features not built yet, listed with their causes)",
            totals.known
        );
    }
    println!("{} passed, {} failed", totals.passed, totals.failed);
    Ok(if failing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The manifest's folders (numbered from 1 in manifest order), limited to `wanted` if given.
fn select_folders<'a>(
    manifest: &'a Manifest,
    wanted: &[String],
) -> Result<Vec<(usize, &'a manifest::Folder)>, String> {
    let all = || manifest.folders.iter().enumerate().map(|(i, f)| (i + 1, f));
    if let Some(unknown) = wanted
        .iter()
        .find(|w| !manifest.folders.iter().any(|f| &f.dir == *w))
    {
        let known: Vec<&str> = manifest.folders.iter().map(|f| f.dir.as_str()).collect();
        return Err(format!(
            "unknown folder {unknown:?}; the manifest has: {}",
            known.join(", ")
        ));
    }
    Ok(all()
        .filter(|(_, f)| wanted.is_empty() || wanted.contains(&f.dir))
        .collect())
}

/// The test-support helpers report failures (e.g. a server that does not start) by panicking;
/// the runner catches those, so print their message without a backtrace.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "rasura-conformance: panic{at}: {}",
            runner::panic_text(info.payload())
        );
    }));
}

fn default_bin() -> PathBuf {
    let release = PathBuf::from("target/release/rasura");
    if release.is_file() {
        release
    } else {
        PathBuf::from("target/debug/rasura")
    }
}
