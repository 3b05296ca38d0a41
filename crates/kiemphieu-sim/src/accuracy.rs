//! Judging the scanner against a simulation's ground truth.
//!
//! The one number that must be zero is `misread_rows`: a counted sheet whose row verdict or
//! choice differs from what the voter did. A sheet sent to a person is an acceptable outcome, and
//! is measured separately (`clear_sent_to_review`); a sheet the committee never issued must never
//! be counted (`not_genuine_counted`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::record::{Outcome, RowVerdict, SheetRecord};
use crate::simulate::{SheetKind, Truth};

#[derive(Debug, Clone, Default, Serialize)]
pub struct AccuracyReport {
    pub sheets: usize,
    /// Boxes on the sheets that were read (three a row).
    pub box_positions: usize,
    pub counted: usize,
    /// Rows of counted sheets whose verdict or choice differs from the truth, described.
    pub misread_rows: Vec<String>,
    /// Genuine, clearly marked sheets.
    pub clear_sheets: usize,
    /// … of which a person was asked about.
    pub clear_sent_to_review: usize,
    /// Forged, foreign, voided, duplicate or unstamped sheets that were counted, described.
    pub not_genuine_counted: Vec<String>,
    /// Sheets whose truth lists no record.
    pub unrecorded: Vec<String>,
    /// (expected outcome, recorded outcome) → sheets.
    pub outcomes: BTreeMap<String, usize>,
    /// Review reasons on clear genuine sheets, for tuning the scanner (never its thresholds
    /// on the held-out seed).
    pub review_reasons: BTreeMap<String, usize>,
    /// Genuine sheets marked in light pencil (not `clear`: a person may be asked), and how
    /// many of them went to a person. Reported apart from the clear sheets.
    pub light_sheets: usize,
    pub light_sent_to_review: usize,
    /// Genuine sheets by what they were marked with (`hand:ballpoint`, …) and by scanner
    /// condition (`streak`, `hairs`, `dpi:150`, …): (sheets, sent to review).
    pub review_by_condition: BTreeMap<String, (usize, usize)>,
}

impl AccuracyReport {
    pub fn review_rate(&self) -> f64 {
        self.clear_sent_to_review as f64 / self.clear_sheets.max(1) as f64
    }

    /// The acceptance bar: no misread row, no forged sheet counted, no file lost, at most 0.5 %
    /// of clearly marked sheets sent to a person.
    pub fn passes(&self) -> bool {
        self.misread_rows.is_empty()
            && self.not_genuine_counted.is_empty()
            && self.unrecorded.is_empty()
            && self.review_rate() <= 0.005
    }

    pub fn to_text(&self) -> String {
        let mut s = format!(
            "sheets {}  box positions {}  counted {}\nmisread rows on counted sheets: {}\nnot-genuine sheets counted: {}\nclear sheets sent to review: {} of {} ({:.2}%)\nfiles without a record: {}\n",
            self.sheets,
            self.box_positions,
            self.counted,
            self.misread_rows.len(),
            self.not_genuine_counted.len(),
            self.clear_sent_to_review,
            self.clear_sheets,
            100.0 * self.review_rate(),
            self.unrecorded.len()
        );
        s.push_str("expected -> recorded:\n");
        for (k, n) in &self.outcomes {
            s.push_str(&format!("  {k:<40} {n}\n"));
        }
        s.push_str(&format!(
            "light-pencil sheets sent to review: {} of {} (reported apart: a person may read them)\n",
            self.light_sent_to_review, self.light_sheets
        ));
        if !self.review_by_condition.is_empty() {
            s.push_str("genuine sheets by condition (sheets, sent to review):\n");
            for (k, (n, r)) in &self.review_by_condition {
                s.push_str(&format!("  {k:<40} {n:>6} {r:>6}\n"));
            }
        }
        if !self.review_reasons.is_empty() {
            s.push_str("why clear sheets went to review:\n");
            for (k, n) in &self.review_reasons {
                s.push_str(&format!("  {k:<40} {n}\n"));
            }
        }
        for m in self
            .misread_rows
            .iter()
            .chain(&self.not_genuine_counted)
            .chain(&self.unrecorded)
        {
            s.push_str(&format!("  ! {m}\n"));
        }
        s.push_str(if self.passes() { "PASS\n" } else { "FAIL\n" });
        s
    }
}

/// The records of single-page files by file name (a simulation's files are single pages).
pub fn by_file_name(records: &[SheetRecord]) -> BTreeMap<String, &SheetRecord> {
    records
        .iter()
        .filter(|r| r.page == 1)
        .filter_map(|r| {
            Path::new(&r.file)
                .file_name()
                .map(|n| (n.to_string_lossy().to_string(), r))
        })
        .collect()
}

/// Compares the records of a scan of a simulation's folder with its truth.
pub fn evaluate(truth: &Truth, records: &[SheetRecord]) -> AccuracyReport {
    let by_name = by_file_name(records);
    let mut rep = AccuracyReport {
        sheets: truth.sheets.len(),
        ..Default::default()
    };
    for t in &truth.sheets {
        let Some(rec) = by_name.get(&t.file) else {
            rep.unrecorded.push(format!("{}: no record", t.file));
            continue;
        };
        rep.box_positions += 3 * rec.rows.len();
        *rep.outcomes
            .entry(format!(
                "{}/{} -> {}/{}",
                t.expect.as_str(),
                t.expect_reason.map(|r| r.as_str()).unwrap_or("-"),
                rec.outcome.as_str(),
                rec.reason.map(|r| r.as_str()).unwrap_or("-")
            ))
            .or_default() += 1;
        if rec.outcome == Outcome::Counted {
            rep.counted += 1;
            if t.kind != SheetKind::Genuine {
                rep.not_genuine_counted
                    .push(format!("{}: a {:?} sheet was counted", t.file, t.kind));
                continue;
            }
            for tr in &t.rows {
                let Some(r) = rec.rows.iter().find(|r| r.subject == tr.subject) else {
                    rep.misread_rows
                        .push(format!("{} row {}: not read", t.file, tr.subject));
                    continue;
                };
                let same = r.verdict == tr.verdict
                    && (tr.verdict != RowVerdict::Valid || r.choice == tr.choice);
                if !same {
                    rep.misread_rows.push(format!(
                        "{} row {}: truth {} {:?} ({}), read {} {:?}, scores {:?}, strike {}",
                        t.file,
                        tr.subject,
                        tr.verdict.as_str(),
                        tr.choice,
                        tr.style,
                        r.verdict.as_str(),
                        r.choice,
                        r.scores,
                        r.strike
                    ));
                }
            }
        }
        if t.kind == SheetKind::Genuine && t.expect == Outcome::Counted {
            let to_review = rec.outcome == Outcome::Review;
            let mut conditions: Vec<String> = t
                .notes
                .iter()
                .filter_map(|n| {
                    let head = n.split(':').next().unwrap_or(n);
                    match head {
                        "hand" => Some(n.clone()),
                        "streak" | "hairs" | "fold" => Some(head.to_string()),
                        _ => None,
                    }
                })
                .collect();
            conditions.push(format!("dpi:{}", t.faults.dpi));
            conditions.push(format!("level:{}", t.faults.level));
            conditions.sort();
            conditions.dedup();
            for c in conditions {
                let e = rep.review_by_condition.entry(c).or_default();
                e.0 += 1;
                e.1 += to_review as usize;
            }
            if !t.clear {
                rep.light_sheets += 1;
                rep.light_sent_to_review += to_review as usize;
            }
        }
        if t.kind == SheetKind::Genuine && t.clear && t.expect == Outcome::Counted {
            rep.clear_sheets += 1;
            if rec.outcome == Outcome::Review {
                rep.clear_sent_to_review += 1;
                let reason = rec.reason.map(|r| r.as_str()).unwrap_or("-");
                *rep.review_reasons
                    .entry(format!("{reason} ({})", t.faults.level))
                    .or_default() += 1;
            }
        }
    }
    rep
}

#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    #[error(transparent)]
    Vote(#[from] crate::vote::VoteError),
    #[error(transparent)]
    Simulate(#[from] crate::simulate::SimError),
    #[error(transparent)]
    Scan(#[from] crate::scan::ScanError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot read the truth file {path}: {reason}")]
    Truth {
        path: std::path::PathBuf,
        reason: String,
    },
}

/// A whole trial in `dir`: a new vote from `form`, ballots printed with spares, a simulated box,
/// a scan, and the comparison with the truth.
pub fn trial(
    dir: &Path,
    form: &Path,
    sim: &crate::simulate::SimOptions,
) -> Result<AccuracyReport, TrialError> {
    let (truth, records) = run_trial(dir, form, sim)?;
    Ok(evaluate(&truth, &records))
}

/// The trial's scan: the truth of the simulated box and the records the scanner made of it.
pub fn run_trial(
    dir: &Path,
    form: &Path,
    sim: &crate::simulate::SimOptions,
) -> Result<(Truth, Vec<SheetRecord>), TrialError> {
    let vote_dir = dir.join("vote");
    let scans = dir.join("scans");
    let mut vote = crate::vote::Vote::init(&vote_dir, form)?;
    vote.generate(sim.count + 5)?;
    let summary = crate::simulate::simulate(&vote, &scans, sim)?;
    crate::scan::scan(
        &mut vote,
        std::slice::from_ref(&scans),
        crate::scan::Pixels::Drop,
        |_| {},
    )?;
    let text = std::fs::read_to_string(&summary.truth).map_err(|e| TrialError::Truth {
        path: summary.truth.clone(),
        reason: e.to_string(),
    })?;
    let truth: Truth = serde_json::from_str(&text).map_err(|e| TrialError::Truth {
        path: summary.truth.clone(),
        reason: e.to_string(),
    })?;
    let records: Vec<SheetRecord> = vote.store.sheets()?.into_iter().map(|s| s.record).collect();
    Ok((truth, records))
}
