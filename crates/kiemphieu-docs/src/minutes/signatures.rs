//! The signature blocks.

use super::*;

pub(super) const SIGNATURE_PT: f64 = 10.0;
/// The space above the signature blocks ("BAN KIỂM PHIẾU").
pub(super) const SIGNATURE_HEAD: f64 = 12.0;

/// One row of signature blocks: role, "(Ký, ghi rõ họ tên)", room to sign, the name, a gap.
pub(super) fn signature_row_height() -> f64 {
    line_height(SIGNATURE_PT) * 3.0 + 22.0 + 8.0
}

/// The height of the whole signature section for `members` blocks (3 when none are named).
pub(super) fn signatures_height(members: usize) -> f64 {
    let blocks = if members == 0 { 3 } else { members };
    4.0 + SIGNATURE_HEAD + blocks.div_ceil(2) as f64 * signature_row_height()
}

/// A signature block for each committee member, two to a row.
pub(super) fn signatures(w: &mut Writer, committee: &[(String, String)]) {
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
            let asc = w.fonts.measure(true).ascent_mm(title_pt);
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
