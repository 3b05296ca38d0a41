//! Every format a document scanner writes is read to the same verdicts as its PNG twin:
//! multi-page TIFF (grey, RGB, 1-bit G4), scanner PDFs (JPEG, Flate, G4 images), JPEG and BMP.
//! The files are made by the project's own encoders (`simulate::formats`) from simulated sheets.

use crate::common;

use std::path::Path;

use common::{Sandbox, copy_dir, image_files, vote_with_box};
use kiemphieu::simulate::formats::{ScanFormat, encode};
use kiemphieu::simulate::{FaultLevel, SimOptions};
use kiemphieu::store::Store;
use kiemphieu::vote::Vote;

/// What a sheet was read as, without the raw scores (JPEG and 1-bit change those a little).
fn verdicts(vote: &Path) -> Vec<serde_json::Value> {
    let store = Store::open(&Vote::db_path(vote)).unwrap();
    let mut sheets = store.sheets().unwrap();
    sheets.sort_by_key(|s| (s.record.file.clone(), s.record.page));
    sheets
        .into_iter()
        .map(|s| {
            let r = s.record;
            let rows: Vec<_> = r
                .rows
                .iter()
                .map(|row| serde_json::json!([row.subject, row.verdict, row.choice]))
                .collect();
            serde_json::json!({
                "outcome": r.outcome, "reason": r.reason, "serial": r.serial,
                "orientation": r.orientation, "rows": rows,
            })
        })
        .collect()
}

#[test]
fn every_scanner_format_reads_like_its_png_twin() {
    let sb = Sandbox::new();
    let opts = SimOptions {
        seed: 8,
        count: 2,
        faults: FaultLevel::None,
        ..SimOptions::default()
    };
    let (blank, scans) = vote_with_box(&sb, &opts);
    let sims = image_files(&scans);
    assert_eq!(sims.len(), 2);
    let pages: Vec<image::GrayImage> = sims
        .iter()
        .map(|p| image::open(p).unwrap().to_luma8())
        .collect();
    // Fault level "none" scans at 300 dpi.
    let dpi = 300;

    let scan_as = |format: ScanFormat| -> (Vec<serde_json::Value>, String) {
        let vote = sb.join(format.name());
        copy_dir(&blank, &vote);
        let inbox = sb.join(&format!("in-{}", format.name()));
        std::fs::create_dir_all(&inbox).unwrap();
        if format.multi_page() {
            let bytes = encode(&pages, dpi, format).unwrap();
            std::fs::write(inbox.join(format!("scan.{}", format.extension())), bytes).unwrap();
        } else {
            for (i, p) in pages.iter().enumerate() {
                let bytes = encode(std::slice::from_ref(p), dpi, format).unwrap();
                let name = format!("scan-{}.{}", i + 1, format.extension());
                std::fs::write(inbox.join(name), bytes).unwrap();
            }
        }
        let run = sb.run(["scan", vote.to_str().unwrap(), inbox.to_str().unwrap()]);
        run.expect_code(0);
        (verdicts(&vote), run.stderr.clone())
    };

    let (twin, _) = scan_as(ScanFormat::Png);
    assert_eq!(twin.len(), 2);
    // The twin itself reads as the truth says: clearly marked sheets are counted.
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(scans.join("truth.json")).unwrap()).unwrap();
    for (s, t) in twin.iter().zip(truth["sheets"].as_array().unwrap()) {
        if t["clear"] == true {
            assert_eq!(s["outcome"], "counted", "{s}");
        } else {
            assert!(s["outcome"] == "counted" || s["outcome"] == "review", "{s}");
        }
    }
    let clear: Vec<bool> = truth["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["clear"] == true)
        .collect();
    let mut differ = Vec::new();
    for format in ScanFormat::ALL {
        if format == ScanFormat::Png {
            continue;
        }
        let (got, stderr) = scan_as(format);
        assert_eq!(got.len(), twin.len(), "{}", format.name());
        // A black-and-white (1-bit) scan cannot keep a faint pencil mark: only sheets marked
        // clearly must read the same, and the scan warns the committee.
        let bilevel = matches!(format, ScanFormat::TiffG4 | ScanFormat::PdfG4);
        assert_eq!(
            stderr.contains("scanned in black and white"),
            bilevel,
            "{}: {stderr}",
            format.name()
        );
        for (i, (g, w)) in got.iter().zip(&twin).enumerate() {
            if g != w && (!bilevel || clear[i]) {
                differ.push(format!("{} sheet {}: {g} vs PNG {w}", format.name(), i + 1));
            }
        }
    }
    assert!(differ.is_empty(), "{differ:#?}");
}
