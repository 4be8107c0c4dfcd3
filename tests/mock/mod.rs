//! An in-process mock of the Cloudflare API on 127.0.0.1 for the `token`
//! tests: each test scripts its replies with a closure and afterwards reads
//! every request the mock saw (method, URL, headers, body).
#![allow(dead_code)]

pub mod cli;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the mock received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn query(&self, key: &str) -> Option<String> {
        let q = self.url.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == key).then(|| v.replace("%3A", ":"))
        })
    }
    /// The whole request as bytes, for no-leak checks beyond one header.
    pub fn without(&self, header: &str) -> String {
        let mut s = format!("{} {}\n", self.method, self.url);
        for (k, v) in &self.headers {
            if !k.eq_ignore_ascii_case(header) {
                s.push_str(&format!("{k}: {v}\n"));
            }
        }
        s + &self.body
    }
}

/// A scripted reply.
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
    /// Wait this long before answering (timeouts).
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply::raw(status, body.to_string())
    }
    pub fn raw(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            body: body.into(),
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }
    pub fn ok(result: serde_json::Value) -> Reply {
        Reply::json(
            200,
            serde_json::json!({"success": true, "errors": [], "messages": [], "result": result}),
        )
    }
    pub fn error(status: u16, code: i64, message: &str) -> Reply {
        Reply::json(
            status,
            serde_json::json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null}),
        )
    }
    pub fn header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }
}

type Script = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

pub struct Mock {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    server: Arc<tiny_http::Server>,
}

impl Mock {
    /// Starts a mock; `script(request, n)` answers the n-th request (0-based).
    pub fn start(script: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Mock {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let base = format!("http://{}", server.server_addr().to_ip().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let count = Arc::new(AtomicUsize::new(0));
        {
            let (server, seen) = (server.clone(), seen.clone());
            std::thread::spawn(move || {
                while let Ok(mut req) = server.recv() {
                    let mut body = String::new();
                    let _ = req.as_reader().read_to_string(&mut body);
                    let s = Seen {
                        method: req.method().to_string(),
                        url: req.url().to_string(),
                        headers: req
                            .headers()
                            .iter()
                            .map(|h| (h.field.to_string(), h.value.to_string()))
                            .collect(),
                        body,
                    };
                    seen.lock().unwrap().push(s.clone());
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    let (script, req) = (script.clone(), req);
                    // Each reply on its own thread: a slow one does not block the next.
                    std::thread::spawn(move || {
                        let r = script(&s, n);
                        std::thread::sleep(r.delay);
                        let mut resp =
                            tiny_http::Response::from_string(r.body).with_status_code(r.status);
                        resp.add_header(
                            tiny_http::Header::from_bytes("Content-Type", "application/json")
                                .unwrap(),
                        );
                        for (k, v) in r.headers {
                            resp.add_header(tiny_http::Header::from_bytes(k, v).unwrap());
                        }
                        let _ = req.respond(resp);
                    });
                }
            });
        }
        Mock { base, seen, server }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.server.unblock();
    }
}
