//! Hasura's structured logs: one JSON line per event on stdout,
//! `{"type", "timestamp", "level", "detail"}`, written when its type is enabled
//! (`HASURA_GRAPHQL_ENABLED_LOG_TYPES`; internal types always) and its level is at or above
//! `HASURA_GRAPHQL_LOG_LEVEL`. Diagnostics for people go through `tracing` to stderr.

pub mod config;
pub mod graphql;
pub mod http;
pub mod request_id;

use std::io::Write;
use std::sync::OnceLock;

use serde_json::{json, Value};

pub use config::{Level, LogConfig};

static CONFIG: OnceLock<LogConfig> = OnceLock::new();
static STARTED: OnceLock<std::time::Instant> = OnceLock::new();

/// Sets the process's log settings (the first call wins; without one, the defaults).
pub fn init(config: LogConfig) {
    STARTED.get_or_init(std::time::Instant::now);
    let _ = CONFIG.set(config);
}

/// Seconds since [`init`] (Hasura's `time_taken` of the start-up).
pub fn uptime() -> f64 {
    STARTED
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
}

fn config() -> &'static LogConfig {
    CONFIG.get_or_init(LogConfig::default)
}

/// Whether a line of `kind` at `level` would be written.
pub fn enabled(kind: &str, level: Level) -> bool {
    config().allows(kind, level)
}

/// Writes one line, if enabled.
pub fn emit(kind: &str, level: Level, detail: Value) {
    if !enabled(kind, level) {
        return;
    }
    let line = json!({
        "type": kind,
        "timestamp": timestamp(std::time::SystemTime::now()),
        "level": level.as_str(),
        "detail": detail,
    });
    let mut text = line.to_string();
    text.push('\n');
    // Written by the log thread: a request never waits on the output, and lines go out in
    // batches (whole lines, in order; a full queue holds the caller back rather than drop).
    if let Err(std::sync::mpsc::SendError(Message::Line(text))) = writer().send(Message::Line(text))
    {
        // The log thread is gone: write it here.
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
}

enum Message {
    Line(String),
    Flush(std::sync::mpsc::SyncSender<()>),
}

fn writer() -> &'static std::sync::mpsc::SyncSender<Message> {
    static WRITER: OnceLock<std::sync::mpsc::SyncSender<Message>> = OnceLock::new();
    WRITER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Message>(65_536);
        let spawned = std::thread::Builder::new()
            .name("rasura-log".into())
            .spawn(move || {
                let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
                // Woken by time, not by each line: a sender then never has to wake this
                // thread, which would cost a system call per line.
                loop {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    let mut waiting = vec![];
                    let gone = loop {
                        match rx.try_recv() {
                            Ok(Message::Line(l)) => {
                                let _ = out.write_all(l.as_bytes());
                            }
                            Ok(Message::Flush(done)) => waiting.push(done),
                            Err(std::sync::mpsc::TryRecvError::Empty) => break false,
                            Err(std::sync::mpsc::TryRecvError::Disconnected) => break true,
                        }
                    };
                    let _ = out.flush();
                    for done in waiting {
                        let _ = done.send(());
                    }
                    if gone {
                        return;
                    }
                }
            });
        if spawned.is_err() {
            // No thread: a channel nobody reads makes `emit` write the line itself.
            let (dead, _) = std::sync::mpsc::sync_channel(0);
            return dead;
        }
        tx
    })
}

/// Waits until every line emitted so far is written (before the process exits).
pub fn flush() {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    if writer().send(Message::Flush(tx)).is_ok() {
        let _ = rx.recv_timeout(std::time::Duration::from_secs(5));
    }
}

/// A `startup` line: `{"kind": kind, "info": info}`.
pub fn startup(kind: &str, info: Value) {
    emit("startup", Level::Info, json!({"kind": kind, "info": info}));
}

/// Hasura's timestamp: `2024-01-31T10:00:00.123+0000` (UTC).
pub fn timestamp(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_milliseconds_and_an_offset_without_colon() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_123);
        assert_eq!(timestamp(t), "2023-11-14T22:13:20.123+0000");
    }
}
