//! Lines the scanner drew: a speck on the glass of a sheet-fed scanner darkens the same sensor
//! pixel for the whole feed, so the image gets a straight line of even width and tone from its
//! top to its bottom, through margins, print and every row alike. Such a line is never a voter's:
//! the pixels under it are taken as unknown, never as ink or as paper.
//!
//! A column belongs to a line when, in most rows of the image, it is darker than the columns a
//! little way to either side. Printed ink never does that over most of the image's height: a
//! table rule stops at the table, a box frame is 6 mm of each row.
//!
//! A speck takes off a share of the light that reaches the sensor, so a line multiplies what is
//! under it by its *shade*, the same down the whole column. Profile 5 measures each column's
//! shade against the paper either side, over the image's height, and divides it out where the
//! line lets at least [`SEE_THROUGH_MIN`] of the light through: a box under a light streak is
//! seen, and is called empty when seen empty. A darker line stays unknown.

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
/// Profile 5: a line that lets through at least this share of the light is seen through. The
/// faintest mark a voter makes, a hard pencil barely pressed, is 25–70 grey levels under the
/// paper; under a line of half shade it still stands 12–35 levels out, well above the sensor's
/// noise (σ 0.5–8) and the rounding of 8-bit levels, so dividing the shade out brings it back.
/// Under a darker line the faint end sinks into noise and JPEG's rounding: those stay unknown.
pub const SEE_THROUGH_MIN: f64 = 0.5;
/// The contrast (grey levels) that [`SEE_THROUGH_MIN`] leaves the faintest pencil (25 levels at
/// half shade): ink that stands this far out under a line is seen through it.
pub const VISIBLE_INK_GREY: f64 = 12.5;
/// Profile 6 never sees through a line darker than this: under a quarter of the light the
/// 8-bit levels left between paper and a pen line are too few to divide out.
pub const SEE_THROUGH_FLOOR: f64 = 0.25;

/// Profile 6: the darkest line through which this voter's ink would still be seen. The faintest
/// stroke a voter makes is [`HAND_TONE_MIN`](super::profile2::HAND_TONE_MIN) of their usual tone
/// on the sheet (`hand_tone`, 0 paper to 1 print, over a sheet whose paper and print are
/// `paper` and `print` grey); a line is seen through when that stroke stands
/// [`VISIBLE_INK_GREY`] out under it. Never beyond [`SEE_THROUGH_MIN`] (the limit for any hand)
/// and [`SEE_THROUGH_FLOOR`].
pub fn see_through_min_for(hand_tone: f64, paper: f64, print: f64) -> f64 {
    let faintest = super::profile2::HAND_TONE_MIN * hand_tone * (paper - print);
    if faintest <= 0.0 {
        return SEE_THROUGH_MIN;
    }
    (VISIBLE_INK_GREY / faintest).clamp(SEE_THROUGH_FLOOR, SEE_THROUGH_MIN)
}
/// The shade of a column is measured only where the paper either side is this bright and even
/// (grey levels), not over print, a mark or the scanner's dark bed.
const PAPER_MIN: u8 = 128;
const PAPER_EVEN: i32 = 12;

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

    /// Profile 5: the image seen through the lines light enough to see through (each column
    /// divided by its shade), the darker ones painted over; and those darker lines, which still
    /// hide what is under them. `None` when no line is light enough.
    pub fn see_through(&self, img: &GrayImage) -> Option<(GrayImage, ScannerLines)> {
        self.see_through_down_to(img, SEE_THROUGH_MIN)
    }

    /// As [`ScannerLines::see_through`], seeing through every line whose shade is at least
    /// `min_shade` (profile 6: [`see_through_min_for`] the sheet's voter).
    pub fn see_through_down_to(
        &self,
        img: &GrayImage,
        min_shade: f64,
    ) -> Option<(GrayImage, ScannerLines)> {
        let runs = self.runs();
        if runs.is_empty() {
            return None;
        }
        let shade = self.column_shades(img);
        let light = |run: &(usize, usize)| lets_through(&shade, *run, min_shade);
        if !runs.iter().any(light) {
            return None;
        }
        let mut dark = vec![false; self.covered.len()];
        for run in runs.iter().filter(|r| !light(r)) {
            dark[run.0..=run.1].iter_mut().for_each(|c| *c = true);
        }
        let opaque = ScannerLines { covered: dark };
        let mut out = opaque.paint_over(img);
        let w = img.width() as usize;
        let buf: &mut [u8] = out.as_mut();
        for &(first, last) in runs.iter().filter(|r| light(r)) {
            for x in first..=last {
                let s = shade[x];
                for y in 0..img.height() as usize {
                    let v = &mut buf[y * w + x];
                    *v = (*v as f32 / s).round().min(255.0) as u8;
                }
            }
        }
        Some((out, opaque))
    }

    /// Whether some line lets through `min_shade` of the light but not [`SEE_THROUGH_MIN`]:
    /// [`ScannerLines::see_through_down_to`] would see through it, `see_through` would not.
    /// Asked before the image is copied, which most sheets then need not be.
    pub fn any_seen_only_down_to(&self, img: &GrayImage, min_shade: f64) -> bool {
        let runs = self.runs();
        if runs.is_empty() {
            return false;
        }
        let shade = self.column_shades(img);
        runs.into_iter().any(|run| {
            lets_through(&shade, run, min_shade) && !lets_through(&shade, run, SEE_THROUGH_MIN)
        })
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

    /// The shade of each covered column: the median, over the sampled rows where the paper either
    /// side is bright and even, of the column's grey over the grey the paper either side gives it
    /// (the same interpolation `paint_over` paints). 1.0 for a column under no line, and for one
    /// with no paper to measure against.
    fn column_shades(&self, img: &GrayImage) -> Vec<f32> {
        let w = self.covered.len();
        let mut shade = vec![1.0f32; w];
        let raw = img.as_raw();
        let h = img.height() as usize;
        for (first, last) in self.runs() {
            let (Some(left), Some(right)) =
                (first.checked_sub(1), (last + 1 < w).then_some(last + 1))
            else {
                continue;
            };
            let span = (right - left) as f32;
            let mut ratios: Vec<Vec<f32>> = vec![Vec::new(); last + 1 - first];
            for y in (0..h).step_by(ROW_STEP) {
                let row = &raw[y * w..(y + 1) * w];
                let (a, b) = (row[left], row[right]);
                if a.min(b) < PAPER_MIN || (a as i32 - b as i32).abs() > PAPER_EVEN {
                    continue;
                }
                for (x, r) in (first..=last).zip(ratios.iter_mut()) {
                    let t = (x - left) as f32 / span;
                    let paper = a as f32 * (1.0 - t) + b as f32 * t;
                    r.push(row[x] as f32 / paper);
                }
            }
            for (x, mut r) in (first..=last).zip(ratios) {
                if r.is_empty() {
                    continue;
                }
                let mid = r.len() / 2;
                shade[x] = r.select_nth_unstable_by(mid, f32::total_cmp).1.min(1.0);
            }
        }
        shade
    }
}

/// Whether every column of a line lets through at least `min` of the light.
fn lets_through(shade: &[f32], (first, last): (usize, usize), min: f64) -> bool {
    (first..=last).all(|x| shade[x] as f64 >= min)
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
    fn how_dark_a_line_is_seen_through_depends_on_the_voters_ink() {
        // A ballpoint at tone 0.4 on paper 220, print 20: its faintest stroke stands 48 levels
        // out, 12.5 of them under a line of shade 0.26.
        let pen = see_through_min_for(0.4, 220.0, 20.0);
        assert!((pen - 12.5 / 48.0).abs() < 1e-9, "{pen}");
        // A light pencil (0.1) is no better off than the faintest pencil: half shade.
        assert_eq!(see_through_min_for(0.1, 220.0, 20.0), SEE_THROUGH_MIN);
        // A felt-tip (0.9) would reach 0.12: never past the floor.
        assert_eq!(see_through_min_for(0.9, 220.0, 20.0), SEE_THROUGH_FLOOR);
        // No contrast to go by: the usual limit.
        assert_eq!(see_through_min_for(0.4, 20.0, 20.0), SEE_THROUGH_MIN);
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
    fn a_light_streak_is_divided_out_and_a_dark_one_stays_hidden() {
        let mut img = page(300, 400);
        // A pen line across the page, under both streaks.
        for x in 0..300 {
            img.put_pixel(x, 200, image::Luma([60]));
        }
        // A light streak (60 % of the light) and a dark one (30 %), 3 px each.
        for y in 0..400 {
            for x in 100..103 {
                let v = img.get_pixel(x, y).0[0] as f64 * 0.6;
                img.put_pixel(x, y, image::Luma([v.round() as u8]));
            }
            for x in 200..203 {
                let v = img.get_pixel(x, y).0[0] as f64 * 0.3;
                img.put_pixel(x, y, image::Luma([v.round() as u8]));
            }
        }
        let lines = find_scanner_lines(&img);
        assert_eq!(lines.runs(), vec![(99, 103), (199, 203)]);
        let (seen, dark) = lines
            .see_through(&img)
            .expect("the light streak is seen through");
        // The light streak is gone: paper is paper again, and the pen line still crosses it.
        for x in 100..103 {
            assert!(seen.get_pixel(x, 50).0[0].abs_diff(240) <= 1);
            assert!(seen.get_pixel(x, 200).0[0].abs_diff(60) <= 1);
        }
        // The dark one is still a line, and what is under it still unknown.
        assert_eq!(dark.runs(), vec![(199, 203)]);
        assert!(dark.hides(PointPx { x: 201.5, y: 50.0 }));
        assert!(!dark.hides(PointPx { x: 101.5, y: 50.0 }));
        // With only the dark one there is nothing to see through.
        let mut only_dark = page(300, 400);
        for y in 0..400 {
            only_dark.put_pixel(150, y, image::Luma([72]));
        }
        assert!(
            find_scanner_lines(&only_dark)
                .see_through(&only_dark)
                .is_none()
        );
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
