//! The project's three PDFs made from one vote folder with nothing left to chance (its first
//! serials, a fixed time, a fixed sample seed), each page rendered to PNG; and a pixel comparison
//! of two such folders. For checking that a change to the PDF writers leaves every page as it was:
//!
//! ```sh
//! cargo run --example pdf_pages -- write VOTE_DIR OUT_DIR     # ballots, minutes, sample: PDFs + PNGs
//! cargo run --example pdf_pages -- compare OUT_A OUT_B        # exit 1 if any page differs
//! ```
use std::path::Path;

use kiemphieu::minutes::MinutesInput;
use kiemphieu::vote::Vote;

/// Resolution of the rendered pages: enough to see a 0.1 mm shift.
const DPI: f64 = 150.0;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    match a.get(1).map(String::as_str) {
        Some("write") => write(Path::new(&a[2]), Path::new(&a[3])),
        Some("compare") => compare(Path::new(&a[2]), Path::new(&a[3])),
        _ => panic!("usage: pdf_pages write VOTE_DIR OUT_DIR | compare OUT_A OUT_B"),
    }
}

fn write(vote_dir: &Path, out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    let vote = Vote::open_read_only(vote_dir).unwrap();
    let serials: Vec<_> = vote
        .store
        .serials()
        .unwrap()
        .into_iter()
        .take(2)
        .map(|r| r.serial)
        .collect();
    let ballots = kiemphieu::print::render_ballots(&vote.form, &vote.layout, &serials, None)
        .expect("ballots");
    let tally = kiemphieu::api::tally(&vote).unwrap();
    let committee = kiemphieu::review::meeting(&vote)
        .unwrap()
        .map(|m| m.committee)
        .unwrap_or_default();
    let minutes = kiemphieu::minutes::render_minutes(&MinutesInput {
        form: &vote.form,
        tally: &tally,
        committee,
        draft: true,
        generated_at: "30/11/2026 09:15".into(),
    })
    .expect("minutes");
    let sheets = kiemphieu::sample::pick(&vote, 2, 4821).unwrap();
    let sample = kiemphieu::sample::sample_pdf(&vote, &sheets, 4821).unwrap();
    for (name, pdf) in [
        ("ballots", ballots),
        ("minutes", minutes),
        ("sample", sample),
    ] {
        std::fs::write(out.join(format!("{name}.pdf")), &pdf).unwrap();
        let doc = kiemphieu::raster::PrintedPdf::load(pdf).unwrap();
        for page in 0..doc.page_count() {
            let img = doc.render(page, DPI).unwrap();
            img.save(out.join(format!("{name}-{}.png", page + 1)))
                .unwrap();
        }
    }
}

fn compare(a: &Path, b: &Path) {
    let pngs = |dir: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".png"))
            .collect();
        v.sort();
        v
    };
    let (na, nb) = (pngs(a), pngs(b));
    assert_eq!(na, nb, "the two folders have different pages");
    let mut differ = 0;
    for n in &na {
        let ia = image::open(a.join(n)).unwrap().to_rgb8();
        let ib = image::open(b.join(n)).unwrap().to_rgb8();
        let changed = if ia.dimensions() != ib.dimensions() {
            usize::MAX
        } else {
            ia.pixels().zip(ib.pixels()).filter(|(p, q)| p != q).count()
        };
        println!("{n}: {changed} pixels differ");
        differ += (changed > 0) as usize;
    }
    println!("{} pages, {differ} differ", na.len());
    std::process::exit((differ > 0) as i32);
}
