//! The scan batch: files in, one recorded outcome per page out.
//!
//! Files are taken in a stable order (sorted paths). Each chunk is read, hashed and interpreted in
//! parallel (rayon); then, one page at a time and in file order, the registry is consulted, the
//! image archived under its hash and the record committed in its own transaction. The record
//! therefore never depends on thread count, and a crash loses at most the page being committed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use image::GrayImage;
use rayon::prelude::*;

use crate::interpret::decode::{DecodeFailure, DecodedPage, MAX_FILE_BYTES, decode_each};
use crate::interpret::{PageReading, interpret_page, marks};
use crate::record::{Outcome, Reason, RowVerdict, SheetRecord};
use crate::serial::parse_qr_payload;
use crate::store::{Holder, Recorded, SerialStatus, StoreError, sha256_hex};
use crate::vote::{Vote, write_atomic};

mod files;
mod judge;

pub use files::{
    IMAGE_EXTENSIONS, Listing, collect_files, is_image_name, list_files, outside_vote, read_regular,
};
pub use judge::{Registry, judge};

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot read {path}: {source}")]
    List {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ScanError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ScanError::Store(e) => e.hint(),
            _ => None,
        }
    }
}

/// A file that could not be scanned at all (nothing was recorded for it).
#[derive(Debug, Clone)]
pub struct FileProblem {
    pub file: String,
    pub reason: String,
}

/// What one scan did.
#[derive(Debug, Clone, Default)]
pub struct ScanSummary {
    pub by_outcome: BTreeMap<Outcome, usize>,
    pub by_reason: BTreeMap<(Outcome, Reason), usize>,
    /// Files that could not even be read or archived; they are not recorded.
    pub problems: Vec<FileProblem>,
    /// Pages recorded from black-and-white (1-bit) scans, where a faint mark can vanish.
    pub bilevel_pages: usize,
    /// Files left out because they are inside the vote folder (its printed ballots, its
    /// archive): never scanned, whatever folder was named.
    pub skipped_in_vote: Vec<PathBuf>,
    /// What was found in the folders but not read (not a regular file), with why.
    pub skipped: Vec<FileProblem>,
}

impl ScanSummary {
    pub fn count(&self, o: Outcome) -> usize {
        self.by_outcome.get(&o).copied().unwrap_or(0)
    }
    /// Whether something needs attention (exit status 1): unreadable files or errors.
    pub fn needs_attention(&self) -> bool {
        !self.problems.is_empty() || self.count(Outcome::Error) > 0
    }
    fn add(&mut self, r: &SheetRecord) {
        *self.by_outcome.entry(r.outcome).or_default() += 1;
        if let Some(reason) = r.reason {
            *self.by_reason.entry((r.outcome, reason)).or_default() += 1;
        }
    }
}

/// One page after the parallel stage. The pixels are kept only for a caller that draws pictures:
/// a 300-dpi page is 8.7 MB, and a chunk of them waiting to be committed is most of the memory.
struct ReadPage {
    number: u32,
    /// The reading, or why this page could not be decoded.
    reading: Result<PageReading, DecodeFailure>,
    image: Option<GrayImage>,
    bilevel: bool,
}

/// One file after the parallel stage.
struct ReadFile {
    path: PathBuf,
    bytes: Result<Vec<u8>, String>,
    sha256: String,
    pages: Result<Vec<ReadPage>, DecodeFailure>,
}

/// A sheet's record with the page image, for pictures.
pub struct ScannedSheet<'a> {
    pub record: &'a SheetRecord,
    pub image: Option<&'a GrayImage>,
    pub reading: Option<&'a PageReading>,
}

/// Whether `on_sheet` is shown each page's pixels (for pictures) or only its reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pixels {
    Keep,
    Drop,
}

/// The most bytes of files one chunk holds (besides its first file): with the chunk being
/// committed and the chunk being read, what a scan holds of the files it reads stays bounded
/// whatever their size.
pub const CHUNK_BYTES: u64 = 64 << 20;

/// Cuts the file list into chunks of at most `per_chunk` files and about [`CHUNK_BYTES`].
fn chunks(files: &[PathBuf], per_chunk: usize) -> Vec<&[PathBuf]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, f) in files.iter().enumerate() {
        let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        if i > start && (i - start >= per_chunk || bytes + size > CHUNK_BYTES) {
            out.push(&files[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < files.len() {
        out.push(&files[start..]);
    }
    out
}

/// Scans files and folders into the vote's record. `on_sheet` sees every page's record as it is
/// committed (including `already_scanned` and `error`), with the page image when `pixels` is
/// `Keep`.
pub fn scan(
    vote: &mut Vote,
    paths: &[PathBuf],
    pixels: Pixels,
    mut on_sheet: impl FnMut(&ScannedSheet),
) -> Result<ScanSummary, ScanError> {
    let listing = list_files(paths)?;
    let (files, skipped_in_vote) = outside_vote(listing.files, &vote.dir);
    let mut summary = ScanSummary {
        skipped: listing.skipped,
        skipped_in_vote,
        ..ScanSummary::default()
    };
    // Enough files per chunk to keep every thread busy, few enough to bound memory: pages kept
    // for pictures are 8.7 MB each at 300 dpi, a file's bytes and reading about 1 MB. The
    // pixels being decoded are bounded for the whole process by the decoder's memory budget.
    let per_thread = if pixels == Pixels::Keep { 2 } else { 8 };
    let chunk = (rayon::current_num_threads() * per_thread).max(per_thread);
    // Reading runs one chunk ahead of committing: while the pages of one chunk are archived and
    // committed (in file order, on this thread), the next chunk is decoded and interpreted.
    // The reader asks its own connection which files are already recorded, only to skip work;
    // the commit checks again, so a file recorded meanwhile is still `already_scanned`.
    // A connection is used by one thread at a time; asking it is quick next to decoding.
    let reader_store = std::sync::Mutex::new(crate::store::Store::open(vote.store.path())?);
    let layout = vote.layout.clone();
    let thresholds = vote.form.marks;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Vec<ReadFile>, ScanError>>(1);
    std::thread::scope(|s| {
        s.spawn(move || {
            for group in chunks(&files, chunk) {
                let read = read_group(group, &reader_store, &layout, &thresholds, pixels);
                let failed = read.is_err();
                if tx.send(read).is_err() || failed {
                    break;
                }
            }
        });
        for read in rx {
            for file in read? {
                commit_file(vote, file, &mut summary, &mut on_sheet)?;
            }
        }
        Ok::<(), ScanError>(())
    })?;
    Ok(summary)
}

/// Reads, hashes, decodes and interprets one chunk of files in parallel: one pass per file, so
/// that no thread waits for the slowest file of the chunk more than once. Pages are decoded one
/// at a time, each under its share of the memory budget, and dropped once read.
fn read_group(
    group: &[PathBuf],
    store: &std::sync::Mutex<crate::store::Store>,
    layout: &crate::layout::BallotLayout,
    thresholds: &crate::form::MarkThresholds,
    pixels: Pixels,
) -> Result<Vec<ReadFile>, ScanError> {
    group
        .par_iter()
        .map(|path| {
            let bytes = read_regular(path);
            let sha256 = bytes.as_ref().map(|b| sha256_hex(b)).unwrap_or_default();
            // A single-image file whose first page is recorded needs no decoding.
            let done = bytes.is_ok()
                && !is_multi_page(path)
                && store
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .has_sheet(&sha256, 1)?;
            let pages = match (&bytes, done) {
                (Ok(_), true) => Ok(Vec::new()),
                (Ok(b), false) => read_pages(b, layout, thresholds, pixels),
                (Err(_), _) => Ok(Vec::new()),
            };
            Ok(ReadFile {
                path: path.clone(),
                bytes,
                sha256,
                pages,
            })
        })
        .collect()
}

/// Decodes and interprets every page of a file, one page at a time.
fn read_pages(
    bytes: &[u8],
    layout: &crate::layout::BallotLayout,
    thresholds: &crate::form::MarkThresholds,
    pixels: Pixels,
) -> Result<Vec<ReadPage>, DecodeFailure> {
    let mut pages = Vec::new();
    decode_each(bytes, |number, page| {
        pages.push(match page {
            Ok(DecodedPage { image, permit }) => {
                let reading = interpret_page(&image, layout, thresholds);
                let bilevel = crate::interpret::decode::is_bilevel(&image);
                // The share of the budget goes back here, on the thread that took it.
                drop(permit);
                ReadPage {
                    number,
                    reading: Ok(reading),
                    image: (pixels == Pixels::Keep).then_some(image),
                    bilevel,
                }
            }
            Err(e) => ReadPage {
                number,
                reading: Err(e),
                image: None,
                bilevel: false,
            },
        });
    })?;
    Ok(pages)
}

fn is_multi_page(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "tif" | "tiff" | "pdf"))
}

fn commit_file(
    vote: &mut Vote,
    file: ReadFile,
    summary: &mut ScanSummary,
    on_sheet: &mut impl FnMut(&ScannedSheet),
) -> Result<(), ScanError> {
    let name = file.path.display().to_string();
    let bytes = match file.bytes {
        Ok(b) => b,
        Err(e) => {
            summary.problems.push(FileProblem {
                file: name,
                reason: format!("cannot read the file: {e}"),
            });
            return Ok(());
        }
    };
    let ext = file
        .path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .filter(|e| e.len() <= 5 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "bin".into());
    let archive_rel = format!("archive/{}.{ext}", file.sha256);
    let mut archived = false;
    let mut archive = |vote: &Vote, summary: &mut ScanSummary| -> bool {
        if archived {
            return true;
        }
        let path = vote.dir.join(&archive_rel);
        if path.exists() {
            archived = true;
            return true;
        }
        match write_atomic(&path, &bytes) {
            Ok(()) => {
                archived = true;
                true
            }
            Err(e) => {
                summary.problems.push(FileProblem {
                    file: name.clone(),
                    reason: e.to_string(),
                });
                false
            }
        }
    };
    let pages = match file.pages {
        Ok(p) => p,
        Err(f) => {
            let rec = SheetRecord::error(&name, 1, &file.sha256, f.reason, f.detail);
            if vote.store.has_sheet(&file.sha256, 1)? {
                let rec = SheetRecord {
                    outcome: Outcome::AlreadyScanned,
                    reason: None,
                    detail: None,
                    ..rec
                };
                summary.add(&rec);
                on_sheet(&ScannedSheet {
                    record: &rec,
                    image: None,
                    reading: None,
                });
            } else if archive(vote, summary) {
                let rec = match vote.store.insert_sheet(&rec, Some(&archive_rel))? {
                    Recorded::New(_, rec) => rec,
                    Recorded::Already => already_scanned(&name, 1, &file.sha256),
                };
                summary.add(&rec);
                on_sheet(&ScannedSheet {
                    record: &rec,
                    image: None,
                    reading: None,
                });
            }
            return Ok(());
        }
    };
    if pages.is_empty() {
        // Recorded before: same bytes.
        let rec = already_scanned(&name, 1, &file.sha256);
        summary.add(&rec);
        on_sheet(&ScannedSheet {
            record: &rec,
            image: None,
            reading: None,
        });
        return Ok(());
    }
    for p in &pages {
        let (img, page) = (p.image.as_ref(), p.number);
        let reading = p.reading.as_ref().ok();
        if vote.store.has_sheet(&file.sha256, page)? {
            let rec = already_scanned(&name, page, &file.sha256);
            summary.add(&rec);
            on_sheet(&ScannedSheet {
                record: &rec,
                image: img,
                reading,
            });
            continue;
        }
        let rec = match &p.reading {
            Ok(reading) => judge(
                &vote.store,
                &vote.form.id,
                &name,
                page,
                &file.sha256,
                reading,
            )?,
            // This page alone could not be decoded: an error for it, and the next page is read.
            Err(f) => SheetRecord::error(&name, page, &file.sha256, f.reason, f.detail.clone()),
        };
        if !archive(vote, summary) {
            return Ok(());
        }
        // The claim on the serial is taken in the transaction that records the sheet, so a
        // second command scanning the same serial meanwhile finds it claimed.
        let rec = match vote.store.insert_sheet(&rec, Some(&archive_rel))? {
            Recorded::New(_, rec) => rec,
            Recorded::Already => already_scanned(&name, page, &file.sha256),
        };
        summary.add(&rec);
        if p.bilevel && rec.outcome != Outcome::AlreadyScanned {
            summary.bilevel_pages += 1;
        }
        on_sheet(&ScannedSheet {
            record: &rec,
            image: img,
            reading,
        });
    }
    Ok(())
}

fn already_scanned(file: &str, page: u32, sha256: &str) -> SheetRecord {
    SheetRecord {
        file: file.to_string(),
        page,
        sha256: sha256.to_string(),
        outcome: Outcome::AlreadyScanned,
        reason: None,
        serial: None,
        orientation: None,
        rows: Vec::new(),
        detail: None,
    }
}
