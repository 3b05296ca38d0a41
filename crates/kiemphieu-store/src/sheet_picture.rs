//! A recorded sheet as a person looks at it: its archived page read from disk, decoded,
//! registered again and drawn upright with the recorded reading over it. `review show` and the hand-count sample
//! both look at sheets this way.

use std::path::PathBuf;

use image::{GrayImage, RgbImage};

use crate::form::{MarkThresholds, ReadingProfile};
use crate::interpret::Registration;
use crate::interpret::decode::decode_pages;
#[cfg(doc)]
use crate::interpret::interpret_page;
use crate::interpret::register::register;
use crate::interpret::streaks::{ScannerLines, find_scanner_lines};
use crate::layout::BallotLayout;
use crate::store::StoredSheet;
use crate::vote::Vote;

/// Why a sheet's picture cannot be made. `archive` is the path as recorded (relative to the
/// vote folder), `path` the file read.
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("sheet {sheet} has no archived image")]
    NoArchive { sheet: i64 },
    #[error("cannot read {}: {reason}", path.display())]
    Read {
        sheet: i64,
        archive: String,
        path: PathBuf,
        reason: String,
    },
    #[error("cannot decode {}: {reason}", path.display())]
    Decode {
        sheet: i64,
        archive: String,
        path: PathBuf,
        reason: String,
    },
    #[error("{} has no page {page}", path.display())]
    NoPage {
        sheet: i64,
        archive: String,
        path: PathBuf,
        page: u32,
    },
}

impl PictureError {
    /// (sheet, archived file, reason): for a message about a sheet among others.
    pub fn parts(&self) -> (i64, &str, String) {
        match self {
            PictureError::NoArchive { sheet } => (*sheet, "", "no archived image".into()),
            PictureError::Read {
                sheet,
                archive,
                reason,
                ..
            }
            | PictureError::Decode {
                sheet,
                archive,
                reason,
                ..
            } => (*sheet, archive, reason.clone()),
            PictureError::NoPage { sheet, archive, .. } => (*sheet, archive, "page missing".into()),
        }
    }
}

/// The sheet's page, upright, with its reading drawn over it and the rows `highlight` marked.
pub fn sheet_picture(
    vote: &Vote,
    sheet: &StoredSheet,
    highlight: &[usize],
) -> Result<RgbImage, PictureError> {
    let img = archived_page(vote, sheet)?;
    let reg = registration(&img, &vote.layout, &vote.form.marks).ok();
    Ok(crate::annotate::annotate_registered(
        &img,
        reg.as_ref(),
        &sheet.record,
        &vote.layout,
        highlight,
    ))
}

/// Where the layout lies in a scanned page, found as [`interpret_page`] finds it (with the
/// reading profile's scanner lines painted over first), without the rest of a reading (the QR
/// code, the marks, the stamp): all a picture of the page needs, since the record holds the
/// reading. `Err`: why the page could not be registered.
pub fn registration(
    img: &GrayImage,
    layout: &BallotLayout,
    marks: &MarkThresholds,
) -> Result<Registration, String> {
    let lines = if marks.reading_profile() >= ReadingProfile::V2 {
        find_scanner_lines(img)
    } else {
        ScannerLines::none()
    };
    let painted;
    let img = if lines.any() {
        painted = lines.paint_over(img);
        &painted
    } else {
        img
    };
    register(img, layout).map_err(|e| e.0)
}

/// The sheet's page as scanned: its archived file read and decoded, the recorded page taken.
pub fn archived_page(vote: &Vote, sheet: &StoredSheet) -> Result<GrayImage, PictureError> {
    let rec = &sheet.record;
    let archive = sheet
        .archive
        .clone()
        .ok_or(PictureError::NoArchive { sheet: sheet.id })?;
    let path = vote.dir.join(&archive);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            return Err(PictureError::Read {
                sheet: sheet.id,
                archive,
                path,
                reason: e.to_string(),
            });
        }
    };
    let pages = match decode_pages(&bytes) {
        Ok(p) => p,
        Err(e) => {
            return Err(PictureError::Decode {
                sheet: sheet.id,
                archive,
                path,
                reason: e.detail,
            });
        }
    };
    match pages.into_iter().nth(rec.page as usize - 1) {
        Some(img) => Ok(img),
        None => Err(PictureError::NoPage {
            sheet: sheet.id,
            archive,
            path,
            page: rec.page,
        }),
    }
}
