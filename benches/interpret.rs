//! `cargo bench --bench interpret`: the interpretation stages, timed on simulated sheets.
//!
//! A plain `harness = false` bench with `std::time`: a scratch vote, a few simulated 300-dpi
//! sheets (mild faults, fixed seed), each decoded once; then every stage run on every sheet,
//! ROUNDS times (default 5, `KIEMPHIEU_BENCH_ROUNDS`), and the median per sheet printed. The
//! machines are shared: compare stages within one run, not runs on different days.

use std::time::Instant;

use kiemphieu::interpret::{decode, interpret_page, marks, qr, register, streaks};
use kiemphieu::simulate::{FaultLevel, SimOptions, simulate};
use kiemphieu::vote::Vote;

const SHEETS: usize = 6;

fn main() {
    // `cargo bench` passes `--bench`; a filter argument names the stages to run.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let rounds: usize = std::env::var("KIEMPHIEU_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("a scratch folder");
    let form =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/tin-nhiem-so-khcn.json");
    let mut vote = Vote::init(&dir.path().join("vote"), &form).expect("init");
    vote.generate(SHEETS).expect("generate");
    let opts = SimOptions {
        seed: 1,
        count: SHEETS,
        faults: FaultLevel::Mild,
        include_bad_inputs: false,
        forged: 0,
        foreign: 0,
        duplicates: 0,
        missing_stamp: 0,
        dpi: None,
    };
    let out = dir.path().join("scans");
    simulate(&vote, &out, &opts).expect("simulate");
    let mut files: Vec<_> = std::fs::read_dir(&out)
        .expect("scans")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e != "json"))
        .collect();
    files.sort();
    let pages: Vec<_> = files
        .iter()
        .map(|f| {
            decode::decode_pages(&std::fs::read(f).expect("read"))
                .expect("decode")
                .remove(0)
        })
        .collect();
    let (layout, thresholds) = (&vote.layout, &vote.form.marks);
    let regs: Vec<_> = pages
        .iter()
        .map(|p| register::register(p, layout).expect("simulated sheets register"))
        .collect();
    let lines: Vec<_> = pages.iter().map(streaks::find_scanner_lines).collect();
    // Profile 5 reads the boxes under a light streak through it, as `interpret_page` does.
    let through: Vec<_> = pages
        .iter()
        .zip(&lines)
        .map(|(p, l)| l.see_through(p))
        .collect();

    type Stage<'a> = (&'a str, Box<dyn Fn(usize) + 'a>);
    let stages: Vec<Stage> = vec![
        (
            "registration",
            Box::new(|i| {
                std::hint::black_box(register::register(&pages[i], layout).is_ok());
            }),
        ),
        (
            "qr",
            Box::new(|i| {
                std::hint::black_box(
                    qr::read_qr(&pages[i], Some(&regs[i].transform), &layout.qr_placement())
                        .is_ok(),
                );
            }),
        ),
        (
            "scanner lines",
            Box::new(|i| {
                std::hint::black_box(streaks::find_scanner_lines(&pages[i]).any());
            }),
        ),
        (
            "marks",
            Box::new(|i| {
                std::hint::black_box(
                    marks::read_rows(
                        &pages[i],
                        &regs[i],
                        layout,
                        thresholds,
                        &lines[i],
                        through[i].as_ref(),
                    )
                    .len(),
                );
            }),
        ),
        (
            "whole sheet",
            Box::new(|i| {
                std::hint::black_box(interpret_page(&pages[i], layout, thresholds).rows.len());
            }),
        ),
    ];
    println!("{} sheets, {rounds} rounds, median per sheet:", pages.len());
    for (name, run) in &stages {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let mut per_sheet: Vec<f64> = (0..rounds)
            .map(|_| {
                let t = Instant::now();
                for i in 0..pages.len() {
                    run(i);
                }
                t.elapsed().as_secs_f64() / pages.len() as f64
            })
            .collect();
        per_sheet.sort_by(f64::total_cmp);
        let median = per_sheet[per_sheet.len() / 2];
        println!("{name:<14} {:8.2} ms", 1000.0 * median);
    }
}
