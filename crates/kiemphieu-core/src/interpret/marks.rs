//! Measuring ink: how much of each box a voter filled, whether a line runs through a printed name,
//! whether the stamp is there. Raw scores only; [`decide_row`] turns them into a verdict.

use image::GrayImage;

use super::printed::PrintedName;
use super::register::Registration;
use super::streaks::ScannerLines;
use super::strokes::{BoxStroke, box_stroke};
use crate::form::{MarkThresholds, ReadingProfile};
use crate::layout::{BOX_MM, BallotLayout, PointMm, RULE_MM, RectMm, RowLayout};
use crate::record::{RowReading, RowVerdict};

/// How far inside a box frame the fill score starts: the frame's half width plus the worst
/// registration error, so the printed frame never counts as a mark.
pub const BOX_INSET_MM: f64 = RULE_MM / 2.0 + 0.55;
/// Darkness below this is paper, scanner noise or JPEG ringing, not ink.
const NOISE_FLOOR: f64 = 0.10;
/// A line through the printed name covering at least this share of it crosses the name out.
pub const STRIKE_DEFINITE: f64 = 0.50;
/// Between this and `STRIKE_DEFINITE` a person decides.
pub const STRIKE_MARGINAL: f64 = 0.20;
/// Profile 1: darkness from which a sample of the name cell holds added ink.
const STRIKE_INK_V1: f64 = 0.4;
/// Share of the stamp zone that must carry ink for the stamp to be there.
pub const STAMP_MIN_COVER: f64 = 0.04;

/// Sample spacing for a region: about one image pixel, never finer than 0.1 mm.
fn step_mm(reg: &Registration, at: PointMm) -> f64 {
    (1.0 / reg.transform.px_per_mm(at)).max(0.1)
}

/// Side of the cells a light stroke is followed on: about a pencil line's width.
const TRACE_CELL_MM: f64 = 0.3;
/// A cell this much darker on average than the box's own paper (its median) holds some stroke.
const TRACE_LEVEL: f64 = 0.05;
/// A connected stroke whose extent is at least this much along its *shorter* side is a mark,
/// however light: its box is never read as empty. The shorter side, because a fold in the paper
/// also makes a long faint line, but a straight one along the page, while a cross, a tick or a
/// circle spreads both ways.
pub const TRACE_MM: f64 = 1.0;

/// What one box holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxInk {
    /// The fill score: the mean darkness of the box's inside above the noise floor, 0..1.
    pub score: f64,
    /// The shorter side, in mm, of the extent of the largest connected light stroke in the box.
    pub trace_mm: f64,
}

/// Measures one box: fill score and trace, from one grid of samples about a pixel apart.
pub fn box_ink(img: &GrayImage, reg: &Registration, b: &RectMm) -> BoxInk {
    let inner = b.inset(BOX_INSET_MM);
    let step = step_mm(reg, inner.center());
    let n = (inner.w_mm / step).ceil() as usize;
    let m = (inner.h_mm / step).ceil() as usize;
    let mut dark = Vec::with_capacity(n * m);
    let mut sum = 0.0;
    for j in 0..m {
        for i in 0..n {
            let p = PointMm {
                x: inner.x_mm + (i as f64 + 0.5) * inner.w_mm / n as f64,
                y: inner.y_mm + (j as f64 + 0.5) * inner.h_mm / m as f64,
            };
            let d = reg.darkness(img, p);
            if d > NOISE_FLOOR {
                sum += d;
            }
            dark.push(d);
        }
    }
    BoxInk {
        score: sum / (n * m) as f64,
        trace_mm: trace_mm(dark, n, m, inner.w_mm / n as f64, inner.h_mm / m as f64),
    }
}

/// The trace of a grid of darkness samples (`n` × `m`, spaced `sx` × `sy` mm): samples are
/// taken relative to their median (the box's own paper: tint and shading cancel), averaged over
/// cells of `TRACE_CELL_MM`, and cells at least `TRACE_LEVEL` dark are joined 8-connectedly. The
/// ring of cells along the box's edge is left out, where a blurred frame can bleed in. Returns
/// the largest shorter side of a joined stroke's extent, in mm; 0 when no cell is inked.
fn trace_mm(mut dark: Vec<f64>, n: usize, m: usize, sx: f64, sy: f64) -> f64 {
    let kx = ((TRACE_CELL_MM / sx).round() as usize).max(1);
    let ky = ((TRACE_CELL_MM / sy).round() as usize).max(1);
    let (cw, ch) = (n / kx, m / ky);
    if cw < 3 || ch < 3 {
        return 0.0;
    }
    let mut sorted = dark.clone();
    let mid = sorted.len() / 2;
    let paper = *sorted.select_nth_unstable_by(mid, f64::total_cmp).1;
    dark.iter_mut().for_each(|d| *d -= paper);
    let mut inked = vec![false; cw * ch];
    for cy in 1..ch - 1 {
        for cx in 1..cw - 1 {
            let mut s = 0.0;
            for j in cy * ky..(cy + 1) * ky {
                s += dark[j * n + cx * kx..j * n + (cx + 1) * kx]
                    .iter()
                    .sum::<f64>();
            }
            inked[cy * cw + cx] = s / (kx * ky) as f64 >= TRACE_LEVEL;
        }
    }
    let (cell_w, cell_h) = (kx as f64 * sx, ky as f64 * sy);
    let mut seen = vec![false; cw * ch];
    let mut best = 0.0f64;
    let mut stack = Vec::new();
    for start in 0..cw * ch {
        if !inked[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        while let Some(c) = stack.pop() {
            let (x, y) = (c % cw, c / cw);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            for ny in y - 1..=y + 1 {
                for nx in x - 1..=x + 1 {
                    let k = ny * cw + nx;
                    if inked[k] && !seen[k] {
                        seen[k] = true;
                        stack.push(k);
                    }
                }
            }
        }
        let (w, h) = ((x1 - x0 + 1) as f64 * cell_w, (y1 - y0 + 1) as f64 * cell_h);
        best = best.max(w.min(h));
    }
    best
}

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
    crease: Option<(f64, f64)>,
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
                .map(|p| reg.darkness(img, p))
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
            let on_crease = crease.is_some_and(|(y_mid, slope)| {
                (y - (y_mid + slope * (x - name.x_mm - name.w_mm / 2.0))).abs() <= CREASE_HALF_MM
            });
            if on_crease || lines.hides(reg.transform.map(p)) {
                // Unknown: neither ink nor paper, like the ballot's own print.
                printed_at[r * cols + i] = true;
                hidden += 1;
            } else if printed.printed(p) {
                printed_at[r * cols + i] = true;
            } else if reg.darkness(img, p) > ink_level {
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
    // Along the line at height `y0` (at the name's middle) with `slope`: for each column whose
    // band is clear of print, whether it holds added ink.
    let along = |y0: f64, slope: f64, out: &mut Vec<bool>| {
        out.clear();
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
                out.push(hit);
            }
        }
    };
    let mut best = 0.0f64;
    let mut best_line = None;
    let mut seen_hits = Vec::with_capacity(cols);
    for slope_deg in (-8..=8).map(|d| d as f64) {
        let slope = slope_deg.to_radians().tan();
        let mut y0 = body_top;
        while y0 <= baseline {
            along(y0, slope, &mut seen_hits);
            let hits = seen_hits.iter().filter(|&&h| h).count();
            let share = hits as f64 / seen_hits.len().max(floor) as f64;
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
    let mean_at = |y_mid: f64, slope: f64| {
        let (mut sum, mut n) = (0.0, 0);
        let mut x = margin.0;
        while x <= margin.1 {
            let p = PointMm {
                x,
                y: y_mid + slope * (x - x_mid),
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
    let mut y = name.y_mm - 0.5;
    while y <= name.bottom() + 0.5 {
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
                && self.reg.darkness(self.img, p) >= self.level
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

/// How much darker than the paper beside it a crease keeps, on average along the margin.
const CREASE_CONTRAST: f64 = 0.035;
/// Half the width of the band along a crease where a faint line cannot be told from it.
const CREASE_HALF_MM: f64 = 0.6;

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

/// Share of the stamp zone carrying ink.
pub fn stamp_cover(img: &GrayImage, reg: &Registration, zone: &RectMm) -> f64 {
    let step = 0.5;
    let n = (zone.w_mm / step) as usize;
    let m = (zone.h_mm / step) as usize;
    let mut inked = 0;
    for j in 0..m {
        for i in 0..n {
            let p = PointMm {
                x: zone.x_mm + (i as f64 + 0.5) * step,
                y: zone.y_mm + (j as f64 + 0.5) * step,
            };
            if reg.darkness(img, p) > 0.25 {
                inked += 1;
            }
        }
    }
    inked as f64 / (n * m).max(1) as f64
}

/// The verdict on a row from its raw scores. A box under `marginal` that holds a trace of
/// `TRACE_MM` or more is in doubt all the same: a stroke too light to fill a box is still a stroke.
pub fn decide_row(
    subject: usize,
    scores: [f64; 3],
    traces: [f64; 3],
    strike: f64,
    t: &MarkThresholds,
) -> RowReading {
    let definite: Vec<usize> = (0..3).filter(|&k| scores[k] >= t.definite).collect();
    let marginal = (0..3)
        .filter(|&k| scores[k] < t.definite && (scores[k] >= t.marginal || traces[k] >= TRACE_MM))
        .count();
    let (verdict, choice) = if strike >= STRIKE_DEFINITE {
        (RowVerdict::CrossedOut, None)
    } else if strike >= STRIKE_MARGINAL {
        (RowVerdict::Ambiguous, None)
    } else if definite.len() >= 2 {
        (RowVerdict::MultipleMarks, None)
    } else if marginal > 0 {
        (RowVerdict::Ambiguous, None)
    } else if definite.len() == 1 {
        (RowVerdict::Valid, Some(definite[0]))
    } else {
        (RowVerdict::NoMark, None)
    };
    RowReading {
        subject,
        verdict,
        choice,
        scores,
        strike,
        traces,
        tones: [0.0; 3],
        scanner_line: false,
        runs_on: [false; 3],
        spans: [false; 3],
        cores: [0.0; 3],
        faint_strike: 0.0,
        strike_ends: None,
        hand_tone: None,
    }
}

/// Reads every row of a registered sheet with the thresholds' reading profile. `lines` are the
/// scanner's lines down the image (profile 2; profile 1 never looks for them).
pub fn read_rows(
    img: &GrayImage,
    reg: &Registration,
    layout: &BallotLayout,
    t: &MarkThresholds,
    lines: &ScannerLines,
) -> Vec<RowReading> {
    let rows = &layout.rows;
    // The name column's right rule (the row's right end when the rules are not known).
    let name_cell_right = layout
        .rules
        .0
        .get(2)
        .copied()
        .unwrap_or_else(|| rows.first().map_or(0.0, |r| r.row_rect.right()));
    // … and its left rule (1.5 mm left of the name when the rules are not known).
    let name_cell_left = layout.rules.0.get(1).copied();
    let profile = t.reading_profile();
    let none = ScannerLines::none();
    // The blank page margin left of the table, where a crease runs on and a pen line does not.
    let margin = (3.0, rows.first().map_or(14.0, |r| r.row_rect.x_mm - 1.5));
    let measured: Vec<Measured> = rows
        .iter()
        .map(|row| {
            let printed = PrintedName::of_row(row);
            let lines = if profile == ReadingProfile::V1 {
                &none
            } else {
                lines
            };
            let ink = match profile {
                ReadingProfile::V1 => StrikeInk::Absolute(STRIKE_INK_V1),
                ReadingProfile::V2 | ReadingProfile::V3 => {
                    StrikeInk::OverPaper(super::profile2::STRIKE_INK)
                }
            };
            let strike = strike_score(img, reg, row, &printed, lines, ink, None);
            match profile {
                ReadingProfile::V1 => {
                    let ink = [0, 1, 2].map(|k| box_ink(img, reg, &row.boxes[k]));
                    let scores = ink.map(|b| round_score(b.score));
                    let traces = ink.map(|b| round_score(b.trace_mm));
                    Measured::Read(decide_row(
                        row.subject,
                        scores,
                        traces,
                        round_score(strike.score),
                        t,
                    ))
                }
                ReadingProfile::V2 | ReadingProfile::V3 => {
                    let boxes = [0, 1, 2].map(|k| {
                        let b = &row.boxes[k];
                        let s = box_stroke(img, reg, lines, b, &scored_area(b), &row.row_rect);
                        BoxStroke {
                            score: round_score(s.score),
                            trace_mm: round_score(s.trace_mm),
                            tone: round_score(s.tone),
                            hidden: round_score(s.hidden),
                            runs_on: s.runs_on,
                            spans: s.spans,
                            core_mm: round_score(s.core_mm),
                        }
                    });
                    // A line that runs on well past the name, beyond where a voter's stroke ends
                    // (a hair, a ruled line), cannot cross it out: a person reads the row.
                    let runs_past = strike.score >= STRIKE_MARGINAL
                        && strike.line.is_some_and(|line| {
                            runs_past_name(img, reg, row, name_cell_right, line, lines)
                        });
                    let strike = Strike {
                        score: round_score(strike.score),
                        hidden_line: strike.hidden_line || runs_past,
                        ..strike
                    };
                    // A light pencil line through the name is under `STRIKE_INK`: it is looked
                    // for again over fainter ink, and unless it is a crease running on across the
                    // margin, a person reads the row.
                    let faint = |crease| {
                        strike_score(
                            img,
                            reg,
                            row,
                            &printed,
                            lines,
                            StrikeInk::OverPaper(super::profile2::FAINT_STRIKE_INK),
                            crease,
                        )
                    };
                    let mut faint_strike = faint(None);
                    if faint_strike.score >= STRIKE_MARGINAL
                        && let Some(crease) =
                            crease_through(img, reg, &row.name_rect, margin, lines)
                    {
                        faint_strike = faint(Some(crease));
                    }
                    let faint_score = round_score(faint_strike.score);
                    let ends = (profile >= ReadingProfile::V3)
                        .then_some(())
                        .and_then(|()| {
                            strike.line.map(|line| {
                                let left = name_cell_left.unwrap_or(row.name_rect.x_mm - 1.5);
                                let cell = (left, name_cell_right);
                                round_score(strike_ends(img, reg, row, &printed, cell, line, lines))
                            })
                        });
                    Measured::Row {
                        subject: row.subject,
                        boxes,
                        strike,
                        faint: faint_score,
                        ends,
                    }
                }
            }
        })
        .collect();
    // Profile 3 weighs each mark against the voter's others on the sheet.
    let hand = if profile >= ReadingProfile::V3 {
        super::profile2::hand_tone(
            measured.iter().flat_map(|m| match m {
                Measured::Row { boxes, .. } => boxes.as_slice(),
                Measured::Read(_) => &[],
            }),
            t,
        )
    } else {
        None
    };
    measured
        .into_iter()
        .map(|m| match m {
            Measured::Read(r) => r,
            Measured::Row {
                subject,
                boxes,
                strike,
                faint,
                ends,
            } => super::profile2::decide_row(subject, boxes, strike, faint, ends, hand, t),
        })
        .collect()
}

/// A row measured: read already (profile 1), or its measurements awaiting the profile's rule.
enum Measured {
    Read(RowReading),
    Row {
        subject: usize,
        boxes: [BoxStroke; 3],
        strike: Strike,
        faint: f64,
        ends: Option<f64>,
    },
}

/// Scores are kept to four decimals, so that the record, its JSON and a re-run agree exactly.
pub fn round_score(s: f64) -> f64 {
    (s * 10_000.0).round() / 10_000.0
}

/// The area a box's score is measured on, for pictures.
pub fn scored_area(b: &RectMm) -> RectMm {
    debug_assert!(b.w_mm > BOX_MM / 2.0);
    b.inset(BOX_INSET_MM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> MarkThresholds {
        MarkThresholds::default()
    }

    const NO_TRACE: [f64; 3] = [0.0; 3];

    #[test]
    fn a_light_stroke_under_marginal_is_still_in_doubt() {
        // The fill score alone says empty; the trace says someone drew there.
        let r = decide_row(1, [0.006, 0.0, 0.0], [1.8, 0.0, 0.0], 0.0, &t());
        assert_eq!(r.verdict, RowVerdict::Ambiguous);
        // Beside a clear mark, the same light stroke makes the row doubtful too.
        let r = decide_row(1, [0.006, 0.3, 0.0], [1.8, 4.0, 0.0], 0.0, &t());
        assert_eq!(r.verdict, RowVerdict::Ambiguous);
        // A speck is not a trace.
        let r = decide_row(1, [0.004, 0.3, 0.0], [0.6, 4.0, 0.0], 0.0, &t());
        assert_eq!((r.verdict, r.choice), (RowVerdict::Valid, Some(1)));
    }

    #[test]
    fn a_light_cross_is_a_trace_and_specks_folds_and_tint_are_not() {
        let (n, m, step) = (45, 45, 0.1);
        // Tinted, shaded paper: no trace.
        let mut dark: Vec<f64> = (0..n * m).map(|k| 0.04 + 0.0004 * (k / n) as f64).collect();
        assert_eq!(trace_mm(dark.clone(), n, m, step, step), 0.0);
        // Specks of dust, dark but tiny.
        for k in (0..n * m).step_by(97) {
            dark[k] += 0.9;
        }
        assert!(trace_mm(dark.clone(), n, m, step, step) < 0.7);
        // A fold: a faint straight line right across the box.
        for i in 0..n {
            for w in 0..3 {
                dark[(20 + w) * n + i] += 0.15;
            }
        }
        assert!(trace_mm(dark.clone(), n, m, step, step) < 1.0);
        // A light pencil cross, 0.3 mm strokes, only 0.12 darker than the paper.
        for i in 8..37 {
            for w in 0..3 {
                dark[i * n + i + w] += 0.12;
                dark[i * n + (n - 1 - i) - w] += 0.12;
            }
        }
        let t = trace_mm(dark, n, m, step, step);
        assert!(t > 2.4, "{t}");
    }

    #[test]
    fn one_definite_mark_is_valid() {
        let r = decide_row(1, [0.005, 0.30, 0.0], NO_TRACE, 0.05, &t());
        assert_eq!((r.verdict, r.choice), (RowVerdict::Valid, Some(1)));
    }

    #[test]
    fn two_definite_marks_are_multiple_even_with_a_faint_third() {
        let r = decide_row(1, [0.3, 0.3, 0.06], NO_TRACE, 0.05, &t());
        assert_eq!(r.verdict, RowVerdict::MultipleMarks);
    }

    #[test]
    fn a_faint_box_sends_the_row_to_a_person() {
        assert_eq!(
            decide_row(1, [0.3, 0.06, 0.0], NO_TRACE, 0.05, &t()).verdict,
            RowVerdict::Ambiguous
        );
        assert_eq!(
            decide_row(1, [0.0, 0.06, 0.0], NO_TRACE, 0.05, &t()).verdict,
            RowVerdict::Ambiguous
        );
    }

    #[test]
    fn nothing_is_no_mark_and_a_struck_name_wins() {
        assert_eq!(
            decide_row(1, [0.0, 0.005, 0.0], NO_TRACE, 0.05, &t()).verdict,
            RowVerdict::NoMark
        );
        assert_eq!(
            decide_row(1, [0.4, 0.0, 0.0], NO_TRACE, 0.95, &t()).verdict,
            RowVerdict::CrossedOut
        );
        assert_eq!(
            decide_row(1, [0.4, 0.0, 0.0], NO_TRACE, 0.35, &t()).verdict,
            RowVerdict::Ambiguous
        );
    }
}
