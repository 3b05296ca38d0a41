//! The tally's figures: exact percentages, the flags' boundaries, and the JSON of the contract.

use kiemphieu::form::{Fraction, Subject, Thresholds};
use kiemphieu::tally::{Flag, RowResult, TalliedSheet, TallyInput, flags_for, percent, tally};
use proptest::prelude::*;

fn levels() -> Vec<String> {
    ["Tín nhiệm cao", "Tín nhiệm", "Tín nhiệm thấp"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn subjects(n: usize) -> Vec<Subject> {
    (0..n)
        .map(|i| Subject {
            name: format!("Người {}", i + 1),
            position: "Phó Giám đốc Sở".into(),
        })
        .collect()
}

fn input(sheets: Vec<TalliedSheet>, n_subjects: usize) -> TallyInput {
    TallyInput {
        vote: "tin-nhiem-test".into(),
        subjects: subjects(n_subjects),
        levels: levels(),
        thresholds: Thresholds::default(),
        printed: 40,
        voided: 5,
        convened: Some(30),
        present: Some(25),
        sheets,
        pending_review: 0,
        pages: None,
    }
}

/// Sheets on which subject 1 gets `low` low-confidence marks and `other` high ones.
fn sheets_with_low(low: usize, other: usize) -> Vec<TalliedSheet> {
    let mut v = Vec::new();
    for _ in 0..low {
        v.push(TalliedSheet::Counted {
            rows: vec![RowResult::Valid(2)],
        });
    }
    for _ in 0..other {
        v.push(TalliedSheet::Counted {
            rows: vec![RowResult::Valid(0)],
        });
    }
    v
}

/// The reference: round(count * 100 / total, 2) half-up, by comparing remainders exactly.
fn reference_percent(count: u64, total: u64) -> String {
    if total == 0 {
        return "0.00".into();
    }
    let num = count as u128 * 10_000;
    let den = total as u128;
    let (q, r) = (num / den, num % den);
    // Round up when the remainder is at least half of the denominator.
    let h = if 2 * r >= den { q + 1 } else { q };
    format!("{}.{:02}", h / 100, h % 100)
}

#[test]
fn percent_known_values() {
    for (c, t, want) in [
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        (1, 8, "12.50"),
        (1, 200, "0.50"),
        (1, 400, "0.25"),
        (1, 800, "0.13"),
        (5, 11, "45.45"),
        (4, 11, "36.36"),
        (1, 11, "9.09"),
        (0, 0, "0.00"),
        (7, 7, "100.00"),
    ] {
        assert_eq!(percent(c, t), want, "{c}/{t}");
    }
}

proptest! {
    #[test]
    fn percent_matches_the_rational_reference(
        (count, total) in (1u64..1_000_000).prop_flat_map(|t| (0..=t, Just(t)))
    ) {
        prop_assert_eq!(percent(count, total), reference_percent(count, total));
    }

    #[test]
    fn percent_never_overflows(count in any::<u64>(), total in 1u64..) {
        prop_assert_eq!(percent(count, total), reference_percent(count, total));
    }

    #[test]
    fn exact_halves_round_up(k in 1u64..10_000, odd in 0u64..400) {
        // (2m+1)/800 of the total is (2m+1) * 0.125 %: its third decimal is a 5, exactly half
        // a hundredth, which must round up.
        let count = k * (2 * odd + 1);
        let total = 800 * k;
        let thousandths = (2 * odd + 1) * 125; // the exact value in thousandths of a percent
        let up = thousandths / 10 + 1;
        prop_assert_eq!(percent(count, total), format!("{}.{:02}", up / 100, up % 100));
    }

    #[test]
    fn percent_matches_reference_at_common_fractions(total in 1u64..100_000) {
        // Every count whose percentage ends exactly in a half rounds up.
        for count in [0, 1, total / 8, total / 3, total / 2, total] {
            prop_assert_eq!(percent(count, total), reference_percent(count, total));
        }
    }

    #[test]
    fn figures_add_up(
        sheets in prop::collection::vec(
            prop_oneof![
                1 => Just(None),
                6 => prop::collection::vec(
                    prop_oneof![4 => (0usize..3).prop_map(RowResult::Valid), 1 => Just(RowResult::Invalid)],
                    3,
                ).prop_map(Some),
            ],
            0..60,
        ),
        pending in 0u64..3,
    ) {
        let sheets: Vec<TalliedSheet> = sheets
            .into_iter()
            .map(|s| match s {
                None => TalliedSheet::Rejected,
                Some(rows) => TalliedSheet::Counted { rows },
            })
            .collect();
        let n = sheets.len() as u64;
        let rejected = sheets.iter().filter(|s| matches!(s, TalliedSheet::Rejected)).count() as u64;
        let mut inp = input(sheets, 3);
        inp.pending_review = pending;
        let t = tally(&inp);
        prop_assert_eq!(t.collected, n);
        prop_assert_eq!(t.rejected, rejected);
        prop_assert_eq!(t.is_final, pending == 0);
        prop_assert_eq!(t.issued, 35);
        for s in &t.subjects {
            prop_assert_eq!(s.valid + s.invalid, t.collected);
            prop_assert_eq!(s.counts.iter().sum::<u64>(), s.valid);
            prop_assert!(s.invalid >= t.rejected);
            prop_assert_eq!(s.counts.len(), 3);
            for (c, p) in s.counts.iter().zip(&s.percents) {
                prop_assert_eq!(p, &reference_percent(*c, t.collected));
            }
            let low = s.counts[2] as u128;
            let col = t.collected as u128;
            prop_assert_eq!(s.flags.contains(&Flag::ConsiderRelief), col > 0 && low * 2 > col);
            prop_assert_eq!(s.flags.contains(&Flag::Relieve), col > 0 && low * 3 >= col * 2);
        }
    }
}

#[test]
fn flags_exactly_at_one_half_and_two_thirds() {
    let t = Thresholds::default();
    // 3 of 6 is exactly 1/2: not more than half.
    assert!(flags_for(3, 6, &t).is_empty());
    // 4 of 6 is exactly 2/3: both.
    assert_eq!(
        flags_for(4, 6, &t),
        vec![Flag::ConsiderRelief, Flag::Relieve]
    );
    // 6 of 9 is exactly 2/3.
    assert!(flags_for(6, 9, &t).contains(&Flag::Relieve));
    // 5 of 9 is more than half, less than 2/3.
    assert_eq!(flags_for(5, 9, &t), vec![Flag::ConsiderRelief]);
    // Through the whole tally.
    let r = tally(&input(sheets_with_low(3, 3), 1));
    assert!(r.subjects[0].flags.is_empty());
    let r = tally(&input(sheets_with_low(4, 2), 1));
    assert_eq!(
        r.subjects[0].flags,
        vec![Flag::ConsiderRelief, Flag::Relieve]
    );
    let r = tally(&input(sheets_with_low(6, 3), 1));
    assert!(r.subjects[0].flags.contains(&Flag::Relieve));
    // A rejected sheet counts in `collected`: 4 low of 7 is no longer 2/3.
    let mut sheets = sheets_with_low(4, 2);
    sheets.push(TalliedSheet::Rejected);
    let r = tally(&input(sheets, 1));
    assert_eq!(r.collected, 7);
    assert_eq!(r.subjects[0].flags, vec![Flag::ConsiderRelief]);
}

#[test]
fn thresholds_from_the_form_are_used() {
    let mut inp = input(sheets_with_low(3, 7), 1);
    inp.thresholds = Thresholds {
        consider_relief_above: Fraction { num: 1, den: 4 },
        relieve_at_least: Fraction { num: 3, den: 10 },
    };
    let r = tally(&inp);
    assert_eq!(
        r.subjects[0].flags,
        vec![Flag::ConsiderRelief, Flag::Relieve]
    );
    let text = Flag::ConsiderRelief.explanation_vi(&inp.thresholds);
    assert!(text.contains("trên 1/4"), "{text}");
}

#[test]
fn rejected_and_missing_rows_are_invalid() {
    let sheets = vec![
        TalliedSheet::Rejected,
        TalliedSheet::Counted {
            rows: vec![RowResult::Valid(0)],
        }, // subject 2 row missing
        TalliedSheet::Counted {
            rows: vec![RowResult::Valid(7), RowResult::Valid(1)],
        }, // bad index
    ];
    let r = tally(&input(sheets, 2));
    assert_eq!(r.collected, 3);
    assert_eq!((r.subjects[0].valid, r.subjects[0].invalid), (1, 2));
    assert_eq!((r.subjects[1].valid, r.subjects[1].invalid), (1, 2));
    assert_eq!(r.subjects[0].counts, vec![1, 0, 0]);
    assert_eq!(r.subjects[1].counts, vec![0, 1, 0]);
}

#[test]
fn json_field_names_follow_the_contract() {
    let mut sheets = sheets_with_low(1, 4);
    sheets.push(TalliedSheet::Counted {
        rows: vec![RowResult::Valid(1)],
    });
    sheets.push(TalliedSheet::Rejected);
    let mut inp = input(sheets, 1);
    inp.pending_review = 2;
    inp.present = None;
    let v = serde_json::to_value(tally(&inp)).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "vote",
        "final",
        "printed",
        "voided",
        "issued",
        "collected",
        "rejected",
        "pending_review",
        "quorum",
        "subjects",
        // The accounting identity's terms (issue 11); every earlier key is kept.
        "counted",
        "ruled_invalid",
        "not_issued",
        "not_returned",
        "pages_scanned",
        "ignored",
        "blank_pages",
        "unreadable",
        "already_scanned",
        "unreadable_files",
        "identity_holds",
        "imbalances",
    ];
    let mut got = keys.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(v["vote"], "tin-nhiem-test");
    assert_eq!(v["final"], false);
    assert_eq!(v["printed"], 40);
    assert_eq!(v["voided"], 5);
    assert_eq!(v["issued"], 35);
    assert_eq!(v["collected"], 7);
    assert_eq!(v["rejected"], 1);
    assert_eq!(v["pending_review"], 2);
    assert_eq!(
        v["quorum"],
        serde_json::json!({"convened": 30, "present": null, "met": null})
    );
    let s = &v["subjects"][0];
    let mut skeys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
    skeys.sort();
    assert_eq!(
        skeys,
        [
            "counts", "flags", "invalid", "name", "percents", "position", "subject", "valid"
        ]
    );
    assert_eq!(s["subject"], 1);
    assert_eq!(s["name"], "Người 1");
    assert_eq!(s["valid"], 6);
    assert_eq!(s["invalid"], 1);
    assert_eq!(s["counts"], serde_json::json!([4, 1, 1]));
    assert_eq!(
        s["percents"],
        serde_json::json!(["57.14", "14.29", "14.29"])
    );
    assert_eq!(s["flags"], serde_json::json!([]));

    let r = tally(&input(sheets_with_low(4, 2), 1));
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["final"], true);
    assert_eq!(v["quorum"]["met"], true);
    assert_eq!(
        v["subjects"][0]["flags"],
        serde_json::json!(["consider_relief", "relieve"])
    );
    // It reads back (level names and thresholds are not part of the JSON).
    let back: kiemphieu::tally::Tally = serde_json::from_value(v).unwrap();
    assert_eq!(back.subjects, r.subjects);
}

#[test]
fn text_warns_loudly_when_not_final() {
    let mut inp = input(sheets_with_low(4, 2), 1);
    let t = tally(&inp).to_text();
    assert!(!t.contains("NOT FINAL"), "{t}");
    assert!(t.contains("Tín nhiệm thấp"), "{t}");
    assert!(t.contains("4 (66.67%)"), "{t}");
    assert!(t.contains("relieve"), "{t}");
    inp.pending_review = 3;
    let t = tally(&inp).to_text();
    assert_eq!(
        t.matches("CHƯA CHÍNH THỨC / NOT FINAL: 3 sheet(s) await review")
            .count(),
        2,
        "{t}"
    );
    assert!(t.trim_start().starts_with("!!!"), "{t}");
    assert!(t.trim_end().ends_with("!!!"), "{t}");
}

#[test]
fn csv_is_rfc_4180() {
    let mut inp = input(sheets_with_low(4, 2), 2);
    inp.subjects[0].name = "Nguyễn \"Văn\" A, con".into();
    let csv = tally(&inp).to_csv();
    // Excel needs the byte order mark to read UTF-8.
    let csv = csv
        .strip_prefix('\u{feff}')
        .expect("the CSV starts with a UTF-8 BOM");
    assert!(!csv.starts_with('\u{feff}'), "one BOM only");
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 3, "{csv:?}");
    assert!(csv.ends_with("\r\n"));
    assert_eq!(
        lines[0],
        "subject,name,position,issued,collected,valid,invalid,count_1,percent_1,count_2,percent_2,count_3,percent_3,flags,final"
    );
    assert_eq!(
        lines[1],
        "1,\"Nguyễn \"\"Văn\"\" A, con\",Phó Giám đốc Sở,35,6,6,0,2,33.33,0,0.00,4,66.67,consider_relief relieve,true"
    );
    assert!(lines[2].starts_with("2,Người 2,"), "{}", lines[2]);
}
