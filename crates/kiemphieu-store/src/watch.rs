//! The watch folder: scan what a document scanner writes, as it arrives.
//!
//! A file is taken only once it has stopped changing (same size and modification time for
//! `settle`) and, for the formats that say where they end (PNG, JPEG, BMP, PDF), once its end is
//! there; a file that still looks cut off is given `grace` before it is recorded as broken. Every
//! sheet is committed by the ordinary scan (one transaction a page, the image archived under its
//! hash first), so a restart after a crash or `kill -9` simply finds the sheets already recorded
//! and goes on: no sheet lost, none counted twice.
//!
//! File-system events (`notify`) only wake the loop early; the folder is listed on every round,
//! so a share or a file system without events is still watched, at the polling interval.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use crate::interpret::decode::{has_no_end_marker, looks_complete};
use crate::record::Outcome;
use crate::scan::{FileProblem, ScanError, ScanSummary, ScannedSheet, list_files, scan};
use crate::vote::Vote;

/// How the folder is watched.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// How long a file must stay unchanged before it is read.
    pub settle: Duration,
    /// The longest wait between two listings of the folder.
    pub poll: Duration,
    /// How long a file that looks cut off may stay so before it is recorded as broken.
    pub grace: Duration,
    /// List the folder only; do not ask the operating system for events.
    pub polling_only: bool,
    /// How long a file whose format does not mark its end (a TIFF, which a scanner may extend
    /// page by page) must stay unchanged before it is read.
    pub unmarked_settle: Duration,
}

impl WatchConfig {
    /// The timings that follow from how long a file must stay unchanged (`settle`) and the
    /// longest wait between two listings (`poll`, at least 10 ms): a file that still looks cut
    /// off 20 × settle (at least 5 s) after its last change is broken; a TIFF, whose end is not
    /// marked, is read after 5 × settle (at least 5 s).
    pub fn from_settle(settle: Duration, poll: Duration, polling_only: bool) -> WatchConfig {
        let at_least_5s = |d: Duration| d.max(Duration::from_secs(5));
        WatchConfig {
            settle,
            poll: poll.max(Duration::from_millis(10)),
            grace: at_least_5s(settle.saturating_mul(20)),
            polling_only,
            unmarked_settle: at_least_5s(settle.saturating_mul(5)),
        }
    }
}

impl Default for WatchConfig {
    /// `watch`'s defaults: `--settle-ms 1000 --poll-ms 500`.
    fn default() -> WatchConfig {
        WatchConfig::from_settle(
            Duration::from_millis(1000),
            Duration::from_millis(500),
            false,
        )
    }
}

/// The running line: the vote's totals (not only this session's) and what is still arriving.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatchStatus {
    pub counted: usize,
    pub rejected: usize,
    pub review: usize,
    pub errors: usize,
    /// Files seen but not yet read (still being written, or settling).
    pub waiting: usize,
    /// Entries of the folder that are not regular files (a FIFO, a device), never read.
    pub skipped: usize,
    /// Whether file-system events are in use (otherwise the folder is polled).
    pub events: bool,
}

impl WatchStatus {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Counted => self.counted += 1,
            Outcome::Rejected => self.rejected += 1,
            Outcome::Review => self.review += 1,
            Outcome::Error => self.errors += 1,
            Outcome::AlreadyScanned | Outcome::Blank => {}
        }
    }

    pub fn line(&self) -> String {
        let mut line = format!(
            "counted {} · rejected {} · review {} · errors {} · waiting {}",
            self.counted, self.rejected, self.review, self.errors, self.waiting
        );
        if self.skipped > 0 {
            line.push_str(&format!(" · skipped {} (not regular files)", self.skipped));
        }
        line
    }
}

/// What is known of a file in the folder: its size and modification time when last looked at.
type Stamp = (u64, Option<SystemTime>);

#[derive(Debug)]
enum Seen {
    /// Changing, or not yet unchanged for long enough; `since` is when it last changed.
    Waiting { stamp: Stamp, since: Instant },
    /// Handed to the scan with this stamp.
    Done(Stamp),
}

/// Watches `folder` until `stop` is set, scanning every complete file into the vote.
/// `on_sheet` sees every committed page; `on_status` the running totals after every round that
/// changed them.
pub fn watch(
    vote: &mut Vote,
    folder: &Path,
    cfg: &WatchConfig,
    stop: &AtomicBool,
    mut on_sheet: impl FnMut(&ScannedSheet),
    mut on_status: impl FnMut(&WatchStatus),
) -> Result<ScanSummary, ScanError> {
    if !folder.is_dir() {
        return Err(ScanError::List {
            path: folder.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
        });
    }
    let (tx, rx) = mpsc::channel::<()>();
    // Kept alive for the whole watch; dropping it stops the events.
    let _events = if cfg.polling_only {
        None
    } else {
        events(folder, tx)
    };
    let mut status = WatchStatus {
        events: _events.is_some(),
        ..WatchStatus::default()
    };
    for s in vote.store.sheets()? {
        status.add(s.record.outcome);
    }
    on_status(&status);
    let mut shown = status.clone();
    let mut show = |status: &WatchStatus| {
        if *status != shown {
            on_status(status);
            shown = status.clone();
        }
    };
    let mut summary = ScanSummary::default();
    let mut seen: HashMap<PathBuf, Seen> = HashMap::new();
    // Enough files a round to keep every thread busy; Ctrl-C waits for at most one round.
    let round = (rayon::current_num_threads() * 2).max(2);
    while !stop.load(Ordering::SeqCst) {
        let ready = look(folder, &mut seen, cfg, &mut summary.skipped)?;
        status.waiting = waiting(&seen);
        status.skipped = summary.skipped.len();
        for group in ready.chunks(round) {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let paths: Vec<PathBuf> = group.iter().map(|(p, _)| p.clone()).collect();
            let part = scan(vote, &paths, crate::scan::Pixels::Drop, |sheet| {
                status.add(sheet.record.outcome);
                on_sheet(sheet);
            })?;
            for (p, stamp) in group {
                seen.insert(p.clone(), Seen::Done(*stamp));
            }
            merge(&mut summary, part);
            status.waiting = waiting(&seen);
            show(&status);
        }
        show(&status);
        if ready.is_empty() {
            // Sleep until an event or the next listing; drain what piled up meanwhile.
            let _ = rx.recv_timeout(cfg.poll);
            while rx.try_recv().is_ok() {}
        }
    }
    Ok(summary)
}

fn waiting(seen: &HashMap<PathBuf, Seen>) -> usize {
    seen.values()
        .filter(|s| matches!(s, Seen::Waiting { .. }))
        .count()
}

/// Lists the folder and returns the files ready to read, in path order, with their stamps.
/// Entries that are not regular files are added to `skipped` the first time they are seen.
fn look(
    folder: &Path,
    seen: &mut HashMap<PathBuf, Seen>,
    cfg: &WatchConfig,
    skipped: &mut Vec<FileProblem>,
) -> Result<Vec<(PathBuf, Stamp)>, ScanError> {
    let now = Instant::now();
    let listing = list_files(&[folder.to_owned()])?;
    for s in listing.skipped {
        if !skipped.iter().any(|k| k.file == s.file) {
            skipped.push(s);
        }
    }
    let files = listing.files;
    // Forget files that went away (renamed by the scanner, or removed by the committee).
    let present: std::collections::HashSet<&PathBuf> = files.iter().collect();
    seen.retain(|p, _| present.contains(p));
    let mut ready = Vec::new();
    for p in files {
        // A file that vanished between the listing and now is simply not there this round.
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        let stamp = (meta.len(), meta.modified().ok());
        match seen.get(&p) {
            Some(Seen::Done(s)) if *s == stamp => {}
            Some(Seen::Waiting { stamp: s, since }) if *s == stamp => {
                let still = now.duration_since(*since);
                if still >= cfg.settle && (still >= cfg.grace || complete(&p, cfg, still)) {
                    ready.push((p, stamp));
                }
            }
            _ => {
                seen.insert(p, Seen::Waiting { stamp, since: now });
            }
        }
    }
    Ok(ready)
}

/// Whether the file's bytes end the way its format ends (unreadable now: not yet). A TIFF does
/// not mark its end, and a scanner writes a multi-page one page by page: it is taken as whole
/// only once it has stayed unchanged for `unmarked_settle`; reading it at each size would record
/// its first pages again with every page added.
fn complete(p: &Path, cfg: &WatchConfig, still: Duration) -> bool {
    match crate::scan::read_regular(p) {
        Err(_) => false,
        Ok(b) if has_no_end_marker(&b) => still >= cfg.unmarked_settle,
        Ok(b) => looks_complete(&b),
    }
}

/// Asks the operating system to signal changes under `folder`; None where it cannot.
fn events(folder: &Path, tx: mpsc::Sender<()>) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut w = notify::recommended_watcher(move |_res: notify::Result<notify::Event>| {
        let _ = tx.send(());
    })
    .ok()?;
    w.watch(folder, notify::RecursiveMode::Recursive).ok()?;
    Some(w)
}

fn merge(into: &mut ScanSummary, part: ScanSummary) {
    for (o, n) in part.by_outcome {
        *into.by_outcome.entry(o).or_default() += n;
    }
    for (k, n) in part.by_reason {
        *into.by_reason.entry(k).or_default() += n;
    }
    into.problems.extend(part.problems);
    for s in part.skipped {
        if !into.skipped.iter().any(|k| k.file == s.file) {
            into.skipped.push(s);
        }
    }
    into.bilevel_pages += part.bilevel_pages;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_timings_are_the_commands_defaults() {
        let d = WatchConfig::default();
        assert_eq!(d.grace, Duration::from_secs(20));
        assert_eq!(d.unmarked_settle, Duration::from_secs(5));
        let quick = WatchConfig::from_settle(Duration::from_millis(50), Duration::ZERO, true);
        assert_eq!(quick.grace, Duration::from_secs(5));
        assert_eq!(quick.poll, Duration::from_millis(10));
        let slow = WatchConfig::from_settle(Duration::from_secs(2), Duration::from_secs(1), false);
        assert_eq!(slow.grace, Duration::from_secs(40));
        assert_eq!(slow.unmarked_settle, Duration::from_secs(10));
    }

    fn cfg() -> WatchConfig {
        WatchConfig {
            settle: Duration::from_millis(0),
            poll: Duration::from_millis(10),
            grace: Duration::from_secs(3600),
            polling_only: true,
            unmarked_settle: Duration::from_millis(200),
        }
    }

    #[test]
    fn a_file_is_ready_only_after_it_stops_changing_and_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("a.png");
        let mut bytes = Vec::new();
        image::GrayImage::new(4, 4)
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        let mut seen = HashMap::new();
        std::fs::write(&png, &bytes[..bytes.len() / 2]).unwrap();
        // First sight: waiting.
        assert!(
            look(dir.path(), &mut seen, &cfg(), &mut Vec::new())
                .unwrap()
                .is_empty()
        );
        // Unchanged but cut off: still waiting (the grace is long).
        assert!(
            look(dir.path(), &mut seen, &cfg(), &mut Vec::new())
                .unwrap()
                .is_empty()
        );
        std::fs::write(&png, &bytes).unwrap();
        // Changed: waiting again, then ready.
        assert!(
            look(dir.path(), &mut seen, &cfg(), &mut Vec::new())
                .unwrap()
                .is_empty()
        );
        let ready = look(dir.path(), &mut seen, &cfg(), &mut Vec::new()).unwrap();
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].0, png);
    }

    #[test]
    fn a_cut_off_file_is_read_after_the_grace_so_that_it_is_recorded_as_broken() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.jpg"), [0xFF, 0xD8, 0xFF, 0xDA, 1, 2, 3]).unwrap();
        let mut c = cfg();
        c.grace = Duration::from_millis(0);
        let mut seen = HashMap::new();
        assert!(
            look(dir.path(), &mut seen, &c, &mut Vec::new())
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            look(dir.path(), &mut seen, &c, &mut Vec::new())
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_tiff_is_ready_only_once_it_has_stayed_unchanged_for_the_unmarked_settle_time() {
        let dir = tempfile::tempdir().unwrap();
        let tif = dir.path().join("box.tif");
        let page = image::GrayImage::new(8, 8);
        let mut bytes = Vec::new();
        page.write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Tiff,
        )
        .unwrap();
        std::fs::write(&tif, &bytes).unwrap();
        let mut seen = HashMap::new();
        let mut skipped = Vec::new();
        assert!(
            look(dir.path(), &mut seen, &cfg(), &mut skipped)
                .unwrap()
                .is_empty()
        );
        // Settled by the settle time (0), but a TIFF may still grow: not yet.
        assert!(
            look(dir.path(), &mut seen, &cfg(), &mut skipped)
                .unwrap()
                .is_empty()
        );
        std::thread::sleep(cfg().unmarked_settle);
        assert_eq!(
            look(dir.path(), &mut seen, &cfg(), &mut skipped)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_fifo_in_the_watch_folder_is_reported_once_and_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.png");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let mut seen = HashMap::new();
        let mut skipped = Vec::new();
        for _ in 0..3 {
            assert!(
                look(dir.path(), &mut seen, &cfg(), &mut skipped)
                    .unwrap()
                    .is_empty()
            );
        }
        assert_eq!(skipped.len(), 1);
        assert!(skipped[0].reason.contains("FIFO"), "{:?}", skipped[0]);
    }

    #[test]
    fn the_running_line_names_every_figure() {
        let s = WatchStatus {
            counted: 3,
            rejected: 1,
            review: 2,
            errors: 0,
            waiting: 4,
            skipped: 0,
            events: true,
        };
        assert_eq!(
            s.line(),
            "counted 3 · rejected 1 · review 2 · errors 0 · waiting 4"
        );
    }
}
