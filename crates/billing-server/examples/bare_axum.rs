//! The benchmark's yardstick: a bare axum program with one constant route,
//! on the same machine and runtime settings as the server.
//! Usage: bare_axum ADDR
use axum::routing::get;

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18090".into());
    let app = axum::Router::new().route("/", get(|| async { "ok\n" }));
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
