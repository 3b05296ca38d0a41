//! Registration: find the four marks, tell the page's orientation, fit layout millimetres to pixels.
//!
//! The marks are found on a coarse (~50 dpi) copy of the page as dark, compact, square blobs; the
//! four that sit at the corners of the page and form the right rectangle are taken, the one with
//! a hole tells which corner is bottom-right, and their centres are refined on the full image.
//! Nothing is resampled: the transform maps layout points to where the scanner put them.

use image::GrayImage;

use super::geometry::{PageToImage, PointPx, sample};
use crate::layout::{BallotLayout, PointMm, RectMm};
use crate::units::{inch_from_mm, px_per_mm};

/// A page whose layout has been found in the image.
#[derive(Debug, Clone, Copy)]
pub struct Registration {
    pub transform: PageToImage,
    /// How far the page is turned clockwise in the image: 0, 90, 180 or 270.
    pub orientation: u16,
    /// The paper's gray level and the printed ink's, measured on this sheet.
    pub paper: f64,
    pub ink: f64,
    /// Worst distance between a fitted and a measured mark centre, in millimetres.
    pub residual_mm: f64,
    /// Share of the printed box frames found where the layout puts them.
    pub frames_found: f64,
}

impl Registration {
    /// Darkness of a page point: 0 at the paper's level, 1 at the printed ink's.
    pub fn darkness(&self, img: &GrayImage, p: PointMm) -> f64 {
        let v = sample(img, self.transform.map(p));
        ((self.paper - v) / (self.paper - self.ink)).clamp(0.0, 1.0)
    }
}

/// A dark connected blob on the coarse image.
#[derive(Debug, Clone, Copy)]
struct Blob {
    cx: f64,
    cy: f64,
    area: f64,
    w: f64,
    h: f64,
    holed: bool,
}

/// Box-filters `img` down by an integer factor (the mean of each f×f block, rounded down).
/// Columns are summed first over a band of f rows, then in groups of f: both loops are plain
/// slice arithmetic the compiler vectorizes, which matters on an 8-megapixel page.
pub(super) fn shrink(img: &GrayImage, f: u32) -> GrayImage {
    let (w, h) = (img.width() / f, img.height() / f);
    let mut out = GrayImage::new(w.max(1), h.max(1));
    if w == 0 || h == 0 {
        return out;
    }
    let f = f as usize;
    let (w, stride) = (w as usize, img.width() as usize);
    let raw = img.as_raw();
    // A division per output pixel costs more than all the additions: look the quotient up.
    let area = f * f;
    let mean: Vec<u8> = (0..=area * 255).map(|s| (s / area) as u8).collect();
    // Sixteen bits hold a column of up to 257 pixels: narrower lanes, twice the work per
    // instruction. Pages are at most 15,000 pixels a side (decode's limit), so f stays under 30.
    debug_assert!(f <= 257, "shrink factor {f} too large");
    let mut column = vec![0u16; w * f];
    for (oy, out_row) in out.chunks_exact_mut(w).enumerate() {
        column.iter_mut().for_each(|c| *c = 0);
        for dy in 0..f {
            let row = &raw[(oy * f + dy) * stride..][..w * f];
            for (c, &v) in column.iter_mut().zip(row) {
                *c += v as u16;
            }
        }
        for (o, block) in out_row.iter_mut().zip(column.chunks_exact(f)) {
            *o = mean[block.iter().map(|&c| c as usize).sum::<usize>()];
        }
    }
    out
}

/// The image's grey-level histogram.
fn histogram(img: &GrayImage) -> [u64; 256] {
    // Four interleaved counts: a page is mostly one shade, and bumping one counter over and over
    // waits on the previous bump every time.
    let mut part = [[0u64; 256]; 4];
    let raw = img.as_raw();
    let mut quads = raw.chunks_exact(4);
    for q in &mut quads {
        for (k, &p) in q.iter().enumerate() {
            part[k][p as usize] += 1;
        }
    }
    for &p in quads.remainder() {
        part[0][p as usize] += 1;
    }
    std::array::from_fn(|v| part.iter().map(|h| h[v]).sum())
}

/// The gray level at a quantile of a histogram.
fn quantile(hist: &[u64; 256], q: f64) -> f64 {
    let total: u64 = hist.iter().sum();
    let target = (total as f64 * q) as u64;
    let mut seen = 0;
    for (v, n) in hist.iter().enumerate() {
        seen += n;
        if seen > target {
            return v as f64;
        }
    }
    255.0
}

/// Dark blobs of the coarse image that do not touch its edge.
fn blobs(small: &GrayImage, threshold: f64) -> Vec<Blob> {
    let (w, h) = (small.width() as usize, small.height() as usize);
    let dark: Vec<bool> = small
        .as_raw()
        .iter()
        .map(|&v| (v as f64) < threshold)
        .collect();
    let mut label = vec![u32::MAX; w * h];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..w * h {
        if !dark[start] || label[start] != u32::MAX {
            continue;
        }
        let id = out.len() as u32;
        label[start] = id;
        stack.push(start);
        let (mut n, mut sx, mut sy) = (0usize, 0usize, 0usize);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        let mut touches = false;
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            n += 1;
            sx += x;
            sy += y;
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
            touches |= x == 0 || y == 0 || x == w - 1 || y == h - 1;
            let mut push = |j: usize| {
                if dark[j] && label[j] == u32::MAX {
                    label[j] = id;
                    stack.push(j);
                }
            };
            if x > 0 {
                push(i - 1);
            }
            if x + 1 < w {
                push(i + 1);
            }
            if y > 0 {
                push(i - w);
            }
            if y + 1 < h {
                push(i + w);
            }
        }
        let (cx, cy) = (sx as f64 / n as f64 + 0.5, sy as f64 / n as f64 + 0.5);
        let holed = !dark[(cy as usize).min(h - 1) * w + (cx as usize).min(w - 1)];
        let blob = Blob {
            cx,
            cy,
            area: n as f64,
            w: (x1 - x0 + 1) as f64,
            h: (y1 - y0 + 1) as f64,
            holed,
        };
        // Keep the id sequence dense even for rejected blobs.
        out.push(if touches {
            Blob { area: 0.0, ..blob }
        } else {
            blob
        });
    }
    out.into_iter().filter(|b| b.area > 0.0).collect()
}

/// Why a sheet could not be registered.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistrationFailure(pub String);

/// Finds the layout in a scanned page.
pub fn register(
    img: &GrayImage,
    layout: &BallotLayout,
) -> Result<Registration, RegistrationFailure> {
    let fail = |s: String| Err(RegistrationFailure(s));
    let (w, h) = (img.width() as f64, img.height() as f64);
    if w < 200.0 || h < 200.0 {
        return fail(format!("the image is only {w}×{h} pixels"));
    }
    // The page is ~297 mm along the image's long side (give or take borders and scale).
    let dpi_guess = w.max(h) / inch_from_mm(layout.page.height_mm);
    let factor = ((dpi_guess / 50.0).round() as u32).max(1);
    let small = shrink(img, factor);
    let hist = histogram(&small);
    let paper = quantile(&hist, 0.90);
    let ink = quantile(&hist, 0.002).min(paper - 1.0);
    if paper - ink < 60.0 {
        return fail(format!(
            "no printed marks: the page has almost no contrast (paper {paper:.0}, darkest {ink:.0})"
        ));
    }
    let threshold = ink + 0.5 * (paper - ink);
    let px_per_mm_guess = px_per_mm(dpi_guess) / factor as f64;
    // The marks' size as the layout prints them (all four alike).
    let mark_mm = layout.fiducials[0].w_mm;
    let side = mark_mm * px_per_mm_guess;
    let candidates: Vec<Blob> = blobs(&small, threshold)
        .into_iter()
        .filter(|b| {
            // Down to half size, so that a ballot copied at 50% is found and then refused by
            // the size check below with a reason a person understands.
            let size_ok =
                b.w >= 0.4 * side && b.h >= 0.4 * side && b.w <= 1.7 * side && b.h <= 1.7 * side;
            let aspect = b.w.max(b.h) / b.w.min(b.h);
            let fill = b.area / (b.w * b.h);
            size_ok && aspect < 1.5 && fill > 0.45 && b.area > 0.15 * side * side
        })
        .collect();
    if candidates.len() < 4 {
        return fail(format!(
            "found {} of the 4 registration marks",
            candidates.len()
        ));
    }
    // For each image corner, the few candidates furthest that way.
    let dirs = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)]; // clockwise from top-left
    let per_corner: Vec<Vec<Blob>> = dirs
        .iter()
        .map(|(dx, dy)| {
            let mut c = candidates.clone();
            c.sort_by(|a, b| (b.cx * dx + b.cy * dy).total_cmp(&(a.cx * dx + a.cy * dy)));
            c.truncate(3);
            c
        })
        .collect();
    let page_corners = corners_clockwise(&layout.fiducials);
    let mut best: Option<(f64, [Blob; 4])> = None;
    for a in &per_corner[0] {
        for b in &per_corner[1] {
            for c in &per_corner[2] {
                for d in &per_corner[3] {
                    let quad = [*a, *b, *c, *d];
                    if let Some(score) = rectangle_error(&quad, &page_corners)
                        && best.is_none_or(|(s, _)| score < s)
                    {
                        best = Some((score, quad));
                    }
                }
            }
        }
    }
    let Some((shape_err, quad)) = best else {
        return fail("the registration marks do not form the ballot's rectangle".into());
    };
    if shape_err > 0.06 {
        return fail(format!(
            "the marks found do not form the ballot's rectangle (shape error {:.0}%)",
            shape_err * 100.0
        ));
    }
    let holed: Vec<usize> = (0..4).filter(|&i| quad[i].holed).collect();
    if holed.len() != 1 {
        return fail(format!(
            "cannot tell the page's orientation: {} of the 4 marks have a hole (1 expected)",
            holed.len()
        ));
    }
    // The holed mark is the page's bottom-right, clockwise index 2.
    let turn = (holed[0] + 4 - 2) % 4;
    let orientation = (turn * 90) as u16;

    // Refine each centre on the full image and fit.
    let mut pairs = Vec::with_capacity(4);
    for (i, page_rect) in page_corners.iter().enumerate() {
        let blob = quad[(i + turn) % 4];
        let coarse = PointPx {
            x: blob.cx * factor as f64,
            y: blob.cy * factor as f64,
        };
        let radius = 0.75 * mark_mm * px_per_mm_guess * factor as f64;
        let centre = refine_centre(img, coarse, radius, threshold);
        pairs.push((page_rect.center(), centre));
    }
    let transform = PageToImage::fit(&pairs)
        .ok_or_else(|| RegistrationFailure("the registration marks are degenerate".into()))?;
    let residual_mm = pairs
        .iter()
        .map(|(m, p)| {
            let q = transform.map(*m);
            (q.x - p.x).hypot(q.y - p.y) / transform.px_per_mm(*m)
        })
        .fold(0.0, f64::max);

    // The printed page must be the ballot's size: a copy at 50% or 141% is not a ballot.
    let centre = PointMm {
        x: layout.page.width_mm / 2.0,
        y: layout.page.height_mm / 2.0,
    };
    let ppm = transform.px_per_mm(centre);
    let page_long_px = layout.page.height_mm * ppm;
    let image_long = w.max(h);
    if page_long_px < 0.72 * image_long || page_long_px > 1.09 * image_long {
        return fail(format!(
            "the ballot is printed at {:.0}% of the scanned page's size (expected about 100%)",
            100.0 * page_long_px / image_long
        ));
    }
    // Paper and ink levels on this sheet, at full resolution.
    let mut reg = Registration {
        transform,
        orientation,
        paper: paper_level(img, &transform, layout),
        ink: 0.0,
        residual_mm,
        frames_found: 0.0,
    };
    reg.ink = ink_level(img, &transform, layout).min(reg.paper - 30.0);
    if reg.paper - reg.ink < 50.0 {
        return fail("the printed ink is too close to the paper's shade".into());
    }
    reg.frames_found = frames_found(img, &reg, layout);
    if reg.frames_found < 0.8 {
        return fail(format!(
            "only {:.0}% of the printed box frames are where the layout puts them",
            reg.frames_found * 100.0
        ));
    }
    Ok(reg)
}

/// The four fiducials in clockwise order from the page's top-left: TL, TR, BR, BL.
fn corners_clockwise(f: &[RectMm; 4]) -> [RectMm; 4] {
    [f[0], f[1], f[3], f[2]]
}

/// How far four image points are from the shape of the page's marks, relative to its size
/// (similarity-invariant; aspect and right angles). `None` when the quadrilateral is inside out.
fn rectangle_error(quad: &[Blob; 4], page: &[RectMm; 4]) -> Option<f64> {
    let p: Vec<(f64, f64)> = quad.iter().map(|b| (b.cx, b.cy)).collect();
    let d = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).hypot(a.1 - b.1);
    let (top, right, bottom, left) = (d(p[0], p[1]), d(p[1], p[2]), d(p[2], p[3]), d(p[3], p[0]));
    let (diag1, diag2) = (d(p[0], p[2]), d(p[1], p[3]));
    // Orientation-free: the ratio of the two side pairs, either way round.
    let pw = page[1].center().x - page[0].center().x;
    let ph = page[3].center().y - page[0].center().y;
    let want = ph / pw;
    let horiz = (top + bottom) / 2.0;
    let vert = (left + right) / 2.0;
    if horiz < 1.0 || vert < 1.0 {
        return None;
    }
    let ratio = vert / horiz;
    let aspect_err = (ratio / want - 1.0).abs().min((ratio * want - 1.0).abs());
    let parallel_err = ((top - bottom).abs() + (left - right).abs()) / (horiz + vert);
    let diag_err = (diag1 - diag2).abs() / (diag1 + diag2);
    // Clockwise order in image coordinates (y down) has a positive signed area.
    let area: f64 = (0..4)
        .map(|i| {
            let (a, b) = (p[i], p[(i + 1) % 4]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum();
    if area <= 0.0 {
        return None;
    }
    Some(aspect_err + parallel_err + diag_err)
}

/// The darkness-weighted centre of the mark near `coarse`.
fn refine_centre(img: &GrayImage, coarse: PointPx, radius: f64, threshold: f64) -> PointPx {
    let (x0, x1) = (
        (coarse.x - radius).max(0.0) as u32,
        ((coarse.x + radius) as u32).min(img.width() - 1),
    );
    let (y0, y1) = (
        (coarse.y - radius).max(0.0) as u32,
        ((coarse.y + radius) as u32).min(img.height() - 1),
    );
    let (mut sw, mut sx, mut sy) = (0.0, 0.0, 0.0);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let v = img.get_pixel(x, y).0[0] as f64;
            if v < threshold + 40.0 {
                let wgt = (threshold + 40.0 - v).min(80.0);
                sw += wgt;
                sx += wgt * (x as f64 + 0.5);
                sy += wgt * (y as f64 + 0.5);
            }
        }
    }
    if sw == 0.0 {
        coarse
    } else {
        PointPx {
            x: sx / sw,
            y: sy / sw,
        }
    }
}

/// The paper's shade: a high quantile of samples from blank page areas between the header and
/// the table, and in the side margins.
fn paper_level(img: &GrayImage, t: &PageToImage, layout: &BallotLayout) -> f64 {
    let mut v = Vec::new();
    let table = layout.table;
    for i in 0..40 {
        let y = table.y_mm + (table.bottom() - table.y_mm) * i as f64 / 40.0;
        for x in [table.x_mm - 4.0, table.right() + 4.0] {
            v.push(sample(img, t.map(PointMm { x, y })));
        }
    }
    v.sort_by(f64::total_cmp);
    v[v.len() * 3 / 4]
}

/// The printed ink's shade: a low quantile inside the solid registration marks.
fn ink_level(img: &GrayImage, t: &PageToImage, layout: &BallotLayout) -> f64 {
    let mut v = Vec::new();
    for f in &layout.fiducials[..3] {
        let r = f.inset(1.2);
        for i in 0..6 {
            for j in 0..6 {
                let p = PointMm {
                    x: r.x_mm + r.w_mm * i as f64 / 5.0,
                    y: r.y_mm + r.h_mm * j as f64 / 5.0,
                };
                v.push(sample(img, t.map(p)));
            }
        }
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The share of box frames whose four sides are dark where the layout says.
fn frames_found(img: &GrayImage, reg: &Registration, layout: &BallotLayout) -> f64 {
    let mut found = 0;
    let mut total = 0;
    for row in &layout.rows {
        for b in &row.boxes {
            total += 1;
            let mut dark = 0;
            let mut n = 0;
            for k in 0..12 {
                let f = (k as f64 + 0.5) / 12.0;
                let along_x = b.x_mm + b.w_mm * f;
                let along_y = b.y_mm + b.h_mm * f;
                for p in [
                    PointMm {
                        x: along_x,
                        y: b.y_mm,
                    },
                    PointMm {
                        x: along_x,
                        y: b.bottom(),
                    },
                    PointMm {
                        x: b.x_mm,
                        y: along_y,
                    },
                    PointMm {
                        x: b.right(),
                        y: along_y,
                    },
                ] {
                    n += 1;
                    // The frame is thin: take the darkest of three samples across it.
                    let across = [-0.25, 0.0, 0.25];
                    let d = across
                        .iter()
                        .map(|o| {
                            reg.darkness(img, PointMm { x: p.x + o, y: p.y })
                                .max(reg.darkness(img, PointMm { x: p.x, y: p.y + o }))
                        })
                        .fold(0.0, f64::max);
                    if d > 0.35 {
                        dark += 1;
                    }
                }
            }
            if dark * 10 >= n * 7 {
                found += 1;
            }
        }
    }
    found as f64 / total.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrink_is_the_mean_of_each_block() {
        // Odd sizes: the last partial block in each direction is dropped.
        let img = GrayImage::from_fn(53, 38, |x, y| {
            image::Luma([((x * 37 + y * 91) % 256) as u8])
        });
        for f in [1, 2, 3, 6] {
            let small = shrink(&img, f);
            assert_eq!((small.width(), small.height()), (53 / f, 38 / f));
            for (ox, oy, p) in small.enumerate_pixels() {
                let mut sum = 0u32;
                for y in oy * f..(oy + 1) * f {
                    for x in ox * f..(ox + 1) * f {
                        sum += img.get_pixel(x, y).0[0] as u32;
                    }
                }
                assert_eq!(p.0[0] as u32, sum / (f * f), "f {f} at {ox},{oy}");
            }
        }
    }
}
