//! A whole vote by command: print, simulate a box with known marks, void, scan, review the flagged
//! sheets as a person would, tally — and the tally equals the simulation's truth exactly.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Sandbox, shipped_form};
use kiemphieu::record::{Reason, RowVerdict};
use kiemphieu::simulate::{FaultLevel, SheetKind, SimOptions, Truth, TruthSheet, simulate};
use kiemphieu::vote::Vote;

fn truth_of(dir: &Path) -> Truth {
    serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap()
}

/// `SUBJECT=LEVEL` arguments for what the voter did on a sheet (levels counted from 1).
fn row_args(t: &TruthSheet) -> Vec<String> {
    t.rows
        .iter()
        .flat_map(|r| {
            let v = match (r.verdict, r.choice) {
                (RowVerdict::Valid, Some(k)) => (k + 1).to_string(),
                _ => "invalid".into(),
            };
            ["--row".to_string(), format!("{}={v}", r.subject)]
        })
        .collect()
}

#[test]
fn the_tally_equals_the_truth_after_review() {
    let sb = Sandbox::new();
    let vote_dir = sb.join("vote");
    let v = vote_dir.to_str().unwrap();
    sb.run([
        "init",
        v,
        "--form",
        shipped_form("tin-nhiem-so-khcn.json").to_str().unwrap(),
    ])
    .expect_code(0);
    sb.run(["generate", v, "--count", "24"]).expect_code(0);
    sb.run([
        "meeting",
        v,
        "--convened",
        "24",
        "--present",
        "16",
        "--chair",
        "Phạm Văn X",
        // Final minutes need the committee: a chair and members.
        "--member",
        "Đỗ Thị Y",
    ])
    .expect_code(0);
    let scans = sb.join("scans");
    let opts = SimOptions {
        seed: 31,
        count: 14,
        faults: FaultLevel::All,
        include_bad_inputs: false,
        forged: 1,
        foreign: 1,
        duplicates: 1,
        missing_stamp: 1,
        dpi: None,
    };
    simulate(&Vote::open(&vote_dir).unwrap(), &scans, &opts).unwrap();
    let truth = truth_of(&scans);

    // The ballots not handed out are returned and voided; so is one that (the simulation says)
    // was marked and put in the box after being declared unused: it must be rejected.
    let used: Vec<String> = truth
        .sheets
        .iter()
        .filter_map(|s| s.serial.clone())
        .collect();
    let vote = Vote::open(&vote_dir).unwrap();
    let unused = common::unused_serials(&vote, &used);
    drop(vote);
    let voided_in_box = truth
        .sheets
        .iter()
        .find(|s| s.kind == SheetKind::Genuine)
        .unwrap()
        .clone();
    let mut args = vec!["void".to_string(), v.to_string(), "--serial".into()];
    args.extend(unused.iter().cloned());
    args.push(voided_in_box.serial.clone().unwrap());
    sb.run(&args).expect_code(0);

    sb.run(["scan", v, scans.to_str().unwrap()]).expect_code(0);
    // Voiding a serial already read is refused, with a message that names it.
    let counted_serial = truth
        .sheets
        .iter()
        .filter(|s| s.kind == SheetKind::Genuine && s.serial != voided_in_box.serial)
        .find_map(|s| s.serial.clone())
        .unwrap();
    sb.run(["void", v, "--serial", &counted_serial])
        .expect_code(2)
        .expect_stderr_has(&["cannot be voided", "already read from"]);

    // The tally is not final yet, and says so; minutes are refused without --draft.
    let t = sb.run(["tally", v]);
    t.expect_code(0);
    let vote = Vote::open(&vote_dir).unwrap();
    let pending = kiemphieu::review::pending(&vote).unwrap();
    drop(vote);
    if !pending.is_empty() {
        assert!(t.stdout.contains("NOT FINAL"), "{}", t.stdout);
        sb.run(["tally", v, "--minutes", sb.join("m.pdf").to_str().unwrap()])
            .expect_code(2)
            .expect_stderr_has(&["await review"]);
    }

    // A person decides every flagged sheet, by command, from what is on the paper.
    let by_file: BTreeMap<String, &TruthSheet> =
        truth.sheets.iter().map(|s| (s.file.clone(), s)).collect();
    for (sheet, _) in &pending {
        let name = Path::new(&sheet.record.file)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let t = by_file[name];
        let id = sheet.id.to_string();
        let mut args: Vec<String> = vec![
            "review".into(),
            v.into(),
            "decide".into(),
            id,
            "--by".into(),
            "Phạm Văn X".into(),
        ];
        match (t.kind, sheet.record.reason) {
            (SheetKind::Duplicate, _) | (SheetKind::MissingStamp, _) => {
                args.extend(["--sheet".into(), "invalid".into()])
            }
            (SheetKind::Genuine, Some(Reason::QrUnreadable | Reason::RegistrationFailed)) => {
                args.extend(["--serial".into(), t.serial.clone().unwrap()]);
                args.extend(row_args(t));
            }
            (SheetKind::Genuine, Some(Reason::MissingStamp)) => {
                args.extend(["--sheet".into(), "accept".into()]);
                args.extend(row_args(t));
            }
            (SheetKind::Genuine, _) => args.extend(row_args(t)),
            (k, r) => panic!("{name}: a {k:?} sheet in review for {r:?}"),
        }
        sb.run(&args).expect_code(0);
    }
    let list = sb.run(["review", v, "list"]);
    assert!(list.stdout.contains("no sheet waits"), "{}", list.stdout);

    // The expected tally, from the truth alone.
    let n = 3;
    let mut counts = vec![[0u64; 3]; n];
    let mut invalid = vec![0u64; n];
    let mut rejected = 0u64;
    for s in &truth.sheets {
        let genuine = s.kind == SheetKind::Genuine && s.serial != voided_in_box.serial;
        if !genuine {
            rejected += 1;
            invalid.iter_mut().for_each(|i| *i += 1);
            continue;
        }
        for r in &s.rows {
            match (r.verdict, r.choice) {
                (RowVerdict::Valid, Some(k)) => counts[r.subject - 1][k] += 1,
                _ => invalid[r.subject - 1] += 1,
            }
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&sb.run(["tally", v, "--json"]).stdout).unwrap();
    let collected = truth.sheets.len() as u64;
    assert_eq!(json["final"], true);
    assert_eq!(json["printed"], 24);
    assert_eq!(json["voided"], (unused.len() + 1) as u64);
    assert_eq!(json["issued"], 24 - (unused.len() as u64 + 1));
    assert_eq!(json["collected"], collected);
    assert_eq!(json["rejected"], rejected);
    assert_eq!(json["pending_review"], 0);
    assert_eq!(json["quorum"]["met"], true);
    for i in 0..n {
        let s = &json["subjects"][i];
        let want: Vec<u64> = counts[i].to_vec();
        let valid: u64 = want.iter().sum();
        assert_eq!(s["counts"], serde_json::json!(want), "subject {}", i + 1);
        assert_eq!(s["valid"], valid);
        assert_eq!(s["invalid"], invalid[i]);
        let pct: Vec<String> = want
            .iter()
            .map(|&c| kiemphieu::tally::percent(c, collected))
            .collect();
        assert_eq!(s["percents"], serde_json::json!(pct));
    }

    // The minutes, now final, carry every figure.
    let minutes = sb.join("bien-ban.pdf");
    sb.run(["tally", v, "--minutes", minutes.to_str().unwrap()])
        .expect_code(0);
    let text = kiemphieu::minutes::extract_text(&std::fs::read(&minutes).unwrap()).unwrap();
    for k in 1..=3 {
        assert!(text.contains(&format!("Bản số {k}/3")), "copy {k} missing");
    }
    for i in 0..n {
        for c in counts[i] {
            assert!(text.contains(&c.to_string()));
        }
        for p in json["subjects"][i]["percents"].as_array().unwrap() {
            let p = p.as_str().unwrap();
            assert!(
                text.contains(p) || text.contains(&p.replace('.', ",")),
                "percent {p} not in the minutes"
            );
        }
    }
    assert!(text.contains("MẬT"));
    // And the audit re-reads the whole record to itself, decisions included.
    sb.run(["audit", v]).expect_code(0);
}

#[test]
fn refusals_say_why() {
    let sb = Sandbox::new();
    let vote_dir = sb.join("vote");
    let v = vote_dir.to_str().unwrap();
    sb.run([
        "init",
        v,
        "--form",
        shipped_form("tin-nhiem-so-khcn.json").to_str().unwrap(),
    ])
    .expect_code(0);
    sb.run(["generate", v, "--count", "2"]).expect_code(0);
    sb.run(["meeting", v, "--convened", "10", "--present", "11"])
        .expect_code(2)
        .expect_stderr_has(&["cannot exceed"]);
    sb.run(["void", v, "--serial", "22222-22222-22222"])
        .expect_code(2)
        .expect_stderr_has(&["serial"]);
    sb.run(["review", v, "decide", "99", "--by", "X"])
        .expect_code(2)
        .expect_stderr_has(&["sheet 99 does not exist"]);
    sb.run(["review", v, "show", "99"])
        .expect_code(2)
        .expect_stderr_has(&["sheet 99 does not exist", "hint:"]);
    sb.run(["tally", "nowhere"])
        .expect_code(2)
        .expect_stderr_has(&["nowhere", "not a vote folder"]);
    // A counted sheet is not for review.
    let pdf = kiemphieu::raster::PrintedPdf::load(
        std::fs::read(vote_dir.join("ballots/batch-0001.pdf")).unwrap(),
    )
    .unwrap();
    pdf.render(0, 150.0)
        .unwrap()
        .save(sb.join("s.png"))
        .unwrap();
    sb.run(["scan", v, sb.join("s.png").to_str().unwrap()])
        .expect_code(0);
    sb.run(["review", v, "decide", "1", "--by", "X", "--row", "1=1"])
        .expect_code(2)
        .expect_stderr_has(&["sheet 1 was counted by the machine", "--amend --reason"]);
    sb.run(["review", v, "decide", "1", "--by", "X", "--row", "1=7"])
        .expect_code(2)
        .expect_stderr_has(&["level 7 does not exist"]);
}
