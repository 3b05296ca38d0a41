//! The minutes' text, section by section, and the header.

use super::*;

/// Lays out one copy's content; returns the ops of each page (without the page marks).
pub(super) fn lay_out(input: &MinutesInput, fonts: &Fonts) -> Vec<Page> {
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
        w.page.push(Op::SetFillColor {
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
        w.page.push(Op::SetFillColor { col: black() });
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
        w.page.push(Op::SetFillColor {
            col: rgb(RED.0, RED.1, RED.2),
        });
        for i in &t.imbalances {
            w.item(&format!("SỐ LIỆU KHÔNG KHỚP: {}.", i.vi()));
        }
        w.page.push(Op::SetFillColor { col: black() });
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
pub(super) fn header(w: &mut Writer, form: &Form) {
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
    let sw = w.fonts.measure(true).width_mm(sub, size);
    let cx = (r0 + r1) / 2.0;
    w.line((cx - sw / 2.0, y + 1.5), (cx + sw / 2.0, y + 1.5), 0.6);
    y += lh + 1.5;
    let date = format!("{}, {}", form.place, vietnamese_date(form.date_parts()));
    let s = fit(w, &date, false, size, r1 - r0);
    w.text_in((r0, r1), y, s, false, Align::Center, &date);
    w.y = left_bottom.max(y) + 2.0;
}
