//! Scanning files and watching a folder, with the pictures `--annotate` asks for.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::record::{Outcome, SheetRecord};
use crate::scan::{Pixels, ScanSummary, ScannedSheet};
use crate::watch::{WatchConfig, WatchStatus};

use super::{ApiError, Vote};

/// How a scan runs beyond the files it reads.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Write a picture of every page read (upright, the reading drawn over it) into this folder.
    pub annotate: Option<PathBuf>,
}

/// A page (or a whole file) recorded as `error`, with the decoder's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadablePage {
    pub file: String,
    pub page: u32,
    /// The reason code, and the decoder's detail when there is one (`read_failed: …`).
    pub reason: String,
}

/// What a scan (or a watch session) did.
#[derive(Debug, Clone)]
pub struct ScanRun {
    pub summary: ScanSummary,
    /// Every page recorded as unreadable, in order.
    pub unreadable: Vec<UnreadablePage>,
    /// Pictures that could not be written (the scan itself went on).
    pub picture_errors: Vec<String>,
}

impl ScanRun {
    /// Whether something needs attention (exit status 1): files or pages that could not be read.
    pub fn needs_attention(&self) -> bool {
        self.summary.needs_attention()
    }
}

/// How many files a scan of `paths` will read (for a progress bar): those outside the vote folder.
pub fn count_files(vote: &Vote, paths: &[PathBuf]) -> Result<usize, ApiError> {
    Ok(
        crate::scan::outside_vote(crate::scan::collect_files(paths)?, &vote.dir)
            .0
            .len(),
    )
}

/// Scans `paths` into the vote; `on_sheet` sees every page as it is recorded.
pub fn scan(
    vote: &mut Vote,
    paths: &[PathBuf],
    opts: &ScanOptions,
    mut on_sheet: impl FnMut(&ScannedSheet),
) -> Result<ScanRun, ApiError> {
    // A path given that is not there is a mistyped argument: nothing runs.
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(ApiError::NoSuchPath { path: p.clone() });
        }
    }
    if let Some(dir) = &opts.annotate {
        std::fs::create_dir_all(dir).map_err(|e| ApiError::File {
            what: "create",
            path: dir.clone(),
            reason: e.to_string(),
        })?;
    }
    let layout = vote.layout.clone();
    let mut unreadable = Vec::new();
    let mut picture_errors = Vec::new();
    let pixels = if opts.annotate.is_some() {
        Pixels::Keep
    } else {
        Pixels::Drop
    };
    let summary = crate::scan::scan(vote, paths, pixels, |sheet| {
        let rec = sheet.record;
        on_sheet(sheet);
        note_unreadable(rec, &mut unreadable);
        if let (Some(dir), Some(img), Some(reading)) = (&opts.annotate, sheet.image, sheet.reading)
        {
            let pic = crate::annotate::annotate(img, reading, rec, &layout, &[]);
            let stem = Path::new(&rec.file)
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let out = dir.join(format!("{stem}-p{}-{}.png", rec.page, &rec.sha256[..8]));
            if let Err(e) = pic.save(&out) {
                picture_errors.push(format!("cannot write {}: {e}", out.display()));
            }
        }
    })?;
    Ok(ScanRun {
        summary,
        unreadable,
        picture_errors,
    })
}

/// Keeps scanning what arrives in `folder` until `stop` is set; `on_sheet` sees every page as it
/// is recorded, `on_status` the running totals whenever they change.
pub fn watch(
    vote: &mut Vote,
    folder: &Path,
    cfg: &WatchConfig,
    stop: &AtomicBool,
    mut on_sheet: impl FnMut(&ScannedSheet),
    on_status: impl FnMut(&WatchStatus),
) -> Result<ScanRun, ApiError> {
    let mut unreadable = Vec::new();
    let summary = crate::watch::watch(
        vote,
        folder,
        cfg,
        stop,
        |sheet| {
            note_unreadable(sheet.record, &mut unreadable);
            on_sheet(sheet);
        },
        on_status,
    )?;
    Ok(ScanRun {
        summary,
        unreadable,
        picture_errors: Vec::new(),
    })
}

fn note_unreadable(rec: &SheetRecord, into: &mut Vec<UnreadablePage>) {
    if rec.outcome == Outcome::Error {
        into.push(UnreadablePage {
            file: rec.file.clone(),
            page: rec.page,
            reason: unreadable_text(rec),
        });
    }
}

/// The reason a page could not be read, with the decoder's words when there are some.
pub fn unreadable_text(rec: &SheetRecord) -> String {
    let code = rec.reason.map_or("error", |r| r.as_str());
    match &rec.detail {
        Some(d) => format!("{code}: {d}"),
        None => code.to_string(),
    }
}

/// "counted 3, rejected 1, …": a scan's outcomes in one line.
pub fn outcome_counts(summary: &ScanSummary) -> String {
    format!(
        "counted {}, rejected {}, review {}, already scanned {}, blank {}, errors {}",
        summary.count(Outcome::Counted),
        summary.count(Outcome::Rejected),
        summary.count(Outcome::Review),
        summary.count(Outcome::AlreadyScanned),
        summary.count(Outcome::Blank),
        summary.count(Outcome::Error) + summary.problems.len()
    )
}
