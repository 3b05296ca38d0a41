//! Pictures of what the scanner read: the page with every box outlined in its verdict's colour,
//! its score beside it, and the sheet's outcome and reason across the top. For people checking a
//! scan (`scan --annotate`) and reviewing a sheet (`review show`).

use ab_glyph::PxScale;
use image::{GrayImage, Rgb, RgbImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_line_segment_mut, draw_text_mut};

use crate::font::BallotFont;
use crate::interpret::PageReading;
use crate::interpret::geometry::sample;
use crate::layout::{BallotLayout, PointMm, RectMm};
use crate::record::{RowVerdict, SheetRecord};

const GREEN: Rgb<u8> = Rgb([0, 150, 60]);
const GREY: Rgb<u8> = Rgb([150, 150, 150]);
const ORANGE: Rgb<u8> = Rgb([240, 140, 0]);
const RED: Rgb<u8> = Rgb([210, 30, 30]);
const BLUE: Rgb<u8> = Rgb([40, 90, 220]);
const PURPLE: Rgb<u8> = Rgb([150, 40, 170]);

/// Width of the picture in pixels (about 100 dpi for an A4 page).
const PICTURE_WIDTH: u32 = 900;

/// Draws the reading over the page. `highlight` lists rows (1-based) to mark for a person.
pub fn annotate(
    img: &GrayImage,
    reading: &PageReading,
    rec: &SheetRecord,
    layout: &BallotLayout,
    highlight: &[usize],
) -> RgbImage {
    // A registered page is drawn upright and deskewed, straight from the layout (every label then
    // reads left to right, whatever way the sheet went through the scanner); an unregistered one
    // as it was scanned.
    let banner = 60u32;
    let picture: GrayImage = match &reading.registration {
        Ok(reg) => {
            let k = PICTURE_WIDTH as f64 / layout.page.width_mm;
            let h = (layout.page.height_mm * k).round() as u32;
            GrayImage::from_fn(PICTURE_WIDTH, h, |x, y| {
                // 2×2 samples a pixel, so that thin print does not flicker in and out.
                let mut v = 0.0;
                for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                    let p = PointMm {
                        x: (x as f64 + dx) / k,
                        y: (y as f64 + dy) / k,
                    };
                    v += sample(img, reg.transform.map(p));
                }
                image::Luma([(v / 4.0).round().clamp(0.0, 255.0) as u8])
            })
        }
        Err(_) => {
            let s = PICTURE_WIDTH as f64 / img.width() as f64;
            image::imageops::resize(
                img,
                PICTURE_WIDTH,
                ((img.height() as f64 * s).round() as u32).max(1),
                image::imageops::FilterType::Triangle,
            )
        }
    };
    let mut out = RgbImage::from_pixel(
        picture.width(),
        picture.height() + banner,
        Rgb([255, 255, 255]),
    );
    for (x, y, p) in picture.enumerate_pixels() {
        let v = p.0[0];
        out.put_pixel(x, y + banner, Rgb([v, v, v]));
    }
    let font = BallotFont::bold();
    let face = font.face();
    let headline = match rec.reason {
        Some(r) => format!("{} — {}", rec.outcome.as_str(), r.as_str()),
        None => rec.outcome.as_str().to_string(),
    };
    let colour = match rec.outcome {
        crate::record::Outcome::Counted => GREEN,
        crate::record::Outcome::Review => ORANGE,
        _ => RED,
    };
    draw_text_mut(
        &mut out,
        colour,
        10,
        6,
        PxScale::from(24.0),
        face,
        &headline,
    );
    let mut second = format!("{} p.{}", rec.file, rec.page);
    if let Some(serial) = &rec.serial {
        second = format!("serial {} · {second}", serial_as_printed(serial));
    }
    if let Some(d) = &rec.detail {
        second = format!("{second} · {d}");
    }
    draw_text_mut(
        &mut out,
        Rgb([60, 60, 60]),
        10,
        34,
        PxScale::from(16.0),
        face,
        &second,
    );

    if reading.registration.is_err() {
        return out;
    }
    let k = PICTURE_WIDTH as f64 / layout.page.width_mm;
    let to_px = |p: PointMm| ((p.x * k) as f32, (p.y * k) as f32 + banner as f32);
    let outline = |out: &mut RgbImage, r: &RectMm, c: Rgb<u8>, thick: i32| {
        let corners = r.corners().map(to_px);
        for k in 0..4 {
            let (a, b) = (corners[k], corners[(k + 1) % 4]);
            for t in -thick..=thick {
                let o = t as f32 * 0.7;
                draw_line_segment_mut(out, (a.0 + o, a.1 + o), (b.0 + o, b.1 + o), c);
            }
        }
    };
    for f in &layout.fiducials {
        outline(&mut out, f, BLUE, 1);
    }
    outline(&mut out, &layout.qr, BLUE, 1);
    outline(
        &mut out,
        &layout.stamp,
        if rec.reason == Some(crate::record::Reason::MissingStamp) {
            RED
        } else {
            BLUE
        },
        1,
    );
    for (row, reading_row) in layout.rows.iter().zip(&rec.rows) {
        let verdict_colour = match reading_row.verdict {
            RowVerdict::Valid => GREEN,
            RowVerdict::NoMark => GREY,
            RowVerdict::MultipleMarks => RED,
            RowVerdict::CrossedOut => PURPLE,
            RowVerdict::Ambiguous => ORANGE,
        };
        for (k, b) in row.boxes.iter().enumerate() {
            let c = match reading_row.verdict {
                RowVerdict::Valid if reading_row.choice == Some(k) => GREEN,
                RowVerdict::Valid => GREY,
                _ => verdict_colour,
            };
            outline(&mut out, b, c, 1);
            let (x, y) = to_px(PointMm {
                x: b.x_mm,
                y: b.bottom() + 0.6,
            });
            draw_text_mut(
                &mut out,
                c,
                x as i32,
                y as i32,
                PxScale::from(13.0),
                face,
                &format!("{:.3}", reading_row.scores[k]),
            );
            if let Some(trace) = trace_label(reading_row, k) {
                draw_text_mut(
                    &mut out,
                    c,
                    x as i32,
                    y as i32 + 14,
                    PxScale::from(13.0),
                    face,
                    &trace,
                );
            }
        }
        if reading_row.verdict == RowVerdict::CrossedOut
            || reading_row.strike >= crate::interpret::marks::STRIKE_MARGINAL
        {
            outline(&mut out, &row.name_rect, PURPLE, 1);
        }
        let (x, y) = to_px(PointMm {
            x: row.name_rect.x_mm,
            y: row.name_rect.bottom() + 0.4,
        });
        draw_text_mut(
            &mut out,
            verdict_colour,
            x as i32,
            y as i32,
            PxScale::from(12.0),
            face,
            &format!(
                "{} · strike {:.2}",
                reading_row.verdict.as_str(),
                reading_row.strike
            ),
        );
        if highlight.contains(&row.subject) {
            let left = RectMm::new(
                layout.table.x_mm - 4.0,
                row.boxes[0].y_mm,
                2.5,
                row.boxes[0].h_mm,
            );
            let (a, b) = (
                to_px(PointMm {
                    x: left.x_mm,
                    y: left.y_mm,
                }),
                to_px(PointMm {
                    x: left.right(),
                    y: left.bottom(),
                }),
            );
            let (x0, y0) = (a.0.min(b.0) as i32, a.1.min(b.1) as i32);
            let (w, h) = (
                (a.0 - b.0).abs().max(2.0) as u32,
                (a.1 - b.1).abs().max(2.0) as u32,
            );
            draw_filled_rect_mut(
                &mut out,
                imageproc::rect::Rect::at(x0, y0).of_size(w, h),
                ORANGE,
            );
        }
    }
    out
}

/// In a doubtful row, a box's trace when it is long enough to count: a light stroke can put a
/// box in doubt with a score near 0, and the reviewer should see why.
fn trace_label(row: &crate::record::RowReading, k: usize) -> Option<String> {
    (row.verdict == RowVerdict::Ambiguous && row.traces[k] >= crate::interpret::marks::TRACE_MM)
        .then(|| format!("trace {:.1} mm", row.traces[k]))
}

/// A recorded serial as the ballot prints it (`ABCDE-FGHJK-MNPQR`), so that a person compares it
/// with the paper; text that is not a serial is shown as it is.
pub fn serial_as_printed(serial: &str) -> String {
    crate::serial::Serial::parse(serial).map_or_else(|_| serial.to_string(), |s| s.grouped())
}
