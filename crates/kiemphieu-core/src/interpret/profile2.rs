//! Reading profiles 2 to 6 (`kiemphieu-read/2` … `/6`): the rule that turns a row's
//! measurements into a verdict, and its constants. A vote is read and audited with the profile
//! frozen in its form; changing anything here means a new profile, never an edit of this one.
//!
//! A box is **marked** when its fill score reaches `definite`, or when the core of a stroke
//! reaching into it (followed over the frame; cells at least [`CORE_LEVEL`] darker than the
//! paper) spreads at least [`STROKE_MM`] both ways, fills at least [`STROKE_SCORE_MIN`] of the
//! box, and does not run on past the margin around the box: a tick or an X drawn with a 0.3 mm
//! ballpoint covers a few percent of the box, but it is a stroke no speck, crease, hair or
//! scanner line makes. A box is **empty** when its score is under `marginal` and its largest
//! stroke, however faint, spreads less than [`DOUBT_MM`], or when all it holds is a crease (a
//! thin line across the window, with no core); and no scanner line hides 30 % of it. Anything
//! else is in **doubt**.
//!
//! The row: a crossing line through the name (strike ≥ 0.50, over ink from [`STRIKE_INK`])
//! crosses it out, 0.20–0.50 is for a person, and so is a fainter line (over
//! [`FAINT_STRIKE_INK`]) beside any crease of the fold. A line that runs on 5–10 mm past either
//! end of the name (a hair, a ruled line: a voter's stroke overruns a name by 0.5–4 mm), or a
//! scanner line where a crossing line would run, makes the row a person's to read: it is never
//! `crossed_out`. Profile 3 adds: a crossing line must also reach both ends of the name (ink
//! within ±1 mm of it over at least [`STRIKE_ENDS_MIN`] mm at each end): a voter crosses a name
//! out from end to end and past it, while a hair or fibre on the glass (3–25 mm) often lies over
//! part of it only; such a row goes to a person. It also weighs each marked box against the
//! voter's other marks on the sheet: a stroke under [`HAND_TONE_MIN`] of their median tone
//! ([`hand_tone`]) is in doubt, since one voter marks with one pen while a fibre on the glass is
//! as dark as it happens to be. Profile 4 keeps that doubt only where a fibre could change the
//! count (beside another mark, or thinner than a pen line: [`FIBRE_SCORE_MAX`]), reads a mark
//! that a hair touches when the box holds more ink than a hair can ([`RUNS_ON_SCORE_MIN`]), calls a box
//! that no stroke at all reaches empty whatever its tint, and measures the boxes and the name
//! with a fold's crease taken off (`super::crease`). Profile 5 changes no rule here: it measures
//! a box or a name under a light scanner streak again through the streak
//! (`super::streaks::ScannerLines::see_through`, in `super::marks::read_rows`), only to confirm
//! that nothing is there; and it doubts a stroke with a fibre's ink and a core only just past
//! the bar ([`SHORT_CORE_MM`]). Profile 6 sees through a darker streak where the voter's own
//! ink would still show under it (`super::streaks::see_through_min_for`), and then also joins
//! the pieces of a stroke the streak cuts in two; it doubts a short stroke with a fibre's ink
//! only where it may be cut off at the frame (it reaches the band and ink comes out on the far
//! side: `super::strokes::BoxStroke::cut_at_frame`); and beside
//! the row's mark it takes a stroke lighter than the voter's hand with under
//! [`LIGHT_FIBRE_SCORE_MAX`] of ink for a hair's, and the box for empty. Then two or three
//! marked boxes are
//! `multiple_marks`; otherwise
//! a box in doubt sends the row to a person; one marked box and two empty ones is a vote; three
//! empty ones, `no_mark`.

use super::marks::{STRIKE_DEFINITE, STRIKE_MARGINAL, Strike};
use super::strokes::BoxStroke;
#[cfg(doc)]
use super::strokes::CORE_LEVEL;
use crate::form::{MarkThresholds, ReadingProfile};
use crate::record::{RowReading, RowVerdict};

/// A stroke whose core ([`CORE_LEVEL`] and darker: an HB pencil line and up, never a crease)
/// spreads at least this far along its shorter side is a mark …
pub const STROKE_MM: f64 = 1.2;
/// … with at least this fill score (a speck's or a short fibre's ink stays under it) …
pub const STROKE_SCORE_MIN: f64 = 0.006;
// … and not running on past the margin around the box (see `strokes::BoxStroke::runs_on`).
/// A stroke that spreads this far, however light, means the box is not empty.
pub const DOUBT_MM: f64 = 1.0;
/// A sample of a name cell this much darker than the paper, where the ballot printed nothing,
/// is ink a voter added: a 0.3 mm ballpoint line scanned at 150 dpi keeps about 0.3 at its
/// core; a fold's crease stays under 0.15.
pub const STRIKE_INK: f64 = 0.2;
/// The same search again over ink this faint (a light pencil line, whose grainy strokes reach
/// 0.1–0.4): from `STRIKE_MARGINAL` a person reads the row. Where a crease of the fold runs
/// through the row (it runs on across the page's margin), its band is left out of that search.
pub const FAINT_STRIKE_INK: f64 = 0.1;
/// Profile 3: how far (mm) a crossing line must reach into both ends of the name (see
/// `strike::strike_ends`): two of its 0.15 mm sample columns, more than a speck of dust gives.
/// Of about 700 pen and pencil crossings on earlier runs, the shortest reach at either end was
/// 0.3 mm and all but two reached 0.75 mm; a fibre over the middle of a name reaches nothing.
pub const STRIKE_ENDS_MIN: f64 = 0.3;
/// Profile 3: a stroke that the rule would call a mark, but whose tone is under this share of
/// the voter's usual tone on the sheet ([`hand_tone`]), is in doubt. One voter marks a sheet
/// with one pen, and a hand's pressure moves a stroke's tone by well under half (over about
/// 19,000 marked boxes of earlier runs, 25 pen and pencil marks fell under 0.6 of their sheet's
/// median); a hair or a fibre on the glass is as dark as it happens to be.
pub const HAND_TONE_MIN: f64 = 0.6;
/// Profile 4: a light stroke (under [`HAND_TONE_MIN`]) stays a mark when it is the row's only
/// one and covers at least this much of the box. A fibre or hair on the glass, 0.05–0.12 mm wide
/// across a 5 mm box, scores 0.011–0.015 (the three seen on earlier runs); a pen's tick, X or
/// slash, 0.3 mm wide and 2 mm or more long, scored 0.035 and up (the light pen marks doubted by
/// profile 3 on earlier runs scored 0.035–0.137).
pub const FIBRE_SCORE_MAX: f64 = 0.025;
/// Profile 4: a stroke that runs on past the window still makes a mark with this much ink in
/// the box. A hair or fibre (0.05–0.12 mm) lying over the whole 6.4 mm diagonal of the scored
/// area covers at most 3.7 % of it, so scores under 0.037 even when black (empty boxes with a
/// hair running on scored 0.0045–0.026 on earlier runs); the smallest X of a 0.3 mm ballpoint,
/// over 35 % of the box, about 0.05 (marked boxes a hair touched scored 0.051 and up).
pub const RUNS_ON_SCORE_MIN: f64 = 0.04;
/// Profile 5: a stroke whose core spreads under this (one 0.3 mm cell past [`STROKE_MM`])
/// with no more ink than a fibre leaves ([`FIBRE_SCORE_MAX`]) is as likely a piece of a hair as
/// a voter's small mark: it is in doubt. (A hair crossing the frame at under about 50° is not
/// followed across it, so the piece inside the box is measured alone: core 1.2 mm, score
/// 0.011, on the held-out run that found it. Over 5,800 sheets of earlier runs, this sends 6
/// more clearly marked sheets to a person: small pencil marks.)
pub const SHORT_CORE_MM: f64 = 1.5;
/// Profile 6: a stroke beside the row's mark, lighter than the voter's hand
/// ([`HAND_TONE_MIN`]), that leaves less ink than this is a hair's or a fibre's: the box is
/// empty. Over 4,300 sheets of earlier runs (some 14,000 marked boxes), the lightest voter's
/// mark under `HAND_TONE_MIN` of its sheet's hand scored 0.0235, and the light hairs and fibres
/// beside a mark at most 0.010; this is half the former.
pub const LIGHT_FIBRE_SCORE_MAX: f64 = 0.012;
/// A box hidden this much under a scanner line cannot be called empty.
pub const HIDDEN_MAX: f64 = 0.3;

/// What the rule makes of one box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxState {
    Marked,
    Empty,
    Doubt,
}

/// Profile 3: the voter's usual tone on a sheet, the median tone of the strokes the rule calls
/// marks; none when there are fewer than two to compare.
pub fn hand_tone<'a>(
    boxes: impl Iterator<Item = &'a BoxStroke>,
    t: &MarkThresholds,
) -> Option<f64> {
    let mut tones: Vec<f64> = boxes
        .filter(|b| box_state(b, t) == BoxState::Marked)
        .map(|b| b.tone)
        .collect();
    if tones.len() < 2 {
        return None;
    }
    tones.sort_by(f64::total_cmp);
    let n = tones.len();
    Some(if n % 2 == 1 {
        tones[n / 2]
    } else {
        (tones[n / 2 - 1] + tones[n / 2]) / 2.0
    })
}

/// What the rule makes of one box's measurements.
pub fn box_state(b: &BoxStroke, t: &MarkThresholds) -> BoxState {
    let stroke = b.core_mm >= STROKE_MM && b.score >= STROKE_SCORE_MIN && !b.runs_on;
    // Profile 4: no stroke at all reaching in (not even the faintest, over the box's own paper)
    // is nothing, whatever the score: on a tinted or unevenly lit scan the score, taken over
    // the sheet's paper, also counts the box's tint.
    let untouched = t.reading_profile() >= ReadingProfile::V4 && b.trace_mm == 0.0;
    let nothing = (b.score < t.marginal || untouched) && b.trace_mm < DOUBT_MM;
    let crease = b.spans && b.trace_mm < STROKE_MM && b.core_mm < STROKE_MM;
    if b.score >= t.definite || stroke {
        BoxState::Marked
    } else if (nothing || crease) && b.hidden < HIDDEN_MAX {
        BoxState::Empty
    } else {
        BoxState::Doubt
    }
}

/// The verdict on a row from its raw measurements.
pub fn decide_row(
    subject: usize,
    boxes: [BoxStroke; 3],
    strike: Strike,
    faint_strike: f64,
    strike_ends: Option<f64>,
    hand_tone: Option<f64>,
    t: &MarkThresholds,
) -> RowReading {
    let v4 = t.reading_profile() >= ReadingProfile::V4;
    let mut plain = boxes.map(|b| box_state(&b, t));
    // Profile 4: a stroke that runs on out of the window (a hair touching it) is still the
    // voter's mark when the box holds more ink than any hair can put there, and it is the only
    // box of the row with something running on (a line drawn through the row is a person's).
    let running_on = boxes.iter().filter(|b| b.runs_on).count();
    for (state, b) in plain.iter_mut().zip(&boxes) {
        if v4
            && running_on == 1
            && b.runs_on
            && *state == BoxState::Doubt
            && b.core_mm >= STROKE_MM
            && b.score >= RUNS_ON_SCORE_MIN
        {
            *state = BoxState::Marked;
        }
    }
    let v5 = t.reading_profile() >= ReadingProfile::V5;
    let v6 = t.reading_profile() >= ReadingProfile::V6;
    // Each stroke against the voter's usual tone on the sheet (profile 3).
    let light = boxes.map(|b| hand_tone.is_some_and(|h| b.tone < HAND_TONE_MIN * h));
    let states: [BoxState; 3] = std::array::from_fn(|k| {
        let b = &boxes[k];
        let beside_a_mark = (0..3).any(|j| j != k && plain[j] == BoxState::Marked);
        // Profile 4: a light stroke is a fibre's only where a fibre could change the count: as
        // a second mark in the row, or as a line too thin to be a voter's.
        let fibre_like = !v4 || b.score < FIBRE_SCORE_MAX || beside_a_mark;
        // Profile 5: a stroke with a fibre's ink and a core only just past the bar is in doubt
        // whatever its tone: a piece of a hair as dark as the voter's pen, cut off from the rest
        // of it where it crosses the frame at a slant, looks just so (on a held-out run one made
        // a row `multiple_marks`; alone in a row it would make a vote).
        // Profile 6: … only where it may have been cut off there: it reaches the frame's band
        // and ink comes out on the band's far side. A short stroke that does not is seen whole.
        let fibre_piece =
            v5 && b.score < FIBRE_SCORE_MAX && b.core_mm < SHORT_CORE_MM && (!v6 || b.cut_at_frame);
        match plain[k] {
            BoxState::Marked if (light[k] && fibre_like) || fibre_piece => BoxState::Doubt,
            state => state,
        }
    });
    // Profile 6: beside a mark the rule reads, a stroke lighter than the voter's hand that
    // leaves under [`LIGHT_FIBRE_SCORE_MAX`] of ink is a hair's or a fibre's on the glass, not a
    // second mark: the box is empty.
    let states: [BoxState; 3] = std::array::from_fn(|k| {
        let b = &boxes[k];
        let beside_a_mark = (0..3).any(|j| j != k && states[j] == BoxState::Marked);
        if v6
            && states[k] == BoxState::Doubt
            && light[k]
            && b.score < LIGHT_FIBRE_SCORE_MAX
            && b.hidden < HIDDEN_MAX
            && beside_a_mark
        {
            BoxState::Empty
        } else {
            states[k]
        }
    });
    let marked: Vec<usize> = (0..3).filter(|&k| states[k] == BoxState::Marked).collect();
    let doubt = states.contains(&BoxState::Doubt);
    let (verdict, choice) = if strike.hidden_line {
        (RowVerdict::Ambiguous, None)
    } else if strike.score >= STRIKE_DEFINITE && strike_ends.is_none_or(|e| e >= STRIKE_ENDS_MIN) {
        (RowVerdict::CrossedOut, None)
    } else if strike.score >= STRIKE_MARGINAL || faint_strike >= STRIKE_MARGINAL {
        (RowVerdict::Ambiguous, None)
    } else if marked.len() >= 2 {
        (RowVerdict::MultipleMarks, None)
    } else if doubt {
        (RowVerdict::Ambiguous, None)
    } else if marked.len() == 1 {
        (RowVerdict::Valid, Some(marked[0]))
    } else {
        (RowVerdict::NoMark, None)
    };
    RowReading {
        subject,
        verdict,
        choice,
        scores: boxes.map(|b| b.score),
        strike: strike.score,
        traces: boxes.map(|b| b.trace_mm),
        tones: boxes.map(|b| b.tone),
        scanner_line: strike.hidden_line || boxes.iter().any(|b| b.hidden >= HIDDEN_MAX),
        runs_on: boxes.map(|b| b.runs_on),
        spans: boxes.map(|b| b.spans),
        cores: boxes.map(|b| b.core_mm),
        faint_strike,
        strike_ends,
        hand_tone,
        crease: None,
        seen_through: false,
        cut_at_frame: if v6 {
            boxes.map(|b| b.cut_at_frame)
        } else {
            [false; 3]
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A box: fill score, faint trace and core (mm).
    fn b(score: f64, trace_mm: f64, core_mm: f64) -> BoxStroke {
        BoxStroke {
            score,
            trace_mm,
            tone: 0.3,
            hidden: 0.0,
            runs_on: false,
            spans: false,
            core_mm,
            cut_at_frame: false,
        }
    }
    const EMPTY: BoxStroke = BoxStroke {
        score: 0.002,
        trace_mm: 0.3,
        tone: 0.06,
        hidden: 0.0,
        runs_on: false,
        spans: false,
        core_mm: 0.0,
        cut_at_frame: false,
    };
    fn t() -> MarkThresholds {
        MarkThresholds::default()
    }
    /// A pen's X, tone 0.32.
    fn pen_x() -> BoxStroke {
        BoxStroke {
            tone: 0.32,
            ..b(0.06, 3.0, 3.0)
        }
    }
    /// A fibre on the glass over a box: thin, tone 0.14.
    fn fibre() -> BoxStroke {
        BoxStroke {
            tone: 0.14,
            ..b(0.0145, 3.2, 2.9)
        }
    }
    /// The thresholds of a vote frozen with profile `n`.
    fn profile(n: u32) -> MarkThresholds {
        MarkThresholds {
            profile: Some(n),
            ..t()
        }
    }
    /// A row's verdict and choice from its boxes alone (no line through the name), against the
    /// voter's `hand` tone.
    fn read_boxes(
        boxes: [BoxStroke; 3],
        hand: Option<f64>,
        t: &MarkThresholds,
    ) -> (RowVerdict, Option<usize>) {
        let r = decide_row(1, boxes, no_strike(), 0.0, None, hand, t);
        (r.verdict, r.choice)
    }
    fn no_strike() -> Strike {
        Strike::default()
    }

    #[test]
    fn a_small_ballpoint_tick_beside_two_clean_boxes_is_a_vote() {
        // 0.3 mm ballpoint, half the box: score 0.05, a 2.4 mm stroke, dark to its core.
        let r = decide_row(
            1,
            [EMPTY, b(0.05, 2.4, 2.4), EMPTY],
            no_strike(),
            0.0,
            None,
            None,
            &t(),
        );
        assert_eq!((r.verdict, r.choice), (RowVerdict::Valid, Some(1)));
    }

    #[test]
    fn a_light_stroke_or_a_hair_is_not_a_vote() {
        // Wide but pale, no core (a light pencil): a person decides.
        let r = decide_row(
            1,
            [b(0.008, 2.4, 0.0), EMPTY, EMPTY],
            no_strike(),
            0.0,
            None,
            None,
            &t(),
        );
        assert_eq!(r.verdict, RowVerdict::Ambiguous);
        // A thin line (a hair, a slash seen end-on): in doubt, never a vote.
        let r = decide_row(
            1,
            [b(0.012, 0.9, 0.9), EMPTY, EMPTY],
            no_strike(),
            0.0,
            None,
            None,
            &t(),
        );
        assert_eq!(r.verdict, RowVerdict::Ambiguous);
        // A dark stroke running on past the margin (a hair across the box): never a vote.
        let hair = BoxStroke {
            runs_on: true,
            ..b(0.03, 3.0, 3.0)
        };
        let r = decide_row(1, [hair, EMPTY, EMPTY], no_strike(), 0.0, None, None, &t());
        assert_eq!(r.verdict, RowVerdict::Ambiguous);
        // A crease across an empty box, beside a vote: the vote stands.
        let crease = BoxStroke {
            spans: true,
            ..b(0.015, 0.6, 0.0)
        };
        let r = decide_row(
            1,
            [crease, b(0.3, 4.0, 4.0), EMPTY],
            no_strike(),
            0.0,
            None,
            None,
            &t(),
        );
        assert_eq!((r.verdict, r.choice), (RowVerdict::Valid, Some(1)));
    }

    #[test]
    fn two_strokes_are_multiple_marks() {
        let r = decide_row(
            1,
            [b(0.05, 2.0, 2.0), b(0.3, 4.0, 4.0), EMPTY],
            no_strike(),
            0.0,
            None,
            None,
            &t(),
        );
        assert_eq!(r.verdict, RowVerdict::MultipleMarks);
    }

    #[test]
    fn a_hidden_box_or_a_hidden_name_goes_to_a_person() {
        let hidden = BoxStroke {
            hidden: 0.3,
            ..EMPTY
        };
        let r = decide_row(
            1,
            [hidden, b(0.3, 4.0, 4.0), EMPTY],
            no_strike(),
            0.0,
            None,
            None,
            &t(),
        );
        assert_eq!(r.verdict, RowVerdict::Ambiguous);
        assert!(r.scanner_line);
        // A scanner line along the name: never crossed out, never counted.
        let along = Strike {
            score: 0.9,
            hidden_line: true,
            ..Strike::default()
        };
        let r = decide_row(
            1,
            [EMPTY, b(0.3, 4.0, 4.0), EMPTY],
            along,
            0.0,
            None,
            None,
            &t(),
        );
        assert_eq!(r.verdict, RowVerdict::Ambiguous);
    }

    #[test]
    fn a_faint_line_through_the_name_goes_to_a_person() {
        let r = decide_row(
            1,
            [EMPTY, b(0.3, 4.0, 4.0), EMPTY],
            no_strike(),
            0.8,
            None,
            None,
            &t(),
        );
        assert_eq!(r.verdict, RowVerdict::Ambiguous);
        assert_eq!(r.faint_strike, 0.8);
    }

    #[test]
    fn profile_3_crosses_a_name_out_only_from_end_to_end() {
        let line = Strike {
            score: 0.8,
            ..Strike::default()
        };
        let marked = [EMPTY, b(0.3, 4.0, 4.0), EMPTY];
        // Profile 2 (no ends measured): crossed out.
        let r = decide_row(1, marked, line, 0.0, None, None, &t());
        assert_eq!(r.verdict, RowVerdict::CrossedOut);
        // Profile 3: a line over the middle of the name only is a person's to read …
        let r = decide_row(1, marked, line, 0.0, Some(0.0), None, &t());
        assert_eq!(r.verdict, RowVerdict::Ambiguous);
        assert_eq!(r.strike_ends, Some(0.0));
        // … and a wavy one through both ends still crosses it out.
        let r = decide_row(1, marked, line, 0.0, Some(1.35), None, &t());
        assert_eq!(r.verdict, RowVerdict::CrossedOut);
    }

    #[test]
    fn profile_3_doubts_a_mark_much_lighter_than_the_voters_others() {
        // A pen's X (tone 0.32) and, in the next box, a fibre's stroke (tone 0.14).
        let pen = pen_x();
        let fibre = fibre();
        // Profile 2 has no hand tone: two marks.
        let r = decide_row(1, [fibre, pen, EMPTY], no_strike(), 0.0, None, None, &t());
        assert_eq!(r.verdict, RowVerdict::MultipleMarks);
        // The sheet's other marks: four pen strokes and the fibre; the usual tone is the pen's.
        let hand = hand_tone([pen, pen, pen, pen, fibre].iter(), &t());
        assert_eq!(hand, Some(0.32));
        let r = decide_row(1, [fibre, pen, EMPTY], no_strike(), 0.0, None, hand, &t());
        assert_eq!(r.verdict, RowVerdict::Ambiguous);
        assert_eq!(r.hand_tone, Some(0.32));
        // A mark two thirds as dark as the usual one is the same pen, pressed less.
        let lighter = BoxStroke { tone: 0.22, ..pen };
        let r = decide_row(
            1,
            [EMPTY, lighter, EMPTY],
            no_strike(),
            0.0,
            None,
            hand,
            &t(),
        );
        assert_eq!((r.verdict, r.choice), (RowVerdict::Valid, Some(1)));
        // One mark alone on the sheet has nothing to be weighed against.
        assert_eq!(hand_tone([pen].iter(), &t()), None);
    }

    #[test]
    fn profile_4_doubts_a_light_stroke_only_where_a_fibre_could_change_the_count() {
        let v3 = profile(3);
        let pen = pen_x();
        // The voter's lighter X, alone in its row (0.53 of the sheet's usual tone, a real case).
        let light_x = BoxStroke {
            tone: 0.17,
            ..b(0.09, 3.9, 3.9)
        };
        let fibre = fibre();
        let hand = Some(0.32);
        let read = |boxes, t: &MarkThresholds| {
            decide_row(1, boxes, no_strike(), 0.0, None, hand, t).verdict
        };
        // Profile 3 sends the lighter X to a person; profile 4 counts it …
        assert_eq!(read([EMPTY, light_x, EMPTY], &v3), RowVerdict::Ambiguous);
        assert_eq!(read([EMPTY, light_x, EMPTY], &t()), RowVerdict::Valid);
        // … but a light stroke beside a mark, or a fibre-thin one alone, is still a person's.
        assert_eq!(read([light_x, pen, EMPTY], &t()), RowVerdict::Ambiguous);
        assert_eq!(read([fibre, pen, EMPTY], &t()), RowVerdict::Ambiguous);
        assert_eq!(read([EMPTY, EMPTY, fibre], &t()), RowVerdict::Ambiguous);
    }

    #[test]
    fn profile_4_calls_a_box_no_stroke_reaches_empty_whatever_its_tint() {
        // A tinted, unevenly lit scan: the box scores over `marginal` against the sheet's
        // paper, but nothing in it stands out from its own paper (no stroke at all).
        let tinted = BoxStroke {
            score: 0.011,
            trace_mm: 0.0,
            tone: 0.0,
            ..EMPTY
        };
        let v3 = profile(3);
        assert_eq!(box_state(&tinted, &v3), BoxState::Doubt);
        assert_eq!(box_state(&tinted, &t()), BoxState::Empty);
        // The faintest stroke reaching in keeps the old rule.
        let stroked = BoxStroke {
            trace_mm: 0.3,
            ..tinted
        };
        assert_eq!(box_state(&stroked, &t()), BoxState::Doubt);
    }

    #[test]
    fn profile_4_reads_a_mark_a_hair_touches_but_not_a_hair_alone() {
        let v3 = profile(3);
        // A ballpoint X (score 0.08) that a hair on the glass touches and leads out of the window.
        let touched = BoxStroke {
            runs_on: true,
            ..b(0.08, 3.9, 3.9)
        };
        // A hair alone across an empty box.
        let hair = BoxStroke {
            runs_on: true,
            ..b(0.026, 2.9, 2.9)
        };
        let read = |boxes, t: &MarkThresholds| read_boxes(boxes, None, t);
        assert_eq!(read([touched, EMPTY, EMPTY], &v3).0, RowVerdict::Ambiguous);
        assert_eq!(
            read([touched, EMPTY, EMPTY], &t()),
            (RowVerdict::Valid, Some(0))
        );
        assert_eq!(read([hair, EMPTY, EMPTY], &t()).0, RowVerdict::Ambiguous);
        assert_eq!(
            read([EMPTY, b(0.3, 4.0, 4.0), hair], &t()).0,
            RowVerdict::Ambiguous
        );
        // A line drawn on through two boxes of the row is a person's to read.
        assert_eq!(
            read([touched, touched, EMPTY], &t()).0,
            RowVerdict::Ambiguous
        );
    }

    #[test]
    fn profile_5_doubts_a_piece_of_a_hair_as_dark_as_the_pen() {
        let v4 = profile(4);
        // The held-out case: a hair crossing the frame at a slant, its piece inside the box cut
        // off from the rest: core 1.2 mm, score 0.0113, tone 0.21 against the voter's 0.27.
        let piece = BoxStroke {
            tone: 0.21,
            cut_at_frame: true,
            ..b(0.0113, 1.2, 1.2)
        };
        let tick = BoxStroke {
            tone: 0.27,
            ..b(0.055, 2.7, 2.7)
        };
        let read = |boxes, t: &MarkThresholds| read_boxes(boxes, Some(0.267), t);
        // Profile 4 made it a second mark; profile 5 sends the row to a person, beside a vote
        // or alone.
        assert_eq!(read([EMPTY, piece, tick], &v4).0, RowVerdict::MultipleMarks);
        assert_eq!(read([EMPTY, piece, tick], &t()).0, RowVerdict::Ambiguous);
        assert_eq!(read([EMPTY, piece, EMPTY], &t()).0, RowVerdict::Ambiguous);
        // A small pen tick with a pen's ink, or a wider pencil stroke, is still a mark.
        assert_eq!(
            read([EMPTY, EMPTY, tick], &t()),
            (RowVerdict::Valid, Some(2))
        );
        let pencil = BoxStroke {
            tone: 0.25,
            ..b(0.015, 2.4, 2.1)
        };
        assert_eq!(
            read([pencil, EMPTY, EMPTY], &t()),
            (RowVerdict::Valid, Some(0))
        );
    }

    #[test]
    fn profile_6_reads_a_short_stroke_clear_of_the_frame_whole() {
        let v5 = profile(5);
        // A short pencil slash in the middle of the box (a tuning run's): core 1.25 mm, score
        // 0.0169, the voter's own tone.
        let slash = BoxStroke {
            tone: 0.2,
            ..b(0.0169, 1.25, 1.25)
        };
        let read = |boxes, t: &MarkThresholds| read_boxes(boxes, Some(0.21), t);
        assert_eq!(read([EMPTY, slash, EMPTY], &v5).0, RowVerdict::Ambiguous);
        assert_eq!(
            read([EMPTY, slash, EMPTY], &t()),
            (RowVerdict::Valid, Some(1))
        );
        // The same stroke reaching the frame, with ink coming out beyond it, may be a piece of
        // a hair cut off there.
        let cut_at_frame = BoxStroke {
            cut_at_frame: true,
            ..slash
        };
        assert_eq!(
            read([EMPTY, cut_at_frame, EMPTY], &t()).0,
            RowVerdict::Ambiguous
        );
    }

    #[test]
    fn profile_6_takes_a_light_thin_stroke_beside_a_mark_for_a_fibre() {
        let v5 = profile(5);
        // A tuning run's: a light hair across the first box (score 0.0033, trace 2.74 mm, tone
        // 0.116) beside the voter's tick (tone 0.27; the hand 0.266).
        let hair = BoxStroke {
            tone: 0.116,
            ..b(0.0033, 2.74, 2.4)
        };
        let tick = BoxStroke {
            tone: 0.27,
            ..b(0.061, 3.4, 3.1)
        };
        let read = |boxes, t: &MarkThresholds| read_boxes(boxes, Some(0.266), t);
        assert_eq!(read([hair, EMPTY, tick], &v5).0, RowVerdict::Ambiguous);
        assert_eq!(
            read([hair, EMPTY, tick], &t()),
            (RowVerdict::Valid, Some(2))
        );
        // Alone in a row it is still a person's: it could be the voter's only mark.
        assert_eq!(read([hair, EMPTY, EMPTY], &t()).0, RowVerdict::Ambiguous);
        // A light stroke with the ink of a light pencil X (0.0235) beside a mark may be a
        // second mark: a person's.
        let light_x = BoxStroke {
            tone: 0.14,
            ..b(0.0235, 2.7, 2.7)
        };
        assert_eq!(read([light_x, EMPTY, tick], &t()).0, RowVerdict::Ambiguous);
        // As dark as the hand, it is a second mark.
        let dark = BoxStroke { tone: 0.25, ..hair };
        assert_ne!(read([dark, EMPTY, tick], &t()).0, RowVerdict::Valid);
        // Under a scanner line, what it hides is unknown.
        let hidden = BoxStroke {
            hidden: 0.35,
            ..hair
        };
        assert_eq!(read([hidden, EMPTY, tick], &t()).0, RowVerdict::Ambiguous);
    }

    #[test]
    fn nothing_is_no_mark() {
        let r = decide_row(1, [EMPTY, EMPTY, EMPTY], no_strike(), 0.0, None, None, &t());
        assert_eq!(r.verdict, RowVerdict::NoMark);
    }
}
