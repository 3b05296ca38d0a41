//! The page writer the minutes are drawn with: text, rules and boxes in millimetres from the
//! top-left, and a new page when the content reaches the bottom.

use super::*;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Align {
    Left,
    Center,
    Right,
}

pub(super) const RED: (f32, f32, f32) = (0.78, 0.06, 0.08);

pub(super) fn line_height(size: f64) -> f64 {
    mm_from_pt(size) * 1.32
}

/// `text` in lines no wider than `max_mm` (a word wider than a line is cut); empty text is one
/// empty line, so that it still takes its line's height.
pub(super) fn wrap(font: &BallotFont, text: &str, size: f64, max_mm: f64) -> Vec<String> {
    let lines = font.wrap_cutting(text, size, max_mm);
    if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    }
}

/// Draws on a page in millimetres from the top-left, and moves on to a new page when the
/// content reaches the bottom.
pub(super) struct Writer<'f> {
    pub(super) fonts: &'f Fonts,
    pub(super) pages: Vec<Page>,
    pub(super) page: Page,
    /// Top of the next block, mm from the top of the page.
    pub(super) y: f64,
}

impl<'f> Writer<'f> {
    pub(super) fn new(fonts: &'f Fonts) -> Self {
        Writer {
            fonts,
            pages: Vec::new(),
            page: Self::page_start(),
            y: TOP,
        }
    }

    pub(super) fn page_start() -> Page {
        let mut page = Page::a4();
        page.push(Op::SetFillColor { col: black() });
        page.push(Op::SetOutlineColor { col: black() });
        page.push(Op::SetOutlineThickness { pt: Pt(0.6) });
        page
    }

    pub(super) fn break_page(&mut self) {
        let page = std::mem::replace(&mut self.page, Self::page_start());
        self.pages.push(page);
        self.y = TOP;
    }

    /// Starts a new page unless `h` mm still fit on this one.
    pub(super) fn need(&mut self, h: f64) {
        if self.y + h > BOTTOM && self.y > TOP {
            self.break_page();
        }
    }

    pub(super) fn finish(mut self) -> Vec<Page> {
        self.pages.push(self.page);
        self.pages
    }

    /// One run of text with its baseline starting at `(x, baseline)`.
    pub(super) fn text(&mut self, x: f64, baseline: f64, size: f64, bold: bool, s: &str) {
        if s.is_empty() {
            return;
        }
        let at = PointMm { x, y: baseline };
        self.page.text(s, at, size, self.fonts.id(bold));
    }

    /// A run aligned in the span `[x0, x1]`.
    pub(super) fn text_in(
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

    pub(super) fn line(&mut self, a: (f64, f64), b: (f64, f64), width_pt: f64) {
        let point = |(x, y): (f64, f64)| PointMm { x, y };
        self.page.push(Op::SetOutlineThickness {
            pt: Pt(width_pt as f32),
        });
        self.page.line(point(a), point(b));
    }

    pub(super) fn fill_rect(&mut self, x: f64, y: f64, w: f64, h: f64, col: Color) {
        self.page.push(Op::SetFillColor { col });
        self.page.fill_rect(&RectMm::new(x, y, w, h));
        self.page.push(Op::SetFillColor { col: black() });
    }

    pub(super) fn outline_rect(&mut self, x: f64, y: f64, w: f64, h: f64, width_pt: f64) {
        self.page.push(Op::SetOutlineThickness {
            pt: Pt(width_pt as f32),
        });
        self.page.outline(&RectMm::new(x, y, w, h));
    }

    /// A wrapped paragraph across the text width, `indent` mm in from the left.
    pub(super) fn paragraph(&mut self, s: &str, size: f64, bold: bool, align: Align, indent: f64) {
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
    pub(super) fn item(&mut self, s: &str) {
        self.item_marked("-", s);
    }

    /// A list item with its own marker ("-", "1.").
    pub(super) fn item_marked(&mut self, marker: &str, s: &str) {
        let font = &self.fonts.measure(false);
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

    pub(super) fn heading(&mut self, s: &str) {
        self.need(line_height(BODY_PT) * 3.0);
        self.y += 2.0;
        self.paragraph(s, BODY_PT, true, Align::Left, 0.0);
        self.y += 0.8;
    }

    pub(super) fn gap(&mut self, mm: f64) {
        self.y += mm;
    }

    /// "DỰ THẢO" in light grey, large, along the page's diagonal, under the content.
    pub(super) fn draft_watermark(&mut self) {
        let text = "DỰ THẢO";
        let angle = (PAGE_H / PAGE_W).atan();
        let diagonal = (PAGE_W * PAGE_W + PAGE_H * PAGE_H).sqrt();
        let font = self.fonts.measure(true);
        let size = 100.0 * (diagonal * 0.62) / font.width_mm(text, 100.0);
        let w = font.width_mm(text, size);
        let cap = mm_from_pt(size) * 0.72;
        // The centre of the page, then back along the baseline (rising to the right) by half the
        // width and down across it by half the capital height.
        let (c, s) = (angle.cos(), angle.sin());
        let at = PointMm {
            x: PAGE_W / 2.0 - w / 2.0 * c + cap / 2.0 * s,
            y: PAGE_H / 2.0 + w / 2.0 * s + cap / 2.0 * c,
        };
        self.page.push(Op::SaveGraphicsState);
        self.page.push(Op::SetFillColor {
            col: rgb(0.86, 0.86, 0.86),
        });
        self.page
            .text_turned(text, at, angle, size, self.fonts.id(true));
        self.page.push(Op::RestoreGraphicsState);
    }

    /// What every page of a copy carries: "MẬT", "Bản số k/3", the page number.
    pub(super) fn page_marks(
        &mut self,
        copy: usize,
        page: usize,
        pages: usize,
        vote: &str,
        draft: bool,
    ) {
        let red = rgb(RED.0, RED.1, RED.2);
        // "MẬT" in a red frame, top left.
        let size = 15.0;
        let w = self.fonts.measure(true).width_mm("MẬT", size) + 6.0;
        self.page.push(Op::SetOutlineColor { col: red.clone() });
        self.outline_rect(LEFT, 7.0, w, 9.5, 1.6);
        self.page.push(Op::SetFillColor { col: red });
        self.text_in((LEFT, LEFT + w), 14.0, size, true, Align::Center, "MẬT");
        self.page.push(Op::SetFillColor { col: black() });
        self.page.push(Op::SetOutlineColor { col: black() });
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
