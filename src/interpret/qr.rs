//! Reading the ballot's QR code, first where the layout predicts it, then anywhere on the page.

use image::GrayImage;

use super::geometry::PageToImage;
use super::register::shrink;
use crate::layout::{PointMm, RectMm};

/// Decodes the QR code near the layout's QR rectangle; falls back to the whole page.
/// Returns the payload text, or why nothing could be read.
pub fn read_qr(
    img: &GrayImage,
    transform: Option<&PageToImage>,
    qr: &RectMm,
) -> Result<String, String> {
    if let Some(t) = transform {
        // The axis-aligned box around the predicted code, with its quiet zone and some slack.
        let margin = 6.0;
        let corners = [
            (qr.x_mm - margin, qr.y_mm - margin),
            (qr.right() + margin, qr.y_mm - margin),
            (qr.x_mm - margin, qr.bottom() + margin),
            (qr.right() + margin, qr.bottom() + margin),
        ]
        .map(|(x, y)| t.map(PointMm { x, y }));
        let x0 = corners
            .iter()
            .map(|p| p.x)
            .fold(f64::MAX, f64::min)
            .max(0.0) as u32;
        let y0 = corners
            .iter()
            .map(|p| p.y)
            .fold(f64::MAX, f64::min)
            .max(0.0) as u32;
        let x1 = (corners.iter().map(|p| p.x).fold(f64::MIN, f64::max) as u32).min(img.width());
        let y1 = (corners.iter().map(|p| p.y).fold(f64::MIN, f64::max) as u32).min(img.height());
        if x1 > x0 + 20 && y1 > y0 + 20 {
            let crop = image::imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image();
            // About 5 to 10 pixels a millimetre (4.5 to 9 a module) is plenty for the detector and a quarter
            // of the work at 300 dpi; the full resolution is tried when that is not enough.
            let f = (t.px_per_mm(qr.center()) / 5.0).floor() as u32;
            if f >= 2
                && let Ok(text) = decode(shrink(&crop, f))
            {
                return Ok(text);
            }
            if let Ok(text) = decode(crop) {
                return Ok(text);
            }
        }
    }
    decode(img.clone())
}

fn decode(img: GrayImage) -> Result<String, String> {
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err("no QR code found".into());
    }
    let mut last_err = String::new();
    for g in grids {
        match g.decode() {
            Ok((_, text)) => return Ok(text),
            Err(e) => last_err = e.to_string(),
        }
    }
    Err(format!(
        "a QR code was found but could not be decoded ({last_err})"
    ))
}
