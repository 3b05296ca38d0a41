//! The serials left over after the count, and the vote folder in odd conditions: voiding exactly
//! the unused serials, a folder that cannot be written, a full disk, a file name that tries to
//! forge review lines. Each test is named after what broke.

use crate::ballot_box;
use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ballot_box::*;
use common::{Run, Sandbox, image_files, run_in};
use kiemphieu::vote::Vote;

#[test]
fn void_all_unused_voids_exactly_the_unused_serials() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 9, 3);
    let v = vote_dir.to_str().unwrap();
    let truth = truth_of(&scans);
    sb.run(["scan", v, scans.to_str().unwrap()]).expect_code(0);
    let used: BTreeSet<String> = truth
        .sheets
        .iter()
        .map(|s| {
            kiemphieu::serial::Serial::parse(s.serial.as_ref().unwrap())
                .unwrap()
                .grouped()
        })
        .collect();
    let listed = |flag: &str| -> BTreeSet<String> {
        sb.run(["serials", v, flag])
            .expect_code(0)
            .stdout
            .lines()
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect()
    };
    assert_eq!(listed("--counted"), used);
    let unused = listed("--unused");
    assert_eq!(unused.len(), 6);
    assert!(unused.iter().all(|s| s.contains('-')), "{unused:?}");
    // No terminal and no --yes: refused, nothing voided.
    sb.run(["void", v, "--all-unused"])
        .expect_code(2)
        .expect_stderr_has(&["hint:", "--yes"]);
    assert!(listed("--voided").is_empty());
    let out = sb.run(["void", v, "--all-unused", "--yes"]);
    out.expect_code(0);
    assert!(out.stdout.contains("voided 6"), "{}", out.stdout);
    assert_eq!(listed("--voided"), unused);
    assert!(listed("--unused").is_empty());
    assert_eq!(listed("--counted"), used);
    let t = tally_json(&sb, v);
    assert_eq!(
        (t["printed"].as_u64(), t["voided"].as_u64()),
        (Some(9), Some(6))
    );
    sb.run(["audit", v]).expect_code(0);
}

/// Runs the binary so that it cannot write to the vote folder: as an unprivileged user when the
/// tests run as root (root ignores the mode bits), after taking away write permission otherwise.
fn run_without_write(sb: &Sandbox, vote_dir: &Path, args: &[&str]) -> Run {
    use std::os::unix::fs::PermissionsExt;
    let set = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    set(sb.path(), 0o755);
    for e in walk(vote_dir) {
        set(&e, if e.is_dir() { 0o555 } else { 0o444 });
    }
    set(vote_dir, 0o555);
    let root = unsafe_is_root();
    let run = if root {
        let mut full = vec![
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_kiemphieu"),
        ];
        full.extend_from_slice(args);
        let out = std::process::Command::new("setpriv")
            .args(&full)
            .current_dir("/")
            .output()
            .unwrap();
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    } else {
        run_in(sb.path(), args)
    };
    for e in walk(vote_dir) {
        set(&e, if e.is_dir() { 0o755 } else { 0o644 });
    }
    set(vote_dir, 0o755);
    run
}

fn unsafe_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn reading_commands_work_on_a_read_only_vote_folder() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 6, 2);
    let v = vote_dir.to_str().unwrap();
    sb.run(["scan", v, scans.to_str().unwrap()]).expect_code(0);
    let expected = tally_json(&sb, v);
    // A checkpointed database, as a copy on a read-only medium would be.
    drop(Vote::open(&vote_dir).unwrap());
    let before = common::entries(&vote_dir);
    let t = run_without_write(&sb, &vote_dir, &["tally", v, "--json"]);
    t.expect_code(0);
    let got: serde_json::Value = serde_json::from_str(&t.stdout).unwrap();
    assert_eq!(got["subjects"], expected["subjects"]);
    run_without_write(&sb, &vote_dir, &["audit", v]).expect_code(0);
    run_without_write(&sb, &vote_dir, &["review", v, "list"]).expect_code(0);
    let s = run_without_write(&sb, &vote_dir, &["serials", v]);
    s.expect_code(0);
    assert_eq!(s.stdout.lines().count(), 6);
    assert_eq!(
        common::entries(&vote_dir),
        before,
        "a reading command wrote"
    );
}

#[test]
fn a_full_disk_leaves_no_tmp_files_in_the_archive() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 6, 2);
    let v = vote_dir.to_str().unwrap();
    // A file-size limit makes every write past half the smallest scan fail, as a full disk
    // does (the database's small writes still fit).
    let smallest = image_files(&scans)
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .min()
        .unwrap();
    let limit_kb = smallest / 1024 / 2;
    assert!(
        limit_kb >= 48,
        "scans of {smallest} bytes are too small for this test"
    );
    let script = format!(
        "trap '' XFSZ; ulimit -f {limit_kb}; exec '{}' scan '{v}' '{}'",
        env!("CARGO_BIN_EXE_kiemphieu"),
        scans.to_str().unwrap()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("error"), "{stderr}");
    let archive = common::entries(&vote_dir.join("archive"));
    assert!(archive.iter().all(|n| !n.contains(".tmp")), "{archive:?}");
    // Nothing recorded without its archived image; the same scan later records everything.
    sb.run(["scan", v, scans.to_str().unwrap()]).expect_code(0);
    sb.run(["audit", v]).expect_code(0);
}

#[test]
fn void_by_image_refuses_a_filled_in_ballot() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 6, 1);
    let v = vote_dir.to_str().unwrap();
    let file = image_files(&scans).remove(0);
    sb.run(["void", v, file.to_str().unwrap()])
        .expect_code(2)
        .expect_stderr_has(&["filled in", file.file_name().unwrap().to_str().unwrap()]);
    let t = tally_json(&sb, v);
    assert_eq!(t["voided"], 0);
}

#[test]
fn a_file_name_with_a_newline_cannot_forge_review_lines() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 6, 1);
    let v = vote_dir.to_str().unwrap();
    let truth = truth_of(&scans);
    let forged = sb.join("odd/a\nsheet    99  missing_stamp        forged.png (page 1): ok.png");
    paint_over_qr(&vote_dir, &scans.join(&truth.sheets[0].file), &forged, 2.0);
    scan_json(&sb, v, &sb.join("odd"));
    let list = sb.run(["review", v, "list"]);
    list.expect_code(0);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("sheet")).count(),
        1,
        "{}",
        list.stdout
    );
    assert!(list.stdout.contains("a\\nsheet"), "{}", list.stdout);
}

#[test]
fn a_serial_given_back_and_then_voided_leaves_the_audit_clean() {
    let sb = Sandbox::new();
    let (vote_dir, scans) = vote_and_box(&sb, "a", 4, 2);
    let v = vote_dir.to_str().unwrap();
    sb.run(["scan", v, scans.to_str().unwrap()]).expect_code(0);
    sb.run([
        "review",
        v,
        "decide",
        "1",
        "--by",
        "X",
        "--sheet",
        "withdraw",
        "--amend",
        "--reason",
        "a test scan",
    ])
    .expect_code(0);
    // The withdrawn ballot is left over: voided with the others.
    let out = sb.run(["void", v, "--all-unused", "--yes"]);
    out.expect_code(0);
    assert!(out.stdout.contains("voided 3"), "{}", out.stdout);
    // The audit judges sheet 1 against the registry of its time: counted then, not voided.
    sb.run(["audit", v]).expect_code(0);
    // Taking it back now is refused: its serial is void.
    sb.run([
        "review",
        v,
        "decide",
        "1",
        "--by",
        "X",
        "--sheet",
        "accept",
        "--amend",
        "--reason",
        "after all",
    ])
    .expect_code(2)
    .expect_stderr_has(&["was voided after sheet 1 was set aside"]);
    let t = tally_json(&sb, v);
    assert_eq!(
        (t["collected"].as_u64(), t["voided"].as_u64()),
        (Some(1), Some(3))
    );
}
