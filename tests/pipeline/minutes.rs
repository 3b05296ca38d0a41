//! The minutes PDF: three copies, every figure present as text, refused while sheets await
//! review unless it is a draft.

use std::path::Path;

use kiemphieu::form::Form;
use kiemphieu::minutes::{MinutesError, MinutesInput, render_minutes};
use kiemphieu::raster::PrintedPdf;
use kiemphieu::tally::{
    PageAccount, RowResult, TalliedSheet, Tally, TallyInput, UnreadablePage, tally,
};
use printpdf::{PdfDocument, PdfParseOptions};

const FORM: &str = include_str!("../../forms/tin-nhiem-so-khcn.json");

fn form() -> Form {
    Form::parse(FORM, Path::new("forms/tin-nhiem-so-khcn.json")).unwrap()
}

/// 33 sheets in the box: 1 rejected, 32 counted. Subject 3 gets 22 low-confidence marks (2/3 of
/// 33 exactly), subject 2 gets 17 (more than half).
fn known_tally(pending: u64) -> Tally {
    let f = form();
    let mut sheets = vec![TalliedSheet::Rejected];
    for i in 0..32 {
        let a = match i {
            0..=19 => RowResult::Valid(0),
            20..=27 => RowResult::Valid(1),
            28..=29 => RowResult::Valid(2),
            _ => RowResult::Invalid,
        };
        let b = if i < 17 {
            RowResult::Valid(2)
        } else {
            RowResult::Valid(1)
        };
        let c = if i < 22 {
            RowResult::Valid(2)
        } else {
            RowResult::Valid(0)
        };
        sheets.push(TalliedSheet::Counted {
            rows: vec![a, b, c],
        });
    }
    tally(&TallyInput {
        vote: f.id.clone(),
        subjects: f.subjects.clone(),
        levels: f.levels.clone(),
        thresholds: f.thresholds,
        printed: 40,
        voided: 5,
        convened: Some(37),
        present: Some(34),
        sheets,
        pending_review: pending,
        // Every page in its bucket: the rejected sheet's serial was never printed.
        pages: Some(PageAccount {
            pages: 33 + pending,
            counted: 32,
            not_issued: [("not_issued".to_string(), 1)].into_iter().collect(),
            pending_review: pending,
            ..PageAccount::default()
        }),
    })
}

fn committee() -> Vec<(String, String)> {
    vec![
        ("Phạm Thị Hồng Nhung".into(), "Trưởng ban".into()),
        ("Võ Đức Thắng".into(), "Thành viên".into()),
        ("Huỳnh Ngọc Ánh".into(), "Thành viên".into()),
    ]
}

fn render(t: &Tally, draft: bool) -> Result<Vec<u8>, MinutesError> {
    let f = form();
    render_minutes(&MinutesInput {
        form: &f,
        tally: t,
        committee: committee(),
        draft,
        generated_at: "10/07/2023 11:42".into(),
    })
}

/// The text of each page, as printpdf extracts it (Identity-H glyphs through ToUnicode).
fn page_texts(pdf: &[u8]) -> Vec<String> {
    let mut warnings = Vec::new();
    let doc = PdfDocument::parse(pdf, &PdfParseOptions::default(), &mut warnings).unwrap();
    doc.extract_text()
        .into_iter()
        .map(|chunks| chunks.join("\n"))
        .collect()
}

#[test]
fn refuses_a_tally_that_is_not_final() {
    let t = known_tally(2);
    let err = render(&t, false).unwrap_err();
    assert!(
        matches!(err, MinutesError::NotFinal { pending: 2 }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the tally is not final: 2 sheet(s) await review"
    );
    assert!(err.hint().unwrap().contains("kiemphieu review"));
    // A draft is allowed.
    let pdf = render(&t, true).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
}

#[test]
fn refuses_a_tally_of_another_vote() {
    let mut t = known_tally(0);
    t.vote = "another-vote".into();
    let err = render(&t, false).unwrap_err();
    assert!(matches!(err, MinutesError::WrongVote { .. }), "{err:?}");
}

#[test]
fn three_copies_with_every_figure() {
    let t = known_tally(0);
    let pdf = render(&t, false).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let raster = PrintedPdf::load(pdf.clone()).unwrap();
    let pages = raster.page_count();
    assert!(pages >= 3 && pages.is_multiple_of(3), "{pages} pages");
    let per_copy = pages / 3;

    let texts = page_texts(&pdf);
    assert_eq!(texts.len(), pages);
    for (i, text) in texts.iter().enumerate() {
        let copy = i / per_copy + 1;
        let page = i % per_copy + 1;
        assert!(
            text.contains(&format!("Bản số {copy}/3")),
            "page {}: {text}",
            i + 1
        );
        assert!(
            text.contains(&format!("Trang {page}/{per_copy}")),
            "page {}: {text}",
            i + 1
        );
        assert!(text.contains("MẬT"), "page {}", i + 1);
        assert!(!text.contains("DỰ THẢO"), "page {}", i + 1);
    }
    // Each copy holds all of it.
    for copy in 0..3 {
        let all = texts[copy * per_copy..(copy + 1) * per_copy].join("\n");
        // A wrapped line or cell reads as one when the line breaks are spaces.
        let flat = all.split_whitespace().collect::<Vec<_>>().join(" ");
        for want in [
            "BIÊN BẢN KIỂM PHIẾU",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
            "Quảng Ngãi, ngày 10 tháng 7 năm 2023",
            "Số người được triệu tập: 37",
            "Số người có mặt: 34",
            "Số phiếu in ra: 40",
            "Số phiếu không sử dụng, đã huỷ: 5",
            "Số phiếu phát ra: 35",
            "Số phiếu thu về: 33",
            "Số phiếu không do Ban kiểm phiếu phát ra (không hợp lệ toàn phiếu): 1",
            "Số phiếu do Ban kiểm phiếu phát ra nhưng bị xác định không hợp lệ toàn phiếu (không có dấu, bản sao, …): 0",
            "Số phiếu phát ra nhưng không thu về: 3",
            "Các số liệu trên khớp nhau.",
            "Số trang đã quét: 33",
            "Nguyễn Văn A",
            "Trần Thị B",
            "Lê Văn C",
            "Phạm Thị Hồng Nhung",
            "TRƯỞNG BAN KIỂM PHIẾU",
            "Có từ 2/3 trở lên số phiếu tín nhiệm thấp",
            "Có trên 1/2 số phiếu tín nhiệm thấp",
        ] {
            assert!(
                flat.contains(want),
                "copy {}: {want:?} missing in\n{all}",
                copy + 1
            );
        }
        // Every figure of the table, as its own text run.
        let runs: Vec<&str> = all.lines().map(str::trim).collect();
        for s in &t.subjects {
            for figure in [s.valid.to_string(), s.invalid.to_string()] {
                assert!(
                    runs.contains(&figure.as_str()),
                    "copy {}: {figure} missing",
                    copy + 1
                );
            }
            for (c, p) in s.counts.iter().zip(&s.percents) {
                assert!(
                    runs.contains(&c.to_string().as_str()),
                    "copy {}: {c} missing",
                    copy + 1
                );
                // Vietnamese style: a decimal comma.
                let p = p.replace('.', ",");
                assert!(runs.contains(&p.as_str()), "copy {}: {p} missing", copy + 1);
            }
        }
        for figure in ["35", "33"] {
            assert!(
                runs.contains(&figure),
                "copy {}: {figure} missing",
                copy + 1
            );
        }
    }
}

#[test]
fn blank_signature_blocks_without_a_committee() {
    let f = form();
    let t = known_tally(0);
    let pdf = render_minutes(&MinutesInput {
        form: &f,
        tally: &t,
        committee: Vec::new(),
        // Final minutes need the committee's names; a draft has blanks to sign.
        draft: true,
        generated_at: "10/07/2023".into(),
    })
    .unwrap();
    let texts = page_texts(&pdf);
    let copy1 = texts[..texts.len() / 3].join("\n");
    assert!(copy1.contains("TRƯỞNG BAN KIỂM PHIẾU"), "{copy1}");
    assert_eq!(copy1.matches("(Ký, ghi rõ họ tên)").count(), 3, "{copy1}");
}

#[test]
fn the_known_figures() {
    let t = known_tally(0);
    let s = &t.subjects;
    assert_eq!(t.collected, 33);
    assert_eq!((s[0].valid, s[0].invalid), (30, 3));
    assert_eq!(s[0].counts, vec![20, 8, 2]);
    assert_eq!(s[0].percents, vec!["60.61", "24.24", "6.06"]);
    assert_eq!(s[1].counts, vec![0, 15, 17]);
    assert_eq!(s[1].flags.len(), 1);
    assert_eq!(s[2].counts, vec![10, 0, 22]);
    assert_eq!(s[2].percents, vec!["30.30", "0.00", "66.67"]);
    assert_eq!(s[2].flags.len(), 2);
}

#[test]
fn a_draft_says_so_on_every_page() {
    let t = known_tally(4);
    let pdf = render(&t, true).unwrap();
    let texts = page_texts(&pdf);
    assert_eq!(texts.len() % 3, 0);
    for (i, text) in texts.iter().enumerate() {
        assert!(text.contains("DỰ THẢO"), "page {}: {text}", i + 1);
    }
    assert!(texts[0].contains("còn 4 phiếu chờ"), "{}", texts[0]);
}

#[test]
fn pages_are_not_blank() {
    let t = known_tally(0);
    let pdf = render(&t, true).unwrap();
    let raster = PrintedPdf::load(pdf).unwrap();
    for page in 0..raster.page_count() {
        let img = raster.render(page, 50.0).unwrap();
        let dark = img
            .pixels()
            .filter(|p| p[0] < 128 && p[1] < 128 && p[2] < 128)
            .count();
        assert!(dark > 500, "page {} has {dark} dark pixels", page + 1);
        if page == 0 {
            // The watermark is there, light grey.
            let grey = img
                .pixels()
                .filter(|p| (200..=235).contains(&p[0]) && p[0] == p[2])
                .count();
            assert!(grey > 2000, "page 1 has {grey} light grey pixels");
        }
    }
}

#[test]
fn many_subjects_and_long_names_paginate() {
    let mut f = form();
    f.subjects = (0..25)
        .map(|i| kiemphieu::form::Subject {
            name: format!("Nguyễn Thị Phương Thảo Hoàng Long {i}"),
            position: "Phó Giám đốc Trung tâm Ứng dụng tiến bộ khoa học và công nghệ".into(),
        })
        .collect();
    let sheets = (0..120)
        .map(|i| TalliedSheet::Counted {
            rows: vec![RowResult::Valid(i % 3); 25],
        })
        .collect();
    let t = tally(&TallyInput {
        vote: f.id.clone(),
        subjects: f.subjects.clone(),
        levels: f.levels.clone(),
        thresholds: f.thresholds,
        printed: 1000,
        voided: 880,
        convened: Some(150),
        present: Some(99),
        sheets,
        pending_review: 0,
        pages: None,
    });
    let pdf = render_minutes(&MinutesInput {
        form: &f,
        tally: &t,
        committee: committee(),
        draft: false,
        generated_at: "x".into(),
    })
    .unwrap();
    let texts = page_texts(&pdf);
    let per_copy = texts.len() / 3;
    assert!(per_copy >= 2, "{} pages", texts.len());
    let all = texts[..per_copy].join("\n");
    let flat = all.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Hoàng Long 24"), "{all}");
    assert!(all.contains("KHÔNG ĐẠT"), "99 of 150 is under 2/3");
    if std::env::var_os("KIEMPHIEU_MINUTES_PNG").is_some() {
        let raster = PrintedPdf::load(pdf).unwrap();
        for p in 0..per_copy {
            raster
                .render(p, 110.0)
                .unwrap()
                .save(format!("/tmp/minutes-long-{}.png", p + 1))
                .unwrap();
        }
    }
}

/// Writes page images for a person to look at: `KIEMPHIEU_MINUTES_PNG=1 cargo test --test minutes`.
#[test]
fn pictures_for_review() {
    if std::env::var_os("KIEMPHIEU_MINUTES_PNG").is_none() {
        return;
    }
    for (draft, pending, name) in [(false, 0, "final"), (true, 3, "draft")] {
        let t = known_tally(pending);
        let pdf = render(&t, draft).unwrap();
        std::fs::write(format!("/tmp/minutes-{name}.pdf"), &pdf).unwrap();
        let raster = PrintedPdf::load(pdf).unwrap();
        for p in 0..raster.page_count() / 3 {
            let img = raster.render(p, 110.0).unwrap();
            img.save(format!("/tmp/minutes-{name}-{}.png", p + 1))
                .unwrap();
        }
    }
}

fn render_with(t: &Tally, committee: Vec<(String, String)>) -> Result<Vec<u8>, MinutesError> {
    let f = form();
    render_minutes(&MinutesInput {
        form: &f,
        tally: t,
        committee,
        draft: false,
        generated_at: "10/07/2023 11:42".into(),
    })
}

#[track_caller]
fn expect_incomplete(result: Result<Vec<u8>, MinutesError>, want: &str) {
    let err = result.expect_err("final minutes should be refused");
    match &err {
        MinutesError::Incomplete { missing } => {
            assert!(missing.iter().any(|m| m.contains(want)), "{missing:?}");
        }
        other => panic!("expected Incomplete naming {want:?}, got {other:?}"),
    }
    assert!(err.to_string().starts_with("the minutes cannot be final: "));
    assert!(err.hint().unwrap().contains("--draft"));
}

#[test]
fn final_minutes_are_refused_without_the_meeting_facts() {
    let mut t = known_tally(0);
    t.quorum = kiemphieu::tally::Quorum::new(None, None);
    expect_incomplete(render_with(&t, committee()), "meeting facts");
    // A draft is still allowed.
    let f = form();
    render_minutes(&MinutesInput {
        form: &f,
        tally: &t,
        committee: committee(),
        draft: true,
        generated_at: "x".into(),
    })
    .unwrap();
}

#[test]
fn final_minutes_are_refused_without_a_chair() {
    let t = known_tally(0);
    let members: Vec<_> = committee().into_iter().skip(1).collect();
    expect_incomplete(render_with(&t, members), "no chair");
    expect_incomplete(render_with(&t, Vec::new()), "no chair");
}

#[test]
fn final_minutes_are_refused_without_a_member() {
    let t = known_tally(0);
    let chair: Vec<_> = committee().into_iter().take(1).collect();
    expect_incomplete(render_with(&t, chair), "no member");
}

#[test]
fn final_minutes_are_refused_with_an_empty_name() {
    let t = known_tally(0);
    let mut c = committee();
    c.push(("  ".into(), "Thành viên".into()));
    expect_incomplete(render_with(&t, c), "empty name");
}

#[test]
fn final_minutes_are_refused_when_more_were_collected_than_issued() {
    let f = form();
    let mut sheets = vec![TalliedSheet::Rejected; 3];
    sheets.extend((0..4).map(|_| TalliedSheet::Counted {
        rows: vec![RowResult::Valid(0); 3],
    }));
    let t = tally(&TallyInput {
        vote: f.id.clone(),
        subjects: f.subjects.clone(),
        levels: f.levels.clone(),
        thresholds: f.thresholds,
        printed: 10,
        voided: 4,
        convened: Some(7),
        present: Some(7),
        sheets,
        pending_review: 0,
        pages: None,
    });
    assert!(!t.identity_holds);
    expect_incomplete(
        render_with(&t, committee()),
        "7 sheets issued by the committee came back but only 6 were issued",
    );
    // The draft says so in red words.
    let pdf = render_minutes(&MinutesInput {
        form: &f,
        tally: &t,
        committee: committee(),
        draft: true,
        generated_at: "x".into(),
    })
    .unwrap();
    let flat = page_texts(&pdf)
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("SỐ LIỆU KHÔNG KHỚP: Số phiếu do Ban kiểm phiếu phát ra được thu về (7) lớn hơn số phiếu phát ra (6)"),
        "{flat}"
    );
}

#[test]
fn pending_sheets_and_a_missing_chair_are_listed_together() {
    let t = known_tally(2);
    let err = render_with(&t, Vec::new()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("2 sheet(s) await review"), "{msg}");
    assert!(msg.contains("no chair"), "{msg}");
}

#[test]
fn unreadable_files_and_the_chain_head_are_in_the_minutes() {
    let mut t = known_tally(0);
    t.pages_scanned += 2;
    t.unreadable = 2;
    t.unreadable_files = vec![
        UnreadablePage {
            file: "scans/0007.jpg".into(),
            page: 1,
            reason: "read_failed".into(),
        },
        UnreadablePage {
            file: "scans/ghi-chu.txt".into(),
            page: 1,
            reason: "not_an_image".into(),
        },
    ];
    t.chain_head = Some("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".into());
    t.chain_events = Some(1234);
    let pdf = render(&t, false).unwrap();
    let flat = page_texts(&pdf)
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for want in [
        "scans/0007.jpg (trang 1): không đọc được tệp",
        "scans/ghi-chu.txt (trang 1): không phải tệp ảnh",
        "không đọc được 2",
        "0123 4567 89ab cdef",
        "1.234 sự kiện",
    ] {
        assert!(flat.contains(want), "{want:?} missing in {flat}");
    }
}

#[test]
fn numbers_are_written_the_vietnamese_way() {
    assert_eq!(kiemphieu::tally::vi_number(1_234_567), "1.234.567");
    assert_eq!(kiemphieu::tally::vi_number(999), "999");
    assert_eq!(kiemphieu::tally::vi_percent("33.33"), "33,33");
    assert_eq!(kiemphieu::tally::vi_percent("100.00"), "100,00");
    let pdf = render(&known_tally(0), false).unwrap();
    let all = page_texts(&pdf).join("\n");
    assert!(all.contains("66,67"), "{all}");
    assert!(!all.contains("66.67"), "a decimal point is left");
}

#[test]
fn times_are_printed_in_the_votes_time_zone() {
    use kiemphieu::minutes::local_time;
    // 20:30 UTC on 31 December is 03:30 on 1 January in Hanoi.
    assert_eq!(
        local_time("2023-12-31T20:30:00Z", 7 * 60),
        "01/01/2024 03:30 (UTC+07:00)"
    );
    assert_eq!(
        local_time("2023-07-10T04:42:10Z", 7 * 60),
        "10/07/2023 11:42 (UTC+07:00)"
    );
    assert_eq!(
        local_time("2023-07-10T01:00:00Z", -3 * 60 - 30),
        "09/07/2023 21:30 (UTC-03:30)"
    );
    assert_eq!(local_time("not a time", 420), "not a time");
}

#[test]
fn the_signatures_stay_with_the_end_of_the_text() {
    // However many subjects push the end down, the page with the signatures also holds the
    // closing words, and the last page is not the signatures alone.
    let f = form();
    for extra in 0..12 {
        let mut t = known_tally(0);
        for i in 0..extra {
            t.unreadable_files.push(UnreadablePage {
                file: format!("scans/hong-{i:02}.jpg"),
                page: 1,
                reason: "read_failed".into(),
            });
        }
        let pdf = render_minutes(&MinutesInput {
            form: &f,
            tally: &t,
            committee: committee(),
            draft: true,
            generated_at: "x".into(),
        })
        .unwrap();
        let texts = page_texts(&pdf);
        let per_copy = texts.len() / 3;
        let last = &texts[per_copy - 1];
        assert!(last.contains("BAN KIỂM PHIẾU"), "{last}");
        assert!(
            last.contains("Biên bản được lập thành 03 bản"),
            "extra {extra}: {last}"
        );
        assert!(last.contains("Huỳnh Ngọc Ánh"), "extra {extra}: {last}");
    }
}
