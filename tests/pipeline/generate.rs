//! The `generate` stage: what is printed is where `layout.json` says it is, and every page
//! carries the serial registered for it (the registry and the command line: `tests/registry.rs`).
//!
//! The geometry tests render the very PDF that `generate` wrote at 300 dpi and measure, in pixels,
//! the fiducials, the mark boxes, the QR code, the seal and the names, then compare each edge or
//! centre with `layout.json` (tolerance [`TOL_MM`]). Run with `--nocapture` to see the largest
//! error of each kind of element.

use crate::common;
use crate::printed_page;

use std::path::Path;

use common::{Sandbox, fixture};
use kiemphieu::layout::{BallotLayout, RectMm};
use kiemphieu::raster::PrintedPdf;
use kiemphieu::serial::{Serial, parse_qr_payload};
use kiemphieu::vote::Vote;
use printed_page::*;
use serde_json::Value;

// ---- the geometry test -----------------------------------------------------------------------

fn contract_rect(v: &Value, what: &str) -> RectMm {
    for key in ["x_mm", "y_mm", "w_mm", "h_mm"] {
        assert!(
            v[key].is_f64() || v[key].is_i64(),
            "{what}: `{key}` is missing or not a number: {v}"
        );
    }
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Checks layout.json against the contract's field names and returns it typed.
fn read_layout_json(dir: &Path, vote: &Vote) -> BallotLayout {
    let text =
        std::fs::read_to_string(dir.join("layout.json")).expect("generate writes layout.json");
    let v: Value = serde_json::from_str(&text).expect("layout.json is JSON");
    assert_eq!(v["format"], "kiemphieu-layout/1");
    assert_eq!(v["vote"], vote.form.id.as_str());
    assert_eq!(v["page"]["width_mm"].as_f64(), Some(210.0));
    assert_eq!(v["page"]["height_mm"].as_f64(), Some(297.0));
    let fids = v["fiducials"].as_array().expect("fiducials is an array");
    assert_eq!(fids.len(), 4);
    for (i, f) in fids.iter().enumerate() {
        contract_rect(f, &format!("fiducials[{i}]"));
    }
    contract_rect(&v["qr"], "qr");
    contract_rect(&v["stamp"], "stamp");
    let rows = v["rows"].as_array().expect("rows is an array");
    assert_eq!(rows.len(), vote.form.subjects.len());
    for (i, (row, s)) in rows.iter().zip(&vote.form.subjects).enumerate() {
        assert_eq!(
            row["subject"].as_u64(),
            Some(i as u64 + 1),
            "rows[{i}].subject"
        );
        assert_eq!(row["name"], s.name.as_str(), "rows[{i}].name");
        assert_eq!(row["position"], s.position.as_str(), "rows[{i}].position");
        contract_rect(&row["name_rect"], &format!("rows[{i}].name_rect"));
        let boxes = row["boxes"].as_array().expect("boxes is an array");
        assert_eq!(boxes.len(), 3, "rows[{i}].boxes");
        for (k, b) in boxes.iter().enumerate() {
            contract_rect(b, &format!("rows[{i}].boxes[{k}]"));
        }
    }
    let typed: BallotLayout = serde_json::from_str(&text).expect("layout.json is a BallotLayout");
    // What was written is what the program computes (text placements and rules are not written).
    // serde_json reads some decimals back one ulp off, hence the 1e-9 mm.
    let mine = &vote.layout;
    assert_eq!(
        (&typed.format, &typed.vote, &typed.page),
        (&mine.format, &mine.vote, &mine.page)
    );
    let same = |a: &RectMm, b: &RectMm, what: &str| {
        let d = [
            a.x_mm - b.x_mm,
            a.y_mm - b.y_mm,
            a.w_mm - b.w_mm,
            a.h_mm - b.h_mm,
        ];
        assert!(
            d.iter().all(|d| d.abs() < 1e-9),
            "{what}: layout.json {a:?}, computed {b:?}"
        );
    };
    for (i, (a, b)) in typed.fiducials.iter().zip(&mine.fiducials).enumerate() {
        same(a, b, &format!("fiducials[{i}]"));
    }
    same(&typed.qr, &mine.qr, "qr");
    same(&typed.stamp, &mine.stamp, "stamp");
    assert_eq!(typed.rows.len(), mine.rows.len());
    for (a, b) in typed.rows.iter().zip(&mine.rows) {
        assert_eq!(
            (a.subject, &a.name, &a.position),
            (b.subject, &b.name, &b.position)
        );
        same(
            &a.name_rect,
            &b.name_rect,
            &format!("row {} name_rect", a.subject),
        );
        for k in 0..3 {
            same(
                &a.boxes[k],
                &b.boxes[k],
                &format!("row {} boxes[{k}]", a.subject),
            );
        }
    }
    assert_eq!(typed.levels, vote.form.levels);
    // Nothing overlaps: boxes sit apart from each other and from the names.
    for row in &typed.rows {
        for w in row.boxes.windows(2) {
            assert!(
                w[0].right() < w[1].x_mm,
                "row {}: boxes overlap",
                row.subject
            );
        }
        assert!(row.name_rect.right() < row.boxes[0].x_mm);
    }
    typed
}

fn geometry_agrees_for(form_file: &str) {
    let sandbox = Sandbox::new();
    let dir = sandbox.join("vote");
    let mut vote = Vote::init(&dir, &fixture(form_file)).expect("init");
    let batch = vote.generate(2).expect("generate");
    let layout = read_layout_json(&dir, &vote);

    let registered = vote.store.serials().expect("serials");
    assert_eq!(registered.len(), 2);
    let bytes = std::fs::read(&batch.pdf).expect("read the batch PDF");
    let pdf = PrintedPdf::load(bytes.clone()).expect("load the PDF");
    assert_eq!(pdf.page_count(), 2);
    let texts = shown_text(&bytes);

    let mut rep = Report::default();
    for (index, r) in registered.iter().enumerate() {
        assert_eq!((r.batch, r.page, r.voided), (1, index as i64 + 1, false));
        let serial = &r.serial;
        assert_eq!(serial, &batch.serials[index]);
        let page = RenderedPage::render(&pdf, index);
        let (w, h) = page.gray.dimensions();
        // hayro truncates: 210 mm at 300 dpi is 2480.3 px.
        assert_eq!(
            (w, h),
            (2480, 3507),
            "page {} rendered at {w}×{h}",
            index + 1
        );
        if index == 0 {
            measure_fiducials(&page, &layout, &mut rep);
            measure_boxes(&page, &layout, &mut rep);
            measure_qr(&page, &layout, &mut rep);
            measure_stamp(&page, &layout, &mut rep);
            measure_names(&page, &layout, &mut rep);
        }

        // The QR code, read off the whole rendered page.
        let mut prepared = rqrr::PreparedImage::prepare(page.gray.clone());
        let grids = prepared.detect_grids();
        assert_eq!(
            grids.len(),
            1,
            "page {}: {} QR codes found",
            index + 1,
            grids.len()
        );
        let (_, payload) = grids[0].decode().expect("the QR code decodes");
        let (vote_id, read) = parse_qr_payload(&payload).expect("a kiemphieu payload");
        assert_eq!(vote_id, vote.form.id, "page {}", index + 1);
        assert_eq!(
            &read,
            serial,
            "page {} carries another page's serial",
            index + 1
        );
        let tl = grids[0].bounds[0];
        rep.compare(
            "qr corner (rqrr)",
            "top-left x",
            tl.x as f64 / PX_PER_MM,
            layout.qr.x_mm,
            TOL_MM,
        );
        rep.compare(
            "qr corner (rqrr)",
            "top-left y",
            tl.y as f64 / PX_PER_MM,
            layout.qr.y_mm,
            TOL_MM,
        );

        // The serial printed under the QR code, as the PDF shows it.
        let printed: Vec<&ShownText> = texts[index]
            .iter()
            .filter(|t| Serial::parse(&t.text).is_ok() && t.text.len() == 17)
            .collect();
        assert_eq!(
            printed.len(),
            1,
            "page {}: serial texts {printed:?}",
            index + 1
        );
        assert_eq!(printed[0].text, serial.grouped(), "page {}", index + 1);
        let st = &layout.serial_text;
        rep.check(
            st.x_mm <= printed[0].x_mm
                && printed[0].x_mm < st.right()
                && st.y_mm < printed[0].baseline_mm
                && printed[0].baseline_mm <= st.bottom(),
            || {
                format!(
                    "page {}: serial text at {:?} is outside {st:?}",
                    index + 1,
                    printed[0]
                )
            },
        );
        rep.check(st.y_mm >= layout.qr.bottom(), || {
            "the serial text overlaps the QR code".into()
        });
    }

    // Every name is shown as itself (Vietnamese survives the font's ToUnicode map), where
    // name_rect starts, on a baseline inside name_rect.
    for row in &layout.rows {
        let Some(shown) = texts[0].iter().find(|t| t.text == row.name) else {
            panic!("name {:?} is not shown on page 1: {:?}", row.name, texts[0]);
        };
        let r = &row.name_rect;
        rep.compare("name start (pdf text)", &row.name, shown.x_mm, r.x_mm, 0.01);
        rep.check(
            r.y_mm < shown.baseline_mm && shown.baseline_mm < r.bottom(),
            || {
                format!(
                    "name {:?}: baseline {:.2} mm outside {r:?}",
                    row.name, shown.baseline_mm
                )
            },
        );
    }
    rep.finish(form_file);
}

#[test]
fn geometry_agrees_with_layout_json_one_subject() {
    geometry_agrees_for("one-subject.json");
}

#[test]
fn geometry_agrees_with_layout_json_twenty_subjects() {
    geometry_agrees_for("twenty-subjects.json");
}

/// Capitals with two stacked marks (Ễ, Ẫ, Ỗ) are the tallest Vietnamese letters, and a dot
/// below a descender (gỵ) the deepest: their ink must still lie inside `name_rect`.
#[test]
fn geometry_agrees_with_layout_json_stacked_accents() {
    geometry_agrees_for("stacked-accents.json");
}
