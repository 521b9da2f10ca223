//! Thread per core: each serving thread runs its own single-threaded event loop, its own
//! listener on the shared port (SO_REUSEPORT) and its own database connections, so a request
//! and the connection task it waits on never hop between threads.

use std::net::SocketAddr;
use std::thread::JoinHandle;

use anyhow::Context;
use rasura_server::AppState;
use tokio::sync::watch;

/// Starts `threads` serving threads; they stop when `stop` turns true.
pub fn start(
    state: &AppState,
    addr: SocketAddr,
    url: &str,
    threads: usize,
    pg_connections: usize,
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
    let mut handles = vec![];
    for (i, listener) in listeners.into_iter().enumerate() {
        let state = state.clone();
        let url = url.to_string();
        let mut stop = stop.clone();
        let handle = std::thread::Builder::new()
            .name(format!("rasura-http-{i}"))
            .spawn(move || -> anyhow::Result<()> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    let pool = rasura_pg::connect_pool(&url, per_thread).await?;
                    let app = rasura_server::router(state.with_pool(pool));
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = stop.wait_for(|s| *s).await;
                        })
                        .await
                        .context("server error")
                })
            })
            .context("cannot start a serving thread")?;
        handles.push(handle);
    }
    Ok(handles)
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
