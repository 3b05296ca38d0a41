//! `kiemphieu serve --two-person` through HTTP: one member's decision is a proposal that leaves
//! the tally as it was; a second, different member's confirmation records it with both names
//! (the same tally and a clean audit as `review decide`); the proposer cannot confirm their own;
//! a second member may propose differently or discard; without `--two-person` a decision takes
//! effect at once, as before.

mod common;
mod serve_common;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use kiemphieu::api::{self, Vote};
use kiemphieu::store::ProposalState;
use serde_json::Value;
use serve_common::*;

/// The router of a two-person room over a fresh copy of the fixture's vote.
fn two_person_room() -> (tempfile::TempDir, std::path::PathBuf, Router) {
    let (dir, vote) = fresh_vote();
    let room = kiemphieu::serve::Room::open(&vote, true).unwrap();
    (dir, vote, kiemphieu::serve::router(Arc::clone(&room)))
}

/// `POST /api/review/{sheet}` with a JSON body as the signed-in member: (status, answer).
async fn post_json(app: &Router, cookie: &str, sheet: i64, body: &str) -> (u16, Value) {
    let token = csrf(app, cookie).await;
    let req = Request::post(format!("/api/review/{sheet}"))
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", &token)
        .body(Body::from(body.to_string()))
        .unwrap();
    let (res, text) = send(app, req).await;
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (res.status().as_u16(), v)
}

async fn tally(app: &Router, cookie: &str) -> Value {
    let (res, text) = send(app, get("/api/tally", Some(cookie))).await;
    assert_eq!(res.status(), 200, "{text}");
    figures(serde_json::from_str(&text).unwrap())
}

fn audit_exit(vote: &Path) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(["audit", vote.to_str().unwrap()])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn a_proposal_leaves_the_tally_and_a_second_members_confirmation_records_both_names() {
    let (_d, vote, app) = two_person_room();
    let a = sign_in(&app, NAME, PASS).await;
    let b = sign_in(&app, OTHER, OTHER_PASS).await;
    let before = tally(&app, &a).await;
    assert_eq!(before["pending_review"], 3);

    // The first member reads row 1 of sheet 1: a proposal, nothing counted yet.
    let (status, answer) = post_json(&app, &a, 1, r#"{"rows": ["1=1"]}"#).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["status"], "proposed");
    assert_eq!(answer["proposed_by"], NAME);
    let proposal = answer["proposal"].as_i64().unwrap();
    assert_eq!(
        tally(&app, &b).await,
        before,
        "a proposal changes no figure"
    );
    let v = Vote::open_read_only(&vote).unwrap();
    assert!(v.store.decision_rows().unwrap().is_empty());
    drop(v);
    let (_, text) = send(&app, get("/api/review", Some(&b))).await;
    let review: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(review["two_person"], true);
    let first = &review["pending"][0];
    assert_eq!(
        (
            first["sheet"].as_i64(),
            first["proposal"]["proposed_by"].as_str()
        ),
        (Some(1), Some(NAME))
    );
    assert!(
        first["proposal"]["resolution"]
            .as_str()
            .unwrap()
            .contains("row 1: Tín nhiệm cao"),
        "{first}"
    );
    // `review list` in a terminal shows it under its sheet too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(["review", vote.to_str().unwrap(), "list"])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && list.contains(&format!("proposal {proposal} by {NAME}"))
            && list.contains("row 1: Tín nhiệm cao"),
        "{list}"
    );

    // The sheet still waits for review; the page shows the proposal and who made it, with a
    // confirm button for the other member only.
    let (res, page) = send(&app, get("/review/1", Some(&b))).await;
    assert_eq!(res.status(), 200);
    let proposer = format!(r#"Đề xuất của <strong class="proposer">{NAME}</strong>"#);
    assert!(page.contains(&proposer), "{page}");
    assert!(page.contains(r#"value="confirm""#), "{page}");
    assert!(page.contains("Đề xuất quyết định"), "the form proposes");
    let (_, own_page) = send(&app, get("/review/1", Some(&a))).await;
    assert!(!own_page.contains(r#"value="confirm""#), "{own_page}");
    assert!(
        own_page.contains("Rút đề xuất"),
        "the proposer may withdraw it"
    );

    // The proposer confirming their own proposal is refused, by the API and by the page.
    let own = format!(r#"{{"confirm": {proposal}}}"#);
    let (status, answer) = post_json(&app, &a, 1, &own).await;
    assert_eq!(status, 422, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains("cannot also confirm"), "{error}");
    assert!(
        answer["hint"]
            .as_str()
            .unwrap()
            .contains("second, different member")
    );
    let token = csrf(&app, &a).await;
    let p = proposal.to_string();
    let fields = [
        ("csrf", token.as_str()),
        ("action", "confirm"),
        ("proposal", &p),
    ];
    let (res, _) = send(&app, post_form("/review/1", Some(&a), &fields)).await;
    assert_eq!(res.headers()[header::LOCATION], "/review/1");
    let (_, page) = send(&app, get("/review/1", Some(&a))).await;
    assert!(
        page.contains("Chưa ghi") && page.contains("cannot also confirm"),
        "{page}"
    );
    assert_eq!(
        tally(&app, &a).await,
        before,
        "a self-confirmation changes nothing"
    );

    // The second member confirms in the page: recorded, in the proposer's name, confirmed by
    // the second; the figures move.
    let token = csrf(&app, &b).await;
    let fields = [
        ("csrf", token.as_str()),
        ("action", "confirm"),
        ("proposal", &p),
    ];
    let (res, _) = send(&app, post_form("/review/1", Some(&b), &fields)).await;
    assert_eq!(res.headers()[header::LOCATION], "/review?after=1");
    let after = tally(&app, &a).await;
    assert_eq!(after["pending_review"], 2, "{after}");
    assert_ne!(after, before);
    let v = Vote::open_read_only(&vote).unwrap();
    let rows = v.store.decision_rows().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].sheet, rows[0].reviewer.as_str()), (1, NAME));
    let body: Value = serde_json::from_str(&rows[0].body).unwrap();
    assert_eq!(body["confirmed_by"], OTHER);
    let events = v.store.events().unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .rev()
        .take(2)
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["proposal", "review"],
        "the confirmation's two events"
    );
    let review_event = &events[events.len() - 2].body;
    assert!(
        review_event.contains(NAME) && review_event.contains(OTHER),
        "{review_event}"
    );
    let p = v.store.proposals().unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(
        (
            p[0].state,
            p[0].proposer.as_str(),
            p[0].closed_by.as_deref()
        ),
        (ProposalState::Confirmed, NAME, Some(OTHER))
    );
    drop(v);
    // Both names on the sheet's record and in `review show`.
    let (_, record) = send(&app, get("/sheets/1", Some(&a))).await;
    assert!(
        record.contains(&format!("{NAME} (xác nhận: {OTHER})")),
        "{record}"
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(["review", vote.to_str().unwrap(), "show", "1", "--out"])
        .arg(vote.parent().unwrap().join("show-1.png"))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains(&format!("decided by {NAME}, confirmed by {OTHER}")),
        "{shown}"
    );

    // The same reading through `review decide` gives the same figures; both audits are clean.
    let (_d2, typed) = fresh_vote();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args([
            "review",
            typed.to_str().unwrap(),
            "decide",
            "1",
            "--by",
            NAME,
            "--row",
            "1=1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let typed_tally =
        serde_json::to_value(api::tally(&Vote::open_read_only(&typed).unwrap()).unwrap()).unwrap();
    assert_eq!(after, figures(typed_tally));
    for dir in [&vote, &typed] {
        let (code, report) = audit_exit(dir);
        assert_eq!(code, Some(0), "{report}");
    }
}

#[tokio::test]
async fn a_second_member_may_propose_differently_or_discard_and_the_record_keeps_each_step() {
    let (_d, vote, app) = two_person_room();
    let a = sign_in(&app, NAME, PASS).await;
    let b = sign_in(&app, OTHER, OTHER_PASS).await;

    // Sheet 1: the second member reads the row differently; the first confirms that instead.
    let (_, first) = post_json(&app, &a, 1, r#"{"rows": ["1=1"]}"#).await;
    let (status, second) = post_json(&app, &b, 1, r#"{"rows": ["1=3"]}"#).await;
    assert_eq!(status, 202, "{second}");
    let (p1, p2) = (
        first["proposal"].as_i64().unwrap(),
        second["proposal"].as_i64().unwrap(),
    );
    let (status, answer) = post_json(&app, &b, 1, &format!(r#"{{"confirm": {p1}}}"#)).await;
    assert_eq!(
        status, 422,
        "the replaced proposal cannot be confirmed: {answer}"
    );
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("already replaced by"),
        "{answer}"
    );
    let (status, answer) = post_json(&app, &a, 1, &format!(r#"{{"confirm": {p2}}}"#)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (
            answer["decided_by"].as_str(),
            answer["confirmed_by"].as_str()
        ),
        (Some(OTHER), Some(NAME))
    );
    assert!(
        answer["resolution"]
            .as_str()
            .unwrap()
            .contains("row 1: Tín nhiệm thấp")
    );

    // Sheet 3 (a copy of sheet 1's serial): proposed invalid, discarded by the other member;
    // it waits for review as before, and the discarded proposal cannot be confirmed.
    let (_, third) = post_json(&app, &a, 3, r#"{"sheet": "invalid"}"#).await;
    let p3 = third["proposal"].as_i64().unwrap();
    let (status, answer) = post_json(&app, &b, 3, &format!(r#"{{"discard": {p3}}}"#)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "discarded");
    let (status, answer) = post_json(&app, &b, 3, &format!(r#"{{"confirm": {p3}}}"#)).await;
    assert_eq!(status, 422);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("already discarded"),
        "{answer}"
    );
    // A proposal named on the wrong sheet, and a decision that does not answer the sheet's
    // question, are refused as a decision would be.
    let (status, _) = post_json(&app, &b, 4, &format!(r#"{{"confirm": {p2}}}"#)).await;
    assert_eq!(status, 422);
    let (status, answer) = post_json(&app, &a, 3, r#"{"rows": ["1=1"]}"#).await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("duplicate serial"),
        "{answer}"
    );
    let t = tally(&app, &a).await;
    assert_eq!(t["pending_review"], 2, "sheets 3 and 4 still wait: {t}");

    // Sheet 4: proposed in the room, then decided alone from a terminal (`review decide` is
    // unchanged): the decision stands and the proposal is replaced by it.
    let (_, fourth) = post_json(&app, &a, 4, r#"{"sheet": "accept"}"#).await;
    let p4 = fourth["proposal"].as_i64().unwrap();
    serve_common::accept_sheet_4_in_a_terminal(&vote);
    let (status, _) = post_json(&app, &b, 4, &format!(r#"{{"confirm": {p4}}}"#)).await;
    assert_eq!(status, 422, "nothing left to confirm");

    let v = Vote::open_read_only(&vote).unwrap();
    let states: Vec<(i64, ProposalState, Option<String>)> = v
        .store
        .proposals()
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.state, p.closed_by))
        .collect();
    assert_eq!(
        states,
        [
            (p1, ProposalState::Replaced, Some(OTHER.to_string())),
            (p2, ProposalState::Confirmed, Some(NAME.to_string())),
            (p3, ProposalState::Discarded, Some(OTHER.to_string())),
            (p4, ProposalState::Replaced, Some(OTHER.to_string())),
        ]
    );
    drop(v);
    let (code, report) = audit_exit(&vote);
    assert_eq!(code, Some(0), "{report}");

    // The database itself refuses a proposer confirming their own proposal, and a second open
    // proposal on a sheet; a proposal edited behind the program's back shows in the audit.
    let conn = rusqlite::Connection::open(vote.join("vote.db")).unwrap();
    let own = conn.execute(
        "UPDATE proposals SET state = 'confirmed', closed_by = proposer WHERE id = ?1",
        [p3],
    );
    assert!(own.is_err(), "self-confirmation stored: {own:?}");
    let twice = conn.execute(
        "INSERT INTO proposals (sheet_id, body, proposer, proposed_at) VALUES (3, '{}', 'x', 'now'), (3, '{}', 'y', 'now')",
        [],
    );
    assert!(twice.is_err(), "two open proposals on a sheet: {twice:?}");
    conn.execute(
        "UPDATE proposals SET proposer = 'Người khác' WHERE id = ?1",
        [p2],
    )
    .unwrap();
    drop(conn);
    let (code, report) = audit_exit(&vote);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("proposal_edited") && report.contains("Người khác"),
        "{report}"
    );
}

#[tokio::test]
async fn without_two_person_a_decision_takes_effect_at_once() {
    let (_d, vote, app) = room();
    let a = sign_in(&app, NAME, PASS).await;
    let before = tally(&app, &a).await;
    let (_, page) = send(&app, get("/review/1", Some(&a))).await;
    assert!(
        page.contains("Ghi quyết định") && !page.contains("Đề xuất"),
        "{page}"
    );
    let (status, answer) = post_json(&app, &a, 1, r#"{"rows": ["1=1"]}"#).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "decided");
    assert_eq!(answer["decided_by"], NAME);
    assert_eq!(answer["confirmed_by"], Value::Null);
    let after = tally(&app, &a).await;
    assert_eq!(after["pending_review"], 2);
    assert_ne!(after, before);
    let v = Vote::open_read_only(&vote).unwrap();
    assert!(v.store.proposals().unwrap().is_empty());
    assert_eq!(v.store.decision_rows().unwrap().len(), 1);
}

#[test]
fn serve_help_names_two_person_review() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--two-person") && help.contains("second, different signed-in member"),
        "{help}"
    );
}
