//! Every recorded sheet, filtered by outcome and reason, each opening its picture and record.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::{Shell, Tab, score, url_encode};
use crate::api::{ApiError, SheetFilter, SheetLine};
use crate::decision::Resolution;
use crate::record::{Outcome, Reason};
use crate::serve::auth::Member;
use crate::serve::i18n::Lang;
use crate::serve::room::{Room, lock};

const OUTCOMES: [Outcome; 6] = [
    Outcome::Counted,
    Outcome::Rejected,
    Outcome::Review,
    Outcome::AlreadyScanned,
    Outcome::Blank,
    Outcome::Error,
];

#[derive(Deserialize, Default)]
pub struct Filter {
    outcome: Option<String>,
    reason: Option<String>,
    pending: Option<String>,
}

/// `GET /sheets?outcome=review&reason=ambiguous_mark&pending=1`
pub async fn list(
    State(room): State<Arc<Room>>,
    lang: Lang,
    Extension(member): Extension<Member>,
    Query(f): Query<Filter>,
) -> Response {
    let filter = SheetFilter {
        outcome: f.outcome.as_deref().and_then(Outcome::parse),
        reason: f.reason.as_deref().and_then(Reason::parse),
        pending: f.pending.is_some(),
    };
    let (lines, levels) = match room
        .read(move |v| Ok((crate::api::sheet_lines(v, filter)?, v.form.levels.clone())))
        .await
    {
        Ok(x) => x,
        Err(e) => return super::error_response(lang, &e),
    };
    let l = lang;
    let here = format!(
        "/sheets?outcome={}&reason={}",
        url_encode(f.outcome.as_deref().unwrap_or("")),
        url_encode(f.reason.as_deref().unwrap_or(""))
    );
    let body = html! {
        h1 { (l.t("Danh sách phiếu", "Sheets")) " (" (lines.len()) ")" }
        form.filter method="get" action="/sheets" {
            label { (l.t("Kết quả đọc", "Outcome")) select name="outcome" {
                option value="" { (l.t("Tất cả", "All")) }
                @for o in OUTCOMES { option value=(o.as_str()) selected[filter.outcome == Some(o)] { (l.outcome(o)) } }
            } }
            label { (l.t("Lý do", "Reason")) select name="reason" {
                option value="" { (l.t("Tất cả", "All")) }
                @for r in Reason::ALL { option value=(r.as_str()) selected[filter.reason == Some(r)] { (l.reason(r)) } }
            } }
            label { input type="checkbox" name="pending" value="1" checked[filter.pending]; (l.t("Chỉ phiếu chờ duyệt", "Only sheets awaiting review")) }
            button { (l.t("Lọc", "Filter")) }
        }
        table.sheets {
            thead { tr {
                th { "#" } th { (l.t("Tệp", "File")) } th { (l.t("Kết quả đọc", "Outcome")) }
                th { (l.t("Lý do", "Reason")) } th { (l.t("Hiện tính là", "Counts now as")) } th { (l.t("Người quyết định", "Decided by")) }
            } }
            tbody {
                @for line in &lines {
                    @let rec = &line.sheet.record;
                    tr {
                        td { a href=(format!("/sheets/{}", line.sheet.id)) { (line.sheet.id) } }
                        td { (rec.file) " p." (rec.page) }
                        td { (l.outcome(rec.outcome)) }
                        td { @if let Some(r) = rec.reason { (l.reason(r)) } }
                        td { (in_force(l, line, &levels)) }
                        td { @if let Some(d) = &line.decided { (super::review::who_decided(l, d)) } }
                    }
                }
            }
        }
    };
    let flash = lock(&room.sessions).take_flash(&member);
    let shell = Shell {
        lang,
        member: Some(&member),
        title: l.t("Danh sách phiếu", "Sheets"),
        tab: Some(Tab::Sheets),
        here: &here,
        flash,
        kind: "sheets",
    };
    super::page(StatusCode::OK, shell.render(body))
}

fn in_force(l: Lang, line: &SheetLine, levels: &[String]) -> String {
    match &line.in_force {
        Resolution::Counted(_) => l.t("Được đếm", "Counted"),
        Resolution::Rejected => l.t("Không hợp lệ cả tờ", "Invalid as a whole"),
        Resolution::NotCollected => l.t("Không tính (không thu)", "Not collected"),
        Resolution::Pending(_) => l.resolution(&line.in_force, levels),
    }
}

/// `GET /sheets/{id}`: the sheet's picture, its reading row by row and every decision on it.
pub async fn record(
    State(room): State<Arc<Room>>,
    lang: Lang,
    Extension(member): Extension<Member>,
    Path(id): Path<i64>,
) -> Response {
    let got = room
        .read(move |v| {
            let line = crate::api::sheet_lines(v, SheetFilter::default())?
                .into_iter()
                .find(|l| l.sheet.id == id)
                .ok_or(ApiError::NoSuchSheet { sheet: id })?;
            let history = crate::review::history(v, id)?;
            Ok((line, history, v.form.levels.clone(), v.layout.rows.clone()))
        })
        .await;
    let (line, history, levels, rows) = match got {
        Ok(x) => x,
        Err(e) => return super::error_response(lang, &e),
    };
    let l = lang;
    let rec = &line.sheet.record;
    let body = html! {
        h1 { (l.t("Phiếu", "Sheet")) " " (id) }
        div.record {
            div.sheetpic {
                @if line.sheet.archive.is_some() {
                    img src=(format!("/pictures/{id}.jpg")) alt=(l.t("Ảnh phiếu", "Picture of the sheet"));
                }
            }
            div {
                table.fields {
                    tr { th { (l.t("Tệp", "File")) } td { (rec.file) " · " (l.t("trang", "page")) " " (rec.page) } }
                    tr { th { (l.t("Kết quả đọc", "Outcome")) } td { (l.outcome(rec.outcome)) } }
                    @if let Some(r) = rec.reason { tr { th { (l.t("Lý do", "Reason")) } td { (l.reason(r)) } } }
                    @if let Some(d) = &rec.detail { tr { th { (l.t("Chi tiết", "Detail")) } td { (d) } } }
                    @if let Some(s) = &rec.serial { tr { th { (l.t("Sê-ri", "Serial")) } td { (crate::annotate::serial_as_printed(s)) } } }
                    tr { th { (l.t("Quét lúc", "Scanned at")) } td { (line.sheet.scanned_at) } }
                    tr { th { (l.t("Hiện tính là", "Counts now as")) } td { (l.resolution(&line.in_force, &levels)) } }
                }
                @if matches!(line.in_force, Resolution::Pending(_)) {
                    p { a.button href=(format!("/review/{id}")) { (l.t("Duyệt phiếu này", "Review this sheet")) } }
                }
                @if !rec.rows.is_empty() {
                    table.rows {
                        thead { tr { th { "#" } th { (l.t("Họ và tên", "Name")) } th { (l.t("Kết luận", "Verdict")) }
                            @for lv in &levels { th { (lv) } } } }
                        tbody { @for r in &rec.rows { tr {
                            td { (r.subject) }
                            td { @if let Some(row) = rows.get(r.subject - 1) { (row.name) } }
                            td { (r.verdict.as_str()) @if let Some(c) = r.choice { " (" (levels.get(c).map_or("", |s| s.as_str())) ")" } }
                            @for sc in r.scores { td.num { (score(sc)) } }
                        } } }
                    }
                }
                @if !history.is_empty() {
                    h2 { (l.t("Các quyết định", "Decisions")) }
                    ul.history { @for d in &history {
                        li { (super::review::who_decided(l, d)) ", " (d.decided_at) ": "
                            (l.resolution(&crate::decision::resolve(&line.sheet, Some(d), rows.len()), &levels))
                            @if let Some(a) = &d.amends { " (" (l.t("sửa", "amended")) ": " (a) ")" } }
                    } }
                }
            }
        }
    };
    let here = format!("/sheets/{id}");
    let flash = lock(&room.sessions).take_flash(&member);
    let shell = Shell {
        lang,
        member: Some(&member),
        title: format!("{} {id}", l.t("Phiếu", "Sheet")),
        tab: Some(Tab::Sheets),
        here: &here,
        flash,
        kind: "record",
    };
    super::page(StatusCode::OK, shell.render(body))
}
