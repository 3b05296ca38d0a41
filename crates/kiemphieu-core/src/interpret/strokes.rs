//! What separates a voter's stroke from paper, for reading profile 2: the box's fill score as in
//! profile 1, and the largest stroke that reaches into the box, followed past the printed frame
//! into the paper around it (an off-centre mark spills over the frame, and the part outside is
//! still the mark's), with its extent and its tone.
//!
//! The box and a margin around it are sampled about a pixel apart and averaged over cells of
//! [`CELL_MM`]; darkness is taken relative to the window's own paper (its median), so tint,
//! lamp fall-off and show-through cancel. Cells over the printed frame (the band where the
//! frame's ink, registration error and blur can be) are neither ink nor paper: a stroke is
//! followed across the band where inked cells face each other on its two sides. Pixels under a
//! scanner line ([`ScannerLines`]) are unknown.

use image::GrayImage;

use super::crease::Crease;
use super::geometry::sample;
use super::register::Registration;
use super::streaks::ScannerLines;
use crate::layout::{PointMm, RectMm};

/// Side of the cells a stroke is followed on: about a pen line's width.
pub const CELL_MM: f64 = 0.3;
/// A cell this much darker on average than the window's paper holds some stroke.
pub const CELL_LEVEL: f64 = 0.05;
/// How far around the box a stroke is followed, from the frame's centre line: past the farthest
/// a mark aimed at the box reaches (its centre 1.2 mm off, its arms 3 mm long, a line's width).
pub const SPILL_MM: f64 = 2.5;
/// The printed frame's band, either side of its centre line: half the rule, the worst
/// registration error and blur. Inside the box it ends where profile 1's scored area began,
/// less one cell (profile 1 left out the cells along that edge).
const BAND_OUT_MM: f64 = 0.9;
const BAND_IN_MM: f64 = 1.0;
/// A stroke crossing the band may move this far along the frame while it crosses (a stroke
/// crossing at 45° moves as far as the band is wide).
const BRIDGE_ALONG_MM: f64 = 1.6;
/// Profile 6: how far from where a stroke meets the frame's band ink on the band's other side
/// may be the same line come out: a hair crossing the 1.9 mm band at 20° to the frame comes out
/// 5.2 mm along it.
pub const CUT_REACH_MM: f64 = 5.5;
/// Darkness under this is paper, noise or JPEG ringing (the fill score's floor).
const NOISE_FLOOR: f64 = 0.10;
/// Stay this far from a row's rules.
const RULE_CLEARANCE_MM: f64 = 0.9;

/// What one box holds, as profile 2 measures it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxStroke {
    /// Mean darkness of the box's inside (profile 1's area) above the noise floor, 0..1, over
    /// the pixels no scanner line hides.
    pub score: f64,
    /// The shorter side (mm) of the extent of the largest stroke reaching into the box,
    /// followed over the frame.
    pub trace_mm: f64,
    /// That stroke's mean darkness over the paper, 0..1: a pen line is dark, a hair or a light
    /// pencil is not.
    pub tone: f64,
    /// Share of the box's inside hidden under a scanner line.
    pub hidden: f64,
    /// The stroke runs on past the window around the box, in ink as dark as itself: a hair, a
    /// fibre or a ruled line, not a voter's mark.
    pub runs_on: bool,
    /// The stroke is shaped like a crease: it runs right across the window, edge to opposite
    /// edge, or from an edge as a thin line (four times as long as it is wide).
    pub spans: bool,
    /// The shorter side (mm) of the largest stroke's core: its cells at least [`CORE_LEVEL`]
    /// dark (a crease has none).
    pub core_mm: f64,
    /// That core reaches the frame's band, where the reader cannot see ink, and ink it was not
    /// joined to comes out on the band's other side within [`CUT_REACH_MM`]: it may be a piece
    /// of a longer line (a hair) cut off there (profile 6 asks; earlier profiles never did).
    pub cut_at_frame: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Zone {
    Inside,
    Band,
    Outside,
}

/// Measures one box of a row (`row` is the row between its rules), with a fold's crease through
/// the row taken off first when one is given (profile 4).
pub fn box_stroke(
    img: &GrayImage,
    reg: &Registration,
    lines: &ScannerLines,
    b: &RectMm,
    inner: &RectMm,
    row: &RectMm,
    crease: Option<&Crease>,
) -> BoxStroke {
    let window = clip(&b.inset(-SPILL_MM), &row.inset(RULE_CLEARANCE_MM));
    let px = reg.transform.px_per_mm(b.center());
    let step = (1.0 / px).max(0.1);
    let k = ((CELL_MM / step).round() as usize).max(1);
    let (cw, ch) = (
        (window.w_mm / (step * k as f64)).floor() as usize,
        (window.h_mm / (step * k as f64)).floor() as usize,
    );
    let (n, m) = (cw * k, ch * k);
    // Darkness of every sample (NaN where a scanner line hides it).
    let mut dark = vec![f64::NAN; n * m];
    let (mut sum, mut seen, mut hidden, mut inside) = (0.0, 0usize, 0usize, 0usize);
    for j in 0..m {
        for i in 0..n {
            let p = PointMm {
                x: window.x_mm + (i as f64 + 0.5) * step,
                y: window.y_mm + (j as f64 + 0.5) * step,
            };
            let q = reg.transform.map(p);
            let within = contains(inner, p);
            inside += within as usize;
            if lines.hides(q) {
                hidden += within as usize;
                continue;
            }
            let v = sample(img, q);
            let mut d = ((reg.paper - v) / (reg.paper - reg.ink)).clamp(0.0, 1.0);
            if let Some(c) = crease {
                d = (d - c.darkness_at(p)).max(0.0);
            }
            dark[j * n + i] = d;
            if within {
                seen += 1;
                if d > NOISE_FLOOR {
                    sum += d;
                }
            }
        }
    }
    let score = sum / seen.max(1) as f64;
    let hidden = hidden as f64 / inside.max(1) as f64;
    // Cells: their zone, by their centre, and their mean darkness over the paper.
    let cell_mm = step * k as f64;
    let centre = |cx: usize, cy: usize| PointMm {
        x: window.x_mm + (cx as f64 + 0.5) * cell_mm,
        y: window.y_mm + (cy as f64 + 0.5) * cell_mm,
    };
    let zone = |p: PointMm| {
        if contains(&b.inset(BAND_IN_MM), p) {
            Zone::Inside
        } else if contains(&b.inset(-BAND_OUT_MM), p) {
            Zone::Band
        } else {
            Zone::Outside
        }
    };
    let zones: Vec<Zone> = (0..cw * ch).map(|c| zone(centre(c % cw, c / cw))).collect();
    let mut paper_samples: Vec<f64> = Vec::with_capacity(n * m);
    for (c, z) in zones.iter().enumerate() {
        if *z == Zone::Band {
            continue;
        }
        let (cx, cy) = (c % cw, c / cw);
        for j in cy * k..(cy + 1) * k {
            paper_samples.extend(dark[j * n + cx * k..j * n + (cx + 1) * k].iter().copied());
        }
    }
    paper_samples.retain(|d| !d.is_nan());
    if paper_samples.is_empty() {
        return BoxStroke {
            score,
            trace_mm: 0.0,
            tone: 0.0,
            hidden,
            runs_on: false,
            spans: false,
            core_mm: 0.0,
            cut_at_frame: false,
        };
    }
    let mid = paper_samples.len() / 2;
    let paper = *paper_samples.select_nth_unstable_by(mid, f64::total_cmp).1;
    let mut level = vec![f64::NAN; cw * ch];
    for c in 0..cw * ch {
        if zones[c] == Zone::Band {
            continue;
        }
        let (cx, cy) = (c % cw, c / cw);
        let (mut s, mut known) = (0.0, 0usize);
        for j in cy * k..(cy + 1) * k {
            for &d in &dark[j * n + cx * k..j * n + (cx + 1) * k] {
                if !d.is_nan() {
                    s += d - paper;
                    known += 1;
                }
            }
        }
        // A cell mostly under a scanner line is unknown, not paper.
        if known * 2 >= k * k {
            level[c] = s / known as f64;
        }
    }
    let grid = Grid {
        cw,
        ch,
        cell_mm,
        level: &level,
        zones: &zones,
        sides: (0..cw * ch)
            .map(|c| nearest_side(b, centre(c % cw, c / cw)))
            .collect(),
    };
    // The largest stroke reaching into the box, over the faintest ink a stroke leaves; and
    // again over ink a crease never reaches, for the stroke's core.
    let largest = |at: f64| {
        grid.strokes(at)
            .into_iter()
            .filter(|s| s.reaches_in)
            .max_by(|a, b| {
                let (ea, eb) = (a.w_mm.min(a.h_mm), b.w_mm.min(b.h_mm));
                ea.total_cmp(&eb).then(a.tone.total_cmp(&b.tone))
            })
    };
    let faint = largest(CELL_LEVEL);
    let core = largest(CORE_LEVEL);
    let trace = faint.as_ref().map_or(0.0, |s| s.w_mm.min(s.h_mm));
    let tone = faint.as_ref().map_or(0.0, |s| s.tone);
    let crease = faint.as_ref().is_some_and(|s| {
        let (long, short) = (s.w_mm.max(s.h_mm), s.w_mm.min(s.h_mm));
        s.spans || (s.touches_edge && long >= 4.0 * short)
    });
    let core_mm = core.as_ref().map_or(0.0, |s| s.w_mm.min(s.h_mm));
    // Does the core run on past the window, as a hair or a ruled line would and a voter's mark
    // does not? Followed over ink at least half as dark as the core itself; and the faint
    // stroke may leave the window only as a crease does (a hair whose core breaks up on its way
    // out still leaves askew).
    let core_tone = core.as_ref().map_or(0.0, |s| s.tone);
    let runs_on = core_mm > 0.0
        && (faint.as_ref().is_some_and(|s| s.leaves_askew)
            || grid
                .strokes(RUN_LEVEL.max(core_tone / 2.0))
                .iter()
                .any(|s| s.reaches_in && s.touches_edge));
    BoxStroke {
        score,
        trace_mm: trace,
        tone,
        hidden,
        runs_on,
        spans: crease,
        core_mm,
        cut_at_frame: core.as_ref().is_some_and(|s| s.cut_at_frame),
    }
}

/// A stroke's core: cells at least this dark. A fold's crease and its shadow stay under it
/// (0.06–0.12 darker than the paper on the scans it was measured on); an HB pencil line reaches it.
pub const CORE_LEVEL: f64 = 0.10;

/// The darkness over the paper that the ink of a running-on stroke keeps, at the least: a fold's
/// crease stays under it.
const RUN_LEVEL: f64 = 0.15;

/// How far apart (in cells) the places where a crease leaves the window may be: 1.2 mm.
const CREASE_SPREAD_CELLS: usize = 4;

/// The range of cell indices something was seen at.
#[derive(Default)]
struct Span(Option<(usize, usize)>);

impl Span {
    fn add(&mut self, i: usize) {
        self.0 = Some(self.0.map_or((i, i), |(a, b)| (a.min(i), b.max(i))));
    }
    fn is_empty(&self) -> bool {
        self.0.is_none()
    }
    fn within(&self, cells: usize) -> bool {
        self.0.is_some_and(|(a, b)| b - a <= cells)
    }
}

/// The cells of a box's window.
struct Grid<'a> {
    cw: usize,
    ch: usize,
    cell_mm: f64,
    /// Mean darkness over the paper (NaN: the band, or hidden).
    level: &'a [f64],
    zones: &'a [Zone],
    sides: Vec<(Side, f64)>,
}

/// One joined stroke of a grid.
struct StrokeExtent {
    w_mm: f64,
    h_mm: f64,
    tone: f64,
    reaches_in: bool,
    touches_edge: bool,
    /// Reaches the band with unjoined ink facing it on the band's other side.
    cut_at_frame: bool,
    /// Leaves the window other than as a crease does.
    leaves_askew: bool,
    /// Touches two opposite edges of the window.
    spans: bool,
}

impl Grid<'_> {
    /// The strokes over cells at least `at` dark, joined 8-connectedly and across the frame's
    /// band where inked cells face each other on its two sides.
    fn strokes(&self, at: f64) -> Vec<StrokeExtent> {
        let (cw, ch) = (self.cw, self.ch);
        let inked: Vec<bool> = self.level.iter().map(|&l| l >= at).collect();
        let touches_band = |c: usize| {
            let (x, y) = ((c % cw) as i64, (c / cw) as i64);
            (-1..=1).any(|dy| {
                (-1..=1).any(|dx| {
                    let (nx, ny) = (x + dx, y + dy);
                    nx >= 0
                        && ny >= 0
                        && (nx as usize) < cw
                        && (ny as usize) < ch
                        && self.zones[ny as usize * cw + nx as usize] == Zone::Band
                })
            })
        };
        let edge: Vec<usize> = (0..cw * ch)
            .filter(|&c| inked[c] && touches_band(c))
            .collect();
        // Ink beside the band however faint, for what may come out on its far side.
        let faint_edge: Vec<usize> = (0..cw * ch)
            .filter(|&c| self.level[c] >= CELL_LEVEL.min(at) && touches_band(c))
            .collect();
        let mut seen = vec![false; cw * ch];
        let mut out = Vec::new();
        let mut stack = Vec::new();
        for start in 0..cw * ch {
            if !inked[start] || seen[start] {
                continue;
            }
            seen[start] = true;
            stack.push(start);
            let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
            let (mut reaches_in, mut touches_edge, mut sum, mut count) = (false, false, 0.0, 0);
            // The stroke's cells beside the band.
            let mut at_band = Vec::new();
            // Where it leaves the window: rows on the left and right edges, columns on the top
            // and bottom ones.
            let (mut side_rows, mut end_cols) = (Span::default(), Span::default());
            while let Some(c) = stack.pop() {
                let (x, y) = (c % cw, c / cw);
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
                reaches_in |= self.zones[c] == Zone::Inside;
                touches_edge |= x == 0 || y == 0 || x + 1 == cw || y + 1 == ch;
                if x == 0 || x + 1 == cw {
                    side_rows.add(y);
                }
                if y == 0 || y + 1 == ch {
                    end_cols.add(x);
                }
                sum += self.level[c];
                count += 1;
                for ny in y.saturating_sub(1)..=(y + 1).min(ch - 1) {
                    for nx in x.saturating_sub(1)..=(x + 1).min(cw - 1) {
                        let d = ny * cw + nx;
                        if inked[d] && !seen[d] {
                            seen[d] = true;
                            stack.push(d);
                        }
                    }
                }
                // Across the frame: an inked cell facing this one on the band's other side.
                if edge.binary_search(&c).is_ok() {
                    at_band.push(c);
                    let (side, along) = self.sides[c];
                    for &d in &edge {
                        let (other_side, other_along) = self.sides[d];
                        if !seen[d]
                            && self.zones[d] != self.zones[c]
                            && other_side == side
                            && (other_along - along).abs() <= BRIDGE_ALONG_MM
                        {
                            seen[d] = true;
                            stack.push(d);
                        }
                    }
                }
            }
            // Ink beside the band on its other side (over the faintest ink a stroke leaves),
            // near enough to be the same line crossing it at a slant, and not joined to this
            // stroke.
            let cell_of = |c: usize| ((c % cw) as f64, (c / cw) as f64);
            let reach = CUT_REACH_MM / self.cell_mm;
            let cut_at_frame = at_band.iter().any(|&c| {
                let (x, y) = cell_of(c);
                faint_edge.iter().any(|&d| {
                    let (dx, dy) = cell_of(d);
                    self.zones[d] != self.zones[c]
                        && !at_band.contains(&d)
                        && (dx - x).hypot(dy - y) <= reach
                })
            });
            out.push(StrokeExtent {
                spans: (x0 == 0 && x1 + 1 == cw) || (y0 == 0 && y1 + 1 == ch),
                w_mm: (x1 - x0 + 1) as f64 * self.cell_mm,
                h_mm: (y1 - y0 + 1) as f64 * self.cell_mm,
                tone: sum / count as f64,
                reaches_in,
                touches_edge,
                cut_at_frame,
                // A crease of the fold runs along the page: it leaves the window through two
                // opposite sides at one height (or one place across). Anything else that leaves
                // it (a hair, a fibre, a scrawl) is not a crease.
                leaves_askew: touches_edge
                    && !((end_cols.is_empty() && side_rows.within(CREASE_SPREAD_CELLS))
                        || (side_rows.is_empty() && end_cols.within(CREASE_SPREAD_CELLS))),
            });
        }
        out
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Left,
    Right,
    Top,
    Bottom,
}

/// The frame side nearest to a point, and the point's place along that side.
fn nearest_side(b: &RectMm, p: PointMm) -> (Side, f64) {
    let d = [
        ((p.x - b.x_mm).abs(), Side::Left, p.y),
        ((p.x - b.right()).abs(), Side::Right, p.y),
        ((p.y - b.y_mm).abs(), Side::Top, p.x),
        ((p.y - b.bottom()).abs(), Side::Bottom, p.x),
    ];
    let best = d
        .iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("four sides");
    (best.1, best.2)
}

fn contains(r: &RectMm, p: PointMm) -> bool {
    p.x >= r.x_mm && p.x < r.right() && p.y >= r.y_mm && p.y < r.bottom()
}

fn clip(a: &RectMm, b: &RectMm) -> RectMm {
    let x0 = a.x_mm.max(b.x_mm);
    let y0 = a.y_mm.max(b.y_mm);
    let x1 = a.right().min(b.right()).max(x0);
    let y1 = a.bottom().min(b.bottom()).max(y0);
    RectMm::new(x0, y0, x1 - x0, y1 - y0)
}
