//! Claims and decisions: a serial is held by at most one sheet however it got there (scanned or
//! typed, by one command or several at once), decisions can be amended on the record, and the
//! serials left over can be listed and voided. Each test is named after what broke.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::{Run, Sandbox, image_files, run_in, shipped_form};
use kiemphieu::layout::PointMm;
use kiemphieu::simulate::{FaultLevel, SimOptions, Truth, simulate};
use kiemphieu::vote::Vote;

fn truth_of(dir: &Path) -> Truth {
    serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).unwrap()).unwrap()
}

/// A vote with `printed` ballots and a box of `count` clean, genuine scans: (vote, scans).
fn vote_and_box(sb: &Sandbox, root: &str, printed: usize, count: usize) -> (PathBuf, PathBuf) {
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
fn paint_over_qr(vote_dir: &Path, scan: &Path, out: &Path, margin_mm: f64) {
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

fn tally_json(sb: &Sandbox, v: &str) -> serde_json::Value {
    let run = sb.run(["tally", v, "--json"]);
    run.expect_code(0);
    serde_json::from_str(&run.stdout).unwrap()
}

fn scan_json(sb: &Sandbox, v: &str, path: &Path) -> Vec<serde_json::Value> {
    let run = sb.run(["scan", v, path.to_str().unwrap(), "--json"]);
    assert!(matches!(run.code, Some(0 | 1)), "{run:?}");
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The serials held by more than one sheet that counts (counted by the machine or by decision).
fn counted_twice(vote_dir: &Path) -> Vec<String> {
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

fn row_args(truth: &Truth, file: &str) -> Vec<String> {
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
                 DROP TABLE claims; DROP TABLE members;
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
