//! The tally: the figures of Regulation 96 for each subject, from the recorded sheets.
//!
//! [`tally`] is a pure function of a [`TallyInput`] (what the store knows about the vote) to a
//! [`Tally`], the `tally --json` object of `docs/contract.md`. Everything is integer arithmetic:
//! percentages are rounded half-up from exact fractions ([`percent`]) and the flags compare
//! `low * den` with `collected * num`, so an auditor recomputing the tally gets the same bytes.
//!
//! What is counted:
//! - **collected** (thu về) = counted sheets + rejected sheets. A sheet still waiting for a person's
//!   decision is *not yet* collected: it is reported in `pending_review`, and the tally is not
//!   final until that is zero.
//! - a **rejected** sheet (not issued by the committee) was in the box: it is collected and invalid
//!   for every subject.
//! - on a counted sheet, each row is valid for one level or invalid; `valid + invalid = collected`
//!   for every subject.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::decision::{Decision, Resolution, resolve};
use crate::form::{Fraction, Subject, Thresholds};
use crate::record::{Outcome, Reason, StoredSheet};

mod accounting;
mod figures;
mod report;

pub use accounting::{Imbalance, PageAccount, UnreadablePage, account};
pub use figures::{CSV_BOM, group_hex, reason_label, vi_number, vi_percent};

/// What the tally is computed from. The store fills it; nothing here reads files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyInput {
    /// The vote's id (the form's `id`).
    pub vote: String,
    /// The subjects in ballot order.
    pub subjects: Vec<Subject>,
    /// The levels in ballot order; `RowResult::Valid(i)` indexes this.
    pub levels: Vec<String>,
    pub thresholds: Thresholds,
    /// Ballots printed, all batches.
    pub printed: u64,
    /// Printed ballots returned unused and voided.
    pub voided: u64,
    /// Meeting facts, when recorded.
    pub convened: Option<u64>,
    pub present: Option<u64>,
    /// Every sheet taken out of the box and decided: counted or rejected. Sheets still in review
    /// are not here; they are counted in `pending_review`.
    pub sheets: Vec<TalliedSheet>,
    pub pending_review: u64,
    /// What became of every recorded page, from [`account`]. `None` when the input was made by
    /// hand from decided sheets only: the rejected sheets are then reported without a reason.
    pub pages: Option<PageAccount>,
}

/// One decided sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TalliedSheet {
    /// Not issued by the committee for this vote: invalid for every subject.
    Rejected,
    /// A genuine sheet: one result per subject, in ballot order. A missing row counts as invalid.
    Counted { rows: Vec<RowResult> },
}

/// The result of one subject's row on a counted sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowResult {
    /// Exactly one box marked: the index of its level. An index outside the levels counts as
    /// invalid.
    Valid(usize),
    /// Crossed out, no mark, or two or three marks.
    Invalid,
}

/// A consequence of the result that Regulation 96 (Điều 11) attaches to low confidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// Low confidence on more than `consider_relief_above` of ballots collected (default 1/2):
    /// the competent authority considers relieving the person of the position.
    ConsiderRelief,
    /// Low confidence on `relieve_at_least` or more (default 2/3): relieved without waiting for
    /// the end of the term.
    Relieve,
}

impl Flag {
    /// The stable code, as written in the JSON and CSV.
    pub fn code(self) -> &'static str {
        match self {
            Flag::ConsiderRelief => "consider_relief",
            Flag::Relieve => "relieve",
        }
    }

    /// The condition that raised the flag, in Vietnamese, with the thresholds it was raised by.
    pub fn rule_vi(self, t: &Thresholds) -> String {
        match self {
            Flag::ConsiderRelief => format!(
                "Có trên {} số phiếu tín nhiệm thấp",
                fraction_text(t.consider_relief_above)
            ),
            Flag::Relieve => format!(
                "Có từ {} trở lên số phiếu tín nhiệm thấp",
                fraction_text(t.relieve_at_least)
            ),
        }
    }

    /// What follows from the flag, in Vietnamese.
    pub fn consequence_vi(self) -> &'static str {
        match self {
            Flag::ConsiderRelief => "cấp có thẩm quyền xem xét cho thôi giữ chức vụ",
            Flag::Relieve => "cấp có thẩm quyền cho thôi giữ chức vụ, không chờ hết nhiệm kỳ",
        }
    }

    /// The whole explanation for the minutes: rule, source, consequence.
    pub fn explanation_vi(self, t: &Thresholds) -> String {
        format!(
            "{} (Điều 11, Quy định 96-QĐ/TW): {}",
            self.rule_vi(t),
            self.consequence_vi()
        )
    }

    /// A short English explanation.
    pub fn explanation_en(self, t: &Thresholds) -> String {
        match self {
            Flag::ConsiderRelief => format!(
                "low confidence on more than {} of ballots collected: the competent authority considers relieving the person",
                fraction_text(t.consider_relief_above)
            ),
            Flag::Relieve => format!(
                "low confidence on {} or more of ballots collected: relieved without waiting for the end of the term",
                fraction_text(t.relieve_at_least)
            ),
        }
    }
}

fn fraction_text(f: Fraction) -> String {
    format!("{}/{}", f.num, f.den)
}

/// Whether the meeting had its quorum: at least 2/3 of the convened present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quorum {
    pub convened: Option<u64>,
    pub present: Option<u64>,
    /// `present * 3 >= convened * 2`; `None` until both facts are recorded.
    pub met: Option<bool>,
}

impl Quorum {
    pub fn new(convened: Option<u64>, present: Option<u64>) -> Quorum {
        let met = match (convened, present) {
            (Some(c), Some(p)) => Some(crate::meeting::quorum_met(c, p)),
            _ => None,
        };
        Quorum {
            convened,
            present,
            met,
        }
    }
}

/// The figures for one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectTally {
    /// 1-based, in ballot order.
    pub subject: usize,
    pub name: String,
    pub position: String,
    pub valid: u64,
    pub invalid: u64,
    /// Sheets valid for each level, in the order of the levels.
    pub counts: Vec<u64>,
    /// Each count as a percentage of ballots collected, 2 decimals, rounded half-up.
    pub percents: Vec<String>,
    pub flags: Vec<Flag>,
}

/// The tally of a vote: the `tally --json` object of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub vote: String,
    /// True when no sheet awaits review.
    #[serde(rename = "final")]
    pub is_final: bool,
    pub printed: u64,
    pub voided: u64,
    /// `printed - voided`.
    pub issued: u64,
    /// Counted + rejected sheets. Sheets pending review are not yet collected.
    pub collected: u64,
    /// Sheets not issued by the committee (invalid for every subject).
    pub rejected: u64,
    pub pending_review: u64,
    pub quorum: Quorum,
    pub subjects: Vec<SubjectTally>,
    /// Counted sheets (collected = counted + rejected).
    #[serde(default)]
    pub counted: u64,
    /// Of `rejected`: sheets the committee issued but ruled invalid as a whole.
    #[serde(default)]
    pub ruled_invalid: u64,
    /// Of `rejected`: sheets not issued by the committee (phiếu không do Ban kiểm phiếu phát
    /// ra), by reason: `not_issued`, `wrong_vote`, `voided`.
    #[serde(default)]
    pub not_issued: BTreeMap<String, u64>,
    /// Issued but not (yet) collected: `issued - (counted + ruled_invalid)`.
    #[serde(default)]
    pub not_returned: u64,
    /// Every distinct page recorded: collected + pending review + ignored + blank + unreadable +
    /// already scanned. The same bytes scanned again are not recorded twice.
    #[serde(default)]
    pub pages_scanned: u64,
    /// Sheets a person set aside (a rescan of the same sheet, not a ballot of this box).
    #[serde(default)]
    pub ignored: u64,
    /// Pages with no ballot printed on them (outcome `blank`).
    #[serde(default)]
    pub blank_pages: u64,
    /// Pages that could not be read (outcome `error`), named in `unreadable_files`.
    #[serde(default)]
    pub unreadable: u64,
    /// The same bytes scanned again.
    #[serde(default)]
    pub already_scanned: u64,
    #[serde(default)]
    pub unreadable_files: Vec<UnreadablePage>,
    /// True when every figure of the accounting identity adds up.
    #[serde(default)]
    pub identity_holds: bool,
    /// What does not add up, when something does not.
    #[serde(default)]
    pub imbalances: Vec<Imbalance>,
    /// The head of the event chain when the tally was made (set by the caller from the store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_head: Option<String>,
    /// The number of events the chain head stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_events: Option<usize>,
    /// The level names the counts are in (not part of the JSON).
    #[serde(skip)]
    pub levels: Vec<String>,
    /// The thresholds the flags were raised by (not part of the JSON).
    #[serde(skip)]
    pub thresholds: Thresholds,
}

/// `count / total` as a percentage with two decimals, rounded half-up, exactly (`"0.00"` when
/// `total` is 0).
pub fn percent(count: u64, total: u64) -> String {
    if total == 0 {
        return "0.00".to_string();
    }
    let (c, t) = (count as u128, total as u128);
    // floor(c * 10000 / t + 1/2), in hundredths of a percent.
    let hundredths = (c * 20_000 + t) / (2 * t);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// The flags raised by `low` sheets of low confidence out of `collected`.
pub fn flags_for(low: u64, collected: u64, t: &Thresholds) -> Vec<Flag> {
    let mut flags = Vec::new();
    if collected == 0 {
        return flags;
    }
    let (low, collected) = (low as u128, collected as u128);
    let c = t.consider_relief_above;
    if low * c.den as u128 > collected * c.num as u128 {
        flags.push(Flag::ConsiderRelief);
    }
    let r = t.relieve_at_least;
    if low * r.den as u128 >= collected * r.num as u128 {
        flags.push(Flag::Relieve);
    }
    flags
}

/// Computes the tally.
pub fn tally(input: &TallyInput) -> Tally {
    let n_levels = input.levels.len();
    let mut counts = vec![vec![0u64; n_levels]; input.subjects.len()];
    let mut rejected = 0u64;
    let mut counted = 0u64;
    for sheet in &input.sheets {
        match sheet {
            TalliedSheet::Rejected => rejected += 1,
            TalliedSheet::Counted { rows } => {
                counted += 1;
                for (s, row) in rows.iter().enumerate().take(input.subjects.len()) {
                    if let RowResult::Valid(level) = *row
                        && level < n_levels
                    {
                        counts[s][level] += 1;
                    }
                }
            }
        }
    }
    let collected = counted + rejected;
    let pages = input.pages.clone().unwrap_or_else(|| PageAccount {
        // Made by hand: only the decided and pending sheets are known, and not why a rejected
        // sheet was rejected, so none is said to be "not issued by the committee".
        pages: collected + input.pending_review,
        counted,
        ruled_invalid: rejected,
        pending_review: input.pending_review,
        ..PageAccount::default()
    });
    let issued = input.printed.saturating_sub(input.voided);
    let mut imbalances = Vec::new();
    if input.voided > input.printed {
        imbalances.push(Imbalance::VoidedExceedsPrinted {
            printed: input.printed,
            voided: input.voided,
        });
    }
    // The committee's own sheets that came back cannot outnumber those it handed out.
    let returned = pages.counted + pages.ruled_invalid;
    if returned > issued {
        imbalances.push(Imbalance::CollectedExceedsIssued {
            collected: returned,
            issued,
        });
    }
    let accounted = pages.counted
        + pages.ruled_invalid
        + pages.not_issued_total()
        + pages.pending_review
        + pages.ignored
        + pages.blank
        + pages.unreadable
        + pages.already_scanned;
    let buckets_agree = pages.counted == counted
        && pages.ruled_invalid + pages.not_issued_total() == rejected
        && pages.pending_review == input.pending_review;
    if accounted != pages.pages || !buckets_agree {
        imbalances.push(Imbalance::PagesDoNotAddUp {
            pages: pages.pages,
            accounted,
        });
    }
    let subjects = input
        .subjects
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(i, (subject, counts))| {
            let valid: u64 = counts.iter().sum();
            let low = counts.last().copied().unwrap_or(0);
            SubjectTally {
                subject: i + 1,
                name: subject.name.clone(),
                position: subject.position.clone(),
                valid,
                invalid: collected - valid,
                percents: counts.iter().map(|&c| percent(c, collected)).collect(),
                flags: flags_for(low, collected, &input.thresholds),
                counts,
            }
        })
        .collect();
    Tally {
        vote: input.vote.clone(),
        is_final: input.pending_review == 0,
        printed: input.printed,
        voided: input.voided,
        issued,
        collected,
        rejected,
        pending_review: input.pending_review,
        quorum: Quorum::new(input.convened, input.present),
        subjects,
        counted,
        ruled_invalid: pages.ruled_invalid,
        not_issued: pages.not_issued.clone(),
        not_returned: issued.saturating_sub(pages.counted + pages.ruled_invalid),
        pages_scanned: pages.pages,
        ignored: pages.ignored,
        blank_pages: pages.blank,
        unreadable: pages.unreadable,
        already_scanned: pages.already_scanned,
        unreadable_files: pages.unreadable_files,
        identity_holds: imbalances.is_empty(),
        imbalances,
        chain_head: None,
        chain_events: None,
        levels: input.levels.clone(),
        thresholds: input.thresholds,
    }
}

impl Tally {
    /// The name of level `i`, or a placeholder when the tally was read back from JSON.
    pub fn level_name(&self, i: usize) -> String {
        self.levels
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("Mức {}", i + 1))
    }

    fn level_count(&self) -> usize {
        self.subjects
            .iter()
            .map(|s| s.counts.len())
            .max()
            .unwrap_or(self.levels.len())
    }

    /// Why more sheets were collected than issued, when they were: the sheets that are not the
    /// committee's.
    pub fn excess_note_vi(&self) -> Option<String> {
        (self.collected > self.issued).then(|| {
            format!(
                "số phiếu thu về nhiều hơn số phiếu phát ra {} phiếu vì trong hòm phiếu có {} phiếu không do Ban kiểm phiếu phát ra.",
                vi_number(self.collected - self.issued),
                vi_number(self.not_issued.values().sum())
            )
        })
    }

    /// The warning printed at the top and bottom of a tally that is not final.
    pub fn not_final_warning(&self) -> Option<String> {
        if self.is_final {
            return None;
        }
        let bar = "!".repeat(72);
        Some(format!(
            "{bar}\n!!  CHƯA CHÍNH THỨC / NOT FINAL: {n} sheet(s) await review\n\
             !!  Còn {n} phiếu chờ xem xét; kết quả dưới đây chưa phải kết quả kiểm phiếu.\n\
             !!  hint: decide them with `kiemphieu review`\n{bar}\n",
            n = self.pending_review
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_half_up() {
        assert_eq!(percent(1, 3), "33.33");
        assert_eq!(percent(2, 3), "66.67");
        assert_eq!(percent(1, 8), "12.50");
        assert_eq!(percent(1, 200), "0.50");
        assert_eq!(percent(1, 400), "0.25");
        assert_eq!(percent(1, 800), "0.13");
        assert_eq!(percent(3, 800), "0.38");
        assert_eq!(percent(0, 5), "0.00");
        assert_eq!(percent(5, 5), "100.00");
        assert_eq!(percent(0, 0), "0.00");
        // 22.565 exactly: a float would make it 22.56.
        assert_eq!(percent(4513, 20_000), "22.57");
    }

    #[test]
    fn flags_at_the_boundaries() {
        let t = Thresholds::default();
        assert_eq!(flags_for(3, 6, &t), vec![]);
        assert_eq!(
            flags_for(4, 6, &t),
            vec![Flag::ConsiderRelief, Flag::Relieve]
        );
        assert_eq!(
            flags_for(6, 9, &t),
            vec![Flag::ConsiderRelief, Flag::Relieve]
        );
        assert_eq!(flags_for(5, 9, &t), vec![Flag::ConsiderRelief]);
        assert_eq!(flags_for(0, 0, &t), vec![]);
    }

    fn stored(id: i64, outcome: Outcome, reason: Option<Reason>) -> StoredSheet {
        StoredSheet {
            id,
            record: crate::record::SheetRecord {
                file: format!("scans/{id:04}.jpg"),
                page: 1,
                sha256: format!("{id:064}"),
                outcome,
                reason,
                serial: None,
                orientation: None,
                rows: Vec::new(),
                detail: None,
            },
            archive: None,
            scanned_at: String::new(),
        }
    }

    #[test]
    fn every_page_falls_in_one_bucket_of_the_identity() {
        use crate::decision::SheetAction;
        let sheets = vec![
            stored(1, Outcome::Rejected, Some(Reason::NotIssued)),
            stored(2, Outcome::Rejected, Some(Reason::WrongVote)),
            stored(3, Outcome::Review, Some(Reason::DuplicateSerial)),
            stored(4, Outcome::Review, Some(Reason::MissingStamp)),
            stored(5, Outcome::Review, Some(Reason::QrUnreadable)),
            stored(6, Outcome::Review, Some(Reason::QrUnreadable)),
            stored(7, Outcome::Review, Some(Reason::AmbiguousMark)),
            stored(8, Outcome::Error, Some(Reason::NotAnImage)),
            stored(9, Outcome::Blank, None),
            stored(10, Outcome::Review, Some(Reason::DuplicateSerial)),
        ];
        let decide = |sheet, serial_check| Decision {
            sheet: Some(sheet),
            serial_check,
            ..Default::default()
        };
        let decisions: BTreeMap<i64, Decision> = [
            // A copy of a sheet already read, ruled invalid: not the committee's.
            (3, decide(SheetAction::Invalid, None)),
            // No stamp, ruled invalid: the committee's own sheet.
            (4, decide(SheetAction::Invalid, None)),
            // A typed serial never printed, also ruled invalid: still not the committee's.
            (5, decide(SheetAction::Invalid, Some(Reason::NotIssued))),
            (6, decide(SheetAction::Ignore, None)),
            // Sheet 7 waits; sheet 10 is the same sheet scanned again.
            (10, decide(SheetAction::Ignore, None)),
        ]
        .into_iter()
        .collect();
        let a = account(&sheets, &decisions, 3);
        assert_eq!(a.pages, 10);
        assert_eq!(a.ruled_invalid, 1);
        assert_eq!(a.not_issued.get("not_issued"), Some(&2));
        assert_eq!(a.not_issued.get("wrong_vote"), Some(&1));
        assert_eq!(a.not_issued.get("duplicate_serial"), Some(&1));
        assert_eq!(
            (a.ignored, a.pending_review, a.blank, a.unreadable),
            (2, 1, 1, 1)
        );
        assert_eq!(a.unreadable_files[0].file, "scans/0008.jpg");
        assert_eq!(a.unreadable_files[0].reason, "not_an_image");
    }

    #[test]
    fn quorum() {
        assert_eq!(Quorum::new(Some(30), Some(20)).met, Some(true));
        assert_eq!(Quorum::new(Some(30), Some(19)).met, Some(false));
        assert_eq!(Quorum::new(None, Some(19)).met, None);
    }
}
