//! The vote the `serve` tests run against: five scanned sheets, three of them waiting for a
//! person (sheet 1 an ambiguous mark in row 1, sheet 3 a copy of sheet 1's serial, sheet 4 no
//! stamp), the meeting recorded, two committee members; read with reading profile 3. Made once per test binary and copied
//! for each test, so that every test starts from the same record.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, header};
use kiemphieu::api::{self, Vote};
use kiemphieu::meeting::{CHAIR, MEMBER, Meeting};
use kiemphieu::simulate::{FaultLevel, SimOptions};
use tower::ServiceExt;

use crate::common::{copy_dir, shipped_form};

pub const NAME: &str = "Đỗ Thị Y";
pub const PASS: &str = "correct horse battery";
pub const OTHER: &str = "Phạm Văn X";
pub const OTHER_PASS: &str = "staple paper clip";

fn template() -> &'static Path {
    static T: OnceLock<tempfile::TempDir> = OnceLock::new();
    T.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("kiemphieu-serve-template-")
            .tempdir()
            .unwrap();
        let vote_dir = dir.path().join("vote");
        // The vote is frozen with reading profile 3, as a vote counted before profile 4 is:
        // its sheet 1 is one that profile 3 sends to a person, and a later profile must not
        // change what these tests of the room start from.
        let mut form: serde_json::Value =
            serde_json::from_slice(&std::fs::read(shipped_form("tin-nhiem-so-khcn.json")).unwrap())
                .unwrap();
        form["marks"]["profile"] = 3.into();
        let form_path = dir.path().join("form-profile-3.json");
        std::fs::write(&form_path, serde_json::to_vec_pretty(&form).unwrap()).unwrap();
        let mut v = Vote::init(&vote_dir, &form_path).unwrap();
        assert_eq!(v.form.marks.profile, Some(3));
        v.generate(8).unwrap();
        let m = Meeting {
            convened: 10,
            present: 8,
            committee: vec![(OTHER.into(), CHAIR.into()), (NAME.into(), MEMBER.into())],
        };
        kiemphieu::review::record_meeting(&mut v, &m).unwrap();
        let scans = dir.path().join("scans");
        let opts = SimOptions {
            seed: 7,
            count: 4,
            faults: FaultLevel::All,
            include_bad_inputs: false,
            forged: 0,
            foreign: 0,
            duplicates: 1,
            missing_stamp: 1,
            dpi: None,
        };
        api::simulate(&v, &scans, &opts).unwrap();
        api::scan(&mut v, &[scans], &Default::default(), |_| {}).unwrap();
        api::add_member(&mut v, NAME, PASS).unwrap();
        api::add_member(&mut v, OTHER, OTHER_PASS).unwrap();
        let pending: Vec<i64> = api::review_list(&v)
            .unwrap()
            .pending
            .iter()
            .map(|p| p.sheet.id)
            .collect();
        assert_eq!(
            pending,
            [1, 3, 4],
            "the fixture's sheets waiting for a person"
        );
        dir
    })
    .path()
}

/// A fresh copy of the fixture's vote: (its scratch folder, the vote folder).
pub fn fresh_vote() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("kiemphieu-serve-")
        .tempdir()
        .unwrap();
    let vote = dir.path().join("vote");
    copy_dir(&template().join("vote"), &vote);
    (dir, vote)
}

/// The server's router over a fresh copy of the vote.
pub fn room() -> (tempfile::TempDir, PathBuf, Router) {
    let (dir, vote) = fresh_vote();
    let room = kiemphieu::serve::Room::new(&vote).unwrap();
    (dir, vote, kiemphieu::serve::router(Arc::clone(&room)))
}

/// One request through the router.
pub async fn send(app: &Router, req: Request<Body>) -> (Response<Body>, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 << 20).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (Response::from_parts(parts, Body::from(bytes)), text)
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

pub fn post_form(path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Request<Body> {
    let body: String = fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut b =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body)).unwrap()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Signs in and returns the session cookie (`kp_session=…`).
pub async fn sign_in(app: &Router, name: &str, pass: &str) -> String {
    let (res, _) = send(
        app,
        post_form("/login", None, &[("name", name), ("password", pass)]),
    )
    .await;
    assert_eq!(res.status(), 303, "sign-in of {name}");
    let set = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    set.split(';').next().unwrap().to_string()
}

/// The member's CSRF token, as the API gives it.
pub async fn csrf(app: &Router, cookie: &str) -> String {
    let (res, text) = send(app, get("/api/session", Some(cookie))).await;
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["csrf"].as_str().unwrap().to_string()
}

/// The tally's figures that do not depend on when it was made (no chain head).
pub fn figures(mut t: serde_json::Value) -> serde_json::Value {
    for k in ["chain_head", "chain_events"] {
        t.as_object_mut().unwrap().remove(k);
    }
    t
}

/// Accepts sheet 4 from a terminal, as another member at the keyboard would (`review decide`),
/// while the room is open on the same vote.
pub fn accept_sheet_4_in_a_terminal(vote: &Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args([
            "review",
            vote.to_str().unwrap(),
            "decide",
            "4",
            "--by",
            OTHER,
            "--sheet",
            "accept",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
