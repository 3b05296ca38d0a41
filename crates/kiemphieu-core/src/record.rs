//! What is recorded about each scanned sheet: the outcome, the reason, every row's verdict and raw
//! scores. These are the `scan --json` objects of docs/contract.md, and the rows of the `sheets`
//! table.

use serde::{Deserialize, Serialize};

/// What became of one sheet (one page of one file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A genuine sheet, read with confidence: it counts.
    Counted,
    /// Not issued by this committee for this vote: collected, invalid for every subject.
    Rejected,
    /// A person must decide before it counts.
    Review,
    /// The same bytes were scanned before: nothing is counted twice.
    AlreadyScanned,
    /// A page with no ballot printed on it (the back side a duplex scan writes, an empty sheet):
    /// not collected, not reviewed, reported as `blank_pages`.
    Blank,
    /// The file (or this page of it) could not be read as a sheet at all.
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Counted => "counted",
            Outcome::Rejected => "rejected",
            Outcome::Review => "review",
            Outcome::AlreadyScanned => "already_scanned",
            Outcome::Blank => "blank",
            Outcome::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        [
            Outcome::Counted,
            Outcome::Rejected,
            Outcome::Review,
            Outcome::AlreadyScanned,
            Outcome::Blank,
            Outcome::Error,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// Why a sheet was rejected, sent to review, or could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    NotIssued,
    WrongVote,
    Voided,
    DuplicateSerial,
    QrUnreadable,
    RegistrationFailed,
    MissingStamp,
    AmbiguousMark,
    NotAnImage,
    ImageTooLarge,
    ReadFailed,
    /// A PDF page that holds no scanned image (a document drawn by a PDF writer, not a scan).
    NoScannedImage,
}

impl Reason {
    pub const ALL: [Reason; 12] = [
        Reason::NotIssued,
        Reason::WrongVote,
        Reason::Voided,
        Reason::DuplicateSerial,
        Reason::QrUnreadable,
        Reason::RegistrationFailed,
        Reason::MissingStamp,
        Reason::AmbiguousMark,
        Reason::NotAnImage,
        Reason::ImageTooLarge,
        Reason::ReadFailed,
        Reason::NoScannedImage,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotIssued => "not_issued",
            Reason::WrongVote => "wrong_vote",
            Reason::Voided => "voided",
            Reason::DuplicateSerial => "duplicate_serial",
            Reason::QrUnreadable => "qr_unreadable",
            Reason::RegistrationFailed => "registration_failed",
            Reason::MissingStamp => "missing_stamp",
            Reason::AmbiguousMark => "ambiguous_mark",
            Reason::NotAnImage => "not_an_image",
            Reason::ImageTooLarge => "image_too_large",
            Reason::ReadFailed => "read_failed",
            Reason::NoScannedImage => "no_scanned_image",
        }
    }
    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The verdict on one subject's row of a sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowVerdict {
    /// Exactly one box definitely marked.
    Valid,
    NoMark,
    MultipleMarks,
    /// A line through the printed name.
    CrossedOut,
    /// A box between the thresholds: a person decides.
    Ambiguous,
}

impl RowVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            RowVerdict::Valid => "valid",
            RowVerdict::NoMark => "no_mark",
            RowVerdict::MultipleMarks => "multiple_marks",
            RowVerdict::CrossedOut => "crossed_out",
            RowVerdict::Ambiguous => "ambiguous",
        }
    }
}

/// One row as read from a sheet, with the raw measurements behind the verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowReading {
    pub subject: usize,
    pub verdict: RowVerdict,
    /// Index into the levels when the verdict is `valid`.
    pub choice: Option<usize>,
    /// Raw fill score of each box, 0..1: the share of the box's inside covered by ink.
    pub scores: [f64; 3],
    /// How much of the printed name a straight line covers, 0..1 (crossing-out evidence).
    pub strike: f64,
    /// The shorter side (mm) of the largest connected stroke in each box, however light: inside
    /// the box under profile 1, followed over the frame under profile 2 (records made before
    /// this was measured read as 0).
    #[serde(default)]
    pub traces: [f64; 3],
    /// Reading profile 2: the mean darkness over the paper of each box's largest stroke
    /// (a pen line is dark; a hair, a fold or a light pencil is not). Absent under profile 1.
    #[serde(default, skip_serializing_if = "all_zero")]
    pub tones: [f64; 3],
    /// Reading profile 2: a line drawn by the scanner (a streak down the image) runs through
    /// this row where it could hide a mark or a crossing line, so a person reads the row.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scanner_line: bool,
    /// Reading profile 2: each box's largest stroke runs on past the margin around the box in
    /// ink as dark as itself (a hair, a fibre, a ruled line): it cannot make a mark alone.
    #[serde(default, skip_serializing_if = "none_true")]
    pub runs_on: [bool; 3],
    /// Reading profile 2: each box's largest stroke is shaped like a crease (right across the
    /// margin around the box, or a thin line from its edge).
    #[serde(default, skip_serializing_if = "none_true")]
    pub spans: [bool; 3],
    /// Reading profile 2: the shorter side (mm) of the core of each box's largest stroke (its
    /// cells at least 0.10 darker than the paper: no crease reaches that).
    #[serde(default, skip_serializing_if = "all_zero")]
    pub cores: [f64; 3],
    /// Reading profile 2: the strike score over faint ink (a light pencil line), 0 when that
    /// line is a crease running on across the margin.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub faint_strike: f64,
    /// Reading profile 3: how far (mm) the crossing line reaches into both ends of the name, the
    /// smaller of the two (see `interpret::strike::strike_ends`). Absent when no line was found,
    /// and before profile 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strike_ends: Option<f64>,
    /// Reading profile 3: the voter's usual tone on this sheet (the median tone of the strokes
    /// read as marks), against which each mark is weighed; absent with fewer than two marks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hand_tone: Option<f64>,
    /// Reading profile 4: the darkness of a fold's crease found running through the row across
    /// both margins of the table. It is looked for only where it could matter, and taken off
    /// wherever it was looked for: the boxes when one was in doubt (their scores, traces and
    /// tones above are then without it), the name's faint crossing search, a line's run past
    /// the name. Absent when none was looked for or found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crease: Option<f64>,
    /// Reading profile 5: a light scanner line over this row (one that lets at least half the
    /// light through; under profile 6 also a darker one, where the voter's own ink would still
    /// show under it) hid a box or the name where it could have hidden a mark or a crossing
    /// line; its shade was divided out and what it hid seen clear (profile 6: or a stroke the
    /// line cut in two seen whole, as a mark), so the row was read. The figures above for that
    /// box are then the ones seen through the line.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seen_through: bool,
    /// Reading profile 6: the core of each box's largest stroke reaches the printed frame's
    /// band, where the reader sees no ink, and other ink comes out on the band's far side: it
    /// may be a piece of a longer line (a hair) cut off there.
    #[serde(default, skip_serializing_if = "none_true")]
    pub cut_at_frame: [bool; 3],
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn none_true(v: &[bool; 3]) -> bool {
    !v.contains(&true)
}

fn all_zero(v: &[f64; 3]) -> bool {
    v.iter().all(|&x| x == 0.0)
}

/// One sheet's record: the `scan --json` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetRecord {
    pub file: String,
    pub page: u32,
    pub sha256: String,
    pub outcome: Outcome,
    pub reason: Option<Reason>,
    pub serial: Option<String>,
    pub orientation: Option<u16>,
    pub rows: Vec<RowReading>,
    /// A sentence for people: what exactly was wrong (the decoder's error, the residual, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl SheetRecord {
    /// A sheet that could not be read at all.
    pub fn error(file: &str, page: u32, sha256: &str, reason: Reason, detail: String) -> Self {
        SheetRecord {
            file: file.to_string(),
            page,
            sha256: sha256.to_string(),
            outcome: Outcome::Error,
            reason: Some(reason),
            serial: None,
            orientation: None,
            rows: Vec::new(),
            detail: Some(detail),
        }
    }
}
/// A recorded sheet with the store's bookkeeping: its id, where its image is archived (relative
/// to the vote folder) and when it was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSheet {
    pub id: i64,
    pub record: SheetRecord,
    pub archive: Option<String>,
    pub scanned_at: String,
}
