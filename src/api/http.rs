//! The API seam over HTTP: `POST /api/{Action}` with a JSON body, on the
//! console's own origin (gloo-net). Chosen at start when the page's origin
//! answers `DescribeServerInfo` with the API's envelope; otherwise (a static
//! host, `trunk serve`) the console runs on the mock store.

use std::rc::Rc;

use billing_rules::actions::{def, ActionDef};
use billing_rules::api::{Identity, LiveEvent, ServerInfo};
use billing_rules::model::User;
use gloo_net::http::Request;
use serde_json::Value;

use super::{parse_envelope, ClientError, LocalFuture, Transport};

/// Calls that take longer than this are abandoned.
pub const TIMEOUT_MS: u32 = 15_000;

#[derive(Clone)]
pub struct HttpTransport {
    base: Rc<str>,
    demo_users: Option<Vec<User>>,
    /// The probe's answer to "who is signed in", until the console takes it.
    identity: Rc<std::cell::RefCell<Option<Option<Identity>>>>,
}

async fn post(url: String, body: Value) -> Result<String, ClientError> {
    let controller = web_sys::AbortController::new()
        .map_err(|_| ClientError::Network("no AbortController".into()))?;
    let signal = controller.signal();
    let timer = gloo_timers::callback::Timeout::new(TIMEOUT_MS, move || controller.abort());
    let req = Request::post(&url)
        .header("Content-Type", "application/json")
        .abort_signal(Some(&signal))
        .body(body.to_string())
        .map_err(|e| ClientError::Network(e.to_string()))?;
    let resp = req.send().await.map_err(|e| {
        if signal.aborted() {
            ClientError::Timeout
        } else {
            ClientError::Network(e.to_string())
        }
    })?;
    drop(timer);
    let ok = resp.ok();
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| ClientError::Network(e.to_string()))?;
    if !ok && !text.trim_start().starts_with('{') {
        return Err(ClientError::Malformed(format!("HTTP {status}")));
    }
    Ok(text)
}

impl HttpTransport {
    /// Ask `base` (e.g. "" for this origin) whether it serves the API.
    pub async fn probe(base: &str) -> Option<HttpTransport> {
        let text = post(
            format!("{base}/api/{}", def::DescribeServerInfo::ACTION.name()),
            serde_json::json!({}),
        )
        .await
        .ok()?;
        let info: ServerInfo = parse_envelope(&text).ok()?;
        Some(HttpTransport {
            base: base.into(),
            demo_users: (info.mode == "demo").then_some(info.demo_users),
            identity: Rc::new(std::cell::RefCell::new(Some(info.identity))),
        })
    }
}

impl Transport for HttpTransport {
    fn call(&self, action: &str, body: Value) -> LocalFuture<Result<String, ClientError>> {
        Box::pin(post(format!("{}/api/{action}", self.base), body))
    }

    fn demo_users(&self) -> Option<Vec<User>> {
        self.demo_users.clone()
    }

    fn view_as(&self, user_id: &str) -> LocalFuture<Result<(), ClientError>> {
        let url = format!("{}/api/{}", self.base, def::SignIn::ACTION.name());
        let body = billing_rules::api::SignInRequest {
            user_id: user_id.to_string(),
        };
        Box::pin(async move {
            let body =
                serde_json::to_value(body).map_err(|e| ClientError::Malformed(e.to_string()))?;
            let text = post(url, body).await?;
            parse_envelope::<<def::SignIn as ActionDef>::Response>(&text).map(|_| ())
        })
    }

    fn signs_in(&self) -> bool {
        true
    }

    fn initial_identity(&self) -> Option<Option<Identity>> {
        self.identity.borrow_mut().take()
    }

    /// Server-sent events from `/api/events`. The browser's EventSource
    /// reconnects by itself after the server restarts; the "ready" that
    /// opens each connection means "catch up" only on a reconnect (the
    /// first one arrives while the screen is loading anyway).
    fn subscribe(&self, on_change: super::OnChange) -> Option<Box<dyn std::any::Any>> {
        use std::cell::RefCell;
        use std::rc::Rc;
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let url = format!("{}/api/events", self.base);
        let first_ready = std::cell::Cell::new(true);
        let cb = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            let Some(kind) = LiveEvent::from_name(&ev.type_()) else {
                return;
            };
            // The first "ready" says the stream is open: nothing to catch
            // up on (the screen is loading); a later one is a reconnect,
            // after which anything may have moved.
            match kind {
                LiveEvent::Ready if !first_ready.replace(false) => on_change(LiveEvent::Resync),
                kind => on_change(kind),
            }
        });
        let open = {
            let listener: js_sys::Function =
                cb.as_ref().unchecked_ref::<js_sys::Function>().clone();
            move || {
                let source = web_sys::EventSource::new(&url).ok()?;
                for kind in LiveEvent::ALL {
                    let _ = source.add_event_listener_with_callback(kind.as_str(), &listener);
                }
                Some(source)
            }
        };
        let source = Rc::new(RefCell::new(Some(open()?)));
        // A page put aside (back-forward cache, a hidden tab being
        // discarded) closes its stream, so it holds no connection; shown
        // again, it reopens it, and the reopened stream's "ready" makes the
        // console catch up on what it missed.
        let hide = {
            let source = source.clone();
            Closure::<dyn Fn(web_sys::Event)>::new(move |_| {
                if let Some(s) = source.borrow_mut().take() {
                    s.close();
                }
            })
        };
        let show = {
            let source = source.clone();
            Closure::<dyn Fn(web_sys::Event)>::new(move |_| {
                let mut s = source.borrow_mut();
                if s.is_none() {
                    *s = open();
                }
            })
        };
        let win = web_sys::window()?;
        let _ = win.add_event_listener_with_callback("pagehide", hide.as_ref().unchecked_ref());
        let _ = win.add_event_listener_with_callback("pageshow", show.as_ref().unchecked_ref());
        // The closures must live as long as their listeners.
        struct Guard {
            source: Rc<RefCell<Option<web_sys::EventSource>>>,
            _cb: Closure<dyn Fn(web_sys::MessageEvent)>,
            hide: Closure<dyn Fn(web_sys::Event)>,
            show: Closure<dyn Fn(web_sys::Event)>,
        }
        impl Drop for Guard {
            fn drop(&mut self) {
                if let Some(s) = self.source.borrow_mut().take() {
                    s.close();
                }
                if let Some(w) = web_sys::window() {
                    let _ = w.remove_event_listener_with_callback(
                        "pagehide",
                        self.hide.as_ref().unchecked_ref(),
                    );
                    let _ = w.remove_event_listener_with_callback(
                        "pageshow",
                        self.show.as_ref().unchecked_ref(),
                    );
                }
            }
        }
        Some(Box::new(Guard {
            source,
            _cb: cb,
            hide,
            show,
        }))
    }
}
