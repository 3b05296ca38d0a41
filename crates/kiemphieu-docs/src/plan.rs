//! The vote's timeline: the deadlines the seed plan sets around the day of the vote (D).
//!
//! From the plan (Kế hoạch lấy phiếu tín nhiệm, Quy định 96-QĐ/TW):
//! - D−20: the subjects' self-assessment reports reach the personnel office;
//! - D−15: the files are sent to the voters;
//! - D−10: the voters' written questions reach the subjects;
//! - D−3: the subjects' supplementary explanations, at the latest;
//! - D: the vote;
//! - D+10 by default ([`timeline_with`] sets it): the results reported upward.
//!
//! [`to_text`] prints the timeline, [`to_ics`] writes it as an RFC 5545 calendar. Dates are civil
//! dates `(year, month, day)`; arithmetic goes through [`crate::date::days_from_civil`].

use std::fmt::Write as _;

use crate::date::{civil_from_days, days_from_civil};

/// Days after the vote by which the results are reported upward, unless the plan says otherwise
/// (the seed: vote before 15/7, report before 20/7).
pub const DEFAULT_REPORT_AFTER_DAYS: u32 = 10;

/// One deadline of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    /// A stable code, e.g. `"self_assessment"` (used in calendar UIDs).
    pub code: &'static str,
    /// Days from the vote: negative before, 0 the day itself.
    pub offset_days: i64,
    /// `(year, month, day)`.
    pub date: (i32, u32, u32),
    /// What is due, in Vietnamese.
    pub vi: String,
    /// What is due, in English.
    pub en: String,
}

impl Milestone {
    /// `YYYY-MM-DD`.
    pub fn iso_date(&self) -> String {
        let (y, m, d) = self.date;
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// `D-20`, `D`, `D+10`.
    pub fn offset_label(&self) -> String {
        match self.offset_days {
            0 => "D".to_string(),
            n if n < 0 => format!("D-{}", -n),
            n => format!("D+{n}"),
        }
    }
}

/// The timeline for a vote on `date`, with the results reported [`DEFAULT_REPORT_AFTER_DAYS`]
/// days after.
pub fn timeline(date: (i32, u32, u32)) -> Vec<Milestone> {
    timeline_with(date, DEFAULT_REPORT_AFTER_DAYS)
}

/// The timeline for a vote on `date`, with the results reported `report_after_days` days after.
pub fn timeline_with(date: (i32, u32, u32), report_after_days: u32) -> Vec<Milestone> {
    let steps: [(&str, i64, &str, &str); 6] = [
        (
            "self_assessment",
            -20,
            "Người được lấy phiếu gửi báo cáo tự đánh giá (Phụ lục 3) về phòng tham mưu tổ chức, cán bộ",
            "Subjects send their self-assessment reports (Annex 3) to the personnel office",
        ),
        (
            "files_to_voters",
            -15,
            "Gửi báo cáo, hồ sơ của người được lấy phiếu (Phụ lục 2) cho người ghi phiếu",
            "Subjects' reports and files (Annex 2) sent to the voters",
        ),
        (
            "written_questions",
            -10,
            "Hạn chót người ghi phiếu gửi yêu cầu làm rõ bằng văn bản cho người được lấy phiếu",
            "Last day for voters' written questions to the subjects",
        ),
        (
            "explanations",
            -3,
            "Hạn chót người được lấy phiếu báo cáo, giải trình, cung cấp thông tin bổ sung",
            "Last day for the subjects' supplementary explanations",
        ),
        (
            "vote",
            0,
            "Hội nghị lấy phiếu tín nhiệm; bầu Ban kiểm phiếu, kiểm phiếu, lập biên bản (3 bản, mật)",
            "The confidence vote; counting committee elected, ballots counted, minutes made (3 copies, confidential)",
        ),
        (
            "report",
            i64::from(report_after_days),
            "Báo cáo kết quả lấy phiếu tín nhiệm lên cấp có thẩm quyền",
            "Results reported to the competent authority",
        ),
    ];
    let (y, m, d) = date;
    let day0 = days_from_civil(i64::from(y), m, d);
    steps
        .iter()
        .map(|&(code, offset, vi, en)| {
            let (y, m, d) = civil_from_days(day0 + offset);
            Milestone {
                code,
                offset_days: offset,
                date: (y as i32, m, d),
                vi: vi.to_string(),
                en: en.to_string(),
            }
        })
        .collect()
}

/// Day of the week, 0 = Monday.
fn weekday(date: (i32, u32, u32)) -> usize {
    // 1970-01-01 was a Thursday (3).
    (days_from_civil(i64::from(date.0), date.1, date.2) + 3).rem_euclid(7) as usize
}

const WEEKDAYS_VI: [&str; 7] = [
    "Thứ Hai",
    "Thứ Ba",
    "Thứ Tư",
    "Thứ Năm",
    "Thứ Sáu",
    "Thứ Bảy",
    "Chủ nhật",
];
const WEEKDAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The timeline as lines of text: date, weekday, offset, Vietnamese and English descriptions. A
/// deadline on a weekend is marked, since offices are closed.
pub fn to_text(milestones: &[Milestone]) -> String {
    let mut out = String::new();
    for m in milestones {
        let (y, mo, d) = m.date;
        let wd = weekday(m.date);
        let weekend = if wd >= 5 {
            "  (cuối tuần / weekend)"
        } else {
            ""
        };
        let head = format!(
            "{d:02}/{mo:02}/{y:04}  {:<8} {} {:<5}{weekend}",
            WEEKDAYS_VI[wd],
            WEEKDAYS_EN[wd],
            m.offset_label()
        );
        let _ = writeln!(out, "{}\n    {}\n    {}", head.trim_end(), m.vi, m.en);
    }
    out
}

/// The timeline as an RFC 5545 calendar: one all-day event per milestone. `vote` is the vote's id
/// (it makes the UIDs stable), `dtstamp_unix` the creation time in seconds since 1970 (UTC).
pub fn to_ics(vote: &str, milestones: &[Milestone], dtstamp_unix: i64) -> String {
    let days = dtstamp_unix.div_euclid(86_400);
    let secs = dtstamp_unix.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let dtstamp = format!(
        "{y:04}{mo:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//kiemphieu//kiemphieu plan//VI".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
    ];
    for m in milestones {
        let day = days_from_civil(i64::from(m.date.0), m.date.1, m.date.2);
        let (ny, nm, nd) = civil_from_days(day + 1);
        let (y, mo, d) = m.date;
        lines.push("BEGIN:VEVENT".into());
        lines.push(format!("UID:{}-{}@kiemphieu", ics_uid_part(vote), m.code));
        lines.push(format!("DTSTAMP:{dtstamp}"));
        lines.push(format!("DTSTART;VALUE=DATE:{y:04}{mo:02}{d:02}"));
        lines.push(format!("DTEND;VALUE=DATE:{ny:04}{nm:02}{nd:02}"));
        lines.push(format!(
            "SUMMARY:{}",
            ics_escape(&format!("{}: {}", m.offset_label(), m.vi))
        ));
        lines.push(format!(
            "DESCRIPTION:{}",
            ics_escape(&format!("{}\n{}", m.vi, m.en))
        ));
        lines.push("TRANSP:TRANSPARENT".into());
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in &lines {
        out.push_str(&fold_line(l));
    }
    out
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn ics_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Keeps a UID to characters every calendar accepts.
fn ics_uid_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Folds a content line into physical lines of at most 75 octets, each ended by CRLF, never
/// splitting a UTF-8 character (RFC 5545 §3.1). A continuation line starts with one space, which
/// counts in its 75 octets.
pub fn fold_line(line: &str) -> String {
    const MAX: usize = 75;
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut rest = line;
    let mut limit = MAX;
    loop {
        if rest.len() <= limit {
            out.push_str(rest);
            out.push_str("\r\n");
            return out;
        }
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        limit = MAX - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_dates() {
        let t = timeline((2023, 7, 10));
        let dates: Vec<String> = t.iter().map(Milestone::iso_date).collect();
        assert_eq!(
            dates,
            [
                "2023-06-20",
                "2023-06-25",
                "2023-06-30",
                "2023-07-07",
                "2023-07-10",
                "2023-07-20"
            ]
        );
        let labels: Vec<String> = t.iter().map(Milestone::offset_label).collect();
        assert_eq!(labels, ["D-20", "D-15", "D-10", "D-3", "D", "D+10"]);
    }

    #[test]
    fn month_and_year_boundaries() {
        let t = timeline((2024, 1, 5));
        assert_eq!(t[0].date, (2023, 12, 16));
        assert_eq!(t[3].date, (2024, 1, 2));
        // Leap year: 2024-03-10 minus 20 days.
        let t = timeline((2024, 3, 10));
        assert_eq!(t[0].date, (2024, 2, 19));
        assert_eq!(timeline((2024, 3, 1))[3].date, (2024, 2, 27));
        assert_eq!(timeline((2023, 3, 1))[3].date, (2023, 2, 26));
        let t = timeline_with((2023, 12, 28), 5);
        assert_eq!(t[5].date, (2024, 1, 2));
        assert_eq!(t[5].offset_label(), "D+5");
    }

    #[test]
    fn weekdays() {
        assert_eq!(weekday((2023, 7, 10)), 0); // a Monday
        assert_eq!(weekday((1970, 1, 1)), 3);
        assert_eq!(weekday((2023, 6, 25)), 6); // a Sunday
        assert!(to_text(&timeline((2023, 7, 10))).contains("Chủ nhật"));
    }

    #[test]
    fn ics_structure() {
        let t = timeline((2023, 7, 10));
        // 2023-05-31T08:30:00Z
        let ics = to_ics("tin-nhiem-so-khcn-2023", &t, 1_685_521_800);
        let bytes = ics.as_bytes();
        // Every line ends in CRLF, and there is no bare LF or CR.
        assert!(ics.ends_with("\r\n"));
        assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());
        assert_eq!(ics.matches('\r').count(), ics.matches("\r\n").count());
        for raw in bytes.split(|&b| b == b'\n') {
            assert!(raw.len() <= 76, "{} octets", raw.len()); // 75 + the CR
            assert!(std::str::from_utf8(raw).is_ok());
        }
        let unfolded = ics.replace("\r\n ", "");
        let lines: Vec<&str> = unfolded.split_terminator("\r\n").collect();
        assert_eq!(lines[0], "BEGIN:VCALENDAR");
        assert_eq!(lines[1], "VERSION:2.0");
        assert!(lines[2].starts_with("PRODID:"));
        assert_eq!(*lines.last().unwrap(), "END:VCALENDAR");
        assert_eq!(lines.iter().filter(|l| **l == "BEGIN:VEVENT").count(), 6);
        assert_eq!(lines.iter().filter(|l| **l == "END:VEVENT").count(), 6);
        assert!(lines.contains(&"DTSTART;VALUE=DATE:20230620"));
        assert!(lines.contains(&"DTEND;VALUE=DATE:20230621"));
        assert!(lines.contains(&"DTSTART;VALUE=DATE:20230720"));
        assert_eq!(
            lines
                .iter()
                .filter(|l| **l == "DTSTAMP:20230531T083000Z")
                .count(),
            6
        );
        let uids: std::collections::BTreeSet<&str> = lines
            .iter()
            .filter(|l| l.starts_with("UID:"))
            .copied()
            .collect();
        assert_eq!(uids.len(), 6);
        assert!(uids.contains("UID:tin-nhiem-so-khcn-2023-vote@kiemphieu"));
        assert!(
            lines.contains(&"SUMMARY:D-20: Người được lấy phiếu gửi báo cáo tự đánh giá (Phụ lục 3) về phòng tham mưu tổ chức\\, cán bộ"),
            "{unfolded}"
        );
        // The same input gives the same calendar.
        assert_eq!(ics, to_ics("tin-nhiem-so-khcn-2023", &t, 1_685_521_800));
        // An event ending on the last day of a year.
        let ics = to_ics("v", &timeline_with((2023, 12, 31), 0), 0);
        assert!(ics.contains("DTSTART;VALUE=DATE:20231231\r\nDTEND;VALUE=DATE:20240101\r\n"));
    }

    proptest::proptest! {
        #[test]
        fn folding_any_line(s in "[^\r\n]{0,400}") {
            let folded = fold_line(&s);
            for raw in folded.as_bytes().split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                proptest::prop_assert!(raw.len() <= 76);
                proptest::prop_assert!(std::str::from_utf8(raw).is_ok());
            }
            proptest::prop_assert_eq!(folded.trim_end_matches("\r\n").replace("\r\n ", ""), s);
        }
    }

    #[test]
    fn folding() {
        assert_eq!(fold_line("SHORT"), "SHORT\r\n");
        let exact = "A".repeat(75);
        assert_eq!(fold_line(&exact), format!("{exact}\r\n"));
        let long = format!("SUMMARY:{}", "ệ".repeat(60));
        let folded = fold_line(&long);
        for l in folded.split_terminator("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, long);
    }
}
