//! The pages speak Vietnamese, or English when the member switches (a `lang` cookie). Texts sit
//! beside their use as pairs, `lang.t("vi", "en")`; the machine's reasons are worded here.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::decision::{ENGLISH, Resolution, Wording, describe_in};
use crate::record::{Outcome, Reason};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    /// The text in this language.
    pub fn t<'a>(self, vi: &'a str, en: &'a str) -> String {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
        .to_string()
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// What the machine found, in words a committee member reads.
    pub fn reason(self, r: Reason) -> String {
        let (vi, en) = match r {
            Reason::NotIssued => (
                "Số sê-ri không do Ban kiểm phiếu in ra",
                "The serial was never printed for this vote",
            ),
            Reason::WrongVote => ("Phiếu của cuộc lấy phiếu khác", "A ballot of another vote"),
            Reason::Voided => (
                "Phiếu đã huỷ (trả lại, không dùng)",
                "A ballot returned unused and voided",
            ),
            Reason::DuplicateSerial => (
                "Trùng số sê-ri với phiếu đã đọc: cùng một tờ quét lại, hoặc bản sao",
                "Same serial as a sheet already read: the same sheet again, or a copy",
            ),
            Reason::QrUnreadable => (
                "Không đọc được mã QR: nhập số sê-ri in bên cạnh",
                "The QR code could not be read: type the serial printed beside it",
            ),
            Reason::RegistrationFailed => (
                "Không định vị được trang: đọc từng dòng bằng mắt",
                "The page could not be located: read every row by eye",
            ),
            Reason::MissingStamp => (
                "Không thấy dấu treo: kiểm tra dấu trên tờ phiếu",
                "No stamp found: check the stamp on the paper",
            ),
            Reason::AmbiguousMark => (
                "Dấu đánh không rõ ở dòng được khoanh",
                "An unclear mark in the rows outlined",
            ),
            Reason::NotAnImage => ("Tệp không phải ảnh", "The file is not an image"),
            Reason::ImageTooLarge => ("Ảnh quá lớn", "The image is too large"),
            Reason::ReadFailed => ("Không đọc được tệp", "The file could not be read"),
            Reason::NoScannedImage => (
                "Trang PDF không có ảnh quét",
                "A PDF page with no scanned image",
            ),
        };
        self.t(vi, en)
    }

    /// What a sheet counts as (a decision's outcome), with the levels as printed. English is
    /// the terminal's sentence (`review decide` prints the same).
    pub fn resolution(self, r: &Resolution, levels: &[String]) -> String {
        const VIETNAMESE: Wording<'static> = Wording {
            counted: "được đếm",
            row: "dòng",
            invalid: "không hợp lệ",
            level: "mức",
            rejected: "đã thu nhưng không hợp lệ cả tờ (mọi dòng không hợp lệ)",
            not_collected: "để riêng: không thu, không đếm",
            waiting: "còn chờ người quyết định",
            waiting_says_why: false,
        };
        let words = match self {
            Lang::Vi => &VIETNAMESE,
            Lang::En => &ENGLISH,
        };
        describe_in(r, levels, words)
    }

    pub fn outcome(self, o: Outcome) -> String {
        let (vi, en) = match o {
            Outcome::Counted => ("Đã đếm", "Counted"),
            Outcome::Rejected => ("Không hợp lệ", "Rejected"),
            Outcome::Review => ("Chờ duyệt", "For review"),
            Outcome::AlreadyScanned => ("Đã quét rồi", "Already scanned"),
            Outcome::Blank => ("Trang trắng", "Blank page"),
            Outcome::Error => ("Lỗi đọc", "Unreadable"),
        };
        self.t(vi, en)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Lang, Infallible> {
        let en = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .any(|kv| kv.trim() == "lang=en");
        Ok(if en { Lang::En } else { Lang::Vi })
    }
}

#[derive(Deserialize)]
pub struct Switch {
    to: String,
    back: Option<String>,
}

/// `GET /lang?to=en&back=/review`: remembers the language, returns to the page (a path on this
/// server only).
pub async fn switch(Query(q): Query<Switch>) -> Response {
    let code = if q.to == "en" { "en" } else { "vi" };
    let back = q
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/".into());
    let mut r = Redirect::to(&back).into_response();
    let c = format!("lang={code}; SameSite=Strict; Path=/; Max-Age=31536000");
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
