//! Interpretation: what one scanned page says. Pure: an image and the layout in, a reading out,
//! no database and no files, so an auditor can call it on an archived image and get the same answer.
//!
//! The steps, each a function a test can call alone: [`register::register`] (find the marks,
//! orientation and transform) → [`qr::read_qr`] → [`marks::read_rows`] (raw scores per box and
//! crossing-out evidence per name, then a verdict per row) → [`marks::stamp_cover`].

pub mod blank;
pub mod crease;
pub mod geometry;
pub mod marks;
pub mod printed;
pub mod profile2;
pub mod qr;
pub mod register;
pub mod streaks;
pub mod strike;
pub mod strokes;

use image::GrayImage;

use crate::form::{MarkThresholds, ReadingProfile};
use crate::layout::BallotLayout;
use crate::record::RowReading;
pub use register::Registration;

/// Everything read from one page, before the registry is consulted.
#[derive(Debug, Clone)]
pub struct PageReading {
    /// The registration, or why the page could not be registered.
    pub registration: Result<Registration, String>,
    /// The QR payload, or why it could not be read.
    pub qr: Result<String, String>,
    /// Every row, in ballot order; empty when the page is not registered.
    pub rows: Vec<RowReading>,
    /// Share of the stamp zone carrying ink (None when not registered).
    pub stamp_cover: Option<f64>,
    /// No ballot is printed on the page (profile 2, and only for a page that did not register).
    pub blank: bool,
    /// Columns of the image under a line the scanner drew (profile 2).
    pub scanner_lines: Vec<(usize, usize)>,
}

/// Reads one scanned page with the thresholds' reading profile.
pub fn interpret_page(
    img: &GrayImage,
    layout: &BallotLayout,
    thresholds: &MarkThresholds,
) -> PageReading {
    let profile = thresholds.reading_profile();
    let lines = if profile >= ReadingProfile::V2 {
        streaks::find_scanner_lines(img)
    } else {
        streaks::ScannerLines::none()
    };
    // Profile 5 sees through the light lines to confirm that a box or a name under one is clear.
    let through = (profile >= ReadingProfile::V5)
        .then(|| lines.see_through(img))
        .flatten();
    // A streak through a registration mark or the QR code would spoil them: they are looked for
    // on the page with the lines painted over.
    let scanned = img;
    let painted;
    let img = if lines.any() {
        painted = lines.paint_over(img);
        &painted
    } else {
        img
    };
    match register::register(img, layout) {
        Ok(reg) => {
            let qr = qr::read_qr(img, Some(&reg.transform), &layout.qr_placement());
            let rows = marks::read_rows(img, &reg, layout, thresholds, &lines, through.as_ref());
            let rows = (profile >= ReadingProfile::V6)
                .then(|| {
                    read_through_darker_lines(scanned, img, &reg, layout, thresholds, &lines, &rows)
                })
                .flatten()
                .unwrap_or(rows);
            let stamp = marks::round_score(marks::stamp_cover(img, &reg, &layout.stamp));
            PageReading {
                registration: Ok(reg),
                qr,
                rows,
                stamp_cover: Some(stamp),
                blank: false,
                scanner_lines: lines.runs(),
            }
        }
        Err(e) => {
            let qr = qr::read_qr(img, None, &layout.qr_placement());
            let blank =
                profile >= ReadingProfile::V2 && qr.is_err() && blank::is_blank(img, &lines);
            PageReading {
                registration: Err(e.0),
                qr,
                rows: Vec::new(),
                stamp_cover: None,
                blank,
                scanner_lines: lines.runs(),
            }
        }
    }
}

/// Profile 6: once the voter's usual tone is known from the marks on the sheet, a line too dark
/// for the faintest pencil may still be light enough to show this voter's ink
/// ([`streaks::see_through_min_for`]); the rows are then read again through every such line.
/// `None` when there is no such line, or no tone to go by: the first reading stands.
fn read_through_darker_lines(
    scanned: &GrayImage,
    painted: &GrayImage,
    reg: &register::Registration,
    layout: &BallotLayout,
    thresholds: &MarkThresholds,
    lines: &streaks::ScannerLines,
    rows: &[RowReading],
) -> Option<Vec<RowReading>> {
    let hand = rows.iter().find_map(|r| r.hand_tone)?;
    let min_shade = streaks::see_through_min_for(hand, reg.paper, reg.ink);
    if min_shade >= streaks::SEE_THROUGH_MIN {
        return None;
    }
    // No line darker than the usual limit that this voter's ink shows through: nothing more to
    // see.
    if !lines.any_seen_only_down_to(scanned, min_shade) {
        return None;
    }
    let deeper = lines.see_through_down_to(scanned, min_shade)?;
    Some(marks::read_rows(
        painted,
        reg,
        layout,
        thresholds,
        lines,
        Some(&deeper),
    ))
}
