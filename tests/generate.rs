//! The `generate` stage: what is printed is where `layout.json` says it is, every page carries the
//! serial registered for it, and the registry and the command line behave as the contract says.
//!
//! The geometry tests render the very PDF that `generate` wrote at 300 dpi and measure, in pixels,
//! the fiducials, the mark boxes, the QR code, the seal and the names, then compare each edge or
//! centre with `layout.json` (tolerance [`TOL_MM`]). Run with `--nocapture` to see the largest
//! error of each kind of element.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use common::{EXIT_CANNOT_RUN, Sandbox, entries, fixture};
use hayro::hayro_interpret::font::GlyphRun;
use hayro::hayro_interpret::hayro_cmap::BfString;
use hayro::hayro_interpret::kurbo::{BezPath, Point};
use hayro::hayro_interpret::util::TransformExt;
use hayro::hayro_interpret::{
    BlendMode, ClipPath, Context, Device, DrawMode, DrawProps, Image, ImageDrawProps,
    InterpreterCache, InterpreterSettings, SoftMask, interpret_page,
};
use hayro::hayro_syntax::Pdf;
use image::{GrayImage, RgbImage};
use kiemphieu::layout::{BallotLayout, FIDUCIAL_HOLE_MM, RULE_MM, RectMm};
use kiemphieu::raster::PrintedPdf;
use kiemphieu::serial::{Serial, parse_qr_payload};
use kiemphieu::store::ChainCheck;
use kiemphieu::vote::{MAX_BATCH, Vote};
use serde_json::Value;

const DPI: f64 = 300.0;
const PX_PER_MM: f64 = DPI / 25.4;
/// How far a printed edge or centre may be from where `layout.json` puts it.
const TOL_MM: f64 = 0.3;
/// Luma under which a pixel counts as ink.
const INK: u8 = 128;
const MM_PER_PT: f64 = 25.4 / 72.0;

// ---- a rendered page, measured in pixels -----------------------------------------------------

struct RenderedPage {
    gray: GrayImage,
    rgb: RgbImage,
}

/// A pixel window `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug)]
struct Window {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
}

impl RenderedPage {
    fn render(pdf: &PrintedPdf, index: usize) -> RenderedPage {
        let rgb = pdf.render(index, DPI).expect("render page");
        let gray = image::DynamicImage::ImageRgb8(rgb.clone()).to_luma8();
        RenderedPage { gray, rgb }
    }

    /// The pixels covering `r` grown by `margin_mm` on every side, clipped to the page.
    fn window(&self, r: &RectMm, margin_mm: f64) -> Window {
        let clip = |mm: f64, max: u32| ((mm * PX_PER_MM).round().max(0.0) as u32).min(max);
        let (w, h) = self.gray.dimensions();
        Window {
            x0: clip(r.x_mm - margin_mm, w),
            y0: clip(r.y_mm - margin_mm, h),
            x1: clip(r.right() + margin_mm, w),
            y1: clip(r.bottom() + margin_mm, h),
        }
    }

    fn luma(&self, x: u32, y: u32) -> u8 {
        self.gray.get_pixel(x, y)[0]
    }

    fn is_ink(&self, x: u32, y: u32) -> bool {
        self.luma(x, y) < INK
    }

    /// 0 for white paper, 1 for full black.
    fn darkness(&self, x: u32, y: u32) -> f64 {
        (255 - self.luma(x, y)) as f64 / 255.0
    }

    fn is_red(&self, x: u32, y: u32) -> bool {
        let p = self.rgb.get_pixel(x, y);
        p[0] as i32 - p[1] as i32 > 80 && p[0] as i32 - p[2] as i32 > 80
    }

    /// The bounding box, in mm, of the pixels of `w` that satisfy `pred`.
    fn bbox_mm(&self, w: Window, pred: impl Fn(u32, u32) -> bool) -> Option<RectMm> {
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        for y in w.y0..w.y1 {
            for x in w.x0..w.x1 {
                if pred(x, y) {
                    x0 = x0.min(x);
                    y0 = y0.min(y);
                    x1 = x1.max(x + 1);
                    y1 = y1.max(y + 1);
                }
            }
        }
        (x0 != u32::MAX).then(|| {
            RectMm::new(
                x0 as f64 / PX_PER_MM,
                y0 as f64 / PX_PER_MM,
                (x1 - x0) as f64 / PX_PER_MM,
                (y1 - y0) as f64 / PX_PER_MM,
            )
        })
    }

    /// Ink area (mm²) and its darkness-weighted centroid (mm) over `w`.
    fn ink_mass(&self, w: Window) -> (f64, f64, f64) {
        let (mut m, mut mx, mut my) = (0.0, 0.0, 0.0);
        for y in w.y0..w.y1 {
            for x in w.x0..w.x1 {
                let d = self.darkness(x, y);
                m += d;
                mx += d * (x as f64 + 0.5);
                my += d * (y as f64 + 0.5);
            }
        }
        let area = m / (PX_PER_MM * PX_PER_MM);
        (area, mx / m / PX_PER_MM, my / m / PX_PER_MM)
    }

    fn count(&self, w: Window, pred: impl Fn(u32, u32) -> bool) -> usize {
        (w.y0..w.y1)
            .flat_map(|y| (w.x0..w.x1).map(move |x| (x, y)))
            .filter(|&(x, y)| pred(x, y))
            .count()
    }

    /// Walks from pixel `(x, y)` in direction `(dx, dy)` for at most `max` pixels; at the first ink
    /// pixel takes the whole ink run and returns its darkness-weighted centre along the walk (in
    /// pixel coordinates, pixel `i` covering `[i, i + 1)`) and its ink width in pixels.
    fn line_across(&self, x: i64, y: i64, dx: i64, dy: i64, max: i64) -> Option<(f64, f64)> {
        let (w, h) = (self.gray.width() as i64, self.gray.height() as i64);
        let inside = |k: i64| {
            let (px, py) = (x + dx * k, y + dy * k);
            (0 <= px && px < w && 0 <= py && py < h).then_some((px as u32, py as u32))
        };
        let first = (0..max).find(|&k| inside(k).is_some_and(|(px, py)| self.is_ink(px, py)))?;
        let mut last = first;
        while inside(last + 1).is_some_and(|(px, py)| self.is_ink(px, py)) {
            last += 1;
        }
        let (mut m, mut mk) = (0.0, 0.0);
        for k in first - 2..=last + 2 {
            if let Some((px, py)) = inside(k) {
                let d = self.darkness(px, py);
                m += d;
                mk += d * k as f64;
            }
        }
        let k = mk / m;
        // Back from steps to the pixel coordinate of the pixel centres.
        let along = if dx != 0 {
            x as f64 + dx as f64 * k
        } else {
            y as f64 + dy as f64 * k
        };
        Some((along + 0.5, m))
    }
}

// ---- measured against expected -----------------------------------------------------------

/// The largest error seen for each kind of element, and every check that failed.
#[derive(Default)]
struct Report {
    max_err: BTreeMap<&'static str, f64>,
    failures: Vec<String>,
}

impl Report {
    fn compare(&mut self, kind: &'static str, what: &str, measured: f64, expected: f64, tol: f64) {
        let err = (measured - expected).abs();
        let worst = self.max_err.entry(kind).or_insert(0.0);
        *worst = worst.max(err);
        if err.is_nan() || err > tol {
            self.failures.push(format!(
                "{kind}: {what}: measured {measured:.3} mm, layout.json says {expected:.3} mm (off by {err:.3} mm)"
            ));
        }
    }

    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(msg());
        }
    }

    fn compare_edges(&mut self, kind: &'static str, what: &str, m: &RectMm, e: &RectMm) {
        self.compare(kind, &format!("{what} left"), m.x_mm, e.x_mm, TOL_MM);
        self.compare(kind, &format!("{what} top"), m.y_mm, e.y_mm, TOL_MM);
        self.compare(kind, &format!("{what} right"), m.right(), e.right(), TOL_MM);
        self.compare(
            kind,
            &format!("{what} bottom"),
            m.bottom(),
            e.bottom(),
            TOL_MM,
        );
    }

    fn finish(self, label: &str) {
        eprintln!("{label}: largest error by kind of element (tolerance {TOL_MM} mm)");
        for (kind, err) in &self.max_err {
            eprintln!("  {kind:<28} {err:.3} mm");
        }
        assert!(
            self.failures.is_empty(),
            "{label}: {} check(s) failed:\n  {}",
            self.failures.len(),
            self.failures.join("\n  ")
        );
    }
}

fn measure_fiducials(page: &RenderedPage, layout: &BallotLayout, rep: &mut Report) {
    for (i, f) in layout.fiducials.iter().enumerate() {
        let what = format!("fiducial {i}");
        let win = page.window(f, 2.0);
        let Some(outer) = page.bbox_mm(win, |x, y| page.is_ink(x, y)) else {
            rep.failures.push(format!("{what}: no ink near {f:?}"));
            continue;
        };
        rep.compare_edges("fiducial edge", &what, &outer, f);
        let (area, cx, cy) = page.ink_mass(win);
        let c = f.center();
        rep.compare("fiducial centroid", &format!("{what} x"), cx, c.x, TOL_MM);
        rep.compare("fiducial centroid", &format!("{what} y"), cy, c.y, TOL_MM);
        // The inside, away from the anti-aliased outer edge: solid for the three plain marks, a
        // 4 mm hole in the bottom-right one (which tells the page's orientation).
        let inner = page.window(&outer.inset(1.0), 0.0);
        let full = f.w_mm * f.h_mm;
        if i == 3 {
            let hole_rect = f.inset((f.w_mm - FIDUCIAL_HOLE_MM) / 2.0);
            match page.bbox_mm(inner, |x, y| !page.is_ink(x, y)) {
                Some(hole) => rep.compare_edges("fiducial hole edge", &what, &hole, &hole_rect),
                None => rep
                    .failures
                    .push(format!("{what}: the bottom-right mark has no hole")),
            }
            let expected = full - FIDUCIAL_HOLE_MM * FIDUCIAL_HOLE_MM;
            rep.check((area - expected).abs() < 0.05 * expected, || {
                format!("{what}: ink area {area:.1} mm², expected {expected:.1} mm²")
            });
        } else {
            let light = page.count(inner, |x, y| !page.is_ink(x, y));
            rep.check(light == 0, || {
                format!("{what}: {light} light pixels inside a solid mark")
            });
            rep.check((area - full).abs() < 0.05 * full, || {
                format!("{what}: ink area {area:.1} mm², expected {full:.1} mm²")
            });
        }
    }
}

fn measure_boxes(page: &RenderedPage, layout: &BallotLayout, rep: &mut Report) {
    let px = |mm: f64| (mm * PX_PER_MM).floor() as i64;
    for row in &layout.rows {
        for (k, b) in row.boxes.iter().enumerate() {
            let what = format!("row {} box {k}", row.subject);
            let c = b.center();
            let reach = px(b.w_mm / 2.0 + 1.0);
            // Sample each frame line at five places along its middle.
            let fractions = [0.3, 0.4, 0.5, 0.6, 0.7];
            let mut edges = [0.0f64; 4]; // left, top, right, bottom (mm)
            let mut ok = true;
            for (e, (dx, dy)) in [(-1, 0), (0, -1), (1, 0), (0, 1)].into_iter().enumerate() {
                let mut sum = 0.0;
                for f in fractions {
                    let (x, y) = if dx != 0 {
                        (px(c.x), px(b.y_mm + f * b.h_mm))
                    } else {
                        (px(b.x_mm + f * b.w_mm), px(c.y))
                    };
                    match page.line_across(x, y, dx, dy, reach) {
                        Some((centre, width_px)) => {
                            sum += centre / PX_PER_MM;
                            rep.compare(
                                "box stroke width",
                                &what,
                                width_px / PX_PER_MM,
                                RULE_MM,
                                0.1,
                            );
                        }
                        None => ok = false,
                    }
                }
                edges[e] = sum / fractions.len() as f64;
            }
            if !ok {
                rep.failures
                    .push(format!("{what}: no frame found around {b:?}"));
                continue;
            }
            let [l, t, r, btm] = edges;
            let measured = RectMm::new(l, t, r - l, btm - t);
            rep.compare_edges("box frame (line centre)", &what, &measured, b);
            let inside = page.count(page.window(&b.inset(RULE_MM), 0.0), |x, y| {
                page.is_ink(x, y)
            });
            rep.check(inside == 0, || {
                format!("{what}: {inside} ink pixels inside an empty box")
            });
        }
    }
}

fn measure_qr(page: &RenderedPage, layout: &BallotLayout, rep: &mut Report) {
    let q = &layout.qr;
    match page.bbox_mm(page.window(q, 1.5), |x, y| page.is_ink(x, y)) {
        Some(m) => rep.compare_edges("qr extent", "qr", &m, q),
        None => rep.failures.push("qr: no ink in the QR zone".into()),
    }
}

fn measure_stamp(page: &RenderedPage, layout: &BallotLayout, rep: &mut Report) {
    let s = &layout.stamp;
    let Some(m) = page.bbox_mm(page.window(s, 3.0), |x, y| page.is_red(x, y)) else {
        rep.failures
            .push("stamp: no red ink in the stamp zone".into());
        return;
    };
    let (mc, sc) = (m.center(), s.center());
    rep.compare("stamp centre", "seal x", mc.x, sc.x, TOL_MM);
    rep.compare("stamp centre", "seal y", mc.y, sc.y, TOL_MM);
    let grown = s.inset(-TOL_MM);
    rep.check(
        m.x_mm >= grown.x_mm
            && m.y_mm >= grown.y_mm
            && m.right() <= grown.right()
            && m.bottom() <= grown.bottom(),
        || format!("stamp: the seal {m:?} spills out of {s:?}"),
    );
}

/// The name's ink lies inside `name_rect`, and fills most of its width.
fn measure_names(page: &RenderedPage, layout: &BallotLayout, rep: &mut Report) {
    for row in &layout.rows {
        let r = &row.name_rect;
        let what = format!("row {} name {:?}", row.subject, row.name);
        let Some(ink) = page.bbox_mm(page.window(r, 1.0), |x, y| page.is_ink(x, y)) else {
            rep.failures.push(format!("{what}: no ink"));
            continue;
        };
        let outside = [
            r.x_mm - ink.x_mm,
            r.y_mm - ink.y_mm,
            ink.right() - r.right(),
            ink.bottom() - r.bottom(),
        ]
        .into_iter()
        .fold(0.0f64, f64::max);
        // Anti-aliasing and outline overshoot stay well under 0.15 mm.
        rep.compare(
            "name ink outside name_rect",
            &what,
            outside.max(0.0),
            0.0,
            0.15,
        );
        // Side bearings: the advance width is a little wider than the ink.
        rep.compare(
            "name_rect left/right",
            &format!("{what} left"),
            ink.x_mm,
            r.x_mm,
            0.8,
        );
        rep.compare(
            "name_rect left/right",
            &format!("{what} right"),
            ink.right(),
            r.right(),
            0.8,
        );
        // The rectangle hugs the name: a stroke through the name is a stroke through the rect.
        let slack = (ink.y_mm - r.y_mm).max(r.bottom() - ink.bottom());
        rep.compare(
            "name_rect slack above/below",
            &what,
            slack.max(0.0),
            0.0,
            1.2,
        );
    }
}

// ---- the text a PDF page shows, with positions -------------------------------------------------

/// One run of glyphs as the PDF shows it: its text and where its first glyph's baseline starts.
#[derive(Debug, Clone)]
struct ShownText {
    text: String,
    x_mm: f64,
    baseline_mm: f64,
}

/// A hayro device that keeps only the glyphs, with their Unicode values from `/ToUnicode`.
#[derive(Default)]
struct TextCollector {
    runs: Vec<ShownText>,
}

impl<'a> Device<'a> for TextCollector {
    fn draw_path(&mut self, _: &BezPath, _: DrawProps<'a>, _: &DrawMode) {}
    fn push_clip_path(&mut self, _: &ClipPath) {}
    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}
    fn draw_glyph_run(&mut self, run: &GlyphRun<'_, 'a>, props: DrawProps<'a>, _: &DrawMode) {
        let mut text = String::new();
        let mut origin = None;
        for g in run.glyphs() {
            origin.get_or_insert((props.transform * g.transform()) * Point::ORIGIN);
            match g.as_unicode() {
                Some(BfString::Char(c)) => text.push(c),
                Some(BfString::String(s)) => text.push_str(&s),
                None => text.push('\u{FFFD}'),
            }
        }
        if let Some(p) = origin {
            self.runs.push(ShownText {
                text,
                x_mm: p.x * MM_PER_PT,
                baseline_mm: p.y * MM_PER_PT,
            });
        }
    }
    fn draw_image(&mut self, _: Image<'a, '_>, _: ImageDrawProps<'a>) {}
    fn pop_clip(&mut self) {}
    fn pop_transparency_group(&mut self) {}
}

/// The text runs of every page, positions in mm from the page's top-left corner.
fn shown_text(pdf_bytes: &[u8]) -> Vec<Vec<ShownText>> {
    let pdf = Pdf::new(pdf_bytes.to_vec()).expect("pdf parses");
    let cache = InterpreterCache::new();
    pdf.pages()
        .iter()
        .map(|page| {
            let (w, h) = page.render_dimensions();
            let mut ctx = Context::new(
                page.initial_transform(true).to_kurbo(),
                hayro::hayro_interpret::kurbo::Rect::new(0.0, 0.0, w as f64, h as f64),
                &cache,
                page.xref(),
                InterpreterSettings::default(),
            );
            let mut dev = TextCollector::default();
            interpret_page(page, &mut ctx, &mut dev);
            dev.runs
        })
        .collect()
}

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

// ---- the registry ----------------------------------------------------------------------------

#[test]
fn generate_twice_appends_a_batch_and_the_registry_survives_reopening() {
    let sandbox = Sandbox::new();
    let dir = sandbox.join("vote");
    let (first, second) = {
        let mut vote = Vote::init(&dir, &fixture("one-subject.json")).unwrap();
        let first = vote.generate(3).unwrap();
        let second = vote.generate(2).unwrap();
        assert_eq!((first.batch, second.batch), (1, 2));
        assert_eq!(vote.store.printed_and_voided().unwrap(), (5, 0));
        (first, second)
    };
    assert_eq!(first.pdf, dir.join("ballots/batch-0001.pdf"));
    assert_eq!(second.pdf, dir.join("ballots/batch-0002.pdf"));
    // Nothing half-written is left behind.
    assert_eq!(
        entries(&dir.join("ballots")),
        ["batch-0001.pdf", "batch-0002.pdf"]
    );
    for (b, pages) in [(&first, 3), (&second, 2)] {
        let pdf = PrintedPdf::load(std::fs::read(&b.pdf).unwrap()).unwrap();
        assert_eq!(pdf.page_count(), pages, "{}", b.pdf.display());
    }
    let printed: Vec<Serial> = first
        .serials
        .iter()
        .chain(&second.serials)
        .cloned()
        .collect();
    let distinct: HashSet<&Serial> = printed.iter().collect();
    assert_eq!(distinct.len(), 5, "a serial was printed twice");

    let vote = Vote::open(&dir).expect("reopen");
    let stored = vote.store.serials().unwrap();
    let serials: Vec<Serial> = stored.iter().map(|r| r.serial.clone()).collect();
    assert_eq!(serials, printed, "the registry lost or reordered serials");
    let places: Vec<(i64, i64)> = stored.iter().map(|r| (r.batch, r.page)).collect();
    assert_eq!(places, [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2)]);
    assert!(stored.iter().all(|r| !r.voided));
    assert_eq!(vote.store.printed_and_voided().unwrap(), (5, 0));
    // init + two prints, chained.
    assert_eq!(
        vote.store.verify_events().unwrap(),
        ChainCheck::Holds { events: 3 }
    );
}

#[test]
fn cli_generate_twice_counts_all_ballots() {
    let sandbox = Sandbox::new();
    let form = fixture("one-subject.json");
    sandbox
        .run([
            "init".as_ref(),
            "v".as_ref(),
            "--form".as_ref(),
            form.as_os_str(),
        ])
        .expect_code(0);
    let run = sandbox.run(["generate", "v", "--count", "2"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("printed batch 1 with 2 ballots"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 ballots printed in all, 0 voided"),
        "{}",
        run.stdout
    );
    let run = sandbox.run(["generate", "v", "--count", "3"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("printed batch 2 with 3 ballots"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("5 ballots printed in all, 0 voided"),
        "{}",
        run.stdout
    );
    assert!(sandbox.join("v/layout.json").is_file());
    assert_eq!(
        entries(&sandbox.join("v/ballots")),
        ["batch-0001.pdf", "batch-0002.pdf"]
    );
}

#[test]
fn init_refuses_a_folder_that_is_not_empty() {
    let sandbox = Sandbox::new();
    let dir = sandbox.join("vote");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "do not touch").unwrap();
    let form = fixture("one-subject.json");
    let run = sandbox.run([
        "init".as_ref(),
        dir.as_os_str(),
        "--form".as_ref(),
        form.as_os_str(),
    ]);
    run.expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[&format!(
            "error: {} already exists and is not empty",
            dir.display()
        )]);
    assert_eq!(entries(&dir), ["notes.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "do not touch"
    );
    // A second init over a real vote is refused too, and the vote is untouched.
    let other = sandbox.join("other");
    sandbox
        .run([
            "init".as_ref(),
            other.as_os_str(),
            "--form".as_ref(),
            form.as_os_str(),
        ])
        .expect_code(0);
    let db = std::fs::read(other.join("vote.db")).unwrap();
    sandbox
        .run([
            "init".as_ref(),
            other.as_os_str(),
            "--form".as_ref(),
            form.as_os_str(),
        ])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&["already exists and is not empty"]);
    assert_eq!(std::fs::read(other.join("vote.db")).unwrap(), db);
}

#[test]
fn init_accepts_an_existing_empty_folder() {
    let sandbox = Sandbox::new();
    let dir = sandbox.join("vote");
    std::fs::create_dir(&dir).unwrap();
    Vote::init(&dir, &fixture("one-subject.json")).expect("an empty folder is fine");
    assert!(dir.join("vote.db").is_file());
}

// ---- command-line smoke tests ------------------------------------------------------------------

fn initialized(sandbox: &Sandbox) -> std::path::PathBuf {
    let dir = sandbox.join("vote");
    Vote::init(&dir, &fixture("one-subject.json")).unwrap();
    dir
}

#[test]
fn cli_generate_count_zero_is_refused() {
    let sandbox = Sandbox::new();
    let dir = initialized(&sandbox);
    sandbox
        .run([
            "generate".as_ref(),
            dir.as_os_str(),
            "--count".as_ref(),
            "0".as_ref(),
        ])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[&format!(
            "error: count must be between 1 and {MAX_BATCH}, found 0"
        )]);
    let too_many = (MAX_BATCH + 1).to_string();
    sandbox
        .run([
            "generate".as_ref(),
            dir.as_os_str(),
            "--count".as_ref(),
            too_many.as_ref(),
        ])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[&format!("found {too_many}")]);
    assert!(entries(&dir.join("ballots")).is_empty());
    assert!(!dir.join("layout.json").exists());
    assert_eq!(
        Vote::open(&dir)
            .unwrap()
            .store
            .printed_and_voided()
            .unwrap(),
        (0, 0)
    );
}

#[test]
fn cli_generate_without_a_count_or_with_a_bad_one_is_refused() {
    let sandbox = Sandbox::new();
    let dir = initialized(&sandbox);
    for args in [
        vec!["generate", "vote"],
        vec!["generate", "vote", "--count", "-3"],
        vec!["generate", "vote", "--count", "many"],
    ] {
        let run = sandbox.run(&args);
        run.expect_code(EXIT_CANNOT_RUN);
        assert!(
            run.stderr.contains("--count") || run.stderr.contains("invalid value"),
            "{}",
            run.stderr
        );
    }
    assert!(entries(&dir.join("ballots")).is_empty());
}

#[test]
fn cli_generate_on_a_folder_that_is_not_a_vote_is_refused() {
    let sandbox = Sandbox::new();
    let plain = sandbox.join("photos");
    std::fs::create_dir(&plain).unwrap();
    sandbox
        .run([
            "generate".as_ref(),
            plain.as_os_str(),
            "--count".as_ref(),
            "1".as_ref(),
        ])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[&format!("error: {} is not a vote folder", plain.display())]);
    assert!(
        entries(&plain).is_empty(),
        "generate wrote into a folder that is not a vote"
    );
    let missing = sandbox.join("nowhere");
    sandbox
        .run([
            "generate".as_ref(),
            missing.as_os_str(),
            "--count".as_ref(),
            "1".as_ref(),
        ])
        .expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&[&format!(
            "error: {} is not a vote folder",
            missing.display()
        )]);
    assert!(!missing.exists());
}
