//! The audit: a faithful record re-reads to itself; tampering is reported precisely.

use crate::common;

use common::{Sandbox, unused_serials, vote_with_box};
use kiemphieu::simulate::{FaultLevel, SimOptions};
use kiemphieu::vote::Vote;

/// A vote whose simulated ballot box has been scanned: the vote folder.
fn scanned(sb: &Sandbox, opts: &SimOptions) -> std::path::PathBuf {
    let (vote_dir, scans) = vote_with_box(sb, opts);
    sb.run(["scan", vote_dir.to_str().unwrap(), scans.to_str().unwrap()])
        .expect_code(0);
    vote_dir
}

fn scanned_vote(sb: &Sandbox) -> std::path::PathBuf {
    scanned(
        sb,
        &SimOptions {
            seed: 5,
            count: 8,
            faults: FaultLevel::Mild,
            ..SimOptions::default()
        },
    )
}

fn audit_json(
    sb: &Sandbox,
    vote: &std::path::Path,
    extra: &[&str],
) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["audit", vote.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let run = sb.run(&args);
    (
        run.code,
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr)),
    )
}

fn whats(report: &serde_json::Value) -> Vec<String> {
    report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["what"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_faithful_record_reads_back_to_itself() {
    let sb = Sandbox::new();
    let vote = scanned_vote(&sb);
    let (code, report) = audit_json(&sb, &vote, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["sheets_checked"], 8);
    assert!(whats(&report).is_empty());
    // The auditor's own copy of the images, matched by hash, gives the same answer.
    let (code, report) = audit_json(
        &sb,
        &vote,
        &["--images", sb.join("scans").to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{report}");
}

#[test]
fn altered_missing_and_edited_records_are_each_reported() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    let vote = Vote::open(&vote_dir).unwrap();
    let sheets = vote.store.sheets().unwrap();
    // 1. an archived image altered, 2. one deleted.
    let altered = vote_dir.join(sheets[0].archive.as_ref().unwrap());
    let mut bytes = std::fs::read(&altered).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xff;
    std::fs::write(&altered, bytes).unwrap();
    std::fs::remove_file(vote_dir.join(sheets[1].archive.as_ref().unwrap())).unwrap();
    // 3. a recorded verdict edited directly in SQLite.
    let counted = sheets
        .iter()
        .skip(2)
        .find(|s| s.record.outcome == kiemphieu::record::Outcome::Counted)
        .unwrap();
    let mut rows = counted.record.rows.clone();
    rows[0].verdict = if rows[0].verdict == kiemphieu::record::RowVerdict::NoMark {
        kiemphieu::record::RowVerdict::MultipleMarks
    } else {
        kiemphieu::record::RowVerdict::NoMark
    };
    rows[0].choice = None;
    let conn = rusqlite::Connection::open(vote_dir.join("vote.db")).unwrap();
    conn.execute(
        "UPDATE sheets SET rows = ?1 WHERE id = ?2",
        rusqlite::params![serde_json::to_string(&rows).unwrap(), counted.id],
    )
    .unwrap();
    drop(conn);
    drop(vote);

    let (code, report) = audit_json(&sb, &vote_dir, &[]);
    assert_eq!(code, Some(1));
    let diffs = report["differences"].as_array().unwrap();
    let find = |what: &str| {
        diffs
            .iter()
            .find(|d| d["what"] == what)
            .unwrap_or_else(|| panic!("no {what}: {report}"))
    };
    assert_eq!(find("image_altered")["sheet"], sheets[0].id);
    assert_eq!(find("image_missing")["sheet"], sheets[1].id);
    let v = find("verdict");
    assert_eq!(v["sheet"], counted.id);
    assert_eq!(v["row"], 1);
    assert_eq!(v["now"], counted.record.rows[0].verdict.as_str());
    // The edited row also disagrees with the scan event the program logged for it.
    assert_eq!(find("record_edited")["sheet"], counted.id);
    // The text form names the same things, and the exit status says attention is needed.
    let text = sb.run(["audit", vote_dir.to_str().unwrap()]);
    text.expect_code(1);
    assert!(
        text.stdout.contains("image_missing") && text.stdout.contains("verdict"),
        "{}",
        text.stdout
    );
}

#[test]
fn an_edited_event_breaks_the_chain_at_that_event() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    let conn = rusqlite::Connection::open(vote_dir.join("vote.db")).unwrap();
    let id: i64 = conn
        .query_row(
            "SELECT id FROM events WHERE kind = 'scan' ORDER BY id LIMIT 1 OFFSET 2",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute("UPDATE events SET body = body || ' ' WHERE id = ?1", [id])
        .unwrap();
    drop(conn);
    let (code, report) = audit_json(&sb, &vote_dir, &[]);
    assert_eq!(code, Some(1));
    let chain = report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["what"] == "event_chain")
        .unwrap();
    assert!(
        chain["recorded"]
            .as_str()
            .unwrap()
            .contains(&format!("event {id}")),
        "{chain}"
    );
}

#[test]
fn a_hand_count_sample_is_reproducible_and_printable() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    let v = vote_dir.to_str().unwrap();
    let sample = |count: &str, seed: &str, out: &str| {
        let run = sb.run([
            "audit", v, "sample", "--count", count, "--seed", seed, "--out", out,
        ]);
        run.expect_code(0);
        // The sheets named, one line each (the last line names the PDF).
        run.stdout
            .lines()
            .filter(|l| l.contains("serial"))
            .map(String::from)
            .collect::<Vec<String>>()
    };
    let listed = sample("3", "7", "a.pdf");
    assert_eq!(
        sample("3", "7", "b.pdf"),
        listed,
        "the same seed must name the same sheets"
    );
    assert_eq!(listed.len(), 3, "{listed:?}");
    // The PDF has a page a sheet, and shows each sheet's serial.
    let pdf = std::fs::read(sb.join("a.pdf")).unwrap();
    assert_eq!(
        kiemphieu::raster::PrintedPdf::load(pdf.clone())
            .unwrap()
            .page_count(),
        3
    );
    let text = kiemphieu::minutes::extract_text(&pdf).unwrap();
    for line in &listed {
        let serial = line.split_whitespace().nth(3).unwrap();
        // As printed on the ballot: three groups of five.
        assert_eq!(serial.matches('-').count(), 2, "{serial}");
        assert!(text.contains(serial), "{serial} not in the sample PDF");
    }
    // A checker ticks đúng or sai, and signs with the name and the date.
    for want in [
        "□ đúng",
        "□ sai",
        "Người kiểm (họ tên)",
        "Ngày kiểm",
        "Chữ ký",
    ] {
        assert!(text.matches(want).count() >= 3, "{want} missing in {text}");
    }
    // Asking for more than was counted gives every counted sheet once.
    let vote = Vote::open(&vote_dir).unwrap();
    let counted = vote
        .store
        .sheets()
        .unwrap()
        .iter()
        .filter(|s| s.record.outcome == kiemphieu::record::Outcome::Counted)
        .count();
    assert_eq!(sample("1000", "7", "all.pdf").len(), counted);
}

#[test]
fn edited_decisions_voids_meeting_serials_and_deleted_sheets_are_each_reported() {
    let sb = Sandbox::new();
    let vote_dir = scanned(
        &sb,
        &SimOptions {
            seed: 6,
            count: 6,
            faults: FaultLevel::None,
            missing_stamp: 1,
            dpi: None,
            ..SimOptions::default()
        },
    );
    let v = vote_dir.to_str().unwrap();
    let vote = Vote::open(&vote_dir).unwrap();
    // A person decides the unstamped sheet, an unused ballot is voided, the meeting is recorded.
    let sheets = vote.store.sheets().unwrap();
    let in_review = sheets
        .iter()
        .find(|s| s.record.outcome == kiemphieu::record::Outcome::Review)
        .expect("the unstamped sheet is in review");
    let id = in_review.id.to_string();
    sb.run([
        "review",
        v,
        "decide",
        &id,
        "--by",
        "Trần Văn A",
        "--sheet",
        "invalid",
    ])
    .expect_code(0);
    let used: Vec<String> = sheets
        .iter()
        .filter_map(|s| s.record.serial.clone())
        .collect();
    let unused = unused_serials(&vote, &used);
    sb.run(["void", v, "--serial", &unused[0]]).expect_code(0);
    sb.run([
        "meeting",
        v,
        "--convened",
        "12",
        "--present",
        "11",
        "--chair",
        "Lê Thị B",
    ])
    .expect_code(0);
    drop(vote);
    let (code, report) = audit_json(&sb, &vote_dir, &[]);
    assert_eq!(code, Some(0), "{report}");

    // Now each table is edited behind the program's back.
    let counted = sheets
        .iter()
        .find(|s| s.record.outcome == kiemphieu::record::Outcome::Counted)
        .unwrap();
    let conn = rusqlite::Connection::open(vote_dir.join("vote.db")).unwrap();
    conn.execute("UPDATE decisions SET reviewer = 'Người khác'", [])
        .unwrap();
    conn.execute("UPDATE serials SET voided_at = NULL", [])
        .unwrap();
    conn.execute(
        "UPDATE serials SET voided_at = '2026-11-27T00:00:00Z' WHERE serial = ?1",
        [&unused[1]],
    )
    .unwrap();
    conn.execute("UPDATE meeting SET present = 12", []).unwrap();
    conn.execute("DELETE FROM sheets WHERE id = ?1", [counted.id])
        .unwrap();
    // A well-formed serial the program never printed.
    let extra = kiemphieu::serial::Serial::random().unwrap();
    conn.execute(
        "INSERT INTO serials (serial, batch_id, page) VALUES (?1, 1, 99)",
        [extra.as_str()],
    )
    .unwrap();
    drop(conn);

    let (code, report) = audit_json(&sb, &vote_dir, &[]);
    assert_eq!(code, Some(1), "{report}");
    let found = whats(&report);
    for what in [
        "decision_edited",
        "void_edited",
        "meeting_edited",
        "record_deleted",
        "serials_edited",
    ] {
        assert!(found.iter().any(|w| w == what), "no {what}: {report}");
    }
    let diffs = report["differences"].as_array().unwrap();
    let voids: Vec<&serde_json::Value> = diffs
        .iter()
        .filter(|d| d["what"] == "void_edited")
        .collect();
    assert_eq!(
        voids.len(),
        2,
        "the un-voided and the newly voided serial: {report}"
    );
    let deleted = diffs
        .iter()
        .find(|d| d["what"] == "record_deleted")
        .unwrap();
    assert_eq!(deleted["sheet"], counted.id);
}

#[test]
fn committee_members_added_or_changed_behind_the_programs_back_are_reported() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    let mut vote = Vote::open(&vote_dir).unwrap();
    kiemphieu::api::add_member(&mut vote, "Phạm Văn X", "first passphrase").unwrap();
    kiemphieu::api::add_member(&mut vote, "Đỗ Thị Y", "second passphrase").unwrap();
    drop(vote);
    let (code, report) = audit_json(&sb, &vote_dir, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        !report["notes"].to_string().contains("committee"),
        "members added now have their hashes anchored: {report}"
    );

    // Behind the program's back: one member's passphrase hash replaced by the other's (so the
    // second's passphrase signs in as the first), and a member inserted with it.
    let conn = rusqlite::Connection::open(vote_dir.join("vote.db")).unwrap();
    let hash: String = conn
        .query_row(
            "SELECT hash FROM members WHERE name = 'Đỗ Thị Y'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute(
        "UPDATE members SET hash = ?1 WHERE name = 'Phạm Văn X'",
        [&hash],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO members (name, hash, added_at) VALUES ('Kẻ Lạ', ?1, '2026-11-27T00:00:00Z')",
        [&hash],
    )
    .unwrap();
    drop(conn);
    let (code, report) = audit_json(&sb, &vote_dir, &[]);
    assert_eq!(code, Some(1), "{report}");
    let members: Vec<&serde_json::Value> = report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["what"] == "member_edited")
        .collect();
    assert_eq!(members.len(), 2, "{report}");
    let text = serde_json::to_string(&members).unwrap();
    assert!(
        text.contains("Kẻ Lạ") && text.contains("never added"),
        "{text}"
    );
    assert!(
        text.contains("Phạm Văn X") && text.contains("passphrase hash"),
        "{text}"
    );
    assert!(!text.contains("Đỗ Thị Y"), "the untouched member: {text}");
    // A member deleted from the table is reported too.
    let conn = rusqlite::Connection::open(vote_dir.join("vote.db")).unwrap();
    conn.execute("DELETE FROM members WHERE name = 'Đỗ Thị Y'", [])
        .unwrap();
    drop(conn);
    let (_, report) = audit_json(&sb, &vote_dir, &[]);
    let text = report["differences"].to_string();
    assert!(text.contains("no such member"), "{report}");
}
