//! Turning printed PDF pages into pixels, with the pure-Rust rasterizer hayro.
//!
//! `simulate` prints the very PDF that `generate` wrote and scans it, so the scanner is judged on
//! the real page rather than on a second drawing of the layout.

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{PixmapSettings, RenderCache, RenderSettings, render};
use image::RgbImage;

use crate::units::{mm_from_pt, px_per_pt};

#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    #[error("the PDF cannot be read: {0}")]
    Load(String),
    #[error("the PDF has {pages} pages, page {page} was asked for")]
    NoPage { page: usize, pages: usize },
}

/// A loaded PDF, ready to render pages from any thread.
pub struct PrintedPdf {
    pdf: Pdf,
}

impl PrintedPdf {
    pub fn load(bytes: Vec<u8>) -> Result<PrintedPdf, RasterError> {
        let pdf = Pdf::new(bytes).map_err(|e| RasterError::Load(format!("{e:?}")))?;
        Ok(PrintedPdf { pdf })
    }

    pub fn page_count(&self) -> usize {
        self.pdf.pages().len()
    }

    /// A page's size in millimetres.
    pub fn page_size_mm(&self, index: usize) -> Result<(f64, f64), RasterError> {
        let pages = self.pdf.pages();
        let page = pages.get(index).ok_or(RasterError::NoPage {
            page: index + 1,
            pages: pages.len(),
        })?;
        let (w, h) = page.render_dimensions();
        Ok((mm_from_pt(w as f64), mm_from_pt(h as f64)))
    }

    /// Renders page `index` (0-based) at `dpi` on white paper.
    pub fn render(&self, index: usize, dpi: f64) -> Result<RgbImage, RasterError> {
        let pages = self.pdf.pages();
        let page = pages.get(index).ok_or(RasterError::NoPage {
            page: index + 1,
            pages: pages.len(),
        })?;
        let (w, h, rgba) = render_rgba(page, dpi);
        let rgb: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        Ok(RgbImage::from_raw(w, h, rgb).expect("pixmap size"))
    }
}

/// Renders a PDF page at `dpi` on white paper: its width, height and RGBA pixels. The one
/// place both the printed ballots (for tests and pictures) and scanner PDFs are rasterized.
pub(crate) fn render_rgba(page: &hayro::hayro_syntax::page::Page, dpi: f64) -> (u32, u32, Vec<u8>) {
    let scale = px_per_pt(dpi) as f32;
    let pixmap = render(
        page,
        &RenderCache::new(),
        &InterpreterSettings::default(),
        &RenderSettings::default(),
        &PixmapSettings {
            x_scale: scale,
            y_scale: scale,
            bg_color: WHITE,
        },
    );
    let (w, h) = (pixmap.width() as u32, pixmap.height() as u32);
    let rgba = pixmap.take_rgba8(hayro::vello_cpu::peniko::ImageAlphaType::Alpha);
    (w, h, rgba)
}
