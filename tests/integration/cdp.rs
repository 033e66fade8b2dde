//! Just enough of the Chrome DevTools Protocol for the browser tests, spoken over
//! `--remote-debugging-pipe` (JSON messages ended by NUL on file descriptors 3 and 4), so no
//! WebSocket or HTTP stack is built for them. A CDP client crate with those stacks was about
//! a minute and a half of the first build (benches/README.md, "The first build").

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{IntoRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Longest wait for one answer or event: a loaded CI machine is slow, a hung browser is not.
const WAIT: Duration = Duration::from_secs(120);

pub struct Browser {
    child: Child,
    to: Mutex<std::fs::File>,
    from: Mutex<Receiver<Value>>,
    next: Mutex<u64>,
    /// Events received while waiting for answers, in order.
    events: Mutex<Vec<Value>>,
    _profile: tempfile::TempDir,
}

/// Duplicates `fd` onto `target` in the child (clearing close-on-exec), going through a free
/// descriptor first in case `fd` already is `target`.
fn place(fd: i32, target: i32) -> std::io::Result<()> {
    // SAFETY: fcntl and dup2 on descriptors this process owns; both are async-signal-safe.
    unsafe {
        let spare = libc::fcntl(fd, libc::F_DUPFD, 10);
        if spare < 0 || libc::dup2(spare, target) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

impl Browser {
    /// Starts headless Chromium at `path` with `args`, a fresh profile and the pipe.
    pub fn launch(path: &Path, args: &[&str]) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (ours_read, theirs_write) = std::io::pipe().unwrap();
        let (theirs_read, ours_write) = std::io::pipe().unwrap();
        // Raw, so that they stay open until the child has them; closed after the spawn.
        let (r, w) = (theirs_read.into_raw_fd(), theirs_write.into_raw_fd());
        let mut cmd = Command::new(path);
        cmd.arg("--headless")
            .arg("--remote-debugging-pipe")
            .arg("--no-sandbox")
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args(args)
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: the closure only calls `place`, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                place(r, 3)?;
                place(w, 4)
            });
        }
        let child = cmd.spawn().expect("Chromium starts");
        // SAFETY: r and w are ours, and the child has its own copies now.
        unsafe {
            libc::close(r);
            libc::close(w);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(ours_read);
            let mut buf = Vec::new();
            while reader.read_until(0, &mut buf).unwrap_or(0) > 0 {
                if buf.last() == Some(&0) {
                    buf.pop();
                }
                if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
                buf.clear();
            }
        });
        Browser {
            child,
            to: Mutex::new(std::fs::File::from(OwnedFd::from(ours_write))),
            from: Mutex::new(rx),
            next: Mutex::new(0),
            events: Mutex::new(Vec::new()),
            _profile: profile,
        }
    }

    fn receive(&self) -> Value {
        match self.from.lock().unwrap().recv_timeout(WAIT) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("Chromium did not answer in {WAIT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("Chromium closed the pipe"),
        }
    }

    /// Calls `method` (in a tab's session if given) and returns its result; a protocol error
    /// fails the test.
    pub fn call(&self, session: Option<&str>, method: &str, params: Value) -> Value {
        let id = {
            let mut next = self.next.lock().unwrap();
            *next += 1;
            *next
        };
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = s.into();
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.lock().unwrap().write_all(&bytes).unwrap();
        loop {
            let v = self.receive();
            if v["id"] == id {
                assert!(v["error"].is_null(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
            self.events.lock().unwrap().push(v);
        }
    }

    /// A new tab, attached in its own session.
    pub fn new_tab(&self) -> Tab<'_> {
        let target = self.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        Tab {
            browser: self,
            session: attached["sessionId"].as_str().unwrap().to_string(),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Tab<'a> {
    browser: &'a Browser,
    session: String,
}

impl Tab<'_> {
    pub fn call(&self, method: &str, params: Value) -> Value {
        self.browser.call(Some(&self.session), method, params)
    }

    /// Events of this tab received so far, taken out (the pipe is drained first).
    pub fn events(&self) -> Vec<Value> {
        while let Ok(v) = self.browser.from.lock().unwrap().try_recv() {
            self.browser.events.lock().unwrap().push(v);
        }
        let mut all = self.browser.events.lock().unwrap();
        let (mine, others) = all.drain(..).partition(|e| e["sessionId"] == *self.session);
        *all = others;
        mine
    }

    /// Opens `url` and waits for its load event.
    pub fn navigate(&self, url: &str) {
        self.call("Page.enable", json!({}));
        // Only a load event after this navigation counts.
        self.browser
            .events
            .lock()
            .unwrap()
            .retain(|e| !(e["sessionId"] == *self.session && e["method"] == "Page.loadEventFired"));
        let frame = self.call("Page.navigate", json!({"url": url}));
        assert!(
            frame["errorText"].is_null(),
            "{url}: {}",
            frame["errorText"]
        );
        let start = Instant::now();
        loop {
            let loaded = {
                let events = self.browser.events.lock().unwrap();
                events.iter().any(|e| {
                    e["sessionId"] == *self.session && e["method"] == "Page.loadEventFired"
                })
            };
            if loaded {
                return;
            }
            assert!(start.elapsed() < WAIT, "{url} did not load in {WAIT:?}");
            let v = self.browser.receive();
            self.browser.events.lock().unwrap().push(v);
        }
    }

    /// Evaluates `js`, which returns JSON text, in the page.
    pub fn eval(&self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": js, "returnByValue": true}),
        );
        assert!(
            r["exceptionDetails"].is_null(),
            "{js}: {}",
            r["exceptionDetails"]
        );
        serde_json::from_str(r["result"]["value"].as_str().unwrap()).unwrap()
    }

    /// The bytes of a base64 `data` result (screenshots, PDFs).
    pub fn data(&self, method: &str, params: Value) -> Vec<u8> {
        use base64::Engine;
        let r = self.call(method, params);
        base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap()
    }
}
