//! The geometry of a printed ballot, in millimetres from the page's top-left corner, y downwards.
//!
//! This is the one source of geometry: `print` draws what it says and `interpret` looks where it
//! says. The part that scripts and auditors rely on is written to `VOTE/layout.json`
//! (`kiemphieu-layout/1`, see docs/contract.md); text placements are derived again from the form.

use serde::{Deserialize, Serialize};

use crate::font::BallotFont;
use crate::form::Form;
use crate::grid::{
    CELL_PAD_MM, COLS_MM, HEADER_ROW_MM, ORGANIZATION_PT, SUBTITLE_PT, TABLE_LEFT, TABLE_TOP,
    TITLE_PT, col_x, position_line_mm, row_height,
};
// Re-exported: interpretation and printing name these through the layout.
pub use crate::grid::{HEADER_PT, NAME_PT, POSITION_PT, max_subjects};
use crate::units::mm_from_pt;

pub const FORMAT: &str = "kiemphieu-layout/1";
pub const PAGE_W_MM: f64 = crate::units::A4_W_MM;
pub const PAGE_H_MM: f64 = crate::units::A4_H_MM;

/// Side of a registration mark.
pub const FIDUCIAL_MM: f64 = 8.0;
/// Side of the white hole in the bottom-right mark, which tells the page's orientation.
pub const FIDUCIAL_HOLE_MM: f64 = 4.0;
/// Side of a mark box.
pub const BOX_MM: f64 = 6.0;
/// Stroke width of box frames and table rules.
pub const RULE_MM: f64 = 0.35;

/// Margin around a name's ink in `name_rect` (anti-aliasing, print spread).
pub const NAME_INK_MARGIN_MM: f64 = 0.25;

/// A rectangle on the page, in millimetres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RectMm {
    pub x_mm: f64,
    pub y_mm: f64,
    pub w_mm: f64,
    pub h_mm: f64,
}

impl RectMm {
    pub const fn new(x_mm: f64, y_mm: f64, w_mm: f64, h_mm: f64) -> RectMm {
        RectMm {
            x_mm,
            y_mm,
            w_mm,
            h_mm,
        }
    }
    pub fn center(&self) -> PointMm {
        PointMm {
            x: self.x_mm + self.w_mm / 2.0,
            y: self.y_mm + self.h_mm / 2.0,
        }
    }
    /// The same rectangle shrunk by `d` on every side.
    pub fn inset(&self, d: f64) -> RectMm {
        RectMm::new(
            self.x_mm + d,
            self.y_mm + d,
            self.w_mm - 2.0 * d,
            self.h_mm - 2.0 * d,
        )
    }
    /// The four corners, from the top-left clockwise (as seen on the page).
    pub fn corners(&self) -> [PointMm; 4] {
        let (l, t, r, b) = (self.x_mm, self.y_mm, self.right(), self.bottom());
        [
            PointMm { x: l, y: t },
            PointMm { x: r, y: t },
            PointMm { x: r, y: b },
            PointMm { x: l, y: b },
        ]
    }

    pub fn right(&self) -> f64 {
        self.x_mm + self.w_mm
    }
    pub fn bottom(&self) -> f64 {
        self.y_mm + self.h_mm
    }
}

/// A point on the page, in millimetres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointMm {
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PageSize {
    pub width_mm: f64,
    pub height_mm: f64,
}

/// One subject's row on the ballot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowLayout {
    /// 1-based, in ballot order.
    pub subject: usize,
    pub name: String,
    pub position: String,
    /// Where the name is printed: a line through it crosses the name out.
    pub name_rect: RectMm,
    /// The row between its rules: a search for a crossing line stays inside it, so the table's
    /// own rules are never taken for one.
    pub row_rect: RectMm,
    /// One box per level, in the order of the form's levels.
    pub boxes: [RectMm; 3],
    /// The left end of the name's baseline is `name_rect`'s left edge; this is its height. Absent
    /// from a layout.json written before it was recorded: [`RowLayout::name_baseline`] derives it
    /// from `name_rect` as the scanner always has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_baseline_mm: Option<f64>,
}

impl RowLayout {
    /// Where the name's baseline runs (mm from the top of the page): as recorded, or, for an
    /// older layout, under the name's tallest accent by the name rect's margin, which is how
    /// the rect was made from it.
    pub fn name_baseline(&self, font: &BallotFont) -> f64 {
        self.name_baseline_mm.unwrap_or_else(|| {
            let (above, _) = font.ink_extent_mm(&self.name, NAME_PT);
            self.name_rect.y_mm + NAME_INK_MARGIN_MM + above
        })
    }
}

/// Where the QR code's modules are printed: `rect` holds the code and `quiet_modules` module
/// widths of white around it on every side. With 0 (every ballot so far) the modules fill the
/// rect and the white page around it is the code's quiet zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QrPlacement {
    pub rect: RectMm,
    pub quiet_modules: u32,
}

impl QrPlacement {
    /// The top-left corner of module (0, 0) of an `n`-module code, and a module's side (mm).
    pub fn grid(&self, n: usize) -> (PointMm, f64) {
        let q = self.quiet_modules as usize;
        let pitch = self.rect.w_mm / (n + 2 * q) as f64;
        let quiet = q as f64 * pitch;
        let origin = PointMm {
            x: self.rect.x_mm + quiet,
            y: self.rect.y_mm + quiet,
        };
        (origin, pitch)
    }
}

/// How one line of text is set on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct TextPlacement {
    pub text: String,
    /// Left end of the baseline.
    pub x_mm: f64,
    pub baseline_mm: f64,
    pub size_pt: f64,
    pub bold: bool,
}

/// The page as `generate` prints it and `scan` reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BallotLayout {
    pub format: String,
    pub vote: String,
    pub page: PageSize,
    /// Top-left, top-right, bottom-left (solid squares), bottom-right (a square with a hole).
    pub fiducials: [RectMm; 4],
    pub qr: RectMm,
    /// Module widths of white printed inside `qr` around the code (see [`QrPlacement`]); absent
    /// from an older layout.json, whose ballots print none.
    #[serde(default)]
    pub qr_quiet_modules: u32,
    pub stamp: RectMm,
    pub rows: Vec<RowLayout>,
    /// The labels of the three levels, as printed in the table's head.
    #[serde(default)]
    pub levels: Vec<String>,
    /// Where the serial is printed as text, under the QR code.
    #[serde(default = "BallotLayout::default_serial_rect")]
    pub serial_text: RectMm,
    /// The table's outer frame.
    #[serde(default = "BallotLayout::default_table_rect")]
    pub table: RectMm,
    /// Text lines, derived from the form; not part of layout.json.
    #[serde(skip)]
    pub texts: Vec<TextPlacement>,
    /// The table's vertical rules (x) and horizontal rules (y); not part of layout.json.
    #[serde(skip)]
    pub rules: (Vec<f64>, Vec<f64>),
}

impl BallotLayout {
    fn default_serial_rect() -> RectMm {
        RectMm::new(150.0, 43.0, 46.0, 5.0)
    }
    fn default_table_rect() -> RectMm {
        RectMm::new(TABLE_LEFT, TABLE_TOP, COLS_MM.iter().sum(), 0.0)
    }

    /// Where the QR code is printed, and read.
    pub fn qr_placement(&self) -> QrPlacement {
        QrPlacement {
            rect: self.qr,
            quiet_modules: self.qr_quiet_modules,
        }
    }

    /// The fixed frame of every ballot: fiducials, stamp zone, QR.
    pub fn fiducial_rects() -> [RectMm; 4] {
        let (l, r) = (10.0, PAGE_W_MM - 10.0 - FIDUCIAL_MM);
        let (t, b) = (10.0, PAGE_H_MM - 10.0 - FIDUCIAL_MM);
        [
            RectMm::new(l, t, FIDUCIAL_MM, FIDUCIAL_MM),
            RectMm::new(r, t, FIDUCIAL_MM, FIDUCIAL_MM),
            RectMm::new(l, b, FIDUCIAL_MM, FIDUCIAL_MM),
            RectMm::new(r, b, FIDUCIAL_MM, FIDUCIAL_MM),
        ]
    }

    /// Computes the layout of a (validated) form.
    pub fn for_form(form: &Form) -> BallotLayout {
        let regular = BallotFont::regular();
        let bold = BallotFont::bold();
        let mut texts = Vec::new();
        let mut centered = |text: &str, cx: f64, baseline: f64, size: f64, is_bold: bool| {
            let f = if is_bold { &bold } else { &regular };
            texts.push(TextPlacement {
                text: text.to_string(),
                x_mm: cx - f.width_mm(text, size) / 2.0,
                baseline_mm: baseline,
                size_pt: size,
                bold: is_bold,
            });
        };
        // Header between the stamp (left) and the QR code (right); the quốc hiệu and tiêu ngữ
        // above the agency when the form asks for them.
        let mut org_top = 20.0;
        if form.national_header_on_ballot {
            centered(NATIONAL_NAME, 107.0, 19.0, 9.5, true);
            centered(NATIONAL_MOTTO, 107.0, 23.5, 9.5, true);
            org_top = 31.0;
        }
        let n_org = form.organization.len();
        for (i, line) in form.organization.iter().enumerate() {
            centered(
                line,
                107.0,
                org_top + 5.0 * i as f64,
                ORGANIZATION_PT,
                i + 1 == n_org,
            );
        }
        centered(&form.title, 105.0, 55.0, TITLE_PT, true);
        for (i, line) in form.subtitle.iter().enumerate() {
            centered(line, 105.0, 61.5 + 5.0 * i as f64, SUBTITLE_PT, false);
        }
        centered(
            "Đánh dấu X hoặc ✓ vào một ô duy nhất cho mỗi người; không gạch xoá họ tên.",
            105.0,
            76.0,
            9.0,
            false,
        );

        let qr = RectMm::new(160.0, 16.0, 26.0, 26.0);
        let serial_text = RectMm::new(150.0, 43.0, 46.0, 5.0);
        let stamp = RectMm::new(22.0, 12.0, 32.0, 32.0);

        // The table.
        let n = form.subjects.len();
        let row_h = row_height(n);
        let table_w: f64 = COLS_MM.iter().sum();
        let table_h = HEADER_ROW_MM + row_h * n as f64;
        let table = RectMm::new(TABLE_LEFT, TABLE_TOP, table_w, table_h);
        let head_mid = TABLE_TOP + HEADER_ROW_MM / 2.0;
        let mut head_cell = |text: &str, col: usize| {
            let lines = bold
                .wrap(text, HEADER_PT, COLS_MM[col] - CELL_PAD_MM)
                .unwrap_or_else(|| vec![text.to_string()]);
            let lh = mm_from_pt(HEADER_PT) * 1.2;
            let first = head_mid - lh * (lines.len() as f64 - 1.0) / 2.0 + 1.1;
            for (k, l) in lines.iter().enumerate() {
                texts.push(TextPlacement {
                    text: l.clone(),
                    x_mm: col_x(col) + (COLS_MM[col] - bold.width_mm(l, HEADER_PT)) / 2.0,
                    baseline_mm: first + lh * k as f64,
                    size_pt: HEADER_PT,
                    bold: true,
                });
            }
        };
        head_cell("STT", 0);
        head_cell("Họ và tên", 1);
        head_cell("Chức vụ", 2);
        for (i, level) in form.levels.iter().enumerate() {
            head_cell(level, 3 + i);
        }

        let cap = 0.73 * mm_from_pt(NAME_PT);
        let mut rows = Vec::with_capacity(n);
        for (i, s) in form.subjects.iter().enumerate() {
            let top = TABLE_TOP + HEADER_ROW_MM + row_h * i as f64;
            let mid = top + row_h / 2.0;
            let baseline = mid + cap / 2.0;
            let stt = format!("{}", i + 1);
            texts.push(TextPlacement {
                text: stt.clone(),
                x_mm: col_x(0) + (COLS_MM[0] - regular.width_mm(&stt, NAME_PT)) / 2.0,
                baseline_mm: baseline,
                size_pt: NAME_PT,
                bold: false,
            });
            let name_x = col_x(1) + CELL_PAD_MM;
            let name_w = regular.width_mm(&s.name, NAME_PT);
            // The name's own ink, from stacked accents over capitals (Ễ) to a dot under a
            // descender (gỵ), with a hair of margin: a line through the rect is through the name.
            let (above, below) = regular.ink_extent_mm(&s.name, NAME_PT);
            let name_rect = RectMm::new(
                name_x,
                baseline - above - NAME_INK_MARGIN_MM,
                name_w,
                above + below + 2.0 * NAME_INK_MARGIN_MM,
            );
            // The name is printed, and its letters looked for, on the baseline as measured back
            // from the rect (the row's baseline give or take a rounding), as the scanner always
            // derived it: one value for both, recorded in layout.json.
            let name_baseline = name_rect.y_mm + NAME_INK_MARGIN_MM + above;
            texts.push(TextPlacement {
                text: s.name.clone(),
                x_mm: name_x,
                baseline_mm: name_baseline,
                size_pt: NAME_PT,
                bold: false,
            });
            let row_rect = RectMm::new(col_x(0), top, col_x(COLS_MM.len()) - col_x(0), row_h);
            let pos_lines = regular
                .wrap(&s.position, POSITION_PT, COLS_MM[2] - 2.0 * CELL_PAD_MM)
                .unwrap_or_else(|| vec![s.position.clone()]);
            let lh = position_line_mm();
            let pos_cap = 0.73 * mm_from_pt(POSITION_PT);
            let first = mid + pos_cap / 2.0 - lh * (pos_lines.len() as f64 - 1.0) / 2.0;
            for (k, l) in pos_lines.iter().enumerate() {
                texts.push(TextPlacement {
                    text: l.clone(),
                    x_mm: col_x(2) + CELL_PAD_MM,
                    baseline_mm: first + lh * k as f64,
                    size_pt: POSITION_PT,
                    bold: false,
                });
            }
            let boxes = std::array::from_fn(|k| {
                let cx = col_x(3 + k) + COLS_MM[3 + k] / 2.0;
                RectMm::new(cx - BOX_MM / 2.0, mid - BOX_MM / 2.0, BOX_MM, BOX_MM)
            });
            rows.push(RowLayout {
                subject: i + 1,
                name: s.name.clone(),
                position: s.position.clone(),
                name_rect,
                row_rect,
                boxes,
                name_baseline_mm: Some(name_baseline),
            });
        }
        let xs = (0..=COLS_MM.len()).map(col_x).collect();
        let ys = std::iter::once(TABLE_TOP)
            .chain((0..=n).map(|i| TABLE_TOP + HEADER_ROW_MM + row_h * i as f64))
            .collect();

        BallotLayout {
            format: FORMAT.to_string(),
            vote: form.id.clone(),
            page: PageSize {
                width_mm: PAGE_W_MM,
                height_mm: PAGE_H_MM,
            },
            fiducials: Self::fiducial_rects(),
            qr,
            qr_quiet_modules: 0,
            stamp,
            rows,
            levels: form.levels.clone(),
            serial_text,
            table,
            texts,
            rules: (xs, ys),
        }
    }
}

/// The quốc hiệu, printed on the ballot when the form's `national_header_on_ballot` is set.
pub const NATIONAL_NAME: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
/// The tiêu ngữ under it.
pub const NATIONAL_MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";

impl Form {
    /// The page geometry this form prints with.
    pub fn layout(&self) -> BallotLayout {
        BallotLayout::for_form(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped_layout() -> BallotLayout {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../forms/tin-nhiem-so-khcn.json");
        Form::load(&path).expect("the shipped form").layout()
    }

    #[test]
    fn a_layout_json_written_before_the_placements_were_recorded_still_reads_the_same() {
        let new = shipped_layout();
        let mut json = serde_json::to_value(&new).unwrap();
        json.as_object_mut().unwrap().remove("qr_quiet_modules");
        for row in json["rows"].as_array_mut().unwrap() {
            row.as_object_mut().unwrap().remove("name_baseline_mm");
        }
        let old: BallotLayout = serde_json::from_value(json).unwrap();
        assert_eq!(old.qr_placement(), new.qr_placement());
        assert_eq!(old.qr_quiet_modules, 0);
        let font = BallotFont::regular();
        for (o, n) in old.rows.iter().zip(&new.rows) {
            assert_eq!(o.name_baseline_mm, None);
            // Derived as the scanner always did, it is the recorded value to the bit.
            assert_eq!(
                o.name_baseline(&font).to_bits(),
                n.name_baseline(&font).to_bits()
            );
        }
    }

    #[test]
    fn each_name_is_printed_on_the_baseline_the_layout_records() {
        let layout = shipped_layout();
        for row in &layout.rows {
            let printed = layout.texts.iter().find(|t| t.text == row.name).unwrap();
            assert_eq!(Some(printed.baseline_mm), row.name_baseline_mm);
            assert_eq!(printed.x_mm, row.name_rect.x_mm);
        }
    }

    #[test]
    fn without_a_quiet_zone_the_modules_fill_the_qr_square() {
        let place = shipped_layout().qr_placement();
        let (origin, pitch) = place.grid(25);
        assert_eq!((origin.x, origin.y), (place.rect.x_mm, place.rect.y_mm));
        assert_eq!(pitch, place.rect.w_mm / 25.0);
        let quiet = QrPlacement {
            quiet_modules: 4,
            ..place
        };
        let (origin, pitch) = quiet.grid(25);
        assert_eq!(pitch, place.rect.w_mm / 33.0);
        assert!((origin.x - (place.rect.x_mm + 4.0 * pitch)).abs() < 1e-12);
    }
}
