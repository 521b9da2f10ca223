//! Shared read connections against a real PostgreSQL: queries share at most the configured
//! connections, each answer reaches its own caller, a connection that dies is replaced, and
//! sharing can be turned off.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rasura_pg::SharedConns;
use rasura_test_support::TestCluster;

async fn pid(conn: &rasura_pg::SharedConn) -> i32 {
    conn.query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("query")
        .get(0)
}

#[tokio::test]
async fn queries_share_a_few_connections_and_dead_ones_are_replaced() {
    let pg = TestCluster::start("shared").await;
    let pool = rasura_pg::connect_pool(&pg.url("shared"), 10)
        .await
        .expect("pool");
    let shared = Arc::new(SharedConns::new(pool, 2, 2));

    // Two queries in flight on the first connection, then a second one is taken, then (both
    // full, none more allowed) the least busy takes more.
    let a = shared.get().await.unwrap();
    let b = shared.get().await.unwrap();
    let c = shared.get().await.unwrap();
    let d = shared.get().await.unwrap();
    let e = shared.get().await.unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert!(!Arc::ptr_eq(&a, &c));
    assert!(Arc::ptr_eq(&c, &d));
    assert!(Arc::ptr_eq(&e, &a) || Arc::ptr_eq(&e, &c));
    assert_eq!(shared.open(), 2);
    let pids: HashSet<i32> = [pid(&a).await, pid(&c).await].into();
    assert_eq!(pids.len(), 2);
    drop((a, b, c, d, e));

    // Many concurrent queries, pipelined on those two: every answer is the caller's own.
    let tasks: Vec<_> = (0..40i32)
        .map(|i| {
            let shared = shared.clone();
            tokio::spawn(async move {
                let conn = shared.get().await.unwrap();
                let row = conn
                    .query_one(
                        "SELECT $1::int4, pg_backend_pid() FROM pg_sleep(0.01)",
                        &[&i],
                    )
                    .await
                    .unwrap();
                (i, row.get::<_, i32>(0), row.get::<_, i32>(1))
            })
        })
        .collect();
    for t in tasks {
        let (asked, answered, backend) = t.await.unwrap();
        assert_eq!(asked, answered);
        assert!(
            pids.contains(&backend),
            "query ran on an unshared connection"
        );
    }
    assert_eq!(shared.open(), 2);

    // A backend killed under a shared connection: it is dropped and another one taken.
    let victim = *pids.iter().next().unwrap();
    let admin = pg.client("shared").await;
    admin
        .execute("SELECT pg_terminate_backend($1)", &[&victim])
        .await
        .unwrap();
    let mut replaced = false;
    for _ in 0..100 {
        // Three at once: past the depth of one connection, so both places get used.
        let held = [
            shared.get().await.unwrap(),
            shared.get().await.unwrap(),
            shared.get().await.unwrap(),
        ];
        for conn in &held {
            if let Ok(row) = conn.query_one("SELECT pg_backend_pid()", &[]).await {
                replaced |= !pids.contains(&row.get::<_, i32>(0));
            }
        }
        if replaced {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(replaced, "the dead connection was never replaced");
    assert!(shared.open() <= 2);
}

#[tokio::test]
async fn sharing_off_gives_every_query_its_own_connection() {
    let pg = TestCluster::start("unshared").await;
    let pool = rasura_pg::connect_pool(&pg.url("unshared"), 4)
        .await
        .expect("pool");
    let shared = SharedConns::new(pool, 3, 0);
    let a = shared.get().await.unwrap();
    let b = shared.get().await.unwrap();
    assert!(!Arc::ptr_eq(&a, &b));
    assert_ne!(pid(&a).await, pid(&b).await);
    assert_eq!(shared.open(), 0);
}
