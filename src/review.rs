//! A person's decisions on the sheets the machine must not decide alone.
//!
//! Decisions are appended, never edited: the machine's reading stays in `sheets`, each decision is
//! a row of `decisions` (the latest for a sheet is in force), and each is an event in the chain.
//! [`resolve`] turns a sheet and its decision into what the tally counts.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::record::{Outcome, Reason, RowVerdict};
use crate::serial::Serial;
use crate::store::{SerialStatus, StoreError, StoredSheet, now_utc};
use crate::vote::Vote;

/// What a person decided about a whole sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetAction {
    /// Not a ballot of this box, or the same sheet scanned twice: not collected.
    Ignore,
    /// A ballot that is invalid as a whole (a photocopy, no stamp): collected, invalid for all.
    Invalid,
    /// The doubt is cleared (e.g. the stamp is there): count the rows.
    Accept,
}

/// What a person read in one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowDecision {
    /// The level marked (index into the levels).
    Level(usize),
    /// No mark, several marks or a crossed-out name.
    Invalid,
}

/// One decision on one sheet, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Decision {
    #[serde(default)]
    pub sheet: Option<SheetAction>,
    /// The serial typed from the text printed beside an unreadable QR code.
    #[serde(default)]
    pub serial: Option<String>,
    /// What the registry said of the typed serial when the decision was taken.
    #[serde(default)]
    pub serial_check: Option<Reason>,
    /// Rows read by the person, by subject number (1-based).
    #[serde(default)]
    pub rows: BTreeMap<usize, RowDecision>,
    #[serde(default)]
    pub reviewer: String,
    #[serde(default)]
    pub decided_at: String,
}

/// What a recorded sheet amounts to for the tally.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// Collected; one entry per subject: `Some(level)` valid, `None` invalid.
    Counted(Vec<Option<usize>>),
    /// Collected, invalid for every subject.
    Rejected,
    /// Not collected (the same bytes again, an unreadable file, a sheet a person set aside).
    NotCollected,
    /// Waits for a person; the text says what is missing.
    Pending(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sheet {0} does not exist")]
    NoSheet(i64),
    #[error("sheet {id} is {outcome}, not waiting for review")]
    NotInReview { id: i64, outcome: &'static str },
    #[error("{0}")]
    Invalid(String),
}

/// Reads a row decision as typed: `2=1` (subject 2, first level), `3=invalid`.
pub fn parse_row_decision(text: &str, levels: usize) -> Result<(usize, RowDecision), String> {
    let (s, v) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected SUBJECT=LEVEL, e.g. 2=1 or 2=invalid"))?;
    let subject: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: {s:?} is not a subject number"))?;
    let v = v.trim();
    if v.eq_ignore_ascii_case("invalid") {
        return Ok((subject, RowDecision::Invalid));
    }
    let level: usize = v.parse().map_err(|_| {
        format!("{text:?}: {v:?} is neither a level number (1 to {levels}) nor \"invalid\"")
    })?;
    if level == 0 || level > levels {
        return Err(format!(
            "{text:?}: level {level} does not exist (1 to {levels})"
        ));
    }
    Ok((subject, RowDecision::Level(level - 1)))
}

/// Every recorded decision in the order it was made: (sheet, body as stored, reviewer, when).
pub fn decision_rows(vote: &Vote) -> Result<Vec<(i64, String, String, String)>, StoreError> {
    let conn = vote.store.connection();
    let sql = |e| StoreError::Sql {
        path: vote.store.path().to_owned(),
        source: e,
    };
    let mut stmt = conn
        .prepare("SELECT sheet_id, body, reviewer, decided_at FROM decisions ORDER BY id")
        .map_err(sql)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .map_err(sql)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(sql)
}

/// The decision in force for each sheet that has one.
pub fn decisions(vote: &Vote) -> Result<BTreeMap<i64, Decision>, StoreError> {
    let mut out = BTreeMap::new();
    for (id, body, reviewer, at) in decision_rows(vote)? {
        let mut d: Decision = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt {
            path: vote.store.path().to_owned(),
            reason: format!("decision on sheet {id}: {e}"),
        })?;
        d.reviewer = reviewer;
        d.decided_at = at;
        out.insert(id, d);
    }
    Ok(out)
}

/// Records a person's decision on a sheet waiting for review, after checking that it answers
/// the sheet's question. A typed serial is checked against the registry like a scanned one.
pub fn decide(
    vote: &mut Vote,
    sheet_id: i64,
    mut d: Decision,
    reviewer: &str,
) -> Result<Resolution, ReviewError> {
    if reviewer.trim().is_empty() {
        return Err(ReviewError::Invalid(
            "a decision needs the reviewer's name (--by)".into(),
        ));
    }
    let sheets = vote.store.sheets()?;
    let stored = sheets
        .iter()
        .find(|s| s.id == sheet_id)
        .ok_or(ReviewError::NoSheet(sheet_id))?;
    if stored.record.outcome != Outcome::Review {
        return Err(ReviewError::NotInReview {
            id: sheet_id,
            outcome: stored.record.outcome.as_str(),
        });
    }
    let n = vote.layout.rows.len();
    if let Some((&s, _)) = d.rows.iter().find(|(s, _)| **s == 0 || **s > n) {
        return Err(ReviewError::Invalid(format!(
            "subject {s} does not exist (1 to {n})"
        )));
    }
    if let Some(text) = &d.serial {
        let serial = Serial::parse(text)
            .map_err(|e| ReviewError::Invalid(format!("serial {text:?}: {e}")))?;
        d.serial = Some(serial.to_string());
        d.serial_check = match vote.store.serial_status(serial.as_str())? {
            SerialStatus::Unknown => Some(Reason::NotIssued),
            SerialStatus::Voided => Some(Reason::Voided),
            SerialStatus::Issued => {
                let other = sheets.iter().any(|s| {
                    s.id != sheet_id
                        && s.record.serial.as_deref() == Some(serial.as_str())
                        && matches!(s.record.outcome, Outcome::Counted | Outcome::Review)
                });
                other.then_some(Reason::DuplicateSerial)
            }
        };
    }
    let resolution = resolve(stored, Some(&d), n);
    if let Resolution::Pending(why) = &resolution {
        return Err(ReviewError::Invalid(format!(
            "the decision leaves sheet {sheet_id} undecided: {why}"
        )));
    }
    let body = serde_json::to_string(&d).expect("decision serializes");
    let event = serde_json::json!({ "sheet": sheet_id, "decision": d, "reviewer": reviewer });
    let at = now_utc();
    vote.store.with_event("review", &event, |tx| {
        tx.execute(
            "INSERT INTO decisions (sheet_id, body, reviewer, decided_at) VALUES (?1, ?2, ?3, ?4)",
            params![sheet_id, body, reviewer, at],
        )
    })?;
    Ok(resolution)
}

/// What a recorded sheet counts as, given the decision in force (if any). `subjects` is the
/// number of rows on the ballot.
pub fn resolve(stored: &StoredSheet, decision: Option<&Decision>, subjects: usize) -> Resolution {
    let rec = &stored.record;
    let machine_rows = |overrides: &BTreeMap<usize, RowDecision>| -> Resolution {
        let mut out = Vec::with_capacity(subjects);
        let mut undecided = Vec::new();
        for subject in 1..=subjects {
            let machine = rec.rows.iter().find(|r| r.subject == subject);
            let value = match (overrides.get(&subject), machine) {
                (Some(RowDecision::Level(k)), _) => Some(*k),
                (Some(RowDecision::Invalid), _) => None,
                (None, Some(r)) => match r.verdict {
                    RowVerdict::Valid => r.choice,
                    RowVerdict::Ambiguous => {
                        undecided.push(subject.to_string());
                        None
                    }
                    _ => None,
                },
                (None, None) => {
                    undecided.push(subject.to_string());
                    None
                }
            };
            out.push(value);
        }
        if undecided.is_empty() {
            Resolution::Counted(out)
        } else {
            Resolution::Pending(format!(
                "row(s) {} need a person's reading",
                undecided.join(", ")
            ))
        }
    };
    match rec.outcome {
        Outcome::Counted => machine_rows(&BTreeMap::new()),
        Outcome::Rejected => Resolution::Rejected,
        Outcome::AlreadyScanned | Outcome::Blank | Outcome::Error => Resolution::NotCollected,
        Outcome::Review => {
            let Some(d) = decision else {
                let why = rec.reason.map(|r| r.as_str()).unwrap_or("review");
                return Resolution::Pending(format!("waiting for a person ({why})"));
            };
            match d.sheet {
                Some(SheetAction::Ignore) => return Resolution::NotCollected,
                Some(SheetAction::Invalid) => return Resolution::Rejected,
                _ => {}
            }
            match d.serial_check {
                Some(Reason::NotIssued) | Some(Reason::Voided) => return Resolution::Rejected,
                Some(Reason::DuplicateSerial) => {
                    return Resolution::Pending(
                        "the typed serial was already counted: decide ignore (same sheet) or invalid (a copy)".into(),
                    );
                }
                _ => {}
            }
            match rec.reason {
                Some(Reason::DuplicateSerial) => Resolution::Pending(
                    "a duplicate serial: decide ignore (the same sheet scanned again) or invalid (a copy)".into(),
                ),
                Some(Reason::MissingStamp) if d.sheet != Some(SheetAction::Accept) => {
                    Resolution::Pending("no stamp: decide accept (the stamp is there) or invalid".into())
                }
                Some(Reason::QrUnreadable) | Some(Reason::RegistrationFailed) if d.serial.is_none() => {
                    Resolution::Pending("type the serial printed beside the QR code (--serial), or decide ignore / invalid".into())
                }
                _ => machine_rows(&d.rows),
            }
        }
    }
}

/// Sheets waiting for a person, with what each needs.
pub fn pending(vote: &Vote) -> Result<Vec<(StoredSheet, String)>, StoreError> {
    let decisions = decisions(vote)?;
    let n = vote.layout.rows.len();
    Ok(vote
        .store
        .sheets()?
        .into_iter()
        .filter_map(|s| match resolve(&s, decisions.get(&s.id), n) {
            Resolution::Pending(why) => Some((s, why)),
            _ => None,
        })
        .collect())
}

/// The meeting's facts and the counting committee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub convened: u64,
    pub present: u64,
    /// (name, role), e.g. ("Nguyễn Văn X", "Trưởng ban").
    pub committee: Vec<(String, String)>,
}

impl Meeting {
    /// The quorum rule: at least two thirds of those convened are present.
    pub fn quorum_met(&self) -> bool {
        self.present as u128 * 3 >= self.convened as u128 * 2
    }
}

/// Records (or corrects: the latest stands, every version is in the event log) the meeting facts.
pub fn record_meeting(vote: &mut Vote, m: &Meeting) -> Result<(), ReviewError> {
    if m.convened == 0 {
        return Err(ReviewError::Invalid("--convened must be at least 1".into()));
    }
    if m.convened > crate::meeting::MAX_PEOPLE {
        // Stored as a signed integer, a larger figure would read back as another number.
        return Err(ReviewError::Invalid(format!(
            "--convened {} is more people than any meeting holds (at most {})",
            m.convened,
            crate::meeting::MAX_PEOPLE
        )));
    }
    if m.present > m.convened {
        return Err(ReviewError::Invalid(format!(
            "--present ({}) cannot exceed --convened ({})",
            m.present, m.convened
        )));
    }
    let committee = serde_json::to_string(&m.committee).expect("serializes");
    let event = serde_json::to_value(m).expect("serializes");
    vote.store.with_event("meeting", &event, |tx| {
        tx.execute(
            "INSERT INTO meeting (id, convened, present, committee, recorded_at) VALUES (1, ?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET convened = ?1, present = ?2, committee = ?3, recorded_at = ?4",
            params![m.convened as i64, m.present as i64, committee, now_utc()],
        )
    })?;
    Ok(())
}

pub fn meeting(vote: &Vote) -> Result<Option<Meeting>, StoreError> {
    let path = vote.store.path().to_owned();
    let row: Option<(i64, i64, String)> = vote
        .store
        .connection()
        .query_row(
            "SELECT convened, present, committee FROM meeting WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(|e| StoreError::Sql {
            path: path.clone(),
            source: e,
        })?;
    row.map(|(c, p, committee)| {
        let committee = serde_json::from_str(&committee).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            reason: format!("meeting committee: {e}"),
        })?;
        Ok(Meeting {
            convened: c as u64,
            present: p as u64,
            committee,
        })
    })
    .transpose()
}

/// Everything the tally needs, from the record and the decisions in force.
pub fn tally_input(vote: &Vote) -> Result<crate::tally::TallyInput, StoreError> {
    tally_input_from(vote, &vote.store.sheets()?)
}

/// The tally's input from a given list of sheet records (the audit's re-reading, say).
pub fn tally_input_from(
    vote: &Vote,
    recorded: &[StoredSheet],
) -> Result<crate::tally::TallyInput, StoreError> {
    use crate::tally::{RowResult, TalliedSheet};
    let decisions = decisions(vote)?;
    let n = vote.layout.rows.len();
    let mut sheets = Vec::new();
    let mut pending_review = 0;
    for s in recorded {
        match resolve(s, decisions.get(&s.id), n) {
            Resolution::Counted(rows) => sheets.push(TalliedSheet::Counted {
                rows: rows
                    .into_iter()
                    .map(|r| r.map_or(RowResult::Invalid, RowResult::Valid))
                    .collect(),
            }),
            Resolution::Rejected => sheets.push(TalliedSheet::Rejected),
            Resolution::NotCollected => {}
            Resolution::Pending(_) => pending_review += 1,
        }
    }
    let (printed, voided) = vote.store.printed_and_voided()?;
    let m = meeting(vote)?;
    Ok(crate::tally::TallyInput {
        vote: vote.form.id.clone(),
        subjects: vote.form.subjects.clone(),
        levels: vote.form.levels.clone(),
        thresholds: vote.form.thresholds,
        printed,
        voided,
        convened: m.as_ref().map(|m| m.convened),
        present: m.as_ref().map(|m| m.present),
        sheets,
        pending_review,
        pages: Some(crate::tally::account(recorded, &decisions, n)),
    })
}
