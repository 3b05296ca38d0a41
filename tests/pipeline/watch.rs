//! The watch folder keeps up with a scanner that writes slowly and in bursts, survives `kill -9`,
//! stops cleanly on Ctrl-C, and ends with exactly the record a one-shot `scan` makes.

use crate::common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Sandbox, copy_dir, image_files, shipped_form, vote_with_box};
use kiemphieu::simulate::{FaultLevel, SimOptions};
use kiemphieu::store::Store;
use kiemphieu::vote::Vote;

fn start_watch(sb: &Sandbox, vote: &Path, inbox: &Path, log: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(["watch", vote.to_str().unwrap(), inbox.to_str().unwrap()])
        .args(["--settle-ms", "300", "--poll-ms", "50"])
        .current_dir(sb.path())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(sb.join(log)).unwrap())
        .spawn()
        .expect("start watch")
}

fn recorded(vote: &Path) -> usize {
    let store = Store::open(&Vote::db_path(vote)).unwrap();
    store.sheets().unwrap().len()
}

fn wait_for(vote: &Path, n: usize, sb: &Sandbox, log: &str) {
    let start = Instant::now();
    while recorded(vote) < n {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "watch recorded {} of {n} sheets\n{}",
            recorded(vote),
            std::fs::read_to_string(sb.join(log)).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Each sheet's record without its row id and time: what the two runs must agree on.
fn records(vote: &Path) -> Vec<serde_json::Value> {
    let store = Store::open(&Vote::db_path(vote)).unwrap();
    let mut v: Vec<serde_json::Value> = store
        .sheets()
        .unwrap()
        .into_iter()
        .map(|s| {
            let mut j = serde_json::to_value(&s.record).unwrap();
            j["archive"] = serde_json::json!(s.archive);
            j
        })
        .collect();
    v.sort_by_key(|j| (j["file"].to_string(), j["page"].as_u64()));
    v
}

#[test]
fn watch_keeps_up_survives_kill_and_matches_a_one_shot_scan() {
    let sb = Sandbox::new();
    let opts = SimOptions {
        seed: 11,
        count: 12,
        faults: FaultLevel::Mild,
        forged: 1,
        ..SimOptions::default()
    };
    let (one_shot, scans) = vote_with_box(&sb, &opts);
    // The same registry for the watched vote.
    let watched = sb.join("watched");
    copy_dir(&one_shot, &watched);
    let sims = image_files(&scans);
    assert_eq!(sims.len(), 13);
    let inbox = sb.join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let drop_in = |src: &Path| inbox.join(src.file_name().unwrap());

    let mut watch = start_watch(&sb, &watched, &inbox, "watch-1.log");
    // A burst of four.
    for src in &sims[..4] {
        std::fs::copy(src, drop_in(src)).unwrap();
    }
    // Three written slowly: half, a pause longer than the settle time, the rest.
    for src in &sims[4..7] {
        let bytes = std::fs::read(src).unwrap();
        let dst = drop_in(src);
        std::fs::write(&dst, &bytes[..bytes.len() / 2]).unwrap();
        std::thread::sleep(Duration::from_millis(900));
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(&dst).unwrap();
        f.write_all(&bytes[bytes.len() / 2..]).unwrap();
    }
    wait_for(&watched, 7, &sb, "watch-1.log");
    // A burst, and the power goes mid-batch.
    for src in &sims[7..] {
        std::fs::copy(src, drop_in(src)).unwrap();
    }
    std::thread::sleep(Duration::from_millis(700));
    watch.kill().unwrap(); // SIGKILL
    watch.wait().unwrap();
    let after_kill = recorded(&watched);
    assert!(after_kill >= 7, "{after_kill}");

    // The restart picks up where it was.
    let mut watch = start_watch(&sb, &watched, &inbox, "watch-2.log");
    wait_for(&watched, sims.len(), &sb, "watch-2.log");
    // Nothing more comes; Ctrl-C stops it cleanly.
    std::thread::sleep(Duration::from_millis(600));
    let status = Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let code = watch.wait().unwrap().code();
    let log = std::fs::read_to_string(sb.join("watch-2.log")).unwrap();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("stopped"), "{log}");
    assert!(log.contains("counted "), "{log}");

    // The one-shot scan of the same folder.
    sb.run(["scan", one_shot.to_str().unwrap(), inbox.to_str().unwrap()])
        .expect_code(0);
    let (got, want) = (records(&watched), records(&one_shot));
    assert_eq!(got.len(), sims.len(), "a sheet was lost or counted twice");
    assert_eq!(got, want);
    let counted = got.iter().filter(|r| r["outcome"] == "counted").count();
    assert!(counted >= 10, "{counted} of 12 genuine sheets counted");
    // Equal but for the chain head: each database's events carry their own times.
    let tally = |v: &Path| {
        let run = sb.run(["tally", v.to_str().unwrap(), "--json"]);
        let mut t = serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap();
        let o = t.as_object_mut().unwrap();
        assert!(o.remove("chain_head").is_some());
        t
    };
    assert_eq!(tally(&watched), tally(&one_shot));
}

#[test]
fn watch_refuses_a_missing_folder() {
    let sb = Sandbox::new();
    let vote = sb.join("vote");
    Vote::init(&vote, &shipped_form("tin-nhiem-so-khcn.json")).unwrap();
    let run = sb.run([
        "watch",
        vote.to_str().unwrap(),
        sb.join("no-such-folder").to_str().unwrap(),
    ]);
    run.expect_code(2)
        .expect_stderr_has(&["no-such-folder", "not a folder"]);
}
