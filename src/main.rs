//! The `kiemphieu` command: argument parsing, printing and exit codes over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kiemphieu::vote::Vote;

/// Paper ballot confidence votes, from printing to signed minutes.
#[derive(Parser)]
#[command(name = "kiemphieu", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a vote folder from a form file.
    Init {
        vote: PathBuf,
        #[arg(long)]
        form: PathBuf,
    },
    /// Print N more ballots: a PDF and layout.json, serials registered.
    Generate {
        vote: PathBuf,
        #[arg(long)]
        count: usize,
    },
    /// Interpret image files and folders; record every outcome.
    Scan {
        vote: PathBuf,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// One JSON object per sheet on stdout (docs/contract.md).
        #[arg(long)]
        json: bool,
        /// Write a PNG per sheet into this folder, each box outlined by verdict.
        #[arg(long)]
        annotate: Option<PathBuf>,
        /// Worker threads (default: all cores). The record does not depend on it.
        #[arg(long)]
        threads: Option<usize>,
    },
}

/// Exit status of the contract: 0 done, 1 done but needs attention, 2 could not run.
const EXIT_ATTENTION: u8 = 1;
const EXIT_CANNOT_RUN: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_CANNOT_RUN } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_CANNOT_RUN)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Init { vote, form } => {
            let v = Vote::init(&vote, &form)?;
            println!(
                "created vote {} in {} ({} subjects)",
                v.form.id,
                vote.display(),
                v.form.subjects.len()
            );
            Ok(0)
        }
        Command::Generate { vote, count } => {
            let mut v = Vote::open(&vote)?;
            let b = v.generate(count)?;
            let (printed, voided) = v.store.printed_and_voided()?;
            println!(
                "printed batch {} with {} ballots: {}\n{} ballots printed in all, {} voided",
                b.batch,
                b.serials.len(),
                b.pdf.display(),
                printed,
                voided
            );
            Ok(0)
        }
        Command::Scan { vote, paths, json, annotate, threads } => {
            set_threads(threads)?;
            let mut v = Vote::open(&vote)?;
            let summary = scan_command(&mut v, &paths, json, annotate.as_deref())?;
            Ok(if summary.needs_attention() { EXIT_ATTENTION } else { 0 })
        }
    }
}

fn set_threads(threads: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new().num_threads(n.max(1)).build_global()?;
    }
    Ok(())
}

fn scan_command(
    v: &mut Vote,
    paths: &[PathBuf],
    json: bool,
    annotate: Option<&std::path::Path>,
) -> anyhow::Result<kiemphieu::scan::ScanSummary> {
    use std::io::IsTerminal;
    if let Some(dir) = annotate {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let total = kiemphieu::scan::collect_files(paths)?.len();
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(total as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files {msg}")
                .expect("template"),
        );
        b
    });
    let layout = v.layout.clone();
    let mut annotate_errors = Vec::new();
    let summary = kiemphieu::scan::scan(v, paths, |sheet| {
        let rec = sheet.record;
        if json {
            println!("{}", serde_json::to_string(rec).expect("record serializes"));
        }
        if let Some(b) = &bar {
            if rec.page == 1 {
                b.inc(1);
            }
            b.set_message(format!("{} {}", rec.outcome.as_str(), rec.reason.map(|r| r.as_str()).unwrap_or("")));
        }
        if let (Some(dir), Some(img), Some(reading)) = (annotate, sheet.image, sheet.reading) {
            let pic = kiemphieu::annotate::annotate(img, reading, rec, &layout, &[]);
            let stem = std::path::Path::new(&rec.file)
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let out = dir.join(format!("{stem}-p{}-{}.png", rec.page, &rec.sha256[..8]));
            if let Err(e) = pic.save(&out) {
                annotate_errors.push(format!("cannot write {}: {e}", out.display()));
            }
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for e in &annotate_errors {
        eprintln!("error: {e}");
    }
    for p in &summary.problems {
        eprintln!("error: cannot scan {}: {}", p.file, p.reason);
    }
    if !json {
        use kiemphieu::record::Outcome;
        println!(
            "counted {}, rejected {}, review {}, already scanned {}, errors {}",
            summary.count(Outcome::Counted),
            summary.count(Outcome::Rejected),
            summary.count(Outcome::Review),
            summary.count(Outcome::AlreadyScanned),
            summary.count(Outcome::Error) + summary.problems.len()
        );
        for ((o, r), n) in &summary.by_reason {
            println!("  {:<9} {:<20} {n}", o.as_str(), r.as_str());
        }
    }
    Ok(summary)
}
