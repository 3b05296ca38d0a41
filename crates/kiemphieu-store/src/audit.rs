//! The audit: re-read every archived image with the current code and settings, and show every
//! way the result differs from the record — sheet by sheet, row by row, and in the tally.
//!
//! The registry's answers are replayed in record order (a serial is "already claimed" only by a
//! sheet recorded before), so a faithful record re-reads to exactly itself.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub use crate::difference::{Difference, DifferenceKind};
use crate::interpret::decode::{DecodeFailure, DecodedPage, decode_each};
use crate::interpret::{PageReading, interpret_page};
use crate::record::{Reason, SheetRecord};
use crate::scan::{collect_files, judge, read_regular};
use crate::store::{ChainCheck, ChainHead, StoreError, sha256_hex};
use crate::vote::Vote;

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub vote: String,
    pub sheets_checked: usize,
    pub events_checked: usize,
    /// The hash of the last event (hex): the figure printed in the minutes.
    pub chain_head: String,
    pub differences: Vec<Difference>,
    /// What the audit could not check, or checked with a caveat (an older vote folder whose
    /// form file and serial lists were not anchored in the log, a chain that went on after the
    /// expected head). Not differences: they do not change the exit status.
    pub notes: Vec<String>,
}

impl AuditReport {
    pub fn clean(&self) -> bool {
        self.differences.is_empty()
    }

    pub fn to_text(&self) -> String {
        let mut s = format!(
            "audit of {}: {} sheets re-read, {} events checked, {} difference(s)\n",
            self.vote,
            self.sheets_checked,
            self.events_checked,
            self.differences.len()
        );
        s.push_str(&format!("  chain head {}\n", self.chain_head));
        for n in &self.notes {
            s.push_str(&format!("  note: {n}\n"));
        }
        for d in &self.differences {
            let mut place = String::new();
            if let Some(id) = d.sheet {
                place.push_str(&format!("sheet {id} "));
            }
            if let Some(f) = &d.file {
                place.push_str(&format!("{f} p.{} ", d.page.unwrap_or(1)));
            }
            if let Some(r) = d.row {
                place.push_str(&format!("row {r} "));
            }
            s.push_str(&format!(
                "  {place}{}: recorded {} / now {}",
                d.what, d.recorded, d.now
            ));
            if let Some(sc) = d.scores {
                s.push_str(&format!(" (scores {:.4} {:.4} {:.4})", sc[0], sc[1], sc[2]));
            }
            s.push('\n');
        }
        s
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Scan(#[from] crate::scan::ScanError),
}

impl AuditError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            AuditError::Store(e) => e.hint(),
            AuditError::Scan(e) => e.hint(),
        }
    }
}

/// What `audit` reads of one file: every page's reading (or why that page cannot be decoded),
/// or (difference kind, detail) when the bytes are gone or changed, or (None, detail) when they
/// are intact but not an image at all.
type FileReading =
    Result<Vec<(u32, Result<PageReading, DecodeFailure>)>, (Option<DifferenceKind>, DecodeFailure)>;

/// Reads one stored file for the audit: the bytes, their hash, every page decoded and read one
/// at a time under the decoder's memory budget. Only the readings are kept.
fn reread_file(
    path: &Path,
    sha256: &str,
    layout: &crate::layout::BallotLayout,
    marks: &crate::form::MarkThresholds,
) -> FileReading {
    let gone = |what: DifferenceKind, detail: String| -> FileReading {
        Err((
            Some(what),
            DecodeFailure {
                reason: Reason::ReadFailed,
                detail,
            },
        ))
    };
    let bytes = match read_regular(path) {
        Err(_) if !path.exists() => {
            return gone(
                DifferenceKind::ImageMissing,
                format!("{} does not exist", path.display()),
            );
        }
        Err(e) => {
            return gone(
                DifferenceKind::ImageAltered,
                format!("cannot read {}: {e}", path.display()),
            );
        }
        Ok(b) => b,
    };
    let h = sha256_hex(&bytes);
    if h != sha256 {
        return gone(
            DifferenceKind::ImageAltered,
            format!("{} now has sha256 {h}", path.display()),
        );
    }
    let mut pages = Vec::new();
    decode_each(&bytes, |number, page| {
        pages.push((
            number,
            page.map(|DecodedPage { image, permit }| {
                let reading = interpret_page(&image, layout, marks);
                drop(permit);
                reading
            }),
        ));
    })
    .map_err(|e| (None, e))?;
    Ok(pages)
}

/// The smallest prefix of a chain head that `--expect` takes: 16 hex digits (64 bits) cannot be
/// hit by recomputing a forged chain.
pub const MIN_EXPECT_DIGITS: usize = 16;

/// Checks a chain head typed from the minutes: hex digits (spaces and dashes ignored, any case),
/// at least [`MIN_EXPECT_DIGITS`] and at most 64. Returns it in lower case.
pub fn parse_expected_head(s: &str) -> Result<String, String> {
    let hex: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if let Some(c) = hex.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!(
            "{s:?} is not a chain head: {c:?} is not a hex digit"
        ));
    }
    if hex.len() < MIN_EXPECT_DIGITS {
        return Err(format!(
            "{s:?} has {} hex digits; at least {MIN_EXPECT_DIGITS} are needed",
            hex.len()
        ));
    }
    if hex.len() > 64 {
        return Err(format!(
            "{s:?} has {} hex digits, a chain head has 64",
            hex.len()
        ));
    }
    Ok(hex)
}

/// Audits a vote. `images`: the auditor's own copy of the scans (files or folders), matched to
/// the record by SHA-256; by default the vote's archive.
pub fn audit(vote: &Vote, images: Option<&[PathBuf]>) -> Result<AuditReport, AuditError> {
    audit_expecting(vote, images, None)
}

/// Audits a vote, and checks that its event chain passes through `expect`: a chain head (or a
/// prefix of one, see [`parse_expected_head`]) as printed in the signed minutes.
///
/// The whole audit reads one snapshot of the database (one read transaction), so that a scan
/// committing meanwhile cannot make the tables and the tally disagree. Files are re-read in
/// parallel, page by page, under the decoder's memory budget; only the readings are kept.
pub fn audit_expecting(
    vote: &Vote,
    images: Option<&[PathBuf]>,
    expect: Option<&str>,
) -> Result<AuditReport, AuditError> {
    let _snapshot = vote.store.read_snapshot()?;
    let mut diffs = Vec::new();
    let mut notes = Vec::new();
    let events_checked = match vote.store.verify_events()? {
        ChainCheck::Holds { events } => events,
        ChainCheck::BrokenAt { event: id } => {
            diffs.push(Difference {
                sheet: None,
                file: None,
                page: None,
                row: None,
                what: DifferenceKind::EventChain,
                recorded: format!("event {id} and after"),
                now: format!(
                    "event {id} does not match its hash: the record was edited outside kiemphieu"
                ),
                scores: None,
            });
            0
        }
    };
    let ChainHead {
        hash: chain_head,
        events,
    } = vote.store.chain_head()?;
    if let Some(expect) = expect {
        match vote.store.event_with_hash_prefix(expect)? {
            Some(n) if n < events => notes.push(format!(
                "the chain passes through {expect} at event {n} of {events}: {} event(s) were recorded after it",
                events - n
            )),
            Some(_) => notes.push(format!("the chain ends at {expect}, as expected")),
            None => diffs.push(Difference {
                sheet: None,
                file: None,
                page: None,
                row: None,
                what: DifferenceKind::ChainHead,
                recorded: format!("expected {expect}"),
                now: format!(
                    "no event of the chain has this hash (head now {chain_head}, {events} events): the record was changed or rebuilt since"
                ),
                scores: None,
            }),
        }
    }
    // The tables against what the log says was written to them.
    let (ledger_diffs, ledger_notes) = crate::ledger::check_anchored(vote)?;
    diffs.extend(ledger_diffs);
    notes.extend(ledger_notes);
    let sheets = vote.store.sheets()?;
    // Where each hash's bytes are to be read from.
    let by_hash: HashMap<String, PathBuf> = match images {
        None => sheets
            .iter()
            .filter_map(|s| {
                s.archive
                    .as_ref()
                    .map(|a| (s.record.sha256.clone(), vote.dir.join(a)))
            })
            .collect(),
        Some(paths) => {
            let mut m = HashMap::new();
            let recorded: HashSet<&str> = sheets.iter().map(|s| s.record.sha256.as_str()).collect();
            let hashed: Vec<(PathBuf, Option<String>)> = collect_files(paths)?
                .into_par_iter()
                .map(|f| {
                    let h = read_regular(&f).ok().map(|b| sha256_hex(&b));
                    (f, h)
                })
                .collect();
            for (f, h) in hashed {
                let Some(h) = h else { continue };
                if !recorded.contains(h.as_str()) {
                    diffs.push(Difference {
                        sheet: None,
                        file: Some(f.display().to_string()),
                        page: None,
                        row: None,
                        what: DifferenceKind::ExtraImage,
                        recorded: "not in the record".into(),
                        now: format!("sha256 {h}"),
                        scores: None,
                    });
                }
                m.insert(h, f);
            }
            m
        }
    };
    // Files in the order the record first names them, re-read a chunk at a time.
    let mut order: Vec<&str> = Vec::new();
    {
        let mut seen = HashSet::new();
        for s in &sheets {
            let h = s.record.sha256.as_str();
            if by_hash.contains_key(h) && seen.insert(h) {
                order.push(h);
            }
        }
    }
    let chunk = (rayon::current_num_threads() * 4).max(4);
    let (layout, marks) = (vote.layout.clone(), vote.form.marks);
    let mut read: HashMap<String, FileReading> = HashMap::new();
    let mut next = 0;
    // The registry as it stood when each sheet was recorded (claims, releases, voids in order).
    let mut replay = crate::registry::RegistryReplay::new(vote)?;
    let mut rereads: Vec<(i64, SheetRecord)> = Vec::new();
    for s in &sheets {
        replay.advance_to(s.id);
        let rec = &s.record;
        let diff = |what: DifferenceKind, recorded: String, now: String| Difference {
            sheet: Some(s.id),
            file: Some(rec.file.clone()),
            page: Some(rec.page),
            row: None,
            what,
            recorded,
            now,
            scores: None,
        };
        if !by_hash.contains_key(&rec.sha256) {
            diffs.push(diff(
                DifferenceKind::ImageMissing,
                format!("sha256 {}", rec.sha256),
                "no image with this hash".into(),
            ));
            continue;
        }
        if !read.contains_key(&rec.sha256) {
            // The next chunk of files, read in parallel; their pages' readings are kept, their
            // pixels dropped page by page.
            let group: Vec<&str> = order[next..(next + chunk).min(order.len())].to_vec();
            next += group.len();
            let got: Vec<(String, FileReading)> = group
                .par_iter()
                .map(|h| {
                    let path = &by_hash[*h];
                    (h.to_string(), reread_file(path, h, &layout, &marks))
                })
                .collect();
            read.extend(got);
        }
        let now = match read.get(&rec.sha256) {
            None => continue,
            Some(Err((Some(what), e))) => {
                diffs.push(diff(
                    *what,
                    format!("sha256 {}", rec.sha256),
                    e.detail.clone(),
                ));
                continue;
            }
            Some(Err((None, e))) => {
                SheetRecord::error(&rec.file, rec.page, &rec.sha256, e.reason, e.detail.clone())
            }
            Some(Ok(pages)) => match pages.iter().find(|(n, _)| *n == rec.page) {
                None => {
                    diffs.push(diff(
                        DifferenceKind::ImageMissing,
                        format!("page {}", rec.page),
                        "the file has fewer pages".into(),
                    ));
                    continue;
                }
                Some((_, Err(e))) => {
                    SheetRecord::error(&rec.file, rec.page, &rec.sha256, e.reason, e.detail.clone())
                }
                Some((_, Ok(reading))) => judge(
                    &replay,
                    &vote.form.id,
                    &rec.file,
                    rec.page,
                    &rec.sha256,
                    reading,
                )?,
            },
        };
        replay.judged(&now);
        compare(s.id, rec, &now, &mut diffs);
        rereads.push((s.id, now));
    }
    // The tally from the re-read record, with the same decisions.
    let recorded_tally = crate::tally::tally(&crate::review::tally_input(vote)?);
    let mut rereads: HashMap<i64, SheetRecord> = rereads.into_iter().collect();
    let mut reread_sheets = sheets.clone();
    for s in &mut reread_sheets {
        if let Some(now) = rereads.remove(&s.id) {
            s.record = now;
        }
    }
    let now_tally = crate::tally::tally(&crate::review::tally_input_from(vote, &reread_sheets)?);
    if recorded_tally != now_tally {
        diffs.push(Difference {
            sheet: None,
            file: None,
            page: None,
            row: None,
            what: DifferenceKind::Tally,
            recorded: serde_json::to_string(&recorded_tally.subjects).unwrap_or_default(),
            now: serde_json::to_string(&now_tally.subjects).unwrap_or_default(),
            scores: None,
        });
    }
    Ok(AuditReport {
        vote: vote.form.id.clone(),
        sheets_checked: sheets.len(),
        events_checked,
        chain_head,
        differences: diffs,
        notes,
    })
}

fn compare(id: i64, rec: &SheetRecord, now: &SheetRecord, diffs: &mut Vec<Difference>) {
    let base = Difference {
        sheet: Some(id),
        file: Some(rec.file.clone()),
        page: Some(rec.page),
        row: None,
        what: DifferenceKind::Outcome,
        recorded: String::new(),
        now: String::new(),
        scores: None,
    };
    let mut push = |what: DifferenceKind, a: String, b: String| {
        if a != b {
            diffs.push(Difference {
                what,
                recorded: a,
                now: b,
                ..base.clone()
            });
        }
    };
    push(
        DifferenceKind::Outcome,
        rec.outcome.as_str().into(),
        now.outcome.as_str().into(),
    );
    push(
        DifferenceKind::Reason,
        fmt_opt(rec.reason.map(|r| r.as_str())),
        fmt_opt(now.reason.map(|r| r.as_str())),
    );
    push(
        DifferenceKind::Serial,
        fmt_opt(rec.serial.as_deref()),
        fmt_opt(now.serial.as_deref()),
    );
    push(
        DifferenceKind::Orientation,
        fmt_opt(rec.orientation),
        fmt_opt(now.orientation),
    );
    for (a, b) in rec.rows.iter().zip(&now.rows) {
        let row_diff = |what: DifferenceKind, x: String, y: String| Difference {
            row: Some(a.subject),
            what,
            recorded: x,
            now: y,
            scores: Some(b.scores),
            ..base.clone()
        };
        if a.verdict != b.verdict {
            diffs.push(row_diff(
                DifferenceKind::Verdict,
                a.verdict.as_str().into(),
                b.verdict.as_str().into(),
            ));
        }
        if a.choice != b.choice {
            diffs.push(row_diff(
                DifferenceKind::Choice,
                fmt_opt(a.choice),
                fmt_opt(b.choice),
            ));
        }
    }
    if rec.rows.len() != now.rows.len() {
        diffs.push(Difference {
            what: DifferenceKind::Rows,
            recorded: rec.rows.len().to_string(),
            now: now.rows.len().to_string(),
            ..base
        });
    }
}

fn fmt_opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}
