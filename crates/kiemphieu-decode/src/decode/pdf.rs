//! Scanner PDFs: every page a sheet, rendered at [`PDF_DPI`] when one scanned image covers it;
//! a page with no such image is an error of its own (`no_scanned_image`). Sizes and page counts
//! are checked from the file before anything is rendered.

use image::GrayImage;

use super::{
    DecodeFailure, DecodedPage, MAX_PAGE_PIXELS, MAX_PAGES, MAX_SIDE_PX, OnPage, PDF_DPI, Permit,
    check_size, fail, looks_complete, luma,
};
use crate::record::Reason;
use crate::units::{inch_from_pt, mm_from_pt};

/// A PDF page is a scan when one image covers at least this share of it.
const SCANNED_SHARE: f64 = 0.5;

pub(super) fn decode_pdf(bytes: &[u8], on_page: &mut OnPage) -> Result<(), DecodeFailure> {
    use hayro::hayro_syntax::Pdf;
    // A cut-off file (no `%%EOF` at its end) may have lost pages that its page tree still
    // counts. A whole file's count is the reader's: an incremental update can leave an older,
    // larger count behind.
    let declared = if looks_complete(bytes) {
        None
    } else {
        declared_pdf_pages(bytes)
    };
    let pdf = match Pdf::new(bytes.to_vec()) {
        Ok(pdf) => pdf,
        // Cut off before any page can be found: each page it declares is reported.
        Err(e) if declared.is_some_and(|n| (1..=MAX_PAGES).contains(&n)) => {
            for number in 1..=declared.unwrap_or(0) as u32 {
                on_page(
                    number,
                    Err(fail(
                        Reason::ReadFailed,
                        format!("page {number}: the PDF is cut off or damaged ({e:?})"),
                    )),
                );
            }
            return Ok(());
        }
        Err(e) => {
            return Err(fail(
                Reason::NotAnImage,
                format!("the PDF cannot be read: {e:?}"),
            ));
        }
    };
    let pages = pdf.pages();
    let found = pages.len();
    // A damaged file's pages are found by searching its objects; the page tree still says how
    // many it holds, and none of those goes unreported.
    let n = found.max(declared.unwrap_or(0));
    if n == 0 {
        return Err(fail(Reason::NotAnImage, "the PDF has no pages"));
    }
    if n > MAX_PAGES {
        return Err(fail(
            Reason::ImageTooLarge,
            format!("the PDF has {n} pages (at most {MAX_PAGES})"),
        ));
    }
    for i in 0..n {
        let number = i as u32 + 1;
        let Some(page) = pages.get(i) else {
            on_page(
                number,
                Err(fail(
                    Reason::ReadFailed,
                    format!(
                        "page {number}: the PDF declares {n} pages but only {found} can be found (the file is cut off or damaged)"
                    ),
                )),
            );
            continue;
        };
        on_page(number, render_pdf_page(page, number));
    }
    Ok(())
}

/// The largest `/Count` of a page-tree node, read from the raw bytes: how many pages the file
/// says it holds, even when the objects of some are missing.
fn declared_pdf_pages(bytes: &[u8]) -> Option<usize> {
    let mut best: Option<usize> = None;
    let mut at = 0;
    while let Some(k) = find(&bytes[at..], b"/Count") {
        let start = at + k + 6;
        at = start;
        // Only a page-tree node (a dictionary that says /Type /Pages) counts pages.
        let from = bytes[..start].iter().rposition(|&b| b == b'<').unwrap_or(0);
        let to = (start + 256).min(bytes.len());
        let dict = &bytes[from.saturating_sub(256)..to];
        if find(dict, b"/Pages").is_none() {
            continue;
        }
        let digits: Vec<u8> = bytes[start..]
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .take(7)
            .collect();
        if let Some(n) = std::str::from_utf8(&digits)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        {
            best = Some(best.map_or(n, |b| b.max(n)));
        }
    }
    best
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// An image drawn on a PDF page: its pixels, and the share of the page it covers.
#[derive(Debug, Clone, Copy)]
struct PlacedImage {
    width: u64,
    height: u64,
    area: f64,
}

fn render_pdf_page(
    page: &hayro::hayro_syntax::page::Page,
    number: u32,
) -> Result<DecodedPage, DecodeFailure> {
    let (w_pt, h_pt) = page.render_dimensions();
    let (w_pt, h_pt) = (w_pt as f64, h_pt as f64);
    let (w_mm, h_mm) = (mm_from_pt(w_pt), mm_from_pt(h_pt));
    let (w_px, h_px) = (
        (inch_from_pt(w_pt) * PDF_DPI).ceil().max(0.0) as u64,
        (inch_from_pt(h_pt) * PDF_DPI).ceil().max(0.0) as u64,
    );
    if w_px > MAX_SIDE_PX as u64 || h_px > MAX_SIDE_PX as u64 {
        return Err(fail(
            Reason::ImageTooLarge,
            format!("page {number} is {w_mm:.0} × {h_mm:.0} mm, too large for a ballot"),
        ));
    }
    check_size(number, w_px, h_px)?;
    let images = page_images(page);
    for im in &images {
        if im.width > MAX_SIDE_PX as u64
            || im.height > MAX_SIDE_PX as u64
            || im.width * im.height > MAX_PAGE_PIXELS
        {
            return Err(fail(
                Reason::ImageTooLarge,
                format!(
                    "page {number} holds an image of {}×{} pixels (at most {MAX_SIDE_PX} a side, {} million in all)",
                    im.width,
                    im.height,
                    MAX_PAGE_PIXELS / 1_000_000
                ),
            ));
        }
    }
    let page_area = w_pt * h_pt;
    let scanned = images
        .iter()
        .any(|im| page_area > 0.0 && im.area >= SCANNED_SHARE * page_area);
    if !scanned {
        return Err(fail(
            Reason::NoScannedImage,
            format!(
                "page {number} holds no scanned image (text or drawing made by a PDF writer, such as a printed ballot file)"
            ),
        ));
    }
    // The page's pixmap (RGBA) and its gray copy, and every image decoded in its colours.
    let image_px: u64 = images.iter().map(|im| im.width * im.height).sum();
    let permit = Permit::acquire(w_px * h_px * 5 + image_px * 4);
    let image = render_gray(page);
    Ok(DecodedPage { image, permit })
}

/// Renders a page at [`PDF_DPI`] on white paper, straight to gray.
fn render_gray(page: &hayro::hayro_syntax::page::Page) -> GrayImage {
    let (w, h, rgba) = crate::raster::render_rgba(page, PDF_DPI);
    let gray: Vec<u8> = rgba.chunks_exact(4).map(luma).collect();
    GrayImage::from_raw(w, h, gray).expect("pixmap size")
}

/// Every image a page draws (directly, inline, or inside form XObjects), with the area (in
/// square points) that it covers.
fn page_images(page: &hayro::hayro_syntax::page::Page) -> Vec<PlacedImage> {
    let mut out = Vec::new();
    let mut ops = page.typed_operations();
    walk_content(&mut ops, page.resources(), IDENTITY, 0, &mut out);
    out
}

type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `m` applied first, then `n` (PDF's row-vector convention: `m × n`).
fn concat(m: Matrix, n: Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

/// The area of the unit square under `m`.
fn unit_area(m: Matrix) -> f64 {
    (m[0] * m[3] - m[1] * m[2]).abs()
}

fn image_size(dict: &hayro::hayro_syntax::object::Dict) -> (u64, u64) {
    let get = |a: &str, b: &str| {
        dict.get::<f64>(a)
            .or_else(|| dict.get::<f64>(b))
            .unwrap_or(0.0)
            .max(0.0) as u64
    };
    (get("Width", "W"), get("Height", "H"))
}

fn walk_content(
    ops: &mut hayro::hayro_syntax::content::TypedIter,
    resources: &hayro::hayro_syntax::page::Resources,
    base: Matrix,
    depth: usize,
    out: &mut Vec<PlacedImage>,
) {
    use hayro::hayro_syntax::content::ops::TypedInstruction as Op;
    use hayro::hayro_syntax::object::{Dict, Name};
    let mut ctm = base;
    let mut stack: Vec<Matrix> = Vec::new();
    // A hostile content stream could hold millions of operators; images come early in a scan.
    let mut budget = 1_000_000usize;
    while let Some(op) = ops.next() {
        budget -= 1;
        if budget == 0 || out.len() > 10_000 {
            break;
        }
        match op {
            Op::SaveState(_) => stack.push(ctm),
            Op::RestoreState(_) => ctm = stack.pop().unwrap_or(base),
            Op::Transform(t) => {
                let m = [
                    t.0.as_f64(),
                    t.1.as_f64(),
                    t.2.as_f64(),
                    t.3.as_f64(),
                    t.4.as_f64(),
                    t.5.as_f64(),
                ];
                ctm = concat(m, ctm);
            }
            Op::InlineImage(s) => {
                let (width, height) = image_size(s.0.dict());
                out.push(PlacedImage {
                    width,
                    height,
                    area: unit_area(ctm),
                });
            }
            Op::XObject(x) => {
                let Some(stream) = resources.get_x_object(x.0) else {
                    continue;
                };
                let dict = stream.dict();
                let subtype = dict.get::<Name>("Subtype");
                match subtype.as_deref() {
                    Some(b"Image") => {
                        let (width, height) = image_size(dict);
                        out.push(PlacedImage {
                            width,
                            height,
                            area: unit_area(ctm),
                        });
                    }
                    Some(b"Form") if depth < 8 => {
                        let m = dict.get::<[f64; 6]>("Matrix").unwrap_or(IDENTITY);
                        let Ok(content) = stream.decoded() else {
                            continue;
                        };
                        let own = dict
                            .get::<Dict>("Resources")
                            .map(hayro::hayro_syntax::page::Resources::new);
                        let res = own.as_ref().unwrap_or(resources);
                        let mut inner = hayro::hayro_syntax::content::TypedIter::new(&content);
                        walk_content(&mut inner, res, concat(m, ctm), depth + 1, out);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}
