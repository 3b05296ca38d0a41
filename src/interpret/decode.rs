//! From a scanner's file to gray pages: PNG, JPEG, BMP, multi-page TIFF (8-bit gray, RGB, 1-bit
//! CCITT G4) and scanner PDFs (every page a sheet), with limits so that a hostile or broken file
//! gets a clear reason instead of exhausting memory.

use std::io::Cursor;

use image::{GrayImage, ImageReader, Limits};

use crate::record::Reason;

/// The largest side, in pixels, that a scanned page may have (A4 at 1200 dpi is 14,032).
pub const MAX_SIDE_PX: u32 = 15_000;

/// Why a file yields no page.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeFailure {
    pub reason: Reason,
    pub detail: String,
}

/// Decodes every page of an image file to gray.
pub fn decode_pages(bytes: &[u8]) -> Result<Vec<GrayImage>, DecodeFailure> {
    let bad = |reason, detail: String| DecodeFailure { reason, detail };
    if bytes.is_empty() {
        return Err(bad(Reason::NotAnImage, "the file is empty".into()));
    }
    if bytes.starts_with(b"%PDF-") {
        return decode_pdf(bytes);
    }
    if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        return decode_tiff(bytes);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| bad(Reason::ReadFailed, e.to_string()))?;
    if reader.format().is_none() {
        return Err(bad(
            Reason::NotAnImage,
            "not a PNG, JPEG, TIFF or BMP file".into(),
        ));
    }
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    limits.max_alloc = Some(1 << 30);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(l) => bad(
            Reason::ImageTooLarge,
            format!("the image is larger than {MAX_SIDE_PX} pixels a side ({l})"),
        ),
        e => bad(
            Reason::NotAnImage,
            format!("the image cannot be decoded: {e}"),
        ),
    })?;
    Ok(vec![img.to_luma8()])
}

/// The most pages one file may hold.
pub const MAX_PAGES: usize = 1000;
/// Scanner PDFs are rendered at this resolution.
pub const PDF_DPI: f64 = 300.0;

fn decode_pdf(bytes: &[u8]) -> Result<Vec<GrayImage>, DecodeFailure> {
    let bad = |detail: String| DecodeFailure {
        reason: Reason::NotAnImage,
        detail,
    };
    let pdf = crate::raster::PrintedPdf::load(bytes.to_vec()).map_err(|e| bad(e.to_string()))?;
    let n = pdf.page_count();
    if n == 0 {
        return Err(bad("the PDF has no pages".into()));
    }
    if n > MAX_PAGES {
        return Err(DecodeFailure {
            reason: Reason::ImageTooLarge,
            detail: format!("the PDF has {n} pages (at most {MAX_PAGES})"),
        });
    }
    (0..n)
        .map(|i| {
            let (w_mm, h_mm) = pdf.page_size_mm(i).map_err(|e| bad(e.to_string()))?;
            let side_px = w_mm.max(h_mm) / 25.4 * PDF_DPI;
            if side_px > MAX_SIDE_PX as f64 {
                return Err(DecodeFailure {
                    reason: Reason::ImageTooLarge,
                    detail: format!(
                        "page {} is {w_mm:.0} × {h_mm:.0} mm, too large for a ballot",
                        i + 1
                    ),
                });
            }
            pdf.render(i, PDF_DPI)
                .map(|rgb| image::DynamicImage::ImageRgb8(rgb).to_luma8())
                .map_err(|e| bad(e.to_string()))
        })
        .collect()
}

fn decode_tiff(bytes: &[u8]) -> Result<Vec<GrayImage>, DecodeFailure> {
    use tiff::ColorType;
    use tiff::decoder::{Decoder, DecodingResult};
    let bad = |detail: String| DecodeFailure {
        reason: Reason::NotAnImage,
        detail,
    };
    let mut dec = Decoder::new(Cursor::new(bytes))
        .map_err(|e| bad(format!("the TIFF cannot be read: {e}")))?;
    let mut pages = Vec::new();
    loop {
        let (w, h) = dec
            .dimensions()
            .map_err(|e| bad(format!("page {}: {e}", pages.len() + 1)))?;
        if w > MAX_SIDE_PX || h > MAX_SIDE_PX {
            return Err(DecodeFailure {
                reason: Reason::ImageTooLarge,
                detail: format!(
                    "page {} is {w}×{h} pixels (at most {MAX_SIDE_PX} a side)",
                    pages.len() + 1
                ),
            });
        }
        let ct = dec.colortype().map_err(|e| bad(e.to_string()))?;
        let data = dec
            .read_image()
            .map_err(|e| bad(format!("page {}: {e}", pages.len() + 1)))?;
        let (w, h) = (w as usize, h as usize);
        let gray: Vec<u8> = match (ct, data) {
            (ColorType::Gray(8), DecodingResult::U8(v)) => v,
            (ColorType::Gray(16), DecodingResult::U16(v)) => {
                v.iter().map(|&p| (p >> 8) as u8).collect()
            }
            (ColorType::Gray(1), DecodingResult::U8(v)) => {
                // Packed rows, most significant bit first; the decoder already maps WhiteIsZero
                // so that 1 is white.
                let stride = w.div_ceil(8);
                (0..h)
                    .flat_map(|y| {
                        let row = &v[y * stride..(y + 1) * stride];
                        (0..w).map(move |x| {
                            if row[x / 8] & (0x80 >> (x % 8)) != 0 {
                                255
                            } else {
                                0
                            }
                        })
                    })
                    .collect()
            }
            (ColorType::RGB(8), DecodingResult::U8(v)) => v.chunks_exact(3).map(luma).collect(),
            (ColorType::RGBA(8), DecodingResult::U8(v)) => v.chunks_exact(4).map(luma).collect(),
            (ct, _) => {
                return Err(bad(format!(
                    "page {}: TIFF colour type {ct:?} is not supported",
                    pages.len() + 1
                )));
            }
        };
        if gray.len() < w * h {
            return Err(bad(format!(
                "page {}: the TIFF data is short",
                pages.len() + 1
            )));
        }
        pages.push(
            GrayImage::from_raw(w as u32, h as u32, gray[..w * h].to_vec()).expect("size checked"),
        );
        if !dec.more_images() {
            break;
        }
        if pages.len() >= MAX_PAGES {
            return Err(DecodeFailure {
                reason: Reason::ImageTooLarge,
                detail: format!("more than {MAX_PAGES} pages"),
            });
        }
        dec.next_image()
            .map_err(|e| bad(format!("page {}: {e}", pages.len() + 1)))?;
    }
    Ok(pages)
}

/// ITU-R BT.601 luma, as the image crate computes it.
fn luma(p: &[u8]) -> u8 {
    ((p[0] as u32 * 2126 + p[1] as u32 * 7152 + p[2] as u32 * 722) / 10_000) as u8
}
