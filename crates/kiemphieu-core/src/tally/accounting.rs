//! What became of every page ever recorded, and the accounting identity the figures must keep:
//! printed = voided + issued, and the committee's own sheets back from the box within what it
//! issued.

use super::*;

/// What became of every page ever recorded, one bucket each: the accounting identity's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageAccount {
    /// Every page recorded (every page of every file scanned, an unreadable file as one page).
    pub pages: u64,
    /// Counted sheets (the machine's reading, or a person's).
    pub counted: u64,
    /// Sheets the committee issued but ruled invalid as a whole (no stamp, a reduced copy).
    pub ruled_invalid: u64,
    /// Sheets not issued by the committee, by reason (`not_issued`, `wrong_vote`, `voided`, and
    /// `duplicate_serial` for a copy of a sheet whose serial was read on another sheet).
    pub not_issued: BTreeMap<String, u64>,
    /// Waiting for a person.
    pub pending_review: u64,
    /// Set aside by a person: the same sheet scanned again, or not a ballot of this box.
    pub ignored: u64,
    /// Pages with no ballot printed on them (the back of a duplex scan).
    pub blank: u64,
    /// Pages or files that could not be read as a sheet.
    pub unreadable: u64,
    /// The same bytes scanned again: nothing counted twice.
    pub already_scanned: u64,
    /// Each page that could not be read, by name.
    pub unreadable_files: Vec<UnreadablePage>,
}

/// A page (or a whole file) that could not be read as a sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadablePage {
    pub file: String,
    pub page: u32,
    /// The reason code (`not_an_image`, `read_failed`, …).
    pub reason: String,
}

impl PageAccount {
    /// Sheets rejected as not issued by the committee, all reasons.
    pub fn not_issued_total(&self) -> u64 {
        self.not_issued.values().sum()
    }
}

/// Sorts every recorded page into one bucket of the accounting identity, with the decisions in
/// force. `subjects` is the number of rows on the ballot.
pub fn account(
    recorded: &[StoredSheet],
    decisions: &BTreeMap<i64, Decision>,
    subjects: usize,
) -> PageAccount {
    let mut a = PageAccount::default();
    for s in recorded {
        a.pages += 1;
        let rec = &s.record;
        let decision = decisions.get(&s.id);
        match resolve(s, decision, subjects) {
            Resolution::Counted(_) => a.counted += 1,
            Resolution::Pending(_) => a.pending_review += 1,
            Resolution::Rejected => {
                // The reason the sheet is not the committee's: the scanner's, or the registry's
                // answer to a serial typed by a person. Otherwise the committee ruled it invalid.
                let typed = decision.and_then(|d| d.serial_check);
                // A copy of a sheet already read (a duplicate serial) is not the committee's
                // either: its serial came back on another sheet.
                let reason = match (rec.outcome, rec.reason, typed) {
                    (Outcome::Rejected, Some(r), _) if is_not_issued(r) => Some(r),
                    (_, _, Some(r)) if is_not_issued(r) => Some(r),
                    (_, Some(Reason::DuplicateSerial), _)
                    | (_, _, Some(Reason::DuplicateSerial)) => Some(Reason::DuplicateSerial),
                    _ => None,
                };
                match reason {
                    Some(r) => *a.not_issued.entry(r.as_str().to_string()).or_default() += 1,
                    None => a.ruled_invalid += 1,
                }
            }
            Resolution::NotCollected => match rec.outcome {
                Outcome::AlreadyScanned => a.already_scanned += 1,
                Outcome::Blank => a.blank += 1,
                Outcome::Error => {
                    a.unreadable += 1;
                    a.unreadable_files.push(UnreadablePage {
                        file: rec.file.clone(),
                        page: rec.page,
                        reason: rec.reason.map_or("error", |r| r.as_str()).to_string(),
                    });
                }
                // Set aside (or withdrawn) by a person.
                Outcome::Counted | Outcome::Review | Outcome::Rejected => a.ignored += 1,
            },
        }
    }
    a
}

fn is_not_issued(r: Reason) -> bool {
    matches!(r, Reason::NotIssued | Reason::WrongVote | Reason::Voided)
}

/// A figure of the accounting identity that does not add up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Imbalance {
    /// More ballots voided than printed.
    VoidedExceedsPrinted { printed: u64, voided: u64 },
    /// More of the committee's own sheets came back (counted or ruled invalid) than were issued:
    /// a serial was claimed twice, or the voided ballots were wrongly recorded. (Sheets not
    /// issued by the committee are in the box too, but are not the committee's: they make
    /// `collected` exceed `issued` without breaking the identity, and the tally says why.)
    CollectedExceedsIssued { collected: u64, issued: u64 },
    /// The recorded pages do not add up to their buckets (a record that cannot be sorted).
    PagesDoNotAddUp { pages: u64, accounted: u64 },
}

impl Imbalance {
    pub fn en(&self) -> String {
        match self {
            Imbalance::VoidedExceedsPrinted { printed, voided } => {
                format!("{voided} ballots voided but only {printed} printed")
            }
            Imbalance::CollectedExceedsIssued { collected, issued } => format!(
                "{collected} sheets issued by the committee came back but only {issued} were issued: the figures do not add up"
            ),
            Imbalance::PagesDoNotAddUp { pages, accounted } => {
                format!("{pages} pages recorded but {accounted} accounted for")
            }
        }
    }

    pub fn vi(&self) -> String {
        match self {
            Imbalance::VoidedExceedsPrinted { printed, voided } => format!(
                "Số phiếu huỷ ({}) lớn hơn số phiếu in ra ({})",
                vi_number(*voided),
                vi_number(*printed)
            ),
            Imbalance::CollectedExceedsIssued { collected, issued } => format!(
                "Số phiếu do Ban kiểm phiếu phát ra được thu về ({}) lớn hơn số phiếu phát ra ({}): số liệu không khớp",
                vi_number(*collected),
                vi_number(*issued)
            ),
            Imbalance::PagesDoNotAddUp { pages, accounted } => format!(
                "Số trang đã quét ({}) không khớp với tổng các loại ({})",
                vi_number(*pages),
                vi_number(*accounted)
            ),
        }
    }
}
