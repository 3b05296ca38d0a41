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
            let _ = EXIT_ATTENTION;
            Ok(0)
        }
    }
}
