//! The cost of the rate limit per request: one counter upsert on a throwaway PostgreSQL cluster
//! (`hdb_catalog.rasura_rate_limits`), over one connection, one request at a time and with 16
//! in flight (pipelined on 4 connections).
//!
//! `cargo bench -p rasura-api-limits --bench rate`

use std::time::Instant;

use rasura_api_limits::rate::hit;
use rasura_api_limits::RateLimit;
use rasura_test_support::TestCluster;

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    rt.block_on(async {
        let pg = TestCluster::start("app").await;
        let mut clients = vec![];
        for _ in 0..4 {
            clients.push(pg.client("app").await);
        }
        clients[0]
            .batch_execute(
                "CREATE SCHEMA hdb_catalog; CREATE UNLOGGED TABLE hdb_catalog.rasura_rate_limits \
                 (key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, count INTEGER NOT NULL, previous INTEGER NOT NULL)",
            )
            .await
            .expect("the counter table");
        let limit = RateLimit {
            max_reqs_per_min: u64::MAX,
            unique_params: None,
        };
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
        };
        let n = 5_000;
        let t = Instant::now();
        for i in 0..n {
            hit(&clients[0], &format!("role=user;x-hasura-user-id={}", i % 100), &limit, now())
                .await
                .expect("a count");
        }
        println!("one at a time: {:.1} µs per request", t.elapsed().as_secs_f64() * 1e6 / n as f64);
        let t = Instant::now();
        let mut tasks = vec![];
        for i in 0..16usize {
            let c = &clients[i % 4];
            let limit = &limit;
            tasks.push(async move {
                for j in 0..n / 16 {
                    hit(c, &format!("role=user;x-hasura-user-id={}", (i * 31 + j) % 100), limit, now())
                        .await
                        .expect("a count");
                }
            });
        }
        futures_join(tasks).await;
        println!("16 in flight: {:.1} µs per request", t.elapsed().as_secs_f64() * 1e6 / n as f64);
    });
}

/// Runs the futures concurrently on this task.
async fn futures_join<F: std::future::Future<Output = ()>>(tasks: Vec<F>) {
    let mut pinned: Vec<_> = tasks.into_iter().map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        pinned.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if pinned.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}
