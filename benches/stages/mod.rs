//! What the `harness = false` stage benches share: a scratch vote with a few simulated 300-dpi
//! sheets, and the timing of named stages over every sheet, ROUNDS times (default 5,
//! `KIEMPHIEU_BENCH_ROUNDS`), printed as the median per sheet. A filter argument (`cargo bench`
//! passes `--bench` too) names the stages to run.

use std::path::PathBuf;
use std::time::Instant;

use kiemphieu::simulate::{FaultLevel, SimOptions, simulate};
use kiemphieu::vote::Vote;

/// A stage: its name, and what it does to sheet `i`.
pub type Stage<'a> = (&'a str, Box<dyn Fn(usize) + 'a>);

/// A scratch vote with `sheets` ballots printed and simulated (mild faults, seed 1) into
/// `scans`; the folder goes when this is dropped.
pub struct Scratch {
    pub _dir: tempfile::TempDir,
    pub vote: Vote,
    pub scans: PathBuf,
}

pub fn simulated_vote(sheets: usize) -> Scratch {
    let dir = tempfile::tempdir().expect("a scratch folder");
    let form =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/tin-nhiem-so-khcn.json");
    let mut vote = Vote::init(&dir.path().join("vote"), &form).expect("init");
    vote.generate(sheets).expect("generate");
    let opts = SimOptions {
        seed: 1,
        count: sheets,
        faults: FaultLevel::Mild,
        ..SimOptions::default()
    };
    let scans = dir.path().join("scans");
    simulate(&vote, &scans, &opts).expect("simulate");
    Scratch {
        _dir: dir,
        vote,
        scans,
    }
}

/// Runs each stage on sheets `0..sheets`, ROUNDS times, and prints its median time per sheet
/// (names padded to `width`).
pub fn time_stages(stages: &[Stage], sheets: usize, width: usize) {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let rounds: usize = std::env::var("KIEMPHIEU_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    println!("{sheets} sheets, {rounds} rounds, median per sheet:");
    for (name, run) in stages {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let mut per_sheet: Vec<f64> = (0..rounds)
            .map(|_| {
                let t = Instant::now();
                for i in 0..sheets {
                    run(i);
                }
                t.elapsed().as_secs_f64() / sheets as f64
            })
            .collect();
        per_sheet.sort_by(f64::total_cmp);
        let median = per_sheet[per_sheet.len() / 2];
        println!("{name:<width$} {:8.2} ms", 1000.0 * median);
    }
}
