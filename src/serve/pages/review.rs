//! The review queue: one sheet at a time, upright, the rows in question outlined and their boxes
//! magnified with the raw scores; a decision by buttons or keys (1/2/3 a level, 0 no mark, X
//! invalid, R reject the sheet, ←/→ move), recorded with the signed-in member's name. In
//! two-person review the decision is a proposal, shown on the sheet until a second member
//! confirms it (C) or discards it.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{Markup, html};
use serde::Deserialize;

use super::{Shell, Tab, score};
use crate::api::{ApiError, SheetFilter, SheetLine};
use crate::decision::Resolution;
use crate::layout::RowLayout;
use crate::record::Reason;
use crate::serve::auth::{Member, csrf_refusal};
use crate::serve::i18n::Lang;
use crate::serve::json::{Acted, DecisionBody, act_as};
use crate::serve::room::{Room, lock};
use crate::two_person::Proposal;

#[derive(Deserialize)]
pub struct After {
    after: Option<i64>,
}

/// `GET /review`: the first sheet waiting (after `?after=ID`, going round), or word that none is.
pub async fn queue(
    State(room): State<Arc<Room>>,
    lang: Lang,
    Extension(member): Extension<Member>,
    Query(q): Query<After>,
) -> Response {
    let ids = match room.read(pending_ids).await {
        Ok(ids) => ids,
        Err(e) => return super::error_response(lang, &e),
    };
    let after = q.after.unwrap_or(0);
    if let Some(id) = ids.iter().find(|&&i| i > after).or(ids.first()) {
        return Redirect::to(&format!("/review/{id}")).into_response();
    }
    let flash = lock(&room.sessions).take_flash(&member);
    let shell = Shell {
        lang,
        member: Some(&member),
        title: lang.t("Duyệt phiếu", "Review"),
        tab: Some(Tab::Review),
        here: "/review",
        flash,
        kind: "review-empty",
    };
    super::page(
        StatusCode::OK,
        shell.render(html! {
            h1 { (lang.t("Duyệt phiếu", "Review")) }
            p.done { (lang.t("Không còn phiếu nào chờ duyệt.", "No sheet is waiting for review.")) }
            p { a href="/results" { (lang.t("Xem kết quả", "See the results")) } }
        }),
    )
}

fn pending_ids(vote: &crate::api::Vote) -> Result<Vec<i64>, ApiError> {
    let filter = SheetFilter {
        pending: true,
        ..Default::default()
    };
    Ok(crate::api::sheet_lines(vote, filter)?
        .iter()
        .map(|l| l.sheet.id)
        .collect())
}

/// What the review page shows of one sheet.
struct ReviewView {
    line: SheetLine,
    queue: Vec<i64>,
    rows: Vec<RowLayout>,
    in_question: Vec<usize>,
    levels: Vec<String>,
    /// The sheet's open proposal (two-person review), with what it amounts to.
    proposal: Option<(Proposal, Resolution)>,
    two_person: bool,
}

/// `GET /review/{sheet}`
pub async fn page(
    State(room): State<Arc<Room>>,
    lang: Lang,
    Extension(member): Extension<Member>,
    Path(id): Path<i64>,
) -> Response {
    let two_person = room.two_person;
    let view = room
        .read(move |v| {
            let queue = pending_ids(v)?;
            let proposal = crate::api::open_proposals(v)?.remove(&id);
            let line = crate::api::sheet_lines(v, SheetFilter::default())?
                .into_iter()
                .find(|l| l.sheet.id == id)
                .ok_or(ApiError::NoSuchSheet { sheet: id })?;
            let n = v.layout.rows.len();
            Ok(ReviewView {
                in_question: crate::api::rows_in_question(&line.sheet, n),
                line,
                queue,
                rows: v.layout.rows.clone(),
                levels: v.form.levels.clone(),
                proposal,
                two_person,
            })
        })
        .await;
    let view = match view {
        Ok(v) => v,
        Err(e) => return super::error_response(lang, &e),
    };
    if !matches!(view.line.in_force, Resolution::Pending(_)) {
        // Decided meanwhile (by another member perhaps): its record shows what stands.
        return Redirect::to(&format!("/sheets/{id}")).into_response();
    }
    let pos = view.queue.iter().position(|&i| i == id);
    let next = pos.and_then(|p| view.queue.get(p + 1)).copied();
    if let Some(n) = next {
        crate::serve::pictures::prefetch(&room, n);
    }
    let flash = lock(&room.sessions).take_flash(&member);
    let here = format!("/review/{id}");
    let shell = Shell {
        lang,
        member: Some(&member),
        title: format!("{} {id}", lang.t("Phiếu", "Sheet")),
        tab: Some(Tab::Review),
        here: &here,
        flash,
        kind: "review",
    };
    super::page(
        StatusCode::OK,
        shell.render(body(lang, &member, &view, pos, next)),
    )
}

fn body(l: Lang, member: &Member, v: &ReviewView, pos: Option<usize>, next: Option<i64>) -> Markup {
    let s = &v.line.sheet;
    let rec = &s.record;
    let id = s.id;
    let prev = pos
        .and_then(|p| p.checked_sub(1))
        .and_then(|p| v.queue.get(p))
        .copied();
    let wants_serial = matches!(
        rec.reason,
        Some(Reason::QrUnreadable) | Some(Reason::RegistrationFailed)
    );
    let has_closeups = !rec.rows.is_empty();
    let mut choices: Vec<(String, String)> = v
        .levels
        .iter()
        .enumerate()
        .map(|(k, name)| ((k + 1).to_string(), name.clone()))
        .collect();
    choices.push(("0".into(), l.t("Không đánh dấu", "No mark")));
    choices.push(("x".into(), l.t("Không hợp lệ", "Invalid")));
    html! {
        div.review {
            div.sheetpic {
                img src=(format!("/pictures/{id}.jpg")) alt=(format!("{} {id}", l.t("Ảnh phiếu", "Picture of sheet")));
            }
            div.decide {
                div.queue {
                    @if let Some(p) = prev { a #prev href=(format!("/review/{p}")) { "← " (l.t("Trước", "Previous")) } }
                    h1 {
                        (l.t("Phiếu", "Sheet")) " " (id)
                        @if let Some(p) = pos { " · " (p + 1) " / " (v.queue.len()) }
                    }
                    @if let Some(n) = next { a #next href=(format!("/review/{n}")) { (l.t("Sau", "Next")) " →" } }
                }
                // The machine's reason in the page's language (its code is in the picture's
                // banner); a sheet in review always has one.
                p.reason { @match rec.reason {
                    Some(r) => (l.reason(r)),
                    None => (l.t("Cần một người xem phiếu này", "This sheet needs a person")),
                } }
                // The scanner's detail is in English: folded away under a Vietnamese title.
                @if let Some(d) = &rec.detail {
                    @if l == Lang::En { p.detail { (d) } }
                    @else { details.detail { summary { "Chi tiết kỹ thuật của máy (tiếng Anh)" } (d) } }
                }
                @if let Some((p, res)) = &v.proposal { (proposal(l, member, id, p, &l.resolution(res, &v.levels))) }
                p.file { (rec.file) " · " (l.t("trang", "page")) " " (rec.page)
                    @if let Some(sr) = &rec.serial { " · " (l.t("sê-ri", "serial")) " " (crate::annotate::serial_as_printed(sr)) } }
                form #decision method="post" action=(format!("/review/{id}")) {
                    input type="hidden" name="csrf" value=(member.csrf);
                    @for &subject in &v.in_question {
                        @let row = v.rows.get(subject - 1);
                        @let scores = rec.rows.iter().find(|r| r.subject == subject).map(|r| r.scores);
                        fieldset.row data-subject=(subject) {
                            legend {
                                (subject) ". "
                                @if let Some(r) = row { (r.name) " — " (r.position) }
                            }
                            @if has_closeups {
                                img.closeup src=(format!("/pictures/{id}/row/{subject}.png")) alt=(l.t("Ba ô phóng to", "The three boxes magnified"));
                            }
                            @if let Some(sc) = scores {
                                div.scores {
                                    @for (k, name) in v.levels.iter().enumerate() {
                                        span { (name) ": " (score(sc[k])) }
                                    }
                                }
                            }
                            div.choices {
                                @for (key, label) in &choices {
                                    label {
                                        input type="radio" name=(format!("row_{subject}")) value=(key);
                                        kbd { (key.to_uppercase()) } " " (label)
                                    }
                                }
                            }
                        }
                    }
                    @if wants_serial {
                        label.serial { (l.t("Số sê-ri in cạnh mã QR", "Serial printed beside the QR code"))
                            input name="serial" autocomplete="off"; }
                    }
                    div.actions {
                        @if !v.in_question.is_empty() || wants_serial {
                            button name="action" value="rows" {
                                @if v.two_person { (l.t("Đề xuất quyết định", "Propose the decision")) }
                                @else { (l.t("Ghi quyết định", "Record the decision")) }
                                " " kbd { "Enter" }
                            }
                        }
                        @if rec.reason == Some(Reason::MissingStamp) {
                            button name="action" value="accept" { (l.t("Có dấu: chấp nhận", "Stamp is there: accept")) " " kbd { "A" } }
                        }
                        button.danger name="action" value="invalid" { (l.t("Phiếu không hợp lệ", "Invalid ballot")) " " kbd { "R" } }
                        button name="action" value="ignore" { (l.t("Bỏ qua (quét trùng / không phải phiếu)", "Set aside (scanned twice / not a ballot)")) " " kbd { "I" } }
                    }
                    @if v.two_person {
                        p.by {
                            (l.t("Đề xuất được ghi tên", "The proposal is recorded as")) " " strong { (member.name) } "; "
                            (l.t("quyết định chỉ có hiệu lực khi một thành viên khác xác nhận.",
                                 "the decision takes effect only when another member confirms it."))
                        }
                    } @else {
                        p.by { (l.t("Quyết định được ghi tên", "The decision is recorded as")) " " strong { (member.name) } }
                    }
                }
                (history(l, &v.levels, &v.line))
            }
        }
    }
}

fn history(l: Lang, levels: &[String], line: &SheetLine) -> Markup {
    html! {
        @if let Some(d) = &line.decided {
            p.history { (l.t("Quyết định đang có hiệu lực", "Decision in force")) ": " (who_decided(l, d)) ", " (d.decided_at) " — " (l.resolution(&line.in_force, levels)) }
        }
    }
}

/// Who took a decision: the member, and the one who confirmed it (two-person review).
pub fn who_decided(l: Lang, d: &crate::decision::Decision) -> String {
    match &d.confirmed_by {
        Some(c) => format!("{} ({} {c})", d.reviewer, l.t("xác nhận:", "confirmed by")),
        None => d.reviewer.clone(),
    }
}

/// The sheet's open proposal: who proposed what, and for another member the buttons to confirm
/// or discard it (the proposer may withdraw it).
fn proposal(l: Lang, member: &Member, id: i64, p: &Proposal, words: &str) -> Markup {
    let own = p.proposer == member.name;
    html! {
        section.proposal data-proposal=(p.id) {
            h2 { (l.t("Đề xuất chờ xác nhận", "Proposal awaiting confirmation")) }
            p {
                (l.t("Đề xuất của", "Proposed by")) " " strong.proposer { (p.proposer) } " (" (p.proposed_at) "): "
                span.proposed { (words) }
            }
            form.proposal method="post" action=(format!("/review/{id}")) {
                input type="hidden" name="csrf" value=(member.csrf);
                input type="hidden" name="proposal" value=(p.id);
                @if own {
                    p.hint { (l.t("Cần một thành viên khác xác nhận đề xuất của bạn. Bạn có thể đề xuất lại bên dưới, hoặc rút đề xuất.",
                                  "Another member must confirm your proposal. You may propose again below, or withdraw it.")) }
                    div.actions {
                        button name="action" value="discard" { (l.t("Rút đề xuất", "Withdraw the proposal")) }
                    }
                } @else {
                    div.actions {
                        button.confirm name="action" value="confirm" { (l.t("Xác nhận", "Confirm")) " " kbd { "C" } }
                        button.danger name="action" value="discard" { (l.t("Không đồng ý: huỷ đề xuất", "Disagree: discard it")) }
                    }
                    p.hint { (l.t("Hoặc đề xuất quyết định khác bên dưới.", "Or propose another decision below.")) }
                }
            }
        }
    }
}

/// `POST /review/{sheet}`: the form's answer as a decision by the signed-in member; back to the
/// queue's next sheet, with what was recorded (or why not) shown once.
pub async fn decide(
    State(room): State<Arc<Room>>,
    lang: Lang,
    Extension(member): Extension<Member>,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Some(r) = csrf_refusal(&member, get("csrf")) {
        return r;
    }
    let action = get("action").unwrap_or("rows");
    let mut body = DecisionBody {
        serial: get("serial").map(str::to_string),
        ..Default::default()
    };
    let proposal = get("proposal").and_then(|p| p.parse::<i64>().ok());
    match action {
        "confirm" | "discard" => {
            let Some(p) = proposal else {
                let e = ApiError::Refused {
                    message: format!("{action}: the form names no proposal"),
                    hint: None,
                };
                return super::error_response(lang, &e);
            };
            body.serial = None;
            if action == "confirm" {
                body.confirm = Some(p);
            } else {
                body.discard = Some(p);
            }
        }
        "invalid" | "ignore" => body.sheet = Some(action.to_string()),
        "accept" | "rows" => {
            if action == "accept" {
                body.sheet = Some("accept".into());
            }
            for (k, v) in &fields {
                if let Some(subject) = k.strip_prefix("row_") {
                    let value = match v.as_str() {
                        "0" | "x" | "X" => "invalid",
                        other => other,
                    };
                    body.rows.push(format!("{subject}={value}"));
                }
            }
        }
        other => {
            let e = ApiError::Refused {
                message: format!("unknown action {other:?}"),
                hint: None,
            };
            return super::error_response(lang, &e);
        }
    }
    let acted = act_as(&room, &member, id, body).await;
    // The outcome in the page's language, with the levels as printed on the ballot.
    let levels = room
        .read(|v| Ok(v.form.levels.clone()))
        .await
        .unwrap_or_default();
    let text = match acted {
        Ok(Acted::Decided { by, decided }) => {
            let mut msg = format!(
                "{} {id} {}: {}",
                l_sheet(lang),
                lang.t("đã ghi", "recorded"),
                lang.resolution(&decided.resolution, &levels)
            );
            if let Some(c) = &decided.confirmed_by {
                msg.push_str(&format!(
                    " ({} {by}, {} {c})",
                    lang.t("đề xuất:", "proposed by"),
                    lang.t("xác nhận:", "confirmed by")
                ));
            }
            lock(&room.sessions).set_flash(&member, msg);
            return Redirect::to(&format!("/review?after={id}")).into_response();
        }
        Ok(Acted::Proposed(p)) => {
            let msg = format!(
                "{} {id} {}: {} — {}",
                l_sheet(lang),
                lang.t("đã đề xuất", "proposed"),
                lang.resolution(&p.resolution, &levels),
                lang.t(
                    "chờ một thành viên khác xác nhận",
                    "waiting for another member to confirm it"
                )
            );
            lock(&room.sessions).set_flash(&member, msg);
            return Redirect::to(&format!("/review?after={id}")).into_response();
        }
        Ok(Acted::Discarded { .. }) => {
            let msg = format!(
                "{} {id}: {}",
                l_sheet(lang),
                lang.t("đã huỷ đề xuất", "the proposal is discarded")
            );
            lock(&room.sessions).set_flash(&member, msg);
            return Redirect::to(&format!("/review/{id}")).into_response();
        }
        Err(e) => match e.hint() {
            Some(h) => format!("{e} ({h})"),
            None => e.to_string(),
        },
    };
    lock(&room.sessions).set_flash(
        &member,
        format!("{}: {text}", lang.t("Chưa ghi", "Not recorded")),
    );
    Redirect::to(&format!("/review/{id}")).into_response()
}

fn l_sheet(l: Lang) -> String {
    l.t("Phiếu", "Sheet")
}
