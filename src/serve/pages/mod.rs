//! The committee's pages, rendered on the server (maud) in the member's language. Scripts add
//! only conveniences (keys, live figures); every action is a plain form with its CSRF token.

pub mod login;
pub mod overview;
pub mod results;
pub mod review;
pub mod sheets;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::api::ApiError;

use super::auth::Member;
use super::i18n::Lang;

/// Which tab of the navigation a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Review,
    Sheets,
    Results,
}

/// A whole page: the head, the navigation with the member and the language switch, a one-time
/// message, and the body. `here` is the page's path (the language switch returns to it).
pub struct Shell<'a> {
    pub lang: Lang,
    pub member: Option<&'a Member>,
    pub title: String,
    pub tab: Option<Tab>,
    pub here: &'a str,
    pub flash: Option<String>,
    /// `data-page` of the body: which behaviour the script gives the page.
    pub kind: &'a str,
}

impl Shell<'_> {
    pub fn render(self, body: Markup) -> Markup {
        let l = self.lang;
        let tab = |t: Tab, href: &str, text: String| {
            html! { a href=(href) class=[(self.tab == Some(t)).then_some("here")] { (text) } }
        };
        let back = format!(
            "/lang?to={}&back={}",
            l.other().code(),
            url_encode(self.here)
        );
        html! {
            (DOCTYPE)
            html lang=(l.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    @if let Some(m) = self.member { meta name="csrf" content=(m.csrf); }
                    title { (self.title) " · kiemphieu" }
                    link rel="stylesheet" href="/assets/app.css";
                    script src="/assets/app.js" defer {}
                }
                body data-page=(self.kind) {
                    header {
                        @if self.member.is_some() {
                            nav {
                                (tab(Tab::Overview, "/", l.t("Tổng quan", "Overview")))
                                (tab(Tab::Review, "/review", l.t("Duyệt phiếu", "Review")))
                                (tab(Tab::Sheets, "/sheets", l.t("Danh sách phiếu", "Sheets")))
                                (tab(Tab::Results, "/results", l.t("Kết quả", "Results")))
                            }
                        }
                        div.who {
                            @if let Some(m) = self.member {
                                span { (m.name) }
                                form method="post" action="/logout" {
                                    input type="hidden" name="csrf" value=(m.csrf);
                                    button { (l.t("Đăng xuất", "Sign out")) }
                                }
                            }
                            a href=(back) { (l.t("English", "Tiếng Việt")) }
                        }
                    }
                    main {
                        @if let Some(f) = &self.flash { p.flash { (f) } }
                        (body)
                    }
                }
            }
        }
    }
}

/// A page as a response with its status.
pub fn page(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// An error as a small page (the message and the hint, in the library's words).
pub fn error_response(lang: Lang, e: &ApiError) -> Response {
    let body = html! {
        h1 { (lang.t("Không thực hiện được", "This could not be done")) }
        p.error { (e.to_string()) }
        @if let Some(h) = e.hint() { p.hint { (h) } }
    };
    let shell = Shell {
        lang,
        member: None,
        title: lang.t("Lỗi", "Error"),
        tab: None,
        here: "/",
        flash: None,
        kind: "error",
    };
    page(super::json::status_of(e), shell.render(body))
}

/// A path as a query value.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A score as shown beside a box.
pub fn score(s: f64) -> String {
    format!("{s:.3}")
}
