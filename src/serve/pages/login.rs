//! The sign-in page: the only page shown to someone not signed in, with no vote data on it.

use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::{Shell, page};
use crate::serve::i18n::Lang;

pub fn render(lang: Lang, error: Option<String>, status: StatusCode) -> Response {
    let body = html! {
        h1 { (lang.t("Ban kiểm phiếu: đăng nhập", "Counting committee: sign in")) }
        @if let Some(e) = &error { p.error { (e) } }
        form.login method="post" action="/login" {
            label { (lang.t("Họ và tên", "Name")) input name="name" autocomplete="username" required autofocus; }
            label { (lang.t("Mật khẩu", "Passphrase")) input name="password" type="password" autocomplete="current-password" required; }
            button { (lang.t("Đăng nhập", "Sign in")) }
        }
        p.hint { (lang.t(
            "Thành viên được thêm bằng lệnh: kiemphieu committee add VOTE --name \"Họ và tên\"",
            "Members are added with: kiemphieu committee add VOTE --name \"Full name\"",
        )) }
    };
    let shell = Shell {
        lang,
        member: None,
        title: lang.t("Đăng nhập", "Sign in"),
        tab: None,
        here: "/login",
        flash: None,
        kind: "login",
    };
    page(status, shell.render(body))
}
