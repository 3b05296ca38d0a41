//! The accounting identity of issue 11, from the command line: every ballot printed, issued,
//! collected and every page scanned is in exactly one figure, the figures add up, and every file
//! that could not be read is named wherever the committee looks (scan, review list, tally, the
//! minutes). Also what final minutes need, and what a re-run of `meeting` keeps.

use crate::common;

use common::{EXIT_CANNOT_RUN, Sandbox, shipped_form, vote_with_box};
use kiemphieu::record::{Outcome, Reason};
use kiemphieu::simulate::{FaultLevel, SimOptions};
use kiemphieu::store::ChainHead;
use kiemphieu::vote::Vote;
use serde_json::Value;

fn u(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// Checks every equation of the identity on a `tally --json` object.
#[track_caller]
fn assert_identity(t: &Value) {
    let not_issued: u64 = t["not_issued"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(u(t, "printed"), u(t, "voided") + u(t, "issued"), "{t}");
    assert_eq!(
        u(t, "issued"),
        u(t, "counted") + u(t, "ruled_invalid") + u(t, "not_returned"),
        "{t}"
    );
    assert_eq!(
        u(t, "collected"),
        u(t, "counted") + u(t, "ruled_invalid") + not_issued,
        "{t}"
    );
    assert_eq!(u(t, "rejected"), u(t, "ruled_invalid") + not_issued, "{t}");
    assert_eq!(
        u(t, "pages_scanned"),
        u(t, "collected")
            + u(t, "pending_review")
            + u(t, "ignored")
            + u(t, "blank_pages")
            + u(t, "unreadable")
            + u(t, "already_scanned"),
        "{t}"
    );
    assert_eq!(
        t["unreadable_files"].as_array().unwrap().len() as u64,
        u(t, "unreadable")
    );
    assert_eq!(t["identity_holds"], true, "{t}");
    assert_eq!(t["imbalances"], serde_json::json!([]), "{t}");
}

#[test]
fn the_identity_holds_with_rejected_ignored_withdrawn_unreadable_and_rescanned_sheets() {
    let sb = Sandbox::new();
    let opts = SimOptions {
        seed: 11,
        count: 8,
        faults: FaultLevel::None,
        include_bad_inputs: true,
        forged: 1,
        foreign: 1,
        duplicates: 1,
        missing_stamp: 1,
        dpi: None,
    };
    let (vote_dir, scans) = vote_with_box(&sb, &opts);
    let v = vote_dir.to_str().unwrap();
    let s = scans.to_str().unwrap();
    sb.run([
        "meeting",
        v,
        "--convened",
        "12",
        "--present",
        "10",
        "--chair",
        "Phạm Văn X",
        "--member",
        "Đỗ Thị Y",
    ])
    .expect_code(0);

    // Text-mode scan names every file it could not read (exit 1: they need attention).
    let scan = sb.run(["scan", v, s]);
    scan.expect_code(1);
    let vote = Vote::open(&vote_dir).unwrap();
    let errors: Vec<_> = vote
        .store
        .sheets()
        .unwrap()
        .into_iter()
        .filter(|s| s.record.outcome == Outcome::Error)
        .collect();
    assert!(!errors.is_empty(), "the bad inputs give unreadable files");
    assert!(
        scan.stdout.contains("files that could not be read"),
        "{}",
        scan.stdout
    );
    for e in &errors {
        assert!(
            scan.stdout.contains(&e.record.file),
            "{} not named in\n{}",
            e.record.file,
            scan.stdout
        );
    }
    // The same bytes again under another name: already scanned, nothing counts twice, and no
    // new page is recorded (the record holds each distinct page once).
    let pages_before = Vote::open(&vote_dir).unwrap().store.sheets().unwrap().len();
    let again = sb.join("again");
    std::fs::create_dir_all(&again).unwrap();
    let first = common::image_files(&scans).remove(0);
    std::fs::copy(&first, again.join("lai-lan-nua.jpg")).unwrap();
    let rescan = sb.run(["scan", v, again.to_str().unwrap()]);
    rescan.expect_code(0);
    assert!(
        rescan.stdout.contains("already scanned 1"),
        "{}",
        rescan.stdout
    );

    // A person decides: the duplicate is set aside, everything else in review is ruled invalid.
    for (sheet, _) in kiemphieu::review::pending(&vote).unwrap() {
        let action = match sheet.record.reason {
            Some(Reason::DuplicateSerial) => "ignore",
            _ => "invalid",
        };
        sb.run([
            "review",
            v,
            "decide",
            &sheet.id.to_string(),
            "--by",
            "Phạm Văn X",
            "--sheet",
            action,
        ])
        .expect_code(0);
    }
    // A sheet counted by mistake is withdrawn by a member, with a reason: it moves from
    // counted to ignored, and the figures still add up.
    let counted_id = vote
        .store
        .sheets()
        .unwrap()
        .into_iter()
        .find(|s| s.record.outcome == Outcome::Counted)
        .unwrap()
        .id;
    drop(vote);
    let before: Value = serde_json::from_str(&sb.run(["tally", v, "--json"]).stdout).unwrap();
    assert_identity(&before);
    sb.run([
        "review",
        v,
        "decide",
        &counted_id.to_string(),
        "--by",
        "Phạm Văn X",
        "--sheet",
        "withdraw",
        "--amend",
        "--reason",
        "a test scan of an unmarked ballot",
    ])
    .expect_code(0);

    let out = sb.run(["tally", v, "--json"]);
    out.expect_code(0);
    let t: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_identity(&t);
    assert_eq!(u(&t, "counted") + 1, u(&before, "counted"), "{t}");
    assert_eq!(u(&t, "ignored"), u(&before, "ignored") + 1, "{t}");
    assert_eq!(t["final"], true);
    assert!(u(&t, "ignored") >= 1, "{t}");
    assert!(u(&t, "ruled_invalid") >= 1, "{t}");
    assert_eq!(u(&t, "already_scanned"), 0, "{t}");
    assert_eq!(u(&t, "pages_scanned"), pages_before as u64, "{t}");
    assert_eq!(t["not_issued"]["not_issued"], 1, "{t}");
    assert_eq!(t["not_issued"]["wrong_vote"], 1, "{t}");
    assert_eq!(u(&t, "unreadable"), errors.len() as u64);
    let vote = Vote::open(&vote_dir).unwrap();
    assert_eq!(
        u(&t, "pages_scanned"),
        vote.store.sheets().unwrap().len() as u64
    );
    // The chain head is the last event's hash, with the number of events.
    let events = vote.store.events().unwrap();
    let ChainHead {
        hash: head,
        events: n,
    } = vote.store.chain_head().unwrap();
    assert_eq!(n, events.len());
    assert_eq!(t["chain_head"], head.as_str());
    assert_eq!(t["chain_events"], n);
    assert_eq!(head.len(), 64);
    drop(vote);

    // The unreadable files are named in the tally, in review list, and in the minutes.
    let text = sb.run(["tally", v]);
    let list = sb.run(["review", v, "list"]);
    assert!(list.stdout.contains("files to look at"), "{}", list.stdout);
    let minutes = sb.join("bien-ban.pdf");
    sb.run(["tally", v, "--minutes", minutes.to_str().unwrap()])
        .expect_code(0);
    let pdf = kiemphieu::minutes::extract_text(&std::fs::read(&minutes).unwrap()).unwrap();
    let pdf = pdf.split_whitespace().collect::<Vec<_>>().join(" ");
    for e in &errors {
        let f = &e.record.file;
        assert!(text.stdout.contains(f.as_str()), "{f} not in tally");
        assert!(list.stdout.contains(f.as_str()), "{f} not in review list");
        assert!(pdf.contains(f.as_str()), "{f} not in the minutes");
    }
    assert!(pdf.contains("Các số liệu trên khớp nhau."), "{pdf}");
}

#[test]
fn the_identity_holds_on_the_demo() {
    let sb = Sandbox::new();
    sb.run(["demo", "d"]).expect_code(0);
    let out = sb.run(["tally", sb.join("d/vote").to_str().unwrap(), "--json"]);
    let t: Value = serde_json::from_str(&out.stdout).unwrap();
    // The demo leaves sheets for a person: the identity holds with them pending.
    assert_identity(&t);
    assert!(u(&t, "pending_review") > 0);
    // Forged and foreign sheets are in the box: more collected than issued, and said why.
    let text = sb.run(["tally", sb.join("d/vote").to_str().unwrap()]);
    assert!(
        text.stdout
            .contains("Serial không có trong sổ phiếu đã in (not_issued)")
    );
    assert!(
        text.stdout
            .contains("Phiếu của cuộc lấy phiếu khác (wrong_vote)")
    );
}

#[test]
fn final_minutes_are_refused_before_the_meeting_and_the_scan() {
    let sb = Sandbox::new();
    let v = sb.join("vote");
    let v = v.to_str().unwrap();
    let form = shipped_form("tin-nhiem-so-khcn.json");
    sb.run(["init", v, "--form", form.to_str().unwrap()])
        .expect_code(0);
    sb.run(["generate", v, "--count", "3"]).expect_code(0);
    let run = sb.run(["tally", v, "--minutes", "m.pdf"]);
    run.expect_code(EXIT_CANNOT_RUN).expect_stderr_has(&[
        "cannot write final minutes to m.pdf; missing:",
        "- the meeting facts (convened, present) are not recorded",
        "- no chair of the counting committee is recorded",
        "- no member of the counting committee is recorded",
        "hint:",
        "--draft",
    ]);
    assert!(!sb.join("m.pdf").exists());
    sb.run(["tally", v, "--minutes", "m.pdf", "--draft"])
        .expect_code(0);
    assert!(sb.join("m.pdf").exists());
}

#[test]
fn rerunning_meeting_keeps_the_committee() {
    let sb = Sandbox::new();
    let v = sb.join("vote");
    let vs = v.to_str().unwrap();
    let form = shipped_form("tin-nhiem-so-khcn.json");
    sb.run(["init", vs, "--form", form.to_str().unwrap()])
        .expect_code(0);
    sb.run([
        "meeting",
        vs,
        "--convened",
        "35",
        "--present",
        "30",
        "--chair",
        "Phạm Văn X",
        "--member",
        "Đỗ Thị Y",
        "--member",
        "Hoàng Văn Z",
    ])
    .expect_code(0);
    // A corrected head count, and nothing else.
    sb.run(["meeting", vs, "--present", "31"]).expect_code(0);
    let m = kiemphieu::review::meeting(&Vote::open(&v).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!((m.convened, m.present), (35, 31));
    assert_eq!(
        m.committee,
        vec![
            ("Phạm Văn X".to_string(), "Trưởng ban".to_string()),
            ("Đỗ Thị Y".to_string(), "Thành viên".to_string()),
            ("Hoàng Văn Z".to_string(), "Thành viên".to_string()),
        ]
    );
    // An empty chair is refused, and the record stays as it was.
    sb.run(["meeting", vs, "--chair", ""])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&["--chair needs a name"]);
    // So is a head count no meeting has: the store and the tally must agree on it.
    sb.run(["meeting", vs, "--convened", "18446744073709551615"])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&["18446744073709551615", "at most"]);
    let t: Value = serde_json::from_str(&sb.run(["tally", vs, "--json"]).stdout).unwrap();
    assert_eq!(t["quorum"]["convened"], 35);
    assert_eq!(t["quorum"]["present"], 31);
    assert_eq!(t["quorum"]["met"], true);
    let m2 = kiemphieu::review::meeting(&Vote::open(&v).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(m2, m);
}

#[test]
fn scan_of_a_path_that_does_not_exist_exits_2() {
    let sb = Sandbox::new();
    let v = sb.join("vote");
    let v = v.to_str().unwrap();
    let form = shipped_form("tin-nhiem-so-khcn.json");
    sb.run(["init", v, "--form", form.to_str().unwrap()])
        .expect_code(0);
    sb.run(["scan", v, "no-such-folder"])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[
            "cannot scan no-such-folder: no such file or folder",
            "hint:",
        ]);
}

/// Runs `watch` on `folder` for a few seconds, stops it with Ctrl-C (SIGINT) and returns
/// (exit code, stdout, stderr).
fn watch_then_ctrl_c(
    vote: &std::path::Path,
    folder: &std::path::Path,
) -> (Option<i32>, String, String) {
    use std::process::{Command, Stdio};
    let child = Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(["watch".as_ref(), vote.as_os_str(), folder.as_os_str()])
        .args(["--settle-ms", "200", "--poll-ms", "100"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(5));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn watch_stopped_with_ctrl_c_prints_a_summary_and_names_unreadable_files() {
    let sb = Sandbox::new();
    let v = sb.join("vote");
    let form = shipped_form("tin-nhiem-so-khcn.json");
    sb.run([
        "init",
        v.to_str().unwrap(),
        "--form",
        form.to_str().unwrap(),
    ])
    .expect_code(0);
    let folder = sb.join("scanner");
    std::fs::create_dir_all(&folder).unwrap();
    // Nothing arrives: a clean stop, exit 0, with the summary.
    let (code, _, err) = watch_then_ctrl_c(&v, &folder);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("stopped: counted 0"), "{err}");
    // A file that is not an image: named, and exit 1.
    std::fs::write(folder.join("ghi-chu.jpg"), "not a picture").unwrap();
    let (code, out, err) = watch_then_ctrl_c(&v, &folder);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("errors 1"), "{err}");
    assert!(out.contains("files that could not be read"), "{out}");
    assert!(out.contains("ghi-chu.jpg (page 1): not_an_image"), "{out}");
}
