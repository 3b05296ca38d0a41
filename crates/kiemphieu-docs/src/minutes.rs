//! The minutes of the count (Biên bản kiểm phiếu) as a PDF: three copies, handled as confidential.
//!
//! [`render_minutes`] lays the minutes out once, in millimetres from the top-left of an A4 page,
//! and stamps each page of each copy with "Bản số k/3", "MẬT" and its page number; a draft gets
//! "DỰ THẢO" across every page. Every figure is drawn as a plain text run, so a PDF text
//! extractor finds it.
//!
//! Final minutes are refused unless they are complete ([`missing_for_final`]): the meeting
//! facts, a committee with a chair and members, no sheet awaiting review, and figures that add
//! up. A draft can be made at any time.

use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Polygon, PolygonRing, Pt, Rgb, TextItem, TextMatrix, WindingOrder,
};

use crate::font::{BOLD_TTF, BallotFont, REGULAR_TTF};
use crate::form::Form;
use crate::layout::PointMm;
use crate::print::pdf_point;
use crate::tally::{Flag, Tally, group_hex, percent, reason_label, vi_number, vi_percent};
use crate::units::{A4_H_MM, A4_W_MM, mm_from_pt, pt_from_mm};

/// What the minutes are made from.
pub struct MinutesInput<'a> {
    pub form: &'a Form,
    pub tally: &'a Tally,
    /// The counting committee: `(name, role)`, e.g. `("Nguyễn Văn X", "Trưởng ban")`. Empty gives
    /// blank signature blocks to fill in by hand.
    pub committee: Vec<(String, String)>,
    /// Make a draft: allowed before the tally is final, marked "DỰ THẢO" on every page.
    pub draft: bool,
    /// When the minutes were made, as it should be printed (e.g. "10/07/2023 11:42").
    pub generated_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MinutesError {
    #[error("the tally is not final: {pending} sheet(s) await review")]
    NotFinal { pending: u64 },
    #[error("the minutes cannot be final: {}", missing.join("; "))]
    Incomplete { missing: Vec<String> },
    #[error("the tally is of vote {tally:?} but the form is of vote {form:?}")]
    WrongVote { form: String, tally: String },
    #[error("{field} has {ch:?} (U+{code:04X}), which the font cannot draw")]
    MissingGlyph { field: String, ch: char, code: u32 },
}

impl MinutesError {
    /// What the user can do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            MinutesError::NotFinal { .. } => Some(
                "decide the pending sheets with `kiemphieu review`, or make a draft (DỰ THẢO) meanwhile",
            ),
            MinutesError::Incomplete { .. } => Some(
                "record what is missing (`kiemphieu meeting VOTE --convened N --present N --chair NAME --member NAME`, `kiemphieu review`), or make a draft with --draft",
            ),
            MinutesError::WrongVote { .. } => None,
            MinutesError::MissingGlyph { .. } => {
                Some("write the name with Vietnamese or Latin letters")
            }
        }
    }
}

/// The text of a PDF's pages, as printpdf extracts it (for checking what the minutes say).
pub fn extract_text(pdf: &[u8]) -> Result<String, String> {
    let mut warnings = Vec::new();
    let doc =
        printpdf::PdfDocument::parse(pdf, &printpdf::PdfParseOptions::default(), &mut warnings)?;
    Ok(doc
        .extract_text()
        .into_iter()
        .map(|chunks| chunks.join("\n"))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Copies of the minutes (Regulation 96: 2 to the direct superior, 1 kept).
pub const COPIES: usize = 3;

const PAGE_W: f64 = A4_W_MM;
const PAGE_H: f64 = A4_H_MM;
const LEFT: f64 = 20.0;
const RIGHT: f64 = 195.0;
const WIDTH: f64 = RIGHT - LEFT;
/// Content runs from TOP to BOTTOM; above and below are the copy marks and the footer.
const TOP: f64 = 21.0;
const BOTTOM: f64 = 279.0;
const BODY_PT: f64 = 10.5;
/// Room left in a table cell beyond its text, against rounding.
const SLACK: f64 = 0.3;

/// What final minutes still lack, each as a short sentence; empty when they can be final.
pub fn missing_for_final(input: &MinutesInput) -> Vec<String> {
    let t = input.tally;
    let mut missing = Vec::new();
    if t.quorum.convened.is_none() || t.quorum.present.is_none() {
        missing.push("the meeting facts (convened, present) are not recorded".to_string());
    }
    let named = |role: &str| {
        input
            .committee
            .iter()
            .filter(|(n, r)| r.trim().eq_ignore_ascii_case(role) && !n.trim().is_empty())
            .count()
    };
    if named(crate::meeting::CHAIR) == 0 {
        missing.push("no chair of the counting committee is recorded".to_string());
    }
    if named(crate::meeting::MEMBER) == 0 {
        missing.push("no member of the counting committee is recorded".to_string());
    }
    if input
        .committee
        .iter()
        .any(|(n, r)| n.trim().is_empty() || r.trim().is_empty())
    {
        missing.push("a committee member has an empty name or role".to_string());
    }
    if t.pending_review > 0 {
        missing.push(format!("{} sheet(s) await review", t.pending_review));
    }
    for i in &t.imbalances {
        missing.push(i.en());
    }
    missing
}

/// Renders the three copies into one PDF.
pub fn render_minutes(input: &MinutesInput) -> Result<Vec<u8>, MinutesError> {
    let tally = input.tally;
    if !input.draft {
        let missing = missing_for_final(input);
        if missing.len() == 1 && tally.pending_review > 0 {
            return Err(MinutesError::NotFinal {
                pending: tally.pending_review,
            });
        }
        if !missing.is_empty() {
            return Err(MinutesError::Incomplete { missing });
        }
    }
    if tally.vote != input.form.id {
        return Err(MinutesError::WrongVote {
            form: input.form.id.clone(),
            tally: tally.vote.clone(),
        });
    }
    check_glyphs(input)?;

    let mut doc = PdfDocument::new("Biên bản kiểm phiếu");
    let mut warnings = Vec::new();
    let regular =
        doc.add_font(&ParsedFont::from_bytes(REGULAR_TTF, 0, &mut warnings).expect("bundled font"));
    let bold =
        doc.add_font(&ParsedFont::from_bytes(BOLD_TTF, 0, &mut warnings).expect("bundled font"));
    let fonts = Fonts {
        regular,
        bold,
        m_regular: BallotFont::regular(),
        m_bold: BallotFont::bold(),
    };

    let body = lay_out(input, &fonts);
    let n = body.len();
    let mut pages = Vec::with_capacity(COPIES * n);
    for copy in 1..=COPIES {
        for (i, content) in body.iter().enumerate() {
            let mut w = Writer::new(&fonts);
            if input.draft {
                w.draft_watermark();
            }
            w.ops.extend(content.iter().cloned());
            w.page_marks(copy, i + 1, n, &input.form.id, input.draft);
            pages.push(PdfPage::new(Mm(PAGE_W as f32), Mm(PAGE_H as f32), w.ops));
        }
    }
    let options = PdfSaveOptions {
        subset_fonts: true,
        ..Default::default()
    };
    let mut warnings = Vec::new();
    Ok(doc.with_pages(pages).save(&options, &mut warnings))
}

fn check_glyphs(input: &MinutesInput) -> Result<(), MinutesError> {
    let regular = BallotFont::regular();
    let mut texts = vec![("generated_at".to_string(), input.generated_at.as_str())];
    for (i, (name, role)) in input.committee.iter().enumerate() {
        texts.push((format!("committee[{i}].name"), name));
        texts.push((format!("committee[{i}].role"), role));
    }
    for (field, text) in texts {
        if let Some(ch) = regular.first_missing_char(text) {
            return Err(MinutesError::MissingGlyph {
                field,
                ch,
                code: ch as u32,
            });
        }
    }
    Ok(())
}

/// A UTC time `YYYY-MM-DDTHH:MM:SSZ` (as the store writes it) in the vote's time, as the
/// minutes print it: `"10/07/2023 18:42 (UTC+07:00)"`. Text that is not such a time is returned
/// as it is.
pub fn local_time(utc: &str, offset_minutes: i32) -> String {
    match crate::date::parse_utc_minutes(utc) {
        Some(m) => crate::date::local_text(m, offset_minutes),
        None => utc.to_string(),
    }
}

/// The Vietnamese words for why a page could not be read.
fn unreadable_vi(reason: &str) -> &'static str {
    match reason {
        "not_an_image" => "không phải tệp ảnh",
        "image_too_large" => "ảnh quá lớn",
        "read_failed" => "không đọc được tệp (hỏng hoặc bị cắt)",
        "no_scanned_image" => "trang PDF không chứa ảnh quét",
        _ => "không đọc được",
    }
}

/// `HH:MM` as the minutes write it: "14 giờ 05 phút".
fn clock_vi(hhmm: &str) -> String {
    match hhmm.split_once(':') {
        Some((h, m)) => format!("{} giờ {m} phút", h.trim_start_matches('0').max("0")),
        None => hhmm.to_string(),
    }
}

/// The date as Vietnamese documents write it: "ngày 05 tháng 02 năm 2024" (days under 10 and
/// months 1 and 2 take a leading zero), "ngày 10 tháng 7 năm 2023".
pub fn vietnamese_date((y, m, d): (i32, u32, u32)) -> String {
    let day = if d < 10 {
        format!("0{d}")
    } else {
        d.to_string()
    };
    let month = if m < 3 {
        format!("0{m}")
    } else {
        m.to_string()
    };
    format!("ngày {day} tháng {month} năm {y}")
}

struct Fonts {
    regular: FontId,
    bold: FontId,
    m_regular: BallotFont,
    m_bold: BallotFont,
}

impl Fonts {
    fn measure(&self, bold: bool) -> &BallotFont {
        if bold { &self.m_bold } else { &self.m_regular }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
    Right,
}

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb::new(r, g, b, None))
}

fn black() -> Color {
    rgb(0.0, 0.0, 0.0)
}

const RED: (f32, f32, f32) = (0.78, 0.06, 0.08);

fn line_height(size: f64) -> f64 {
    mm_from_pt(size) * 1.32
}

/// Splits `text` into lines no wider than `max_mm`, at spaces; a word wider than a line is cut
/// between characters.
fn wrap(font: &BallotFont, text: &str, size: f64, max_mm: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if font.width_mm(&candidate, size) <= max_mm {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word alone, cut if it must be.
        for c in word.chars() {
            line.push(c);
            if font.width_mm(&line, size) > max_mm && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Draws on a page in millimetres from the top-left, and moves on to a new page when the
/// content reaches the bottom.
struct Writer<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// Top of the next block, mm from the top of the page.
    y: f64,
}

impl<'f> Writer<'f> {
    fn new(fonts: &'f Fonts) -> Self {
        Writer {
            fonts,
            pages: Vec::new(),
            ops: Self::page_start(),
            y: TOP,
        }
    }

    fn page_start() -> Vec<Op> {
        vec![
            Op::SetFillColor { col: black() },
            Op::SetOutlineColor { col: black() },
            Op::SetOutlineThickness { pt: Pt(0.6) },
        ]
    }

    fn break_page(&mut self) {
        let ops = std::mem::replace(&mut self.ops, Self::page_start());
        self.pages.push(ops);
        self.y = TOP;
    }

    /// Starts a new page unless `h` mm still fit on this one.
    fn need(&mut self, h: f64) {
        if self.y + h > BOTTOM && self.y > TOP {
            self.break_page();
        }
    }

    fn finish(mut self) -> Vec<Vec<Op>> {
        self.pages.push(std::mem::take(&mut self.ops));
        self.pages
    }

    fn font_id(&self, bold: bool) -> FontId {
        if bold {
            self.fonts.bold.clone()
        } else {
            self.fonts.regular.clone()
        }
    }

    /// One run of text with its baseline starting at `(x, baseline)`.
    fn text(&mut self, x: f64, baseline: f64, size: f64, bold: bool, s: &str) {
        if s.is_empty() {
            return;
        }
        let p = pdf_point(PointMm { x, y: baseline }, PAGE_H);
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(self.font_id(bold)),
                size: Pt(size as f32),
            },
            Op::SetTextMatrix {
                matrix: TextMatrix::Translate(p.x, p.y),
            },
            Op::ShowText {
                items: vec![TextItem::Text(s.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    /// A run aligned in the span `[x0, x1]`.
    fn text_in(
        &mut self,
        (x0, x1): (f64, f64),
        baseline: f64,
        size: f64,
        bold: bool,
        align: Align,
        s: &str,
    ) {
        let w = self.fonts.measure(bold).width_mm(s, size);
        let x = match align {
            Align::Left => x0,
            Align::Center => (x0 + x1 - w) / 2.0,
            Align::Right => x1 - w,
        };
        self.text(x, baseline, size, bold, s);
    }

    fn line(&mut self, a: (f64, f64), b: (f64, f64), width_pt: f64) {
        let pt = |(x, y): (f64, f64)| LinePoint {
            p: pdf_point(PointMm { x, y }, PAGE_H),
            bezier: false,
        };
        self.ops.push(Op::SetOutlineThickness {
            pt: Pt(width_pt as f32),
        });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: vec![pt(a), pt(b)],
                is_closed: false,
            },
        });
    }

    fn rect_ring(x: f64, y: f64, w: f64, h: f64) -> PolygonRing {
        let pt = |x: f64, y: f64| LinePoint {
            p: pdf_point(PointMm { x, y }, PAGE_H),
            bezier: false,
        };
        PolygonRing {
            points: vec![pt(x, y), pt(x + w, y), pt(x + w, y + h), pt(x, y + h)],
        }
    }

    fn fill_rect(&mut self, x: f64, y: f64, w: f64, h: f64, col: Color) {
        self.ops.push(Op::SetFillColor { col });
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![Self::rect_ring(x, y, w, h)],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
        self.ops.push(Op::SetFillColor { col: black() });
    }

    fn outline_rect(&mut self, x: f64, y: f64, w: f64, h: f64, width_pt: f64) {
        self.ops.push(Op::SetOutlineThickness {
            pt: Pt(width_pt as f32),
        });
        self.ops.push(Op::DrawLine {
            line: Line {
                points: Self::rect_ring(x, y, w, h).points,
                is_closed: true,
            },
        });
    }

    /// A wrapped paragraph across the text width, `indent` mm in from the left.
    fn paragraph(&mut self, s: &str, size: f64, bold: bool, align: Align, indent: f64) {
        let font = self.fonts.measure(bold);
        let lines = wrap(font, s, size, WIDTH - indent);
        let lh = line_height(size);
        let ascent = font.ascent_mm(size);
        for l in lines {
            self.need(lh);
            let baseline = self.y + ascent;
            self.text_in((LEFT + indent, RIGHT), baseline, size, bold, align, &l);
            self.y += lh;
        }
    }

    /// A list item: a dash, then a paragraph hanging after it.
    fn item(&mut self, s: &str) {
        self.item_marked("-", s);
    }

    /// A list item with its own marker ("-", "1.").
    fn item_marked(&mut self, marker: &str, s: &str) {
        let font = &self.fonts.m_regular;
        let hang = 6.0;
        let lines = wrap(font, s, BODY_PT, WIDTH - hang);
        let lh = line_height(BODY_PT);
        let ascent = font.ascent_mm(BODY_PT);
        for (i, l) in lines.iter().enumerate() {
            self.need(lh);
            let baseline = self.y + ascent;
            if i == 0 {
                self.text(LEFT + 2.0, baseline, BODY_PT, false, marker);
            }
            self.text(LEFT + hang, baseline, BODY_PT, false, l);
            self.y += lh;
        }
    }

    fn heading(&mut self, s: &str) {
        self.need(line_height(BODY_PT) * 3.0);
        self.y += 2.0;
        self.paragraph(s, BODY_PT, true, Align::Left, 0.0);
        self.y += 0.8;
    }

    fn gap(&mut self, mm: f64) {
        self.y += mm;
    }

    /// "DỰ THẢO" in light grey, large, along the page's diagonal, under the content.
    fn draft_watermark(&mut self) {
        let text = "DỰ THẢO";
        let angle = (PAGE_H / PAGE_W).atan();
        let diagonal = (PAGE_W * PAGE_W + PAGE_H * PAGE_H).sqrt();
        let font = &self.fonts.m_bold;
        let size = 100.0 * (diagonal * 0.62) / font.width_mm(text, 100.0);
        let w = font.width_mm(text, size);
        let cap = mm_from_pt(size) * 0.72;
        // Centre of the page in PDF millimetres (y up), then back along the baseline by half the
        // width and down across it by half the capital height.
        let (c, s) = (angle.cos(), angle.sin());
        let x = PAGE_W / 2.0 - w / 2.0 * c + cap / 2.0 * s;
        let y = PAGE_H / 2.0 - w / 2.0 * s - cap / 2.0 * c;
        let to_pt = |mm: f64| pt_from_mm(mm) as f32;
        self.ops.extend([
            Op::SaveGraphicsState,
            Op::SetFillColor {
                col: rgb(0.86, 0.86, 0.86),
            },
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(self.fonts.bold.clone()),
                size: Pt(size as f32),
            },
            Op::SetTextMatrix {
                matrix: TextMatrix::Raw([
                    c as f32,
                    s as f32,
                    -s as f32,
                    c as f32,
                    to_pt(x),
                    to_pt(y),
                ]),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
            Op::RestoreGraphicsState,
        ]);
    }

    /// What every page of a copy carries: "MẬT", "Bản số k/3", the page number.
    fn page_marks(&mut self, copy: usize, page: usize, pages: usize, vote: &str, draft: bool) {
        let red = rgb(RED.0, RED.1, RED.2);
        // "MẬT" in a red frame, top left.
        let size = 15.0;
        let w = self.fonts.m_bold.width_mm("MẬT", size) + 6.0;
        self.ops.push(Op::SetOutlineColor { col: red.clone() });
        self.outline_rect(LEFT, 7.0, w, 9.5, 1.6);
        self.ops.push(Op::SetFillColor { col: red });
        self.text_in((LEFT, LEFT + w), 14.0, size, true, Align::Center, "MẬT");
        self.ops.push(Op::SetFillColor { col: black() });
        self.ops.push(Op::SetOutlineColor { col: black() });
        let label = format!("Bản số {copy}/{COPIES}");
        self.text_in((LEFT, RIGHT), 13.5, 12.0, true, Align::Right, &label);
        if draft {
            self.text_in((LEFT, RIGHT), 13.5, 12.0, true, Align::Center, "DỰ THẢO");
        }
        // Footer.
        self.line((LEFT, 284.0), (RIGHT, 284.0), 0.4);
        let size = 8.5;
        self.text_in(
            (LEFT, RIGHT),
            288.5,
            size,
            false,
            Align::Left,
            &format!("Biên bản kiểm phiếu — {vote}"),
        );
        self.text_in(
            (LEFT, RIGHT),
            288.5,
            size,
            false,
            Align::Center,
            &format!("Trang {page}/{pages}"),
        );
        self.text_in((LEFT, RIGHT), 288.5, size, true, Align::Right, &label);
    }
}

/// Lays out one copy's content; returns the ops of each page (without the page marks).
fn lay_out(input: &MinutesInput, fonts: &Fonts) -> Vec<Vec<Op>> {
    let form = input.form;
    let t = input.tally;
    let mut w = Writer::new(fonts);

    header(&mut w, form);

    // Title.
    w.gap(5.0);
    w.paragraph("BIÊN BẢN KIỂM PHIẾU", 15.0, true, Align::Center, 0.0);
    w.paragraph(&form.title, 12.0, true, Align::Center, 0.0);
    for l in &form.subtitle {
        w.paragraph(l, BODY_PT, false, Align::Center, 0.0);
    }
    w.gap(4.0);

    if !t.is_final {
        w.ops.push(Op::SetFillColor {
            col: rgb(RED.0, RED.1, RED.2),
        });
        w.paragraph(
            &format!(
                "DỰ THẢO — CHƯA CHÍNH THỨC: còn {} phiếu chờ Ban kiểm phiếu xem xét; các số liệu dưới đây chưa phải kết quả kiểm phiếu.",
                t.pending_review
            ),
            BODY_PT,
            true,
            Align::Left,
            0.0,
        );
        w.ops.push(Op::SetFillColor { col: black() });
        w.gap(2.0);
    }

    let date = vietnamese_date(form.date_parts());
    let place = match &form.room {
        Some(room) => format!("{}, {room}", form.place),
        None => form.place.clone(),
    };
    let start = form
        .start
        .as_deref()
        .map_or_else(|| "..... giờ ..... phút".to_string(), clock_vi);
    w.paragraph(
        &format!("Vào hồi {start}, {date}, tại {place}, Ban kiểm phiếu gồm:"),
        BODY_PT,
        false,
        Align::Left,
        0.0,
    );
    if input.committee.is_empty() {
        for (i, role) in ["Trưởng ban", "Thành viên", "Thành viên"]
            .iter()
            .enumerate()
        {
            w.item_marked(
                &format!("{}.", i + 1),
                &format!("..............................................................  {role}"),
            );
        }
    }
    for (i, (name, role)) in input.committee.iter().enumerate() {
        w.item_marked(&format!("{}.", i + 1), &format!("{name} — {role}"));
    }
    w.paragraph(
        "đã tiến hành kiểm phiếu lấy phiếu tín nhiệm và lập biên bản như sau:",
        BODY_PT,
        false,
        Align::Left,
        0.0,
    );

    // I. The meeting.
    w.heading("I. HỘI NGHỊ LẤY PHIẾU TÍN NHIỆM");
    let q = &t.quorum;
    let fact = |v: Option<u64>| {
        v.map_or_else(
            || "chưa ghi nhận".to_string(),
            |n| format!("{} người", vi_number(n)),
        )
    };
    w.item(&format!("Số người được triệu tập: {}", fact(q.convened)));
    let share = match (q.convened, q.present) {
        (Some(c), Some(p)) if c > 0 => format!(
            " ({} % số người được triệu tập)",
            vi_percent(&percent(p, c))
        ),
        _ => String::new(),
    };
    w.item(&format!("Số người có mặt: {}{share}", fact(q.present)));
    w.item(match q.met {
        Some(true) => {
            "Số người có mặt đạt ít nhất 2/3 số người được triệu tập: hội nghị đủ điều kiện tiến hành."
        }
        Some(false) => {
            "Số người có mặt KHÔNG ĐẠT 2/3 số người được triệu tập: hội nghị không đủ điều kiện tiến hành."
        }
        None => "Chưa ghi nhận số người được triệu tập và số người có mặt.",
    });

    // II. The ballots: every figure of the accounting identity.
    w.heading("II. SỐ PHIẾU");
    let n = |v: u64| vi_number(v);
    w.item(&format!("Số phiếu in ra: {}", n(t.printed)));
    w.item(&format!("Số phiếu không sử dụng, đã huỷ: {}", n(t.voided)));
    w.item(&format!("Số phiếu phát ra: {}", n(t.issued)));
    w.item(&format!("Số phiếu thu về: {}", n(t.collected)));
    w.item_marked("", &format!("+ Số phiếu được kiểm: {}", n(t.counted)));
    w.item_marked(
        "",
        &format!(
            "+ Số phiếu do Ban kiểm phiếu phát ra nhưng bị xác định không hợp lệ toàn phiếu (không có dấu, bản sao, …): {}",
            n(t.ruled_invalid)
        ),
    );
    let not_issued: u64 = t.not_issued.values().sum();
    let detail = t
        .not_issued
        .iter()
        // The Vietnamese words only: the codes in brackets are for the tally's readers.
        .map(|(r, c)| {
            let label = reason_label(r);
            let words = label.split(" (").next().unwrap_or(label);
            format!("{}: {}", words.to_lowercase(), n(*c))
        })
        .collect::<Vec<_>>()
        .join("; ");
    w.item_marked(
        "",
        &format!(
            "+ Số phiếu không do Ban kiểm phiếu phát ra (không hợp lệ toàn phiếu): {}{}",
            n(not_issued),
            if detail.is_empty() {
                String::new()
            } else {
                format!(" ({detail})")
            }
        ),
    );
    w.item(&format!(
        "Số phiếu phát ra nhưng không thu về: {}",
        n(t.not_returned)
    ));
    if t.pending_review > 0 {
        w.item(&format!(
            "Số phiếu đang chờ Ban kiểm phiếu xem xét (chưa tính vào số phiếu thu về): {}",
            n(t.pending_review)
        ));
    }
    w.item(&format!(
        "Đối chiếu: in ra {} = huỷ {} + phát ra {}; phát ra {} = thu về (được kiểm {} + không hợp lệ toàn phiếu {}) + không thu về {}; thu về {} = được kiểm {} + không hợp lệ toàn phiếu {} + không do Ban kiểm phiếu phát ra {}.",
        n(t.printed),
        n(t.voided),
        n(t.issued),
        n(t.issued),
        n(t.counted),
        n(t.ruled_invalid),
        n(t.not_returned),
        n(t.collected),
        n(t.counted),
        n(t.ruled_invalid),
        n(not_issued)
    ));
    if let Some(note) = t.excess_note_vi() {
        w.item(&format!("Ghi chú: {note}"));
    }
    if t.imbalances.is_empty() {
        w.item("Các số liệu trên khớp nhau.");
    } else {
        w.ops.push(Op::SetFillColor {
            col: rgb(RED.0, RED.1, RED.2),
        });
        for i in &t.imbalances {
            w.item(&format!("SỐ LIỆU KHÔNG KHỚP: {}.", i.vi()));
        }
        w.ops.push(Op::SetFillColor { col: black() });
    }

    // III. The results.
    w.heading("III. KẾT QUẢ KIỂM PHIẾU ĐỐI VỚI TỪNG NGƯỜI");
    results_table(&mut w, form, t);
    w.gap(1.5);
    w.paragraph(
        "Tỉ lệ phần trăm (%) tính trên tổng số phiếu thu về, làm tròn đến hai chữ số thập phân.",
        9.0,
        false,
        Align::Left,
        0.0,
    );

    // IV. What follows from the result.
    w.heading("IV. SỬ DỤNG KẾT QUẢ (Điều 11, Quy định số 96-QĐ/TW)");
    let mut any = false;
    for s in &t.subjects {
        // The strongest flag says it all: relieving implies considering it.
        let strongest = if s.flags.contains(&Flag::Relieve) {
            Some(Flag::Relieve)
        } else {
            s.flags.first().copied()
        };
        if let Some(f) = strongest {
            any = true;
            w.item(&format!(
                "{} ({}): {}.",
                s.name,
                s.position,
                f.explanation_vi(&form.thresholds)
            ));
        }
    }
    if !any {
        w.item(&format!(
            "Không có người nào có trên {}/{} số phiếu tín nhiệm thấp.",
            form.thresholds.consider_relief_above.num, form.thresholds.consider_relief_above.den
        ));
    }

    // V. Every page scanned, and the files that could not be read, by name.
    w.heading("V. CÁC TRANG ĐÃ QUÉT");
    w.item(&format!(
        "Số trang đã quét: {} = thu về {} + chờ xem xét {} + bỏ qua (quét lại, không phải phiếu) {} + trang trắng {} + không đọc được {} + đã quét trước đó {}.",
        n(t.pages_scanned),
        n(t.collected),
        n(t.pending_review),
        n(t.ignored),
        n(t.blank_pages),
        n(t.unreadable),
        n(t.already_scanned)
    ));
    if t.unreadable_files.is_empty() {
        w.item("Không có tệp, trang nào không đọc được.");
    } else {
        w.item("Các tệp, trang không đọc được (Ban kiểm phiếu kiểm tra lại bằng mắt):");
        for f in &t.unreadable_files {
            w.item_marked(
                "",
                &format!(
                    "+ {} (trang {}): {}",
                    f.file,
                    f.page,
                    unreadable_vi(&f.reason)
                ),
            );
        }
    }
    if let (Some(head), Some(events)) = (&t.chain_head, t.chain_events) {
        w.item(&format!(
            "Mã kiểm tra hồ sơ điện tử (đầu chuỗi sự kiện, {} sự kiện): {}",
            vi_number(events as u64),
            group_hex(head, 32)
        ));
    }

    // The closing words stay on the page of the signatures, and the signatures together.
    w.gap(3.0);
    let closing = line_height(BODY_PT) * 4.0 + line_height(8.5) + 4.0;
    let all_signatures = signatures_height(input.committee.len());
    if closing + all_signatures <= BOTTOM - TOP {
        w.need(closing + all_signatures);
    } else {
        w.need(closing + SIGNATURE_HEAD + signature_row_height());
    }
    let end = form
        .end
        .as_deref()
        .map_or_else(|| "..... giờ ..... phút".to_string(), clock_vi);
    w.paragraph(
        &format!("Việc kiểm phiếu kết thúc vào hồi {end} cùng ngày."),
        BODY_PT,
        false,
        Align::Left,
        0.0,
    );
    w.paragraph(
        "Biên bản được lập thành 03 bản: 02 bản gửi cấp trên trực tiếp, 01 bản lưu tại cơ quan, đơn vị; quản lý theo chế độ mật.",
        BODY_PT,
        false,
        Align::Left,
        0.0,
    );
    w.paragraph(
        &format!("Lập bằng kiemphieu lúc {}.", input.generated_at),
        8.5,
        false,
        Align::Left,
        0.0,
    );

    signatures(&mut w, &input.committee);
    w.finish()
}

/// The agency on the left, the national motto on the right, and the place and date.
fn header(w: &mut Writer, form: &Form) {
    let (l0, l1) = (LEFT - 4.0, LEFT + 74.0);
    let (r0, r1) = (LEFT + 76.0, RIGHT + 4.0);
    let fit = |w: &Writer, text: &str, bold: bool, size: f64, width: f64| {
        let m = w.fonts.measure(bold).width_mm(text, size);
        if m > width { size * width / m } else { size }
    };
    let size = 10.5;
    let lh = line_height(size) + 0.3;
    let top = w.y;
    let mut y = top;
    let n = form.organization.len();
    let mut last_w = 0.0;
    for (i, line) in form.organization.iter().enumerate() {
        let bold = i + 1 == n;
        let s = fit(w, line, bold, size, l1 - l0);
        y += lh;
        w.text_in((l0, l1), y, s, bold, Align::Center, line);
        last_w = w.fonts.measure(bold).width_mm(line, s);
    }
    // The short rule under the agency's name.
    let cx = (l0 + l1) / 2.0;
    let rule = (last_w * 0.4).max(15.0);
    w.line((cx - rule / 2.0, y + 1.8), (cx + rule / 2.0, y + 1.8), 0.6);
    // The document number (Số …/BB-…), left blank to be written in when the form has none.
    let number = match &form.document_number {
        Some(n) => format!("Số: {n}"),
        None => "Số: ........../BB-BKP".to_string(),
    };
    y += lh + 2.3;
    w.text_in((l0, l1), y, size, false, Align::Center, &number);
    let left_bottom = y + 1.0;

    let mut y = top;
    let motto = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
    let s = fit(w, motto, true, size, r1 - r0);
    y += lh;
    w.text_in((r0, r1), y, s, true, Align::Center, motto);
    let sub = "Độc lập - Tự do - Hạnh phúc";
    y += lh;
    w.text_in((r0, r1), y, size, true, Align::Center, sub);
    let sw = w.fonts.m_bold.width_mm(sub, size);
    let cx = (r0 + r1) / 2.0;
    w.line((cx - sw / 2.0, y + 1.5), (cx + sw / 2.0, y + 1.5), 0.6);
    y += lh + 1.5;
    let date = format!("{}, {}", form.place, vietnamese_date(form.date_parts()));
    let s = fit(w, &date, false, size, r1 - r0);
    w.text_in((r0, r1), y, s, false, Align::Center, &date);
    w.y = left_bottom.max(y) + 2.0;
}

/// The results table: one row per subject; for each level its count and its share of the ballots
/// collected. The type shrinks until the columns fit the text width.
fn results_table(w: &mut Writer, form: &Form, t: &Tally) {
    let pad = 1.1;
    let levels: Vec<String> = (0..form
        .levels
        .len()
        .max(t.subjects.first().map_or(0, |s| s.counts.len())))
        .map(|i| {
            form.levels
                .get(i)
                .cloned()
                .unwrap_or_else(|| t.level_name(i))
        })
        .collect();
    let fixed = [
        "STT",
        "Họ và tên",
        "Chức vụ",
        "Phát ra",
        "Thu về",
        "Hợp lệ",
        "Không hợp lệ",
    ];
    let sub = ["Số phiếu", "Tỉ lệ %"];
    let rows: Vec<Vec<String>> = t
        .subjects
        .iter()
        .map(|s| {
            let mut r = vec![
                s.subject.to_string(),
                s.name.clone(),
                s.position.clone(),
                vi_number(t.issued),
                vi_number(t.collected),
                vi_number(s.valid),
                vi_number(s.invalid),
            ];
            for i in 0..levels.len() {
                r.push(s.counts.get(i).map_or(String::new(), |c| vi_number(*c)));
                r.push(s.percents.get(i).map(|p| vi_percent(p)).unwrap_or_default());
            }
            r
        })
        .collect();
    let ncols = fixed.len() + 2 * levels.len();
    let header_label = |c: usize| -> &str {
        if c < fixed.len() {
            fixed[c]
        } else {
            sub[(c - fixed.len()) % 2]
        }
    };
    let longest_word = |font: &BallotFont, text: &str, size: f64| {
        text.split_whitespace()
            .map(|wd| font.width_mm(wd, size))
            .fold(0.0, f64::max)
    };

    // Choose the type size: the largest at which the names and positions take at most three
    // lines, else the one that takes the fewest.
    let fit_at = |size: f64| -> (Vec<f64>, usize) {
        let (reg, bold) = (&w.fonts.m_regular, &w.fonts.m_bold);
        let mut widths = vec![0.0; ncols];
        for (c, width) in widths.iter_mut().enumerate() {
            if c == 1 || c == 2 {
                continue;
            }
            let data = rows
                .iter()
                .map(|r| reg.width_mm(&r[c], size))
                .fold(0.0, f64::max);
            *width = longest_word(bold, header_label(c), size).max(data) + 2.0 * pad + SLACK;
        }
        for (i, l) in levels.iter().enumerate() {
            let (a, b) = (fixed.len() + 2 * i, fixed.len() + 2 * i + 1);
            let need = longest_word(bold, l, size) + 2.0 * pad + SLACK;
            if widths[a] + widths[b] < need {
                widths[b] = need - widths[a];
            }
        }
        let rest = WIDTH - widths.iter().sum::<f64>();
        // The narrowest each text column may be (its longest word), and its width unwrapped.
        let min_of = |c: usize| {
            rows.iter()
                .map(|r| longest_word(reg, &r[c], size))
                .fold(longest_word(bold, header_label(c), size), f64::max)
                + 2.0 * pad
                + SLACK
        };
        let natural = |c: usize| {
            rows.iter()
                .map(|r| reg.width_mm(&r[c], size))
                .fold(longest_word(bold, header_label(c), size), f64::max)
                + 2.0 * pad
                + SLACK
        };
        let (name_min, pos_min) = (min_of(1), min_of(2));
        let (name_nat, pos_nat) = (natural(1), natural(2));
        let name_w = if name_nat + pos_nat <= rest {
            name_nat + (rest - name_nat - pos_nat) / 2.0
        } else {
            (rest * name_nat / (name_nat + pos_nat))
                .max(name_min)
                .min(rest - pos_min)
        };
        widths[1] = name_w.max(8.0);
        widths[2] = (rest - name_w).max(8.0);
        let lines = rows
            .iter()
            .flat_map(|r| [1, 2].map(|c| wrap(reg, &r[c], size, widths[c] - 2.0 * pad).len()))
            .max()
            .unwrap_or(1);
        // Words cut between characters count as too many lines.
        let fits = rest >= name_min + pos_min;
        (widths, if fits { lines } else { usize::MAX })
    };
    // Prefer one line per cell down to 8 pt, then two lines down to 7.5 pt, then three.
    let sizes: Vec<f64> = (0..=10).map(|step| 9.0 - 0.25 * step as f64).collect();
    let tried: Vec<(f64, Vec<f64>, usize)> = sizes
        .iter()
        .map(|&size| {
            let (widths, lines) = fit_at(size);
            (size, widths, lines)
        })
        .collect();
    let best = [(1, 8.0), (2, 7.5), (3, 0.0)]
        .iter()
        .find_map(|&(max_lines, min_size)| {
            tried.iter().find(|t| t.2 <= max_lines && t.0 >= min_size)
        })
        .or_else(|| tried.iter().min_by_key(|t| t.2))
        .cloned();
    let (size, widths, _) = best.expect("at least one size tried");
    let xs: Vec<f64> = std::iter::once(LEFT)
        .chain(widths.iter().scan(LEFT, |x, w| {
            *x += w;
            Some(*x)
        }))
        .collect();
    let lh = line_height(size);
    let (reg_font, bold_font) = (&w.fonts.m_regular, &w.fonts.m_bold);
    let ascent = bold_font.ascent_mm(size);
    let descent = bold_font.descent_mm(size);
    let lines_in =
        |font: &BallotFont, text: &str, width: f64| wrap(font, text, size, width - 2.0 * pad);

    // Header: row 1 holds the fixed labels (over both rows) and the level names; row 2 the
    // sub-labels under each level.
    let group_lines: Vec<Vec<String>> = (0..levels.len())
        .map(|i| {
            let c = fixed.len() + 2 * i;
            lines_in(bold_font, &levels[i], widths[c] + widths[c + 1])
        })
        .collect();
    let fixed_lines: Vec<Vec<String>> = (0..fixed.len())
        .map(|c| lines_in(bold_font, fixed[c], widths[c]))
        .collect();
    let sub_lines: Vec<Vec<String>> = (fixed.len()..ncols)
        .map(|c| lines_in(bold_font, header_label(c), widths[c]))
        .collect();
    let block = |n: usize| n.max(1) as f64 * lh + 2.0 * pad;
    let h1 = group_lines
        .iter()
        .map(|l| block(l.len()))
        .fold(block(1), f64::max);
    let mut h2 = sub_lines
        .iter()
        .map(|l| block(l.len()))
        .fold(block(1), f64::max);
    let tall = fixed_lines
        .iter()
        .map(|l| block(l.len()))
        .fold(0.0, f64::max);
    if tall > h1 + h2 {
        h2 = tall - h1;
    }
    let grey = rgb(0.90, 0.90, 0.90);

    // Draws `lines` centred vertically in the cell `(x0, y0)-(x1, y0 + h)`.
    let cell_text = |w: &mut Writer,
                     lines: &[String],
                     x0: f64,
                     x1: f64,
                     y0: f64,
                     h: f64,
                     bold: bool,
                     align: Align| {
        let text_h = (lines.len() as f64 - 1.0) * lh + ascent + descent;
        let mut baseline = y0 + (h - text_h) / 2.0 + ascent;
        for l in lines {
            w.text_in((x0 + pad, x1 - pad), baseline, size, bold, align, l);
            baseline += lh;
        }
    };
    let draw_header = |w: &mut Writer| {
        let y0 = w.y;
        w.fill_rect(LEFT, y0, WIDTH, h1 + h2, grey.clone());
        for c in 0..fixed.len() {
            w.outline_rect(xs[c], y0, widths[c], h1 + h2, 0.6);
            cell_text(
                w,
                &fixed_lines[c],
                xs[c],
                xs[c + 1],
                y0,
                h1 + h2,
                true,
                Align::Center,
            );
        }
        for (i, lines) in group_lines.iter().enumerate() {
            let c = fixed.len() + 2 * i;
            w.outline_rect(xs[c], y0, widths[c] + widths[c + 1], h1, 0.6);
            cell_text(w, lines, xs[c], xs[c + 2], y0, h1, true, Align::Center);
        }
        for c in fixed.len()..ncols {
            w.outline_rect(xs[c], y0 + h1, widths[c], h2, 0.6);
            cell_text(
                w,
                &sub_lines[c - fixed.len()],
                xs[c],
                xs[c + 1],
                y0 + h1,
                h2,
                true,
                Align::Center,
            );
        }
        w.y = y0 + h1 + h2;
    };

    let row_lines: Vec<Vec<Vec<String>>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(c, text)| {
                    if c == 1 || c == 2 {
                        lines_in(reg_font, text, widths[c])
                    } else {
                        vec![text.clone()]
                    }
                })
                .collect()
        })
        .collect();
    let first_h = row_lines.first().map_or(0.0, |r| {
        r.iter().map(|l| block(l.len())).fold(0.0, f64::max)
    });
    w.need(h1 + h2 + first_h);
    draw_header(w);
    for cells in &row_lines {
        let h = cells.iter().map(|l| block(l.len())).fold(0.0, f64::max);
        if w.y + h > BOTTOM {
            w.break_page();
            draw_header(w);
        }
        let y0 = w.y;
        for (c, lines) in cells.iter().enumerate() {
            w.outline_rect(xs[c], y0, widths[c], h, 0.6);
            let align = if c == 1 || c == 2 {
                Align::Left
            } else {
                Align::Center
            };
            cell_text(w, lines, xs[c], xs[c + 1], y0, h, false, align);
        }
        w.y = y0 + h;
    }
}

const SIGNATURE_PT: f64 = 10.0;
/// The space above the signature blocks ("BAN KIỂM PHIẾU").
const SIGNATURE_HEAD: f64 = 12.0;

/// One row of signature blocks: role, "(Ký, ghi rõ họ tên)", room to sign, the name, a gap.
fn signature_row_height() -> f64 {
    line_height(SIGNATURE_PT) * 3.0 + 22.0 + 8.0
}

/// The height of the whole signature section for `members` blocks (3 when none are named).
fn signatures_height(members: usize) -> f64 {
    let blocks = if members == 0 { 3 } else { members };
    4.0 + SIGNATURE_HEAD + blocks.div_ceil(2) as f64 * signature_row_height()
}

/// A signature block for each committee member, two to a row.
fn signatures(w: &mut Writer, committee: &[(String, String)]) {
    let blocks: Vec<(String, String)> = if committee.is_empty() {
        vec![
            ("TRƯỞNG BAN KIỂM PHIẾU".into(), String::new()),
            ("THÀNH VIÊN".into(), String::new()),
            ("THÀNH VIÊN".into(), String::new()),
        ]
    } else {
        committee
            .iter()
            .map(|(name, role)| {
                let role = role.trim();
                let lower = role.to_lowercase();
                let title = if lower == "trưởng ban" || lower == "trưởng ban kiểm phiếu" {
                    "TRƯỞNG BAN KIỂM PHIẾU".to_string()
                } else {
                    role.to_uppercase()
                };
                (title, name.clone())
            })
            .collect()
    };
    let title_pt = SIGNATURE_PT;
    let col_w = WIDTH / 2.0;
    let block_h = signature_row_height();
    w.gap(4.0);
    w.need(SIGNATURE_HEAD + block_h);
    w.paragraph("BAN KIỂM PHIẾU", 11.0, true, Align::Center, 0.0);
    w.gap(2.0);
    for pair in blocks.chunks(2) {
        w.need(block_h);
        let y0 = w.y;
        // A lone block sits in the middle.
        let offset = if pair.len() == 1 { col_w / 2.0 } else { 0.0 };
        for (i, (title, name)) in pair.iter().enumerate() {
            let x0 = LEFT + offset + i as f64 * col_w;
            let x1 = x0 + col_w;
            let asc = w.fonts.m_bold.ascent_mm(title_pt);
            w.text_in((x0, x1), y0 + asc, title_pt, true, Align::Center, title);
            w.text_in(
                (x0, x1),
                y0 + asc + line_height(title_pt),
                8.5,
                false,
                Align::Center,
                "(Ký, ghi rõ họ tên)",
            );
            let name_y = y0 + asc + line_height(title_pt) * 2.0 + 22.0;
            if name.is_empty() {
                let cx = (x0 + x1) / 2.0;
                w.line((cx - 28.0, name_y), (cx + 28.0, name_y), 0.4);
            } else {
                w.text_in((x0, x1), name_y, title_pt, true, Align::Center, name);
            }
        }
        w.y = y0 + block_h;
    }
}
