//! The minutes of the count (Biên bản kiểm phiếu) as a PDF: three copies, handled as confidential.
//!
//! [`render_minutes`] lays the minutes out once, in millimetres from the top-left of an A4 page,
//! and stamps each page of each copy with "Bản số k/3", "MẬT" and its page number; a draft gets
//! "DỰ THẢO" across every page. Every figure is drawn as a plain text run, so a PDF text
//! extractor finds it.
//!
//! Final minutes are refused unless they are complete ([`missing_for_final`]): the meeting
//! facts, a committee with a chair and members, no sheet awaiting review, and figures that add
//! up. A draft can be made at any time.

use printpdf::{Color, Op, PdfDocument, PdfSaveOptions, Pt};

use crate::font::BallotFont;
use crate::form::Form;
use crate::layout::{PointMm, RectMm};
use crate::page::{Fonts, Page, black, rgb};
use crate::tally::{Flag, Tally, group_hex, percent, reason_label, vi_number, vi_percent};
use crate::units::{A4_H_MM, A4_W_MM, mm_from_pt};

mod body;
mod signatures;
mod table;
mod writer;

use body::*;
use signatures::*;
use table::*;
use writer::*;

/// What the minutes are made from.
pub struct MinutesInput<'a> {
    pub form: &'a Form,
    pub tally: &'a Tally,
    /// The counting committee: `(name, role)`, e.g. `("Nguyễn Văn X", "Trưởng ban")`. Empty gives
    /// blank signature blocks to fill in by hand.
    pub committee: Vec<(String, String)>,
    /// Make a draft: allowed before the tally is final, marked "DỰ THẢO" on every page.
    pub draft: bool,
    /// When the minutes were made, as it should be printed (e.g. "10/07/2023 11:42").
    pub generated_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MinutesError {
    #[error("the tally is not final: {pending} sheet(s) await review")]
    NotFinal { pending: u64 },
    #[error("the minutes cannot be final: {}", missing.join("; "))]
    Incomplete { missing: Vec<String> },
    #[error("the tally is of vote {tally:?} but the form is of vote {form:?}")]
    WrongVote { form: String, tally: String },
    #[error("{field} has {ch:?} (U+{code:04X}), which the font cannot draw")]
    MissingGlyph { field: String, ch: char, code: u32 },
}

impl MinutesError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            MinutesError::NotFinal { .. } => Some(
                "decide the pending sheets with `kiemphieu review`, or make a draft (DỰ THẢO) meanwhile",
            ),
            MinutesError::Incomplete { .. } => Some(
                "record what is missing (`kiemphieu meeting VOTE --convened N --present N --chair NAME --member NAME`, `kiemphieu review`), or make a draft with --draft",
            ),
            MinutesError::WrongVote { .. } => None,
            MinutesError::MissingGlyph { .. } => {
                Some("write the name with Vietnamese or Latin letters")
            }
        }
    }
}

/// The text of a PDF's pages, as printpdf extracts it (for checking what the minutes say).
pub fn extract_text(pdf: &[u8]) -> Result<String, String> {
    let mut warnings = Vec::new();
    let doc =
        printpdf::PdfDocument::parse(pdf, &printpdf::PdfParseOptions::default(), &mut warnings)?;
    Ok(doc
        .extract_text()
        .into_iter()
        .map(|chunks| chunks.join("\n"))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Copies of the minutes (Regulation 96: 2 to the direct superior, 1 kept).
pub const COPIES: usize = 3;

const PAGE_W: f64 = A4_W_MM;
const PAGE_H: f64 = A4_H_MM;
const LEFT: f64 = 20.0;
const RIGHT: f64 = 195.0;
const WIDTH: f64 = RIGHT - LEFT;
/// Content runs from TOP to BOTTOM; above and below are the copy marks and the footer.
const TOP: f64 = 21.0;
const BOTTOM: f64 = 279.0;
const BODY_PT: f64 = 10.5;
/// Room left in a table cell beyond its text, against rounding.
const SLACK: f64 = 0.3;

/// What final minutes still lack, each as a short sentence; empty when they can be final.
pub fn missing_for_final(input: &MinutesInput) -> Vec<String> {
    let t = input.tally;
    let mut missing = Vec::new();
    if t.quorum.convened.is_none() || t.quorum.present.is_none() {
        missing.push("the meeting facts (convened, present) are not recorded".to_string());
    }
    let named = |role: &str| {
        input
            .committee
            .iter()
            .filter(|(n, r)| r.trim().eq_ignore_ascii_case(role) && !n.trim().is_empty())
            .count()
    };
    if named(crate::meeting::CHAIR) == 0 {
        missing.push("no chair of the counting committee is recorded".to_string());
    }
    if named(crate::meeting::MEMBER) == 0 {
        missing.push("no member of the counting committee is recorded".to_string());
    }
    if input
        .committee
        .iter()
        .any(|(n, r)| n.trim().is_empty() || r.trim().is_empty())
    {
        missing.push("a committee member has an empty name or role".to_string());
    }
    if t.pending_review > 0 {
        missing.push(format!("{} sheet(s) await review", t.pending_review));
    }
    for i in &t.imbalances {
        missing.push(i.en());
    }
    missing
}

/// Renders the three copies into one PDF.
pub fn render_minutes(input: &MinutesInput) -> Result<Vec<u8>, MinutesError> {
    let tally = input.tally;
    if !input.draft {
        let missing = missing_for_final(input);
        if missing.len() == 1 && tally.pending_review > 0 {
            return Err(MinutesError::NotFinal {
                pending: tally.pending_review,
            });
        }
        if !missing.is_empty() {
            return Err(MinutesError::Incomplete { missing });
        }
    }
    if tally.vote != input.form.id {
        return Err(MinutesError::WrongVote {
            form: input.form.id.clone(),
            tally: tally.vote.clone(),
        });
    }
    check_glyphs(input)?;

    let mut doc = PdfDocument::new("Biên bản kiểm phiếu");
    let fonts = Fonts::load(&mut doc);

    let body = lay_out(input, &fonts);
    let n = body.len();
    let mut pages = Vec::with_capacity(COPIES * n);
    for copy in 1..=COPIES {
        for (i, content) in body.iter().enumerate() {
            let mut w = Writer::new(&fonts);
            if input.draft {
                w.draft_watermark();
            }
            w.page.extend(content);
            w.page_marks(copy, i + 1, n, &input.form.id, input.draft);
            pages.push(w.page.into_pdf_page());
        }
    }
    let options = PdfSaveOptions {
        subset_fonts: true,
        ..Default::default()
    };
    let mut warnings = Vec::new();
    Ok(doc.with_pages(pages).save(&options, &mut warnings))
}

fn check_glyphs(input: &MinutesInput) -> Result<(), MinutesError> {
    let regular = BallotFont::regular();
    let mut texts = vec![("generated_at".to_string(), input.generated_at.as_str())];
    for (i, (name, role)) in input.committee.iter().enumerate() {
        texts.push((format!("committee[{i}].name"), name));
        texts.push((format!("committee[{i}].role"), role));
    }
    for (field, text) in texts {
        if let Some(ch) = regular.first_missing_char(text) {
            return Err(MinutesError::MissingGlyph {
                field,
                ch,
                code: ch as u32,
            });
        }
    }
    Ok(())
}

/// A UTC time `YYYY-MM-DDTHH:MM:SSZ` (as the store writes it) in the vote's time, as the
/// minutes print it: `"10/07/2023 18:42 (UTC+07:00)"`. Text that is not such a time is returned
/// as it is.
pub fn local_time(utc: &str, offset_minutes: i32) -> String {
    match crate::date::parse_utc_minutes(utc) {
        Some(m) => crate::date::local_text(m, offset_minutes),
        None => utc.to_string(),
    }
}

/// The Vietnamese words for why a page could not be read.
fn unreadable_vi(reason: &str) -> &'static str {
    match reason {
        "not_an_image" => "không phải tệp ảnh",
        "image_too_large" => "ảnh quá lớn",
        "read_failed" => "không đọc được tệp (hỏng hoặc bị cắt)",
        "no_scanned_image" => "trang PDF không chứa ảnh quét",
        _ => "không đọc được",
    }
}

/// `HH:MM` as the minutes write it: "14 giờ 05 phút".
fn clock_vi(hhmm: &str) -> String {
    match hhmm.split_once(':') {
        Some((h, m)) => format!("{} giờ {m} phút", h.trim_start_matches('0').max("0")),
        None => hhmm.to_string(),
    }
}

/// The date as Vietnamese documents write it: "ngày 05 tháng 02 năm 2024" (days under 10 and
/// months 1 and 2 take a leading zero), "ngày 10 tháng 7 năm 2023".
pub fn vietnamese_date((y, m, d): (i32, u32, u32)) -> String {
    let day = if d < 10 {
        format!("0{d}")
    } else {
        d.to_string()
    };
    let month = if m < 3 {
        format!("0{m}")
    } else {
        m.to_string()
    };
    format!("ngày {day} tháng {month} năm {y}")
}
