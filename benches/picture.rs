//! `cargo bench --bench picture`: where the time of a sheet's picture in the counting room goes.
//!
//! A plain `harness = false` bench with `std::time`: a scratch vote, a few simulated 300-dpi
//! sheets (mild faults, fixed seed) scanned into it; then each stage of the picture `serve`
//! renders for a sheet (the upright page with its reading drawn, JPEG) run on every sheet,
//! ROUNDS times (default 5, `KIEMPHIEU_BENCH_ROUNDS`), and the median per sheet printed; last
//! the whole picture as the server renders it on a first request (nothing cached). The
//! machines are shared: compare stages within one run, not runs on different days.

use std::time::Instant;

use kiemphieu::api::{self, Vote};
use kiemphieu::interpret::{decode, interpret_page};
use kiemphieu::simulate::{FaultLevel, SimOptions, simulate};

const SHEETS: usize = 6;

fn main() {
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
        ..SimOptions::default()
    };
    let out = dir.path().join("scans");
    simulate(&vote, &out, &opts).expect("simulate");
    api::scan(&mut vote, &[out], &Default::default(), |_| {}).expect("scan");
    let sheets = vote.store.sheets().expect("sheets");
    let files: Vec<_> = sheets
        .iter()
        .map(|s| vote.dir.join(s.archive.as_ref().expect("archived")))
        .collect();
    let pages: Vec<_> = files
        .iter()
        .map(|f| {
            decode::decode_pages(&std::fs::read(f).expect("read"))
                .expect("decode")
                .remove(0)
        })
        .collect();
    let (layout, marks) = (&vote.layout, &vote.form.marks);
    let regs: Vec<_> = pages
        .iter()
        .map(|p| kiemphieu::sheet_picture::registration(p, layout, marks).expect("registers"))
        .collect();
    let drawn: Vec<_> = (0..pages.len())
        .map(|i| {
            kiemphieu::annotate::annotate_registered(
                &pages[i],
                Some(&regs[i]),
                &sheets[i].record,
                layout,
                &[],
            )
        })
        .collect();

    type Stage<'a> = (&'a str, Box<dyn Fn(usize) + 'a>);
    let stages: Vec<Stage> = vec![
        (
            "read + decode",
            Box::new(|i| {
                let bytes = std::fs::read(&files[i]).expect("read");
                std::hint::black_box(decode::decode_pages(&bytes).expect("decode").len());
            }),
        ),
        (
            "whole reading (before)",
            Box::new(|i| {
                std::hint::black_box(interpret_page(&pages[i], layout, marks).rows.len());
            }),
        ),
        (
            "registration",
            Box::new(|i| {
                let reg = kiemphieu::sheet_picture::registration(&pages[i], layout, marks);
                std::hint::black_box(reg.is_ok());
            }),
        ),
        (
            "upright drawing",
            Box::new(|i| {
                let pic = kiemphieu::annotate::annotate_registered(
                    &pages[i],
                    Some(&regs[i]),
                    &sheets[i].record,
                    layout,
                    &[],
                );
                std::hint::black_box(pic.width());
            }),
        ),
        (
            "jpeg encode",
            Box::new(|i| {
                std::hint::black_box(kiemphieu::serve::jpeg(&drawn[i]).expect("encodes").len());
            }),
        ),
        (
            "open the vote",
            Box::new(|_| {
                let v = Vote::open_read_only(&vote.dir).expect("opens");
                std::hint::black_box(v.layout.rows.len());
            }),
        ),
        (
            "whole picture",
            Box::new(|i| {
                let r = kiemphieu::serve::render_sheet(&vote, sheets[i].id).expect("renders");
                std::hint::black_box(r.picture.len());
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
        println!("{name:<24} {:8.2} ms", 1000.0 * median);
    }
}
