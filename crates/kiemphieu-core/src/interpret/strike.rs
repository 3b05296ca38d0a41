//! Crossing-out evidence for a printed name: the straight line of added ink that covers most of
//! the name, the fold's crease that a faint line could be, and whether a line runs on past the
//! name (a hair) or reaches both of its ends (a voter's line).

use image::GrayImage;

use super::crease::Crease;
use super::marks::step_mm;
use super::printed::PrintedName;
use super::register::Registration;
use super::streaks::ScannerLines;
use crate::layout::{PointMm, RectMm, RowLayout};

/// How far from a row's rules the crossing search stays: half a rule, registration error, blur.
const RULE_CLEARANCE_MM: f64 = 0.9;

/// Crossing-out evidence for a printed name: the largest share of the name over which one
/// straight line (within ±8° of horizontal, its middle at the height of the capitals, ink within
/// ±0.36 mm of it: a pen wobbles) runs in ink that the ballot did not print (a sample at least
/// `ink_level` dark; pixels under a scanner line count as neither). Where the line's band
/// touches a printed letter (`printed`, dilated) nothing can be told, and that column is not
/// counted either way; the share is of the columns where the band is clear of print, and never
/// of fewer than a quarter of the name, so a few columns cannot make a crossing on their own.
/// A line under the name or over its accents is not a crossing.
pub fn strike_score(
    img: &GrayImage,
    reg: &Registration,
    row: &RowLayout,
    printed: &PrintedName,
    lines: &ScannerLines,
    ink: StrikeInk,
    crease: FoldCrease,
) -> Strike {
    let (name, cell) = (&row.name_rect, &row.row_rect);
    let step = step_mm(reg, name.center()).max(0.15);
    let xs: Vec<f64> = (0..)
        .map(|i| name.x_mm + 0.3 + i as f64 * step)
        .take_while(|&x| x <= name.right() - 0.3)
        .collect();
    if xs.is_empty() {
        return Strike::default();
    }
    // A grid covering the name, with a margin for slanted lines, but clear of the row's rules (a
    // rule runs the whole width: it would look like a perfect crossing line).
    let pad = 1.5;
    let top = (name.y_mm - pad).max(cell.y_mm + RULE_CLEARANCE_MM);
    let bottom = (name.bottom() + pad).min(cell.bottom() - RULE_CLEARANCE_MM);
    let ys: Vec<f64> = (0..)
        .map(|i| top + i as f64 * 0.12)
        .take_while(|&y| y <= bottom)
        .collect();
    // For each grid row r (and three rows past either edge) and column i: whether the band of
    // rows r-3..=r+3 holds added ink, and whether it is clear of print. Computed once, so that
    // each candidate line costs one lookup a column.
    const BAND: i64 = 3;
    let (rows, cols) = (ys.len() as i64, xs.len());
    // Profile 2 measures ink over the name cell's own paper (the median of what the ballot did
    // not print), so that tinted paper or a lamp's fall-off is not taken for ink.
    let paper = match ink {
        StrikeInk::Absolute(_) => 0.0,
        StrikeInk::OverPaper(_) => {
            let mut v: Vec<f64> = ys
                .iter()
                .step_by(2)
                .flat_map(|&y| xs.iter().step_by(2).map(move |&x| PointMm { x, y }))
                .filter(|&p| !printed.printed(p) && !lines.hides(reg.transform.map(p)))
                .map(|p| crease.darkness(img, reg, p))
                .collect();
            if v.is_empty() {
                0.0
            } else {
                let mid = v.len() / 2;
                *v.select_nth_unstable_by(mid, f64::total_cmp).1
            }
        }
    };
    let ink_level = paper + ink.level();
    let mut added = vec![false; ys.len() * cols];
    let mut printed_at = vec![false; ys.len() * cols];
    // Grid rows mostly under a scanner line: a crossing line there could not be seen.
    let mut lined_rows = vec![false; ys.len()];
    for (r, &y) in ys.iter().enumerate() {
        let mut hidden = 0;
        for (i, &x) in xs.iter().enumerate() {
            let p = PointMm { x, y };
            let on_crease = match crease {
                FoldCrease::Band((y_mid, slope)) => {
                    (y - (y_mid + slope * (x - name.x_mm - name.w_mm / 2.0))).abs()
                        <= CREASE_HALF_MM
                }
                FoldCrease::TakenOff(c) => c.offset(p).abs() <= CREASE_HALF_MM,
                FoldCrease::None => false,
            };
            if on_crease || lines.hides(reg.transform.map(p)) {
                // Unknown: neither ink nor paper, like the ballot's own print.
                printed_at[r * cols + i] = true;
                hidden += 1;
            } else if printed.printed(p) {
                printed_at[r * cols + i] = true;
            } else if crease.darkness(img, reg, p) > ink_level {
                added[r * cols + i] = true;
            }
        }
        lined_rows[r] = hidden * 2 >= cols;
    }
    let (body_top, baseline) = printed.body();
    // A crossing line's middle lies between the capitals' top and the baseline.
    let hidden_line = ys
        .iter()
        .zip(&lined_rows)
        .any(|(&y, &l)| l && y >= body_top - 0.5 && y <= baseline + 0.5);
    if !added.contains(&true) {
        // No ink the ballot did not print: no line can score (the usual case).
        return Strike {
            score: 0.0,
            hidden_line,
            line: None,
        };
    }
    let band_rows = (rows + 2 * BAND) as usize;
    let mut hit_band = vec![false; band_rows * cols];
    let mut clear_band = vec![true; band_rows * cols];
    for b in 0..band_rows as i64 {
        let centre = b - BAND;
        for r in (centre - BAND).max(0)..=(centre + BAND).min(rows - 1) {
            let (src, dst) = (r as usize * cols, b as usize * cols);
            for i in 0..cols {
                hit_band[dst + i] |= added[src + i];
                clear_band[dst + i] &= !printed_at[src + i];
            }
        }
    }
    let width = name.w_mm;
    let floor = xs.len().div_ceil(4);
    let mut best = 0.0f64;
    let mut best_line = None;
    for slope_deg in (-8..=8).map(|d| d as f64) {
        let slope = slope_deg.to_radians().tan();
        let mut y0 = body_top;
        while y0 <= baseline {
            let (mut hits, mut seen) = (0, 0);
            for (i, &x) in xs.iter().enumerate() {
                let y = y0 + slope * (x - name.x_mm - width / 2.0);
                let b = round_half_away((y - top) / 0.12) + BAND;
                // A band wholly off the grid sees nothing: clear, no ink.
                let (hit, clear) = if b < 0 || b >= band_rows as i64 {
                    (false, true)
                } else {
                    let k = b as usize * cols + i;
                    (hit_band[k], clear_band[k])
                };
                if clear {
                    hits += hit as usize;
                    seen += 1;
                }
            }
            let share = hits as f64 / seen.max(floor) as f64;
            if share > best {
                best = share;
                best_line = Some((y0, slope));
            }
            y0 += 0.12;
        }
    }
    Strike {
        score: best,
        hidden_line,
        line: best_line,
    }
}

/// What counts as ink a voter added in a name cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StrikeInk {
    /// Profile 1: samples this dark on the sheet's scale (0 paper, 1 print).
    Absolute(f64),
    /// Profile 2: samples this much darker than the name cell's own paper.
    OverPaper(f64),
}

impl StrikeInk {
    fn level(self) -> f64 {
        match self {
            StrikeInk::Absolute(v) | StrikeInk::OverPaper(v) => v,
        }
    }
}

/// A crease of the folded ballot through a name's row: a faint straight line, within 2° of the
/// page's axis, that runs on across the blank margin left of the table. Found by its mean
/// darkness along the margin against the paper 2.5 mm above and below it. Returns the line (its
/// height at the name's middle and its slope).
pub fn crease_through(
    img: &GrayImage,
    reg: &Registration,
    name: &RectMm,
    margin: (f64, f64),
    lines: &ScannerLines,
) -> Option<(f64, f64)> {
    let x_mid = name.x_mm + name.w_mm / 2.0;
    let ys = (name.y_mm - 0.5, name.bottom() + 0.5);
    super::crease::faint_line(img, reg, x_mid, ys, margin, lines)
}

/// Ink near a line found through a name (its height at the name's middle and its slope): a
/// voter's line wobbles, so anything within ±1 mm of it counts.
struct NearLine<'a> {
    img: &'a GrayImage,
    reg: &'a Registration,
    row: &'a RowLayout,
    line: (f64, f64),
    lines: &'a ScannerLines,
    /// The ballot's own letters, left out (profile 3's ends), or not.
    printed: Option<&'a PrintedName>,
    /// How far from the row's rules to stay (mm).
    clearance: f64,
    /// How dark a sample must be to be ink.
    level: f64,
    /// A fold's crease whose darkness is taken off (profile 4), or none.
    crease: FoldCrease<'a>,
}

impl NearLine<'_> {
    /// Whether any sample at `x` within ±1 mm of the line, inside the row and not under a
    /// scanner line (nor the ballot's print, when given), is ink.
    fn inked_at(&self, x: f64) -> bool {
        let (name, cell) = (&self.row.name_rect, &self.row.row_rect);
        let (y_mid, slope) = self.line;
        let y0 = y_mid + slope * (x - (name.x_mm + name.w_mm / 2.0));
        (-8..=8).any(|k| {
            let p = PointMm {
                x,
                y: y0 + k as f64 * 0.125,
            };
            p.y > cell.y_mm + self.clearance
                && p.y < cell.bottom() - self.clearance
                && !self.printed.is_some_and(|pr| pr.printed(p))
                && !self.lines.hides(self.reg.transform.map(p))
                && self.crease.darkness(self.img, self.reg, p) >= self.level
        })
    }
}

/// Whether ink follows a line found through a name (its height at the name's middle and its
/// slope) on past the name's end, 5–10 mm beyond it, where a voter's crossing stroke has ended
/// (strokes overrun a name by 0.5–4 mm): within ±1 mm of the line, in at least 40 % of the
/// places looked at, over ink half as dark as a crossing line's. Only the blank rest of the name
/// cell is looked at (up to `cell_right`, 1 mm short of its rule): left of the name is the
/// column of row numbers, and a name that fills its cell leaves nothing to look at.
pub fn runs_past_name(
    img: &GrayImage,
    reg: &Registration,
    row: &RowLayout,
    cell_right: f64,
    line: (f64, f64),
    lines: &ScannerLines,
    crease: FoldCrease,
) -> bool {
    let name = &row.name_rect;
    let near = NearLine {
        img,
        reg,
        row,
        line,
        lines,
        printed: None,
        clearance: 0.5,
        level: 0.5 * super::profile2::STRIKE_INK,
        crease,
    };
    let inked_at = |x: f64| near.inked_at(x);
    let xs: Vec<f64> = (0..)
        .map(|i| name.right() + 5.0 + i as f64 * 0.25)
        .take_while(|&x| x <= (name.right() + 10.0).min(cell_right - 1.0))
        .collect();
    xs.len() >= 8 && xs.iter().filter(|&&x| inked_at(x)).count() * 5 >= xs.len() * 2
}

/// Profile 3: how far a crossing line reaches both ends of the name. For each end, the length
/// (mm) over which ink the ballot did not print lies within ±1 mm of the line (a wavy line swings
/// that far), from the name cell's rule to a fifth of the way into the name on the left, and
/// from a fifth short of its end to 2.5 mm past it on the right; the smaller of the two. A
/// voter crosses a name out from end to end and a little past it; a hair or a fibre on the glass
/// (3–25 mm) often lies over part of it only, and reaches no further.
pub fn strike_ends(
    img: &GrayImage,
    reg: &Registration,
    row: &RowLayout,
    printed: &PrintedName,
    cell: (f64, f64),
    line: (f64, f64),
    lines: &ScannerLines,
) -> f64 {
    const STEP_MM: f64 = 0.15;
    let name = &row.name_rect;
    let near = NearLine {
        img,
        reg,
        row,
        line,
        lines,
        printed: Some(printed),
        clearance: RULE_CLEARANCE_MM,
        level: super::profile2::STRIKE_INK,
        crease: FoldCrease::None,
    };
    let inked_at = |x: f64| near.inked_at(x);
    let reach = |from: f64, to: f64| {
        let n = (0..)
            .map(|i| from + i as f64 * STEP_MM)
            .take_while(|&x| x <= to)
            .filter(|&x| inked_at(x))
            .count();
        n as f64 * STEP_MM
    };
    let fifth = name.w_mm / 5.0;
    let left = reach(cell.0 + RULE_CLEARANCE_MM, name.x_mm + fifth);
    let right = reach(
        name.right() - fifth,
        (name.right() + 2.5).min(cell.1 - RULE_CLEARANCE_MM),
    );
    left.min(right)
}

/// Half the width of the band along a crease where a faint line cannot be told from it.
const CREASE_HALF_MM: f64 = 0.6;

/// What a crossing search knows of a fold's crease through the name.
#[derive(Debug, Clone, Copy)]
pub enum FoldCrease<'a> {
    None,
    /// Profiles 2 and 3: a crease found in the left margin (its height at the name's middle and
    /// its slope); the band along it is left out of the search.
    Band((f64, f64)),
    /// Profile 4: a crease found across both margins, its darkness taken off every sample, and
    /// the band along its line left out as in `Band` (what remains of a crease after its
    /// median darkness is taken off is still a faint line there).
    TakenOff(&'a Crease),
}

impl FoldCrease<'_> {
    /// A sample's darkness, less the crease's where it is taken off.
    fn darkness(self, img: &GrayImage, reg: &Registration, p: PointMm) -> f64 {
        let d = reg.darkness(img, p);
        match self {
            FoldCrease::TakenOff(c) => (d - c.darkness_at(p)).max(0.0),
            _ => d,
        }
    }
}

/// Crossing-out evidence for a name.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Strike {
    /// The largest share of the name one straight line of added ink covers, 0..1.
    pub score: f64,
    /// A scanner line runs along the name where a crossing line would: it could hide one.
    pub hidden_line: bool,
    /// That line: its height at the name's middle (mm) and its slope.
    pub line: Option<(f64, f64)>,
}

/// `v.round()` as an integer (halves away from zero) without the libm call, which dominated
/// the crossing search's inner loop.
fn round_half_away(v: f64) -> i64 {
    let r = (v.abs() + 0.5) as i64;
    if v < 0.0 { -r } else { r }
}
