//! The printable hand-count sample: each page shows the archived scan (with the recorded reading
//! drawn over it) and what was recorded, row by row, in Vietnamese, with a box to tick for "đúng"
//! (the paper agrees) or "sai" (it does not, with room to write what the paper says), and the
//! checker's name, the date and a signature line. Which sheets, and their pictures, come from the
//! store (`kiemphieu_store::sample`); this module only writes the pages.

use image::RgbImage;
use printpdf::{PdfDocument, PdfSaveOptions, RawImage, RawImageData, RawImageFormat};

use crate::layout::{BallotLayout, PointMm};
use crate::page::{Fonts, Page};
use crate::record::{RowVerdict, StoredSheet};
use crate::units::{A4_H_MM, dpi_of};

/// One sheet of the sample: its record and the picture of its page, the reading drawn over it.
pub struct SampleSheet<'a> {
    pub sheet: &'a StoredSheet,
    pub picture: RgbImage,
}

/// The printable PDF of a sample; `levels` as the form names them.
pub fn sample_pdf(
    layout: &BallotLayout,
    levels: &[String],
    sheets: Vec<SampleSheet<'_>>,
    seed: u64,
) -> Vec<u8> {
    let mut doc = PdfDocument::new("Hand count sample");
    let fonts = Fonts::load(&mut doc);
    let (regular, bold) = (fonts.id(false), fonts.id(true));
    let text = |page: &mut Page, s: &str, x: f64, y: f64, size: f64, font| {
        page.text(s, PointMm { x, y }, size, font)
    };
    let count = sheets.len();
    let mut pages = Vec::new();
    for (
        n,
        SampleSheet {
            sheet: s,
            picture: pic,
        },
    ) in sheets.into_iter().enumerate()
    {
        let rec = &s.record;
        let raw = RawImage {
            width: pic.width() as usize,
            height: pic.height() as usize,
            pixels: RawImageData::U8(pic.into_raw()),
            data_format: RawImageFormat::RGB8,
            tag: Vec::new(),
        };
        let (w_px, h_px) = (raw.width as f64, raw.height as f64);
        let id = doc.add_image(&raw);
        // The picture fills the top of the page, 120 mm wide.
        let w_mm = 120.0;
        let h_mm = w_mm * h_px / w_px;
        let dpi = dpi_of(w_px, w_mm);
        let mut page = Page::a4();
        let bottom_left = PointMm {
            x: 15.0,
            y: 15.0 + h_mm,
        };
        page.image(id, bottom_left, dpi);
        let x = 140.0;
        text(
            &mut page,
            &format!("Mẫu kiểm đếm tay {}/{}", n + 1, count),
            x,
            20.0,
            11.0,
            bold,
        );
        text(
            &mut page,
            &format!("Hạt giống (seed): {seed}"),
            x,
            26.0,
            9.0,
            regular,
        );
        text(
            &mut page,
            &format!("Phiếu (sheet) số: {}", s.id),
            x,
            32.0,
            9.0,
            regular,
        );
        let serial = rec
            .serial
            .as_deref()
            .map_or_else(|| "—".to_string(), crate::annotate::serial_as_printed);
        text(&mut page, &format!("Số seri: {serial}"), x, 38.0, 9.0, bold);
        text(
            &mut page,
            &format!("{} tr.{}", short(&rec.file), rec.page),
            x,
            44.0,
            7.5,
            regular,
        );
        text(&mut page, "Máy đã ghi nhận:", x, 53.0, 10.0, bold);
        // Each row: the name; what was recorded; đúng / sai boxes and room for the paper's
        // reading. The rows share what is left above the signature lines.
        let (top, bottom) = (59.0, A4_H_MM - 42.0);
        let n_rows = rec.rows.len().max(1) as f64;
        let step = ((bottom - top) / n_rows).min(16.0);
        let size = if step < 12.0 { 7.5 } else { 9.0 };
        let mut y = top;
        for (row, layout) in rec.rows.iter().zip(&layout.rows) {
            let what = match (row.verdict, row.choice) {
                (RowVerdict::Valid, Some(k)) => levels.get(k).cloned().unwrap_or_default(),
                (v, _) => format!("không hợp lệ: {}", verdict_vi(v)),
            };
            text(
                &mut page,
                &format!("{}. {}", row.subject, short_name(&layout.name)),
                x,
                y + 3.0,
                size,
                bold,
            );
            text(
                &mut page,
                &what,
                x + 3.0,
                y + 3.0 + step / 4.0,
                size,
                regular,
            );
            text(
                &mut page,
                "□ đúng    □ sai: ..................",
                x + 3.0,
                y + 3.0 + step / 2.0,
                size,
                regular,
            );
            y += step;
        }
        let y = A4_H_MM - 36.0;
        for (i, line) in [
            "Người kiểm (họ tên): ..........................",
            "Ngày kiểm: ......../......../............",
            "Chữ ký: ......................................",
        ]
        .iter()
        .enumerate()
        {
            text(&mut page, line, x, y + 8.0 * i as f64, 9.0, regular);
        }
        pages.push(page.into_pdf_page());
    }
    let mut warnings = Vec::new();
    doc.with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings)
}

/// Why a row does not count, in Vietnamese.
fn verdict_vi(v: RowVerdict) -> &'static str {
    match v {
        RowVerdict::Valid => "hợp lệ",
        RowVerdict::NoMark => "không đánh dấu",
        RowVerdict::MultipleMarks => "nhiều ô",
        RowVerdict::CrossedOut => "gạch tên",
        RowVerdict::Ambiguous => "không rõ",
    }
}

/// A name cut to fit the 60 mm column.
fn short_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= 30 {
        name.to_string()
    } else {
        format!("{}…", chars[..29].iter().collect::<String>())
    }
}

fn short(file: &str) -> String {
    let chars: Vec<char> = file.chars().collect();
    if chars.len() <= 40 {
        file.to_string()
    } else {
        format!("…{}", chars[chars.len() - 39..].iter().collect::<String>())
    }
}
