//! The harness shared by the integration tests: a scratch folder, the form fixtures, and the built
//! `kiemphieu` binary run as a user would run it.

// Each test crate uses only part of the harness.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use kiemphieu::simulate::{SimOptions, simulate};
use kiemphieu::vote::Vote;

/// The exit status of the contract for "could not run".
pub const EXIT_CANNOT_RUN: i32 = 2;

/// A form file under `fixtures/forms/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/forms")
        .join(name)
}

/// The example form the project ships in `forms/`.
pub fn shipped_form(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("forms")
        .join(name)
}

/// A scratch folder, removed when the test ends.
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::Builder::new()
                .prefix("kiemphieu-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the sandbox (not created).
    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file inside the sandbox and returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(&p, text).expect("write file");
        p
    }

    /// Runs the binary with the sandbox as its working directory.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        run_in(self.path(), args)
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    /// `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics, showing everything the run printed, unless it exited with `code`.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "`kiemphieu {}` exited with {:?}, expected {code}\n--- stdout\n{}--- stderr\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Panics unless stderr contains every one of `parts`.
    pub fn expect_stderr_has(&self, parts: &[&str]) -> &Run {
        for part in parts {
            assert!(
                self.stderr.contains(part),
                "stderr of `kiemphieu {}` lacks {part:?}\n--- stderr\n{}",
                self.args.join(" "),
                self.stderr
            );
        }
        self
    }
}

/// Runs the built `kiemphieu` binary in `cwd` and captures its output and exit status.
pub fn run_in<I, S>(cwd: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(&args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run kiemphieu");
    Run {
        args: args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A vote of the shipped form with its ballots printed (a few spare) and a simulated ballot box
/// of scans: (vote folder, scans folder). The vote is closed when this returns.
pub fn vote_with_box(sb: &Sandbox, opts: &SimOptions) -> (PathBuf, PathBuf) {
    let vote_dir = sb.join("vote");
    let mut vote = Vote::init(&vote_dir, &shipped_form("tin-nhiem-so-khcn.json")).unwrap();
    vote.generate(opts.count + 4).unwrap();
    let scans = sb.join("scans");
    simulate(&vote, &scans, opts).unwrap();
    (vote_dir, scans)
}

/// The vote's printed serials that are not in `used`, in printing order.
pub fn unused_serials(vote: &Vote, used: &[String]) -> Vec<String> {
    vote.store
        .serials()
        .unwrap()
        .into_iter()
        .map(|r| r.serial.to_string())
        .filter(|s| !used.contains(s))
        .collect()
}

/// The image files directly in `dir` (not its truth file), sorted.
pub fn image_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| kiemphieu::scan::is_image_name(p))
        .collect();
    v.sort();
    v
}

/// Copies a folder and everything below it (a vote folder, to scan the same registry twice).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for e in std::fs::read_dir(from).expect("read folder") {
        let e = e.expect("dir entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy file");
        }
    }
}

/// The names of the entries of a folder, sorted; empty when it does not exist.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}
