//! A real headless Chromium for the console's tests: [`Browser::start`] runs Debian's `chromedriver` on
//! a free loopback port, [`Browser::session`] opens a [`Page`] (its own profile, so its own cookies: a
//! maker and a checker side by side), and the page's helpers find controls the way a person does, by
//! visible label or field name. [`Page::screenshot`] writes the whole page at the session's width;
//! [`Page::assert_accessible`] runs the vendored axe-core (`browser/axe.min.js`, see the README there)
//! and fails on any serious or critical finding.
//!
//! Without `chromedriver` or `chromium` a test says so and passes, unless `KEYGATE_TEST_DATABASE_URL` or
//! `CI` is set (as in CI, where `.ci/run` installs Debian's `chromium` and `chromium-driver`): then it
//! fails.

use std::fmt;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::cookies::Cookie;
use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use serde_json::{json, Value};

/// axe-core, injected into a page through WebDriver (which a page's Content-Security-Policy does not
/// stop, so the console needs no exception for it).
const AXE: &str = include_str!("browser/axe.min.js");

/// The viewport's height; a screenshot grows it to the page's full height for the shot.
const HEIGHT: u32 = 900;

/// The tallest screenshot taken, so a runaway page cannot ask Chromium for a giant bitmap.
const MAX_SHOT_HEIGHT: u32 = 8000;

/// `chromedriver` running as a child in a process group and a temporary folder of its own (the
/// browsers' profiles go there through `TMPDIR`); stopped, with its browsers, and the folder removed
/// when dropped.
pub struct Browser {
    child: Child,
    port: u16,
    chromium: PathBuf,
    dir: PathBuf,
}

impl Drop for Browser {
    /// chromedriver's `/shutdown` quits every session still open (a test that panicked closed none),
    /// then SIGKILL to the group takes whatever is left.
    fn drop(&mut self) {
        let _ = request(self.port, "/shutdown");
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Browser {
    /// chromedriver, ready for sessions; `None` (saying why) when it or Chromium is not installed and
    /// neither `CI` nor `KEYGATE_TEST_DATABASE_URL` is set, a panic when one is.
    pub async fn start() -> Option<Browser> {
        let (Some(driver), Some(chromium)) = (installed("chromedriver"), installed("chromium")) else {
            let required = std::env::var_os("KEYGATE_TEST_DATABASE_URL").is_some() || std::env::var_os("CI").is_some();
            assert!(
                !required,
                "chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver); \
                 .ci/run installs them"
            );
            // Outside CI a developer without a browser is not stopped, but is told the test did nothing.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("browser test skipped: chromium or chromedriver is not installed (apt-get install chromium chromium-driver)");
            }
            return None;
        };
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("keygate-browser-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .env("TMPDIR", &dir)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", driver.display()));
        let mut browser = Browser { child, port, chromium, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !request(port, "/status").is_ok_and(|status| status.contains("\"ready\":true")) {
            if let Ok(Some(status)) = browser.child.try_wait() {
                panic!("chromedriver stopped at start ({status})");
            }
            assert!(Instant::now() < deadline, "chromedriver did not answer within 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Some(browser)
    }

    /// A new headless Chromium whose viewport is `width` × 900 CSS pixels, with a profile (cookies, storage) of its own.
    /// A native `confirm()` or `alert()` is accepted at once.
    pub async fn session(&self, width: u32) -> Page {
        let mut capabilities = Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("unhandledPromptBehavior".into(), json!("accept"));
        let args = [
            "--headless=new",
            // Root (as in CI) cannot use Chromium's sandbox.
            "--no-sandbox",
            "--disable-gpu",
            // Containers give /dev/shm 64 MB, too little for a renderer.
            "--disable-dev-shm-usage",
            "--force-device-scale-factor=1",
            // Scrollbars would take width from the layout and show in screenshots.
            "--hide-scrollbars",
        ];
        capabilities.insert("goog:chromeOptions".into(), json!({ "binary": self.chromium, "args": args }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| panic!("chromium does not start a session: {e}"));
        // `--window-size` would give at least 500 px of width; WebDriver's resize gives the width asked.
        client.set_window_size(width, HEIGHT).await.unwrap();
        let viewport = client.execute("return window.innerHeight", Vec::new()).await.unwrap();
        let frame = viewport.as_u64().and_then(|h| u32::try_from(h).ok()).map_or(0, |h| HEIGHT.saturating_sub(h));
        let page = Page { client, width, frame };
        page.client.set_window_size(width, HEIGHT + frame).await.unwrap();
        page
    }
}

/// One browser session. Every helper panics with what it looked for, the URL and the page's text
/// when the page does not hold it.
pub struct Page {
    client: Client,
    width: u32,
    /// What the window's height counts beyond the viewport's (headless Chromium keeps a frame).
    frame: u32,
}

/// One axe-core rule a page breaks, with the CSS selectors of the elements that break it.
#[derive(Debug, Deserialize)]
pub struct Violation {
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    pub help: String,
    pub targets: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {} at {}", self.impact, self.id, self.help, self.targets.join(", "))
    }
}

/// axe over the whole document, violations only, each flattened to [`Violation`]'s shape.
const RUN_AXE: &str = r"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ['violations'] }).then(
  (result) => done(result.violations.map((v) => ({
    id: v.id,
    impact: v.impact || 'unknown',
    help: v.help,
    targets: v.nodes.map((n) => n.target.map((t) => [].concat(t).join(' >>> ')).join(' | ')),
  }))),
  (error) => done({ error: String(error) }),
);";

impl Page {
    /// The fantoccini client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits for it to load.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("could not open {url}: {e}"));
    }

    /// Clicks the first visible `<button>` whose text is `label` or `<input type="submit">` whose value
    /// is (spaces collapsed), and waits for the navigation it starts.
    pub async fn click_button(&self, label: &str) {
        let label = xpath_literal(label);
        let xpath = format!(
            "//button[normalize-space(.)={label}] | //input[@type='submit' and normalize-space(@value)={label}]"
        );
        self.click(Locator::XPath(&xpath), &format!("button {label}")).await;
    }

    /// Clicks the first visible link whose text is `text` (spaces collapsed).
    pub async fn click_link(&self, text: &str) {
        let text = xpath_literal(text);
        self.click(Locator::XPath(&format!("//a[normalize-space(.)={text}]")), &format!("link {text}")).await;
    }

    /// Replaces the value of the visible `<input>` or `<textarea>` named `name`.
    pub async fn fill(&self, name: &str, value: &str) {
        let name = css_string(name);
        let css = format!("input[name={name}]:not([type=hidden]), textarea[name={name}]");
        let field = self.visible(Locator::Css(&css), &format!("field {name}")).await;
        field.clear().await.unwrap_or_else(|e| panic!("field {name} cannot be cleared: {e}"));
        field.send_keys(value).await.unwrap_or_else(|e| panic!("field {name} cannot be typed into: {e}"));
    }

    /// Makes sure the checkbox (or radio button) `name` with value `value` is ticked.
    pub async fn check(&self, name: &str, value: &str) {
        self.tick(name, value, true).await;
    }

    /// Makes sure the checkbox `name` with value `value` is not ticked.
    pub async fn uncheck(&self, name: &str, value: &str) {
        self.tick(name, value, false).await;
    }

    /// Chooses the option whose `value` is `value` in the `<select>` named `name`.
    pub async fn select(&self, name: &str, value: &str) {
        let css = format!("select[name={}]", css_string(name));
        let list = self.visible(Locator::Css(&css), &format!("list {name:?}")).await;
        list.select_by_value(value).await.unwrap_or_else(|e| panic!("list {name:?} has no option {value:?}: {e}"));
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        let found = self.client.find(Locator::Css(css)).await;
        let Ok(element) = found else { self.fail(&format!("no element {css:?}")).await };
        element.text().await.unwrap()
    }

    /// Whether any element in the document matches `css`, shown or not.
    pub async fn exists(&self, css: &str) -> bool {
        !self.client.find_all(Locator::Css(css)).await.unwrap().is_empty()
    }

    /// Whether an element matching `css` is shown (not hidden, not in a closed `<dialog>`).
    pub async fn is_visible(&self, css: &str) -> bool {
        for element in self.client.find_all(Locator::Css(css)).await.unwrap() {
            if element.is_displayed().await.unwrap_or(false) {
                return true;
            }
        }
        false
    }

    /// The page's visible text. Read again when the page was replaced between finding its body and
    /// reading it (a navigation finishing), so the text is always one whole page's.
    pub async fn body_text(&self) -> String {
        let mut tries = 0;
        loop {
            let text = match self.client.find(Locator::Css("body")).await {
                Ok(body) => body.text().await,
                Err(error) => Err(error),
            };
            match text {
                Ok(text) => return text,
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(error) => panic!("the page's text cannot be read: {error}"),
            }
        }
    }

    pub async fn current_url(&self) -> String {
        self.client.current_url().await.unwrap().to_string()
    }

    pub async fn refresh(&self) {
        self.client.refresh().await.unwrap();
    }

    pub async fn back(&self) {
        self.client.back().await.unwrap();
    }

    /// The cookies the browser would send to the current URL (so a `Path=/console` cookie shows only
    /// on a console page), `HttpOnly` ones included.
    pub async fn cookies(&self) -> Vec<Cookie<'static>> {
        self.client.get_all_cookies().await.unwrap()
    }

    /// Writes a PNG of the whole page (the window made as tall as the page for the shot, at most
    /// 8000 pixels) at the session's width, creating `path`'s folders.
    pub async fn screenshot(&self, path: &Path) {
        let tall = self.execute("return document.documentElement.scrollHeight").await;
        let tall = tall.as_u64().and_then(|h| u32::try_from(h).ok()).unwrap_or(HEIGHT).clamp(HEIGHT, MAX_SHOT_HEIGHT);
        self.client.set_window_size(self.width, tall + self.frame).await.unwrap();
        let png = self.client.screenshot().await;
        self.client.set_window_size(self.width, HEIGHT + self.frame).await.unwrap();
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).unwrap();
        }
        std::fs::write(path, png.unwrap()).unwrap_or_else(|e| panic!("{} not written: {e}", path.display()));
    }

    /// Runs `script` as a function body in the page (WebDriver's Execute Script, which the page's
    /// Content-Security-Policy does not block) and returns what it returns.
    pub async fn execute(&self, script: &str) -> Value {
        self.client.execute(script, Vec::new()).await.unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Ends the session and its browser.
    pub async fn close(self) {
        self.client.close().await.unwrap();
    }

    /// Every axe-core violation on the current page, of any impact.
    pub async fn accessibility_violations(&self) -> Vec<Violation> {
        if self.execute("return typeof window.axe === 'object'").await != json!(true) {
            self.client.execute(AXE, Vec::new()).await.unwrap_or_else(|e| panic!("axe-core does not load: {e}"));
        }
        let result = self.client.execute_async(RUN_AXE, Vec::new()).await.unwrap();
        serde_json::from_value(result.clone()).unwrap_or_else(|_| panic!("axe-core did not run: {result}"))
    }

    /// Fails, listing each one, when the current page has a serious or critical axe-core violation.
    pub async fn assert_accessible(&self, page_name: &str) {
        let found = self.accessibility_violations().await;
        let serious: Vec<String> = found
            .iter()
            .filter(|v| matches!(v.impact.as_str(), "serious" | "critical"))
            .map(|v| format!("{v}"))
            .collect();
        assert!(
            serious.is_empty(),
            "{page_name} ({}) has {} serious or critical accessibility violation(s):\n  {}",
            self.current_url().await,
            serious.len(),
            serious.join("\n  ")
        );
    }

    async fn tick(&self, name: &str, value: &str, ticked: bool) {
        let css = format!("input[name={}][value={}]", css_string(name), css_string(value));
        let what = format!("checkbox {name:?} = {value:?}");
        let element = self.visible(Locator::Css(&css), &what).await;
        if element.is_selected().await.unwrap() != ticked {
            element.click().await.unwrap_or_else(|e| panic!("{what} cannot be clicked: {e}"));
        }
        assert_eq!(element.is_selected().await.unwrap(), ticked, "{what} did not change (disabled?)");
    }

    async fn click(&self, locator: Locator<'_>, what: &str) {
        let element = self.visible(locator, what).await;
        let navigates = navigates(&element).await;
        let old = self.client.find(Locator::Css("html")).await.ok();
        element.click().await.unwrap_or_else(|e| panic!("{what} cannot be clicked: {e}"));
        // chromedriver may answer a click that submits a form or follows a link before the new page
        // replaced the old one: wait until the old document is gone, so what is read next is the new
        // page (bounded: a submit that script turns into something else never navigates).
        if let (true, Some(old)) = (navigates, old) {
            let deadline = Instant::now() + Duration::from_secs(3);
            while old.tag_name().await.is_ok() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// The first shown element `locator` finds.
    async fn visible(&self, locator: Locator<'_>, what: &str) -> Element {
        for element in self.client.find_all(locator).await.unwrap() {
            if element.is_displayed().await.unwrap_or(false) {
                return element;
            }
        }
        self.fail(&format!("no visible {what}")).await
    }

    async fn fail(&self, what: &str) -> ! {
        let url = self.current_url().await;
        let text = self.body_text().await;
        panic!("{what} on {url}; the page reads:\n{text}")
    }
}

/// Whether clicking `element` loads another page: a link to another address, or a form's submit button.
async fn navigates(element: &Element) -> bool {
    let tag = element.tag_name().await.unwrap_or_default().to_ascii_lowercase();
    match tag.as_str() {
        "a" => element.attr("href").await.ok().flatten().is_some_and(|href| !href.starts_with('#')),
        "button" | "input" => element.prop("type").await.ok().flatten().is_some_and(|t| t == "submit"),
        _ => false,
    }
}

/// The path of `name` on `PATH`, else in `/usr/bin`.
fn installed(name: &str) -> Option<PathBuf> {
    let found =
        Command::new("sh").args(["-c", &format!("command -v {name}")]).output().ok().filter(|o| o.status.success());
    let on_path = found.map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    on_path.or_else(|| Some(Path::new("/usr/bin").join(name))).filter(|p| p.exists())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A bare `GET` to chromedriver, usable in `Drop` where no runtime may be awaited. chromedriver
/// answers `Connection: close` but keeps the connection open, so the body ends at its
/// `Content-Length`.
fn request(port: u16, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let read = stream.read(&mut buf)?;
        answer.extend_from_slice(&buf[..read]);
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
            });
            if read == 0 || length.is_none_or(|length| body.len() >= length) {
                return Ok(text.into_owned());
            }
        } else if read == 0 {
            return Ok(text.into_owned());
        }
    }
}

/// `text` as an XPath string literal, whatever quotes it holds.
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        format!("concat('{}')", text.replace('\'', "', \"'\", '"))
    }
}

/// `text` as a quoted CSS string.
fn css_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

mod tests;
