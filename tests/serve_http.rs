//! `kiemphieu serve` through HTTP: every route refuses a signed-out request without vote data,
//! decisions are recorded with the signed-in member's name, posts without the CSRF token are
//! refused, and decisions made in the page or through `review decide` give the same tally and
//! a clean audit.

mod common;
mod serve_common;

use axum::body::Body;
use axum::http::{Request, header};
use kiemphieu::api::{self, Vote};
use serde_json::Value;
use serve_common::*;

/// Every route but `/health` and the sign-in's own, with its method.
const PAGES: [&str; 7] = [
    "/",
    "/review",
    "/review/1",
    "/sheets",
    "/sheets/1",
    "/results",
    "/sheets?outcome=review",
];
const DATA: [&str; 8] = [
    "/api/tally",
    "/api/review",
    "/api/overview",
    "/api/session",
    "/pictures/1.jpg",
    "/pictures/1/row/1.png",
    "/events",
    "/minutes.pdf",
];

#[tokio::test]
async fn health_answers_anyone() {
    let (_d, _v, app) = room();
    let (res, text) = send(&app, get("/health", None)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(text, "ok");
}

#[tokio::test]
async fn signed_out_every_page_redirects_and_all_data_is_refused_without_vote_data() {
    let (_d, _v, app) = room();
    let secret = ["tin-nhiem", "Nguyễn", "ZKXN3", "sheet-000"];
    for path in PAGES {
        let (res, text) = send(&app, get(path, None)).await;
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(res.headers()[header::LOCATION], "/login", "{path}");
        assert!(text.is_empty(), "{path}: {text}");
    }
    for path in DATA {
        let (res, text) = send(&app, get(path, None)).await;
        assert_eq!(res.status(), 401, "{path}");
        assert!(!secret.iter().any(|s| text.contains(s)), "{path}: {text}");
    }
    // Posts too, and nothing is recorded.
    let (res, _) = send(&app, post_form("/review/1", None, &[("row_1", "1")])).await;
    assert_eq!(res.status(), 303);
    let req = Request::post("/api/review/1")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"rows": ["1=1"]}"#))
        .unwrap();
    assert_eq!(send(&app, req).await.0.status(), 401);
    for path in ["/audit", "/logout"] {
        assert_eq!(
            send(&app, post_form(path, None, &[])).await.0.status(),
            303,
            "{path}"
        );
    }
    // A made-up session cookie is no better.
    let (res, _) = send(&app, get("/api/tally", Some("kp_session=00ff"))).await;
    assert_eq!(res.status(), 401);
    // The sign-in page itself carries no vote data.
    let (res, text) = send(&app, get("/login", None)).await;
    assert_eq!(res.status(), 200);
    assert!(!secret.iter().any(|s| text.contains(s)), "{text}");
}

#[tokio::test]
async fn a_wrong_passphrase_is_refused_and_sign_in_slows_after_failures() {
    let (_d, _v, app) = room();
    for _ in 0..3 {
        let (res, text) = send(
            &app,
            post_form("/login", None, &[("name", NAME), ("password", "wrong one")]),
        )
        .await;
        assert_eq!(res.status(), 401);
        assert!(!res.headers().contains_key(header::SET_COOKIE));
        assert!(text.contains("không đúng"), "{text}");
    }
    // Now even the right passphrase waits: nothing is checked until the wait is over.
    let (res, _) = send(
        &app,
        post_form("/login", None, &[("name", NAME), ("password", PASS)]),
    )
    .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    // Another member is not held up; an unknown name is refused like a wrong passphrase.
    sign_in(&app, OTHER, OTHER_PASS).await;
    let (res, _) = send(
        &app,
        post_form("/login", None, &[("name", "Ai Đó"), ("password", PASS)]),
    )
    .await;
    assert_eq!(res.status(), 401);
    // The same name typed with decomposed accents (NFD) is the same member.
    let nfd = "Pha\u{323}m Va\u{306}n X";
    sign_in(&app, nfd, OTHER_PASS).await;
}

#[tokio::test]
async fn a_sign_in_posted_from_another_site_is_refused() {
    let (_d, _v, app) = room();
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::ORIGIN, "http://evil.example")
        .body(Body::from("name=x&password=y"))
        .unwrap();
    assert_eq!(send(&app, req).await.0.status(), 403);
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from("name=x&password=y"))
        .unwrap();
    assert_eq!(send(&app, req).await.0.status(), 403);
}

#[tokio::test]
async fn signed_in_every_page_answers_with_a_strict_policy_and_no_inline_script() {
    let (_d, _v, app) = room();
    let c = sign_in(&app, NAME, PASS).await;
    for path in PAGES {
        let (res, text) = send(&app, get(path, Some(&c))).await;
        let status = res.status().as_u16();
        // `/review` sends to the first sheet waiting.
        if path == "/review" {
            assert_eq!(status, 303);
            assert_eq!(res.headers()[header::LOCATION], "/review/1");
            continue;
        }
        assert_eq!(status, 200, "{path}: {text}");
        let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert!(!text.contains("<script>"), "{path}: an inline script");
        assert!(text.contains(r#"<script src="/assets/app.js""#), "{path}");
        assert!(text.contains(NAME), "{path}: the member's name");
    }
    let (res, text) = send(&app, get("/", Some(&c))).await;
    assert_eq!(res.status(), 200);
    assert!(
        text.contains("Tổng quan") && text.contains(r#"data-fig="pending_review">3<"#),
        "{text}"
    );
    let (res, text) = send(&app, get("/sheets?outcome=review", Some(&c))).await;
    assert_eq!(res.status(), 200);
    assert!(text.contains("Danh sách phiếu (3)"), "{text}");
    let (res, text) = send(&app, get("/sheets/99", Some(&c))).await;
    assert_eq!(res.status(), 404, "{text}");
    for (path, kind) in [("/assets/app.js", "javascript"), ("/assets/app.css", "css")] {
        let (res, _) = send(&app, get(path, None)).await;
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .contains(kind)
        );
    }
}

#[tokio::test]
async fn the_language_switch_turns_the_pages_to_english() {
    let (_d, _v, app) = room();
    let c = sign_in(&app, NAME, PASS).await;
    let (res, _) = send(&app, get("/lang?to=en&back=/results", Some(&c))).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/results");
    let lang = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let (_, text) = send(&app, get("/", Some(&format!("{c}; {lang}")))).await;
    assert!(
        text.contains("Overview") && text.contains("Ballots issued"),
        "{text}"
    );
    // A return path to another site is not followed.
    let (res, _) = send(&app, get("/lang?to=en&back=//evil.example/", Some(&c))).await;
    assert_eq!(res.headers()[header::LOCATION], "/");
}

#[tokio::test]
async fn a_decision_in_the_page_is_recorded_with_the_members_name() {
    let (_d, vote, app) = room();
    let c = sign_in(&app, NAME, PASS).await;
    let (_, page) = send(&app, get("/review/1", Some(&c))).await;
    let token = csrf(&app, &c).await;
    assert!(page.contains(&token), "the form carries the token");
    assert!(
        page.contains("/pictures/1/row/1.png"),
        "the row in question is magnified"
    );
    assert!(
        page.contains("Dấu đánh không rõ"),
        "the machine's reason in words"
    );
    let (res, _) = send(
        &app,
        post_form(
            "/review/1",
            Some(&c),
            &[("csrf", &token), ("row_1", "1"), ("action", "rows")],
        ),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[header::LOCATION], "/review?after=1");
    let v = Vote::open_read_only(&vote).unwrap();
    let rows = v.store.decision_rows().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].sheet, rows[0].reviewer.as_str()), (1, NAME));
    let events = v.store.events().unwrap();
    let last = events.last().unwrap();
    let (kind, body) = (&last.kind, &last.body);
    assert_eq!(kind, "review");
    assert!(body.contains(NAME), "{body}");
    // The page says what was recorded, once, on the next sheet (sheet 3: the copy of sheet 1).
    let (res, _) = send(&app, get("/review?after=1", Some(&c))).await;
    assert_eq!(res.headers()[header::LOCATION], "/review/3");
    let (_, page) = send(&app, get("/review/3", Some(&c))).await;
    assert!(
        page.contains("Phiếu 1 đã ghi: được đếm; dòng 1: Tín nhiệm cao"),
        "in Vietnamese throughout: {page}"
    );
    let (_, again) = send(&app, get("/review/3", Some(&c))).await;
    assert!(!again.contains("đã ghi"));
    // A decided sheet's review page shows its record instead.
    let (res, _) = send(&app, get("/review/1", Some(&c))).await;
    assert_eq!(res.headers()[header::LOCATION], "/sheets/1");
    let (_, record) = send(&app, get("/sheets/1", Some(&c))).await;
    assert!(record.contains(NAME), "the record names who decided");
    assert!(
        record.contains("được đếm; dòng 1: Tín nhiệm cao") && !record.contains("counted;"),
        "what it counts as, in the page's language: {record}"
    );
}

#[tokio::test]
async fn posts_without_the_csrf_token_are_refused_and_record_nothing() {
    let (_d, vote, app) = room();
    let c = sign_in(&app, NAME, PASS).await;
    let (res, _) = send(&app, post_form("/review/1", Some(&c), &[("row_1", "1")])).await;
    assert_eq!(res.status(), 403);
    let (res, _) = send(
        &app,
        post_form("/review/1", Some(&c), &[("csrf", "00"), ("row_1", "1")]),
    )
    .await;
    assert_eq!(res.status(), 403);
    let json = |token: Option<&str>| {
        let mut b = Request::post("/api/review/1")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, &c);
        if let Some(t) = token {
            b = b.header("x-csrf-token", t);
        }
        b.body(Body::from(r#"{"rows": ["1=1"]}"#)).unwrap()
    };
    assert_eq!(send(&app, json(None)).await.0.status(), 403);
    assert_eq!(send(&app, json(Some("abc"))).await.0.status(), 403);
    assert_eq!(
        send(&app, post_form("/audit", Some(&c), &[]))
            .await
            .0
            .status(),
        403
    );
    assert_eq!(
        send(&app, post_form("/logout", Some(&c), &[]))
            .await
            .0
            .status(),
        403
    );
    let v = Vote::open_read_only(&vote).unwrap();
    assert!(v.store.decision_rows().unwrap().is_empty());
    drop(v);
    // With the token it goes through; signing out ends the session.
    let token = csrf(&app, &c).await;
    let (res, text) = send(&app, json(Some(&token))).await;
    assert_eq!(res.status(), 200, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["decided_by"], NAME);
    let (res, _) = send(&app, post_form("/logout", Some(&c), &[("csrf", &token)])).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        send(&app, get("/api/tally", Some(&c))).await.0.status(),
        401
    );
}

#[tokio::test]
async fn the_api_gives_the_tally_of_the_command_line_and_the_sheets_awaiting_a_person() {
    let (_d, vote, app) = room();
    let c = sign_in(&app, NAME, PASS).await;
    let (res, text) = send(&app, get("/api/tally", Some(&c))).await;
    assert_eq!(res.status(), 200);
    let served: Value = serde_json::from_str(&text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(["tally", vote.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(served, printed);
    let (_, text) = send(&app, get("/api/review", Some(&c))).await;
    let review: Value = serde_json::from_str(&text).unwrap();
    let ids: Vec<i64> = review["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sheet"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 3, 4]);
    assert_eq!(
        review["pending"][0]["rows_in_question"],
        serde_json::json!([1])
    );
    assert_eq!(
        review["pending"][0]["rows"][0]["scores"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // A decision that does not answer the sheet's question is refused with the reason.
    let token = csrf(&app, &c).await;
    let req = Request::post("/api/review/3")
        .header(header::COOKIE, &c)
        .header("x-csrf-token", &token)
        .body(Body::from(r#"{"rows": ["1=1"]}"#))
        .unwrap();
    let (res, text) = send(&app, req).await;
    assert_eq!(res.status(), 422, "{text}");
    assert!(text.contains("duplicate serial"), "{text}");
    let req = Request::post("/api/review/99")
        .header(header::COOKIE, &c)
        .header("x-csrf-token", &token)
        .body(Body::from(r#"{"sheet": "invalid"}"#))
        .unwrap();
    assert_eq!(send(&app, req).await.0.status(), 404);
}

#[tokio::test]
async fn pictures_are_served_to_members_only() {
    let (_d, _v, app) = room();
    let c = sign_in(&app, NAME, PASS).await;
    let (res, _) = send(&app, get("/pictures/1.jpg", Some(&c))).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "image/jpeg");
    let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap();
    let pic = image::load_from_memory(&bytes).unwrap();
    assert_eq!(pic.width(), 900);
    let (res, _) = send(&app, get("/pictures/1/row/1.png", Some(&c))).await;
    assert_eq!(res.status(), 200);
    let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap();
    let row = image::load_from_memory(&bytes).unwrap();
    assert!(row.width() > 2 * row.height(), "three boxes side by side");
    // Row 2 is not in question on sheet 1; sheet 99 does not exist.
    assert_eq!(
        send(&app, get("/pictures/1/row/2.png", Some(&c)))
            .await
            .0
            .status(),
        404
    );
    assert_eq!(
        send(&app, get("/pictures/99.jpg", Some(&c)))
            .await
            .0
            .status(),
        404
    );
    assert_eq!(
        send(&app, get("/pictures/1.jpg", None)).await.0.status(),
        401
    );
}

#[tokio::test]
async fn the_minutes_are_a_draft_while_sheets_await_review() {
    let (_d, _v, app) = room();
    let c = sign_in(&app, NAME, PASS).await;
    let (res, text) = send(&app, get("/minutes.pdf", Some(&c))).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-kiemphieu-draft"], "true");
    assert!(
        res.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("du-thao")
    );
    assert!(text.starts_with("%PDF"));
}

/// Decides the fixture's three sheets through the pages and the API as `NAME`.
async fn decide_in_the_browser(app: &axum::Router) {
    let c = sign_in(app, NAME, PASS).await;
    let token = csrf(app, &c).await;
    let (res, _) = send(
        app,
        post_form(
            "/review/1",
            Some(&c),
            &[("csrf", &token), ("row_1", "3"), ("action", "rows")],
        ),
    )
    .await;
    assert_eq!(res.headers()[header::LOCATION], "/review?after=1");
    let (res, _) = send(
        app,
        post_form(
            "/review/3",
            Some(&c),
            &[("csrf", &token), ("action", "invalid")],
        ),
    )
    .await;
    assert_eq!(res.headers()[header::LOCATION], "/review?after=3");
    let req = Request::post("/api/review/4")
        .header(header::COOKIE, &c)
        .header("x-csrf-token", &token)
        .body(Body::from(r#"{"sheet": "accept"}"#))
        .unwrap();
    let (res, text) = send(app, req).await;
    assert_eq!(res.status(), 200, "{text}");
}

#[tokio::test]
async fn decisions_in_the_page_and_through_review_decide_give_the_same_tally_and_clean_audits() {
    let (_d, served_vote, app) = room();
    decide_in_the_browser(&app).await;
    let (_d2, cli_vote) = fresh_vote();
    let v = cli_vote.to_str().unwrap();
    for args in [
        vec!["review", v, "decide", "1", "--by", NAME, "--row", "1=3"],
        vec![
            "review", v, "decide", "3", "--by", NAME, "--sheet", "invalid",
        ],
        vec![
            "review", v, "decide", "4", "--by", NAME, "--sheet", "accept",
        ],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tally = |dir: &std::path::Path| {
        serde_json::to_value(api::tally(&Vote::open_read_only(dir).unwrap()).unwrap()).unwrap()
    };
    let (served, typed) = (tally(&served_vote), tally(&cli_vote));
    assert_eq!(served["final"], true);
    assert_eq!(figures(served), figures(typed));
    // The audit from the results page, and from the command line, find nothing.
    let c = sign_in(&app, OTHER, OTHER_PASS).await;
    let token = csrf(&app, &c).await;
    let (res, _) = send(&app, post_form("/audit", Some(&c), &[("csrf", &token)])).await;
    assert_eq!(res.status(), 303);
    let mut page = String::new();
    for _ in 0..600 {
        page = send(&app, get("/results", Some(&c))).await.1;
        if page.contains(r#"data-audit="done""#) || page.contains(r#"data-audit="failed""#) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(page.contains("<strong>0 khác biệt</strong>"), "{page}");
    assert!(page.contains(OTHER), "who ran it");
    for dir in [&served_vote, &cli_vote] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
            .args(["audit", dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // Complete now: the minutes are final.
    let (res, _) = send(&app, get("/minutes.pdf", Some(&c))).await;
    assert_eq!(res.headers()["x-kiemphieu-draft"], "false");
}

#[test]
fn committee_add_stores_only_a_hash_and_logs_the_change() {
    let (_d, vote) = fresh_vote();
    let v = vote.to_str().unwrap();
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(
        &[
            "committee",
            "add",
            v,
            "--name",
            "Hoàng Văn Z",
            "--password-stdin",
        ],
        "a long passphrase\n",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vote_now = Vote::open_read_only(&vote).unwrap();
    let hash = vote_now.store.member_hash("Hoàng Văn Z").unwrap().unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains("a long passphrase"));
    let last = vote_now.store.events().unwrap().pop().unwrap();
    let (kind, body) = (last.kind, last.body);
    assert_eq!(kind, "committee");
    assert!(
        body.contains("Hoàng Văn Z") && !body.contains("argon2"),
        "{body}"
    );
    assert!(
        api::check_member(&vote_now, "Hoàng Văn Z", "a long passphrase")
            .unwrap()
            .is_some()
    );
    assert!(
        api::check_member(&vote_now, "Hoàng Văn Z", "another one")
            .unwrap()
            .is_none()
    );
    drop(vote_now);
    // The same name twice, a short passphrase, no terminal to type on: refused, exit 2.
    for (args, stdin, says) in [
        (
            vec![
                "committee",
                "add",
                v,
                "--name",
                "Hoàng Văn Z",
                "--password-stdin",
            ],
            "a long passphrase\n",
            "already a member",
        ),
        (
            vec!["committee", "add", v, "--name", "New", "--password-stdin"],
            "short\n",
            "shorter than 8",
        ),
        (
            vec!["committee", "add", v, "--name", "  ", "--password-stdin"],
            "a long passphrase\n",
            "needs a name",
        ),
    ] {
        let out = run(&args, stdin);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says) && err.contains("hint:"), "{err}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(["audit", v])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_vote_folder_of_schema_2_opens_upgrades_tallies_and_audits_clean() {
    let (_d, vote) = fresh_vote();
    let before = figures(
        serde_json::to_value(api::tally(&Vote::open_read_only(&vote).unwrap()).unwrap()).unwrap(),
    );
    // The database as a release of schema 2 left it (no members, no proposals; the fixture's
    // members were its last two events), made behind the program's back.
    rusqlite::Connection::open(vote.join("vote.db"))
        .unwrap()
        .execute_batch(
            "DROP TABLE proposals; DROP TABLE members; DELETE FROM events WHERE kind = 'committee';
             UPDATE meta SET value = '2' WHERE key = 'schema_version';",
        )
        .unwrap();
    // Reading it does not change it.
    let v = Vote::open_read_only(&vote).unwrap();
    assert!(api::members(&v).unwrap().is_empty());
    drop(v);
    // Opened where it can be written, it is upgraded a step at a time, each logged as a
    // migrate event.
    let v = Vote::open(&vote).unwrap();
    let events = v.store.events().unwrap();
    let last: Vec<(&str, &str)> = events[events.len() - 2..]
        .iter()
        .map(|e| (e.kind.as_str(), e.body.as_str()))
        .collect();
    assert_eq!(
        last,
        [
            ("migrate", r#"{"from":2,"to":3}"#),
            ("migrate", r#"{"from":3,"to":4}"#)
        ]
    );
    assert!(v.store.proposals().unwrap().is_empty());
    drop(v);
    let after = figures(
        serde_json::to_value(api::tally(&Vote::open_read_only(&vote).unwrap()).unwrap()).unwrap(),
    );
    assert_eq!(before, after);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(["audit", vote.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test]
async fn the_overview_follows_a_change_made_by_another_command() {
    // The overview is computed once per change of the record, not per request: a change made
    // by another process must still show, at most half a second late (1.5 s allowed here).
    let (_d, vote, app) = room();
    let c = sign_in(&app, NAME, PASS).await;
    let pending =
        |text: &str| serde_json::from_str::<Value>(text).unwrap()["pending_review"].clone();
    let (_, text) = send(&app, get("/api/overview", Some(&c))).await;
    assert_eq!(pending(&text), 3);
    serve_common::accept_sheet_4_in_a_terminal(&vote);
    let changed = std::time::Instant::now();
    loop {
        let (_, text) = send(&app, get("/api/overview", Some(&c))).await;
        if pending(&text) == 2 {
            break;
        }
        assert!(
            changed.elapsed() < std::time::Duration::from_millis(1500),
            "still {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The page and the tally agree with it.
    let (_, page) = send(&app, get("/", Some(&c))).await;
    assert!(page.contains(r#"data-fig="pending_review">2<"#), "{page}");
    let (_, text) = send(&app, get("/api/tally", Some(&c))).await;
    assert_eq!(pending(&text), 2);
}
