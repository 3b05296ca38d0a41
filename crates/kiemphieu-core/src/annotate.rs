//! Pictures of what the scanner read: the page with every box outlined in its verdict's colour,
//! its score beside it, and the sheet's outcome and reason across the top. For people checking a
//! scan (`scan --annotate`) and reviewing a sheet (`review show`).

use ab_glyph::PxScale;
use image::{GrayImage, Rgb, RgbImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_line_segment_mut, draw_text_mut};

use crate::font::BallotFont;
use crate::interpret::geometry::{PageToImage, PointPx, sample};
use crate::interpret::{PageReading, Registration};
use crate::layout::{BallotLayout, PageSize, PointMm, RectMm};
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
    annotate_registered(
        img,
        reading.registration.as_ref().ok(),
        rec,
        layout,
        highlight,
    )
}

/// Draws the record's reading over the page, given only where the page lies in the image (the
/// registration; none when the page could not be registered): what [`annotate`] draws, for a
/// caller that has no need of the rest of a reading.
pub fn annotate_registered(
    img: &GrayImage,
    registration: Option<&Registration>,
    rec: &SheetRecord,
    layout: &BallotLayout,
    highlight: &[usize],
) -> RgbImage {
    // A registered page is drawn upright and deskewed, straight from the layout (every label then
    // reads left to right, whatever way the sheet went through the scanner); an unregistered one
    // as it was scanned.
    let banner = 60u32;
    let picture: GrayImage = match registration {
        Some(reg) => upright(img, &reg.transform, &layout.page),
        None => {
            // Shrunk by whole pixels first (a box filter, one pass) to no less than the
            // picture's width, then resized: the resizing filter reads far fewer pixels.
            let f = (img.width() / PICTURE_WIDTH).max(1);
            let small = shrink_box(img, f);
            let s = PICTURE_WIDTH as f64 / small.width() as f64;
            image::imageops::resize(
                &small,
                PICTURE_WIDTH,
                ((small.height() as f64 * s).round() as u32).max(1),
                image::imageops::FilterType::Triangle,
            )
        }
    };
    let mut out = RgbImage::from_pixel(
        picture.width(),
        picture.height() + banner,
        Rgb([255, 255, 255]),
    );
    let below_banner = (banner * picture.width() * 3) as usize;
    for (rgb, &v) in out.as_mut()[below_banner..]
        .chunks_exact_mut(3)
        .zip(picture.as_raw())
    {
        rgb.copy_from_slice(&[v, v, v]);
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

    if registration.is_none() {
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

/// The page upright and deskewed, [`PICTURE_WIDTH`] pixels wide, straight from the layout: each
/// picture pixel is one sample of a copy of the scan shrunk by whole pixels (a box filter) to
/// no less than the picture's resolution, so that thin print does not flicker in and out while
/// every pixel of the scan is read once, in order, whichever way the page lies in it.
fn upright(img: &GrayImage, transform: &PageToImage, page: &PageSize) -> GrayImage {
    let k = PICTURE_WIDTH as f64 / page.width_mm;
    let h = (page.height_mm * k).round() as u32;
    let centre = PointMm {
        x: page.width_mm / 2.0,
        y: page.height_mm / 2.0,
    };
    let f = ((transform.px_per_mm(centre) / k).floor() as u32).clamp(1, 16);
    let small = shrink_box(img, f);
    // Where each picture pixel falls in the shrunk copy: the transform at every 16th pixel of a
    // row, linear in between (a page is so nearly flat that the error stays far below a pixel).
    let scale = f as f64;
    let at = |x: f64, y: f64| {
        let p = transform.map(PointMm { x: x / k, y: y / k });
        (p.x / scale - 0.5, p.y / scale - 0.5)
    };
    let (sw, sh) = (small.width() as i64, small.height() as i64);
    let raw = small.as_raw();
    let mut out = GrayImage::new(PICTURE_WIDTH, h);
    in_bands(&mut out, |first, band| {
        for (y, row) in band.chunks_exact_mut(PICTURE_WIDTH as usize).enumerate() {
            let my = (first + y) as f64 + 0.5;
            for (seg, pixels) in row.chunks_mut(SEGMENT).enumerate() {
                let x0 = (seg * SEGMENT) as f64 + 0.5;
                let (ax, ay) = at(x0, my);
                let (bx, by) = at(x0 + SEGMENT as f64, my);
                let (dx, dy) = ((bx - ax) / SEGMENT as f64, (by - ay) / SEGMENT as f64);
                for (i, px) in pixels.iter_mut().enumerate() {
                    let (x, y) = (ax + dx * i as f64, ay + dy * i as f64);
                    // Inside the scan (nearly always) truncation is the floor, and the libm call
                    // (`floor`, `round`) would cost more than the rest of the pixel.
                    let inside = x >= 0.0 && y >= 0.0;
                    let (xi, yi) = (x as i64, y as i64);
                    *px = if inside && xi + 1 < sw && yi + 1 < sh {
                        let (fx, fy) = (x - xi as f64, y - yi as f64);
                        let (j, s) = ((yi * sw + xi) as usize, sw as usize);
                        let (a, b) = (raw[j] as f64, raw[j + 1] as f64);
                        let (c, d) = (raw[j + s] as f64, raw[j + s + 1] as f64);
                        let top = a + (b - a) * fx;
                        let bottom = c + (d - c) * fx;
                        (top + (bottom - top) * fy + 0.5) as u8
                    } else {
                        // At the very edge of the scan (or off it): as the reading samples it.
                        sample(
                            &small,
                            PointPx {
                                x: x + 0.5,
                                y: y + 0.5,
                            },
                        )
                        .round()
                        .clamp(0.0, 255.0) as u8
                    };
                }
            }
        }
    });
    out
}

/// Picture pixels between two exact positions of the transform (see [`upright`]).
const SEGMENT: usize = 16;

/// Runs `f` on bands of whole rows of `img` (the first row's number, the band's pixels), one
/// thread a band, as many bands as the machine has cores (at most 4). Each pixel depends only on
/// its position: the picture is the same whatever the number of threads.
fn in_bands(img: &mut GrayImage, f: impl Fn(usize, &mut [u8]) + Sync) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let rows = h.div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|s| {
        for (i, band) in img.chunks_mut(rows * w.max(1)).enumerate() {
            s.spawn(move || f(i * rows, band));
        }
    });
}

/// The image shrunk by a whole factor `f`: each pixel the mean of an `f`×`f` block (fewer at the
/// right and bottom edges). A pixel's centre at `(i + 0.5)` is the block's centre at
/// `f·(i + 0.5)` in the image: coordinates divide by `f`.
fn shrink_box(img: &GrayImage, f: u32) -> GrayImage {
    if f <= 1 {
        return img.clone();
    }
    let (w, h) = img.dimensions();
    let (sw, sh) = (w.div_ceil(f), h.div_ceil(f));
    let mut out = GrayImage::new(sw, sh);
    let (fu, wu) = (f as usize, w as usize);
    let full = wu / fu;
    let raw = img.as_raw();
    in_bands(&mut out, |first, band| {
        let mut sums = vec![0u32; sw as usize];
        for (i, line) in band.chunks_exact_mut(sw as usize).enumerate() {
            let by = first + i;
            let rows = &raw[by * fu * wu..((by + 1) * fu * wu).min(raw.len())];
            sums.iter_mut().for_each(|s| *s = 0);
            for row in rows.chunks_exact(wu) {
                let blocks = row.chunks_exact(fu);
                let rest = blocks.remainder();
                for (s, block) in sums[..full].iter_mut().zip(blocks) {
                    *s += block.iter().map(|&v| v as u32).sum::<u32>();
                }
                if !rest.is_empty() {
                    sums[full] += rest.iter().map(|&v| v as u32).sum::<u32>();
                }
            }
            let n_rows = (rows.len() / wu) as u32;
            for (bx, (o, s)) in line.iter_mut().zip(&sums).enumerate() {
                let n = n_rows * (w - bx as u32 * f).min(f);
                *o = ((s + n / 2) / n) as u8;
            }
        }
    });
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_shrink_averages_whole_blocks_and_the_partial_ones_at_the_edges() {
        // 5×3 pixels, shrunk by 2: blocks of 2×2, then 1×2 at the right, 2×1 and 1×1 below.
        let img = GrayImage::from_fn(5, 3, |x, y| image::Luma([(10 * x + 100 * y) as u8]));
        let small = shrink_box(&img, 2);
        assert_eq!(small.dimensions(), (3, 2));
        let at = |x, y| small.get_pixel(x, y).0[0];
        assert_eq!(at(0, 0), 55); // (0 + 10 + 100 + 110) / 4
        assert_eq!(at(2, 0), 90); // (40 + 140) / 2
        assert_eq!(at(1, 1), 225); // (220 + 230) / 2
        assert_eq!(at(2, 1), 240);
        assert_eq!(shrink_box(&img, 1), img);
    }

    #[test]
    fn a_page_scanned_sideways_is_drawn_upright_with_its_print_in_place() {
        // An A4 page at 300 dpi, turned a quarter clockwise in the scan: page (x, y) mm lies at
        // pixel ((297 - y)·s, x·s). A black 10 mm square is printed at (20, 30) mm.
        let s = 300.0 / 25.4;
        let img = GrayImage::from_fn((297.0 * s) as u32, (210.0 * s) as u32, |px, py| {
            let (x, y) = (py as f64 / s, 297.0 - px as f64 / s);
            let ink = (20.0..30.0).contains(&x) && (30.0..40.0).contains(&y);
            image::Luma([if ink { 10 } else { 240 }])
        });
        let pairs: Vec<(PointMm, PointPx)> =
            [(0.0, 0.0), (210.0, 0.0), (0.0, 297.0), (210.0, 297.0)]
                .into_iter()
                .map(|(x, y)| {
                    (
                        PointMm { x, y },
                        PointPx {
                            x: (297.0 - y) * s,
                            y: x * s,
                        },
                    )
                })
                .collect();
        let transform = PageToImage::fit(&pairs).expect("a rectangle");
        let page = PageSize {
            width_mm: 210.0,
            height_mm: 297.0,
        };
        let pic = upright(&img, &transform, &page);
        let k = PICTURE_WIDTH as f64 / 210.0;
        assert_eq!(
            pic.dimensions(),
            (PICTURE_WIDTH, (297.0 * k).round() as u32)
        );
        let at = |x: f64, y: f64| pic.get_pixel((x * k) as u32, (y * k) as u32).0[0];
        assert!(at(25.0, 35.0) < 30, "the square: {}", at(25.0, 35.0));
        for (x, y) in [
            (25.0, 45.0),
            (35.0, 35.0),
            (25.0, 25.0),
            (15.0, 35.0),
            (180.0, 250.0),
        ] {
            assert!(at(x, y) > 220, "paper at ({x}, {y}): {}", at(x, y));
        }
        // The square's edges within half a millimetre of where the layout puts them.
        let row = |x: f64| at(x, 35.0) < 125;
        assert!(!row(19.5) && row(20.5) && row(29.5) && !row(30.5));
    }
}
