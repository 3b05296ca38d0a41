//! Lines the scanner drew: a speck on the glass of a sheet-fed scanner darkens the same sensor
//! pixel for the whole feed, so the image gets a straight line of even width and tone from its
//! top to its bottom, through margins, print and every row alike. Such a line is never a voter's:
//! the pixels under it are taken as unknown, never as ink or as paper.
//!
//! A column belongs to a line when, in most rows of the image, it is darker than the columns a
//! little way to either side. Printed ink never does that over most of the image's height: a
//! table rule stops at the table, a box frame is 6 mm of each row.

use image::GrayImage;

use super::geometry::PointPx;

/// The line's neighbours are this many pixels to either side: a line is at most 6 px wide, and
/// a pixel of blur either side.
const SIDE_PX: usize = 9;
/// How much darker than both its neighbours a pixel must be, in grey levels.
const STEP_GREY: i32 = 10;
/// The share of the image's rows (sampled) in which a column must be darker than its
/// neighbours. A real streak is dark in nearly all of them; it misses only over a dark bed and
/// where it crosses dark print.
const ROW_SHARE: f64 = 0.7;
/// Rows sampled: every fourth.
const ROW_STEP: usize = 4;

/// The columns of an image that a scanner line covers, widened by a pixel either side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScannerLines {
    covered: Vec<bool>,
}

impl ScannerLines {
    /// No lines: nothing is hidden.
    pub fn none() -> ScannerLines {
        ScannerLines::default()
    }

    /// Whether a bilinear sample at `p` would read a pixel under a line.
    pub fn hides(&self, p: PointPx) -> bool {
        if self.covered.is_empty() {
            return false;
        }
        let x = p.x - 0.5;
        if x < -1.0 {
            return false;
        }
        let x0 = if x >= 0.0 { x as usize } else { 0 };
        let at = |i: usize| self.covered.get(i).copied().unwrap_or(false);
        at(x0) || at(x0 + 1)
    }

    /// Whether any line was found.
    pub fn any(&self) -> bool {
        self.covered.contains(&true)
    }

    /// The covered columns, as `(first, last)` runs, for pictures and notes.
    pub fn runs(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (x, &c) in self
            .covered
            .iter()
            .chain(std::iter::once(&false))
            .enumerate()
        {
            match (c, start) {
                (true, None) => start = Some(x),
                (false, Some(s)) => {
                    out.push((s, x - 1));
                    start = None;
                }
                _ => {}
            }
        }
        out
    }
}

impl ScannerLines {
    /// A copy of the image with the lines painted over from the columns either side, so that
    /// registration and the QR code are found as on a clean scan. The marks are still measured
    /// with [`ScannerLines::hides`]: a painted pixel is not evidence of anything.
    pub fn paint_over(&self, img: &GrayImage) -> GrayImage {
        let mut out = img.clone();
        let w = img.width() as usize;
        let raw = img.as_raw();
        let buf: &mut [u8] = out.as_mut();
        for (first, last) in self.runs() {
            let left = first.checked_sub(1);
            let right = (last + 1 < w).then_some(last + 1);
            let span = (last + 2 - first) as u32;
            for y in 0..img.height() as usize {
                let row = y * w;
                let a = left.map_or_else(|| right.map_or(255, |r| raw[row + r]), |l| raw[row + l]);
                let b = right.map_or(a, |r| raw[row + r]);
                for x in first..=last {
                    let t = (x + 1 - first) as u32;
                    buf[row + x] = ((a as u32 * (span - t) + b as u32 * t + span / 2) / span) as u8;
                }
            }
        }
        out
    }
}

/// Finds the scanner's lines down an image.
pub fn find_scanner_lines(img: &GrayImage) -> ScannerLines {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w <= 2 * SIDE_PX || h < ROW_STEP {
        return ScannerLines::none();
    }
    let raw = img.as_raw();
    let mut hits = vec![0u32; w];
    let mut rows = 0u32;
    for y in (0..h).step_by(ROW_STEP) {
        rows += 1;
        let row = &raw[y * w..(y + 1) * w];
        for x in SIDE_PX..w - SIDE_PX {
            let side = row[x - SIDE_PX].min(row[x + SIDE_PX]) as i32;
            hits[x] += (row[x] as i32 + STEP_GREY < side) as u32;
        }
    }
    let need = (ROW_SHARE * rows as f64).ceil() as u32;
    let line: Vec<bool> = hits.iter().map(|&n| n >= need).collect();
    let mut covered = vec![false; w];
    for (x, &on) in line.iter().enumerate() {
        if on {
            for c in covered
                .iter_mut()
                .take((x + 2).min(w))
                .skip(x.saturating_sub(1))
            {
                *c = true;
            }
        }
    }
    ScannerLines { covered }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(w: u32, h: u32) -> GrayImage {
        GrayImage::from_pixel(w, h, image::Luma([240]))
    }

    #[test]
    fn a_streak_down_the_image_is_found_and_widened() {
        let mut img = page(300, 400);
        for y in 0..400 {
            for x in 120..123 {
                img.put_pixel(x, y, image::Luma([150]));
            }
        }
        let lines = find_scanner_lines(&img);
        assert_eq!(lines.runs(), vec![(119, 123)]);
        assert!(lines.hides(PointPx { x: 121.5, y: 10.0 }));
        assert!(!lines.hides(PointPx { x: 140.5, y: 10.0 }));
    }

    #[test]
    fn print_that_stops_is_not_a_streak() {
        let mut img = page(300, 400);
        // A rule down half of the page, a box frame, a horizontal line across.
        for y in 100..300 {
            img.put_pixel(50, y, image::Luma([30]));
        }
        for y in 150..170 {
            img.put_pixel(200, y, image::Luma([30]));
        }
        for x in 0..300 {
            img.put_pixel(x, 200, image::Luma([30]));
        }
        assert!(!find_scanner_lines(&img).any());
    }
}
