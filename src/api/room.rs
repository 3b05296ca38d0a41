//! What the counting room in a browser shows beyond the commands: every sheet with what it
//! counts as now (filtered by outcome and reason), the rows of a sheet that are in question,
//! and the boxes of those rows magnified from the scanned page beside their raw scores.

use image::{GrayImage, RgbImage};

use crate::decision::Resolution;
use crate::interpret::geometry::sample;
use crate::layout::{PointMm, RectMm};
use crate::record::{Outcome, Reason, RowVerdict, StoredSheet};

use super::{ApiError, Vote};

/// One recorded sheet and what it counts as with the decision in force.
#[derive(Debug, Clone)]
pub struct SheetLine {
    pub sheet: StoredSheet,
    pub in_force: Resolution,
    /// The decision in force, with who made it (and confirmed it) and when (none: the
    /// machine's reading stands).
    pub decided: Option<crate::decision::Decision>,
}

/// Which sheets a list holds; `None` lets every value through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SheetFilter {
    pub outcome: Option<Outcome>,
    pub reason: Option<Reason>,
    /// Only the sheets still waiting for a person.
    pub pending: bool,
}

/// The recorded sheets that pass `filter`, in the order they were recorded.
pub fn sheet_lines(vote: &Vote, filter: SheetFilter) -> Result<Vec<SheetLine>, ApiError> {
    let decisions = crate::review::decisions(vote)?;
    let n = vote.layout.rows.len();
    Ok(vote
        .store
        .sheets()?
        .into_iter()
        .filter(|s| filter.outcome.is_none_or(|o| s.record.outcome == o))
        .filter(|s| filter.reason.is_none_or(|r| s.record.reason == Some(r)))
        .filter_map(|sheet| {
            let d = decisions.get(&sheet.id);
            let in_force = crate::decision::resolve(&sheet, d, n);
            if filter.pending && !matches!(in_force, Resolution::Pending(_)) {
                return None;
            }
            Some(SheetLine {
                decided: d.cloned(),
                sheet,
                in_force,
            })
        })
        .collect())
}

/// The rows (1-based subjects) a person is asked to read on a sheet waiting for review: those the
/// machine found ambiguous, or every row when the page could not be read row by row.
pub fn rows_in_question(sheet: &StoredSheet, subjects: usize) -> Vec<usize> {
    let rec = &sheet.record;
    if rec.outcome != Outcome::Review {
        return Vec::new();
    }
    if rec.rows.is_empty() {
        return (1..=subjects).collect();
    }
    rec.rows
        .iter()
        .filter(|r| r.verdict == RowVerdict::Ambiguous)
        .map(|r| r.subject)
        .collect()
}

/// The three boxes of one row, magnified from the scanned page, with their recorded scores.
#[derive(Debug, Clone)]
pub struct RowCloseup {
    pub subject: usize,
    /// The boxes side by side, in the order of the levels, each with a margin around it.
    pub picture: GrayImage,
    pub scores: [f64; 3],
}

/// A sheet's pictures for the review page.
#[derive(Debug, Clone)]
pub struct SheetImages {
    /// The page upright with its reading drawn over it, the rows in question marked.
    pub picture: RgbImage,
    /// The rows in question, magnified (none when the page could not be registered).
    pub closeups: Vec<RowCloseup>,
}

/// Pixels per millimetre of a close-up: about 300 dpi, the scan's own resolution.
const CLOSEUP_PX_PER_MM: f64 = 12.0;
/// Paper shown around each box, in millimetres (a mark spilling over the frame shows).
const CLOSEUP_MARGIN_MM: f64 = 2.0;
/// Grey gap between two boxes of a close-up, in pixels.
const CLOSEUP_GAP_PX: u32 = 10;

/// The sheet's picture and the close-ups of its rows in question, from one decoding of its
/// archived page.
pub fn sheet_images(vote: &Vote, sheet_id: i64) -> Result<SheetImages, ApiError> {
    let sheet = super::review::stored_sheet(vote, sheet_id)?;
    let img = crate::sheet_picture::archived_page(vote, &sheet)?;
    // Only where the page lies is found again: the reading drawn is the record's.
    let registration =
        crate::sheet_picture::registration(&img, &vote.layout, &vote.form.marks).ok();
    let rows = rows_in_question(&sheet, vote.layout.rows.len());
    let picture = crate::annotate::annotate_registered(
        &img,
        registration.as_ref(),
        &sheet.record,
        &vote.layout,
        &rows,
    );
    let mut closeups = Vec::new();
    if let Some(reg) = &registration {
        for &subject in &rows {
            let Some(row) = vote.layout.rows.get(subject - 1) else {
                continue;
            };
            let parts: Vec<GrayImage> = row
                .boxes
                .iter()
                .map(|b| magnify(&img, b, |p| reg.transform.map(p)))
                .collect();
            let scores = sheet
                .record
                .rows
                .iter()
                .find(|r| r.subject == subject)
                .map_or([0.0; 3], |r| r.scores);
            closeups.push(RowCloseup {
                subject,
                picture: side_by_side(&parts),
                scores,
            });
        }
    }
    Ok(SheetImages { picture, closeups })
}

/// One box and its margin, sampled from the page through the registration.
fn magnify(
    img: &GrayImage,
    rect: &RectMm,
    to_px: impl Fn(PointMm) -> crate::interpret::geometry::PointPx,
) -> GrayImage {
    let (x0, y0) = (rect.x_mm - CLOSEUP_MARGIN_MM, rect.y_mm - CLOSEUP_MARGIN_MM);
    let w = ((rect.w_mm + 2.0 * CLOSEUP_MARGIN_MM) * CLOSEUP_PX_PER_MM).round() as u32;
    let h = ((rect.h_mm + 2.0 * CLOSEUP_MARGIN_MM) * CLOSEUP_PX_PER_MM).round() as u32;
    GrayImage::from_fn(w.max(1), h.max(1), |x, y| {
        let p = PointMm {
            x: x0 + (x as f64 + 0.5) / CLOSEUP_PX_PER_MM,
            y: y0 + (y as f64 + 0.5) / CLOSEUP_PX_PER_MM,
        };
        image::Luma([sample(img, to_px(p)).round().clamp(0.0, 255.0) as u8])
    })
}

fn side_by_side(parts: &[GrayImage]) -> GrayImage {
    let h = parts.iter().map(GrayImage::height).max().unwrap_or(1);
    let w = parts.iter().map(GrayImage::width).sum::<u32>()
        + CLOSEUP_GAP_PX * parts.len().saturating_sub(1) as u32;
    let mut out = GrayImage::from_pixel(w.max(1), h, image::Luma([200]));
    let mut x = 0;
    for p in parts {
        image::imageops::replace(&mut out, p, x as i64, 0);
        x += p.width() + CLOSEUP_GAP_PX;
    }
    out
}
