//! The calibration report: for empty and for marked boxes, each measure's distribution on a
//! simulated run, how the reading profile's rule calls them, and the margins between the classes
//! that the rule relies on. Run on tuning seeds at 150, 200 and 300 dpi by
//! `cargo run --release --example calibrate`.

use crate::form::MarkThresholds;
use crate::interpret::profile2::{BoxState, DOUBT_MM, STROKE_MM, STROKE_SCORE_MIN, box_state};
use crate::interpret::strokes::BoxStroke;
use crate::record::SheetRecord;
use crate::simulate::Truth;

/// One box of a read sheet, with what the voter put in it.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxSample {
    /// `empty`, `pen` (ballpoint, gel, felt-tip), `pencil` (HB–2B) or `light_pencil`.
    pub class: &'static str,
    pub measure: BoxStroke,
}

/// The class of a truth box (`""`, `ballpoint:x`, …).
fn class_of(truth_box: &str) -> &'static str {
    match truth_box.split(':').next().unwrap_or("") {
        "" => "empty",
        "pencil" => "pencil",
        "light_pencil" => "light_pencil",
        _ => "pen",
    }
}

/// Every box of every registered sheet whose truth says what each box holds.
pub fn box_samples(truth: &Truth, records: &[SheetRecord]) -> Vec<BoxSample> {
    let by_name = crate::accuracy::by_file_name(records);
    let mut out = Vec::new();
    for t in &truth.sheets {
        let Some(rec) = by_name.get(&t.file) else {
            continue;
        };
        for tr in &t.rows {
            let Some(r) = rec.rows.iter().find(|r| r.subject == tr.subject) else {
                continue;
            };
            if tr.boxes.len() != 3 || r.scanner_line {
                continue;
            }
            for k in 0..3 {
                out.push(BoxSample {
                    class: class_of(&tr.boxes[k]),
                    measure: BoxStroke {
                        score: r.scores[k],
                        trace_mm: r.traces[k],
                        tone: r.tones[k],
                        hidden: 0.0,
                        runs_on: r.runs_on[k],
                        spans: r.spans[k],
                        core_mm: r.cores[k],
                        cut_at_frame: r.cut_at_frame[k],
                    },
                });
            }
        }
    }
    out
}

fn quantiles(mut v: Vec<f64>) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    format!(
        "min {:.4}  1% {:.4}  5% {:.4}  50% {:.4}  95% {:.4}  99% {:.4}  max {:.4}",
        q(0.0),
        q(0.01),
        q(0.05),
        q(0.5),
        q(0.95),
        q(0.99),
        q(1.0)
    )
}

/// The report for one run: distributions per class and measure, the rule's calls, margins.
pub fn report(samples: &[BoxSample], t: &MarkThresholds) -> String {
    let classes = ["empty", "pen", "pencil", "light_pencil"];
    let mut s = String::new();
    for class in classes {
        let of: Vec<&BoxStroke> = samples
            .iter()
            .filter(|b| b.class == class)
            .map(|b| &b.measure)
            .collect();
        if of.is_empty() {
            continue;
        }
        let (mut marked, mut empty, mut doubt) = (0, 0, 0);
        for b in &of {
            match box_state(b, t) {
                BoxState::Marked => marked += 1,
                BoxState::Empty => empty += 1,
                BoxState::Doubt => doubt += 1,
            }
        }
        let runs_on = of.iter().filter(|b| b.runs_on).count();
        s.push_str(&format!(
            "{class}: {} boxes → marked {marked}, empty {empty}, in doubt {doubt}; strokes running on past the window {runs_on}\n",
            of.len()
        ));
        s.push_str(&format!(
            "  score {}\n",
            quantiles(of.iter().map(|b| b.score).collect())
        ));
        s.push_str(&format!(
            "  trace {}\n",
            quantiles(of.iter().map(|b| b.trace_mm).collect())
        ));
        s.push_str(&format!(
            "  tone  {}\n",
            quantiles(of.iter().map(|b| b.tone).collect())
        ));
        s.push_str(&format!(
            "  core  {}\n",
            quantiles(of.iter().map(|b| b.core_mm).collect())
        ));
    }
    // The margins the rule relies on.
    let empty: Vec<&BoxStroke> = samples
        .iter()
        .filter(|b| b.class == "empty")
        .map(|b| &b.measure)
        .collect();
    let max = |v: &mut dyn Iterator<Item = f64>| v.fold(0.0f64, f64::max);
    let empty_score = max(&mut empty.iter().map(|b| b.score));
    let empty_trace = max(&mut empty.iter().map(|b| b.trace_mm));
    let empty_core = max(&mut empty
        .iter()
        .filter(|b| b.score >= STROKE_SCORE_MIN && !b.runs_on)
        .map(|b| b.core_mm));
    s.push_str(&format!(
        "margins: empty boxes score at most {empty_score:.4} (definite {}, marginal {}); trace at most {empty_trace:.2} mm (in doubt from {DOUBT_MM}); with score ≥ {STROKE_SCORE_MIN} and not running on, core at most {empty_core:.2} mm (a mark from {STROKE_MM})\n",
        t.definite, t.marginal
    ));
    for class in ["pen", "pencil"] {
        let marked: Vec<&BoxStroke> = samples
            .iter()
            .filter(|b| b.class == class && b.measure.score < t.definite)
            .map(|b| &b.measure)
            .collect();
        if marked.is_empty() {
            continue;
        }
        let min = |v: &mut dyn Iterator<Item = f64>| v.fold(f64::MAX, f64::min);
        s.push_str(&format!(
            "  {class} marks under `definite` ({}): trace from {:.2} mm, core from {:.2} mm, tone from {:.3}\n",
            marked.len(),
            min(&mut marked.iter().map(|b| b.trace_mm)),
            min(&mut marked.iter().map(|b| b.core_mm)),
            min(&mut marked.iter().map(|b| b.tone)),
        ));
    }
    s
}
