//! The form file: every way it can be wrong gets a message that names the field and the problem,
//! from the library (`Form::parse`) and from the command line (`kiemphieu init`, exit status 2).

use crate::common;

use std::path::Path;

use common::{EXIT_CANNOT_RUN, Sandbox, entries, fixture, shipped_form};
use kiemphieu::form::{Form, FormError};
use kiemphieu::layout;
use serde_json::{Value, json};

const PATH: &str = "forms/test.json";

/// A valid form with three subjects, as JSON to be spoiled by each test.
fn base() -> Value {
    json!({
        "id": "kiem-tra",
        "organization": ["UBND TỈNH QUẢNG NGÃI", "SỞ KHOA HỌC VÀ CÔNG NGHỆ"],
        "title": "PHIẾU TÍN NHIỆM",
        "subtitle": ["Lấy phiếu tín nhiệm giữa nhiệm kỳ"],
        "place": "Quảng Ngãi",
        "date": "2023-07-10",
        "levels": ["Tín nhiệm cao", "Tín nhiệm", "Tín nhiệm thấp"],
        "subjects": [
            { "name": "Nguyễn Văn A", "position": "Giám đốc Sở" },
            { "name": "Trần Thị B", "position": "Phó Giám đốc Sở" },
            { "name": "Lê Hoàng C", "position": "Phó Giám đốc Sở" }
        ]
    })
}

fn parse(v: &Value) -> Result<Form, FormError> {
    Form::parse(&v.to_string(), Path::new(PATH))
}

/// `n` distinct subjects with short positions.
fn subjects(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({ "name": format!("Nguyễn Văn A{i}"), "position": "Phó Giám đốc Sở" }))
            .collect(),
    )
}

/// Asserts the error is about `field` and its message says `problem`; returns the message.
#[track_caller]
fn expect_field_error(result: Result<Form, FormError>, field: &str, problem: &str) -> String {
    let err = result.expect_err("the form should be refused");
    let msg = err.to_string();
    match &err {
        FormError::Field { path, field: f, .. } => {
            assert_eq!(f, field, "wrong field in: {msg}");
            assert_eq!(path, Path::new(PATH));
        }
        other => panic!("expected an error about field `{field}`, got {other:?}"),
    }
    assert!(
        msg.starts_with(&format!("form file {PATH}: field `{field}` ")),
        "message does not name the file and the field: {msg}"
    );
    assert!(msg.contains(problem), "message lacks {problem:?}: {msg}");
    assert_house_style(&msg);
    msg
}

/// Asserts a `Parse` error (serde's) whose message contains every one of `parts`.
#[track_caller]
fn expect_parse_error(result: Result<Form, FormError>, parts: &[&str]) -> String {
    let err = result.expect_err("the form should be refused");
    let msg = err.to_string();
    assert!(
        matches!(&err, FormError::Parse { path, .. } if path == Path::new(PATH)),
        "expected a parse error naming {PATH}, got {err:?}"
    );
    assert!(
        msg.starts_with(&format!("form file {PATH} is not valid: ")),
        "{msg}"
    );
    for part in parts {
        assert!(msg.contains(part), "message lacks {part:?}: {msg}");
    }
    assert_house_style(&msg);
    msg
}

/// Lowercase start, no final full stop (docs/contract.md).
#[track_caller]
fn assert_house_style(msg: &str) {
    assert!(
        msg.chars().next().is_some_and(|c| !c.is_uppercase()),
        "message starts with a capital: {msg}"
    );
    assert!(!msg.ends_with('.'), "message ends with a full stop: {msg}");
}

#[test]
fn fixtures_and_the_shipped_form_are_valid() {
    for path in [
        fixture("one-subject.json"),
        fixture("twenty-subjects.json"),
        shipped_form("tin-nhiem-so-khcn.json"),
    ] {
        let form = Form::load(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!form.subjects.is_empty());
    }
    assert_eq!(
        Form::load(&fixture("twenty-subjects.json"))
            .unwrap()
            .subjects
            .len(),
        20
    );
    assert!(parse(&base()).is_ok());
}

#[test]
fn levels_default_to_the_three_of_the_seed() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("levels");
    let form = parse(&v).unwrap();
    assert_eq!(
        form.levels,
        kiemphieu::form::DEFAULT_LEVELS.map(String::from).to_vec()
    );
}

#[test]
fn missing_subjects_is_named() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("subjects");
    expect_parse_error(parse(&v), &["missing field `subjects`"]);
}

#[test]
fn missing_id_is_named() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("id");
    expect_parse_error(parse(&v), &["missing field `id`"]);
}

#[test]
fn empty_title_is_refused() {
    let mut v = base();
    v["title"] = json!("");
    expect_field_error(parse(&v), "title", "is empty");
    v["title"] = json!("   ");
    expect_field_error(parse(&v), "title", "is empty");
}

#[test]
fn blank_subject_name_is_refused() {
    let mut v = base();
    v["subjects"][1]["name"] = json!(" ");
    expect_field_error(parse(&v), "subjects[1].name", "is empty");
}

#[test]
fn empty_subjects_is_refused() {
    let mut v = base();
    v["subjects"] = json!([]);
    expect_field_error(parse(&v), "subjects", "is empty");
}

#[test]
fn duplicate_subject_is_refused() {
    let mut v = base();
    // The same person twice, the second time with stray spaces.
    v["subjects"][2] = json!({ "name": " Nguyễn Văn A", "position": "Giám đốc Sở " });
    let msg = expect_field_error(parse(&v), "subjects[2]", "repeats subjects[0]");
    assert!(msg.contains("Nguyễn Văn A"), "{msg}");
}

#[test]
fn same_name_in_another_position_is_allowed() {
    let mut v = base();
    v["subjects"][2] = json!({ "name": "Nguyễn Văn A", "position": "Chánh Văn phòng" });
    parse(&v).expect("two people may share a name");
}

#[test]
fn a_full_page_of_subjects_fits() {
    let max = layout::max_subjects();
    assert!(max >= 20, "one page holds only {max} subjects");
    let mut v = base();
    v["subjects"] = subjects(max);
    let form = parse(&v).expect("max_subjects() subjects must fit");
    assert_eq!(form.subjects.len(), max);
}

#[test]
fn more_subjects_than_a_page_holds_is_refused() {
    let max = layout::max_subjects();
    let mut v = base();
    v["subjects"] = subjects(max + 1);
    expect_field_error(
        parse(&v),
        "subjects",
        &format!("has {} subjects but one page holds at most {max}", max + 1),
    );
}

#[test]
fn unknown_key_is_named() {
    let mut v = base();
    v["subject"] = json!([]); // a typo of "subjects"
    expect_parse_error(parse(&v), &["unknown field `subject`"]);
}

#[test]
fn unknown_key_in_a_subject_is_named() {
    let mut v = base();
    v["subjects"][0]["chuc_vu"] = json!("Giám đốc");
    expect_parse_error(parse(&v), &["unknown field `chuc_vu`"]);
}

#[test]
fn character_the_font_cannot_draw_is_refused() {
    let mut v = base();
    v["subjects"][1]["name"] = json!("Trần Thị 𝄞");
    expect_field_error(
        parse(&v),
        "subjects[1].name",
        "has '𝄞' (U+1D11E), which the ballot font cannot draw",
    );

    let mut v = base();
    v["subjects"][0]["position"] = json!("Giám đốc Sở 🧑");
    expect_field_error(parse(&v), "subjects[0].position", "(U+1F9D1)");

    let mut v = base();
    v["title"] = json!("PHIẾU TÍN NHIỆM 中");
    expect_field_error(parse(&v), "title", "(U+4E2D)");
}

#[test]
fn vietnamese_text_is_drawable() {
    let mut v = base();
    v["subjects"][0]["name"] = json!("Đặng Thị Ẩn Ượng Ỹ Ỵ");
    parse(&v).expect("every Vietnamese letter is in the font");
}

/// A control character has no glyph: it would print as a box or nothing, and the name on the
/// ballot would not be the name in the tally.
#[test]
fn control_character_in_a_name_is_refused() {
    let mut v = base();
    v["subjects"][0]["name"] = json!("Nguyễn Văn\tA");
    let err = parse(&v).expect_err("a tab in a name should be refused");
    assert!(err.to_string().contains("subjects[0].name"), "{err}");
}

#[test]
fn bad_id_is_refused() {
    for bad in [
        "",
        "Tin-Nhiem",
        "tín-nhiệm",
        "tin nhiem",
        "-tin",
        "tin:nhiem",
    ] {
        let mut v = base();
        v["id"] = json!(bad);
        let msg = expect_field_error(parse(&v), "id", "lowercase letters, digits or '-'");
        assert!(msg.contains(&format!("{bad:?}")), "{msg}");
    }
    let mut v = base();
    v["id"] = json!("a".repeat(41));
    expect_field_error(parse(&v), "id", "1 to 40");
    v["id"] = json!("a".repeat(40));
    parse(&v).expect("40 symbols is the limit");
}

#[test]
fn bad_date_is_refused() {
    for bad in [
        "2023-02-29",
        "2023-13-01",
        "2023-04-31",
        "10/07/2023",
        "2023-7-10",
        "",
    ] {
        let mut v = base();
        v["date"] = json!(bad);
        let msg = expect_field_error(parse(&v), "date", "must be a date YYYY-MM-DD");
        assert!(msg.contains(&format!("{bad:?}")), "{msg}");
    }
    let mut v = base();
    v["date"] = json!("2024-02-29");
    parse(&v).expect("2024 is a leap year");
}

#[test]
fn name_too_long_for_its_cell_is_refused() {
    let mut v = base();
    v["subjects"][0]["name"] = json!("Tôn Nữ Hoàng Thị Minh Nguyệt Phương Thảo Ngọc Ánh");
    let msg = expect_field_error(parse(&v), "subjects[0].name", "is too long");
    assert!(msg.contains("mm wide at 11 pt"), "{msg}");
    assert!(msg.contains("at most 51.0 mm fits"), "{msg}");
}

#[test]
fn position_too_long_for_its_cell_is_refused() {
    let mut v = base();
    v["subjects"][1]["position"] = json!(
        "Phó Giám đốc phụ trách Văn phòng, Thanh tra, Kế hoạch – Tài chính, Quản lý khoa học"
    );
    expect_field_error(parse(&v), "subjects[1].position", "is too long");
}

#[test]
fn wrong_number_of_levels_is_refused() {
    let mut v = base();
    v["levels"] = json!(["Đồng ý", "Không đồng ý"]);
    expect_field_error(parse(&v), "levels", "exactly 3 levels (found 2)");
}

#[test]
fn bad_threshold_is_refused() {
    let mut v = base();
    v["thresholds"] = json!({ "consider_relief_above": "3/2" });
    expect_parse_error(parse(&v), &["\"3/2\" is not a fraction between 0 and 1"]);
    v["thresholds"] = json!({ "consider_relief_above": "2/3", "relieve_at_least": "1/2" });
    expect_field_error(parse(&v), "thresholds", "must not exceed");
}

#[test]
fn not_json_at_all_is_refused() {
    let err = Form::parse("PHIẾU TÍN NHIỆM\nNguyễn Văn A", Path::new(PATH)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FormError::Parse { .. }), "{err:?}");
    assert!(
        msg.starts_with(&format!("form file {PATH} is not valid: ")),
        "{msg}"
    );
    assert!(msg.contains("line 1 column 1"), "{msg}");
    // Valid JSON, but not an object.
    expect_parse_error(Form::parse("[1, 2, 3]", Path::new(PATH)), &["invalid type"]);
}

#[test]
fn missing_file_is_named() {
    let sandbox = Sandbox::new();
    let path = sandbox.join("no-such-form.json");
    let err = Form::load(&path).unwrap_err();
    assert!(matches!(err, FormError::Read { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read form file {}", path.display())),
        "{err}"
    );
}

// ---- the same through the command line -------------------------------------------------------

/// Runs `kiemphieu init VOTE --form F` with a broken form: exit 2, the message on stderr, and no
/// vote folder left behind.
fn cli_refuses(form: &Value, expected: &[&str]) {
    let sandbox = Sandbox::new();
    let form_path = sandbox.write("form.json", &form.to_string());
    let vote = sandbox.join("vote");
    let run = sandbox.run([
        "init".as_ref(),
        vote.as_os_str(),
        "--form".as_ref(),
        form_path.as_os_str(),
    ]);
    run.expect_code(EXIT_CANNOT_RUN);
    let first = format!("error: form file {}", form_path.display());
    run.expect_stderr_has(&[&first]);
    run.expect_stderr_has(expected);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    assert!(
        !vote.exists(),
        "a refused init left {} with {:?}",
        vote.display(),
        entries(&vote)
    );
}

#[test]
fn cli_init_names_empty_subjects() {
    let mut v = base();
    v["subjects"] = json!([]);
    cli_refuses(&v, &["field `subjects` is empty"]);
}

#[test]
fn cli_init_names_missing_subjects() {
    let mut v = base();
    v.as_object_mut().unwrap().remove("subjects");
    cli_refuses(&v, &["missing field `subjects`"]);
}

#[test]
fn cli_init_names_too_many_subjects() {
    let max = layout::max_subjects();
    let mut v = base();
    v["subjects"] = subjects(max + 1);
    cli_refuses(
        &v,
        &["field `subjects`", &format!("one page holds at most {max}")],
    );
}

#[test]
fn cli_init_names_undrawable_character() {
    let mut v = base();
    v["subjects"][0]["name"] = json!("Nguyễn Văn 🧑");
    cli_refuses(&v, &["field `subjects[0].name`", "U+1F9D1"]);
}

#[test]
fn cli_init_refuses_text_that_is_not_json() {
    let sandbox = Sandbox::new();
    let form_path = sandbox.write("form.json", "id = kiem-tra\n");
    let vote = sandbox.join("vote");
    let run = sandbox.run([
        "init".as_ref(),
        vote.as_os_str(),
        "--form".as_ref(),
        form_path.as_os_str(),
    ]);
    run.expect_code(EXIT_CANNOT_RUN).expect_stderr_has(&[
        &format!("error: form file {} is not valid", form_path.display()),
        "line 1",
    ]);
    assert!(!vote.exists());
}

#[test]
fn cli_init_names_a_missing_form_file() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(["init", "vote", "--form", "nowhere.json"]);
    run.expect_code(EXIT_CANNOT_RUN)
        .expect_stderr_has(&["error: cannot read form file nowhere.json"]);
    assert!(!sandbox.join("vote").exists());
}

#[test]
fn cli_init_accepts_a_good_form() {
    let sandbox = Sandbox::new();
    let run = sandbox.run([
        "init".as_ref(),
        "vote".as_ref(),
        "--form".as_ref(),
        fixture("twenty-subjects.json").as_os_str(),
    ]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("created vote kiem-tra-20") && run.stdout.contains("20 subjects"),
        "{}",
        run.stdout
    );
    let names = entries(&sandbox.join("vote"));
    for expected in ["archive", "ballots", "form.json", "vote.db"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
    // The frozen form is the form, validated again on every open.
    let frozen = Form::load(&sandbox.join("vote/form.json")).unwrap();
    assert_eq!(
        frozen,
        Form::load(&fixture("twenty-subjects.json")).unwrap()
    );
}

// Issue 11 and issue 10's "Races and messages": what a committee's form file may hold.

#[test]
fn a_form_saved_with_a_utf8_bom_is_accepted() {
    let text = format!("\u{feff}{}", base());
    let form = Form::parse(&text, Path::new(PATH)).expect("Notepad's BOM is skipped");
    assert_eq!(form.id, "kiem-tra");
    // And from a file, as `init` reads it.
    let sb = Sandbox::new();
    let path = sb.write("notepad.json", &text);
    assert_eq!(Form::load(&path).unwrap().subjects.len(), 3);
}

#[test]
fn a_name_without_any_diacritic_is_warned_about() {
    let mut v = base();
    v["subjects"][1]["name"] = json!("Tran Thi B");
    let form = parse(&v).unwrap();
    let warnings = form.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("subjects[1].name"), "{}", warnings[0]);
    assert!(warnings[0].contains("no Vietnamese diacritics"));
    assert!(parse(&base()).unwrap().warnings().is_empty());
}

#[test]
fn init_prints_the_diacritics_warning() {
    let sb = Sandbox::new();
    let mut v = base();
    v["subjects"][0]["name"] = json!("Nguyen Van A");
    let form = sb.write("form.json", &v.to_string());
    let run = sb.run([
        "init".as_ref(),
        sb.join("vote").as_os_str(),
        "--form".as_ref(),
        form.as_os_str(),
    ]);
    run.expect_code(0)
        .expect_stderr_has(&["warning:", "subjects[0].name", "Nguyen Van A"]);
}

#[test]
fn fraction_arithmetic_in_thresholds_cannot_overflow() {
    // 4294967296/4294967297 is a hair above 4294967295/4294967296, so it cannot be the lower
    // threshold. In u64 the cross product 4294967296 * 4294967296 wraps to 0 and let it pass;
    // compared exactly in u128 it is refused.
    let mut v = base();
    v["thresholds"] = json!({
        "consider_relief_above": "4294967296/4294967297",
        "relieve_at_least": "4294967295/4294967296"
    });
    expect_field_error(parse(&v), "thresholds", "must not exceed");
    // The other way round is a valid pair, and the tally's comparison is exact too.
    v["thresholds"] = json!({
        "consider_relief_above": "1/2",
        "relieve_at_least": "4294967296/4294967297"
    });
    let form = parse(&v).unwrap();
    let t = form.thresholds;
    // 4294967296 of 4294967297 low is at the threshold; one fewer is under it.
    let flags = kiemphieu::tally::flags_for(4_294_967_296, 4_294_967_297, &t);
    assert!(
        flags.contains(&kiemphieu::tally::Flag::Relieve),
        "{flags:?}"
    );
    let flags = kiemphieu::tally::flags_for(4_294_967_295, 4_294_967_297, &t);
    assert!(
        !flags.contains(&kiemphieu::tally::Flag::Relieve),
        "{flags:?}"
    );
}

#[test]
fn duplicate_subjects_that_print_alike_are_refused() {
    // NFD (e + combining marks) against NFC.
    let mut v = base();
    v["subjects"][1] = json!({ "name": "Nguye\u{0302}\u{0303}n Văn A", "position": "Giám đốc Sở" });
    v["subjects"][0] = json!({ "name": "Nguyễn Văn A", "position": "Giám đốc Sở" });
    expect_field_error(parse(&v), "subjects[1]", "repeats subjects[0]");
    // Double spaces.
    let mut v = base();
    v["subjects"][1] = json!({ "name": "Nguyễn  Văn A", "position": "Giám đốc  Sở" });
    expect_field_error(parse(&v), "subjects[1]", "repeats subjects[0]");
}

#[test]
fn cyrillic_and_greek_lookalikes_in_latin_text_are_refused() {
    // Cyrillic 'а' (U+0430) in "Văn" would print like the Latin name of subjects[0].
    let mut v = base();
    v["subjects"][1] = json!({ "name": "Nguyễn V\u{0430}n A", "position": "Giám đốc Sở" });
    let msg = expect_field_error(parse(&v), "subjects[1].name", "U+0430");
    assert!(msg.contains("Cyrillic or Greek"), "{msg}");
    // Greek capital omicron in a position.
    let mut v = base();
    v["subjects"][2]["position"] = json!("Phó Giám đốc S\u{039F}");
    expect_field_error(parse(&v), "subjects[2].position", "U+039F");
}

#[test]
fn right_to_left_text_is_refused() {
    let mut v = base();
    v["subjects"][0]["name"] = json!("שלום");
    expect_field_error(parse(&v), "subjects[0].name", "right-to-left");
    // An override control that reverses what follows.
    let mut v = base();
    v["title"] = json!("PHIẾU \u{202E}MỆIHN NÍT");
    expect_field_error(parse(&v), "title", "");
}

#[test]
fn document_number_room_times_and_offset_are_read_and_checked() {
    let mut v = base();
    v["document_number"] = json!("05/BB-BKP");
    v["room"] = json!("Phòng họp số 2");
    v["start"] = json!("14:00");
    v["end"] = json!("16:30");
    v["utc_offset"] = json!("+08:00");
    let form = parse(&v).unwrap();
    assert_eq!(form.document_number.as_deref(), Some("05/BB-BKP"));
    assert_eq!(form.utc_offset_minutes(), 8 * 60);
    assert_eq!(parse(&base()).unwrap().utc_offset_minutes(), 7 * 60);
    let mut bad = v.clone();
    bad["start"] = json!("2 pm");
    expect_field_error(parse(&bad), "start", "HH:MM");
    let mut bad = v.clone();
    bad["end"] = json!("13:00");
    expect_field_error(parse(&bad), "end", "before start");
    let mut bad = v;
    bad["utc_offset"] = json!("Asia/Ho_Chi_Minh");
    expect_field_error(parse(&bad), "utc_offset", "fixed offset");
}

#[test]
fn the_national_header_goes_on_the_ballot_only_when_asked() {
    let plain = parse(&base()).unwrap().layout();
    let mut v = base();
    v["national_header_on_ballot"] = json!(true);
    let with = parse(&v).unwrap().layout();
    let has = |l: &layout::BallotLayout, t: &str| l.texts.iter().any(|x| x.text == t);
    assert!(!has(&plain, layout::NATIONAL_NAME));
    assert!(has(&with, layout::NATIONAL_NAME));
    assert!(has(&with, layout::NATIONAL_MOTTO));
    // The agency moves down under it, and stays above the title.
    let y = |l: &layout::BallotLayout, t: &str| {
        l.texts.iter().find(|x| x.text == t).unwrap().baseline_mm
    };
    let org = "UBND TỈNH QUẢNG NGÃI";
    assert!(y(&with, org) > y(&with, layout::NATIONAL_MOTTO));
    assert!(y(&with, "SỞ KHOA HỌC VÀ CÔNG NGHỆ") < y(&with, "PHIẾU TÍN NHIỆM") - 5.0);
}
