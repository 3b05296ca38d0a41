//! Reading profile 4: the crease of a folded ballot, taken off the boxes it runs through.
//!
//! A ballot folded in thirds to fit the box has its creases near 99 and 198 mm, which on the
//! usual form is the first row. A crease is a thin grey line (0.1–0.3 mm, 0.06–0.12 darker than
//! the paper) with a soft shadow on one side (1.5–4 mm, 0.025–0.06), straight across the whole
//! sheet. Through a box it can join with JPEG noise into a faint stroke that spreads 1–1.6 mm,
//! enough for the rule to doubt the box. What makes it a crease and not a voter's line is that
//! it runs on through the blank margins on **both** sides of the table, 190 mm apart, which no
//! pen stroke, hair or fibre does. Where such a line runs through a row, its own darkness,
//! measured across it in those margins (the median of each offset's samples, so a hair or a
//! speck in the margin does not count), is taken off every sample of the boxes before they are
//! measured. A pen line over the crease stays: it is far darker than the crease.

use image::GrayImage;

use super::register::Registration;
use super::streaks::ScannerLines;
use crate::layout::PointMm;

/// How much darker than the paper 2.5 mm beside it a crease keeps, on average along a margin.
pub const CREASE_CONTRAST: f64 = 0.035;
/// How far either side of the line its darkness is measured and taken off: past its shadow.
const REACH_MM: f64 = 4.5;
/// The step of offsets across the line.
const STEP_MM: f64 = 0.1;
/// A line darker than this at its middle is not a crease (a printed rule, a streak, ink): left
/// alone, so that nothing darker than a crease is ever taken off a box.
const CREASE_MAX: f64 = 0.25;
/// The two ends of the line (found in each margin, at its middle) must agree within this slope:
/// a crease runs within a degree of the page's axis.
const MAX_SLOPE: f64 = 0.035;

/// A crease through a row, and its darkness across it.
#[derive(Debug, Clone, PartialEq)]
pub struct Crease {
    /// A point of the line (mm) and its slope.
    x0: f64,
    y0: f64,
    slope: f64,
    /// Darkness over the paper at offsets −`REACH_MM`..=`REACH_MM` (by `STEP_MM`) across it.
    profile: Vec<f64>,
}

impl Crease {
    /// How far (mm) `p` lies below the crease's line.
    pub fn offset(&self, p: PointMm) -> f64 {
        p.y - (self.y0 + self.slope * (p.x - self.x0))
    }

    /// The crease's darkness at `p` (0 beyond its reach).
    pub fn darkness_at(&self, p: PointMm) -> f64 {
        let off = self.offset(p);
        let i = (off + REACH_MM) / STEP_MM;
        if i < 0.0 || i > (self.profile.len() - 1) as f64 {
            return 0.0;
        }
        let (k, f) = (i.floor() as usize, i.fract());
        let next = self.profile.get(k + 1).copied().unwrap_or(0.0);
        self.profile[k] * (1.0 - f) + next * f
    }

    /// Its darkness at its middle line.
    pub fn peak(&self) -> f64 {
        self.profile.iter().copied().fold(0.0, f64::max)
    }
}

/// The faint straight line (within 2° of the page's axis) that best stands out over the paper
/// 2.5 mm above and below it along the blank strip `margin` (x from..to), with its height at
/// `x_ref` between `ys.0` and `ys.1`: its height there and its slope, when it stands out by
/// [`CREASE_CONTRAST`].
pub fn faint_line(
    img: &GrayImage,
    reg: &Registration,
    x_ref: f64,
    ys: (f64, f64),
    margin: (f64, f64),
    lines: &ScannerLines,
) -> Option<(f64, f64)> {
    let mean_at = |y_mid: f64, slope: f64| {
        let (mut sum, mut n) = (0.0, 0);
        let mut x = margin.0;
        while x <= margin.1 {
            let p = PointMm {
                x,
                y: y_mid + slope * (x - x_ref),
            };
            if !lines.hides(reg.transform.map(p)) {
                sum += reg.darkness(img, p);
                n += 1;
            }
            x += 0.25;
        }
        sum / n.max(1) as f64
    };
    let mut best: Option<(f64, (f64, f64))> = None;
    let mut y = ys.0;
    while y <= ys.1 {
        for k in -4..=4 {
            let slope = (k as f64 * 0.5f64).to_radians().tan();
            let contrast =
                mean_at(y, slope) - 0.5 * (mean_at(y - 2.5, slope) + mean_at(y + 2.5, slope));
            if contrast >= CREASE_CONTRAST && best.is_none_or(|(c, _)| contrast > c) {
                best = Some((contrast, (y, slope)));
            }
        }
        y += 0.12;
    }
    best.map(|(_, line)| line)
}

/// The crease running through the band `ys` (mm, top and bottom) of the sheet, seen in both the
/// `left` and `right` blank margins of the table, with its darkness across it; none when either
/// margin shows no such line, the two do not line up, or the line is darker than a crease.
pub fn crease_across(
    img: &GrayImage,
    reg: &Registration,
    ys: (f64, f64),
    left: (f64, f64),
    right: (f64, f64),
    lines: &ScannerLines,
) -> Option<Crease> {
    let (xl, xr) = ((left.0 + left.1) / 2.0, (right.0 + right.1) / 2.0);
    let (yl, _) = faint_line(img, reg, xl, ys, left, lines)?;
    let (yr, _) = faint_line(img, reg, xr, ys, right, lines)?;
    let slope = (yr - yl) / (xr - xl);
    if slope.abs() > MAX_SLOPE {
        return None;
    }
    let line_y = |x: f64| yl + slope * (x - xl);
    let steps = (2.0 * REACH_MM / STEP_MM).round() as usize;
    let xs: Vec<f64> = [left, right]
        .iter()
        .flat_map(|m| {
            (0..)
                .map(move |i| m.0 + i as f64 * 0.25)
                .take_while(move |&x| x <= m.1)
        })
        .collect();
    let median_at = |off: f64| {
        let mut v: Vec<f64> = xs
            .iter()
            .map(|&x| PointMm {
                x,
                y: line_y(x) + off,
            })
            .filter(|&p| !lines.hides(reg.transform.map(p)))
            .map(|p| reg.darkness(img, p))
            .collect();
        if v.is_empty() {
            return 0.0;
        }
        let mid = v.len() / 2;
        *v.select_nth_unstable_by(mid, f64::total_cmp).1
    };
    // The paper is what lies just past the reach on both sides.
    let paper = 0.5 * (median_at(-REACH_MM - 1.0) + median_at(REACH_MM + 1.0));
    let profile: Vec<f64> = (0..=steps)
        .map(|i| (median_at(-REACH_MM + i as f64 * STEP_MM) - paper).max(0.0))
        .collect();
    let crease = Crease {
        x0: xl,
        y0: yl,
        slope,
        profile,
    };
    (crease.peak() <= CREASE_MAX).then_some(crease)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_creases_darkness_is_read_across_it_and_nothing_past_its_reach() {
        let mut profile = vec![0.0; 91];
        profile[45] = 0.1;
        profile[46] = 0.04;
        let c = Crease {
            x0: 10.0,
            y0: 100.0,
            slope: 0.01,
            profile,
        };
        // On the line, 100 mm along it (it has risen 1 mm).
        let on = c.darkness_at(PointMm { x: 110.0, y: 101.0 });
        assert!((on - 0.1).abs() < 1e-9, "{on}");
        // Halfway to the next offset.
        let half = c.darkness_at(PointMm {
            x: 110.0,
            y: 101.05,
        });
        assert!((half - 0.07).abs() < 1e-9, "{half}");
        assert_eq!(c.darkness_at(PointMm { x: 110.0, y: 106.0 }), 0.0);
        assert_eq!(c.peak(), 0.1);
    }
}
