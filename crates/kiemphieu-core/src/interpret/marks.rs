//! Measuring ink: how much of each box a voter filled and whether the stamp is there (the name's
//! crossing-out evidence is in [`super::strike`]). Raw scores only; [`decide_row`] and the
//! reading profiles turn them into a verdict.

use image::GrayImage;

use super::crease::{Crease, crease_across};
use super::printed::PrintedName;
use super::profile2::{BoxState, box_state};
use super::register::Registration;
use super::streaks::ScannerLines;
pub use super::strike::{
    FoldCrease, Strike, StrikeInk, crease_through, runs_past_name, strike_ends, strike_score,
};
use super::strokes::{BoxStroke, box_stroke};
use crate::form::{MarkThresholds, ReadingProfile};
use crate::layout::{BOX_MM, BallotLayout, PointMm, RULE_MM, RectMm};
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
pub(super) fn step_mm(reg: &Registration, at: PointMm) -> f64 {
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
        crease: None,
        seen_through: false,
        cut_at_frame: [false; 3],
    }
}

/// Reads every row of a registered sheet with the thresholds' reading profile. `lines` are the
/// scanner's lines down the image (profile 2; profile 1 never looks for them); `through` is the
/// image seen through the light ones and the darker lines left (profile 5, see
/// [`ScannerLines::see_through`]).
pub fn read_rows(
    img: &GrayImage,
    reg: &Registration,
    layout: &BallotLayout,
    t: &MarkThresholds,
    lines: &ScannerLines,
    through: Option<&(GrayImage, ScannerLines)>,
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
    // … and the one right of it (profile 4 looks for a crease in both).
    let right_margin = (layout.table.right() + 1.5, layout.page.width_mm - 4.0);
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
                ReadingProfile::V2
                | ReadingProfile::V3
                | ReadingProfile::V4
                | ReadingProfile::V5
                | ReadingProfile::V6 => StrikeInk::OverPaper(super::profile2::STRIKE_INK),
            };
            let strike = strike_score(img, reg, row, &printed, lines, ink, FoldCrease::None);
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
                ReadingProfile::V2
                | ReadingProfile::V3
                | ReadingProfile::V4
                | ReadingProfile::V5
                | ReadingProfile::V6 => {
                    let measure_box =
                        |k: usize,
                         img: &GrayImage,
                         lines: &ScannerLines,
                         crease: Option<&Crease>| {
                            let b = &row.boxes[k];
                            let s = box_stroke(
                                img,
                                reg,
                                lines,
                                b,
                                &scored_area(b),
                                &row.row_rect,
                                crease,
                            );
                            BoxStroke {
                                score: round_score(s.score),
                                trace_mm: round_score(s.trace_mm),
                                tone: round_score(s.tone),
                                hidden: round_score(s.hidden),
                                runs_on: s.runs_on,
                                spans: s.spans,
                                core_mm: round_score(s.core_mm),
                                cut_at_frame: s.cut_at_frame,
                            }
                        };
                    let measure = |crease: Option<&Crease>| {
                        [0, 1, 2].map(|k| measure_box(k, img, lines, crease))
                    };
                    let mut boxes = measure(None);
                    // Profile 4: a box in doubt may hold only a fold's crease; where one runs
                    // through the row across both margins, the boxes are measured without it.
                    // Looked for once, and only where it could matter.
                    let v4 = profile >= ReadingProfile::V4;
                    let band = (row.row_rect.y_mm - 2.0, row.row_rect.bottom() + 2.0);
                    let mut across: Option<Option<Crease>> = None;
                    let mut find_crease = || {
                        across
                            .get_or_insert_with(|| {
                                crease_across(img, reg, band, margin, right_margin, lines)
                            })
                            .clone()
                    };
                    if v4
                        && boxes.iter().any(|b| box_state(b, t) == BoxState::Doubt)
                        && let Some(c) = find_crease()
                    {
                        boxes = measure(Some(&c));
                    }
                    // Profile 5: a box a scanner line runs through is looked at again through
                    // the line where it is light enough (its shade divided out). A box in doubt
                    // only because the line hides it, seen empty, is empty. A box read empty
                    // beside the line but holding ink under it goes to a person: a mark narrower
                    // than the line could hide there. Seeing through never makes a mark, but
                    // under profile 6 for a stroke the line cut in two, its pieces in sight.
                    let v5 = profile >= ReadingProfile::V5;
                    let v6 = profile >= ReadingProfile::V6;
                    let mut seen_through = false;
                    let mut ink_under_line = false;
                    if let Some((clear, dark)) = through.filter(|_| v5) {
                        let crease = find_crease();
                        for (k, b) in boxes.iter_mut().enumerate() {
                            if b.hidden == 0.0 {
                                continue;
                            }
                            let before = box_state(b, t);
                            let unhidden = BoxStroke { hidden: 0.0, ..*b };
                            let only_hidden = before == BoxState::Doubt
                                && box_state(&unhidden, t) == BoxState::Empty;
                            // Profile 6: a box in doubt with ink beside the line, as a stroke
                            // the line cuts in two leaves it, is seen through too.
                            let cut = v6 && before == BoxState::Doubt && !only_hidden;
                            if before != BoxState::Empty && !only_hidden && !cut {
                                continue;
                            }
                            let seen = measure_box(k, clear, dark, crease.as_ref());
                            let seen_state = box_state(&seen, t);
                            let seen_empty = seen_state == BoxState::Empty;
                            if (only_hidden && seen_empty)
                                || (cut && seen_state == BoxState::Marked)
                            {
                                // Seen empty, or the pieces seen whole as one mark.
                                *b = seen;
                                seen_through = true;
                            } else if before == BoxState::Empty && !seen_empty {
                                ink_under_line = true;
                            }
                        }
                    }
                    // … and a name that a light line runs along is looked at through it, for a
                    // crossing line in pen or in faint pencil: seen clear of both, the line does
                    // not hide one.
                    let strike = Strike {
                        hidden_line: strike.hidden_line || ink_under_line,
                        ..strike
                    };
                    let strike = match through
                        .filter(|_| v5 && strike.hidden_line && !ink_under_line)
                    {
                        Some((clear, dark)) => {
                            let look = |ink| {
                                strike_score(clear, reg, row, &printed, dark, ink, FoldCrease::None)
                            };
                            let pen = look(StrikeInk::OverPaper(super::profile2::STRIKE_INK));
                            let faint =
                                look(StrikeInk::OverPaper(super::profile2::FAINT_STRIKE_INK));
                            let clear_of_lines = !pen.hidden_line
                                && pen.score < STRIKE_MARGINAL
                                && faint.score < STRIKE_MARGINAL;
                            if clear_of_lines {
                                seen_through = true;
                                pen
                            } else {
                                strike
                            }
                        }
                        None => strike,
                    };
                    // A line that runs on well past the name, beyond where a voter's stroke ends
                    // (a hair, a ruled line), cannot cross it out: a person reads the row.
                    // (Profile 4: unless all that runs on is a fold's crease.)
                    let runs_past = strike.score >= STRIKE_MARGINAL
                        && strike.line.is_some_and(|line| {
                            let past = |c: FoldCrease<'_>| {
                                runs_past_name(img, reg, row, name_cell_right, line, lines, c)
                            };
                            past(FoldCrease::None)
                                && v4
                                    .then(&mut find_crease)
                                    .flatten()
                                    .is_none_or(|c| past(FoldCrease::TakenOff(&c)))
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
                    let mut faint_strike = faint(FoldCrease::None);
                    if faint_strike.score >= STRIKE_MARGINAL {
                        if let Some(c) = v4.then(&mut find_crease).flatten() {
                            faint_strike = faint(FoldCrease::TakenOff(&c));
                        } else if let Some(line) =
                            crease_through(img, reg, &row.name_rect, margin, lines)
                        {
                            faint_strike = faint(FoldCrease::Band(line));
                        }
                    }
                    let faint_score = round_score(faint_strike.score);
                    // The crease, when one was looked for and found (its darkness is recorded).
                    let crease = across.flatten().map(|c| round_score(c.peak()));
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
                        crease,
                        seen_through,
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
                crease,
                seen_through,
            } => RowReading {
                crease,
                seen_through,
                ..super::profile2::decide_row(subject, boxes, strike, faint, ends, hand, t)
            },
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
        crease: Option<f64>,
        seen_through: bool,
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
