//! The voter: what one person writes on one ballot, and what it means for each row.
//!
//! A voter has a hand that stays the same over the sheet (one instrument, a favourite way of
//! marking, a usual size and lean) and varies from row to row around it. Each row gets one of: a
//! single mark, nothing, two or three marks, or a line through the name. Some voters also sign,
//! write in a name, doodle or tick beside a box; that ink is kept out of every box (by at least
//! 2 mm) and out of the name cells, so it never changes a row's truth.
//!
//! ## How people mark, in figures
//!
//! What a clear mark is comes from how people write on a form, never from what the scanner reads
//! well: no mark is redrawn bigger or bolder because it would read poorly. The figures, and where
//! they come from:
//!
//! | what | range | from |
//! |------|-------|------|
//! | ballpoint line | 0.3–0.5 mm | the line a 0.5–1.0 mm ball leaves (tip sizes on pen packaging; the written line is about half the ball) |
//! | gel pen line | 0.4–0.7 mm | 0.5–0.7 mm gel tips, which write close to their tip size |
//! | felt-tip line | 0.6–1.2 mm | fibre tips sold as 0.8–1.2 mm |
//! | pencil line | 0.3–0.7 mm | a 0.5 mm mechanical lead to a worn wood pencil |
//! | ink colour | blue (most), black, red | the pens handed out at a meeting; a colour scan's grey of blue and red ink is lighter than black's (grey 45–90) |
//! | ink strength | 75–100 % (ballpoint), 85–100 % (gel, felt) | a ballpoint skips and fades; gel and felt tips lay even ink |
//! | pencil tone (HB–2B) | grey 90–170, grain 30–55 % | graphite is patchy on paper; 2B is the dark end |
//! | light pencil | grey 170–215, grain 45–65 % | a hard pencil (H) or any pencil barely pressed: the light end |
//! | pressure | eases in and out by up to 40 % (pencil 60 %), wanders by up to 25 % | a hand lifts at the ends of a stroke |
//! | mark size | 35–100 % of the 6 mm box, across | ordinary ticks and X's span about half the box; some fill it, some spill |
//! | placement | centre up to 1.2 mm off the box's centre (σ 0.6 mm, per axis), so larger marks spill over the frame | people aim at the box, not its middle |
//! | shapes | X 36 %, tick 30 %, slash 12 %, circle 8 %, scribble 6 %, fill 4 %, dot 4 % | what people do with "mark one box" |
//! | instrument | ballpoint 55 %, gel 15 %, felt-tip 6 %, pencil 16 %, light pencil 8 % | pens are handed out; some bring a pencil |
//!
//! Every run draws from both ends of every range. A light-pencil mark makes its row `faint` (the
//! sheet is not `clear`): the scanner may count it or ask a person, and its review rate is
//! reported apart.

use super::TruthRow;
use super::ink::{Handwriting, Ink, Instrument, Stroke};
use super::rng::SimRng;
use super::shapes::{self, Path, Place};
use super::stray::{stray, stray_zones};
use crate::layout::{BallotLayout, PointMm, RectMm};
use crate::record::RowVerdict;

/// Stray ink keeps this far from a box's frame.
pub const STRAY_CLEARANCE_MM: f64 = 2.0;
/// How far a mark's centre may stray from its box's centre, per axis (mm), and its spread.
const AIM_MAX_MM: f64 = 1.2;
const AIM_SIGMA_MM: f64 = 0.6;

/// Everything written on one sheet.
#[derive(Debug, Clone, Default)]
pub struct Marking {
    pub rows: Vec<TruthRow>,
    pub strokes: Vec<Stroke>,
    pub writing: Vec<Handwriting>,
    /// What the stray ink is, for people reading the truth ("signature", "doodle:star", …).
    pub strays: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Cross,
    Tick,
    Slash,
    Fill,
    Scribble,
    Circle,
    Dot,
}

impl Style {
    const ALL: [Style; 7] = [
        Style::Cross,
        Style::Tick,
        Style::Slash,
        Style::Fill,
        Style::Scribble,
        Style::Circle,
        Style::Dot,
    ];
    const WEIGHTS: [f64; 7] = [0.36, 0.30, 0.12, 0.04, 0.06, 0.08, 0.04];

    fn name(self) -> &'static str {
        match self {
            Style::Cross => "x",
            Style::Tick => "tick",
            Style::Slash => "slash",
            Style::Fill => "fill",
            Style::Scribble => "scribble",
            Style::Circle => "circle",
            Style::Dot => "dot",
        }
    }
}

/// How one person writes, for the whole sheet.
pub(super) struct Hand {
    instrument: Instrument,
    pen: Ink,
    /// A second pen, picked up for some rows (never for a light pencil's sheet).
    other_pen: Option<Ink>,
    favourite: Style,
    width_mm: f64,
    /// Usual size of a mark, as a share of the box (0.35–1.0).
    size: f64,
    lean: f64,
}

impl Hand {
    /// `allow_light` is false for sheets whose every mark must be clear.
    fn new(rng: &mut SimRng, allow_light: bool) -> Hand {
        let light_w = if allow_light { 0.08 } else { 0.0 };
        let instrument = [
            Instrument::Ballpoint,
            Instrument::Gel,
            Instrument::FeltTip,
            Instrument::Pencil,
            Instrument::LightPencil,
        ][rng.weighted(&[0.55, 0.15, 0.06, 0.16, light_w])];
        let pen = instrument.ink(rng);
        let other_pen = (instrument != Instrument::LightPencil && rng.chance(0.1))
            .then(|| Instrument::Ballpoint.ink(rng));
        Hand {
            instrument,
            pen,
            other_pen,
            favourite: Style::ALL[rng.weighted(&Style::WEIGHTS)],
            width_mm: instrument.line_width(rng),
            size: rng.range(0.35, 1.0),
            lean: rng.normal_clamped(0.08, 0.2),
        }
    }

    pub(super) fn pen(&self, rng: &mut SimRng) -> Ink {
        match self.other_pen {
            Some(p) if rng.chance(0.3) => p,
            _ => self.pen,
        }
    }

    fn style(&self, rng: &mut SimRng) -> Style {
        if rng.chance(0.7) {
            self.favourite
        } else {
            Style::ALL[rng.weighted(&Style::WEIGHTS)]
        }
    }

    pub(super) fn width(&self, rng: &mut SimRng) -> f64 {
        self.width_mm * rng.range(0.92, 1.08)
    }

    /// A pencil's pressure varies more than a pen's.
    fn pressure(&self) -> (f64, f64) {
        match self.instrument {
            Instrument::Pencil | Instrument::LightPencil => (0.6, 0.25),
            _ => (0.4, 0.15),
        }
    }

    fn light(&self) -> bool {
        self.instrument == Instrument::LightPencil
    }
}

/// Where ink must not go.
pub(super) struct Zones {
    pub(super) rects: Vec<RectMm>,
}

impl Zones {
    pub(super) fn hit(&self, strokes: &[Stroke]) -> bool {
        strokes.iter().any(|s| {
            let r = s.width_mm / 2.0;
            s.points.iter().any(|p| {
                self.rects.iter().any(|z| {
                    p.x > z.x_mm - r
                        && p.x < z.right() + r
                        && p.y > z.y_mm - r
                        && p.y < z.bottom() + r
                })
            })
        })
    }
}

pub(super) fn grow(r: &RectMm, d: f64) -> RectMm {
    r.inset(-d)
}

/// The cells of the name column (whole cells, not only the printed name), from the table's
/// rules; the printed names, grown a little, when the rules are not known.
fn name_cells(layout: &BallotLayout) -> Vec<RectMm> {
    let (xs, ys) = &layout.rules;
    if xs.len() >= 3 && ys.len() == layout.rows.len() + 2 {
        (0..layout.rows.len())
            .map(|i| RectMm::new(xs[1], ys[i + 1], xs[2] - xs[1], ys[i + 2] - ys[i + 1]))
            .collect()
    } else {
        layout
            .rows
            .iter()
            .map(|r| grow(&r.name_rect, 2.0))
            .collect()
    }
}

/// The printed things no hand may touch: QR code, serial, stamp, registration marks, page edge.
pub(super) fn printed_marks(layout: &BallotLayout) -> Vec<RectMm> {
    let mut v = vec![
        grow(&layout.qr, 2.0),
        grow(&layout.serial_text, 1.0),
        grow(&layout.stamp, 1.5),
    ];
    v.extend(layout.fiducials.iter().map(|f| grow(f, 2.0)));
    let (w, h) = (layout.page.width_mm, layout.page.height_mm);
    v.push(RectMm::new(-50.0, -50.0, w + 100.0, 51.5));
    v.push(RectMm::new(-50.0, h - 1.5, w + 100.0, 51.5));
    v.push(RectMm::new(-50.0, -50.0, 51.5, h + 100.0));
    v.push(RectMm::new(w - 1.5, -50.0, 51.5, h + 100.0));
    v
}

pub(super) fn strokes(place: &Place, paths: &[Path], width_mm: f64, ink: Ink) -> Vec<Stroke> {
    paths
        .iter()
        .map(|p| Stroke::even(place.path(p), width_mm, ink))
        .collect()
}

/// Marks one sheet. `allow_faint` is false for sheets that must read without a person (no
/// light pencil on them).
pub fn vote_on(layout: &BallotLayout, rng: &mut SimRng, allow_faint: bool) -> Marking {
    let hand = Hand::new(rng, allow_faint);
    let cells = name_cells(layout);
    let mut m = Marking::default();
    for (i, row) in layout.rows.iter().enumerate() {
        // Other boxes, the name cells and the printed marks are out of bounds for a row's marks.
        let keep_out = |except: Option<usize>| {
            let mut rects: Vec<RectMm> = layout
                .rows
                .iter()
                .enumerate()
                .flat_map(|(ri, r)| {
                    r.boxes
                        .iter()
                        .enumerate()
                        .filter(move |&(k, _)| !(ri == i && Some(k) == except))
                        .map(|(_, b)| grow(b, 0.8))
                })
                .collect();
            rects.extend(cells.iter().map(|c| grow(c, 0.3)));
            rects.extend(printed_marks(layout));
            Zones { rects }
        };
        let leaning = [[0.50, 0.40, 0.10], [0.35, 0.45, 0.20], [0.25, 0.40, 0.35]][i % 3];
        let kind = rng.weighted(&[0.78, 0.08, 0.08, 0.06]);
        let mut boxes = vec![String::new(); 3];
        let mut mark_box = |k: usize, rng: &mut SimRng, m: &mut Marking| -> String {
            let (s, style) = mark(&hand, rng, &row.boxes[k], &keep_out(Some(k)));
            m.strokes.extend(s);
            boxes[k] = format!("{}:{style}", hand.instrument.name());
            style.to_string()
        };
        let truth = match kind {
            0 => {
                let k = rng.weighted(&leaning);
                let style = mark_box(k, rng, &mut m);
                TruthRow {
                    subject: row.subject,
                    verdict: RowVerdict::Valid,
                    choice: Some(k),
                    faint: hand.light(),
                    style,
                    boxes: Vec::new(),
                }
            }
            1 => TruthRow {
                subject: row.subject,
                verdict: RowVerdict::NoMark,
                choice: None,
                faint: false,
                style: "none".into(),
                boxes: Vec::new(),
            },
            2 => {
                let mut ks = vec![0, 1, 2];
                if rng.chance(0.75) {
                    ks.remove(rng.below(3));
                }
                let names: Vec<String> = ks.iter().map(|&k| mark_box(k, rng, &mut m)).collect();
                TruthRow {
                    subject: row.subject,
                    verdict: RowVerdict::MultipleMarks,
                    choice: None,
                    faint: hand.light(),
                    style: names.join("+"),
                    boxes: Vec::new(),
                }
            }
            _ => {
                let (s, mut style) = strike_name(&hand, rng, &row.name_rect);
                m.strokes.extend(s);
                if rng.chance(0.5) {
                    let k = rng.weighted(&leaning);
                    let mark = mark_box(k, rng, &mut m);
                    style = format!("{style}+{mark}");
                }
                TruthRow {
                    subject: row.subject,
                    verdict: RowVerdict::CrossedOut,
                    choice: None,
                    faint: hand.light(),
                    style,
                    boxes: Vec::new(),
                }
            }
        };
        m.rows.push(TruthRow { boxes, ..truth });
    }
    m.strays.push(format!("hand:{}", hand.instrument.name()));
    if rng.chance(0.3) {
        let zones = stray_zones(layout, &cells);
        for _ in 0..rng.int(1, 3) {
            stray(&hand, rng, layout, &cells, &zones, &mut m);
        }
    }
    m
}

/// One mark in a box, as the hand makes it: its size, place and pressure are the hand's, never
/// adjusted to what a scanner reads well. Only its place is drawn again (up to eight times) when
/// it would run into another box, a name cell or the printed marks; a mark that cannot be placed
/// is drawn smaller, in the middle.
fn mark(hand: &Hand, rng: &mut SimRng, b: &RectMm, zones: &Zones) -> (Vec<Stroke>, &'static str) {
    let style = hand.style(rng);
    let ink = hand.pen(rng);
    let w = hand.width(rng);
    let half = b.w_mm.min(b.h_mm) / 2.0;
    // This mark's size: around the hand's usual one, always within 35–100 % of the box.
    let size = (hand.size * rng.range(0.85, 1.15)).clamp(0.35, 1.0);
    let e = half * size;
    let rot = (hand.lean + rng.normal_clamped(0.07, 0.15)).clamp(-0.26, 0.26);
    let shear = rng.sym(0.15);
    let mut paths = match style {
        Style::Cross => shapes::cross(rng, e),
        Style::Tick => shapes::tick(rng, e),
        Style::Slash => shapes::slash(rng, e),
        Style::Fill => {
            let (ex, ey) = (e * rng.range(0.75, 1.0), e * rng.range(0.75, 1.0));
            shapes::fill(rng, ex, ey, w * 0.8)
        }
        Style::Scribble => shapes::scribble(rng, e),
        Style::Circle => shapes::circle(rng, (e * 0.8).max(0.9)),
        // A dot is small whatever the hand's usual size: 1.2–2.5 mm across.
        Style::Dot => {
            let grow = rng.range(0.6, 1.25);
            shapes::dot(rng, grow)
        }
    };
    for p in paths.iter_mut() {
        shapes::tremble(p, rng, 0.05);
    }
    let (ease, wander) = hand.pressure();
    let pressed = |place: &Place, rng: &mut SimRng| -> Vec<Stroke> {
        paths
            .iter()
            .map(|p| Stroke::even(place.path(p), w, ink).with_pressure(rng, ease, wander))
            .collect()
    };
    for _ in 0..8 {
        let c = b.center();
        let place = Place {
            at: PointMm {
                x: c.x + rng.normal_clamped(AIM_SIGMA_MM, AIM_MAX_MM),
                y: c.y + rng.normal_clamped(AIM_SIGMA_MM, AIM_MAX_MM),
            },
            rot,
            shear,
        };
        let s = pressed(&place, rng);
        if !zones.hit(&s) {
            return (s, style.name());
        }
    }
    // Nowhere to put it whole: the same mark at 60 %, in the middle of the box.
    let place = Place {
        at: b.center(),
        rot,
        shear,
    };
    let small: Vec<Path> = paths
        .iter()
        .map(|p| p.iter().map(|&(x, y)| (x * 0.6, y * 0.6)).collect())
        .collect();
    let s = small
        .iter()
        .map(|p| Stroke::even(place.path(p), w, ink).with_pressure(rng, ease, wander))
        .collect();
    (s, style.name())
}

/// One, two or a wavy line through the whole printed name.
fn strike_name(hand: &Hand, rng: &mut SimRng, name: &RectMm) -> (Vec<Stroke>, String) {
    let ink = hand.pen(rng);
    let w = hand.width(rng);
    let x0 = name.x_mm - rng.range(0.3, 2.5);
    let x1 = name.right() + rng.range(0.5, 4.0);
    let y = name.y_mm + name.h_mm * rng.range(0.45, 0.68);
    let tilt = rng.sym(0.12) * name.h_mm;
    let place = Place {
        at: PointMm { x: 0.0, y: 0.0 },
        rot: 0.0,
        shear: 0.0,
    };
    let (paths, style) = match rng.weighted(&[0.55, 0.25, 0.2]) {
        0 => (vec![shapes::strike(rng, x0, x1, y, tilt, 0.0)], "strike"),
        1 => {
            let gap = rng.range(0.5, 0.9);
            let second_x0 = x0 + rng.sym(0.8);
            let second_x1 = x1 + rng.sym(0.8);
            (
                vec![
                    shapes::strike(rng, x0, x1, y - gap, tilt, 0.0),
                    shapes::strike(rng, second_x0, second_x1, y + gap, tilt, 0.0),
                ],
                "double_strike",
            )
        }
        _ => {
            let wave = rng.range(0.5, 0.9);
            (
                vec![shapes::strike(rng, x0, x1, y, tilt, wave)],
                "wavy_strike",
            )
        }
    };
    (strokes(&place, &paths, w, ink), style.to_string())
}
