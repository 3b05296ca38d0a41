//! Tampering that the event chain alone did not show: the frozen form file and the printed serial
//! lists are anchored in the log, and the chain head printed on paper catches a rebuilt chain.

use crate::common;

use std::path::{Path, PathBuf};

use common::{Sandbox, vote_with_box};
use kiemphieu::simulate::{FaultLevel, SimOptions};
use kiemphieu::store::ChainHead;
use kiemphieu::vote::Vote;
use sha2::{Digest, Sha256};

fn scanned_vote(sb: &Sandbox) -> PathBuf {
    let (vote_dir, scans) = vote_with_box(
        sb,
        &SimOptions {
            seed: 7,
            count: 4,
            faults: FaultLevel::None,
            ..SimOptions::default()
        },
    );
    sb.run(["scan", vote_dir.to_str().unwrap(), scans.to_str().unwrap()])
        .expect_code(0);
    vote_dir
}

fn audit(sb: &Sandbox, vote: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["audit", vote.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let run = sb.run(&args);
    let report = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    (run.code, report)
}

fn whats(report: &serde_json::Value) -> Vec<String> {
    report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["what"].as_str().unwrap().to_string())
        .collect()
}

fn db(vote: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(vote.join("vote.db")).unwrap()
}

/// The head of the vote's event chain, as the minutes print it.
fn chain_head(vote_dir: &Path) -> String {
    Vote::open(vote_dir)
        .unwrap()
        .store
        .chain_head()
        .unwrap()
        .hash
}

/// Recomputes every event's hash, as someone who knows the (unkeyed) scheme would after an edit.
fn rebuild_chain(conn: &rusqlite::Connection) {
    let rows: Vec<(i64, String, String, String)> = conn
        .prepare("SELECT id, at, kind, body FROM events ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = "0".repeat(64);
    for (id, at, kind, body) in rows {
        let mut h = Sha256::new();
        for part in [prev.as_str(), &at, &kind, &body] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        conn.execute(
            "UPDATE events SET prev = ?1, hash = ?2 WHERE id = ?3",
            rusqlite::params![prev, hash, id],
        )
        .unwrap();
        prev = hash;
    }
}

#[test]
fn chain_head_names_the_last_event_and_the_event_count() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    let vote = Vote::open(&vote_dir).unwrap();
    let ChainHead {
        hash: head,
        events: n,
    } = vote.store.chain_head().unwrap();
    let (last, count): (String, i64) = db(&vote_dir)
        .query_row(
            "SELECT (SELECT hash FROM events ORDER BY id DESC LIMIT 1), COUNT(*) FROM events",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((head.clone(), n as i64), (last, count));
    // init, print, then one scan event a sheet.
    assert_eq!(n, 2 + 4);
    let (code, report) = audit(&sb, &vote_dir, &["--expect", &head[..16]]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["chain_head"], head.as_str());
}

#[test]
fn an_edited_serial_row_is_found_by_audit() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    // An unused serial replaced by one the forger printed himself (same count, valid syntax).
    let conn = db(&vote_dir);
    let unused: String = conn
        .query_row(
            "SELECT serial FROM serials WHERE serial NOT IN
               (SELECT serial FROM sheets WHERE serial IS NOT NULL) LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let forged = kiemphieu::serial::Serial::random().unwrap().to_string();
    conn.execute(
        "UPDATE serials SET serial = ?1 WHERE serial = ?2",
        [forged.as_str(), unused.as_str()],
    )
    .unwrap();
    let (code, report) = audit(&sb, &vote_dir, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        whats(&report).contains(&"serials_edited".to_string()),
        "{report}"
    );
}

#[test]
fn an_edited_form_file_is_found_by_audit() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    let form_path = vote_dir.join("form.json");
    let mut form: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&form_path).unwrap()).unwrap();
    // Other relief thresholds change the flags of the tally.
    form["thresholds"]["consider_relief_above"] = "1/3".into();
    std::fs::write(&form_path, serde_json::to_string_pretty(&form).unwrap()).unwrap();
    let (code, report) = audit(&sb, &vote_dir, &[]);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        whats(&report).contains(&"form_edited".to_string()),
        "{report}"
    );
}

#[test]
fn a_rebuilt_chain_audits_clean_but_not_against_the_paper_head() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    let head = chain_head(&vote_dir);
    // A sheet's rows are edited in the table and in its event, and the chain recomputed.
    let conn = db(&vote_dir);
    conn.execute(
        "UPDATE events SET body = replace(body, '\"outcome\":\"counted\"', '\"outcome\":\"rejected\"')
         WHERE id = (SELECT MAX(id) FROM events WHERE kind = 'scan')",
        [],
    )
    .unwrap();
    conn.execute(
        "UPDATE sheets SET outcome = 'rejected', reason = NULL WHERE id = (SELECT MAX(id) FROM sheets)",
        [],
    )
    .unwrap();
    rebuild_chain(&conn);
    let (code, report) = audit(&sb, &vote_dir, &["--expect", &head]);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        whats(&report).contains(&"chain_head".to_string()),
        "{report}"
    );
    // A prefix typed from paper, in capitals with a dash, is enough.
    let typed = format!("{}-{}", &head[..8], &head[8..20]).to_uppercase();
    let (code, report) = audit(&sb, &vote_dir, &["--expect", &typed]);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        whats(&report).contains(&"chain_head".to_string()),
        "{report}"
    );
}

#[test]
fn an_expected_head_shorter_than_16_digits_is_refused() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    let head = chain_head(&vote_dir);
    let run = sb.run(["audit", vote_dir.to_str().unwrap(), "--expect", &head[..15]]);
    run.expect_code(2);
    run.expect_stderr_has(&["--expect", "16", "hint:"]);
    let run = sb.run([
        "audit",
        vote_dir.to_str().unwrap(),
        "--expect",
        "zzzzzzzzzzzzzzzzzz",
    ]);
    run.expect_code(2);
}

#[test]
fn a_head_that_later_events_follow_still_passes_with_a_note() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    let head = chain_head(&vote_dir);
    sb.run([
        "meeting",
        vote_dir.to_str().unwrap(),
        "--convened",
        "10",
        "--present",
        "8",
    ])
    .expect_code(0);
    let (code, report) = audit(&sb, &vote_dir, &["--expect", &head[..16]]);
    assert_eq!(code, Some(0), "{report}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("1 event(s) were recorded after it"),
        "{report}"
    );
}

#[test]
fn an_older_vote_without_anchors_audits_clean_with_a_note() {
    let sb = Sandbox::new();
    let vote_dir = scanned_vote(&sb);
    // The log as the earlier version wrote it: no form hash, no serial-list hash.
    let conn = db(&vote_dir);
    let events: Vec<(i64, String)> = conn
        .prepare("SELECT id, body FROM events WHERE kind IN ('init', 'print')")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, body) in events {
        let mut v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("form_sha256");
        o.remove("serials_sha256");
        conn.execute(
            "UPDATE events SET body = ?1 WHERE id = ?2",
            rusqlite::params![v.to_string(), id],
        )
        .unwrap();
    }
    rebuild_chain(&conn);
    let (code, report) = audit(&sb, &vote_dir, &[]);
    assert_eq!(code, Some(0), "{report}");
    let notes = report["notes"].to_string();
    assert!(notes.contains("form.json"), "{report}");
    assert!(notes.contains("serial lists"), "{report}");
}

#[test]
fn an_audit_during_a_scan_reads_one_snapshot_and_finds_no_false_difference() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_with_box(
        &sb,
        &SimOptions {
            seed: 11,
            count: 12,
            faults: FaultLevel::None,
            ..SimOptions::default()
        },
    );
    let mut scan = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args([
            "scan",
            vote_dir.to_str().unwrap(),
            scans.to_str().unwrap(),
            "--threads",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let vote = Vote::open(&vote_dir).unwrap();
    let mut audits = 0;
    let mut seen_partial = false;
    while scan.try_wait().unwrap().is_none() {
        let report = kiemphieu::audit::audit(&vote, None).unwrap();
        assert!(report.clean(), "{}", report.to_text());
        seen_partial |= report.sheets_checked > 0 && report.sheets_checked < 12;
        audits += 1;
    }
    assert!(scan.wait().unwrap().success());
    let report = kiemphieu::audit::audit(&vote, None).unwrap();
    assert!(report.clean(), "{}", report.to_text());
    assert_eq!(report.sheets_checked, 12);
    assert!(
        audits > 0 && seen_partial,
        "{audits} audits ran during the scan"
    );
}
