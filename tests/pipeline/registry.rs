//! The `generate` stage's registry and command line: batches append and survive reopening, `init`
//! refuses a folder in use, and `generate`'s arguments are checked as the contract says.

use crate::common;

use std::collections::HashSet;

use common::{EXIT_CANNOT_RUN, Sandbox, entries, fixture};
use kiemphieu::raster::PrintedPdf;
use kiemphieu::serial::Serial;
use kiemphieu::store::ChainCheck;
use kiemphieu::vote::{MAX_BATCH, Vote};

// ---- the registry ----------------------------------------------------------------------------

#[test]
fn generate_twice_appends_a_batch_and_the_registry_survives_reopening() {
    let sandbox = Sandbox::new();
    let dir = sandbox.join("vote");
    let (first, second) = {
        let mut vote = Vote::init(&dir, &fixture("one-subject.json")).unwrap();
        let first = vote.generate(3).unwrap();
        let second = vote.generate(2).unwrap();
        assert_eq!((first.batch, second.batch), (1, 2));
        assert_eq!(vote.store.printed_and_voided().unwrap(), (5, 0));
        (first, second)
    };
    assert_eq!(first.pdf, dir.join("ballots/batch-0001.pdf"));
    assert_eq!(second.pdf, dir.join("ballots/batch-0002.pdf"));
    // Nothing half-written is left behind.
    assert_eq!(
        entries(&dir.join("ballots")),
        ["batch-0001.pdf", "batch-0002.pdf"]
    );
    for (b, pages) in [(&first, 3), (&second, 2)] {
        let pdf = PrintedPdf::load(std::fs::read(&b.pdf).unwrap()).unwrap();
        assert_eq!(pdf.page_count(), pages, "{}", b.pdf.display());
    }
    let printed: Vec<Serial> = first
        .serials
        .iter()
        .chain(&second.serials)
        .cloned()
        .collect();
    let distinct: HashSet<&Serial> = printed.iter().collect();
    assert_eq!(distinct.len(), 5, "a serial was printed twice");

    let vote = Vote::open(&dir).expect("reopen");
    let stored = vote.store.serials().unwrap();
    let serials: Vec<Serial> = stored.iter().map(|r| r.serial.clone()).collect();
    assert_eq!(serials, printed, "the registry lost or reordered serials");
    let places: Vec<(i64, i64)> = stored.iter().map(|r| (r.batch, r.page)).collect();
    assert_eq!(places, [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2)]);
    assert!(stored.iter().all(|r| !r.voided));
    assert_eq!(vote.store.printed_and_voided().unwrap(), (5, 0));
    // init + two prints, chained.
    assert_eq!(
        vote.store.verify_events().unwrap(),
        ChainCheck::Holds { events: 3 }
    );
}

#[test]
fn cli_generate_twice_counts_all_ballots() {
    let sandbox = Sandbox::new();
    let form = fixture("one-subject.json");
    sandbox
        .run([
            "init".as_ref(),
            "v".as_ref(),
            "--form".as_ref(),
            form.as_os_str(),
        ])
        .expect_code(0);
    let run = sandbox.run(["generate", "v", "--count", "2"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("printed batch 1 with 2 ballots"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 ballots printed in all, 0 voided"),
        "{}",
        run.stdout
    );
    let run = sandbox.run(["generate", "v", "--count", "3"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("printed batch 2 with 3 ballots"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("5 ballots printed in all, 0 voided"),
        "{}",
        run.stdout
    );
    assert!(sandbox.join("v/layout.json").is_file());
    assert_eq!(
        entries(&sandbox.join("v/ballots")),
        ["batch-0001.pdf", "batch-0002.pdf"]
    );
}

#[test]
fn init_refuses_a_folder_that_is_not_empty() {
    let sandbox = Sandbox::new();
    let dir = sandbox.join("vote");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "do not touch").unwrap();
    let form = fixture("one-subject.json");
    let run = sandbox.run([
        "init".as_ref(),
        dir.as_os_str(),
        "--form".as_ref(),
        form.as_os_str(),
    ]);
    run.expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[&format!(
            "error: {} already exists and is not empty",
            dir.display()
        )]);
    assert_eq!(entries(&dir), ["notes.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "do not touch"
    );
    // A second init over a real vote is refused too, and the vote is untouched.
    let other = sandbox.join("other");
    sandbox
        .run([
            "init".as_ref(),
            other.as_os_str(),
            "--form".as_ref(),
            form.as_os_str(),
        ])
        .expect_code(0);
    let db = std::fs::read(other.join("vote.db")).unwrap();
    sandbox
        .run([
            "init".as_ref(),
            other.as_os_str(),
            "--form".as_ref(),
            form.as_os_str(),
        ])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&["already exists and is not empty"]);
    assert_eq!(std::fs::read(other.join("vote.db")).unwrap(), db);
}

#[test]
fn init_accepts_an_existing_empty_folder() {
    let sandbox = Sandbox::new();
    let dir = sandbox.join("vote");
    std::fs::create_dir(&dir).unwrap();
    Vote::init(&dir, &fixture("one-subject.json")).expect("an empty folder is fine");
    assert!(dir.join("vote.db").is_file());
}

// ---- command-line smoke tests ------------------------------------------------------------------

fn initialized(sandbox: &Sandbox) -> std::path::PathBuf {
    let dir = sandbox.join("vote");
    Vote::init(&dir, &fixture("one-subject.json")).unwrap();
    dir
}

#[test]
fn cli_generate_count_zero_is_refused() {
    let sandbox = Sandbox::new();
    let dir = initialized(&sandbox);
    sandbox
        .run([
            "generate".as_ref(),
            dir.as_os_str(),
            "--count".as_ref(),
            "0".as_ref(),
        ])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[&format!(
            "error: count must be between 1 and {MAX_BATCH}, found 0"
        )]);
    let too_many = (MAX_BATCH + 1).to_string();
    sandbox
        .run([
            "generate".as_ref(),
            dir.as_os_str(),
            "--count".as_ref(),
            too_many.as_ref(),
        ])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[&format!("found {too_many}")]);
    assert!(entries(&dir.join("ballots")).is_empty());
    assert!(!dir.join("layout.json").exists());
    assert_eq!(
        Vote::open(&dir)
            .unwrap()
            .store
            .printed_and_voided()
            .unwrap(),
        (0, 0)
    );
}

#[test]
fn cli_generate_without_a_count_or_with_a_bad_one_is_refused() {
    let sandbox = Sandbox::new();
    let dir = initialized(&sandbox);
    for args in [
        vec!["generate", "vote"],
        vec!["generate", "vote", "--count", "-3"],
        vec!["generate", "vote", "--count", "many"],
    ] {
        let run = sandbox.run(&args);
        run.expect_code(EXIT_CANNOT_RUN);
        assert!(
            run.stderr.contains("--count") || run.stderr.contains("invalid value"),
            "{}",
            run.stderr
        );
    }
    assert!(entries(&dir.join("ballots")).is_empty());
}

#[test]
fn cli_generate_on_a_folder_that_is_not_a_vote_is_refused() {
    let sandbox = Sandbox::new();
    let plain = sandbox.join("photos");
    std::fs::create_dir(&plain).unwrap();
    sandbox
        .run([
            "generate".as_ref(),
            plain.as_os_str(),
            "--count".as_ref(),
            "1".as_ref(),
        ])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[&format!("error: {} is not a vote folder", plain.display())]);
    assert!(
        entries(&plain).is_empty(),
        "generate wrote into a folder that is not a vote"
    );
    let missing = sandbox.join("nowhere");
    sandbox
        .run([
            "generate".as_ref(),
            missing.as_os_str(),
            "--count".as_ref(),
            "1".as_ref(),
        ])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[&format!(
            "error: {} is not a vote folder",
            missing.display()
        )]);
    assert!(!missing.exists());
}
