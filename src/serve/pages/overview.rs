//! The overview: every figure of the count as it stands, live while sheets arrive.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

use super::{Shell, Tab};
use crate::serve::auth::Member;
use crate::serve::i18n::Lang;
use crate::serve::room::{Room, lock};

/// The figures in the order they are shown: key in the overview JSON, Vietnamese, English.
const FIGURES: [(&str, &str, &str); 11] = [
    ("printed", "Phiếu in ra", "Ballots printed"),
    (
        "voided",
        "Phiếu huỷ (trả lại, không dùng)",
        "Voided (returned unused)",
    ),
    ("issued", "Phiếu phát ra", "Ballots issued"),
    ("pages_scanned", "Trang đã quét", "Pages scanned"),
    ("collected", "Phiếu thu về", "Ballots collected"),
    ("counted", "Phiếu đã đếm", "Counted"),
    ("rejected", "Phiếu không hợp lệ cả tờ", "Invalid as a whole"),
    ("pending_review", "Chờ duyệt", "Awaiting review"),
    ("blank_pages", "Trang trắng", "Blank pages"),
    ("unreadable", "Lỗi đọc", "Unreadable"),
    (
        "already_scanned",
        "Quét trùng (bỏ qua)",
        "Scanned twice (skipped)",
    ),
];

/// `GET /`
pub async fn page(
    State(room): State<Arc<Room>>,
    lang: Lang,
    Extension(member): Extension<Member>,
) -> Response {
    let json = room.overview_now(false).await;
    let o: Value = serde_json::from_str(&json).unwrap_or_default();
    let flash = lock(&room.sessions).take_flash(&member);
    let shell = Shell {
        lang,
        member: Some(&member),
        title: lang.t("Tổng quan", "Overview"),
        tab: Some(Tab::Overview),
        here: "/",
        flash,
        kind: "overview",
    };
    super::page(StatusCode::OK, shell.render(body(lang, &room.vote_id, &o)))
}

fn n(o: &Value, k: &str) -> String {
    o[k].as_u64().map_or("–".into(), |v| v.to_string())
}

fn body(l: Lang, vote: &str, o: &Value) -> Markup {
    let q = &o["quorum"];
    html! {
        h1 { (l.t("Tổng quan", "Overview")) " · " (vote) }
        p.live data-live { (l.t("Cập nhật trực tiếp", "Live")) }
        section.progress {
            progress data-progress value=(n(o, "collected")) max=(o["issued"].as_u64().unwrap_or(0).max(1)) {}
            p {
                (l.t("Đã thu", "Collected")) " "
                strong data-fig="collected" { (n(o, "collected")) } " / "
                span data-fig="issued" { (n(o, "issued")) } " "
                (l.t("phiếu phát ra", "ballots issued")) " ("
                span data-fig="progress_percent" { (o["progress_percent"].as_str().unwrap_or("0.00")) } "%)"
            }
        }
        table.figures {
            @for (k, vi, en) in FIGURES {
                tr { th { (l.t(vi, en)) } td data-fig=(k) { (n(o, k)) } }
            }
        }
        h2 { (l.t("Không hợp lệ, theo lý do", "Invalid as a whole, by reason")) }
        ul data-reasons {
            @if let Some(m) = o["rejected_by_reason"].as_object() {
                @for (k, v) in m { li data-reason=(k) { (reason_label(l, k)) ": " span { (v) } } }
                @if m.is_empty() { li data-none { (l.t("Không có", "None")) } }
            }
        }
        h2 { (l.t("Điều kiện tiến hành (2/3 có mặt)", "Quorum (2/3 present)")) }
        p data-quorum {
            @match (q["convened"].as_u64(), q["present"].as_u64()) {
                (Some(c), Some(p)) => {
                    (l.t("Triệu tập", "Convened")) " " (c) ", " (l.t("có mặt", "present")) " " (p) ": "
                    @if q["met"].as_bool() == Some(true) { strong.ok { (l.t("đủ", "met")) } }
                    @else { strong.bad { (l.t("không đủ", "not met")) } }
                }
                _ => { (l.t("Chưa ghi (kiemphieu meeting)", "Not recorded yet (kiemphieu meeting)")) }
            }
        }
        @if o["watching"].is_object() {
            p.watching {
                (l.t("Đang theo dõi thư mục máy quét", "Watching the scanner's folder")) ": "
                (l.t("chờ đọc", "waiting")) " " span data-watch="waiting" { (o["watching"]["waiting"]) }
            }
        }
        p { a.button href="/review" { (l.t("Duyệt phiếu", "Review sheets")) " (" span data-fig="pending_review" { (n(o, "pending_review")) } ")" } }
    }
}

/// A rejected-by-reason key in words (`ruled_invalid` and the reason codes).
pub fn reason_label(l: Lang, key: &str) -> String {
    if key == "ruled_invalid" {
        return l.t(
            "Ban kiểm phiếu kết luận không hợp lệ",
            "Ruled invalid by the committee",
        );
    }
    crate::record::Reason::parse(key).map_or(key.to_string(), |r| l.reason(r))
}
