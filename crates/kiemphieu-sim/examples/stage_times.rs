//! Where a sheet's reading time goes, stage by stage, on one core:
//! `cargo run --release --example stage_times -- DIR_OF_JPEGS VOTE_DIR [N]`.
use std::time::Instant;

use kiemphieu::interpret::{decode, marks, qr, register, streaks};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let vote = kiemphieu::vote::Vote::open(std::path::Path::new(&a[2])).unwrap();
    let n: usize = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let mut files: Vec<_> = std::fs::read_dir(&a[1])
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut t = [0.0f64; 7];
    for f in files.iter().take(n) {
        let s = Instant::now();
        let bytes = std::fs::read(f).unwrap();
        let _ = kiemphieu::store::sha256_hex(&bytes);
        t[0] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let img = decode::decode_pages(&bytes).unwrap().remove(0);
        t[1] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let reg = register::register(&img, &vote.layout).unwrap();
        t[2] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let _ = qr::read_qr(&img, Some(&reg.transform), &vote.layout.qr_placement());
        t[3] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let lines = streaks::find_scanner_lines(&img);
        t[4] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let through = lines.see_through(&img);
        let _ = marks::read_rows(
            &img,
            &reg,
            &vote.layout,
            &vote.form.marks,
            &lines,
            through.as_ref(),
        );
        t[5] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let _ = marks::stamp_cover(&img, &reg, &vote.layout.stamp);
        t[6] += s.elapsed().as_secs_f64();
    }
    let names = [
        "read+hash",
        "decode",
        "register",
        "qr",
        "scanner lines",
        "rows(boxes+strike)",
        "stamp",
    ];
    for (name, v) in names.iter().zip(t) {
        println!("{name:<20} {:7.1} ms/sheet", 1000.0 * v / n as f64);
    }
}
