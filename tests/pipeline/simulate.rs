//! The simulator: sheets that decode, a truth that lists them and agrees with their pixels, and
//! the same bytes for the same seed.

use std::path::{Path, PathBuf};

use kiemphieu::layout::RectMm;
use kiemphieu::record::{Outcome, Reason, RowVerdict};
use kiemphieu::simulate::{FaultLevel, SheetKind, SimError, SimOptions, Truth, simulate};
use kiemphieu::vote::Vote;

fn form() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("forms/tin-nhiem-so-khcn.json")
}

fn printed_vote(dir: &Path, n: usize) -> Vote {
    let mut vote = Vote::init(&dir.join("vote"), &form()).unwrap();
    vote.generate(n).unwrap();
    vote
}

fn read_truth(out: &Path) -> Truth {
    serde_json::from_str(&std::fs::read_to_string(out.join("truth.json")).unwrap()).unwrap()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_kind_of_sheet_is_written_and_listed_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let vote = printed_vote(tmp.path(), 8);
    let out = tmp.path().join("scans");
    let opts = SimOptions {
        seed: 3,
        count: 4,
        faults: FaultLevel::All,
        include_bad_inputs: true,
        forged: 1,
        foreign: 1,
        duplicates: 1,
        missing_stamp: 1,
        dpi: None,
    };
    let summary = simulate(&vote, &out, &opts).unwrap();
    // The sheet without a stamp is one of the four printed ones.
    assert_eq!(summary.sheets, 4 + 1 + 1 + 1 + 7);
    assert_eq!(summary.truth, out.join("truth.json"));
    let truth = read_truth(&out);
    assert_eq!(truth.vote, vote.form.id);
    assert_eq!(truth.seed, 3);
    assert_eq!(truth.sheets.len(), summary.sheets);

    // Names sort in the order of the truth, and every listed file is there.
    let names: Vec<&str> = truth.sheets.iter().map(|s| s.file.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let on_disk: Vec<String> = files(&out)
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n != "truth.json")
        .collect();
    assert_eq!(on_disk, sorted);

    let serials = vote.store.serials().unwrap();
    let registered: Vec<String> = serials.iter().map(|r| r.serial.to_string()).collect();
    let genuine: Vec<&str> = truth
        .sheets
        .iter()
        .filter(|s| matches!(s.kind, SheetKind::Genuine | SheetKind::MissingStamp))
        .map(|s| s.serial.as_deref().unwrap())
        .collect();
    assert_eq!(
        genuine,
        registered[..4]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "print order"
    );

    for (i, s) in truth.sheets.iter().enumerate() {
        let bytes = std::fs::read(out.join(&s.file)).unwrap();
        let expect = match s.kind {
            SheetKind::Genuine => (Outcome::Counted, None),
            SheetKind::MissingStamp => (Outcome::Review, Some(Reason::MissingStamp)),
            SheetKind::Duplicate => (Outcome::Review, Some(Reason::DuplicateSerial)),
            SheetKind::Forged => (Outcome::Rejected, Some(Reason::NotIssued)),
            SheetKind::Foreign => (Outcome::Rejected, Some(Reason::WrongVote)),
            SheetKind::BadInput => (s.expect, s.expect_reason),
        };
        assert_eq!((s.expect, s.expect_reason), expect, "{}", s.file);
        match s.kind {
            SheetKind::BadInput => {
                assert!(s.rows.is_empty());
                if s.notes.iter().any(|n| n == "truncated_jpeg") {
                    // `image` pads a cut JPEG silently; the missing end-of-image marker tells.
                    assert!(bytes.starts_with(&[0xFF, 0xD8]) && !bytes.ends_with(&[0xFF, 0xD9]));
                } else if s.expect == Outcome::Error {
                    assert!(
                        image::load_from_memory(&bytes).is_err(),
                        "{} decodes",
                        s.file
                    );
                } else if s.expect == Outcome::Blank {
                    assert_eq!(s.expect_reason, None);
                    image::load_from_memory(&bytes).unwrap();
                } else {
                    assert_eq!(s.expect_reason, Some(Reason::RegistrationFailed));
                    image::load_from_memory(&bytes).unwrap();
                }
            }
            kind => {
                let img =
                    image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{}: {e}", s.file));
                assert!(img.width() > 1000 && img.height() > 1000, "{}", s.file);
                assert_eq!(s.rows.len(), vote.layout.rows.len());
                let serial = s.serial.as_deref().unwrap();
                let is_registered = registered.iter().any(|r| r == serial);
                assert_eq!(
                    is_registered,
                    !matches!(kind, SheetKind::Forged | SheetKind::Foreign),
                    "{}",
                    s.file
                );
                assert_eq!(s.clear, s.rows.iter().all(|r| !r.faint));
                for r in &s.rows {
                    assert_eq!(
                        r.choice.is_some(),
                        r.verdict == RowVerdict::Valid,
                        "{}: {r:?}",
                        s.file
                    );
                }
                if kind == SheetKind::Duplicate {
                    let original = truth.sheets[..i]
                        .iter()
                        .find(|o| o.kind == SheetKind::Genuine && o.serial == s.serial)
                        .unwrap_or_else(|| panic!("{}: no earlier original", s.file));
                    assert!(original.clear && original.file < s.file);
                }
            }
        }
    }
    let kinds = |k| truth.sheets.iter().filter(|s| s.kind == k).count();
    assert_eq!(
        [
            SheetKind::Genuine,
            SheetKind::Forged,
            SheetKind::Foreign,
            SheetKind::Duplicate,
            SheetKind::MissingStamp,
            SheetKind::BadInput
        ]
        .map(kinds),
        [3, 1, 1, 1, 1, 7]
    );
    let errors = truth
        .sheets
        .iter()
        .filter(|s| s.expect == Outcome::Error)
        .count();
    assert_eq!(errors, 4);
}

#[test]
fn the_same_seed_writes_the_same_bytes_and_another_seed_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let vote = printed_vote(tmp.path(), 3);
    let opts = SimOptions {
        seed: 42,
        count: 3,
        faults: FaultLevel::All,
        ..SimOptions::default()
    };
    let run = |name: &str, opts: &SimOptions| {
        let out = tmp.path().join(name);
        simulate(&vote, &out, opts).unwrap();
        files(&out)
    };
    let a = run("a", &opts);
    let b = run("b", &opts);
    assert_eq!(a.len(), 4);
    assert!(a == b, "same seed, different output");
    let c = run(
        "c",
        &SimOptions {
            seed: 43,
            ..opts.clone()
        },
    );
    for ((na, ba), (nc, bc)) in a.iter().zip(&c) {
        if na != "truth.json" && na == nc {
            assert_ne!(ba, bc, "{na} did not change with the seed");
        }
    }
}

/// Share of a rectangle's pixels darker than `below`, on an upright 300 dpi scan.
fn share(img: &image::GrayImage, r: RectMm, below: u8) -> f64 {
    let k = 300.0 / 25.4;
    let (x0, y0) = ((r.x_mm * k).ceil() as u32, (r.y_mm * k).ceil() as u32);
    let (x1, y1) = (
        (r.right() * k).floor() as u32,
        (r.bottom() * k).floor() as u32,
    );
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            n += (img.get_pixel(x, y)[0] < below) as usize;
        }
    }
    n as f64 / ((x1 - x0) * (y1 - y0)) as f64
}

#[test]
fn on_a_clean_scan_the_ink_is_where_the_truth_says() {
    let tmp = tempfile::tempdir().unwrap();
    let vote = printed_vote(tmp.path(), 12);
    let out = tmp.path().join("scans");
    let opts = SimOptions {
        seed: 9,
        count: 12,
        faults: FaultLevel::None,
        ..SimOptions::default()
    };
    simulate(&vote, &out, &opts).unwrap();
    let truth = read_truth(&out);
    let mut verdicts = std::collections::BTreeSet::new();
    for s in &truth.sheets {
        assert_eq!(s.faults.level, "none");
        assert_eq!(
            (
                s.faults.format.as_str(),
                s.faults.dpi,
                s.faults.quarter_turns
            ),
            ("png", 300, 0)
        );
        let img = image::open(out.join(&s.file)).unwrap().to_luma8();
        assert_eq!(img.dimensions(), (2480, 3507));
        for (row, t) in vote.layout.rows.iter().zip(&s.rows) {
            verdicts.insert(t.verdict.as_str());
            // Ordinary marks darken only a few percent of a box: what the truth says is checked
            // as ink seen in the box (pixels under grey 235, which light pencil reaches too).
            let scores: Vec<f64> = row
                .boxes
                .iter()
                .map(|b| share(&img, b.inset(0.6), 235))
                .collect();
            let marked = scores.iter().filter(|&&v| v >= 0.01).count();
            let blank = scores.iter().filter(|&&v| v < 0.002).count();
            let what = format!("{} row {}: {t:?} scores {scores:?}", s.file, t.subject);
            match t.verdict {
                RowVerdict::Valid => {
                    assert_eq!((marked, blank), (1, 2), "{what}");
                    assert!(scores[t.choice.unwrap()] >= 0.01, "{what}");
                }
                RowVerdict::NoMark => assert_eq!(blank, 3, "{what}"),
                RowVerdict::MultipleMarks => assert!(marked >= 2 && marked + blank == 3, "{what}"),
                RowVerdict::CrossedOut => {
                    // A line runs through the printed name from end to end.
                    let n = row.name_rect;
                    let k = 300.0 / 25.4;
                    let ys = (n.y_mm * k) as u32..(n.bottom() * k) as u32;
                    let xs = (n.x_mm * k) as u32..(n.right() * k) as u32;
                    let through = xs
                        .clone()
                        .filter(|&x| ys.clone().any(|y| img.get_pixel(x, y)[0] < 235))
                        .count();
                    assert_eq!(through, xs.len(), "{what}");
                    assert!(marked <= 1, "{what}");
                }
                RowVerdict::Ambiguous => panic!("the truth never says ambiguous: {what}"),
            }
        }
    }
    assert!(
        verdicts.len() >= 3,
        "too little variety in 36 rows: {verdicts:?}"
    );
}

#[test]
fn asking_for_more_sheets_than_printed_says_how_many_and_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let vote = printed_vote(tmp.path(), 2);
    let out = tmp.path().join("scans");
    let err = simulate(
        &vote,
        &out,
        &SimOptions {
            count: 3,
            ..SimOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            SimError::NotEnoughBallots {
                needed: 3,
                usable: 2,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("only 2 are printed"), "{msg}");
    // The hint is given apart from the message, and the command line prints it on its own line.
    assert!(!msg.contains("hint"), "{msg}");
    assert!(err.hint().unwrap().contains("generate"), "{err:?}");
    assert!(!out.join("truth.json").exists());
    let err = simulate(
        &vote,
        &out,
        &SimOptions {
            count: 2,
            missing_stamp: 3,
            dpi: None,
            ..SimOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, SimError::MissingStampOverCount { .. }),
        "{err:?}"
    );
    let err = simulate(
        &vote,
        &out,
        &SimOptions {
            count: 1,
            missing_stamp: 1,
            dpi: None,
            duplicates: 1,
            ..SimOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, SimError::NothingToDuplicate { .. }),
        "{err:?}"
    );
}

#[test]
fn voided_serials_are_never_used() {
    let tmp = tempfile::tempdir().unwrap();
    let mut vote = printed_vote(tmp.path(), 3);
    let serials: Vec<_> = vote
        .store
        .serials()
        .unwrap()
        .into_iter()
        .map(|r| r.serial)
        .collect();
    kiemphieu::void::void_serials(&mut vote, &serials[..1]).unwrap();
    let out = tmp.path().join("scans");
    let opts = SimOptions {
        count: 2,
        faults: FaultLevel::Mild,
        ..SimOptions::default()
    };
    simulate(&vote, &out, &opts).unwrap();
    let used: Vec<String> = read_truth(&out)
        .sheets
        .into_iter()
        .filter_map(|s| s.serial)
        .collect();
    assert_eq!(used, vec![serials[1].to_string(), serials[2].to_string()]);
    let err = simulate(
        &vote,
        &tmp.path().join("more"),
        &SimOptions { count: 3, ..opts },
    )
    .unwrap_err();
    assert!(
        matches!(err, SimError::NotEnoughBallots { usable: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn an_old_simulation_is_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let vote = printed_vote(tmp.path(), 1);
    let out = tmp.path().join("scans");
    let opts = SimOptions {
        count: 1,
        faults: FaultLevel::Mild,
        ..SimOptions::default()
    };
    simulate(&vote, &out, &opts).unwrap();
    let err = simulate(&vote, &out, &opts).unwrap_err();
    assert!(matches!(err, SimError::OutNotEmpty { .. }), "{err:?}");
    assert!(err.to_string().contains("truth.json"), "{err}");
}
