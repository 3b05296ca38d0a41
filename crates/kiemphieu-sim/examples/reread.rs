//! Re-reads a simulated folder's genuine sheets with a chosen reading profile and compares the
//! rows with the truth, without a store: the quick loop for working on a rule.
//! `cargo run --release --example reread -- FOLDER [PROFILE]` (FOLDER as the accuracy example
//! leaves it: `scans/` with `truth.json`, and `vote/`). Prints each clear sheet a person would
//! get, each misread row, and the totals. With `KP_BOXES=1` it first prints a line for every
//! box of every genuine sheet (`BOX file subject box truth score trace core tone hand verdict
//! choice cut_at_frame notes`), for looking at a measure's spread by what the box really holds.
use kiemphieu::record::RowVerdict;
use kiemphieu::simulate::{SheetKind, Truth};
use rayon::prelude::*;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let dir = std::path::Path::new(&a[1]);
    let vote = kiemphieu::vote::Vote::open(&dir.join("vote")).expect("vote");
    let mut marks = vote.form.marks;
    if let Some(p) = a.get(2).and_then(|s| s.parse().ok()) {
        marks.profile = Some(p);
    }
    let truth: Truth =
        serde_json::from_slice(&std::fs::read(dir.join("scans/truth.json")).expect("truth"))
            .expect("truth.json");
    let sheets: Vec<_> = truth
        .sheets
        .iter()
        .filter(|t| t.kind == SheetKind::Genuine && !t.rows.is_empty())
        .collect();
    let boxes = std::env::var_os("KP_BOXES").is_some();
    let lines: Vec<(bool, bool, usize, String, String)> = sheets
        .par_iter()
        .map(|t| {
            let bytes = std::fs::read(dir.join("scans").join(&t.file)).expect("image");
            let pages = kiemphieu::interpret::decode::decode_pages(&bytes).expect("decode");
            let r = kiemphieu::interpret::interpret_page(&pages[0], &vote.layout, &marks);
            let review =
                r.rows.is_empty() || r.rows.iter().any(|x| x.verdict == RowVerdict::Ambiguous);
            let mut out = String::new();
            let mut box_lines = String::new();
            let mut misread = 0;
            for tr in &t.rows {
                let Some(x) = r.rows.iter().find(|x| x.subject == tr.subject) else {
                    continue;
                };
                for k in (0..3).filter(|_| boxes) {
                    let truth = tr
                        .boxes
                        .get(k)
                        .map_or("?", |s| if s.is_empty() { "-" } else { s });
                    box_lines.push_str(&format!(
                        "BOX {} {} {k} {truth} {} {} {} {} {} {} {} {} {}\n",
                        t.file,
                        tr.subject,
                        x.scores[k],
                        x.traces[k],
                        x.cores[k],
                        x.tones[k],
                        x.hand_tone.unwrap_or(-1.0),
                        x.verdict.as_str(),
                        x.choice.map_or(-1, |c| c as i64),
                        x.cut_at_frame[k],
                        t.notes.join(",")
                    ));
                }
                let same = x.verdict == tr.verdict
                    && (tr.verdict != RowVerdict::Valid || x.choice == tr.choice);
                if x.verdict == RowVerdict::Ambiguous || (!review && !same) {
                    if !review && !same {
                        misread += 1;
                    }
                    out.push_str(&format!(
                        "  row {} truth {} {:?} {:?} read {} {:?}\n",
                        tr.subject,
                        tr.verdict.as_str(),
                        tr.choice,
                        tr.boxes,
                        x.verdict.as_str(),
                        serde_json::to_string(x).unwrap_or_default()
                    ));
                }
            }
            let head = format!("{} {:?} {}\n", t.file, t.notes, t.faults.dpi);
            (t.clear, review, misread, head + &out, box_lines)
        })
        .collect();
    for (.., box_lines) in &lines {
        print!("{box_lines}");
    }
    let (mut clear, mut clear_review, mut misread) = (0, 0, 0);
    for (c, review, m, text, _) in &lines {
        clear += *c as usize;
        clear_review += (*c && *review) as usize;
        misread += m;
        if (*c && *review) || *m > 0 {
            print!("{}{text}", if *m > 0 { "MISREAD " } else { "" });
        }
    }
    println!(
        "genuine {} clear {clear} clear to review {clear_review} ({:.2}%) misread rows {misread}",
        lines.len(),
        100.0 * clear_review as f64 / clear.max(1) as f64
    );
}
