//! A webhook receiver on loopback: it records every request (headers and
//! body) and answers 500 to the first `fail_first` of them, then 200. It can
//! be stopped and started again on the same port (a receiver that is down).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

#[derive(Debug, Clone)]
pub struct Received {
    pub event_id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

#[derive(Default)]
struct Inner {
    got: Mutex<Vec<Received>>,
    fail_first: AtomicUsize,
    seen: AtomicUsize,
}

pub struct Receiver {
    inner: Arc<Inner>,
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

async fn hook(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = inner.seen.fetch_add(1, Ordering::SeqCst);
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let r = Received {
        event_id: h("x-billing-event-id"),
        timestamp: h("x-billing-timestamp"),
        signature: h("x-billing-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    if n < inner.fail_first.load(Ordering::SeqCst) {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    inner.got.lock().unwrap().push(r);
    StatusCode::OK
}

impl Receiver {
    /// Listening on a free port; the first `fail_first` requests get 500.
    pub async fn start(fail_first: usize) -> Receiver {
        let inner = Arc::new(Inner::default());
        inner.fail_first.store(fail_first, Ordering::SeqCst);
        Self::serve(inner, 0).await
    }

    async fn serve(inner: Arc<Inner>, port: u16) -> Receiver {
        let listener = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        };
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(inner.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Receiver {
            inner,
            port,
            stop: Some(tx),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Stop listening (connections are refused), keeping what it got.
    pub fn down(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Listen again on the same port.
    pub async fn up(&mut self) {
        let again = Self::serve(self.inner.clone(), self.port).await;
        self.stop = again.stop;
    }

    /// Requests answered so far (500s included).
    pub fn requests(&self) -> usize {
        self.inner.seen.load(Ordering::SeqCst)
    }

    /// The events accepted (answered 200).
    pub fn got(&self) -> Vec<Received> {
        self.inner.got.lock().unwrap().clone()
    }

    /// Wait (polling) until `n` events were accepted, or `within` passes.
    pub async fn wait_for(&self, n: usize, within: std::time::Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let got = self.got();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}
