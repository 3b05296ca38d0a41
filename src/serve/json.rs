//! The JSON API for scripts, behind the same sign-in as the pages: the tally (the object of
//! `tally --json`), the sheets awaiting a person, a decision; and the overview's figures, which
//! the live page also receives by server-sent events.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiError, DecisionRequest, Vote};
use crate::decision::SheetAction;
use crate::watch::WatchStatus;

use super::auth::{Member, csrf_refusal};
use super::room::Room;

/// The overview's figures: the tally's accounting, the rejected sheets by reason, the quorum and
/// a progress figure (ballots collected of ballots issued).
pub fn overview_json(vote: &Vote) -> Result<String, ApiError> {
    let t = crate::api::tally(vote)?;
    let mut by_reason = serde_json::Map::new();
    for (reason, n) in &t.not_issued {
        by_reason.insert(reason.clone(), json!(n));
    }
    if t.ruled_invalid > 0 {
        by_reason.insert("ruled_invalid".into(), json!(t.ruled_invalid));
    }
    Ok(json!({
        "vote": t.vote,
        "printed": t.printed,
        "voided": t.voided,
        "issued": t.issued,
        "pages_scanned": t.pages_scanned,
        "collected": t.collected,
        "counted": t.counted,
        "rejected": t.rejected,
        "rejected_by_reason": by_reason,
        "pending_review": t.pending_review,
        "blank_pages": t.blank_pages,
        "unreadable": t.unreadable,
        "already_scanned": t.already_scanned,
        "quorum": t.quorum,
        "final": t.is_final,
        "progress_percent": crate::tally::percent(t.collected, t.issued),
        "chain_events": t.chain_events,
        "watching": Value::Null,
    })
    .to_string())
}

/// The overview with the watch folder's running totals.
pub fn with_watch(overview: &str, w: &WatchStatus) -> String {
    let mut v: Value = serde_json::from_str(overview).unwrap_or_default();
    v["watching"] = json!({
        "counted": w.counted, "rejected": w.rejected, "review": w.review,
        "errors": w.errors, "waiting": w.waiting,
    });
    v.to_string()
}

/// An error as JSON with the status that fits it.
pub fn api_error(e: &ApiError) -> Response {
    (
        status_of(e),
        Json(json!({ "error": e.to_string(), "hint": e.hint() })),
    )
        .into_response()
}

pub fn status_of(e: &ApiError) -> StatusCode {
    use crate::review::ReviewError;
    use crate::store::StoreError;
    match e {
        ApiError::NoSuchSheet { .. } | ApiError::Review(ReviewError::NoSheet(_)) => {
            StatusCode::NOT_FOUND
        }
        ApiError::Store(StoreError::Busy { .. })
        | ApiError::Review(ReviewError::Store(StoreError::Busy { .. })) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        ApiError::Review(ReviewError::Store(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        ApiError::Review(_) | ApiError::Rows(_) | ApiError::Refused { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn json_text(r: Result<String, ApiError>) -> Response {
    match r {
        Ok(text) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            text,
        )
            .into_response(),
        Err(e) => api_error(&e),
    }
}

/// `GET /api/overview`
pub async fn overview(State(room): State<Arc<Room>>) -> Response {
    room.refresh_overview().await;
    json_text(Ok(room.overview.borrow().to_string()))
}

/// `GET /api/session`: who is signed in, and the CSRF token a script sends in `X-CSRF-Token`.
pub async fn session(Extension(m): Extension<Member>) -> Response {
    Json(json!({ "member": m.name, "csrf": m.csrf })).into_response()
}

/// `GET /api/tally`: the object `tally --json` prints.
pub async fn tally(State(room): State<Arc<Room>>) -> Response {
    json_text(
        room.read(|v| {
            let t = crate::api::tally(v)?;
            Ok(serde_json::to_string_pretty(&t).unwrap_or_default())
        })
        .await,
    )
}

/// `GET /api/review`: the sheets awaiting a person, with what each needs and its rows'
/// scores, and the pages that could not be read.
pub async fn review_list(State(room): State<Arc<Room>>) -> Response {
    json_text(room.read(|v| Ok(review_json(v)?.to_string())).await)
}

fn review_json(vote: &Vote) -> Result<Value, ApiError> {
    let list = crate::api::review_list(vote)?;
    let n = vote.layout.rows.len();
    let pending: Vec<Value> = list
        .pending
        .iter()
        .map(|p| {
            let rec = &p.sheet.record;
            json!({
                "sheet": p.sheet.id,
                "file": rec.file,
                "page": rec.page,
                "reason": rec.reason,
                "detail": rec.detail,
                "serial": rec.serial,
                "needs": p.needs,
                "rows_in_question": crate::api::rows_in_question(&p.sheet, n),
                "rows": rec.rows.iter().map(|r| json!({
                    "subject": r.subject, "verdict": r.verdict, "choice": r.choice, "scores": r.scores,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({ "pending": pending, "to_look_at": list.to_look_at }))
}

/// A decision as a script sends it: the same words as `review decide`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `ignore`, `withdraw`, `invalid`, `reject` or `accept`.
    #[serde(default)]
    pub sheet: Option<String>,
    #[serde(default)]
    pub serial: Option<String>,
    /// `SUBJECT=LEVEL` or `SUBJECT=invalid`, as `--row` takes them.
    #[serde(default)]
    pub rows: Vec<String>,
    /// The reason for amending an earlier decision.
    #[serde(default)]
    pub amend: Option<String>,
}

/// The whole-sheet words of `review decide --sheet`.
pub fn sheet_action(word: &str) -> Result<SheetAction, ApiError> {
    match word {
        "ignore" | "withdraw" => Ok(SheetAction::Ignore),
        "invalid" | "reject" => Ok(SheetAction::Invalid),
        "accept" => Ok(SheetAction::Accept),
        other => Err(ApiError::refused(
            format!("\"sheet\": {other:?} is not a decision on a whole sheet"),
            "use ignore, withdraw, invalid, reject or accept",
        )),
    }
}

/// Records a decision by the signed-in member; the answer says what it amounts to.
pub async fn decide_as(
    room: &Arc<Room>,
    member: &Member,
    sheet: i64,
    body: DecisionBody,
) -> Result<crate::api::Decided, ApiError> {
    let req = DecisionRequest {
        by: member.name.clone(),
        sheet: body.sheet.as_deref().map(sheet_action).transpose()?,
        serial: body.serial.filter(|s| !s.trim().is_empty()),
        rows: body.rows,
        amend: body.amend.filter(|s| !s.trim().is_empty()),
    };
    let decided = room
        .write(move |v| crate::api::decide(v, sheet, req))
        .await?;
    *super::room::lock(&room.decided_here)
        .entry(member.name.clone())
        .or_default() += 1;
    Ok(decided)
}

/// `POST /api/review/{sheet}` with a JSON body and the `X-CSRF-Token` header.
pub async fn decide(
    State(room): State<Arc<Room>>,
    Extension(member): Extension<Member>,
    Path(sheet): Path<i64>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    if let Some(r) = csrf_refusal(&member, token) {
        return r;
    }
    let body: DecisionBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return api_error(&ApiError::refused(
                format!("the decision is not the JSON expected: {e}"),
                r#"send {"rows": ["2=1"]}, {"sheet": "invalid"} or {"serial": "…", "rows": […]}"#,
            ));
        }
    };
    match decide_as(&room, &member, sheet, body).await {
        Ok(d) => Json(json!({
            "sheet": sheet,
            "decided_by": member.name,
            "resolution": d.description,
        }))
        .into_response(),
        Err(e) => api_error(&e),
    }
}
