//! Servers on loopback for tests: an axum router on a free port, a port nothing listens on.

/// Serves `router` on 127.0.0.1 at a free port in a spawned task; returns its base URL
/// (`http://127.0.0.1:PORT`).
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free loopback port");
    let addr = listener.local_addr().expect("the listener's address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// A loopback URL where nothing listens (a port just bound and released).
pub fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let addr = listener.local_addr().expect("the listener's address");
    format!("http://{addr}")
}
