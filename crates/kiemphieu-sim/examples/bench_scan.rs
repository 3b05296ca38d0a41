//! Scanner throughput and memory, as ratios within one run (see benches/scan.sh):
//!
//! ```text
//! cargo run --release --example bench_scan -- prepare DIR N   # a vote + N 300-dpi JPEG sheets
//! cargo run --release --example bench_scan -- decode DIR      # decode every sheet, nothing else
//! cargo run --release --example bench_scan -- scan DIR        # the full scan into a fresh copy of the vote
//! cargo run --release --example bench_scan -- audit DIR       # audit that copy (run scan first)
//! cargo run --release --example bench_scan -- hostile DIR     # hostile files in DIR/hostile, scanned too (benches/memory.sh)
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
        "audit" => {
            let vote = Vote::open(&dir.join("vote-scan")).expect("run scan first");
            let t = Instant::now();
            let report = kiemphieu::audit::audit(&vote, None).unwrap();
            let s = t.elapsed().as_secs_f64();
            println!(
                "audit: {} sheets in {s:.2} s = {:.1} sheets/s ({} difference(s)), peak RSS {:.0} MB",
                report.sheets_checked,
                report.sheets_checked as f64 / s,
                report.differences.len(),
                peak_rss_mb()
            );
        }
        "hostile" => {
            let h = dir.join("hostile");
            std::fs::create_dir_all(&h).unwrap();
            hostile(&h);
            println!("hostile files in {} (scanned with the sheets)", h.display());
        }
        "scan" => {
            let files = jpegs(&dir);
            let fresh = dir.join("vote-scan");
            let _ = std::fs::remove_dir_all(&fresh);
            std::fs::create_dir_all(fresh.join("archive")).unwrap();
            for f in ["vote.db", "form.json", "layout.json"] {
                std::fs::copy(dir.join("vote").join(f), fresh.join(f)).unwrap();
            }
            // `BENCH_PROFILE=N`: the same sheets read with reading profile N (1: a form frozen
            // before profiles were named), to compare the profiles' cost in one run.
            if let Some(n) = std::env::var("BENCH_PROFILE")
                .ok()
                .and_then(|v| v.parse::<u32>().ok())
            {
                let path = fresh.join("form.json");
                let mut form: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                let marks = form["marks"]
                    .as_object_mut()
                    .expect("a frozen form has marks");
                if n == 1 {
                    marks.remove("profile");
                } else {
                    marks.insert("profile".into(), n.into());
                }
                std::fs::write(&path, serde_json::to_vec_pretty(&form).unwrap()).unwrap();
            }
            let mut vote = Vote::open(&fresh).unwrap();
            let t = Instant::now();
            let mut paths = vec![dir.join("jpeg")];
            if dir.join("hostile").is_dir() {
                paths.push(dir.join("hostile"));
            }
            let summary =
                kiemphieu::scan::scan(&mut vote, &paths, kiemphieu::scan::Pixels::Drop, |_| {})
                    .unwrap();
            let s = t.elapsed().as_secs_f64();
            println!(
                "scan (profile {}): {} sheets in {s:.2} s = {:.1} sheets/s (counted {}, review {}, errors {}, skipped {}), peak RSS {:.0} MB",
                vote.form.marks.reading_profile().number(),
                files.len(),
                files.len() as f64 / s,
                summary.count(kiemphieu::record::Outcome::Counted),
                summary.count(kiemphieu::record::Outcome::Review),
                summary.count(kiemphieu::record::Outcome::Error),
                summary.skipped.len(),
                peak_rss_mb()
            );
        }
        other => panic!("unknown mode {other}"),
    }
}

/// Files that cost too much or hang, each a few KB: 40 pages of 14,000² claimed in a TIFF, a PNG
/// of 14,000², a PDF of 999 blank pages, a PDF page holding a 60,000² 1-bit image, a FIFO and a
/// link to /dev/zero.
fn hostile(dir: &Path) {
    // TIFF: 40 directories of 14,000 × 14,000 8-bit grey, one 16-byte strip each.
    let pages = 40usize;
    let mut t = b"II*\0".to_vec();
    t.extend(8u32.to_le_bytes());
    let ifd = 2 + 8 * 12 + 4;
    let data_at = (8 + pages * ifd) as u32;
    for i in 0..pages {
        t.extend(8u16.to_le_bytes());
        for (tag, typ, v) in [
            (256u16, 4u16, 14_000u32),
            (257, 4, 14_000),
            (258, 3, 8),
            (259, 3, 1),
            (262, 3, 1),
            (273, 4, data_at),
            (278, 4, 14_000),
            (279, 4, 16),
        ] {
            t.extend(tag.to_le_bytes());
            t.extend(typ.to_le_bytes());
            t.extend(1u32.to_le_bytes());
            t.extend(v.to_le_bytes());
        }
        let next = if i + 1 < pages {
            (8 + (i + 1) * ifd) as u32
        } else {
            0
        };
        t.extend(next.to_le_bytes());
    }
    t.extend([0x80u8; 16]);
    std::fs::write(dir.join("zz-forty-pages.tif"), t).unwrap();
    // PNG: a real 14,000² grey image, all white (786 KB of PNG).
    image::GrayImage::from_pixel(14_000, 14_000, image::Luma([255]))
        .save(dir.join("zz-huge.png"))
        .unwrap();
    // PDFs.
    std::fs::write(
        dir.join("zz-999-blank.pdf"),
        kiemphieu::simulate::minimal_pdf(999, "", "<< >>", &[]),
    )
    .unwrap();
    let image = b"<< /Type /XObject /Subtype /Image /Width 60000 /Height 60000 /ColorSpace /DeviceGray \
        /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 60000 /Rows 60000 >> \
        /Length 4 >>\nstream\n\0\0\0\0\nendstream"
        .to_vec();
    std::fs::write(
        dir.join("zz-60000.pdf"),
        kiemphieu::simulate::minimal_pdf(
            1,
            "q 595 0 0 842 0 0 cm /Im0 Do Q",
            "<< /XObject << /Im0 5 0 R >> >>",
            &[image],
        ),
    )
    .unwrap();
    let fifo = dir.join("zz-pipe.jpg");
    let _ = std::fs::remove_file(&fifo);
    std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    let zero = dir.join("zz-zero.png");
    let _ = std::fs::remove_file(&zero);
    std::os::unix::fs::symlink("/dev/zero", zero).unwrap();
}
