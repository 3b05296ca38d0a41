//! What the printed ballot shows, measured: a page of the PDF rendered at 300 dpi and measured
//! in pixels (fiducials, mark boxes, QR code, seal, names) against `layout.json`, and the text
//! runs the PDF shows with their positions. Shared by the `generate` tests.

use std::collections::BTreeMap;

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

pub const DPI: f64 = 300.0;
pub const PX_PER_MM: f64 = DPI / 25.4;
/// How far a printed edge or centre may be from where `layout.json` puts it.
pub const TOL_MM: f64 = 0.3;
/// Luma under which a pixel counts as ink.
pub const INK: u8 = 128;
pub const MM_PER_PT: f64 = 25.4 / 72.0;

// ---- a rendered page, measured in pixels -----------------------------------------------------

pub struct RenderedPage {
    pub gray: GrayImage,
    pub rgb: RgbImage,
}

/// A pixel window `[x0, x1) × [y0, y1)`.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl RenderedPage {
    pub fn render(pdf: &PrintedPdf, index: usize) -> RenderedPage {
        let rgb = pdf.render(index, DPI).expect("render page");
        let gray = image::DynamicImage::ImageRgb8(rgb.clone()).to_luma8();
        RenderedPage { gray, rgb }
    }

    /// The pixels covering `r` grown by `margin_mm` on every side, clipped to the page.
    pub fn window(&self, r: &RectMm, margin_mm: f64) -> Window {
        let clip = |mm: f64, max: u32| ((mm * PX_PER_MM).round().max(0.0) as u32).min(max);
        let (w, h) = self.gray.dimensions();
        Window {
            x0: clip(r.x_mm - margin_mm, w),
            y0: clip(r.y_mm - margin_mm, h),
            x1: clip(r.right() + margin_mm, w),
            y1: clip(r.bottom() + margin_mm, h),
        }
    }

    pub fn luma(&self, x: u32, y: u32) -> u8 {
        self.gray.get_pixel(x, y)[0]
    }

    pub fn is_ink(&self, x: u32, y: u32) -> bool {
        self.luma(x, y) < INK
    }

    /// 0 for white paper, 1 for full black.
    pub fn darkness(&self, x: u32, y: u32) -> f64 {
        (255 - self.luma(x, y)) as f64 / 255.0
    }

    pub fn is_red(&self, x: u32, y: u32) -> bool {
        let p = self.rgb.get_pixel(x, y);
        p[0] as i32 - p[1] as i32 > 80 && p[0] as i32 - p[2] as i32 > 80
    }

    /// The bounding box, in mm, of the pixels of `w` that satisfy `pred`.
    pub fn bbox_mm(&self, w: Window, pred: impl Fn(u32, u32) -> bool) -> Option<RectMm> {
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
    pub fn ink_mass(&self, w: Window) -> (f64, f64, f64) {
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

    pub fn count(&self, w: Window, pred: impl Fn(u32, u32) -> bool) -> usize {
        (w.y0..w.y1)
            .flat_map(|y| (w.x0..w.x1).map(move |x| (x, y)))
            .filter(|&(x, y)| pred(x, y))
            .count()
    }

    /// Walks from pixel `(x, y)` in direction `(dx, dy)` for at most `max` pixels; at the first ink
    /// pixel takes the whole ink run and returns its darkness-weighted centre along the walk (in
    /// pixel coordinates, pixel `i` covering `[i, i + 1)`) and its ink width in pixels.
    pub fn line_across(&self, x: i64, y: i64, dx: i64, dy: i64, max: i64) -> Option<(f64, f64)> {
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
pub struct Report {
    pub max_err: BTreeMap<&'static str, f64>,
    pub failures: Vec<String>,
}

impl Report {
    pub fn compare(
        &mut self,
        kind: &'static str,
        what: &str,
        measured: f64,
        expected: f64,
        tol: f64,
    ) {
        let err = (measured - expected).abs();
        let worst = self.max_err.entry(kind).or_insert(0.0);
        *worst = worst.max(err);
        if err.is_nan() || err > tol {
            self.failures.push(format!(
                "{kind}: {what}: measured {measured:.3} mm, layout.json says {expected:.3} mm (off by {err:.3} mm)"
            ));
        }
    }

    pub fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(msg());
        }
    }

    pub fn compare_edges(&mut self, kind: &'static str, what: &str, m: &RectMm, e: &RectMm) {
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

    pub fn finish(self, label: &str) {
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

pub fn measure_fiducials(page: &RenderedPage, layout: &BallotLayout, rep: &mut Report) {
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

pub fn measure_boxes(page: &RenderedPage, layout: &BallotLayout, rep: &mut Report) {
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

pub fn measure_qr(page: &RenderedPage, layout: &BallotLayout, rep: &mut Report) {
    let q = &layout.qr;
    match page.bbox_mm(page.window(q, 1.5), |x, y| page.is_ink(x, y)) {
        Some(m) => rep.compare_edges("qr extent", "qr", &m, q),
        None => rep.failures.push("qr: no ink in the QR zone".into()),
    }
}

pub fn measure_stamp(page: &RenderedPage, layout: &BallotLayout, rep: &mut Report) {
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
pub fn measure_names(page: &RenderedPage, layout: &BallotLayout, rep: &mut Report) {
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
pub struct ShownText {
    pub text: String,
    pub x_mm: f64,
    pub baseline_mm: f64,
}

/// A hayro device that keeps only the glyphs, with their Unicode values from `/ToUnicode`.
#[derive(Default)]
pub struct TextCollector {
    pub runs: Vec<ShownText>,
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
pub fn shown_text(pdf_bytes: &[u8]) -> Vec<Vec<ShownText>> {
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
