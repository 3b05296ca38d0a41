//! Claims and decisions: a serial is held by at most one sheet however it got there (scanned or
//! typed, by one command or several at once), and decisions can be amended on the record (the
//! serials left over, and the vote folder in odd conditions: `tests/leftovers.rs`). Each test is
//! named after what broke.

use crate::ballot_box;
use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ballot_box::*;
use common::{Sandbox, image_files, shipped_form};
use kiemphieu::vote::Vote;

#[test]
fn a_serial_typed_in_review_is_claimed_like_a_scanned_one() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 6, 2);
    let v = vote_dir.to_str().unwrap();
    let truth = truth_of(&scans);
    let first = &truth.sheets[0];
    let serial = first.serial.clone().unwrap();
    let original = scans.join(&first.file);
    // A copy whose QR code was painted over goes to review; a person types the serial.
    let painted = sb.join("painted/copy.png");
    paint_over_qr(&vote_dir, &original, &painted, 2.0);
    let recs = scan_json(&sb, v, &painted);
    assert_eq!(recs[0]["reason"], "qr_unreadable", "{recs:?}");
    let mut args = vec![
        "review",
        v,
        "decide",
        "1",
        "--by",
        "Đỗ Thị Y",
        "--serial",
        &serial,
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    args.extend(row_args(&truth, &first.file));
    sb.run(&args).expect_code(0);
    assert_eq!(tally_json(&sb, v)["collected"], 1);

    // The original scanned afterwards is a duplicate for a person, not a second count.
    let recs = scan_json(&sb, v, &original);
    assert_eq!(recs[0]["outcome"], "review", "{recs:?}");
    assert_eq!(recs[0]["reason"], "duplicate_serial", "{recs:?}");
    assert!(counted_twice(&vote_dir).is_empty());

    // A second painted copy decided with the same typed serial is refused.
    let painted2 = sb.join("painted2/copy.png");
    paint_over_qr(&vote_dir, &original, &painted2, 3.0);
    let recs = scan_json(&sb, v, &painted2);
    let id = Vote::open(&vote_dir).unwrap().store.sheets().unwrap().len();
    assert_eq!(recs[0]["reason"], "qr_unreadable");
    let mut args2 = args.clone();
    args2[3] = id.to_string();
    sb.run(&args2)
        .expect_code(2)
        .expect_stderr_has(&["already counted"]);
    assert!(counted_twice(&vote_dir).is_empty());

    // A serial held by a typed decision cannot be voided, and the database itself refuses it.
    sb.run(["void", v, "--serial", &serial])
        .expect_code(2)
        .expect_stderr_has(&["cannot be voided"]);
    let db = behind_the_back(&vote_dir);
    let refused = db.execute(
        "UPDATE serials SET voided_at = 'x' WHERE serial = ?1",
        [&serial],
    );
    assert!(refused.is_err(), "the database voided a claimed serial");
    // And a second claim on it is refused by the database, not by a check in code.
    let second = db.execute(
        "INSERT INTO claims (serial, sheet_id, claimed_at) VALUES (?1, 2, 'x')",
        [&serial],
    );
    assert!(second.is_err(), "the database took a second claim");
    drop(db);
    assert_eq!(tally_json(&sb, v)["collected"], 1);
    sb.run(["audit", v]).expect_code(0);
}

/// The vote's database opened directly, as someone editing it behind the program's back would
/// (the claims' constraints must hold against them too).
fn behind_the_back(vote_dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(vote_dir.join("vote.db")).unwrap()
}

/// Re-encodes every scan (other bytes, the same sheet) into `out`.
fn reencode_all(scans: &Path, out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    for f in image_files(scans) {
        let img = image::open(&f).unwrap().to_luma8();
        let name = f.file_stem().unwrap().to_str().unwrap();
        img.save(out.join(format!("{name}-copy.bmp"))).unwrap();
    }
}

#[test]
fn two_scans_at_once_never_count_a_serial_twice() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 8, 5);
    let copies = sb.join("a/copies");
    reencode_all(&scans, &copies);
    let v = vote_dir.to_str().unwrap().to_string();
    let bin = env!("CARGO_BIN_EXE_kiemphieu");
    let folders = [
        vec![scans.clone()],
        vec![copies.clone()],
        vec![copies.clone(), scans.clone()],
        vec![scans.clone(), copies.clone()],
    ];
    let children: Vec<_> = folders
        .iter()
        .map(|f| {
            std::process::Command::new(bin)
                .arg("scan")
                .arg(&v)
                .args(f)
                .args(["--threads", "1"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("UNIQUE"), "{stderr}");
    }
    assert!(counted_twice(&vote_dir).is_empty());
    let vote = Vote::open(&vote_dir).unwrap();
    let sheets = vote.store.sheets().unwrap();
    // Every file recorded once: 5 originals and 5 copies.
    let hashes: BTreeSet<_> = sheets.iter().map(|s| s.record.sha256.clone()).collect();
    assert_eq!((sheets.len(), hashes.len()), (10, 10));
    // Every serial is claimed by exactly one sheet (counted, or with a person when its marks
    // are in doubt); every other sheet of it is a duplicate.
    use kiemphieu::record::{Outcome, Reason};
    let claiming: Vec<String> = sheets
        .iter()
        .filter(|s| {
            s.record.outcome == Outcome::Counted
                || (s.record.outcome == Outcome::Review
                    && s.record.reason != Some(Reason::DuplicateSerial))
        })
        .filter_map(|s| s.record.serial.clone())
        .collect();
    let distinct: BTreeSet<_> = claiming.iter().collect();
    assert_eq!((claiming.len(), distinct.len()), (5, 5), "{claiming:?}");
    // No temporary file left in the archive by the racing writers.
    let archive = common::entries(&vote_dir.join("archive"));
    assert!(archive.iter().all(|n| !n.ends_with(".tmp")), "{archive:?}");
    drop(vote);
    sb.run(["audit", &v]).expect_code(0);
}

#[test]
fn scanning_a_folder_that_holds_the_vote_skips_the_vote_folder() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "work", 6, 3);
    let v = vote_dir.to_str().unwrap();
    let run = sb.run(["scan", v, sb.join("work").to_str().unwrap()]);
    run.expect_code(0)
        .expect_stderr_has(&["inside the vote folder"]);
    // The same through `..` and through the vote folder named directly.
    let twisted = scans.join("../vote/ballots");
    sb.run(["scan", v, twisted.to_str().unwrap()])
        .expect_code(0);
    let vote = Vote::open(&vote_dir).unwrap();
    let sheets = vote.store.sheets().unwrap();
    assert_eq!(sheets.len(), 3, "only the scans are recorded");
    assert!(
        sheets.iter().all(|s| s.record.file.contains("scans")),
        "{:?}",
        sheets.iter().map(|s| &s.record.file).collect::<Vec<_>>()
    );
}

#[test]
fn two_generates_at_once_never_share_a_pdf() {
    let sb = Sandbox::new();
    let vote_dir = sb.join("vote");
    Vote::init(&vote_dir, &shipped_form("tin-nhiem-so-khcn.json")).unwrap();
    let v = vote_dir.to_str().unwrap().to_string();
    let bin = env!("CARGO_BIN_EXE_kiemphieu");
    let children: Vec<_> = (0..3)
        .map(|_| {
            std::process::Command::new(bin)
                .args(["generate", &v, "--count", "4"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let vote = Vote::open(&vote_dir).unwrap();
    let mut by_batch: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for r in vote.store.serials().unwrap() {
        by_batch
            .entry(r.batch)
            .or_default()
            .push(r.serial.grouped());
    }
    assert_eq!(by_batch.len(), 3);
    let pdfs: BTreeSet<String> = vote
        .store
        .batches()
        .unwrap()
        .into_iter()
        .map(|b| b.pdf)
        .collect();
    assert_eq!(pdfs.len(), 3, "{pdfs:?}");
    for (batch, serials) in &by_batch {
        let pdf = vote_dir.join(format!("ballots/batch-{batch:04}.pdf"));
        let text = kiemphieu::minutes::extract_text(&std::fs::read(&pdf).unwrap()).unwrap();
        for s in serials {
            assert!(text.contains(s), "{} lacks {s}", pdf.display());
        }
    }
    let left: Vec<String> = common::entries(&vote_dir.join("ballots"))
        .into_iter()
        .filter(|n| !n.starts_with("batch-") || !n.ends_with(".pdf"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn an_old_vote_folder_opens_tallies_and_audits_clean() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 6, 3);
    let v = vote_dir.to_str().unwrap();
    let truth = truth_of(&scans);
    sb.run(["scan", v, scans.to_str().unwrap()]).expect_code(0);
    let before = tally_json(&sb, v);
    // Downgraded to schema 1: the tables schema 1 had, its version number.
    {
        behind_the_back(&vote_dir)
            .execute_batch(
                "DROP TRIGGER claims_refuse_void_serial; DROP TRIGGER serials_refuse_voiding_claimed;
                 DROP TABLE claims; DROP TABLE members; DROP TABLE proposals;
                 UPDATE meta SET value = '1' WHERE key = 'schema_version';",
            )
            .unwrap();
    }
    let after = tally_json(&sb, v);
    assert_eq!(before["subjects"], after["subjects"]);
    assert_eq!(before["collected"], after["collected"]);
    sb.run(["audit", v]).expect_code(0);
    let vote = Vote::open(&vote_dir).unwrap();
    let version: String = behind_the_back(&vote_dir)
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, kiemphieu::store::SCHEMA_VERSION.to_string());
    // The upgrade rebuilt the claims: every counted serial is held, so a copy is a duplicate.
    let claims = vote.store.claims().unwrap();
    for s in &truth.sheets {
        assert!(claims.contains_key(s.serial.as_ref().unwrap()));
    }
    drop(vote);
    let copies = sb.join("a/copies");
    reencode_all(&scans, &copies);
    for r in scan_json(&sb, v, &copies) {
        assert_eq!(r["reason"], "duplicate_serial", "{r}");
    }
    sb.run(["audit", v]).expect_code(0);
}

#[test]
fn a_counted_sheet_is_withdrawn_and_redecided_with_its_history() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 6, 2);
    let v = vote_dir.to_str().unwrap();
    let truth = truth_of(&scans);
    sb.run(["scan", v, scans.to_str().unwrap()]).expect_code(0);
    assert_eq!(tally_json(&sb, v)["collected"], 2);
    let serial = Vote::open(&vote_dir).unwrap().store.sheets().unwrap()[0]
        .record
        .serial
        .clone()
        .unwrap();
    // Without --amend: refused, with the way to do it.
    sb.run(["review", v, "decide", "1", "--by", "X", "--sheet", "ignore"])
        .expect_code(2)
        .expect_stderr_has(&["counted by the machine", "hint:", "--amend"]);
    // --amend needs a reason.
    sb.run([
        "review", v, "decide", "1", "--by", "X", "--sheet", "ignore", "--amend",
    ])
    .expect_code(2);
    let out = sb.run([
        "review",
        v,
        "decide",
        "1",
        "--by",
        "Phạm Văn X",
        "--sheet",
        "withdraw",
        "--amend",
        "--reason",
        "a test scan of an unmarked ballot",
    ]);
    out.expect_code(0);
    assert!(out.stdout.contains("set aside"), "{}", out.stdout);
    assert_eq!(tally_json(&sb, v)["collected"], 1);
    // Its serial is free again.
    let unused = sb.run(["serials", v, "--unused"]);
    let grouped = kiemphieu::serial::Serial::parse(&serial).unwrap().grouped();
    assert!(unused.stdout.contains(&grouped), "{}", unused.stdout);
    sb.run(["audit", v]).expect_code(0);

    // Re-decided: counted again, with rows read by a person.
    let file = Vote::open(&vote_dir).unwrap().store.sheets().unwrap()[0]
        .record
        .file
        .clone();
    let name = Path::new(&file).file_name().unwrap().to_str().unwrap();
    let mut args: Vec<String> = [
        "review",
        v,
        "decide",
        "1",
        "--by",
        "Đỗ Thị Y",
        "--sheet",
        "accept",
        "--amend",
        "--reason",
        "it was a real ballot",
    ]
    .map(String::from)
    .to_vec();
    args.extend(row_args(&truth, name));
    let out = sb.run(&args);
    out.expect_code(0);
    assert!(out.stdout.contains("counted; row 1:"), "{}", out.stdout);
    assert!(!out.stdout.contains("Counted("), "{}", out.stdout);
    assert_eq!(tally_json(&sb, v)["collected"], 2);
    let unused = sb.run(["serials", v, "--unused"]);
    assert!(!unused.stdout.contains(&grouped), "{}", unused.stdout);
    // Both decisions are in the history, the latest in force.
    let show = sb.run([
        "review",
        v,
        "show",
        "1",
        "--out",
        sb.join("s.png").to_str().unwrap(),
    ]);
    show.expect_code(0);
    assert!(show.stdout.contains("a test scan"), "{}", show.stdout);
    assert!(
        show.stdout.contains("it was a real ballot"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout.contains("in force: counted;"),
        "{}",
        show.stdout
    );
    let vote = Vote::open(&vote_dir).unwrap();
    assert_eq!(kiemphieu::review::history(&vote, 1).unwrap().len(), 2);
    drop(vote);
    sb.run(["audit", v]).expect_code(0);

    // An edited decision is still caught.
    behind_the_back(&vote_dir)
        .execute(
            "UPDATE decisions SET body = replace(body, 'accept', 'ignore') WHERE id = 2",
            [],
        )
        .unwrap();
    let audit = sb.run(["audit", v, "--json"]);
    audit.expect_code(1);
    assert!(audit.stdout.contains("decision_edited"), "{}", audit.stdout);
}

#[test]
fn a_decided_sheet_is_not_decided_again_silently() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 6, 1);
    let v = vote_dir.to_str().unwrap();
    let truth = truth_of(&scans);
    let first = &truth.sheets[0];
    let painted = sb.join("painted/copy.png");
    paint_over_qr(&vote_dir, &scans.join(&first.file), &painted, 2.0);
    scan_json(&sb, v, &painted);
    // Contradictory readings of one row are refused.
    sb.run([
        "review", v, "decide", "1", "--by", "X", "--row", "1=3", "--row", "1=1",
    ])
    .expect_code(2)
    .expect_stderr_has(&["two different readings"]);
    sb.run([
        "review", v, "decide", "1", "--by", "X", "--sheet", "invalid",
    ])
    .expect_code(0);
    sb.run(["review", v, "decide", "1", "--by", "Y", "--sheet", "ignore"])
        .expect_code(2)
        .expect_stderr_has(&["already decided", "--amend"]);
    sb.run([
        "review",
        v,
        "decide",
        "1",
        "--by",
        "Y",
        "--sheet",
        "ignore",
        "--amend",
        "--reason",
        "not a ballot of this box",
    ])
    .expect_code(0);
    assert_eq!(tally_json(&sb, v)["collected"], 0);
    sb.run(["audit", v]).expect_code(0);
}
