//! The current reading profile on sheets drawn here by hand, not by `simulate`: ordinary small ballpoint
//! marks, a scanner streak across a printed name in each of the four ways a sheet can be fed,
//! and blank pages. The marks are drawn with this file's own pen (a thick anti-aliased line in
//! the layout's millimetres), so the reader is judged on ink it was not built around.

use crate::common;

use std::path::{Path, PathBuf};

use image::{GrayImage, Luma};
use kiemphieu::layout::{PointMm, RectMm};
use kiemphieu::raster::PrintedPdf;
use kiemphieu::record::{Outcome, RowReading, RowVerdict, SheetRecord};
use kiemphieu::scan::{Pixels, scan};
use kiemphieu::vote::Vote;

use common::{Sandbox, shipped_form};

const DPI: f64 = 200.0;

/// A vote with four printed ballots, and its pages rendered at `DPI` in grey.
fn printed(sb: &Sandbox) -> (Vote, Vec<GrayImage>) {
    let mut vote = Vote::init(&sb.join("vote"), &shipped_form("tin-nhiem-so-khcn.json")).unwrap();
    let batch = vote.generate(4).unwrap();
    let pdf = PrintedPdf::load(std::fs::read(&batch.pdf).unwrap()).unwrap();
    let pages = (0..4)
        .map(|i| image::DynamicImage::ImageRgb8(pdf.render(i, DPI).unwrap()).into_luma8())
        .collect();
    (vote, pages)
}

/// A ballpoint line from `a` to `b` (page mm), `width` mm wide, `grey` at its core (0 black).
fn pen(img: &mut GrayImage, a: PointMm, b: PointMm, width: f64, grey: u8) {
    let k = DPI / 25.4;
    let (ax, ay, bx, by) = (a.x * k, a.y * k, b.x * k, b.y * k);
    let r = width * k / 2.0;
    let (x0, x1) = (ax.min(bx) - r - 2.0, ax.max(bx) + r + 2.0);
    let (y0, y1) = (ay.min(by) - r - 2.0, ay.max(by) + r + 2.0);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = (dx * dx + dy * dy).max(1e-9);
    for y in y0.max(0.0) as u32..(y1 as u32).min(img.height()) {
        for x in x0.max(0.0) as u32..(x1 as u32).min(img.width()) {
            let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
            let t = (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0);
            let d = (ax + t * dx - px).hypot(ay + t * dy - py);
            let cover = (r + 0.5 - d).clamp(0.0, 1.0);
            let p = img.get_pixel_mut(x, y);
            let v = p.0[0] as f64 * (1.0 - cover * (1.0 - grey as f64 / 255.0));
            p.0[0] = p.0[0].min(v.round() as u8);
        }
    }
}

fn at(b: &RectMm, fx: f64, fy: f64) -> PointMm {
    PointMm {
        x: b.x_mm + fx * b.w_mm,
        y: b.y_mm + fy * b.h_mm,
    }
}

/// A tick spanning `size` of the box (0..1), centred `off` mm right of the box's centre.
fn tick(img: &mut GrayImage, b: &RectMm, size: f64, off: f64) {
    let c = |fx: f64, fy: f64| {
        let p = at(b, 0.5 + (fx - 0.5) * size, 0.5 + (fy - 0.5) * size);
        PointMm {
            x: p.x + off,
            y: p.y,
        }
    };
    pen(img, c(0.1, 0.55), c(0.4, 0.9), 0.35, 70);
    pen(img, c(0.4, 0.9), c(0.95, 0.1), 0.35, 70);
}

/// An X spanning `size` of the box.
fn cross(img: &mut GrayImage, b: &RectMm, size: f64) {
    let c = |fx: f64, fy: f64| at(b, 0.5 + (fx - 0.5) * size, 0.5 + (fy - 0.5) * size);
    pen(img, c(0.0, 0.0), c(1.0, 1.0), 0.4, 60);
    pen(img, c(1.0, 0.0), c(0.0, 1.0), 0.4, 60);
}

fn save(img: &GrayImage, dir: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    img.save(&p).unwrap();
    p
}

fn scan_all(vote: &mut Vote, dir: &Path) -> Vec<SheetRecord> {
    let mut out = Vec::new();
    scan(vote, &[dir.to_owned()], Pixels::Drop, |s| {
        out.push(s.record.clone())
    })
    .unwrap();
    out
}

#[test]
fn a_small_clear_tick_and_a_small_clear_x_are_valid() {
    let sb = Sandbox::new();
    let (mut vote, mut pages) = printed(&sb);
    let rows = vote.layout.rows.clone();
    let img = &mut pages[0];
    // A ballpoint tick over 45 % of the box, an X over half of it, a tick over 40 % spilling
    // 1.5 mm to the right of its box's centre.
    tick(img, &rows[0].boxes[1], 0.45, 0.0);
    cross(img, &rows[1].boxes[0], 0.5);
    tick(img, &rows[2].boxes[2], 0.4, 1.5);
    save(img, &sb.join("scans"), "marked.png");
    let recs = scan_all(&mut vote, &sb.join("scans"));
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r.outcome, Outcome::Counted, "{r:?}");
    let read: Vec<(RowVerdict, Option<usize>)> =
        r.rows.iter().map(|w| (w.verdict, w.choice)).collect();
    assert_eq!(
        read,
        vec![
            (RowVerdict::Valid, Some(1)),
            (RowVerdict::Valid, Some(0)),
            (RowVerdict::Valid, Some(2)),
        ],
        "{r:?}"
    );
}

#[test]
fn a_streak_across_a_printed_name_is_never_a_crossing_in_any_feed_orientation() {
    let sb = Sandbox::new();
    let (mut vote, pages) = printed(&sb);
    let rows = vote.layout.rows.clone();
    let k = DPI / 25.4;
    for (turns, page) in pages.into_iter().enumerate() {
        let mut img = page;
        for (i, row) in rows.iter().enumerate() {
            tick(&mut img, &row.boxes[i % 3], 0.6, 0.0);
        }
        let (w, h) = (img.width(), img.height());
        let name = rows[0].name_rect.center();
        let (nx, ny) = (name.x * k, name.y * k);
        // Fed in `turns` quarter turns: the page turned, then the streak straight down the
        // image, along the feed, through the first name.
        let (mut img, column) = match turns {
            0 => (img, nx),
            1 => (image::imageops::rotate90(&img), h as f64 - 1.0 - ny),
            2 => (image::imageops::rotate180(&img), w as f64 - 1.0 - nx),
            _ => (image::imageops::rotate270(&img), ny),
        };
        let x0 = column as u32;
        for y in 0..img.height() {
            for x in x0..x0 + 2 {
                let p = img.get_pixel_mut(x, y);
                p.0[0] = (p.0[0] as u32 * 100 / 255) as u8;
            }
        }
        save(&img, &sb.join("scans"), &format!("fed-{turns}.png"));
    }
    let recs = scan_all(&mut vote, &sb.join("scans"));
    assert_eq!(recs.len(), 4);
    for r in &recs {
        assert_ne!(r.outcome, Outcome::Error, "{r:?}");
        for w in &r.rows {
            assert_ne!(w.verdict, RowVerdict::CrossedOut, "{}: {w:?}", r.file);
        }
        if r.outcome == Outcome::Counted {
            for (i, w) in r.rows.iter().enumerate() {
                assert_eq!(
                    (w.verdict, w.choice),
                    (RowVerdict::Valid, Some(i % 3)),
                    "{r:?}"
                );
            }
        }
    }
    // Upright and upside down the streak runs across the name, and the sheet is read as it is.
    let counted = recs
        .iter()
        .filter(|r| r.outcome == Outcome::Counted)
        .count();
    assert!(counted >= 2, "{recs:?}");
}

#[test]
fn a_blank_page_is_blank_and_a_page_of_text_is_not() {
    let sb = Sandbox::new();
    let (mut vote, _) = printed(&sb);
    let (w, h) = ((210.0 * DPI / 25.4) as u32, (297.0 * DPI / 25.4) as u32);
    // The back side of a sheet: paper, a little dust, a streak down the glass.
    let mut back = GrayImage::from_pixel(w, h, Luma([236]));
    for (x, y) in [(300, 400), (900, 1500), (1200, 2000)] {
        back.put_pixel(x, y, Luma([70]));
    }
    for y in 0..h {
        back.get_pixel_mut(700, y).0[0] = 150;
    }
    save(&back, &sb.join("scans"), "back.png");
    // A page of some other document: lines of text.
    let mut text = GrayImage::from_pixel(w, h, Luma([240]));
    for line in 0..30 {
        let y = 300.0 / k_px() + line as f64 * 7.0;
        pen(
            &mut text,
            PointMm { x: 25.0, y },
            PointMm { x: 180.0, y },
            1.2,
            90,
        );
    }
    save(&text, &sb.join("scans"), "letter.png");
    let recs = scan_all(&mut vote, &sb.join("scans"));
    let by = |name: &str| recs.iter().find(|r| r.file.ends_with(name)).unwrap();
    assert_eq!(
        by("back.png").outcome,
        Outcome::Blank,
        "{:?}",
        by("back.png")
    );
    assert_eq!(by("back.png").reason, None);
    assert_eq!(
        by("letter.png").outcome,
        Outcome::Review,
        "{:?}",
        by("letter.png")
    );
}

/// A fibre (0.1 mm, dark) over the middle half of a name, reaching neither end.
fn fibre_over(img: &mut GrayImage, n: &RectMm) {
    let y = n.y_mm + n.h_mm * 0.55;
    let a = PointMm {
        x: n.x_mm + n.w_mm * 0.25,
        y,
    };
    let b = PointMm {
        x: n.x_mm + n.w_mm * 0.75,
        y: y + 0.2,
    };
    pen(img, a, b, 0.1, 50);
}

fn k_px() -> f64 {
    DPI / 25.4
}

#[test]
fn a_hair_across_or_over_part_of_a_name_is_never_a_crossing_and_a_pen_line_still_is() {
    let sb = Sandbox::new();
    let (mut vote, mut pages) = printed(&sb);
    let rows = vote.layout.rows.clone();
    for img in pages.iter_mut().take(3) {
        for (i, row) in rows.iter().enumerate() {
            tick(img, &row.boxes[i % 3], 0.6, 0.0);
        }
    }
    // Sheet 1: a hair (0.1 mm, dark) straight through the second name, from the number column
    // far into the position column.
    let n = rows[1].name_rect;
    let y = n.y_mm + n.h_mm * 0.55;
    pen(
        &mut pages[0],
        PointMm {
            x: rows[1].row_rect.x_mm + 2.0,
            y: y - 0.4,
        },
        PointMm {
            x: n.right() + 30.0,
            y: y + 0.6,
        },
        0.1,
        50,
    );
    save(&pages[0], &sb.join("scans"), "hair.png");
    // Sheet 2: the voter's own line through the same name, overrunning it by 1–2 mm.
    pen(
        &mut pages[1],
        PointMm { x: n.x_mm - 1.0, y },
        PointMm {
            x: n.right() + 2.0,
            y: y + 0.3,
        },
        0.4,
        60,
    );
    save(&pages[1], &sb.join("scans"), "struck.png");
    // Sheet 3: a fibre over the middle half of the name: it covers more of the name than a
    // crossing needs, but no voter's line stops there.
    fibre_over(&mut pages[2], &n);
    save(&pages[2], &sb.join("scans"), "fibre.png");
    let recs = scan_all(&mut vote, &sb.join("scans"));
    let by = |name: &str| recs.iter().find(|r| r.file.ends_with(name)).unwrap();
    let hair = by("hair.png");
    assert_ne!(hair.rows[1].verdict, RowVerdict::CrossedOut, "{hair:?}");
    if hair.outcome == Outcome::Counted {
        assert_eq!(hair.rows[1].choice, Some(1), "{hair:?}");
    }
    let struck = by("struck.png");
    assert_eq!(struck.rows[1].verdict, RowVerdict::CrossedOut, "{struck:?}");
    let fibre = by("fibre.png");
    assert!(fibre.rows[1].strike >= 0.5, "the fibre is seen: {fibre:?}");
    assert_eq!(fibre.rows[1].verdict, RowVerdict::Ambiguous, "{fibre:?}");
}

#[test]
fn a_vote_frozen_with_profile_2_is_still_read_and_audited_with_profile_2() {
    let sb = Sandbox::new();
    let (vote, mut pages) = printed(&sb);
    // The vote as the previous release froze it: profile 2, which had no `strike_ends`.
    let form_path = vote.dir.join("form.json");
    let mut form: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&form_path).unwrap()).unwrap();
    assert_eq!(
        form["marks"]["profile"], 6,
        "init freezes the current profile"
    );
    form["marks"]["profile"] = 2.into();
    std::fs::write(&form_path, serde_json::to_vec_pretty(&form).unwrap()).unwrap();
    let mut vote = Vote::open(&vote.dir).unwrap();
    let rows = vote.layout.rows.clone();
    for (i, row) in rows.iter().enumerate() {
        tick(&mut pages[0], &row.boxes[i % 3], 0.6, 0.0);
    }
    fibre_over(&mut pages[0], &rows[1].name_rect);
    save(&pages[0], &sb.join("scans"), "fibre.png");
    let recs = scan_all(&mut vote, &sb.join("scans"));
    // Profile 2 takes the fibre for a crossing, as it did when the vote was counted; profile 3
    // would not (see the test above), and it does not re-read this vote.
    assert_eq!(
        recs[0].rows[1].verdict,
        RowVerdict::CrossedOut,
        "{:?}",
        recs[0]
    );
    assert!(
        recs[0]
            .rows
            .iter()
            .all(|r| r.strike_ends.is_none() && r.hand_tone.is_none())
    );
    // The sheet re-reads the same; the only difference is the hand edit of form.json above,
    // which the audit rightly reports against the hash the event log holds.
    let report = kiemphieu::audit::audit(&vote, None).unwrap();
    let whats: Vec<&str> = report.differences.iter().map(|d| d.what.as_str()).collect();
    assert_eq!(whats, ["form_edited"], "{:?}", report.differences);
}

#[test]
fn a_fibre_over_an_empty_box_beside_a_vote_does_not_make_it_multiple_marks() {
    let sb = Sandbox::new();
    let (mut vote, mut pages) = printed(&sb);
    let rows = vote.layout.rows.clone();
    // A ballpoint tick in the middle box of every row …
    for row in &rows {
        tick(&mut pages[0], &row.boxes[1], 0.6, 0.0);
    }
    // … and a fibre on the glass (0.1 mm, grey 150) lying diagonally over the second row's
    // empty first box, wholly inside the margin around it.
    let b = rows[1].boxes[0];
    pen(
        &mut pages[0],
        at(&b, 0.15, 0.2),
        at(&b, 0.8, 0.85),
        0.1,
        150,
    );
    save(&pages[0], &sb.join("scans"), "fibre-in-box.png");
    let recs = scan_all(&mut vote, &sb.join("scans"));
    let row = &recs[0].rows[1];
    assert!(
        matches!(
            (row.verdict, row.choice),
            (RowVerdict::Valid, Some(1)) | (RowVerdict::Ambiguous, None)
        ),
        "the vote stands, or a person reads the row: {:?}",
        recs[0]
    );
    for other in [0, 2] {
        assert_eq!(recs[0].rows[other].choice, Some(1), "{:?}", recs[0]);
    }
}

/// A crease of the ballot folded in thirds, straight across the whole page at `y` mm (rising
/// `slope`): a 0.25 mm line 12 % darker than the paper with a 4 mm shadow below it, 6 % darker
/// at the line and fading out; then a scanner's grain (±8 grey levels) over the whole page.
fn crease_across(img: &mut GrayImage, y: f64, slope: f64) {
    let k = k_px();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for py in 0..img.height() {
        for px in 0..img.width() {
            let (x_mm, y_mm) = ((px as f64 + 0.5) / k, (py as f64 + 0.5) / k);
            let d = y_mm - (y + slope * x_mm);
            let line = if d.abs() <= 0.125 { 0.12 } else { 0.0 };
            let shadow = if d > 0.0 && d < 4.0 {
                0.06 * (1.0 - d / 4.0)
            } else {
                0.0
            };
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let grain = ((seed >> 33) % 17) as f64 - 8.0;
            let p = img.get_pixel_mut(px, py);
            let v = p.0[0] as f64 * (1.0 - line) * (1.0 - shadow) + grain;
            p.0[0] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
}

#[test]
fn a_folds_crease_through_the_first_row_is_taken_off_its_boxes() {
    let sb = Sandbox::new();
    let (vote, mut pages) = printed(&sb);
    let rows = vote.layout.rows.clone();
    for (i, row) in rows.iter().enumerate() {
        tick(&mut pages[0], &row.boxes[(i + 1) % 3], 0.6, 0.0);
    }
    // The crease runs through the first row's boxes, a little above their middle.
    let b = rows[0].boxes[0];
    crease_across(&mut pages[0], b.y_mm + 0.4 * b.h_mm, 0.004);
    save(&pages[0], &sb.join("scans"), "folded.png");
    // The same sheet in a vote frozen with profile 3, and in one with the current profile.
    let copy = sb.join("vote3");
    let mut v3 = Vote::init(&copy, &shipped_form("tin-nhiem-so-khcn.json")).unwrap();
    let form_path = v3.dir.join("form.json");
    let mut form: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&form_path).unwrap()).unwrap();
    form["marks"]["profile"] = 3.into();
    std::fs::write(&form_path, serde_json::to_vec_pretty(&form).unwrap()).unwrap();
    v3 = Vote::open(&v3.dir).unwrap();
    let read3 = kiemphieu::interpret::interpret_page(&pages[0], &v3.layout, &v3.form.marks);
    let read4 = kiemphieu::interpret::interpret_page(&pages[0], &vote.layout, &vote.form.marks);
    // Profile 3 doubts a box the crease runs through …
    assert_eq!(
        read3.rows[0].verdict,
        RowVerdict::Ambiguous,
        "{:?}",
        read3.rows[0]
    );
    // … profile 4 finds the crease in both margins and reads the voter's tick, and says so.
    let row = &read4.rows[0];
    assert_eq!(
        (row.verdict, row.choice),
        (RowVerdict::Valid, Some(1)),
        "{row:?}"
    );
    assert!(row.crease.is_some_and(|c| c > 0.05 && c < 0.25), "{row:?}");
    for (i, r) in read4.rows.iter().enumerate().skip(1) {
        assert_eq!(
            (r.verdict, r.choice),
            (RowVerdict::Valid, Some((i + 1) % 3)),
            "{r:?}"
        );
    }
}

/// The rows of a page read with reading profile `profile`.
fn read_with(vote: &Vote, img: &GrayImage, profile: u32) -> Vec<RowReading> {
    let marks = kiemphieu::form::MarkThresholds {
        profile: Some(profile),
        ..vote.form.marks
    };
    kiemphieu::interpret::interpret_page(img, &vote.layout, &marks).rows
}

/// Three sheets with every row ticked in its first box (a ballpoint) and a streak down the
/// third column of boxes, each sheet's given as its width (px), its shade, and the grey of a
/// 0.3 mm line wholly under it in the second row's third box, if there is one.
fn ticked_under_a_streak(
    vote: &Vote,
    pages: &mut [GrayImage],
    sheets: [(u32, f64, Option<u8>); 3],
) {
    let rows = &vote.layout.rows;
    let column = rows[0].boxes[2].center().x * k_px();
    for (img, (width, shade, line)) in pages.iter_mut().zip(sheets) {
        for row in rows {
            tick(img, &row.boxes[0], 0.6, 0.0);
        }
        if let Some(grey) = line {
            let b = &rows[1].boxes[2];
            let x = b.center().x;
            let (y0, y1) = (b.y_mm + 1.5, b.y_mm + b.h_mm - 1.5);
            pen(img, PointMm { x, y: y0 }, PointMm { x, y: y1 }, 0.3, grey);
        }
        streak_down(img, (column - width as f64 / 2.0) as u32, width, shade);
    }
}

/// Every row goes to a person: the streak could hide something in it.
fn all_left_to_a_person_by_the_streak(rows: &[RowReading]) {
    for r in rows {
        assert_eq!(r.verdict, RowVerdict::Ambiguous, "{r:?}");
        assert!(r.scanner_line, "{r:?}");
    }
}

/// Every row is read as its first box ticked, its boxes seen through the streak.
fn all_read_through_the_streak(rows: &[RowReading]) {
    for r in rows {
        assert_eq!((r.verdict, r.choice), (RowVerdict::Valid, Some(0)), "{r:?}");
        assert!(r.seen_through && !r.scanner_line, "{r:?}");
    }
}

/// A speck on the scanner's glass: the columns `x0..x0 + width` multiplied by `shade` down the
/// whole image, with a half-strength column either side.
fn streak_down(img: &mut GrayImage, x0: u32, width: u32, shade: f64) {
    for y in 0..img.height() {
        for x in x0 - 1..=x0 + width {
            let s = if x < x0 || x == x0 + width {
                (1.0 + shade) / 2.0
            } else {
                shade
            };
            let p = img.get_pixel_mut(x, y);
            p.0[0] = (p.0[0] as f64 * s).round() as u8;
        }
    }
}

#[test]
fn a_light_streak_is_seen_through_and_a_pencil_line_under_it_is_never_lost() {
    let sb = Sandbox::new();
    let (vote, mut pages) = printed(&sb);
    // A streak letting 60 % of the light through: 7 px on sheets 0 and 1 (with its soft edges
    // and the reader's margin, 1.4 mm: a third of each box is hidden), 4 px on sheet 2. Sheets 1
    // and 2 carry a pencil line (HB's light end) under it: a second mark.
    ticked_under_a_streak(
        &vote,
        &mut pages,
        [(7, 0.6, None), (7, 0.6, Some(170)), (4, 0.6, Some(170))],
    );
    let read = |img: &GrayImage, p: u32| read_with(&vote, img, p);
    // Sheet 0: profile 4 cannot call the hidden boxes empty and sends every row to a person;
    // profile 5 sees the boxes through the streak, empty, and reads the ticks.
    all_left_to_a_person_by_the_streak(&read(&pages[0], 4));
    all_read_through_the_streak(&read(&pages[0], 5));
    // Sheet 1: seen through, the box holds the pencil line: it stays a person's, and seeing
    // through never makes it a mark (the row is not `multiple_marks` on that evidence alone).
    let rows5 = read(&pages[1], 5);
    assert_eq!(rows5[1].verdict, RowVerdict::Ambiguous, "{:?}", rows5[1]);
    assert!(!rows5[1].seen_through, "{:?}", rows5[1]);
    // Sheet 2: the narrower streak hides under 30 % of the box, so profile 4 reads the box
    // beside it and counts a vote, losing the second mark; profile 5 looks under the streak.
    let rows4 = read(&pages[2], 4);
    assert_eq!(
        (rows4[1].verdict, rows4[1].choice),
        (RowVerdict::Valid, Some(0)),
        "profile 4 was expected to miss the line: {:?}",
        rows4[1]
    );
    let rows5 = read(&pages[2], 5);
    assert_eq!(rows5[1].verdict, RowVerdict::Ambiguous, "{:?}", rows5[1]);
    assert!(rows5[1].scanner_line, "{:?}", rows5[1]);
    for r in rows5.iter().filter(|r| r.subject != rows5[1].subject) {
        assert_eq!((r.verdict, r.choice), (RowVerdict::Valid, Some(0)), "{r:?}");
    }
}

#[test]
fn a_darker_streak_is_seen_through_where_the_voters_own_pen_would_show() {
    let sb = Sandbox::new();
    let (vote, mut pages) = printed(&sb);
    // A 7 px streak hiding a third of each box. It lets 35 % of the light through on sheets 0
    // and 1: too dark for the faintest pencil (profile 5), light enough for this voter's
    // ballpoint at its faintest. Sheet 1 also carries a line of the same pen, lighter than the
    // ticks, under it: a second mark. On sheet 2 the streak lets through 15 %, under any hand's
    // limit.
    ticked_under_a_streak(
        &vote,
        &mut pages,
        [(7, 0.35, None), (7, 0.35, Some(150)), (7, 0.15, None)],
    );
    let read = |img: &GrayImage, p: u32| read_with(&vote, img, p);
    // Sheet 0: profile 5 cannot see through and sends every row to a person; profile 6 sees
    // the boxes through the streak, empty, and reads the ticks.
    all_left_to_a_person_by_the_streak(&read(&pages[0], 5));
    all_read_through_the_streak(&read(&pages[0], 6));
    // Sheet 1: through the streak the second mark is there: that row stays a person's, the
    // others are read.
    let rows6 = read(&pages[1], 6);
    assert_eq!(rows6[1].verdict, RowVerdict::Ambiguous, "{:?}", rows6[1]);
    assert!(
        rows6[1].scanner_line && !rows6[1].seen_through,
        "{:?}",
        rows6[1]
    );
    for r in rows6.iter().filter(|r| r.subject != rows6[1].subject) {
        assert_eq!((r.verdict, r.choice), (RowVerdict::Valid, Some(0)), "{r:?}");
    }
    // Sheet 2: too dark for any pen: every row is a person's.
    all_left_to_a_person_by_the_streak(&read(&pages[2], 6));
}

#[test]
fn a_short_stroke_is_doubted_only_where_a_hair_may_be_cut_off_at_the_frame() {
    let sb = Sandbox::new();
    let (vote, mut pages) = printed(&sb);
    let rows = vote.layout.rows.clone();
    // Every row but the second ticked in its first box with a ballpoint. The second row's
    // middle box holds a short slash of the same pen (1.1 mm at 45°, 0.3 mm) on sheet 0, clear
    // of the frame; on sheet 1 the same slash reaches the frame and a hair (0.1 mm, grey 60)
    // comes out of the band beyond it, as if the slash were a piece of the hair cut off there.
    for (i, img) in pages.iter_mut().take(2).enumerate() {
        for row in rows.iter().filter(|r| r.subject != rows[1].subject) {
            tick(img, &row.boxes[0], 0.6, 0.0);
        }
        let b = rows[1].boxes[1];
        let (dx, dy) = (
            1.1 * 45f64.to_radians().cos(),
            1.1 * 45f64.to_radians().sin(),
        );
        let start = if i == 0 {
            at(&b, 0.45, 0.45)
        } else {
            PointMm {
                x: b.right() - 1.0 - dx,
                y: b.y_mm + 2.0,
            }
        };
        let end = PointMm {
            x: start.x + dx,
            y: start.y + dy,
        };
        pen(img, start, end, 0.3, 70);
        if i == 1 {
            let out = PointMm {
                x: b.right() + 1.0,
                y: end.y + 2.0 * dy / dx,
            };
            pen(
                img,
                out,
                PointMm {
                    x: out.x + 4.0,
                    y: out.y + 4.0 * dy / dx,
                },
                0.1,
                60,
            );
        }
    }
    let read = |img: &GrayImage, p: u32| read_with(&vote, img, p);
    let (five, six) = (read(&pages[0], 5), read(&pages[0], 6));
    assert!(
        six[1].cores[1] >= 1.2 && six[1].cores[1] < 1.5 && six[1].scores[1] < 0.025,
        "the slash should be short and light: {:?}",
        six[1]
    );
    assert_eq!(five[1].verdict, RowVerdict::Ambiguous, "{:?}", five[1]);
    assert_eq!(
        (six[1].verdict, six[1].choice),
        (RowVerdict::Valid, Some(1)),
        "{:?}",
        six[1]
    );
    assert!(!six[1].cut_at_frame[1], "{:?}", six[1]);
    let six = read(&pages[1], 6);
    assert!(six[1].cut_at_frame[1], "{:?}", six[1]);
    assert_eq!(six[1].verdict, RowVerdict::Ambiguous, "{:?}", six[1]);
    for r in six.iter().filter(|r| r.subject != six[1].subject) {
        assert_eq!((r.verdict, r.choice), (RowVerdict::Valid, Some(0)), "{r:?}");
    }
}

#[test]
fn a_light_hair_over_the_box_beside_a_ballpoint_tick_is_not_a_second_mark() {
    let sb = Sandbox::new();
    let (vote, mut pages) = printed(&sb);
    let rows = vote.layout.rows.clone();
    // A ballpoint tick in the last box of every row, and a light hair (0.08 mm, grey 170) over
    // the second row's first box, from outside the frame across it.
    for row in &rows {
        tick(&mut pages[0], &row.boxes[2], 0.6, 0.0);
    }
    let b = rows[1].boxes[0];
    pen(
        &mut pages[0],
        PointMm {
            x: b.x_mm - 1.5,
            y: b.y_mm + 0.8,
        },
        at(&b, 0.7, 0.8),
        0.08,
        170,
    );
    let (five, six) = (
        read_with(&vote, &pages[0], 5),
        read_with(&vote, &pages[0], 6),
    );
    let hand = six[1].hand_tone.expect("three ticks");
    assert!(
        six[1].tones[0] < 0.6 * hand && six[1].scores[0] < 0.012 && six[1].traces[0] >= 1.0,
        "the hair should be light and thin beside the hand's {hand}: {:?}",
        six[1]
    );
    assert_eq!(five[1].verdict, RowVerdict::Ambiguous, "{:?}", five[1]);
    assert_eq!(
        (six[1].verdict, six[1].choice),
        (RowVerdict::Valid, Some(2)),
        "{:?}",
        six[1]
    );
}

#[test]
fn a_small_tick_a_darker_streak_cuts_in_two_is_seen_whole() {
    let sb = Sandbox::new();
    let (vote, mut pages) = printed(&sb);
    let rows = vote.layout.rows.clone();
    // Ballpoint ticks in the first box of rows 1 and 3 (the voter's hand), and a small one in
    // the third box of row 2, which a 7 px streak letting through 35 % of the light cuts in
    // two: its pieces either side are too short to call alone.
    tick(&mut pages[0], &rows[0].boxes[0], 0.6, 0.0);
    tick(&mut pages[0], &rows[2].boxes[0], 0.6, 0.0);
    tick(&mut pages[0], &rows[1].boxes[2], 0.4, 0.0);
    let column = rows[1].boxes[2].center().x * k_px();
    streak_down(&mut pages[0], (column - 3.5) as u32, 7, 0.35);
    let (five, six) = (
        read_with(&vote, &pages[0], 5),
        read_with(&vote, &pages[0], 6),
    );
    assert_eq!(five[1].verdict, RowVerdict::Ambiguous, "{:?}", five[1]);
    assert_eq!(
        (six[1].verdict, six[1].choice),
        (RowVerdict::Valid, Some(2)),
        "{:?}",
        six[1]
    );
    assert!(six[1].seen_through, "{:?}", six[1]);
}
