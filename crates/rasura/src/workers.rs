//! Thread per core: each serving thread runs its own single-threaded event loop, its own
//! listener on the shared port (SO_REUSEPORT) and its own database connections, so a request
//! and the connection task it waits on never hop between threads. Every connection is served
//! by hyper with a deadline for each request's head and body, under one cap on open
//! connections shared by all threads.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use rasura_server::AppState;
use tokio::sync::{watch, Semaphore};

/// How connections are bounded (`--http-header-timeout`, `--http-body-timeout`,
/// `--max-connections`).
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// A request's head must arrive within this (an idle keep-alive connection is closed too).
    pub header_timeout: Duration,
    /// A request's body must arrive within this.
    pub body_timeout: Duration,
    /// Open connections, over all serving threads; past it new ones are closed at once.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> HttpLimits {
        HttpLimits {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(60),
            max_connections: 10_000,
        }
    }
}

/// Starts `threads` serving threads; they stop when `stop` turns true.
pub fn start(
    state: &AppState,
    addr: SocketAddr,
    threads: usize,
    pg_connections: usize,
    limits: HttpLimits,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Vec<JoinHandle<anyhow::Result<()>>>> {
    let per_thread = (pg_connections / threads).max(2);
    // Listeners sharing a port would also share it with another server already on it (same
    // user), silently splitting its traffic: make sure the port is free first.
    if addr.port() != 0 {
        std::net::TcpListener::bind(addr)
            .with_context(|| format!("cannot listen on {addr}: is another server using it?"))?;
    }
    // Bind every listener before serving, so that a taken port fails startup at once.
    let mut listeners = vec![];
    for _ in 0..threads {
        listeners.push(bind(addr).with_context(|| format!("cannot listen on {addr}"))?);
    }
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut handles = vec![];
    for (i, listener) in listeners.into_iter().enumerate() {
        let state = state.for_thread(per_thread);
        let stop = stop.clone();
        let open = open.clone();
        let handle = std::thread::Builder::new()
            .name(format!("rasura-http-{i}"))
            .spawn(move || -> anyhow::Result<()> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    // Source connections idle or open past the source's settings are closed.
                    let engine = state.engine.clone();
                    tokio::spawn(async move {
                        let mut tick = tokio::time::interval(Duration::from_secs(10));
                        loop {
                            tick.tick().await;
                            engine.prune_source();
                        }
                    });
                    let app = rasura_server::router(state).layer(
                        tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_timeout),
                    );
                    serve(listener, app, limits, open, stop).await;
                    Ok(())
                })
            })
            .context("cannot start a serving thread")?;
        handles.push(handle);
    }
    Ok(handles)
}

/// An open connection in `hasura_http_connections` while it lives.
struct HttpCounted;

impl HttpCounted {
    fn new() -> HttpCounted {
        metrics::gauge!("hasura_http_connections").increment(1.0);
        HttpCounted
    }
}

impl Drop for HttpCounted {
    fn drop(&mut self) {
        metrics::gauge!("hasura_http_connections").decrement(1.0);
    }
}

/// Accepts connections until `stop`, then lets the open ones finish their requests.
async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: HttpLimits,
    open: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tracing::warn!(
                max = limits.max_connections,
                "connection limit reached: a new connection is closed"
            );
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let inner = hyper_util::service::TowerToHyperService::new(app.clone());
        // Handlers see the client's address (rate limits keyed by address).
        let peer = rasura_server::PeerAddr(peer.ip());
        let service =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(peer);
                hyper::service::Service::call(&inner, req)
            });
        let mut stop = stop.clone();
        connections.spawn(async move {
            let _permit = permit;
            let _counted = HttpCounted::new();
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let conn = http
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            let stopping = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            tokio::select! {
                _ = conn.as_mut() => {}
                () = stopping => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
}

fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(1024)?;
    listener.into_std()
}
