//! A printed vote with a simulated ballot box, and the commands run on it: shared by the claims
//! and the void/folder tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{Sandbox, shipped_form};
use kiemphieu::layout::PointMm;
use kiemphieu::simulate::{FaultLevel, SimOptions, Truth, simulate};
use kiemphieu::vote::Vote;

pub fn truth_of(dir: &Path) -> Truth {
    serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap()
}

/// A vote with `printed` ballots and a box of `count` clean, genuine scans: (vote, scans).
pub fn vote_and_box(sb: &Sandbox, root: &str, printed: usize, count: usize) -> (PathBuf, PathBuf) {
    let vote_dir = sb.join(&format!("{root}/vote"));
    let mut vote = Vote::init(&vote_dir, &shipped_form("tin-nhiem-so-khcn.json")).unwrap();
    vote.generate(printed).unwrap();
    let scans = sb.join(&format!("{root}/scans"));
    let opts = SimOptions {
        seed: 11,
        count,
        faults: FaultLevel::None,
        ..SimOptions::default()
    };
    simulate(&vote, &scans, &opts).unwrap();
    (vote_dir, scans)
}

/// A copy of a scan with its QR code painted over (white), written to `out`.
pub fn paint_over_qr(vote_dir: &Path, scan: &Path, out: &Path, margin_mm: f64) {
    let vote = Vote::open(vote_dir).unwrap();
    let mut img = image::open(scan).unwrap().to_luma8();
    let reg = kiemphieu::interpret::register::register(&img, &vote.layout).unwrap();
    let q = vote.layout.qr;
    let corners = [
        (q.x_mm - margin_mm, q.y_mm - margin_mm),
        (q.x_mm + q.w_mm + margin_mm, q.y_mm - margin_mm),
        (q.x_mm - margin_mm, q.y_mm + q.h_mm + margin_mm),
        (q.x_mm + q.w_mm + margin_mm, q.y_mm + q.h_mm + margin_mm),
    ]
    .map(|(x, y)| reg.transform.map(PointMm { x, y }));
    let (x0, x1) = (
        corners
            .iter()
            .map(|p| p.x)
            .fold(f64::MAX, f64::min)
            .max(0.0) as u32,
        corners.iter().map(|p| p.x).fold(f64::MIN, f64::max) as u32,
    );
    let (y0, y1) = (
        corners
            .iter()
            .map(|p| p.y)
            .fold(f64::MAX, f64::min)
            .max(0.0) as u32,
        corners.iter().map(|p| p.y).fold(f64::MIN, f64::max) as u32,
    );
    for y in y0..=y1.min(img.height() - 1) {
        for x in x0..=x1.min(img.width() - 1) {
            img.put_pixel(x, y, image::Luma([250]));
        }
    }
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    img.save(out).unwrap();
}

pub fn tally_json(sb: &Sandbox, v: &str) -> serde_json::Value {
    let run = sb.run(["tally", v, "--json"]);
    run.expect_code(0);
    serde_json::from_str(&run.stdout).unwrap()
}

pub fn scan_json(sb: &Sandbox, v: &str, path: &Path) -> Vec<serde_json::Value> {
    let run = sb.run(["scan", v, path.to_str().unwrap(), "--json"]);
    assert!(matches!(run.code, Some(0 | 1)), "{run:?}");
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The serials held by more than one sheet that counts (counted by the machine or by decision).
pub fn counted_twice(vote_dir: &Path) -> Vec<String> {
    let vote = Vote::open(vote_dir).unwrap();
    let decisions = kiemphieu::review::decisions(&vote).unwrap();
    let n = vote.layout.rows.len();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for s in vote.store.sheets().unwrap() {
        let d = decisions.get(&s.id);
        let typed = d.and_then(|d| d.serial.clone());
        let counts = matches!(
            kiemphieu::review::resolve(&s, d, n),
            kiemphieu::review::Resolution::Counted(_)
        );
        if let (true, Some(serial)) = (counts, typed.or(s.record.serial.clone())) {
            *seen.entry(serial).or_default() += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(s, _)| s)
        .collect()
}

pub fn row_args(truth: &Truth, file: &str) -> Vec<String> {
    let t = truth.sheets.iter().find(|s| s.file == file).unwrap();
    t.rows
        .iter()
        .flat_map(|r| {
            let v = match r.choice {
                Some(k) if r.verdict == kiemphieu::record::RowVerdict::Valid => (k + 1).to_string(),
                _ => "invalid".into(),
            };
            ["--row".to_string(), format!("{}={v}", r.subject)]
        })
        .collect()
}
