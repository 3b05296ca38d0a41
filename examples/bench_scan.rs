//! Scanner throughput and memory, as ratios within one run (see benches/scan.sh):
//!
//! ```text
//! cargo run --release --example bench_scan -- prepare DIR N   # a vote + N 300-dpi JPEG sheets
//! cargo run --release --example bench_scan -- decode DIR      # decode every sheet, nothing else
//! cargo run --release --example bench_scan -- scan DIR        # the full scan into a fresh copy of the vote
//! ```
//! Each run prints its wall time, sheets per second and peak resident memory (VmHWM).

use std::path::{Path, PathBuf};
use std::time::Instant;

use kiemphieu::simulate::{FaultLevel, SimOptions, simulate};
use kiemphieu::vote::Vote;
use rayon::prelude::*;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn jpegs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("jpeg"))
        .expect("run prepare first")
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        a.get(2)
            .expect("usage: bench_scan prepare|decode|scan DIR [N]"),
    );
    match a[1].as_str() {
        "prepare" => {
            let n: usize = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(200);
            let _ = std::fs::remove_dir_all(&dir);
            let form = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/tin-nhiem-so-khcn.json");
            let mut vote = Vote::init(&dir.join("vote"), &form).unwrap();
            vote.generate(n).unwrap();
            let sim = dir.join("sim");
            let opts = SimOptions {
                seed: 99,
                count: n,
                faults: FaultLevel::None,
                ..SimOptions::default()
            };
            simulate(&vote, &sim, &opts).unwrap();
            // As a 300-dpi scanner writes them: JPEG, quality 90.
            std::fs::create_dir_all(dir.join("jpeg")).unwrap();
            let mut files: Vec<PathBuf> = std::fs::read_dir(&sim)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name()
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .starts_with("sheet-")
                })
                .collect();
            files.sort();
            files.par_iter().for_each(|p| {
                let img = image::open(p).unwrap();
                let out = dir
                    .join("jpeg")
                    .join(p.with_extension("jpg").file_name().unwrap());
                let mut buf = Vec::new();
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, 90)
                    .encode_image(&img)
                    .unwrap();
                std::fs::write(out, buf).unwrap();
            });
            println!("prepared {n} sheets in {}", dir.display());
        }
        "decode" => {
            let files = jpegs(&dir);
            let t = Instant::now();
            let pixels: u64 = files
                .par_iter()
                .map(|p| {
                    let bytes = std::fs::read(p).unwrap();
                    let pages = kiemphieu::interpret::decode::decode_pages(&bytes).unwrap();
                    pages.iter().map(|g| g.len() as u64).sum::<u64>()
                })
                .sum();
            let s = t.elapsed().as_secs_f64();
            println!(
                "decode: {} sheets in {s:.2} s = {:.1} sheets/s ({} Mpx), peak RSS {:.0} MB",
                files.len(),
                files.len() as f64 / s,
                pixels / 1_000_000,
                peak_rss_mb()
            );
        }
        "scan" => {
            let files = jpegs(&dir);
            let fresh = dir.join("vote-scan");
            let _ = std::fs::remove_dir_all(&fresh);
            std::fs::create_dir_all(fresh.join("archive")).unwrap();
            for f in ["vote.db", "form.json", "layout.json"] {
                std::fs::copy(dir.join("vote").join(f), fresh.join(f)).unwrap();
            }
            let mut vote = Vote::open(&fresh).unwrap();
            let t = Instant::now();
            let summary = kiemphieu::scan::scan(
                &mut vote,
                &[dir.join("jpeg")],
                kiemphieu::scan::Pixels::Drop,
                |_| {},
            )
            .unwrap();
            let s = t.elapsed().as_secs_f64();
            println!(
                "scan: {} sheets in {s:.2} s = {:.1} sheets/s (counted {}, review {}), peak RSS {:.0} MB",
                files.len(),
                files.len() as f64 / s,
                summary.count(kiemphieu::record::Outcome::Counted),
                summary.count(kiemphieu::record::Outcome::Review),
                peak_rss_mb()
            );
        }
        other => panic!("unknown mode {other}"),
    }
}
