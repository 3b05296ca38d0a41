//! A real browser in the counting room: headless Chromium, driven through chromedriver
//! (WebDriver), signs in, watches the overview's figures change live while another command
//! decides a sheet, decides sheets with the keyboard, and downloads the minutes. Screenshots go
//! to `target/serve-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without
//! `/usr/bin/chromedriver` the test fails and says how to install them.

mod common;
mod serve_common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use kiemphieu::api::Vote;
use serve_common::{NAME, OTHER, OTHER_PASS, PASS, fresh_vote};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A child process ended when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `kiemphieu serve` on a free port (with `extra` options); returns it with its URL (its first
/// line).
fn serve(vote: &Path, extra: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiemphieu"))
        .args(["serve", vote.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .trim()
        .to_string();
    (Running(child), url)
}

/// One browser at a time: two tests asking for a free port at once may be given the same one,
/// and the second chromedriver, unable to listen, leaves its test talking to the first's.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn chromedriver() -> (Running, String) {
    assert!(
        Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists(),
        "the browser test needs {CHROMEDRIVER} and {CHROMIUM}: install them with \
         `apt-get update && apt-get install -y chromium chromium-driver` (.ci/run does)"
    );
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut child = Running(child);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Still running: the port that answers is this chromedriver's, not another's.
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "chromedriver on port {port} stopped (the port taken?)"
    );
    (child, format!("http://127.0.0.1:{port}"))
}

async fn browser(driver: &str, profile: &Path, downloads: &Path) -> Client {
    let caps = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {
                "download.default_directory": downloads.to_str().unwrap(),
                "download.prompt_for_download": false,
            },
        },
    });
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps.as_object().unwrap().clone())
        .connect(driver)
        .await
        .expect("a session with chromedriver")
}

fn shots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("serve-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots().join(name), png).unwrap();
}

async fn key(c: &Client, k: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k });
    c.perform_actions(keys).await.unwrap();
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits until `css`'s text is `want` (the page changes it itself, or a new page loads).
async fn wait_text(c: &Client, css: &str, want: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let now = match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css}: {now:?}, waited for {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Signs in on the sign-in page as `name`, and waits for the overview.
async fn sign_in(c: &Client, url: &str, name: &str, pass: &str) {
    c.goto(&format!("{url}/login")).await.unwrap();
    for (field, value) in [("name", name), ("password", pass)] {
        c.find(Locator::Css(&format!("input[name={field}]")))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    c.find(Locator::Css("form.login button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(c, "/").await;
}

async fn pictures_loaded(c: &Client) {
    let loaded = "return [...document.images].every(i => i.complete && i.naturalWidth > 0)";
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.execute(loaded, vec![]).await.unwrap() != serde_json::json!(true) {
        assert!(Instant::now() < deadline, "the pictures did not load");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_path(c: &Client, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while c.current_url().await.unwrap().path() != path {
        assert!(
            Instant::now() < deadline,
            "still at {}",
            c.current_url().await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_signs_in_decides_with_the_keyboard_sees_the_count_change_and_downloads_the_minutes()
 {
    let _one = ONE_BROWSER.lock().await;
    let (dir, vote) = fresh_vote();
    let (driver, driver_url) = chromedriver();
    let (server, url) = serve(&vote, &[]);
    let downloads = dir.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let c = browser(&driver_url, &dir.path().join("profile"), &downloads).await;

    // Signed out, the overview sends to the sign-in page.
    c.goto(&url).await.unwrap();
    wait_path(&c, "/login").await;
    shot(&c, "01-sign-in.png").await;
    c.find(Locator::Css("input[name=name]"))
        .await
        .unwrap()
        .send_keys(NAME)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(PASS)
        .await
        .unwrap();
    c.find(Locator::Css("form.login button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, "/").await;
    assert_eq!(text_of(&c, "[data-fig=pending_review]").await, "3");
    assert_eq!(text_of(&c, "[data-fig=counted]").await, "2");

    // Another member decides sheet 4 from a terminal: the open overview follows, unreloaded.
    c.execute("document.body.dataset.marker = 'same page'", vec![])
        .await
        .unwrap();
    serve_common::accept_sheet_4_in_a_terminal(&vote);
    wait_text(
        &c,
        "[data-fig=pending_review]",
        "2",
        Duration::from_secs(10),
    )
    .await;
    wait_text(&c, "[data-fig=counted]", "3", Duration::from_secs(5)).await;
    let marker = c
        .execute("return document.body.dataset.marker", vec![])
        .await
        .unwrap();
    assert_eq!(marker, "same page", "the figures changed without a reload");
    shot(&c, "02-overview-live.png").await;

    // The review queue: sheet 1, row 1 in question (a pencil ring in the first box); the key 1
    // reads it as the first level and, the only row in question, sends the decision.
    c.goto(&format!("{url}/review")).await.unwrap();
    wait_path(&c, "/review/1").await;
    let loaded = "return [...document.images].every(i => i.complete && i.naturalWidth > 0)";
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.execute(loaded, vec![]).await.unwrap() != serde_json::json!(true) {
        assert!(Instant::now() < deadline, "the pictures did not load");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shot(&c, "03-review-sheet-1.png").await;
    key(&c, '1').await;
    wait_path(&c, "/review/3").await;
    let flash = text_of(&c, ".flash").await;
    assert!(
        flash.contains("Phiếu 1 đã ghi") && flash.contains("dòng 1: Tín nhiệm cao"),
        "{flash}"
    );
    shot(&c, "04-review-sheet-3.png").await;
    // Sheet 3 carries sheet 1's serial: R rules it invalid; then nothing is left.
    key(&c, 'r').await;
    wait_path(&c, "/review").await;
    let done = text_of(&c, "p.done").await;
    assert!(done.contains("Không còn phiếu"), "{done}");

    c.goto(&url).await.unwrap();
    wait_text(&c, "[data-fig=pending_review]", "0", Duration::from_secs(5)).await;
    assert_eq!(text_of(&c, "[data-fig=counted]").await, "4");
    shot(&c, "05-overview-done.png").await;

    // The results, and the minutes downloaded: final now.
    c.goto(&format!("{url}/results")).await.unwrap();
    shot(&c, "06-results.png").await;
    c.find(Locator::Css("#minutes"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let pdf = loop {
        let done = std::fs::read_dir(&downloads)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "pdf"));
        if let Some(p) = done {
            break p;
        }
        assert!(Instant::now() < deadline, "no minutes downloaded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        pdf.file_name().unwrap(),
        "bien-ban-tin-nhiem-so-khcn-2023.pdf"
    );
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));

    // The record: both keyboard decisions in the member's name.
    let v = Vote::open_read_only(&vote).unwrap();
    let by: Vec<(i64, String)> = v
        .store
        .decision_rows()
        .unwrap()
        .into_iter()
        .map(|d| (d.sheet, d.reviewer))
        .collect();
    assert_eq!(
        by,
        [
            (4, OTHER.to_string()),
            (1, NAME.to_string()),
            (3, NAME.to_string())
        ]
    );
    c.close().await.unwrap();
    drop(server);
    drop(driver);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_two_person_review_one_member_proposes_with_the_keyboard_and_another_confirms_with_c()
{
    let _one = ONE_BROWSER.lock().await;
    let (dir, vote) = fresh_vote();
    let (driver, driver_url) = chromedriver();
    let (server, url) = serve(&vote, &["--two-person"]);
    let c = browser(&driver_url, &dir.path().join("profile"), dir.path()).await;

    // The first member reads row 1 of sheet 1 with the key 1: a proposal, the sheet stays.
    sign_in(&c, &url, NAME, PASS).await;
    c.goto(&format!("{url}/review/1")).await.unwrap();
    pictures_loaded(&c).await;
    key(&c, '1').await;
    wait_path(&c, "/review/3").await;
    let flash = text_of(&c, ".flash").await;
    assert!(
        flash.contains("Phiếu 1 đã đề xuất") && flash.contains("chờ một thành viên khác"),
        "{flash}"
    );
    c.goto(&format!("{url}/review/1")).await.unwrap();
    pictures_loaded(&c).await;
    let proposal = text_of(&c, "section.proposal").await;
    assert!(proposal.contains("Rút đề xuất"), "{proposal}");
    shot(&c, "07-two-person-own-proposal.png").await;
    // C does nothing for the proposer: there is no confirm button for them.
    key(&c, 'c').await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(c.current_url().await.unwrap().path(), "/review/1");
    c.goto(&url).await.unwrap();
    assert_eq!(text_of(&c, "[data-fig=pending_review]").await, "3");

    // The second member sees who proposed what, and confirms with C.
    c.find(Locator::Css(".who form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, "/login").await;
    sign_in(&c, &url, OTHER, OTHER_PASS).await;
    c.goto(&format!("{url}/review/1")).await.unwrap();
    pictures_loaded(&c).await;
    assert_eq!(text_of(&c, "strong.proposer").await, NAME);
    assert!(
        text_of(&c, "span.proposed")
            .await
            .contains("dòng 1: Tín nhiệm cao")
    );
    shot(&c, "08-two-person-to-confirm.png").await;
    key(&c, 'c').await;
    wait_path(&c, "/review/3").await;
    let flash = text_of(&c, ".flash").await;
    assert!(
        flash.contains("Phiếu 1 đã ghi")
            && flash.contains(&format!("đề xuất: {NAME}, xác nhận: {OTHER}")),
        "{flash}"
    );
    c.goto(&url).await.unwrap();
    assert_eq!(text_of(&c, "[data-fig=pending_review]").await, "2");

    let v = Vote::open_read_only(&vote).unwrap();
    let rows = v.store.decision_rows().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].sheet, rows[0].reviewer.as_str()), (1, NAME));
    assert!(
        rows[0]
            .body
            .contains(&format!(r#""confirmed_by":"{OTHER}""#)),
        "{}",
        rows[0].body
    );
    c.close().await.unwrap();
    drop(server);
    drop(driver);
}
