//! A person's decisions on the sheets the machine must not decide alone.
//!
//! Decisions are appended, never edited: the machine's reading stays in `sheets`, each decision is
//! a row of `decisions` (the latest for a sheet is in force), and each is an event in the chain.
//! [`resolve`] turns a sheet and its decision into what the tally counts.
//!
//! A decided sheet, or a sheet the machine counted, can be decided again only as an amendment:
//! a named member and a reason, the earlier decision kept in the history. A decision also says
//! which serial the sheet holds afterwards (a typed serial is claimed exactly like a scanned one;
//! a sheet set aside gives its serial back), so that the audit can replay the claims in order.

use std::collections::BTreeMap;

pub use crate::decision::{
    Decision, Resolution, RowDecision, RowsError, SheetAction, collect_row_decisions, describe,
    parse_row_decision, resolve,
};
pub use crate::meeting::Meeting;
use crate::record::{Outcome, Reason};
use crate::serial::Serial;
use crate::store::{DecisionRow, SerialStatus, StoreError, StoredSheet};
use crate::vote::Vote;

/// Why a decision (or the meeting's facts) cannot be recorded. The message says what is wrong;
/// [`ReviewError::hint`] what to do instead, where there is something.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sheet {0} does not exist")]
    NoSheet(i64),
    #[error("sheet {id} is {outcome}, not waiting for review")]
    NotInReview { id: i64, outcome: &'static str },
    #[error("sheet {id} was counted by the machine")]
    CountedByMachine { id: i64 },
    #[error("sheet {id} is already decided: {earlier}")]
    AlreadyDecided { id: i64, earlier: String },
    #[error("a decision needs the reviewer's name (--by)")]
    NoReviewer,
    #[error("sheet {id} has no decision to amend")]
    NothingToAmend { id: i64 },
    #[error("an amendment needs its reason (--reason \"why\")")]
    NoAmendReason,
    #[error("subject {subject} does not exist (1 to {subjects})")]
    NoSuchSubject { subject: usize, subjects: usize },
    #[error("serial {text:?}: {reason}")]
    BadSerial { text: String, reason: String },
    /// A typed serial that is not the one the sheet's QR code holds (both as printed).
    #[error("sheet {id} carries serial {read} in its QR code, not {typed}")]
    SerialMismatch {
        id: i64,
        read: String,
        typed: String,
    },
    #[error("the decision leaves sheet {id} undecided: {why}")]
    Undecided { id: i64, why: String },
    #[error("serial {serial} is held by sheet {other}")]
    SerialHeld { serial: String, other: i64 },
    #[error(
        "serial {serial} was voided after sheet {id} was set aside: it cannot be counted again"
    )]
    SerialVoided { serial: String, id: i64 },
    #[error(
        "the serial of sheet {id} was claimed or voided by another command meanwhile; nothing was recorded"
    )]
    ClaimedMeanwhile { id: i64 },
    #[error("proposal {id} does not exist")]
    NoProposal { id: i64 },
    #[error("proposal {id} is about sheet {other}, not sheet {sheet}")]
    ProposalOfAnotherSheet { id: i64, sheet: i64, other: i64 },
    #[error("proposal {id} was already {state} by {by}")]
    ProposalClosed {
        id: i64,
        state: &'static str,
        by: String,
    },
    #[error("{by} proposed this decision (proposal {id}) and cannot also confirm it")]
    OwnProposal { id: i64, by: String },
    #[error("--convened must be at least 1")]
    NoneConvened,
    #[error("--convened {convened} is more people than any meeting holds (at most {max})")]
    TooManyConvened { convened: u64, max: u64 },
    #[error("--present ({present}) cannot exceed --convened ({convened})")]
    MorePresentThanConvened { present: u64, convened: u64 },
}

impl ReviewError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<String> {
        use ReviewError::*;
        Some(match self {
            Store(e) => return e.hint().map(str::to_string),
            CountedByMachine { .. } => "to withdraw it or correct a row, decide again with --amend --reason \"why\" (e.g. --sheet ignore for a test scan)".into(),
            AlreadyDecided { .. } => "to change the decision, decide again with --amend --reason \"why\"; the earlier decision stays in the history".into(),
            NothingToAmend { .. } => "decide it without --amend".into(),
            SerialMismatch { .. } => "type a serial only for a sheet whose QR code could not be read".into(),
            SerialHeld { other, .. } => format!("decide sheet {other} first, or decide this one ignore (the same sheet) or invalid (a copy)"),
            SerialVoided { .. } => "decide it invalid, or leave it set aside".into(),
            ClaimedMeanwhile { .. } => "look at `review list` and decide again".into(),
            ProposalClosed { .. } | ProposalOfAnotherSheet { .. } | NoProposal { .. } => "look at the sheet again: it shows the proposal that stands now, if any".into(),
            OwnProposal { .. } => "a second, different member of the committee confirms it, or proposes differently".into(),
            _ => return None,
        })
    }
}

/// Every recorded decision in the order it was made: (sheet, body as stored, reviewer, when).
pub fn decision_rows(vote: &Vote) -> Result<Vec<DecisionRow>, StoreError> {
    vote.store.decision_rows()
}

/// Every recorded decision in the order it was made, each with its sheet, parsed from its stored
/// body with the reviewer and time the store keeps beside it.
fn recorded_decisions(vote: &Vote) -> Result<Vec<(i64, Decision)>, StoreError> {
    decision_rows(vote)?
        .into_iter()
        .map(|row| {
            let id = row.sheet;
            let mut d: Decision =
                serde_json::from_str(&row.body).map_err(|e| StoreError::Corrupt {
                    path: vote.store.path().to_owned(),
                    reason: format!("decision on sheet {id}: {e}"),
                })?;
            d.reviewer = row.reviewer;
            d.decided_at = row.decided_at;
            Ok((id, d))
        })
        .collect()
}

/// The decision in force for each sheet that has one.
pub fn decisions(vote: &Vote) -> Result<BTreeMap<i64, Decision>, StoreError> {
    // Later decisions on a sheet replace earlier ones.
    Ok(recorded_decisions(vote)?.into_iter().collect())
}

/// The decisions on one sheet, oldest first (the last is in force).
pub fn history(vote: &Vote, sheet_id: i64) -> Result<Vec<Decision>, StoreError> {
    Ok(recorded_decisions(vote)?
        .into_iter()
        .filter(|(id, _)| *id == sheet_id)
        .map(|(_, d)| d)
        .collect())
}

/// Records a person's decision on a sheet, after checking that it answers the sheet's question.
/// A sheet waiting for review takes a first decision; a decided sheet, or one the machine
/// counted, only an amendment (`amend`: the reason, not empty). A typed serial is checked and
/// claimed like a scanned one: refused if another sheet holds it; a sheet set aside gives its
/// serial back.
pub fn decide(
    vote: &mut Vote,
    sheet_id: i64,
    d: Decision,
    reviewer: &str,
    amend: Option<&str>,
) -> Result<Resolution, ReviewError> {
    let (d, resolution) = checked(vote, sheet_id, d, reviewer, amend)?;
    vote.store
        .record_decision(sheet_id, &d, reviewer)
        .map_err(|e| claimed_meanwhile(e, sheet_id))?;
    Ok(resolution)
}

pub(crate) fn claimed_meanwhile(e: StoreError, sheet_id: i64) -> ReviewError {
    match e {
        StoreError::Conflict { .. } => ReviewError::ClaimedMeanwhile { id: sheet_id },
        e => ReviewError::Store(e),
    }
}

/// A decision checked against the record as it stands, as [`decide`] would record it (the
/// typed serial's check, the claim it moves), with what it amounts to; nothing is written.
pub(crate) fn checked(
    vote: &Vote,
    sheet_id: i64,
    mut d: Decision,
    reviewer: &str,
    amend: Option<&str>,
) -> Result<(Decision, Resolution), ReviewError> {
    if reviewer.trim().is_empty() {
        return Err(ReviewError::NoReviewer);
    }
    let sheets = vote.store.sheets()?;
    let stored = sheets
        .iter()
        .find(|s| s.id == sheet_id)
        .ok_or(ReviewError::NoSheet(sheet_id))?;
    let n = vote.layout.rows.len();
    let earlier = decisions(vote)?.remove(&sheet_id);
    match (stored.record.outcome, &earlier, amend) {
        (Outcome::Review, None, None) => {}
        (Outcome::Review, Some(e), None) => {
            return Err(ReviewError::AlreadyDecided {
                id: sheet_id,
                earlier: format!(
                    "{} (by {}, {})",
                    describe(&resolve(stored, Some(e), n), &vote.form.levels),
                    e.reviewer,
                    e.decided_at
                ),
            });
        }
        (Outcome::Counted, _, None) => {
            return Err(ReviewError::CountedByMachine { id: sheet_id });
        }
        (Outcome::Review, None, Some(_)) => {
            return Err(ReviewError::NothingToAmend { id: sheet_id });
        }
        (Outcome::Review | Outcome::Counted, _, Some(why)) => {
            if why.trim().is_empty() {
                return Err(ReviewError::NoAmendReason);
            }
            d.amends = Some(why.trim().to_string());
        }
        (other, ..) => {
            return Err(ReviewError::NotInReview {
                id: sheet_id,
                outcome: other.as_str(),
            });
        }
    }
    if let Some((&s, _)) = d.rows.iter().find(|(s, _)| **s == 0 || **s > n) {
        return Err(ReviewError::NoSuchSubject {
            subject: s,
            subjects: n,
        });
    }
    let claims = vote.store.claims()?;
    let held_by = |serial: &str| claims.get(serial).copied().filter(|id| *id != sheet_id);
    let holds_now = claims
        .iter()
        .find(|(_, id)| **id == sheet_id)
        .map(|(s, _)| s.clone());
    d.serial_check = None;
    if let Some(text) = &d.serial {
        let serial = Serial::parse(text).map_err(|e| ReviewError::BadSerial {
            text: text.clone(),
            reason: e.to_string(),
        })?;
        if let Some(read) = &stored.record.serial
            && read != serial.as_str()
        {
            return Err(ReviewError::SerialMismatch {
                id: sheet_id,
                read: Serial::parse(read)
                    .map(|s| s.grouped())
                    .unwrap_or(read.clone()),
                typed: serial.grouped(),
            });
        }
        d.serial = Some(serial.to_string());
        d.serial_check = match vote.store.serial_status(serial.as_str())? {
            SerialStatus::Unknown => Some(Reason::NotIssued),
            SerialStatus::Voided => Some(Reason::Voided),
            SerialStatus::Issued => held_by(serial.as_str()).map(|_| Reason::DuplicateSerial),
        };
    }
    let resolution = resolve(stored, Some(&d), n);
    if let Resolution::Pending(why) = &resolution {
        return Err(ReviewError::Undecided {
            id: sheet_id,
            why: why.clone(),
        });
    }
    // The serial the sheet holds once the decision is in force.
    let wants = match (&resolution, &d.serial, d.serial_check) {
        (Resolution::NotCollected, ..) => None,
        (_, Some(typed), None) => Some(typed.clone()),
        (_, Some(_), Some(_)) => None,
        _ => holds_now.clone().or_else(|| {
            // Set aside earlier and now taken back: its own serial, if it was checked.
            let rec = &stored.record;
            (crate::store::holds_serial(rec)
                && !matches!(
                    rec.reason,
                    Some(Reason::QrUnreadable) | Some(Reason::RegistrationFailed)
                ))
            .then(|| rec.serial.clone())
            .flatten()
        }),
    };
    if let Some(serial) = &wants
        && let Some(other) = held_by(serial)
    {
        return Err(ReviewError::SerialHeld {
            serial: Serial::parse(serial)
                .map(|s| s.grouped())
                .unwrap_or(serial.clone()),
            other,
        });
    }
    if let Some(serial) = wants.as_ref().filter(|s| holds_now.as_ref() != Some(*s))
        && vote.store.serial_status(serial)? == SerialStatus::Voided
    {
        return Err(ReviewError::SerialVoided {
            serial: Serial::parse(serial)
                .map(|s| s.grouped())
                .unwrap_or(serial.clone()),
            id: sheet_id,
        });
    }
    d.claim = wants.clone();
    d.released = holds_now.clone().filter(|h| Some(h) != wants.as_ref());
    Ok((d, resolution))
}

/// A file name as it can be printed on one line of a list: control characters (a newline, an
/// escape sequence) are shown escaped, so that a name cannot forge lines or colours.
pub fn printable(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{202e}' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
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

/// Records (or corrects: the latest stands, every version is in the event log) the meeting facts.
pub fn record_meeting(vote: &mut Vote, m: &Meeting) -> Result<(), ReviewError> {
    if m.convened == 0 {
        return Err(ReviewError::NoneConvened);
    }
    if m.convened > crate::meeting::MAX_PEOPLE {
        // Stored as a signed integer, a larger figure would read back as another number.
        return Err(ReviewError::TooManyConvened {
            convened: m.convened,
            max: crate::meeting::MAX_PEOPLE,
        });
    }
    if m.present > m.convened {
        return Err(ReviewError::MorePresentThanConvened {
            present: m.present,
            convened: m.convened,
        });
    }
    vote.store.record_meeting(m)?;
    Ok(())
}

pub fn meeting(vote: &Vote) -> Result<Option<Meeting>, StoreError> {
    vote.store.meeting()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contradictory_row_readings_are_refused() {
        let rows = |t: &[&str]| {
            collect_row_decisions(&t.iter().map(|s| s.to_string()).collect::<Vec<_>>(), 3)
        };
        let err = rows(&["3=3", "3=1"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("row 3 is given two different readings"),
            "{err}"
        );
        assert_eq!(err.hint(), Some("give each row once"));
        assert!(rows(&["3=invalid", "3=2"]).is_err());
        // The same reading twice is harmless; different rows are independent.
        let ok = rows(&["3=2", "3=2", "1=invalid"]).unwrap();
        assert_eq!(ok.get(&3), Some(&RowDecision::Level(1)));
        assert_eq!(ok.get(&1), Some(&RowDecision::Invalid));
    }

    #[test]
    fn review_decide_prints_a_sentence_not_debug_form() {
        let levels = vec!["Cao".to_string(), "Vừa".to_string(), "Thấp".to_string()];
        let s = describe(&Resolution::Counted(vec![Some(0), None, Some(2)]), &levels);
        assert_eq!(s, "counted; row 1: Cao; row 2: invalid; row 3: Thấp");
        assert!(!describe(&Resolution::Rejected, &levels).contains("Rejected"));
        assert!(describe(&Resolution::NotCollected, &levels).starts_with("set aside"));
    }

    #[test]
    fn a_file_name_with_control_characters_prints_on_one_line() {
        let name = "scans/a\nsheet    99  forged\r\u{1b}[2Jx\u{202e}gnp.png";
        let p = printable(name);
        assert!(!p.chars().any(|c| c.is_control()), "{p:?}");
        assert!(p.contains("a\\nsheet"), "{p}");
        assert!(!p.contains('\u{202e}'));
        assert_eq!(printable("Phiếu số 1.png"), "Phiếu số 1.png");
    }
}
