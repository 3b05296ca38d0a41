//! Reading the ballot's QR code: first by sampling its modules where the registration puts them,
//! then by searching for it near that place, then anywhere on the page.

use image::GrayImage;

use super::geometry::{PageToImage, sample};
use super::register::shrink;
use crate::layout::{PointMm, QrPlacement};

/// Decodes the QR code near the layout's QR rectangle; falls back to the whole page.
/// Returns the payload text, or why nothing could be read.
pub fn read_qr(
    img: &GrayImage,
    transform: Option<&PageToImage>,
    place: &QrPlacement,
) -> Result<String, String> {
    let qr = &place.rect;
    if let Some(t) = transform {
        if let Some(text) = read_in_place(img, t, place) {
            return Ok(text);
        }
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

/// Largest QR version tried in place (57 modules): far beyond any ballot payload.
const MAX_VERSION_IN_PLACE: usize = 10;

/// Reads the code without searching for it: the layout says where the ballot prints its modules,
/// so each module's centre is known through the registration's transform. Each module is the mean of
/// nine samples across its middle, split into dark and light at the midpoint of the code's own
/// light and dark levels. The module count is not known here: a count whose timing patterns do
/// not alternate is passed over cheaply, and a wrong count that slips through fails the format
/// and Reed–Solomon checks. `None` sends the caller to the detector (a code printed elsewhere,
/// or a registration too loose for the modules).
fn read_in_place(img: &GrayImage, t: &PageToImage, place: &QrPlacement) -> Option<String> {
    const ACROSS: [f64; 3] = [0.3, 0.5, 0.7];
    for version in 1..=MAX_VERSION_IN_PLACE {
        let n = 17 + 4 * version;
        let (origin, pitch) = place.grid(n);
        if pitch * t.px_per_mm(place.rect.center()) < 2.0 {
            break; // under two pixels a module: leave it to the detector
        }
        if !timing_alternates(img, t, place, n) {
            continue;
        }
        let mut levels = Vec::with_capacity(n * n);
        for y in 0..n {
            for x in 0..n {
                let mut sum = 0.0;
                for v in ACROSS {
                    for u in ACROSS {
                        let p = PointMm {
                            x: origin.x + (x as f64 + u) * pitch,
                            y: origin.y + (y as f64 + v) * pitch,
                        };
                        sum += sample(img, t.map(p));
                    }
                }
                levels.push(sum / 9.0);
            }
        }
        let mut sorted = levels.clone();
        sorted.sort_by(f64::total_cmp);
        let (light, dark) = (sorted[sorted.len() * 9 / 10], sorted[sorted.len() / 10]);
        if light - dark < 40.0 {
            return None; // no code there at all
        }
        let cut = (light + dark) / 2.0;
        let grid = rqrr::SimpleGrid::from_func(n, |x, y| levels[y * n + x] < cut);
        if let Ok((_, text)) = rqrr::Grid::new(grid).decode() {
            return Some(text);
        }
    }
    None
}

/// Whether, read as an `n`-module code, the two timing patterns (row and column 6, between the
/// finder patterns) alternate dark and light, starting dark.
fn timing_alternates(img: &GrayImage, t: &PageToImage, place: &QrPlacement, n: usize) -> bool {
    let (origin, pitch) = place.grid(n);
    let at = |x: usize, y: usize| {
        sample(
            img,
            t.map(PointMm {
                x: origin.x + (x as f64 + 0.5) * pitch,
                y: origin.y + (y as f64 + 0.5) * pitch,
            }),
        )
    };
    let along: Vec<(usize, f64)> = (8..n - 8)
        .flat_map(|k| [(k, at(k, 6)), (k, at(6, k))])
        .collect();
    let cut = along.iter().map(|(_, v)| v).sum::<f64>() / along.len() as f64;
    along.iter().all(|&(k, v)| (v < cut) == (k % 2 == 0))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpret::geometry::PointPx;
    use crate::layout::RectMm;

    /// A white page at `px_per_mm`, turned by `angle` radians, with `payload` printed as the
    /// ballot prints it: the code filling `rect` exactly. Returns the page and the true transform.
    fn page_with_code(
        payload: &str,
        rect: &RectMm,
        px_per_mm: f64,
        angle: f64,
    ) -> (GrayImage, PageToImage) {
        let code =
            qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
                .unwrap();
        let n = code.width();
        let colors = code.to_colors();
        let (c, s) = (angle.cos(), angle.sin());
        let (ox, oy) = (10.0 * px_per_mm, 45.0 * px_per_mm);
        let to_px = |p: PointMm| PointPx {
            x: ox + px_per_mm * (c * p.x - s * p.y),
            y: oy + px_per_mm * (s * p.x + c * p.y),
        };
        let img = GrayImage::from_fn(
            (230.0 * px_per_mm) as u32,
            (120.0 * px_per_mm) as u32,
            |x, y| {
                // Back from pixel to page millimetres (the inverse rotation).
                let (dx, dy) = (
                    (x as f64 + 0.5 - ox) / px_per_mm,
                    (y as f64 + 0.5 - oy) / px_per_mm,
                );
                let (mx, my) = (c * dx + s * dy, -s * dx + c * dy);
                let (i, j) = (
                    (mx - rect.x_mm) / rect.w_mm * n as f64,
                    (my - rect.y_mm) / rect.h_mm * n as f64,
                );
                let dark = i >= 0.0
                    && j >= 0.0
                    && (i as usize) < n
                    && (j as usize) < n
                    && colors[j as usize * n + i as usize] == qrcode::Color::Dark;
                image::Luma([if dark { 30 } else { 235 }])
            },
        );
        let pairs: Vec<(PointMm, PointPx)> = [(0.0, 0.0), (200.0, 0.0), (0.0, 60.0), (200.0, 60.0)]
            .map(|(x, y)| PointMm { x, y })
            .iter()
            .map(|&p| (p, to_px(p)))
            .collect();
        (img, PageToImage::fit(&pairs).unwrap())
    }

    /// A code whose modules fill `rect`, as every ballot prints it.
    fn placed(rect: RectMm) -> QrPlacement {
        QrPlacement {
            rect,
            quiet_modules: 0,
        }
    }

    #[test]
    fn a_code_where_the_layout_puts_it_is_read_in_place() {
        let rect = RectMm::new(160.0, 16.0, 26.0, 26.0);
        // Versions 2 and 4: the module count is found, not assumed.
        for payload in [
            "KP1:TN-2026:ABCDE-FGHJK-MNPQR",
            "KP1:HOI-DONG-KHOA-HOC-2026-LAN-THU-HAI:ABCDE-FGHJK-MNPQR",
        ] {
            for (ppm, angle) in [(11.81, 0.0), (5.9, 0.05), (11.81, -0.17), (23.6, 0.1)] {
                let (img, t) = page_with_code(payload, &rect, ppm, angle);
                assert_eq!(
                    read_in_place(&img, &t, &placed(rect)).as_deref(),
                    Some(payload),
                    "{ppm} px/mm, {angle} rad"
                );
            }
        }
    }

    #[test]
    fn a_code_elsewhere_is_not_read_in_place_but_is_still_found() {
        let rect = RectMm::new(160.0, 16.0, 26.0, 26.0);
        let payload = "KP1:TN-2026:ABCDE-FGHJK-MNPQR";
        let (img, t) = page_with_code(payload, &RectMm::new(150.0, 20.0, 26.0, 26.0), 11.81, 0.02);
        assert_eq!(read_in_place(&img, &t, &placed(rect)), None);
        assert_eq!(
            read_qr(&img, Some(&t), &placed(rect)).as_deref(),
            Ok(payload)
        );
        let blank = GrayImage::from_pixel(img.width(), img.height(), image::Luma([235]));
        assert_eq!(read_in_place(&blank, &t, &placed(rect)), None);
        assert!(read_qr(&blank, Some(&t), &placed(rect)).is_err());
    }
}
