//! Printing: ballots as a PDF, one A4 page per serial, drawn exactly where the layout says.
//!
//! The layout is in millimetres from the top-left, and so is the page writer ([`crate::page`])
//! the ballots are drawn with.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use printpdf::{
    Color, ImageCompression, ImageOptimizationOptions, Op, PdfDocument, PdfSaveOptions, Pt,
    RawImage, RawImageData, RawImageFormat, WindingOrder,
};

use crate::form::Form;
use crate::layout::{BallotLayout, FIDUCIAL_HOLE_MM, PointMm, QrPlacement, RULE_MM, RectMm};
use crate::page::{Fonts, Page, black, rgb};
use crate::serial::{Serial, qr_payload};
use crate::units::{dpi_of, mm_from_inch, mm_from_pt, pt_from_mm};

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("stamp image {path} cannot be used: {reason}")]
    StampImage { path: PathBuf, reason: String },
    #[error("cannot make the QR code for serial {serial}: {reason}")]
    Qr { serial: String, reason: String },
}

/// The hanging stamp's red.
const STAMP_RED: (f32, f32, f32) = (0.80, 0.10, 0.12);

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
    let fonts = Fonts::load(&mut doc);
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

    // Everything but the QR code and the serial is the same on every page.
    let mut common = Page::new(layout.page.width_mm, layout.page.height_mm);
    for (i, f) in layout.fiducials.iter().enumerate() {
        if i == 3 {
            // The bottom-right mark has a square hole in its middle (even-odd fill).
            let hole = f.inset((f.w_mm - FIDUCIAL_HOLE_MM) / 2.0);
            let rings = vec![common.rect_ring(f), common.rect_ring(&hole)];
            common.fill(rings, WindingOrder::EvenOdd);
        } else {
            common.fill_rect(f);
        }
    }
    common.push(Op::SetOutlineColor { col: black() });
    common.push(Op::SetOutlineThickness {
        pt: Pt(pt_from_mm(RULE_MM) as f32),
    });
    let (xs, ys) = &layout.rules;
    let t = layout.table;
    for &x in xs {
        common.line(PointMm { x, y: t.y_mm }, PointMm { x, y: t.bottom() });
    }
    for &y in ys {
        common.line(PointMm { x: t.x_mm, y }, PointMm { x: t.right(), y });
    }
    for row in &layout.rows {
        for b in &row.boxes {
            common.outline(b);
        }
    }
    common.push(Op::SetFillColor { col: black() });
    for t in &layout.texts {
        common.text(
            &t.text,
            PointMm {
                x: t.x_mm,
                y: t.baseline_mm,
            },
            t.size_pt,
            fonts.id(t.bold),
        );
    }
    match &stamp {
        Some((id, w, h)) => {
            // Fit the image into the stamp zone, keeping its aspect.
            let r = layout.stamp;
            let dpi_w = dpi_of(*w as f64, r.w_mm);
            let dpi_h = dpi_of(*h as f64, r.h_mm);
            let dpi = dpi_w.max(dpi_h);
            let (iw, ih) = (mm_from_inch(*w as f64 / dpi), mm_from_inch(*h as f64 / dpi));
            let bottom_left = PointMm {
                x: r.x_mm + (r.w_mm - iw) / 2.0,
                y: r.y_mm + (r.h_mm + ih) / 2.0,
            };
            common.image(id.clone(), bottom_left, dpi);
        }
        None => printed_seal(&mut common, &layout.stamp, form.stamp_text(), &fonts),
    }

    let mut pages = Vec::with_capacity(serials.len());
    for serial in serials {
        let mut page = common.clone();
        qr(
            &mut page,
            &layout.qr_placement(),
            &qr_payload(&layout.vote, serial),
        )
        .map_err(|reason| PrintError::Qr {
            serial: serial.to_string(),
            reason,
        })?;
        let text = serial.grouped();
        let size = 9.0;
        let w = fonts.measure(true).width_mm(&text, size);
        let r = layout.serial_text;
        page.push(Op::SetFillColor { col: black() });
        page.text(
            &text,
            PointMm {
                x: r.x_mm + (r.w_mm - w) / 2.0,
                y: r.bottom() - 1.2,
            },
            size,
            fonts.id(true),
        );
        pages.push(page.into_pdf_page());
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

fn red() -> Color {
    rgb(STAMP_RED.0, STAMP_RED.1, STAMP_RED.2)
}

/// The QR code: one filled rectangle per horizontal run of dark modules, where the layout places
/// the modules (the scanner reads them from the same placement).
fn qr(page: &mut Page, place: &QrPlacement, payload: &str) -> Result<(), String> {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| e.to_string())?;
    let n = code.width();
    let colors = code.to_colors();
    let (origin, m) = place.grid(n);
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
                    origin.x + start as f64 * m,
                    origin.y + y as f64 * m,
                    (x - start) as f64 * m,
                    m,
                );
                rings.push(page.rect_ring(&run));
            } else {
                x += 1;
            }
        }
    }
    page.push(Op::SetFillColor { col: black() });
    page.fill(rings, WindingOrder::NonZero);
    Ok(())
}

/// The default printed seal: two red rings, a star, and the agency's name across the middle.
fn printed_seal(page: &mut Page, r: &RectMm, text: &str, fonts: &Fonts) {
    let c = r.center();
    let outer = r.w_mm.min(r.h_mm) / 2.0 - 0.5;
    page.push(Op::SetFillColor { col: red() });
    let rings = vec![page.circle_ring(c, outer), page.circle_ring(c, outer - 1.0)];
    page.fill(rings, WindingOrder::EvenOdd);
    page.push(Op::SetFillColor { col: red() });
    let rings = vec![
        page.circle_ring(c, outer - 2.2),
        page.circle_ring(c, outer - 2.7),
    ];
    page.fill(rings, WindingOrder::EvenOdd);
    // A five-pointed star above the centre.
    let star_c = PointMm {
        x: c.x,
        y: c.y - outer * 0.42,
    };
    let star = page.ring((0..10).map(|i| {
        let rad = if i % 2 == 0 {
            outer * 0.22
        } else {
            outer * 0.09
        };
        let a = -PI / 2.0 + PI * i as f64 / 5.0;
        PointMm {
            x: star_c.x + rad * a.cos(),
            y: star_c.y + rad * a.sin(),
        }
    }));
    page.push(Op::SetFillColor { col: red() });
    page.fill(vec![star], WindingOrder::EvenOdd);
    // The agency's name, in as many short lines as fit inside the inner ring.
    let bold = fonts.measure(true);
    let size = 5.5;
    let lines = bold
        .wrap(text, size, outer * 1.5)
        .unwrap_or_else(|| vec![text.to_string()]);
    let lh = mm_from_pt(size) * 1.15;
    for (i, l) in lines.iter().take(3).enumerate() {
        let w = bold.width_mm(l, size);
        let y = c.y + 1.5 + lh * i as f64;
        page.text(
            l,
            PointMm {
                x: c.x - w / 2.0,
                y,
            },
            size,
            fonts.id(true),
        );
    }
}
