//! The files document scanners write, made from page images: PNG, JPEG, BMP, multi-page TIFF
//! (8-bit grey, RGB, 1-bit CCITT G4) and PDFs with one embedded image a page (JPEG, Flate or
//! CCITT G4). They are written the way scanner firmware writes them, by hand where no encoder
//! crate does (G4 TIFF, scanner PDF), so that the reader is tested on files it did not make.

use std::io::{Cursor, Write};

use image::{DynamicImage, GrayImage, ImageFormat};

use crate::units::pt_from_px;

/// A scanner's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanFormat {
    Png,
    Jpeg,
    Bmp,
    /// Multi-page TIFF, 8-bit grey, PackBits.
    TiffGray,
    /// Multi-page TIFF, 8-bit RGB, PackBits.
    TiffRgb,
    /// Multi-page TIFF, 1-bit, CCITT group 4 (what office scanners write in black-and-white mode).
    TiffG4,
    /// PDF, one DCT (JPEG) image a page.
    PdfJpeg,
    /// PDF, one Flate-compressed grey image a page.
    PdfFlate,
    /// PDF, one CCITT group 4 image a page.
    PdfG4,
}

impl ScanFormat {
    pub const ALL: [ScanFormat; 9] = [
        ScanFormat::Png,
        ScanFormat::Jpeg,
        ScanFormat::Bmp,
        ScanFormat::TiffGray,
        ScanFormat::TiffRgb,
        ScanFormat::TiffG4,
        ScanFormat::PdfJpeg,
        ScanFormat::PdfFlate,
        ScanFormat::PdfG4,
    ];

    /// The name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            ScanFormat::Png => "png",
            ScanFormat::Jpeg => "jpeg",
            ScanFormat::Bmp => "bmp",
            ScanFormat::TiffGray => "tiff-gray",
            ScanFormat::TiffRgb => "tiff-rgb",
            ScanFormat::TiffG4 => "tiff-g4",
            ScanFormat::PdfJpeg => "pdf-jpeg",
            ScanFormat::PdfFlate => "pdf-flate",
            ScanFormat::PdfG4 => "pdf-g4",
        }
    }

    pub fn parse(s: &str) -> Option<ScanFormat> {
        ScanFormat::ALL.into_iter().find(|f| f.name() == s)
    }

    pub fn extension(self) -> &'static str {
        match self {
            ScanFormat::Png => "png",
            ScanFormat::Jpeg => "jpg",
            ScanFormat::Bmp => "bmp",
            ScanFormat::TiffGray | ScanFormat::TiffRgb | ScanFormat::TiffG4 => "tif",
            ScanFormat::PdfJpeg | ScanFormat::PdfFlate | ScanFormat::PdfG4 => "pdf",
        }
    }

    /// Whether one file holds several pages.
    pub fn multi_page(self) -> bool {
        self.extension() == "tif" || self.extension() == "pdf"
    }
}

/// Encodes pages scanned at `dpi` as one file. PNG, JPEG and BMP hold one page.
pub fn encode(pages: &[GrayImage], dpi: u32, format: ScanFormat) -> Result<Vec<u8>, String> {
    if pages.is_empty() {
        return Err("no pages".into());
    }
    if !format.multi_page() && pages.len() > 1 {
        return Err(format!("{} holds one page", format.name()));
    }
    let one = |f: ImageFormat, img: DynamicImage| -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), f)
            .map_err(|e| e.to_string())?;
        Ok(out)
    };
    match format {
        ScanFormat::Png => one(ImageFormat::Png, DynamicImage::ImageLuma8(pages[0].clone())),
        ScanFormat::Jpeg => Ok(jpeg(&pages[0], 90)?),
        ScanFormat::Bmp => one(
            ImageFormat::Bmp,
            DynamicImage::ImageLuma8(pages[0].clone()).to_rgb8().into(),
        ),
        ScanFormat::TiffGray | ScanFormat::TiffRgb => tiff_8bit(pages, format),
        ScanFormat::TiffG4 => Ok(tiff_g4(pages, dpi)),
        ScanFormat::PdfJpeg | ScanFormat::PdfFlate | ScanFormat::PdfG4 => pdf(pages, dpi, format),
    }
}

fn jpeg(img: &GrayImage, quality: u8) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

fn tiff_8bit(pages: &[GrayImage], format: ScanFormat) -> Result<Vec<u8>, String> {
    use tiff::encoder::{Compression, TiffEncoder, colortype};
    let mut out = Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut out)
        .map_err(|e| e.to_string())?
        .with_compression(Compression::Packbits);
    for p in pages {
        let r = if format == ScanFormat::TiffRgb {
            let rgb = DynamicImage::ImageLuma8(p.clone()).to_rgb8();
            enc.write_image::<colortype::RGB8>(p.width(), p.height(), rgb.as_raw())
        } else {
            enc.write_image::<colortype::Gray8>(p.width(), p.height(), p.as_raw())
        };
        r.map_err(|e| e.to_string())?;
    }
    Ok(out.into_inner())
}

/// A scanner's black-and-white mode: a fixed threshold at mid-grey.
fn binarize(p: &GrayImage) -> impl Iterator<Item = impl Iterator<Item = fax::Color> + '_> + '_ {
    p.rows().map(|row| {
        row.map(|px| {
            if px.0[0] < 128 {
                fax::Color::Black
            } else {
                fax::Color::White
            }
        })
    })
}

/// CCITT group 4 data of a page.
fn g4(p: &GrayImage) -> Vec<u8> {
    let mut enc = fax::encoder::Encoder::new(fax::VecWriter::new());
    let width = u16::try_from(p.width()).expect("pages narrower than 65536 pixels");
    for row in binarize(p) {
        enc.encode_line(row, width).expect("writing to memory");
    }
    enc.finish().expect("writing to memory").finish()
}

/// A multi-page little-endian TIFF, one G4 strip a page.
fn tiff_g4(pages: &[GrayImage], dpi: u32) -> Vec<u8> {
    let mut out: Vec<u8> = vec![b'I', b'I', 42, 0, 0, 0, 0, 0];
    // Where the previous IFD's "next IFD" offset is to be written (first: in the header).
    let mut link = 4usize;
    for p in pages {
        let data = g4(p);
        let data_at = out.len() as u32;
        out.extend_from_slice(&data);
        if out.len() % 2 == 1 {
            out.push(0);
        }
        let res_at = out.len() as u32;
        out.extend_from_slice(&dpi.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        // (tag, type, value): 3 = SHORT, 4 = LONG, 5 = RATIONAL (value is an offset).
        let entries: [(u16, u16, u32); 12] = [
            (256, 4, p.width()),
            (257, 4, p.height()),
            (258, 3, 1),
            (259, 3, 4), // CCITT T.6
            (262, 3, 0), // WhiteIsZero
            (273, 4, data_at),
            (274, 3, 1),
            (277, 3, 1),
            (278, 4, p.height()),
            (279, 4, data.len() as u32),
            (282, 5, res_at),
            (283, 5, res_at),
        ];
        let ifd_at = out.len();
        out[link..link + 4].copy_from_slice(&(ifd_at as u32).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16 + 1).to_le_bytes());
        for (tag, typ, value) in entries {
            out.extend_from_slice(&tag.to_le_bytes());
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&1u32.to_le_bytes());
            if typ == 3 {
                out.extend_from_slice(&(value as u16).to_le_bytes());
                out.extend_from_slice(&[0, 0]);
            } else {
                out.extend_from_slice(&value.to_le_bytes());
            }
        }
        // ResolutionUnit: inch (tags must be in ascending order).
        out.extend_from_slice(&296u16.to_le_bytes());
        out.extend_from_slice(&3u16.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&[2, 0, 0, 0]);
        link = out.len();
        out.extend_from_slice(&[0, 0, 0, 0]);
    }
    out
}

/// A PDF as a scanner writes it: each page exactly the size of its image, which fills it.
/// Ends a PDF whose objects start at `offsets` (object 1 the catalog): the cross-reference
/// table and the trailer.
pub(super) fn end_pdf(out: &mut Vec<u8>, offsets: &[usize]) {
    let xref_at = out.len();
    write!(out, "xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).expect("memory");
    for o in offsets {
        writeln!(out, "{o:010} 00000 n ").expect("memory");
    }
    write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        offsets.len() + 1
    )
    .expect("memory");
}

fn pdf(pages: &[GrayImage], dpi: u32, format: ScanFormat) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets: Vec<usize> = Vec::new();
    // Objects: 1 catalog, 2 page tree, then per page: page, contents, image.
    let page_obj = |i: usize| 3 + 3 * i;
    let mut obj = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        let n = offsets.len();
        writeln!(out, "{n} 0 obj").expect("memory");
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    obj(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", page_obj(i)))
        .collect();
    obj(
        &mut out,
        format!(
            "<< /Type /Pages /Count {} /Kids [{}] >>",
            pages.len(),
            kids.join(" ")
        )
        .as_bytes(),
    );
    for (i, p) in pages.iter().enumerate() {
        let (w, h) = p.dimensions();
        let (wpt, hpt) = (
            pt_from_px(w as f64, dpi as f64),
            pt_from_px(h as f64, dpi as f64),
        );
        let n = page_obj(i);
        obj(
            &mut out,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {wpt:.2} {hpt:.2}] \
                 /Resources << /XObject << /Im0 {} 0 R >> >> /Contents {} 0 R >>",
                n + 2,
                n + 1
            )
            .as_bytes(),
        );
        let content = format!("q {wpt:.2} 0 0 {hpt:.2} 0 0 cm /Im0 Do Q");
        obj(
            &mut out,
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            )
            .as_bytes(),
        );
        let (dict, data) = match format {
            ScanFormat::PdfJpeg => (
                "/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode".to_string(),
                jpeg(p, 85)?,
            ),
            ScanFormat::PdfFlate => {
                let mut z =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
                z.write_all(p.as_raw()).map_err(|e| e.to_string())?;
                (
                    "/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode".to_string(),
                    z.finish().map_err(|e| e.to_string())?,
                )
            }
            _ => (
                format!(
                    "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode \
                     /DecodeParms << /K -1 /Columns {w} /Rows {h} >>"
                ),
                g4(p),
            ),
        };
        let mut body = format!(
            "<< /Type /XObject /Subtype /Image /Width {w} /Height {h} {dict} /Length {} >>\nstream\n",
            data.len()
        )
        .into_bytes();
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\nendstream");
        obj(&mut out, &body);
    }
    end_pdf(&mut out, &offsets);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpret::decode::decode_pages;

    /// A page with black bars on white: survives every format, including 1-bit.
    fn page(seed: u32) -> GrayImage {
        GrayImage::from_fn(120, 90, |x, y| {
            if (x / 10 + y / 15 + seed).is_multiple_of(3) {
                image::Luma([0])
            } else {
                image::Luma([255])
            }
        })
    }

    #[test]
    fn every_format_decodes_back_to_its_pages() {
        let pages = [page(0), page(1)];
        for f in ScanFormat::ALL {
            let input: &[GrayImage] = if f.multi_page() { &pages } else { &pages[..1] };
            let bytes = encode(input, 150, f).unwrap();
            let got = decode_pages(&bytes).unwrap_or_else(|e| panic!("{}: {e:?}", f.name()));
            assert_eq!(got.len(), input.len(), "{}", f.name());
            for (g, want) in got.iter().zip(input) {
                // PDFs are rendered at 300 dpi: twice the pixels of a 150-dpi page.
                let k = (g.width() as f64 / want.width() as f64).round() as u32;
                let kh = (g.height() as f64 / want.height() as f64).round() as u32;
                assert_eq!(kh, k, "{}", f.name());
                let mut wrong = 0;
                for (x, y, p) in want.enumerate_pixels() {
                    let (gx, gy) = (
                        (x * k + k / 2).min(g.width() - 1),
                        (y * k + k / 2).min(g.height() - 1),
                    );
                    let q = g.get_pixel(gx, gy).0[0];
                    if (p.0[0] < 128) != (q < 128) {
                        wrong += 1;
                    }
                }
                assert!(
                    wrong * 100 < want.len(),
                    "{}: {wrong} pixels differ",
                    f.name()
                );
            }
        }
    }

    #[test]
    fn formats_round_trip_their_names() {
        for f in ScanFormat::ALL {
            assert_eq!(ScanFormat::parse(f.name()), Some(f));
        }
        assert_eq!(ScanFormat::parse("gif"), None);
    }
}
