//! The one PDF page writer the ballots, the minutes and the sample sheets are drawn with.
//!
//! Everything is placed as the layout measures: millimetres from the page's top-left corner, y
//! downwards. PDF user space is points from the bottom-left; [`Page::point`] is the only place a
//! position crosses over. The bundled font is parsed once per process ([`Fonts::load`] adds it to
//! each document).

use std::f64::consts::PI;
use std::sync::OnceLock;

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle,
    PdfPage, Point, Polygon, PolygonRing, Pt, Rgb, TextItem, TextMatrix, WindingOrder, XObjectId,
    XObjectTransform,
};

use crate::font::{BOLD_TTF, BallotFont, REGULAR_TTF};
use crate::layout::{PointMm, RectMm};
use crate::units::{A4_H_MM, A4_W_MM, flip_y, pt_from_mm};

/// A colour from its red, green and blue (0..1).
pub fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb::new(r, g, b, None))
}

pub fn black() -> Color {
    rgb(0.0, 0.0, 0.0)
}

/// The bundled font (regular and bold), parsed once.
fn parsed() -> &'static (ParsedFont, ParsedFont) {
    static FONTS: OnceLock<(ParsedFont, ParsedFont)> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut warnings = Vec::new();
        let mut parse = |ttf| ParsedFont::from_bytes(ttf, 0, &mut warnings).expect("bundled font");
        (parse(REGULAR_TTF), parse(BOLD_TTF))
    })
}

/// The font as one document knows it, with the same font's metrics for measuring text.
pub struct Fonts {
    regular: FontId,
    bold: FontId,
    measure_regular: BallotFont,
    measure_bold: BallotFont,
}

impl Fonts {
    /// Adds the bundled font, regular then bold, to `doc`.
    pub fn load(doc: &mut PdfDocument) -> Fonts {
        let (regular, bold) = parsed();
        Fonts {
            regular: doc.add_font(regular),
            bold: doc.add_font(bold),
            measure_regular: BallotFont::regular(),
            measure_bold: BallotFont::bold(),
        }
    }

    /// The document's font id of the regular or the bold face.
    pub fn id(&self, bold: bool) -> &FontId {
        if bold { &self.bold } else { &self.regular }
    }

    /// The metrics of the regular or the bold face.
    pub fn measure(&self, bold: bool) -> &BallotFont {
        if bold {
            &self.measure_bold
        } else {
            &self.measure_regular
        }
    }
}

/// One page being drawn (or a part of one, to be copied onto several), in millimetres from the
/// top-left.
#[derive(Clone)]
pub struct Page {
    width_mm: f64,
    height_mm: f64,
    ops: Vec<Op>,
}

impl Page {
    pub fn new(width_mm: f64, height_mm: f64) -> Page {
        Page {
            width_mm,
            height_mm,
            ops: Vec::new(),
        }
    }

    /// An empty A4 page.
    pub fn a4() -> Page {
        Page::new(A4_W_MM, A4_H_MM)
    }

    /// A point of the page (mm, top-left origin) as a PDF point (pt, bottom-left origin).
    pub fn point(&self, p: PointMm) -> Point {
        Point::new(Mm(p.x as f32), Mm(flip_y(p.y, self.height_mm) as f32))
    }

    /// A state change or any other operation that places nothing (colour, line width).
    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
    }

    /// What another page (a part drawn once) holds, drawn onto this one.
    pub fn extend(&mut self, part: &Page) {
        self.ops.extend(part.ops.iter().cloned());
    }

    /// A closed path through these points.
    pub fn ring(&self, points: impl IntoIterator<Item = PointMm>) -> PolygonRing {
        PolygonRing {
            points: points
                .into_iter()
                .map(|p| LinePoint {
                    p: self.point(p),
                    bezier: false,
                })
                .collect(),
        }
    }

    /// A rectangle's outline path, from its top-left corner clockwise (as seen on the page).
    pub fn rect_ring(&self, r: &RectMm) -> PolygonRing {
        self.ring(r.corners())
    }

    /// A circle as a polygon of 96 sides.
    pub fn circle_ring(&self, c: PointMm, radius: f64) -> PolygonRing {
        let n = 96;
        self.ring((0..n).map(|i| {
            let a = 2.0 * PI * i as f64 / n as f64;
            PointMm {
                x: c.x + radius * a.cos(),
                y: c.y + radius * a.sin(),
            }
        }))
    }

    /// Fills these paths in the current fill colour.
    pub fn fill(&mut self, rings: Vec<PolygonRing>, winding_order: WindingOrder) {
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings,
                mode: PaintMode::Fill,
                winding_order,
            },
        });
    }

    /// Fills a rectangle in the current fill colour.
    pub fn fill_rect(&mut self, r: &RectMm) {
        self.fill(vec![self.rect_ring(r)], WindingOrder::NonZero);
    }

    /// Strokes a rectangle's outline in the current outline colour and width.
    pub fn outline(&mut self, r: &RectMm) {
        let points = self.rect_ring(r).points;
        self.ops.push(Op::DrawLine {
            line: Line {
                points,
                is_closed: true,
            },
        });
    }

    /// Strokes a straight line from `a` to `b`.
    pub fn line(&mut self, a: PointMm, b: PointMm) {
        let points = self.ring([a, b]).points;
        self.ops.push(Op::DrawLine {
            line: Line {
                points,
                is_closed: false,
            },
        });
    }

    /// One run of text, its baseline starting at `baseline_left`, in the current fill colour.
    pub fn text(&mut self, text: &str, baseline_left: PointMm, size_pt: f64, font: &FontId) {
        let p = self.point(baseline_left);
        self.text_with(text, TextMatrix::Translate(p.x, p.y), size_pt, font);
    }

    /// One run of text along a line rising at `angle` (radians, anticlockwise as seen on the
    /// page) from `baseline_left`.
    pub fn text_turned(
        &mut self,
        text: &str,
        baseline_left: PointMm,
        angle: f64,
        size_pt: f64,
        font: &FontId,
    ) {
        // The matrix's translation converted in f64, not through `Mm` in f32 as `point` does.
        let x = pt_from_mm(baseline_left.x) as f32;
        let y = pt_from_mm(flip_y(baseline_left.y, self.height_mm)) as f32;
        let (c, s) = (angle.cos() as f32, angle.sin() as f32);
        let matrix = TextMatrix::Raw([c, s, -s, c, x, y]);
        self.text_with(text, matrix, size_pt, font);
    }

    fn text_with(&mut self, text: &str, matrix: TextMatrix, size_pt: f64, font: &FontId) {
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(font.clone()),
                size: Pt(size_pt as f32),
            },
            Op::SetTextMatrix { matrix },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    /// An image added to the document, its bottom-left corner at `bottom_left`, at `dpi`.
    pub fn image(&mut self, id: XObjectId, bottom_left: PointMm, dpi: f64) {
        let p = self.point(bottom_left);
        self.ops.push(Op::UseXobject {
            id,
            transform: XObjectTransform {
                translate_x: Some(p.x),
                translate_y: Some(p.y),
                dpi: Some(dpi as f32),
                ..Default::default()
            },
        });
    }

    /// The finished page.
    pub fn into_pdf_page(self) -> PdfPage {
        PdfPage::new(
            Mm(self.width_mm as f32),
            Mm(self.height_mm as f32),
            self.ops,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_left_of_the_page_is_the_top_of_pdf_space() {
        let page = Page::a4();
        let top_left = page.point(PointMm { x: 0.0, y: 0.0 });
        assert_eq!(top_left.x, Pt(0.0));
        assert_eq!(top_left.y, Pt::from(Mm(297.0)));
        let bottom = page.point(PointMm { x: 210.0, y: 297.0 });
        assert_eq!(bottom.x, Pt::from(Mm(210.0)));
        assert_eq!(bottom.y, Pt(0.0));
    }
}
