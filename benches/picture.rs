//! `cargo bench --bench picture`: where the time of a sheet's picture in the counting room goes.
//!
//! A plain `harness = false` bench with `std::time`: a scratch vote, a few simulated 300-dpi
//! sheets (mild faults, fixed seed) scanned into it; then each stage of the picture `serve`
//! renders for a sheet (the upright page with its reading drawn, JPEG) run on every sheet,
//! ROUNDS times (default 5, `KIEMPHIEU_BENCH_ROUNDS`), and the median per sheet printed; last
//! the whole picture as the server renders it on a first request (nothing cached). The
//! machines are shared: compare stages within one run, not runs on different days.

mod stages;

use kiemphieu::api::{self, Vote};
use kiemphieu::interpret::{decode, interpret_page};
use stages::{Stage, simulated_vote, time_stages};

const SHEETS: usize = 6;

fn main() {
    let stages::Scratch {
        _dir,
        mut vote,
        scans,
    } = simulated_vote(SHEETS);
    api::scan(&mut vote, &[scans], &Default::default(), |_| {}).expect("scan");
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
    time_stages(&stages, pages.len(), 24);
}
