//! A person's decision on a sheet, and what a recorded sheet amounts to for the tally with the
//! decision in force ([`resolve`]). Pure: the store keeps the decisions (`review`), the tally
//! counts what [`resolve`] says.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::record::{Outcome, Reason, RowVerdict, StoredSheet};

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
    /// Why an earlier decision (or the machine's count) was amended; `None` for a first decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amends: Option<String>,
    /// The serial the sheet holds once this decision is in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<String>,
    /// The serial the sheet gave back with this decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<String>,
    /// The second member who confirmed the decision `reviewer` proposed (`serve --two-person`);
    /// `None` for a decision taken by one person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<String>,
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

/// Collects typed row decisions, refusing two different readings of one row
/// (`--row 3=3 --row 3=1`); the same reading twice is harmless.
pub fn collect_row_decisions(
    texts: &[String],
    levels: usize,
) -> Result<BTreeMap<usize, RowDecision>, RowsError> {
    let mut rows = BTreeMap::new();
    for text in texts {
        let (subject, d) = parse_row_decision(text, levels).map_err(RowsError::Unreadable)?;
        if let Some(before) = rows.insert(subject, d)
            && before != d
        {
            return Err(RowsError::TwoReadings {
                subject,
                first: row_text(before),
                second: row_text(d),
            });
        }
    }
    Ok(rows)
}

/// Why typed row readings are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowsError {
    /// One reading is not `SUBJECT=LEVEL` or `SUBJECT=invalid`; the text says why.
    #[error("{0}")]
    Unreadable(String),
    #[error("row {subject} is given two different readings ({first} and {second})")]
    TwoReadings {
        subject: usize,
        first: String,
        second: String,
    },
}

impl RowsError {
    /// What the user can do about it, when there is something.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            RowsError::TwoReadings { .. } => Some("give each row once"),
            RowsError::Unreadable(_) => None,
        }
    }
}

fn row_text(d: RowDecision) -> String {
    match d {
        RowDecision::Level(k) => format!("level {}", k + 1),
        RowDecision::Invalid => "invalid".into(),
    }
}

/// The words a decision's outcome is told in (see [`describe_in`]).
pub struct Wording<'a> {
    pub counted: &'a str,
    pub row: &'a str,
    pub invalid: &'a str,
    /// A level the form does not name: this word and its number.
    pub level: &'a str,
    pub rejected: &'a str,
    pub not_collected: &'a str,
    pub waiting: &'a str,
    /// Whether what is missing (the machine's English) follows `waiting`.
    pub waiting_says_why: bool,
}

/// The terminal's words (`review decide` and the JSON API print them).
pub const ENGLISH: Wording<'static> = Wording {
    counted: "counted",
    row: "row",
    invalid: "invalid",
    level: "level",
    rejected: "collected but invalid as a whole (every row invalid)",
    not_collected: "set aside: not collected, not counted",
    waiting: "still waiting",
    waiting_says_why: true,
};

/// A decision's outcome as a sentence for the committee, with the levels as printed.
pub fn describe(resolution: &Resolution, levels: &[String]) -> String {
    describe_in(resolution, levels, &ENGLISH)
}

/// The same, in other words.
pub fn describe_in(resolution: &Resolution, levels: &[String], w: &Wording) -> String {
    match resolution {
        Resolution::Counted(rows) => {
            let rows: Vec<String> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let value = match r {
                        Some(k) => levels
                            .get(*k)
                            .cloned()
                            .unwrap_or_else(|| format!("{} {}", w.level, k + 1)),
                        None => w.invalid.to_string(),
                    };
                    format!("{} {}: {value}", w.row, i + 1)
                })
                .collect();
            format!("{}; {}", w.counted, rows.join("; "))
        }
        Resolution::Rejected => w.rejected.to_string(),
        Resolution::NotCollected => w.not_collected.to_string(),
        Resolution::Pending(why) if w.waiting_says_why => format!("{}: {why}", w.waiting),
        Resolution::Pending(_) => w.waiting.to_string(),
    }
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
        // The machine counted it; an amendment may withdraw it, rule it invalid, or read rows.
        Outcome::Counted => match decision.and_then(|d| d.sheet) {
            Some(SheetAction::Ignore) => Resolution::NotCollected,
            Some(SheetAction::Invalid) => Resolution::Rejected,
            _ => machine_rows(&decision.map(|d| d.rows.clone()).unwrap_or_default()),
        },
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
