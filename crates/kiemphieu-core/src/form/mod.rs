//! The form file: what one vote prints on its ballot, and the rules it counts by.
//!
//! A form is read once, at `init`, validated completely, and frozen into the vote folder; every
//! later stage reads the frozen copy, so a ballot printed today and one scanned next week agree.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

pub use crate::date::{parse_clock, parse_date, parse_utc_offset};
use crate::font::BallotFont;
use crate::grid;

mod letters;
mod validate;

pub use letters::skeleton;

/// The three levels of the seed, in ballot order.
pub const DEFAULT_LEVELS: [&str; 3] = ["Tín nhiệm cao", "Tín nhiệm", "Tín nhiệm thấp"];

/// One person the vote is about, as printed on the ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub name: String,
    pub position: String,
}

/// A fraction `num/den`, written `"1/2"` in the form file, compared in integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Fraction {
    pub num: u64,
    pub den: u64,
}

impl TryFrom<String> for Fraction {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let (n, d) = s
            .split_once('/')
            .ok_or_else(|| format!("expected a fraction like \"1/2\", found {s:?}"))?;
        let num: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("bad numerator in {s:?}"))?;
        let den: u64 = d
            .trim()
            .parse()
            .map_err(|_| format!("bad denominator in {s:?}"))?;
        if den == 0 || num > den {
            return Err(format!("{s:?} is not a fraction between 0 and 1"));
        }
        Ok(Fraction { num, den })
    }
}

impl From<Fraction> for String {
    fn from(f: Fraction) -> String {
        format!("{}/{}", f.num, f.den)
    }
}

/// Regulation 96's use of the result: the shares of low confidence that raise a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Low confidence on *more than* this share of ballots collected: consider relieving.
    #[serde(default = "Thresholds::default_consider")]
    pub consider_relief_above: Fraction,
    /// Low confidence on *this share or more*: relieved without waiting for the end of the term.
    #[serde(default = "Thresholds::default_relieve")]
    pub relieve_at_least: Fraction,
}

impl Thresholds {
    fn default_consider() -> Fraction {
        Fraction { num: 1, den: 2 }
    }
    fn default_relieve() -> Fraction {
        Fraction { num: 2, den: 3 }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            consider_relief_above: Self::default_consider(),
            relieve_at_least: Self::default_relieve(),
        }
    }
}

/// The scanner's two fill-score thresholds (see `interpret::marks`), and the reading profile
/// they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkThresholds {
    /// A box scoring this or more is marked.
    #[serde(default = "MarkThresholds::default_definite")]
    pub definite: f64,
    /// A box scoring this or more, but under `definite`, is too faint to call: a person decides.
    #[serde(default = "MarkThresholds::default_marginal")]
    pub marginal: f64,
    /// The reading profile (the rule and its constants) that reads this vote's sheets. `init`
    /// writes the current one into the frozen form; a vote folder made before profiles existed
    /// has none, and is read with profile 1, the rule that counted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<u32>,
}

/// A reading profile: one version of the rule that turns measurements into verdicts, with its
/// constants. A vote is read, and re-read by `audit`, with the profile frozen in its form, so a
/// later profile never silently re-reads an old vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReadingProfile {
    /// Fill score and the in-box trace (votes made before profiles were named).
    V1,
    /// Adds the stroke followed over the frame, its tone, scanner lines and blank pages.
    V2,
    /// As V2, and a line crosses a name out only when it reaches both ends of it.
    V3,
    /// As V3, with the fold's crease taken off the boxes it runs through, and a light stroke
    /// doubted only where it could be a fibre.
    V4,
    /// As V4, and a box or name under a light scanner streak is seen through it (the streak's
    /// shade divided out) to confirm that nothing is there.
    V5,
    /// As V5, and a darker streak is seen through too where the voter's own ink, at its
    /// faintest, would still stand out under it.
    V6,
}

impl ReadingProfile {
    pub const CURRENT: ReadingProfile = ReadingProfile::V6;

    pub fn number(self) -> u32 {
        match self {
            ReadingProfile::V1 => 1,
            ReadingProfile::V2 => 2,
            ReadingProfile::V3 => 3,
            ReadingProfile::V4 => 4,
            ReadingProfile::V5 => 5,
            ReadingProfile::V6 => 6,
        }
    }

    pub fn from_number(n: u32) -> Option<ReadingProfile> {
        match n {
            1 => Some(ReadingProfile::V1),
            2 => Some(ReadingProfile::V2),
            3 => Some(ReadingProfile::V3),
            4 => Some(ReadingProfile::V4),
            5 => Some(ReadingProfile::V5),
            6 => Some(ReadingProfile::V6),
            _ => None,
        }
    }

    /// The name recorded with a vote: `kiemphieu-read/6`.
    pub fn name(self) -> String {
        format!("kiemphieu-read/{}", self.number())
    }
}

impl MarkThresholds {
    pub const DEFINITE: f64 = 0.10;
    pub const MARGINAL: f64 = 0.01;
    fn default_definite() -> f64 {
        Self::DEFINITE
    }
    fn default_marginal() -> f64 {
        Self::MARGINAL
    }

    /// The profile these thresholds are read with (profile 1 when none is named).
    pub fn reading_profile(&self) -> ReadingProfile {
        self.profile
            .and_then(ReadingProfile::from_number)
            .unwrap_or(ReadingProfile::V1)
    }
}

impl Default for MarkThresholds {
    fn default() -> Self {
        MarkThresholds {
            definite: Self::DEFINITE,
            marginal: Self::MARGINAL,
            profile: Some(ReadingProfile::CURRENT.number()),
        }
    }
}

/// The hanging stamp (dấu treo) at the top-left of every ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StampSettings {
    /// Text of the printed seal (default: the last organization line).
    #[serde(default)]
    pub text: Option<String>,
    /// The agency's own stamp image (PNG or JPEG), relative to the form file. Frozen into the vote
    /// folder at `init`.
    #[serde(default)]
    pub image: Option<PathBuf>,
}

/// A vote's form file, as written by the committee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    /// Names the vote: lowercase letters, digits and `-`, printed in every QR code.
    pub id: String,
    /// Agency header lines, top to bottom (e.g. "UBND TỈNH QUẢNG NGÃI", "SỞ KHOA HỌC VÀ CÔNG NGHỆ").
    pub organization: Vec<String>,
    /// The ballot's title, e.g. "PHIẾU TÍN NHIỆM".
    pub title: String,
    /// Lines under the title naming the positions and the agency.
    #[serde(default)]
    pub subtitle: Vec<String>,
    /// Where the vote is held (printed in the minutes).
    pub place: String,
    /// The day of the vote, `YYYY-MM-DD`.
    pub date: String,
    #[serde(default = "Form::default_levels")]
    pub levels: Vec<String>,
    pub subjects: Vec<Subject>,
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default)]
    pub marks: MarkThresholds,
    #[serde(default)]
    pub stamp: StampSettings,
    /// The minutes' document number, e.g. `"05/BB-BKP"` (printed "Số 05/BB-BKP").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
    /// The room the meeting is held in (printed in the minutes after the place).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// When the count starts and ends on the vote's day, `HH:MM` in the vote's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// The vote's time zone as a fixed offset from UTC, `+07:00` (Asia/Ho_Chi_Minh) by default.
    /// Every time printed is in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<String>,
    /// Print the national emblem lines (quốc hiệu, tiêu ngữ) on the ballot too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub national_header_on_ballot: bool,
}

/// The default offset of the vote's time: Asia/Ho_Chi_Minh, UTC+7 all year.
pub const DEFAULT_UTC_OFFSET_MINUTES: i32 = 7 * 60;

/// Why a form file cannot be used. Each variant names the file and the field.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("cannot read form file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("form file {path} is not valid: {reason}")]
    Parse { path: PathBuf, reason: String },
    #[error("form file {path}: field `{field}` {problem}")]
    Field {
        path: PathBuf,
        field: String,
        problem: String,
    },
}

impl Form {
    fn default_levels() -> Vec<String> {
        DEFAULT_LEVELS.iter().map(|s| s.to_string()).collect()
    }

    /// Reads and validates a form file.
    pub fn load(path: &Path) -> Result<Form, FormError> {
        let text = std::fs::read_to_string(path).map_err(|source| FormError::Read {
            path: path.to_owned(),
            source,
        })?;
        Form::parse(&text, path)
    }

    /// Parses and validates form text; `path` only names the file in errors. A UTF-8 byte order
    /// mark (Notepad writes one) is skipped.
    pub fn parse(text: &str, path: &Path) -> Result<Form, FormError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let form: Form = serde_json::from_str(text).map_err(|e| FormError::Parse {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        form.validate(path)?;
        Ok(form)
    }

    /// Things worth a second look that do not stop the form: a subject's name without a single
    /// Vietnamese diacritic (typed without a Vietnamese keyboard?).
    pub fn warnings(&self) -> Vec<String> {
        self.subjects
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                let name = s.name.nfc().collect::<String>();
                name.chars().any(char::is_alphabetic) && name.is_ascii()
            })
            .map(|(i, s)| {
                format!(
                    "subjects[{i}].name {:?} has no Vietnamese diacritics at all: check that it is spelled as on the person's papers",
                    s.name
                )
            })
            .collect()
    }

    /// The vote's offset from UTC in minutes (the form's `utc_offset`, else UTC+7).
    pub fn utc_offset_minutes(&self) -> i32 {
        self.utc_offset
            .as_deref()
            .and_then(parse_utc_offset)
            .unwrap_or(DEFAULT_UTC_OFFSET_MINUTES)
    }

    /// The text of the printed seal.
    pub fn stamp_text(&self) -> &str {
        self.stamp
            .text
            .as_deref()
            .unwrap_or_else(|| self.organization.last().map(String::as_str).unwrap_or(""))
    }

    /// `(year, month, day)` of the vote.
    pub fn date_parts(&self) -> (i32, u32, u32) {
        parse_date(&self.date).expect("validated at load")
    }
}
