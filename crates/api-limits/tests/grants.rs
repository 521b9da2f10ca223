//! The rate limiter's grants against a real PostgreSQL: two engines (two `Grants`) sharing one
//! counter never serve more than the limit together, and lose at most their grants.

use rasura_api_limits::rate::Grants;
use rasura_api_limits::RateLimit;
use rasura_test_support::TestCluster;

async fn counters(pg: &TestCluster) -> tokio_postgres::Client {
    let c = pg.client("app").await;
    c.batch_execute(
        "CREATE SCHEMA hdb_catalog; CREATE UNLOGGED TABLE hdb_catalog.rasura_rate_limits \
         (key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, count INTEGER NOT NULL, \
          previous INTEGER NOT NULL, granted INTEGER NOT NULL DEFAULT 0)",
    )
    .await
    .unwrap();
    c
}

fn limit(n: u64) -> RateLimit {
    RateLimit {
        max_reqs_per_min: n,
        unique_params: None,
    }
}

#[tokio::test]
async fn two_engines_share_one_allowance_and_the_window_slides() {
    let pg = TestCluster::start("app").await;
    let c = counters(&pg).await;
    let (a, b) = (Grants::default(), Grants::default());
    let minute = 1_800_000_000.0; // a minute's first second
                                  // 320 a minute: grants of 20; 400 requests alternating between the engines.
    let l = limit(320);
    let mut served = 0;
    for i in 0..400 {
        let g = if i % 2 == 0 { &a } else { &b };
        if g.hit(&c, "k", &l, minute + 1.0).await.unwrap() {
            served += 1;
        }
    }
    assert!((320 - 2 * 20..=320).contains(&served), "{served}");
    // Half a minute into the next one, half of last minute still counts: about 160 more.
    let mut later = 0;
    for i in 0..400 {
        let g = if i % 2 == 0 { &a } else { &b };
        if g.hit(&c, "k", &l, minute + 90.0).await.unwrap() {
            later += 1;
        }
    }
    let expected = 320.0 - f64::from(served) * 0.5;
    assert!(
        (f64::from(later) - expected).abs() <= 2.0 * 20.0 + 1.0,
        "{later} vs {expected}"
    );
    // A small limit is counted request by request: exactly 3.
    let small = limit(3);
    let mut ok = 0;
    for i in 0..10 {
        let g = if i % 2 == 0 { &a } else { &b };
        if g.hit(&c, "small", &small, minute + 1.0).await.unwrap() {
            ok += 1;
        }
    }
    assert_eq!(ok, 3);
    // Keys are apart.
    assert!(a.hit(&c, "other", &small, minute + 1.0).await.unwrap());
}
