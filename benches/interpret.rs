//! `cargo bench --bench interpret`: the interpretation stages, timed on simulated sheets.
//!
//! A plain `harness = false` bench with `std::time`: a scratch vote, a few simulated 300-dpi
//! sheets (mild faults, fixed seed), each decoded once; then every stage run on every sheet,
//! ROUNDS times (default 5, `KIEMPHIEU_BENCH_ROUNDS`), and the median per sheet printed. The
//! machines are shared: compare stages within one run, not runs on different days.

mod stages;

use kiemphieu::interpret::{decode, interpret_page, marks, qr, register, streaks};
use stages::{Stage, simulated_vote, time_stages};

const SHEETS: usize = 6;

fn main() {
    let stages::Scratch {
        _dir,
        vote,
        scans: out,
    } = simulated_vote(SHEETS);
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
    time_stages(&stages, pages.len(), 14);
}
