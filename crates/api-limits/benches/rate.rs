//! The cost of the rate limit per request on a throwaway PostgreSQL cluster
//! (`hdb_catalog.rasura_rate_limits`): with a limit of 6,000 a minute (grants of 375, most
//! requests counted in memory), and with a limit under 32 (every request a statement), one
//! request at a time and with 16 in flight (on 4 connections).
//!
//! `cargo bench -p rasura-api-limits --bench rate`

use std::time::Instant;

use rasura_api_limits::rate::Grants;
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
                 (key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, count INTEGER NOT NULL, \
                 previous INTEGER NOT NULL, granted INTEGER NOT NULL DEFAULT 0)",
            )
            .await
            .expect("the counter table");
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
        };
        for max in [6_000u64, 31] {
            let limit = RateLimit {
                max_reqs_per_min: max,
                unique_params: None,
            };
            // Keys never run out within the run: 100 users, a fresh set per measurement.
            for (what, in_flight) in [("one at a time", 1usize), ("16 in flight", 16)] {
                let grants = Grants::default();
                let n = if max < 32 { 3_000 } else { 60_000 };
                let t = Instant::now();
                let mut tasks = vec![];
                for i in 0..in_flight {
                    let (c, limit, grants) = (&clients[i % 4], &limit, &grants);
                    tasks.push(async move {
                        for j in 0..n / in_flight {
                            let key = format!("{what}:{max}:user={}", (i * 31 + j) % 100);
                            grants.hit(c, &key, limit, now()).await.expect("a count");
                        }
                    });
                }
                futures_join(tasks).await;
                println!(
                    "limit {max}/min, {what}: {:.2} µs per request",
                    t.elapsed().as_secs_f64() * 1e6 / n as f64
                );
            }
        }
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
