//! Who may see and do what: a committee member signs in with name and passphrase (checked
//! against the Argon2id hash in the vote's database) and gets a session cookie (`HttpOnly`,
//! `SameSite=Strict`) and a CSRF token that every form and API post must carry. Repeated
//! failures slow sign-in down, per name and for the whole server.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::i18n::Lang;
use super::room::{Room, blocking, lock};

const COOKIE: &str = "kp_session";
/// A session unused this long is forgotten (a laptop left open overnight).
const IDLE: Duration = Duration::from_secs(8 * 3600);
/// Failed sign-ins for one name before each further one waits.
const FREE_TRIES: u32 = 3;
/// The longest wait after failures.
const MAX_WAIT: Duration = Duration::from_secs(300);
/// Failures on the whole server within a minute before every sign-in waits.
const SERVER_FAILURES_PER_MINUTE: usize = 30;

/// The signed-in member, as handlers see it.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub csrf: String,
    token: String,
}

struct Session {
    member: String,
    csrf: String,
    last_seen: Instant,
    flash: Option<String>,
}

/// The open sessions, by cookie token.
#[derive(Default)]
pub struct Sessions(HashMap<String, Session>);

impl Sessions {
    fn open(&mut self, member: String) -> String {
        let token = random_hex();
        let session = Session {
            member,
            csrf: random_hex(),
            last_seen: Instant::now(),
            flash: None,
        };
        self.0.insert(token.clone(), session);
        token
    }

    fn member(&mut self, token: &str) -> Option<Member> {
        let now = Instant::now();
        self.0.retain(|_, s| now.duration_since(s.last_seen) < IDLE);
        let s = self.0.get_mut(token)?;
        s.last_seen = now;
        Some(Member {
            name: s.member.clone(),
            csrf: s.csrf.clone(),
            token: token.to_string(),
        })
    }

    /// A message shown once on the member's next page ("sheet 12 recorded: …").
    pub fn set_flash(&mut self, member: &Member, text: String) {
        if let Some(s) = self.0.get_mut(&member.token) {
            s.flash = Some(text);
        }
    }

    pub fn take_flash(&mut self, member: &Member) -> Option<String> {
        self.0.get_mut(&member.token).and_then(|s| s.flash.take())
    }
}

/// Failed sign-ins: per name, and across the server.
#[derive(Default)]
pub struct Throttle {
    names: HashMap<String, (u32, Instant)>,
    recent: VecDeque<Instant>,
}

impl Throttle {
    /// How long a sign-in as `name` must still wait, if at all.
    fn wait(&mut self, name: &str, now: Instant) -> Option<Duration> {
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(60))
        {
            self.recent.pop_front();
        }
        let server = (self.recent.len() >= SERVER_FAILURES_PER_MINUTE)
            .then(|| Duration::from_secs(60).saturating_sub(now.duration_since(self.recent[0])));
        let own = self.names.get(name).and_then(|&(n, last)| {
            let wait = lockout(n)?;
            wait.checked_sub(now.duration_since(last))
                .filter(|d| !d.is_zero())
        });
        server.max(own).filter(|d| !d.is_zero())
    }

    fn failed(&mut self, name: &str, now: Instant) {
        let e = self.names.entry(name.to_string()).or_insert((0, now));
        e.0 += 1;
        e.1 = now;
        self.recent.push_back(now);
    }

    fn succeeded(&mut self, name: &str) {
        self.names.remove(name);
    }
}

/// The wait after `failures` failed sign-ins: none for the first few, then doubling.
fn lockout(failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(FREE_TRIES)?;
    Some(Duration::from_secs(1u64 << over.min(16)).min(MAX_WAIT))
}

fn random_hex() -> String {
    let mut b = [0u8; 32];
    // Without randomness no session could be safe: better to stop than to hand out guessable ones.
    getrandom::fill(&mut b).expect("the operating system gives random bytes");
    crate::store::hex(&b)
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Paths whose answer is data rather than a page: refused with 401 when signed out, never
/// redirected (a script, an `<img>`, an event stream cannot follow a sign-in page).
fn is_data_path(path: &str) -> bool {
    ["/api/", "/pictures/", "/events", "/minutes.pdf"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// Lets a signed-in member through; others get 401 (data) or the sign-in page (pages).
pub async fn require_member(
    State(room): State<Arc<Room>>,
    mut req: Request,
    next: Next,
) -> Response {
    let member = cookie(req.headers(), COOKIE).and_then(|t| lock(&room.sessions).member(t));
    match member {
        Some(m) => {
            req.extensions_mut().insert(m);
            next.run(req).await
        }
        None if is_data_path(req.uri().path()) => (
            StatusCode::UNAUTHORIZED,
            "sign in first: POST /login with name and password\n",
        )
            .into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

/// Checks the CSRF token a form or an API post carries against the member's session: the
/// refusal to send back when it does not match.
pub fn csrf_refusal(member: &Member, given: Option<&str>) -> Option<Response> {
    let ok = given.is_some_and(|g| {
        g.len() == member.csrf.len()
            && g.bytes()
                .zip(member.csrf.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    });
    (!ok).then(|| {
        (
            StatusCode::FORBIDDEN,
            "refused: the form's security token is missing or stale; reload the page and try again\n",
        )
            .into_response()
    })
}

/// A post from another site's page (login CSRF): refused when the browser says so
/// (`Sec-Fetch-Site`), or, from a browser that does not, when its `Origin` is not this server.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return !matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else {
                return true;
            };
            origin != format!("http://{host}") && origin != format!("https://{host}")
        }
        _ => false,
    }
}

pub async fn login_page(lang: Lang) -> Response {
    super::pages::login::render(lang, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
}

pub async fn login(
    State(room): State<Arc<Room>>,
    lang: Lang,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if cross_site(&headers) {
        return (
            StatusCode::FORBIDDEN,
            "refused: a sign-in from another site\n",
        )
            .into_response();
    }
    let key = crate::api::member_name(&form.name).unwrap_or_default();
    if let Some(wait) = lock(&room.throttle).wait(&key, Instant::now()) {
        let secs = wait.as_secs().max(1);
        let mut r = super::pages::login::render(
            lang,
            Some(lang.t(
                &format!("Đăng nhập sai nhiều lần. Vui lòng chờ {secs} giây rồi thử lại."),
                &format!("Too many failed sign-ins. Wait {secs} seconds and try again."),
            )),
            StatusCode::TOO_MANY_REQUESTS,
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return r;
    }
    let dir = room.dir.clone();
    let checked = blocking(move || {
        let vote = crate::api::Vote::open_read_only(&dir)?;
        crate::api::check_member(&vote, &form.name, &form.password)
    })
    .await;
    match checked {
        Ok(Some(name)) => {
            lock(&room.throttle).succeeded(&key);
            let token = lock(&room.sessions).open(name);
            let mut r = Redirect::to("/").into_response();
            let c = format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/");
            if let Ok(v) = HeaderValue::from_str(&c) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Ok(None) => {
            lock(&room.throttle).failed(&key, Instant::now());
            super::pages::login::render(
                lang,
                Some(lang.t(
                    "Tên hoặc mật khẩu không đúng.",
                    "The name or the passphrase is wrong.",
                )),
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => super::pages::error_response(lang, &e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

impl CsrfForm {
    pub fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }
}

pub async fn logout(
    State(room): State<Arc<Room>>,
    Extension(member): Extension<Member>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&member, form.csrf.as_deref()) {
        return r;
    }
    lock(&room.sessions).0.remove(&member.token);
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("kp_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_waits_longer_after_each_failure_past_the_free_tries() {
        let mut t = Throttle::default();
        let now = Instant::now();
        for _ in 0..FREE_TRIES {
            assert_eq!(t.wait("a", now), None);
            t.failed("a", now);
        }
        assert_eq!(t.wait("a", now), Some(Duration::from_secs(1)));
        t.failed("a", now);
        assert_eq!(t.wait("a", now), Some(Duration::from_secs(2)));
        assert_eq!(t.wait("a", now + Duration::from_secs(3)), None);
        // Another name is not held up, and a success forgets the failures.
        assert_eq!(t.wait("b", now), None);
        t.succeeded("a");
        assert_eq!(t.wait("a", now), None);
    }

    #[test]
    fn many_failures_on_the_server_slow_every_name() {
        let mut t = Throttle::default();
        let now = Instant::now();
        for i in 0..SERVER_FAILURES_PER_MINUTE {
            t.failed(&format!("n{i}"), now);
        }
        assert!(t.wait("someone", now).is_some());
        assert_eq!(t.wait("someone", now + Duration::from_secs(61)), None);
    }
}
