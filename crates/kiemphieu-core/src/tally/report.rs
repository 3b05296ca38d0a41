//! The tally as the command line shows it: a table for the terminal and a CSV for Excel.

use super::*;

impl Tally {
    /// A readable report: the ballot figures, the quorum, and one table row per subject.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let warning = self.not_final_warning();
        if let Some(w) = &warning {
            out.push_str(w);
            out.push('\n');
        }
        let _ = writeln!(out, "KẾT QUẢ KIỂM PHIẾU / TALLY: {}", self.vote);
        let _ = writeln!(out);
        let n = |v: u64| v.to_string();
        let mut facts: Vec<(String, String)> = vec![
            ("Số phiếu in ra (printed)".into(), n(self.printed)),
            (
                "  Số phiếu huỷ, không sử dụng (voided)".into(),
                n(self.voided),
            ),
            ("  Số phiếu phát ra (issued)".into(), n(self.issued)),
            ("    Số phiếu thu về (collected)".into(), n(self.collected)),
            ("      Phiếu được kiểm (counted)".into(), n(self.counted)),
            (
                "      Phát ra nhưng không hợp lệ toàn phiếu (ruled invalid)".into(),
                n(self.ruled_invalid),
            ),
            (
                "      Phiếu không do Ban kiểm phiếu phát ra (not issued by the committee)".into(),
                n(self.not_issued.values().sum()),
            ),
        ];
        for (reason, count) in &self.not_issued {
            facts.push((format!("        {}", reason_label(reason)), n(*count)));
        }
        facts.push((
            "    Số phiếu chưa thu về (issued, not returned)".into(),
            n(self.not_returned),
        ));
        facts.push((
            "Số trang đã quét, mỗi trang một lần (distinct pages)".into(),
            n(self.pages_scanned),
        ));
        facts.push(("  Phiếu thu về (collected)".into(), n(self.collected)));
        facts.push((
            "  Phiếu chờ xem xét (pending review)".into(),
            n(self.pending_review),
        ));
        facts.push((
            "  Bỏ qua: quét lại, không phải phiếu (ignored)".into(),
            n(self.ignored),
        ));
        facts.push(("  Trang trắng (blank pages)".into(), n(self.blank_pages)));
        facts.push(("  Không đọc được (unreadable)".into(), n(self.unreadable)));
        facts.push((
            "  Đã quét trước đó (already scanned)".into(),
            n(self.already_scanned),
        ));
        let label_w = facts
            .iter()
            .map(|(l, _)| display_width(l))
            .max()
            .unwrap_or(0);
        for (label, value) in &facts {
            let _ = writeln!(out, "{}  {value:>6}", pad_right(label, label_w));
        }
        if let Some(note) = self.excess_note_vi() {
            let _ = writeln!(out, "Ghi chú: {note}");
        }
        for i in &self.imbalances {
            let _ = writeln!(out, "!! SỐ LIỆU KHÔNG KHỚP / DOES NOT ADD UP: {}", i.vi());
            let _ = writeln!(out, "!!   {}", i.en());
        }
        if !self.unreadable_files.is_empty() {
            let _ = writeln!(out, "Tệp không đọc được (files that could not be read):");
            for f in &self.unreadable_files {
                let _ = writeln!(out, "  {} (page {}): {}", f.file, f.page, f.reason);
            }
        }
        if let (Some(head), Some(events)) = (&self.chain_head, self.chain_events) {
            let _ = writeln!(
                out,
                "Mã chuỗi sự kiện (chain head): {} ({events} events)",
                group_hex(head, 16)
            );
        }
        let q = &self.quorum;
        let opt = |v: Option<u64>| v.map_or("—".to_string(), |v| v.to_string());
        let met = match q.met {
            Some(true) => "đạt (met)",
            Some(false) => "KHÔNG ĐẠT (not met)",
            None => "chưa ghi nhận (not recorded)",
        };
        let _ = writeln!(
            out,
            "Triệu tập / có mặt (convened / present): {} / {}; tối thiểu 2/3: {met}",
            opt(q.convened),
            opt(q.present)
        );
        let _ = writeln!(out);

        let mut header = vec![
            "STT".to_string(),
            "Họ và tên".to_string(),
            "Chức vụ".to_string(),
            "Hợp lệ".to_string(),
            "Không hợp lệ".to_string(),
        ];
        for i in 0..self.level_count() {
            header.push(self.level_name(i));
        }
        header.push("Flags".to_string());
        let mut rows = vec![header];
        for s in &self.subjects {
            let mut row = vec![
                s.subject.to_string(),
                s.name.clone(),
                s.position.clone(),
                s.valid.to_string(),
                s.invalid.to_string(),
            ];
            for (c, p) in s.counts.iter().zip(&s.percents) {
                row.push(format!("{c} ({p}%)"));
            }
            row.push(
                s.flags
                    .iter()
                    .map(|f| f.code())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            rows.push(row);
        }
        let cols = rows[0].len();
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                rows.iter()
                    .map(|r| r.get(c).map_or(0, |t| display_width(t)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for (i, row) in rows.iter().enumerate() {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, t)| {
                    // Text columns to the left, figures to the right.
                    if i > 0 && (c == 0 || (3..cols - 1).contains(&c)) {
                        pad_left(t, widths[c])
                    } else {
                        pad_right(t, widths[c])
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
            if i == 0 {
                let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
                let _ = writeln!(out, "{}", rule.join("  "));
            }
        }
        let flagged: Vec<_> = self
            .subjects
            .iter()
            .filter(|s| !s.flags.is_empty())
            .collect();
        if !flagged.is_empty() {
            let _ = writeln!(out);
            for s in flagged {
                for f in &s.flags {
                    let _ = writeln!(
                        out,
                        "{}. {} — {}: {}",
                        s.subject,
                        s.name,
                        f.code(),
                        f.explanation_vi(&self.thresholds)
                    );
                }
            }
        }
        if let Some(w) = &warning {
            out.push('\n');
            out.push_str(w);
        }
        out
    }

    /// One CSV row per subject, with a header row; RFC 4180 (CRLF, quoted where needed). It
    /// starts with a UTF-8 byte order mark, without which Excel shows Vietnamese as mojibake.
    pub fn to_csv(&self) -> String {
        let mut header: Vec<String> = [
            "subject",
            "name",
            "position",
            "issued",
            "collected",
            "valid",
            "invalid",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for i in 1..=self.level_count() {
            header.push(format!("count_{i}"));
            header.push(format!("percent_{i}"));
        }
        header.push("flags".into());
        header.push("final".into());
        let mut out = String::from(CSV_BOM);
        out.push_str(&csv_line(&header));
        for s in &self.subjects {
            let mut row = vec![
                s.subject.to_string(),
                s.name.clone(),
                s.position.clone(),
                self.issued.to_string(),
                self.collected.to_string(),
                s.valid.to_string(),
                s.invalid.to_string(),
            ];
            for (c, p) in s.counts.iter().zip(&s.percents) {
                row.push(c.to_string());
                row.push(p.clone());
            }
            row.push(
                s.flags
                    .iter()
                    .map(|f| f.code())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            row.push(self.is_final.to_string());
            out.push_str(&csv_line(&row));
        }
        out
    }
}

fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// Characters a terminal shows, not counting combining accents.
fn display_width(s: &str) -> usize {
    s.chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .count()
}

fn pad_right(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(display_width(s))))
}

fn pad_left(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(display_width(s))))
}
