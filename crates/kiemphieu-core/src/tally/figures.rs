//! Figures and labels as the documents write them: Vietnamese numbers and percentages, the
//! reasons a sheet is not the committee's, a hash in groups for typing from paper.

/// A whole number as Vietnamese writes it: thousands separated by dots (`1.234.567`).
pub fn vi_number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A percentage from [`percent`](super::percent) (`"33.33"`) as Vietnamese writes it (`"33,33"`).
pub fn vi_percent(p: &str) -> String {
    match p.split_once('.') {
        Some((int, frac)) => {
            let int = int.parse::<u64>().map_or(int.to_string(), vi_number);
            format!("{int},{frac}")
        }
        None => p.to_string(),
    }
}

/// The Vietnamese label of a reason a sheet is not the committee's.
pub fn reason_label(reason: &str) -> &'static str {
    match reason {
        "not_issued" => "Serial không có trong sổ phiếu đã in (not_issued)",
        "wrong_vote" => "Phiếu của cuộc lấy phiếu khác (wrong_vote)",
        "voided" => "Phiếu đã huỷ (voided)",
        "duplicate_serial" => "Bản sao của phiếu đã thu (duplicate_serial)",
        _ => "Lý do khác",
    }
}

/// The first `digits` hex digits of a hash, in groups of four for typing from paper.
pub fn group_hex(hex: &str, digits: usize) -> String {
    let head: Vec<char> = hex.chars().take(digits).collect();
    head.chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The UTF-8 byte order mark that opens the CSV.
pub const CSV_BOM: &str = "\u{feff}";
