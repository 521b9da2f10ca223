//! Engines sharing a metadata database follow each other: each listens for the others'
//! announcements (`hdb_catalog::announce`) and, as a fallback for a lost notification or
//! connection, compares the stored resource version with its own every second; what another
//! engine committed is served within about a second.

use std::time::Duration;

use rasura_pg::hdb_catalog::{self, Change};
use rasura_server::AppState;
use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;

/// How often the stored resource version is compared with the served one.
const POLL: Duration = Duration::from_secs(1);

/// Starts following the other engines on `meta_url`; runs until the process ends.
pub fn start(state: AppState, meta_url: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let (tx, mut rx) = mpsc::unbounded_channel::<Change>();
        let listener = tokio::spawn(listen(meta_url, tx));
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let catalog_too = tokio::select! {
                change = rx.recv() => match change {
                    Some(c) => c == Change::Catalog,
                    None => break,
                },
                _ = tick.tick() => {
                    if !newer_stored(&state).await {
                        continue;
                    }
                    // The announcement was lost: it may have been a schema change.
                    true
                }
            };
            let _guard = state.write_lock.lock().await;
            match state.engine.follow_store(catalog_too).await {
                Ok(true) => tracing::info!(
                    resource_version = state.engine.current().resource_version,
                    "serving the metadata another engine committed"
                ),
                Ok(false) => {}
                Err(e) => tracing::warn!("cannot follow another engine's change: {e}"),
            }
        }
        listener.abort();
    })
}

/// Whether the stored metadata is newer than the served one.
async fn newer_stored(state: &AppState) -> bool {
    let Ok(client) = state.engine.meta.get().await else {
        return false;
    };
    match hdb_catalog::stored_version(&**client).await {
        Ok(v) => v > state.engine.current().resource_version,
        Err(_) => false,
    }
}

/// Listens for other engines' announcements, reconnecting after a lost connection.
async fn listen(url: String, changes: mpsc::UnboundedSender<Change>) {
    loop {
        let connected = match rasura_pg::connect_config(&url) {
            Ok((config, tls)) => config.connect(tls).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match connected {
            Ok((client, mut conn)) => {
                let (note_tx, mut note_rx) = mpsc::unbounded_channel::<String>();
                let driver = tokio::spawn(async move {
                    while let Some(Ok(m)) = std::future::poll_fn(|cx| conn.poll_message(cx)).await {
                        if let AsyncMessage::Notification(n) = m {
                            let _ = note_tx.send(n.payload().to_string());
                        }
                    }
                });
                let listening = client
                    .batch_execute(&format!("LISTEN {}", hdb_catalog::CHANGE_CHANNEL))
                    .await;
                if listening.is_ok() {
                    while let Some(payload) = note_rx.recv().await {
                        let Some((from, _, change)) = hdb_catalog::parse_announcement(&payload)
                        else {
                            continue;
                        };
                        if from != hdb_catalog::instance_id() && changes.send(change).is_err() {
                            return;
                        }
                    }
                }
                driver.abort();
                drop(client);
            }
            Err(e) => tracing::debug!("metadata follower cannot connect: {e}"),
        }
        if changes.is_closed() {
            return;
        }
        tokio::time::sleep(POLL).await;
    }
}
