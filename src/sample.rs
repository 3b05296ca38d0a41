//! A reproducible random sample of counted sheets for a hand count, and a printable PDF of them:
//! each page shows the archived scan (with the recorded reading drawn over it) and what was
//! recorded, row by row, in Vietnamese, with a box to tick for "đúng" (the paper agrees) or "sai"
//! (it does not, with room to write what the paper says), and the checker's name, the date and a
//! signature line.

use printpdf::{
    Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Pt, RawImage,
    RawImageData, RawImageFormat, TextItem, TextMatrix, XObjectTransform,
};

use crate::font::{BOLD_TTF, REGULAR_TTF};
use crate::interpret::decode::decode_pages;
use crate::interpret::interpret_page;
use crate::record::{Outcome, RowVerdict};
use crate::store::{StoreError, StoredSheet};
use crate::vote::Vote;

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("sheet {sheet}: its archived image {path} cannot be used: {reason}")]
    Image {
        sheet: i64,
        path: String,
        reason: String,
    },
}

/// SplitMix64: a tiny, fixed generator, so a seed names the same sample in every version.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (rejection sampling: no modulo bias).
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next();
            if v < zone {
                return v % n;
            }
        }
    }
}

/// Picks `count` counted sheets at random with `seed`, in record order.
pub fn pick(vote: &Vote, count: usize, seed: u64) -> Result<Vec<StoredSheet>, StoreError> {
    let mut counted: Vec<StoredSheet> = vote
        .store
        .sheets()?
        .into_iter()
        .filter(|s| s.record.outcome == Outcome::Counted)
        .collect();
    let mut rng = SplitMix(seed);
    // A partial Fisher–Yates shuffle over the record order.
    let k = count.min(counted.len());
    for i in 0..k {
        let j = i + rng.below((counted.len() - i) as u64) as usize;
        counted.swap(i, j);
    }
    counted.truncate(k);
    counted.sort_by_key(|s| s.id);
    Ok(counted)
}

/// The printable PDF of a sample.
pub fn sample_pdf(vote: &Vote, sheets: &[StoredSheet], seed: u64) -> Result<Vec<u8>, SampleError> {
    let mut doc = PdfDocument::new("Hand count sample");
    let mut fw = Vec::new();
    let regular =
        doc.add_font(&ParsedFont::from_bytes(REGULAR_TTF, 0, &mut fw).expect("bundled font"));
    let bold = doc.add_font(&ParsedFont::from_bytes(BOLD_TTF, 0, &mut fw).expect("bundled font"));
    let text =
        |ops: &mut Vec<Op>, s: &str, x: f64, y_top: f64, size: f64, font: &printpdf::FontId| {
            ops.extend([
                Op::StartTextSection,
                Op::SetFont {
                    font: PdfFontHandle::External(font.clone()),
                    size: Pt(size as f32),
                },
                Op::SetTextMatrix {
                    matrix: TextMatrix::Translate(
                        Mm(x as f32).into(),
                        Mm((297.0 - y_top) as f32).into(),
                    ),
                },
                Op::ShowText {
                    items: vec![TextItem::Text(s.to_string())],
                },
                Op::EndTextSection,
            ]);
        };
    let mut pages = Vec::new();
    for (n, s) in sheets.iter().enumerate() {
        let rec = &s.record;
        let bad = |reason: String| SampleError::Image {
            sheet: s.id,
            path: s.archive.clone().unwrap_or_default(),
            reason,
        };
        let path = vote.dir.join(
            s.archive
                .as_deref()
                .ok_or_else(|| bad("no archived image".into()))?,
        );
        let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
        let pages_img = decode_pages(&bytes).map_err(|e| bad(e.detail))?;
        let img = pages_img
            .get(rec.page as usize - 1)
            .ok_or_else(|| bad("page missing".into()))?;
        let reading = interpret_page(img, &vote.layout, &vote.form.marks);
        let pic = crate::annotate::annotate(img, &reading, rec, &vote.layout, &[]);
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
        let dpi = w_px / (w_mm / 25.4);
        let mut ops = vec![Op::UseXobject {
            id,
            transform: XObjectTransform {
                translate_x: Some(Mm(15.0).into()),
                translate_y: Some(Mm((297.0 - 15.0 - h_mm) as f32).into()),
                dpi: Some(dpi as f32),
                ..Default::default()
            },
        }];
        let x = 140.0;
        text(
            &mut ops,
            &format!("Mẫu kiểm đếm tay {}/{}", n + 1, sheets.len()),
            x,
            20.0,
            11.0,
            &bold,
        );
        text(
            &mut ops,
            &format!("Hạt giống (seed): {seed}"),
            x,
            26.0,
            9.0,
            &regular,
        );
        text(
            &mut ops,
            &format!("Phiếu (sheet) số: {}", s.id),
            x,
            32.0,
            9.0,
            &regular,
        );
        let serial = rec
            .serial
            .as_deref()
            .map_or_else(|| "—".to_string(), crate::annotate::serial_as_printed);
        text(&mut ops, &format!("Số seri: {serial}"), x, 38.0, 9.0, &bold);
        text(
            &mut ops,
            &format!("{} tr.{}", short(&rec.file), rec.page),
            x,
            44.0,
            7.5,
            &regular,
        );
        text(&mut ops, "Máy đã ghi nhận:", x, 53.0, 10.0, &bold);
        // Each row: the name; what was recorded; đúng / sai boxes and room for the paper's
        // reading. The rows share what is left above the signature lines.
        let (top, bottom) = (59.0, 297.0 - 42.0);
        let n_rows = rec.rows.len().max(1) as f64;
        let step = ((bottom - top) / n_rows).min(16.0);
        let size = if step < 12.0 { 7.5 } else { 9.0 };
        let mut y = top;
        for (row, layout) in rec.rows.iter().zip(&vote.layout.rows) {
            let what = match (row.verdict, row.choice) {
                (RowVerdict::Valid, Some(k)) => {
                    vote.form.levels.get(k).cloned().unwrap_or_default()
                }
                (v, _) => format!("không hợp lệ: {}", verdict_vi(v)),
            };
            text(
                &mut ops,
                &format!("{}. {}", row.subject, short_name(&layout.name)),
                x,
                y + 3.0,
                size,
                &bold,
            );
            text(
                &mut ops,
                &what,
                x + 3.0,
                y + 3.0 + step / 4.0,
                size,
                &regular,
            );
            text(
                &mut ops,
                "□ đúng    □ sai: ..................",
                x + 3.0,
                y + 3.0 + step / 2.0,
                size,
                &regular,
            );
            y += step;
        }
        let y = 297.0 - 36.0;
        for (i, line) in [
            "Người kiểm (họ tên): ..........................",
            "Ngày kiểm: ......../......../............",
            "Chữ ký: ......................................",
        ]
        .iter()
        .enumerate()
        {
            text(&mut ops, line, x, y + 8.0 * i as f64, 9.0, &regular);
        }
        pages.push(PdfPage::new(Mm(210.0), Mm(297.0), ops));
    }
    let mut warnings = Vec::new();
    Ok(doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings))
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
