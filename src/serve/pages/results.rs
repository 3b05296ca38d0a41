//! The results: Regulation 96's figures per subject as `tally` computes them, with the flags;
//! the minutes PDF (a draft while anything is pending); the audit's last result and a button to
//! run it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::html;

use super::{Shell, Tab};
use crate::api::{ApiError, AuditRequest};
use crate::serve::auth::{CsrfForm, Member, csrf_refusal};
use crate::serve::i18n::Lang;
use crate::serve::room::{AuditDone, Room, lock};
use crate::tally::Flag;

fn flag_words(l: Lang, f: Flag) -> String {
    match f {
        Flag::ConsiderRelief => l.t(
            "Trên 1/2 tín nhiệm thấp: xem xét cho thôi giữ chức vụ",
            "Low confidence above 1/2: relief from the position to be considered",
        ),
        Flag::Relieve => l.t(
            "Từ 2/3 tín nhiệm thấp: cho thôi giữ chức vụ, không chờ hết nhiệm kỳ",
            "Low confidence of 2/3 or more: relieved without waiting for the end of the term",
        ),
    }
}

/// `GET /results`
pub async fn page(
    State(room): State<Arc<Room>>,
    lang: Lang,
    Extension(member): Extension<Member>,
) -> Response {
    let t = match room.read(crate::api::tally).await {
        Ok(t) => t,
        Err(e) => return super::error_response(lang, &e),
    };
    let audit = lock(&room.audit).clone();
    let l = lang;
    let body = html! {
        h1 { (l.t("Kết quả kiểm phiếu", "Results")) }
        @if t.is_final {
            p.ok { (l.t("Kết quả đầy đủ: không còn phiếu chờ duyệt.", "Complete: no sheet awaits review.")) }
        } @else {
            p.bad { (l.t("Chưa xong", "Not complete")) ": " (t.pending_review) " " (l.t("phiếu chờ duyệt — biên bản chỉ là dự thảo.", "sheet(s) await review — the minutes are a draft.")) }
        }
        @if !t.identity_holds {
            p.bad { (l.t("Các số liệu không khớp nhau (xem tally).", "The figures do not add up (see tally).")) }
        }
        table.figures {
            tr { th { (l.t("Phiếu phát ra", "Ballots issued")) } td data-result="issued" { (t.issued) } }
            tr { th { (l.t("Phiếu thu về", "Ballots collected")) } td data-result="collected" { (t.collected) } }
            tr { th { (l.t("Phiếu không hợp lệ cả tờ", "Invalid as a whole")) } td { (t.rejected) } }
        }
        table.results {
            thead { tr {
                th { "#" } th { (l.t("Họ và tên, chức vụ", "Name, position")) }
                th { (l.t("Hợp lệ", "Valid")) } th { (l.t("Không hợp lệ", "Invalid")) }
                @for lv in &t.levels { th { (lv) } }
                th { (l.t("Ghi chú", "Flags")) }
            } }
            tbody { @for s in &t.subjects { tr data-subject=(s.subject) {
                td { (s.subject) } td { (s.name) br; small { (s.position) } }
                td.num { (s.valid) } td.num { (s.invalid) }
                @for (k, c) in s.counts.iter().enumerate() {
                    td.num { (c) br; small { (s.percents.get(k).map_or("", |p| p.as_str())) "%" } }
                }
                td { @for f in &s.flags { div.flag { (flag_words(l, *f)) } } }
            } } }
        }
        p.note { (l.t("Tỷ lệ tính trên số phiếu thu về.", "Percentages are of ballots collected.")) }
        p { a.button #minutes href="/minutes.pdf" {
            @if t.is_final { (l.t("Tải biên bản kiểm phiếu (PDF)", "Download the minutes (PDF)")) }
            @else { (l.t("Tải dự thảo biên bản (PDF)", "Download the draft minutes (PDF)")) }
        } }
        @if let Some(h) = &t.chain_head {
            p.chain { (l.t("Mã chuỗi sự kiện", "Event chain head")) ": " code { (h.get(..32).unwrap_or(h)) } }
        }
        h2 { (l.t("Kiểm tra lại (audit)", "Audit")) }
        @if audit.running {
            p data-audit="running" { (l.t("Đang kiểm tra: đọc lại mọi ảnh đã lưu…", "Running: re-reading every stored image…")) }
        }
        @if let Some(a) = &audit.last { (audit_result(l, a)) }
        form method="post" action="/audit" {
            input type="hidden" name="csrf" value=(member.csrf);
            button disabled[audit.running] { (l.t("Chạy kiểm tra", "Run the audit")) }
        }
    };
    let flash = lock(&room.sessions).take_flash(&member);
    let shell = Shell {
        lang,
        member: Some(&member),
        title: l.t("Kết quả", "Results"),
        tab: Some(Tab::Results),
        here: "/results",
        flash,
        kind: if audit.running {
            "results-auditing"
        } else {
            "results"
        },
    };
    super::page(StatusCode::OK, shell.render(body))
}

fn audit_result(l: Lang, a: &AuditDone) -> maud::Markup {
    html! {
        @match &a.result {
            Ok((sheets, differences, notes)) => {
                p data-audit="done" class=(if *differences == 0 { "ok" } else { "bad" }) {
                    (a.at) " (" (a.by) "): " (sheets) " " (l.t("phiếu đọc lại", "sheets re-read")) ", "
                    strong { (differences) " " (l.t("khác biệt", "differences")) }
                }
                @for n in notes { p.note { (n) } }
            }
            Err(e) => { p.bad data-audit="failed" { (a.at) ": " (e) } }
        }
    }
}

/// `POST /audit`: starts the audit in the background (it re-reads every stored image).
pub async fn run_audit(
    State(room): State<Arc<Room>>,
    Extension(member): Extension<Member>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&member, form.csrf()) {
        return r;
    }
    {
        let mut a = lock(&room.audit);
        if a.running {
            return Redirect::to("/results").into_response();
        }
        a.running = true;
    }
    let by = member.name.clone();
    let bg = room.clone();
    tokio::spawn(async move {
        let result = bg
            .read(|v| crate::api::audit(v, &AuditRequest::default()))
            .await
            .map(|r| (r.sheets_checked, r.differences.len(), r.notes))
            .map_err(|e| e.to_string());
        let mut a = lock(&bg.audit);
        a.running = false;
        a.last = Some(AuditDone {
            at: crate::store::now_utc(),
            by,
            result,
        });
    });
    Redirect::to("/results").into_response()
}

/// `GET /minutes.pdf`: final minutes when complete, a draft (marked DỰ THẢO) otherwise.
pub async fn minutes(State(room): State<Arc<Room>>, lang: Lang) -> Response {
    let made = room
        .read(|v| {
            let t = crate::api::tally(v)?;
            let path = std::env::temp_dir().join(format!(
                ".kiemphieu-minutes{}.pdf",
                crate::vote::unique_suffix()
            ));
            let written = match crate::api::write_minutes(v, &t, &path, !t.is_final) {
                Err(ApiError::MinutesIncomplete { .. }) => {
                    crate::api::write_minutes(v, &t, &path, true)
                }
                other => other,
            }?;
            let bytes = std::fs::read(&path).map_err(|e| ApiError::File {
                what: "read",
                path: path.clone(),
                reason: e.to_string(),
            });
            let _ = std::fs::remove_file(&path);
            Ok((bytes?, written.draft, t.vote))
        })
        .await;
    match made {
        Ok((pdf, draft, vote)) => {
            let name = if draft {
                format!("bien-ban-{vote}-du-thao.pdf")
            } else {
                format!("bien-ban-{vote}.pdf")
            };
            let mut r = ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r.headers_mut().insert(
                "x-kiemphieu-draft",
                HeaderValue::from_static(if draft { "true" } else { "false" }),
            );
            r
        }
        Err(e) => super::error_response(lang, &e),
    }
}
