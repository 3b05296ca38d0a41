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
}

impl ReadingProfile {
    pub const CURRENT: ReadingProfile = ReadingProfile::V4;

    pub fn number(self) -> u32 {
        match self {
            ReadingProfile::V1 => 1,
            ReadingProfile::V2 => 2,
            ReadingProfile::V3 => 3,
            ReadingProfile::V4 => 4,
        }
    }

    pub fn from_number(n: u32) -> Option<ReadingProfile> {
        match n {
            1 => Some(ReadingProfile::V1),
            2 => Some(ReadingProfile::V2),
            3 => Some(ReadingProfile::V3),
            4 => Some(ReadingProfile::V4),
            _ => None,
        }
    }

    /// The name recorded with a vote: `kiemphieu-read/4`.
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

    /// Checks everything that `serde` cannot: empty text, duplicates, what the font cannot draw,
    /// what does not fit on the page.
    pub fn validate(&self, path: &Path) -> Result<(), FormError> {
        let bad = |field: &str, problem: String| FormError::Field {
            path: path.to_owned(),
            field: field.to_owned(),
            problem,
        };
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 40
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !self.id.starts_with('-');
        if !id_ok {
            return Err(bad(
                "id",
                format!(
                    "must be 1 to 40 lowercase letters, digits or '-' (found {:?})",
                    self.id
                ),
            ));
        }
        if !valid_date(&self.date) {
            return Err(bad(
                "date",
                format!("must be a date YYYY-MM-DD (found {:?})", self.date),
            ));
        }
        if self.organization.is_empty() {
            return Err(bad(
                "organization",
                "is empty: give at least one line".into(),
            ));
        }
        if self.levels.len() != 3 {
            return Err(bad(
                "levels",
                format!("must have exactly 3 levels (found {})", self.levels.len()),
            ));
        }
        if self.subjects.is_empty() {
            return Err(bad(
                "subjects",
                "is empty: a vote needs at least one subject".into(),
            ));
        }
        let capacity = grid::max_subjects();
        if self.subjects.len() > capacity {
            return Err(bad(
                "subjects",
                format!(
                    "has {} subjects but one page holds at most {capacity}",
                    self.subjects.len()
                ),
            ));
        }
        for (i, a) in self.subjects.iter().enumerate() {
            for (j, b) in self.subjects.iter().enumerate().skip(i + 1) {
                // Texts that print alike are the same subject: NFC and NFD, runs of spaces,
                // Cyrillic or Greek letters that look Latin.
                if skeleton(&a.name) == skeleton(&b.name)
                    && skeleton(&a.position) == skeleton(&b.position)
                {
                    return Err(bad(
                        &format!("subjects[{j}]"),
                        format!("repeats subjects[{i}] ({} — {})", a.name, a.position),
                    ));
                }
            }
        }
        let m = self.marks;
        if let Some(n) = m.profile
            && ReadingProfile::from_number(n).is_none()
        {
            return Err(bad(
                "marks.profile",
                format!(
                    "names reading profile {n}, which this program does not have (it reads 1, 2 and 3)"
                ),
            ));
        }
        if !(0.0 < m.marginal && m.marginal < m.definite && m.definite < 1.0) {
            return Err(bad(
                "marks",
                format!(
                    "needs 0 < marginal < definite < 1 (found marginal {}, definite {})",
                    m.marginal, m.definite
                ),
            ));
        }
        let t = self.thresholds;
        // In u128: a u64 numerator times a u64 denominator cannot overflow it.
        if t.consider_relief_above.num as u128 * t.relieve_at_least.den as u128
            > t.relieve_at_least.num as u128 * t.consider_relief_above.den as u128
        {
            return Err(bad(
                "thresholds",
                "consider_relief_above must not exceed relieve_at_least".into(),
            ));
        }
        let font = BallotFont::regular();
        for (field, text) in self.texts() {
            if text.trim().is_empty() {
                return Err(bad(&field, "is empty".into()));
            }
            if let Some(c) = text.chars().find(|c| c.is_control()) {
                // A tab or a line break has no glyph: the ballot would show a name that is not
                // the one in the tally.
                return Err(bad(
                    &field,
                    format!(
                        "has the control character U+{:04X}; write each text on one line",
                        c as u32
                    ),
                ));
            }
            if let Some(c) = text.chars().find(|&c| is_right_to_left(c)) {
                // Printed left to right, a right-to-left text would read reversed.
                return Err(bad(
                    &field,
                    format!(
                        "has the right-to-left character {c:?} (U+{:04X}); a ballot prints left to right",
                        c as u32
                    ),
                ));
            }
            if let Some(c) = text.chars().find(|&c| is_lookalike(c))
                && text.chars().any(is_latin_letter)
            {
                return Err(bad(
                    &field,
                    format!(
                        "has {c:?} (U+{:04X}), a Cyrillic or Greek letter that looks like a Latin one; type it with a Vietnamese keyboard",
                        c as u32
                    ),
                ));
            }
            if let Some(c) = font.first_missing_char(&text) {
                return Err(bad(
                    &field,
                    format!(
                        "has {c:?} (U+{:04X}), which the ballot font cannot draw",
                        c as u32
                    ),
                ));
            }
        }
        for (field, value) in [("start", &self.start), ("end", &self.end)] {
            if let Some(v) = value
                && parse_clock(v).is_none()
            {
                return Err(bad(field, format!("must be a time HH:MM (found {v:?})")));
            }
        }
        if let (Some(a), Some(b)) = (&self.start, &self.end)
            && parse_clock(a) > parse_clock(b)
        {
            return Err(bad("end", format!("({b}) is before start ({a})")));
        }
        if let Some(o) = &self.utc_offset
            && parse_utc_offset(o).is_none()
        {
            return Err(bad(
                "utc_offset",
                format!("must be a fixed offset like \"+07:00\" (found {o:?})"),
            ));
        }
        self.check_fits()
            .map_err(|(field, problem)| bad(&field, problem))
    }

    /// Checks that every text fits where the layout puts it, by the grid's sizes;
    /// `Err((field, problem))`.
    fn check_fits(&self) -> Result<(), (String, String)> {
        use grid::*;
        let regular = BallotFont::regular();
        let bold = BallotFont::bold();
        let too_wide = |field: String, w: f64, max: f64, pt: f64| {
            Err((
                field,
                format!("is too long: {w:.1} mm wide at {pt} pt, at most {max:.1} mm fits"),
            ))
        };
        let name_max = COLS_MM[1] - 2.0 * CELL_PAD_MM;
        let pos_max = COLS_MM[2] - 2.0 * CELL_PAD_MM;
        let pos_lines_max = position_max_lines(row_height(self.subjects.len()));
        for (i, s) in self.subjects.iter().enumerate() {
            let w = regular.width_mm(&s.name, NAME_PT);
            if w > name_max {
                return too_wide(format!("subjects[{i}].name"), w, name_max, NAME_PT);
            }
            match regular.wrap(&s.position, POSITION_PT, pos_max) {
                Some(lines) if lines.len() <= pos_lines_max => {}
                _ => {
                    return Err((
                        format!("subjects[{i}].position"),
                        format!(
                            "is too long: it must fit in {pos_lines_max} line(s) of {pos_max:.1} mm at {POSITION_PT} pt"
                        ),
                    ));
                }
            }
        }
        for (i, l) in self.levels.iter().enumerate() {
            match bold.wrap(l, HEADER_PT, COLS_MM[3 + i] - CELL_PAD_MM) {
                Some(lines) if lines.len() <= LEVEL_MAX_LINES => {}
                _ => {
                    return Err((
                        format!("levels[{i}]"),
                        format!(
                            "is too long for its column ({} mm, two lines)",
                            COLS_MM[3 + i]
                        ),
                    ));
                }
            }
        }
        for (i, l) in self.organization.iter().enumerate() {
            let w = bold.width_mm(l, ORGANIZATION_PT);
            if w > ORGANIZATION_MAX_MM {
                return too_wide(
                    format!("organization[{i}]"),
                    w,
                    ORGANIZATION_MAX_MM,
                    ORGANIZATION_PT,
                );
            }
        }
        if self.organization.len() > ORGANIZATION_MAX_LINES {
            return Err(("organization".into(), "has more than 4 lines".into()));
        }
        if self.subtitle.len() > SUBTITLE_MAX_LINES {
            return Err(("subtitle".into(), "has more than 2 lines".into()));
        }
        for (i, l) in self.subtitle.iter().enumerate() {
            let w = regular.width_mm(l, SUBTITLE_PT);
            if w > TITLE_MAX_MM {
                return too_wide(format!("subtitle[{i}]"), w, TITLE_MAX_MM, SUBTITLE_PT);
            }
        }
        let w = bold.width_mm(&self.title, TITLE_PT);
        if w > TITLE_MAX_MM {
            return too_wide("title".into(), w, TITLE_MAX_MM, TITLE_PT);
        }
        Ok(())
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

    /// Every printed text with the name of its field.
    fn texts(&self) -> Vec<(String, String)> {
        let mut out = vec![("title".to_string(), self.title.clone())];
        out.push(("place".into(), self.place.clone()));
        for (i, l) in self.organization.iter().enumerate() {
            out.push((format!("organization[{i}]"), l.clone()));
        }
        for (i, l) in self.subtitle.iter().enumerate() {
            out.push((format!("subtitle[{i}]"), l.clone()));
        }
        for (i, l) in self.levels.iter().enumerate() {
            out.push((format!("levels[{i}]"), l.clone()));
        }
        for (i, s) in self.subjects.iter().enumerate() {
            out.push((format!("subjects[{i}].name"), s.name.clone()));
            out.push((format!("subjects[{i}].position"), s.position.clone()));
        }
        if let Some(t) = &self.stamp.text {
            out.push(("stamp.text".into(), t.clone()));
        }
        if let Some(t) = &self.document_number {
            out.push(("document_number".into(), t.clone()));
        }
        if let Some(t) = &self.room {
            out.push(("room".into(), t.clone()));
        }
        out
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

/// How a text prints, for comparing two texts: NFC, spaces collapsed, look-alike letters as
/// their Latin twin, lower case.
pub fn skeleton(text: &str) -> String {
    let words: Vec<String> = text.split_whitespace().map(|w| w.nfc().collect()).collect();
    words
        .join(" ")
        .chars()
        .map(|c| latin_twin(c).unwrap_or(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The Latin letter a Cyrillic or Greek letter is drawn like, if it is drawn like one.
fn latin_twin(c: char) -> Option<char> {
    const PAIRS: &[(char, char)] = &[
        // Cyrillic.
        ('А', 'A'),
        ('В', 'B'),
        ('Е', 'E'),
        ('К', 'K'),
        ('М', 'M'),
        ('Н', 'H'),
        ('О', 'O'),
        ('Р', 'P'),
        ('С', 'C'),
        ('Т', 'T'),
        ('Х', 'X'),
        ('У', 'Y'),
        ('І', 'I'),
        ('Ј', 'J'),
        ('Ѕ', 'S'),
        ('а', 'a'),
        ('е', 'e'),
        ('о', 'o'),
        ('р', 'p'),
        ('с', 'c'),
        ('у', 'y'),
        ('х', 'x'),
        ('і', 'i'),
        ('ј', 'j'),
        ('ѕ', 's'),
        ('һ', 'h'),
        ('ԁ', 'd'),
        ('ԛ', 'q'),
        ('ԝ', 'w'),
        // Greek.
        ('Α', 'A'),
        ('Β', 'B'),
        ('Ε', 'E'),
        ('Ζ', 'Z'),
        ('Η', 'H'),
        ('Ι', 'I'),
        ('Κ', 'K'),
        ('Μ', 'M'),
        ('Ν', 'N'),
        ('Ο', 'O'),
        ('Ρ', 'P'),
        ('Τ', 'T'),
        ('Υ', 'Y'),
        ('Χ', 'X'),
        ('ο', 'o'),
        ('ν', 'v'),
        ('ι', 'i'),
        ('κ', 'k'),
        ('ρ', 'p'),
        ('υ', 'u'),
    ];
    PAIRS.iter().find(|(from, _)| *from == c).map(|&(_, to)| to)
}

/// A letter of the Latin script (Vietnamese letters included).
fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (c.is_alphabetic() && matches!(c as u32, 0x00C0..=0x024F | 0x1E00..=0x1EFF))
}

/// A Cyrillic or Greek letter that a reader would take for a Latin one.
fn is_lookalike(c: char) -> bool {
    latin_twin(c).is_some()
}

/// A character of a right-to-left script, or a control that turns text right to left.
fn is_right_to_left(c: char) -> bool {
    use unicode_bidi::BidiClass::{AL, R, RLE, RLI, RLO};
    matches!(unicode_bidi::bidi_class(c), R | AL | RLE | RLO | RLI) || c == '\u{200F}'
}

fn valid_date(s: &str) -> bool {
    parse_date(s).is_some()
}
