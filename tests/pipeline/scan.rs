//! The scanner end to end: simulated ballot boxes with known truth, scanned through the CLI.

use crate::common;

use std::path::Path;

use common::{Sandbox, shipped_form, vote_with_box};
use kiemphieu::record::{Outcome, Reason, SheetRecord};
use kiemphieu::simulate::{FaultLevel, SimOptions, Truth};
use kiemphieu::vote::Vote;

fn truth(dir: &Path) -> Truth {
    serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap()
}

fn json_records(stdout: &str) -> Vec<SheetRecord> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn every_file_gets_an_outcome_and_a_rescan_changes_nothing() {
    let sb = Sandbox::new();
    let opts = SimOptions {
        seed: 11,
        count: 16,
        faults: FaultLevel::All,
        include_bad_inputs: true,
        forged: 1,
        foreign: 1,
        duplicates: 1,
        missing_stamp: 1,
        dpi: None,
    };
    let (vote_dir, scans) = vote_with_box(&sb, &opts);
    let t = truth(&scans);
    let run = sb.run([
        "scan",
        vote_dir.to_str().unwrap(),
        scans.to_str().unwrap(),
        "--json",
    ]);
    // Broken files are in the box: done, but something needs attention.
    run.expect_code(1);
    let recs = json_records(&run.stdout);
    for sheet in &t.sheets {
        let rec = recs
            .iter()
            .find(|r| Path::new(&r.file).file_name().unwrap().to_str() == Some(sheet.file.as_str()))
            .unwrap_or_else(|| panic!("{} has no outcome", sheet.file));
        match sheet.kind {
            kiemphieu::simulate::SheetKind::Genuine => {
                assert!(
                    matches!(rec.outcome, Outcome::Counted | Outcome::Review),
                    "{}: {rec:?}",
                    sheet.file
                )
            }
            _ => assert_eq!(
                (rec.outcome, rec.reason),
                (sheet.expect, sheet.expect_reason),
                "{} ({:?})",
                sheet.file,
                sheet.kind
            ),
        }
    }
    let report = kiemphieu::accuracy::evaluate(&t, &recs);
    assert!(report.misread_rows.is_empty(), "{}", report.to_text());
    assert!(
        report.not_genuine_counted.is_empty(),
        "{}",
        report.to_text()
    );

    // Every file is archived under its hash.
    for r in &recs {
        assert!(
            vote_dir
                .join(format!(
                    "archive/{}.{}",
                    r.sha256,
                    Path::new(&r.file).extension().unwrap().to_str().unwrap()
                ))
                .exists()
                || r.sha256.is_empty()
        );
    }
    let before = Vote::open(&vote_dir).unwrap().store.sheets().unwrap();
    let again = sb.run([
        "scan",
        vote_dir.to_str().unwrap(),
        scans.to_str().unwrap(),
        "--json",
    ]);
    again.expect_code(0);
    let recs2 = json_records(&again.stdout);
    assert_eq!(recs2.len(), recs.len());
    assert!(
        recs2.iter().all(|r| r.outcome == Outcome::AlreadyScanned),
        "{}",
        again.stdout
    );
    let after = Vote::open(&vote_dir).unwrap().store.sheets().unwrap();
    assert_eq!(before, after, "a rescan changed the record");
}

#[test]
fn the_record_does_not_depend_on_threads_or_file_order() {
    let sb = Sandbox::new();
    let opts = SimOptions {
        seed: 23,
        count: 10,
        faults: FaultLevel::All,
        duplicates: 2,
        ..SimOptions::default()
    };
    let (vote_dir, scans) = vote_with_box(&sb, &opts);
    let copy = sb.join("vote-copy");
    std::fs::create_dir_all(copy.join("archive")).unwrap();
    std::fs::create_dir_all(copy.join("ballots")).unwrap();
    for f in ["vote.db", "form.json", "layout.json"] {
        std::fs::copy(vote_dir.join(f), copy.join(f)).unwrap();
    }
    let mut files: Vec<String> = common::entries(&scans)
        .into_iter()
        .filter(|f| f.starts_with("sheet-"))
        .map(|f| scans.join(f).to_string_lossy().into_owned())
        .collect();
    sb.run([
        "scan",
        vote_dir.to_str().unwrap(),
        scans.to_str().unwrap(),
        "--threads",
        "1",
    ])
    .expect_code(0);
    files.reverse();
    let mut args = vec![
        "scan".to_string(),
        copy.to_string_lossy().into_owned(),
        "--threads".into(),
        "2".into(),
    ];
    args.extend(files);
    sb.run(&args).expect_code(0);
    let strip = |dir: &Path| -> Vec<(String, SheetRecord)> {
        Vote::open(dir)
            .unwrap()
            .store
            .sheets()
            .unwrap()
            .into_iter()
            .map(|s| (s.archive.unwrap_or_default(), s.record))
            .collect()
    };
    let (a, b) = (strip(&vote_dir), strip(&copy));
    assert_eq!(a.len(), opts.count + 2);
    assert_eq!(a, b);
    // The tallies agree but for the chain head: each database's events carry their own times.
    let tally_of = |dir: &Path| -> serde_json::Value {
        let run = sb.run(["tally", dir.to_str().unwrap(), "--json"]);
        let mut v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let o = v.as_object_mut().unwrap();
        assert!(o.remove("chain_head").is_some());
        o.remove("chain_events");
        v
    };
    assert_eq!(tally_of(&vote_dir), tally_of(&copy));
}

#[test]
fn bad_files_get_clear_reasons_and_the_batch_goes_on() {
    let sb = Sandbox::new();
    let vote_dir = sb.join("vote");
    let mut vote = Vote::init(&vote_dir, &shipped_form("tin-nhiem-so-khcn.json")).unwrap();
    vote.generate(2).unwrap();
    let dir = sb.join("box");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a-empty.png"), b"").unwrap();
    std::fs::write(dir.join("b-text.jpg"), b"this is not a picture").unwrap();
    // A PNG header claiming 100,000 x 100,000 pixels.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend(100_000u32.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]);
    kiemphieu::simulate::png_chunk(&mut png, b"IHDR", &ihdr);
    std::fs::write(dir.join("c-giant.png"), &png).unwrap();
    image::GrayImage::from_pixel(1240, 1754, image::Luma([250]))
        .save(dir.join("d-blank.png"))
        .unwrap();
    // A genuine page after the broken ones is still read.
    let pdf = kiemphieu::raster::PrintedPdf::load(
        std::fs::read(vote_dir.join("ballots/batch-0001.pdf")).unwrap(),
    )
    .unwrap();
    pdf.render(0, 150.0)
        .unwrap()
        .save(dir.join("e-ballot.png"))
        .unwrap();
    // The same ballot printed at half its size in the middle of an A4 scan.
    let half = image::imageops::resize(
        &pdf.render(1, 75.0).unwrap(),
        620,
        877,
        image::imageops::FilterType::Triangle,
    );
    let mut page = image::RgbImage::from_pixel(1240, 1754, image::Rgb([255, 255, 255]));
    image::imageops::overlay(&mut page, &half, 310, 438);
    page.save(dir.join("f-half.png")).unwrap();

    let run = sb.run([
        "scan",
        vote_dir.to_str().unwrap(),
        dir.to_str().unwrap(),
        "--json",
    ]);
    run.expect_code(1);
    let recs = json_records(&run.stdout);
    let get = |name: &str| {
        recs.iter()
            .find(|r| r.file.ends_with(name))
            .unwrap_or_else(|| panic!("{name}: {}", run.stdout))
    };
    assert_eq!(
        (get("a-empty.png").outcome, get("a-empty.png").reason),
        (Outcome::Error, Some(Reason::NotAnImage))
    );
    assert_eq!(
        (get("b-text.jpg").outcome, get("b-text.jpg").reason),
        (Outcome::Error, Some(Reason::NotAnImage))
    );
    assert_eq!(
        (get("c-giant.png").outcome, get("c-giant.png").reason),
        (Outcome::Error, Some(Reason::ImageTooLarge))
    );
    // A page with no ballot on it is a blank page, not a sheet for a person.
    assert_eq!(
        (get("d-blank.png").outcome, get("d-blank.png").reason),
        (Outcome::Blank, None)
    );
    assert_eq!(get("e-ballot.png").outcome, Outcome::Counted);
    let half = get("f-half.png");
    assert_eq!(
        (half.outcome, half.reason),
        (Outcome::Review, Some(Reason::RegistrationFailed)),
        "{half:?}"
    );
    assert!(
        half.detail.as_deref().unwrap_or("").contains('%'),
        "{half:?}"
    );
    // Every message names the reason.
    for r in &recs {
        if r.outcome == Outcome::Error {
            assert!(!r.detail.as_deref().unwrap_or("").is_empty(), "{r:?}");
        }
    }
}
