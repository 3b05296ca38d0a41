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

use crate::api::{ApiError, Decided, DecisionRequest, Proposed, Vote};
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
    json_text(Ok(room.overview_now(false).await.to_string()))
}

/// `GET /api/session`: who is signed in, and the CSRF token a script sends in `X-CSRF-Token`.
pub async fn session(Extension(m): Extension<Member>) -> Response {
    Json(json!({ "member": m.name, "csrf": m.csrf })).into_response()
}

/// `GET /api/tally`: the object `tally --json` prints.
pub async fn tally(State(room): State<Arc<Room>>) -> Response {
    json_text(room.tally_json().await.map(|t| t.to_string()))
}

/// `GET /api/review`: the sheets awaiting a person, with what each needs, its rows' scores and
/// its open proposal (two-person review), and the pages that could not be read.
pub async fn review_list(State(room): State<Arc<Room>>) -> Response {
    let two_person = room.two_person;
    json_text(
        room.read(move |v| Ok(review_json(v, two_person)?.to_string()))
            .await,
    )
}

fn review_json(vote: &Vote, two_person: bool) -> Result<Value, ApiError> {
    let list = crate::api::review_list(vote)?;
    let proposals = &list.proposals;
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
                "proposal": proposals.get(&p.sheet.id).map(|(pr, res)| json!({
                    "proposal": pr.id, "proposed_by": pr.proposer, "proposed_at": pr.proposed_at,
                    "resolution": crate::decision::describe(res, &vote.form.levels),
                })),
                "rows": rec.rows.iter().map(|r| json!({
                    "subject": r.subject, "verdict": r.verdict, "choice": r.choice, "scores": r.scores,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({ "pending": pending, "to_look_at": list.to_look_at, "two_person": two_person }))
}

/// A decision as a script sends it: the same words as `review decide`; or, in two-person
/// review, the confirmation or discarding of a proposal by its id.
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
    /// Confirms this proposal (a second member's, in two-person review).
    #[serde(default)]
    pub confirm: Option<i64>,
    /// Discards this proposal.
    #[serde(default)]
    pub discard: Option<i64>,
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

/// What a member's post on a sheet did.
pub enum Acted {
    /// A decision recorded: by whom (the proposer, for a confirmed proposal) and what it amounts to.
    Decided { by: String, decided: Decided },
    /// Two-person review: a proposal recorded, waiting for a second member.
    Proposed(Proposed),
    /// A proposal discarded.
    Discarded { proposal: i64 },
}

/// Acts on a sheet as the signed-in member: a decision (a proposal, when the room takes
/// decisions from two members), or the confirmation or discarding of a proposal.
pub async fn act_as(
    room: &Arc<Room>,
    member: &Member,
    sheet: i64,
    body: DecisionBody,
) -> Result<Acted, ApiError> {
    let by = member.name.clone();
    let acted = match (body.confirm, body.discard) {
        (Some(_), Some(_)) => {
            return Err(ApiError::refused(
                "a post either confirms or discards a proposal, not both",
                r#"send {"confirm": ID} or {"discard": ID}"#,
            ));
        }
        (Some(id), None) | (None, Some(id))
            if body.sheet.is_some() || body.serial.is_some() || !body.rows.is_empty() =>
        {
            return Err(ApiError::refused(
                format!(
                    "proposal {id}: a confirmation or a discarding carries no decision of its own"
                ),
                "to decide differently, send the decision alone: it becomes a new proposal",
            ));
        }
        (Some(id), None) => {
            let (by, decided) = room
                .write(move |v| crate::api::confirm(v, sheet, id, &by))
                .await?;
            Acted::Decided { by, decided }
        }
        (None, Some(id)) => {
            room.write(move |v| crate::api::discard(v, sheet, id, &by))
                .await?;
            Acted::Discarded { proposal: id }
        }
        (None, None) => {
            let req = DecisionRequest {
                by,
                sheet: body.sheet.as_deref().map(sheet_action).transpose()?,
                serial: body.serial.filter(|s| !s.trim().is_empty()),
                rows: body.rows,
                amend: body.amend.filter(|s| !s.trim().is_empty()),
            };
            if room.two_person {
                Acted::Proposed(
                    room.write(move |v| crate::api::propose(v, sheet, req))
                        .await?,
                )
            } else {
                let by = req.by.clone();
                let decided = room
                    .write(move |v| crate::api::decide(v, sheet, req))
                    .await?;
                Acted::Decided { by, decided }
            }
        }
    };
    if let Acted::Decided { .. } = acted {
        *super::room::lock(&room.decided_here)
            .entry(member.name.clone())
            .or_default() += 1;
    }
    Ok(acted)
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
                r#"send {"rows": ["2=1"]}, {"sheet": "invalid"}, {"serial": "…", "rows": […]}, or {"confirm": ID} / {"discard": ID} for a proposal"#,
            ));
        }
    };
    match act_as(&room, &member, sheet, body).await {
        Ok(Acted::Decided { by, decided }) => Json(json!({
            "sheet": sheet,
            "status": "decided",
            "decided_by": by,
            "confirmed_by": decided.confirmed_by,
            "resolution": decided.description,
        }))
        .into_response(),
        Ok(Acted::Proposed(p)) => (
            StatusCode::ACCEPTED,
            Json(json!({
                "sheet": sheet,
                "status": "proposed",
                "proposal": p.proposal,
                "proposed_by": member.name,
                "resolution": p.description,
            })),
        )
            .into_response(),
        Ok(Acted::Discarded { proposal }) => Json(json!({
            "sheet": sheet,
            "status": "discarded",
            "proposal": proposal,
            "discarded_by": member.name,
        }))
        .into_response(),
        Err(e) => api_error(&e),
    }
}
