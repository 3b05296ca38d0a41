//! Printing: ballots as a PDF, one A4 page per serial, drawn exactly where the layout says.
//!
//! The layout is in millimetres from the top-left; PDF user space is in points from the
//! bottom-left. Every coordinate crosses over through [`pdf_point`] and nowhere else.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use printpdf::{
    Color, ImageCompression, ImageOptimizationOptions, Line, LinePoint, Mm, Op, PaintMode,
    ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Polygon, PolygonRing,
    Pt, RawImage, RawImageData, RawImageFormat, Rgb, TextItem, TextMatrix, WindingOrder,
    XObjectTransform,
};

use crate::font::{BOLD_TTF, BallotFont, REGULAR_TTF};
use crate::form::Form;
use crate::layout::{BallotLayout, FIDUCIAL_HOLE_MM, PointMm, RULE_MM, RectMm};
use crate::serial::{Serial, qr_payload};
use crate::units::{dpi_of, flip_y, mm_from_inch, mm_from_pt, pt_from_mm};

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("stamp image {path} cannot be used: {reason}")]
    StampImage { path: PathBuf, reason: String },
    #[error("cannot make the QR code for serial {serial}: {reason}")]
    Qr { serial: String, reason: String },
}

/// The hanging stamp's red.
const STAMP_RED: (f32, f32, f32) = (0.80, 0.10, 0.12);

/// A layout point (mm, top-left origin) as a PDF point (pt, bottom-left origin).
pub fn pdf_point(p: PointMm, page_h_mm: f64) -> Point {
    Point::new(Mm(p.x as f32), Mm(flip_y(p.y, page_h_mm) as f32))
}

/// Checks that a stamp image decodes, before a vote is created with it.
pub fn check_stamp_image(bytes: &[u8], path: &Path) -> Result<(), PrintError> {
    decode_stamp(bytes)
        .map(|_| ())
        .map_err(|reason| PrintError::StampImage {
            path: path.to_owned(),
            reason,
        })
}

fn decode_stamp(bytes: &[u8]) -> Result<RawImage, String> {
    let img = image::load_from_memory(bytes).map_err(|e| e.to_string())?;
    if img.width() > 4000 || img.height() > 4000 {
        return Err(format!(
            "{}×{} pixels is larger than 4000×4000",
            img.width(),
            img.height()
        ));
    }
    // Composite over white: PDF soft masks are not needed for an ink stamp.
    let rgba = img.to_rgba8();
    let mut rgb = Vec::with_capacity(rgba.len() / 4 * 3);
    for p in rgba.pixels() {
        let a = p[3] as u32;
        for c in 0..3 {
            rgb.push(((p[c] as u32 * a + 255 * (255 - a)) / 255) as u8);
        }
    }
    Ok(RawImage {
        pixels: RawImageData::U8(rgb),
        width: rgba.width() as usize,
        height: rgba.height() as usize,
        data_format: RawImageFormat::RGB8,
        tag: Vec::new(),
    })
}

/// Renders one ballot page per serial.
pub fn render_ballots(
    form: &Form,
    layout: &BallotLayout,
    serials: &[Serial],
    stamp_image: Option<&[u8]>,
) -> Result<Vec<u8>, PrintError> {
    let mut doc = PdfDocument::new(&form.title);
    let mut font_warnings = Vec::new();
    let regular = doc.add_font(
        &ParsedFont::from_bytes(REGULAR_TTF, 0, &mut font_warnings).expect("bundled font"),
    );
    let bold = doc
        .add_font(&ParsedFont::from_bytes(BOLD_TTF, 0, &mut font_warnings).expect("bundled font"));
    let stamp = match stamp_image {
        Some(bytes) => {
            let raw = decode_stamp(bytes).map_err(|reason| PrintError::StampImage {
                path: PathBuf::from("stamp image"),
                reason,
            })?;
            let (w, h) = (raw.width, raw.height);
            Some((doc.add_image(&raw), w, h))
        }
        None => None,
    };
    let page_h = layout.page.height_mm;

    // Everything but the QR code and the serial is the same on every page.
    let mut common = Vec::new();
    let pen = Pen { page_h };
    for (i, f) in layout.fiducials.iter().enumerate() {
        if i == 3 {
            common.push(pen.ring(f, FIDUCIAL_HOLE_MM));
        } else {
            common.push(pen.filled(f));
        }
    }
    common.push(Op::SetOutlineColor { col: black() });
    common.push(Op::SetOutlineThickness {
        pt: Pt(pt_from_mm(RULE_MM) as f32),
    });
    let (xs, ys) = &layout.rules;
    let t = layout.table;
    for &x in xs {
        common.push(pen.line(PointMm { x, y: t.y_mm }, PointMm { x, y: t.bottom() }));
    }
    for &y in ys {
        common.push(pen.line(PointMm { x: t.x_mm, y }, PointMm { x: t.right(), y }));
    }
    for row in &layout.rows {
        for b in &row.boxes {
            common.push(pen.outline(b));
        }
    }
    common.push(Op::SetFillColor { col: black() });
    for t in &layout.texts {
        let font = if t.bold {
            bold.clone()
        } else {
            regular.clone()
        };
        common.extend(pen.text(
            &t.text,
            PointMm {
                x: t.x_mm,
                y: t.baseline_mm,
            },
            t.size_pt,
            font,
        ));
    }
    match &stamp {
        Some((id, w, h)) => {
            // Fit the image into the stamp zone, keeping its aspect.
            let r = layout.stamp;
            let dpi_w = dpi_of(*w as f64, r.w_mm);
            let dpi_h = dpi_of(*h as f64, r.h_mm);
            let dpi = dpi_w.max(dpi_h);
            let (iw, ih) = (mm_from_inch(*w as f64 / dpi), mm_from_inch(*h as f64 / dpi));
            let origin = pdf_point(
                PointMm {
                    x: r.x_mm + (r.w_mm - iw) / 2.0,
                    y: r.y_mm + (r.h_mm + ih) / 2.0,
                },
                page_h,
            );
            common.push(Op::UseXobject {
                id: id.clone(),
                transform: XObjectTransform {
                    translate_x: Some(origin.x),
                    translate_y: Some(origin.y),
                    dpi: Some(dpi as f32),
                    ..Default::default()
                },
            });
        }
        None => common.extend(pen.printed_seal(&layout.stamp, form.stamp_text(), bold.clone())),
    }

    let mut pages = Vec::with_capacity(serials.len());
    for serial in serials {
        let mut ops = common.clone();
        ops.extend(
            pen.qr(&layout.qr, &qr_payload(&layout.vote, serial))
                .map_err(|reason| PrintError::Qr {
                    serial: serial.to_string(),
                    reason,
                })?,
        );
        let text = serial.grouped();
        let size = 9.0;
        let w = BallotFont::bold().width_mm(&text, size);
        let r = layout.serial_text;
        ops.push(Op::SetFillColor { col: black() });
        ops.extend(pen.text(
            &text,
            PointMm {
                x: r.x_mm + (r.w_mm - w) / 2.0,
                y: r.bottom() - 1.2,
            },
            size,
            bold.clone(),
        ));
        pages.push(PdfPage::new(
            Mm(layout.page.width_mm as f32),
            Mm(page_h as f32),
            ops,
        ));
    }
    let options = PdfSaveOptions {
        subset_fonts: true,
        image_optimization: Some(ImageOptimizationOptions {
            format: Some(ImageCompression::Flate),
            quality: Some(1.0),
            auto_optimize: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut warnings = Vec::new();
    Ok(doc.with_pages(pages).save(&options, &mut warnings))
}

fn black() -> Color {
    Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None))
}

fn red() -> Color {
    Color::Rgb(Rgb::new(STAMP_RED.0, STAMP_RED.1, STAMP_RED.2, None))
}

/// Draws layout shapes on a page of a given height.
struct Pen {
    page_h: f64,
}

impl Pen {
    fn pt(&self, p: PointMm) -> LinePoint {
        LinePoint {
            p: pdf_point(p, self.page_h),
            bezier: false,
        }
    }

    fn rect_ring(&self, r: &RectMm) -> PolygonRing {
        let corners = [
            (r.x_mm, r.y_mm),
            (r.right(), r.y_mm),
            (r.right(), r.bottom()),
            (r.x_mm, r.bottom()),
        ];
        PolygonRing {
            points: corners
                .iter()
                .map(|&(x, y)| self.pt(PointMm { x, y }))
                .collect(),
        }
    }

    fn circle_ring(&self, c: PointMm, radius: f64) -> PolygonRing {
        let n = 96;
        PolygonRing {
            points: (0..n)
                .map(|i| {
                    let a = 2.0 * PI * i as f64 / n as f64;
                    self.pt(PointMm {
                        x: c.x + radius * a.cos(),
                        y: c.y + radius * a.sin(),
                    })
                })
                .collect(),
        }
    }

    fn fill(&self, rings: Vec<PolygonRing>, col: Color) -> Vec<Op> {
        vec![
            Op::SetFillColor { col },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings,
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::EvenOdd,
                },
            },
        ]
    }

    fn filled(&self, r: &RectMm) -> Op {
        Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![self.rect_ring(r)],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        }
    }

    /// A square with a square hole in its middle (even-odd fill).
    fn ring(&self, r: &RectMm, hole: f64) -> Op {
        let inner = r.inset((r.w_mm - hole) / 2.0);
        Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![self.rect_ring(r), self.rect_ring(&inner)],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::EvenOdd,
            },
        }
    }

    fn outline(&self, r: &RectMm) -> Op {
        Op::DrawLine {
            line: Line {
                points: self.rect_ring(r).points,
                is_closed: true,
            },
        }
    }

    fn line(&self, a: PointMm, b: PointMm) -> Op {
        Op::DrawLine {
            line: Line {
                points: vec![self.pt(a), self.pt(b)],
                is_closed: false,
            },
        }
    }

    fn text(
        &self,
        text: &str,
        baseline_left: PointMm,
        size_pt: f64,
        font: printpdf::FontId,
    ) -> Vec<Op> {
        let p = pdf_point(baseline_left, self.page_h);
        vec![
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(font),
                size: Pt(size_pt as f32),
            },
            Op::SetTextMatrix {
                matrix: TextMatrix::Translate(p.x, p.y),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]
    }

    /// The QR code: one filled rectangle per horizontal run of dark modules.
    fn qr(&self, r: &RectMm, payload: &str) -> Result<Vec<Op>, String> {
        let code =
            qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
                .map_err(|e| e.to_string())?;
        let n = code.width();
        let colors = code.to_colors();
        let m = r.w_mm / n as f64;
        let mut rings = Vec::new();
        for y in 0..n {
            let mut x = 0;
            while x < n {
                if colors[y * n + x] == qrcode::Color::Dark {
                    let start = x;
                    while x < n && colors[y * n + x] == qrcode::Color::Dark {
                        x += 1;
                    }
                    let run = RectMm::new(
                        r.x_mm + start as f64 * m,
                        r.y_mm + y as f64 * m,
                        (x - start) as f64 * m,
                        m,
                    );
                    rings.push(self.rect_ring(&run));
                } else {
                    x += 1;
                }
            }
        }
        let mut ops = vec![Op::SetFillColor { col: black() }];
        ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings,
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
        Ok(ops)
    }

    /// The default printed seal: two red rings, a star, and the agency's name across the middle.
    fn printed_seal(&self, r: &RectMm, text: &str, font: printpdf::FontId) -> Vec<Op> {
        let c = r.center();
        let outer = r.w_mm.min(r.h_mm) / 2.0 - 0.5;
        let mut ops = self.fill(
            vec![self.circle_ring(c, outer), self.circle_ring(c, outer - 1.0)],
            red(),
        );
        ops.extend(self.fill(
            vec![
                self.circle_ring(c, outer - 2.2),
                self.circle_ring(c, outer - 2.7),
            ],
            red(),
        ));
        // A five-pointed star above the centre.
        let star_c = PointMm {
            x: c.x,
            y: c.y - outer * 0.42,
        };
        let points = (0..10)
            .map(|i| {
                let rad = if i % 2 == 0 {
                    outer * 0.22
                } else {
                    outer * 0.09
                };
                let a = -PI / 2.0 + PI * i as f64 / 5.0;
                self.pt(PointMm {
                    x: star_c.x + rad * a.cos(),
                    y: star_c.y + rad * a.sin(),
                })
            })
            .collect();
        ops.extend(self.fill(vec![PolygonRing { points }], red()));
        // The agency's name, in as many short lines as fit inside the inner ring.
        let bold = BallotFont::bold();
        let size = 5.5;
        let lines = bold
            .wrap(text, size, outer * 1.5)
            .unwrap_or_else(|| vec![text.to_string()]);
        let lh = mm_from_pt(size) * 1.15;
        for (i, l) in lines.iter().take(3).enumerate() {
            let w = bold.width_mm(l, size);
            let y = c.y + 1.5 + lh * i as f64;
            ops.extend(self.text(
                l,
                PointMm {
                    x: c.x - w / 2.0,
                    y,
                },
                size,
                font.clone(),
            ));
        }
        ops
    }
}
