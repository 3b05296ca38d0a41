//! The audit: re-read every archived image with the current code and settings, and show every
//! way the result differs from the record — sheet by sheet, row by row, and in the tally.
//!
//! The registry's answers are replayed in record order (a serial is "already claimed" only by a
//! sheet recorded before), so a faithful record re-reads to exactly itself.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;

use crate::interpret::decode::decode_pages;
use crate::interpret::interpret_page;
use crate::record::SheetRecord;
use crate::scan::{collect_files, judge};
use crate::store::{StoreError, sha256_hex};
use crate::vote::Vote;

/// One way the record and the re-reading disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The sheet's id in the record (None for differences not tied to one sheet).
    pub sheet: Option<i64>,
    pub file: Option<String>,
    pub page: Option<u32>,
    /// Subject number, for a row difference.
    pub row: Option<usize>,
    /// What differs: outcome, reason, serial, orientation, verdict, choice, image_missing,
    /// image_altered, extra_image, event_chain, tally; and, from the log (`ledger`):
    /// record_edited, record_deleted, decision_edited, void_edited, serials_edited,
    /// meeting_edited.
    pub what: String,
    pub recorded: String,
    pub now: String,
    /// The scores behind the re-reading of a row, when a row differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<[f64; 3]>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub vote: String,
    pub sheets_checked: usize,
    pub events_checked: usize,
    pub differences: Vec<Difference>,
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

/// Audits a vote. `images`: the auditor's own copy of the scans (files or folders), matched to
/// the record by SHA-256; by default the vote's archive.
pub fn audit(vote: &Vote, images: Option<&[PathBuf]>) -> Result<AuditReport, AuditError> {
    let mut diffs = Vec::new();
    let events_checked = match vote.store.verify_events()? {
        Ok(n) => n,
        Err(id) => {
            diffs.push(Difference {
                sheet: None,
                file: None,
                page: None,
                row: None,
                what: "event_chain".into(),
                recorded: format!("event {id} and after"),
                now: format!(
                    "event {id} does not match its hash: the record was edited outside kiemphieu"
                ),
                scores: None,
            });
            0
        }
    };
    // The tables against what the log says was written to them.
    diffs.extend(crate::ledger::check(vote)?);
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
            for f in collect_files(paths)? {
                if let Ok(bytes) = std::fs::read(&f) {
                    let h = sha256_hex(&bytes);
                    if !recorded.contains(h.as_str()) {
                        diffs.push(Difference {
                            sheet: None,
                            file: Some(f.display().to_string()),
                            page: None,
                            row: None,
                            what: "extra_image".into(),
                            recorded: "not in the record".into(),
                            now: format!("sha256 {h}"),
                            scores: None,
                        });
                    }
                    m.insert(h, f);
                }
            }
            m
        }
    };
    // The registry as it stood when each sheet was recorded (claims, releases, voids in order).
    let mut replay = crate::registry::RegistryReplay::new(vote)?;
    // Per hash: the decoded pages, or (difference kind, detail) when the bytes are gone or changed,
    // or the reading error when they are intact but undecodable (then the record must say so too).
    type Pages = Result<Vec<image::GrayImage>, (Option<&'static str>, String)>;
    let mut decoded: BTreeMap<String, Pages> = BTreeMap::new();
    let mut rereads: Vec<(i64, SheetRecord)> = Vec::new();
    for s in &sheets {
        replay.advance_to(s.id);
        let rec = &s.record;
        let diff = |what: &str, recorded: String, now: String| Difference {
            sheet: Some(s.id),
            file: Some(rec.file.clone()),
            page: Some(rec.page),
            row: None,
            what: what.into(),
            recorded,
            now,
            scores: None,
        };
        let Some(path) = by_hash.get(&rec.sha256) else {
            diffs.push(diff(
                "image_missing",
                format!("sha256 {}", rec.sha256),
                "no image with this hash".into(),
            ));
            continue;
        };
        if !decoded.contains_key(&rec.sha256) {
            let pages = match std::fs::read(path) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err((
                    Some("image_missing"),
                    format!("{} does not exist", path.display()),
                )),
                Err(e) => Err((
                    Some("image_altered"),
                    format!("cannot read {}: {e}", path.display()),
                )),
                Ok(bytes) => {
                    let h = sha256_hex(&bytes);
                    if h != rec.sha256 {
                        Err((
                            Some("image_altered"),
                            format!("{} now has sha256 {h}", path.display()),
                        ))
                    } else {
                        decode_pages(&bytes)
                            .map_err(|e| (None, format!("undecodable: {}", e.detail)))
                    }
                }
            };
            decoded.insert(rec.sha256.clone(), pages);
        }
        let now = match decoded.get(&rec.sha256).expect("just inserted") {
            Err((Some(what), e)) => {
                diffs.push(diff(what, format!("sha256 {}", rec.sha256), e.clone()));
                continue;
            }
            Err((None, e)) => SheetRecord::error(
                &rec.file,
                rec.page,
                &rec.sha256,
                rec.reason.unwrap_or(crate::record::Reason::NotAnImage),
                e.clone(),
            ),
            Ok(pages) => match pages.get(rec.page as usize - 1) {
                None => {
                    diffs.push(diff(
                        "image_missing",
                        format!("page {}", rec.page),
                        "the file has fewer pages".into(),
                    ));
                    continue;
                }
                Some(img) => {
                    let reading = interpret_page(img, &vote.layout, &vote.form.marks);
                    judge(
                        &replay,
                        &vote.form.id,
                        &rec.file,
                        rec.page,
                        &rec.sha256,
                        &reading,
                    )?
                }
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
            what: "tally".into(),
            recorded: serde_json::to_string(&recorded_tally.subjects).unwrap_or_default(),
            now: serde_json::to_string(&now_tally.subjects).unwrap_or_default(),
            scores: None,
        });
    }
    Ok(AuditReport {
        vote: vote.form.id.clone(),
        sheets_checked: sheets.len(),
        events_checked,
        differences: diffs,
    })
}

fn compare(id: i64, rec: &SheetRecord, now: &SheetRecord, diffs: &mut Vec<Difference>) {
    let base = Difference {
        sheet: Some(id),
        file: Some(rec.file.clone()),
        page: Some(rec.page),
        row: None,
        what: String::new(),
        recorded: String::new(),
        now: String::new(),
        scores: None,
    };
    let mut push = |what: &str, a: String, b: String| {
        if a != b {
            diffs.push(Difference {
                what: what.into(),
                recorded: a,
                now: b,
                ..base.clone()
            });
        }
    };
    push(
        "outcome",
        rec.outcome.as_str().into(),
        now.outcome.as_str().into(),
    );
    push(
        "reason",
        fmt_opt(rec.reason.map(|r| r.as_str())),
        fmt_opt(now.reason.map(|r| r.as_str())),
    );
    push(
        "serial",
        fmt_opt(rec.serial.as_deref()),
        fmt_opt(now.serial.as_deref()),
    );
    push(
        "orientation",
        fmt_opt(rec.orientation),
        fmt_opt(now.orientation),
    );
    for (a, b) in rec.rows.iter().zip(&now.rows) {
        let row_diff = |what: &str, x: String, y: String| Difference {
            row: Some(a.subject),
            what: what.into(),
            recorded: x,
            now: y,
            scores: Some(b.scores),
            ..base.clone()
        };
        if a.verdict != b.verdict {
            diffs.push(row_diff(
                "verdict",
                a.verdict.as_str().into(),
                b.verdict.as_str().into(),
            ));
        }
        if a.choice != b.choice {
            diffs.push(row_diff("choice", fmt_opt(a.choice), fmt_opt(b.choice)));
        }
    }
    if rec.rows.len() != now.rows.len() {
        diffs.push(Difference {
            what: "rows".into(),
            recorded: rec.rows.len().to_string(),
            now: now.rows.len().to_string(),
            ..base
        });
    }
}

fn fmt_opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".to_string(), |v| v.to_string())
}
