//! Shared read connections against a real PostgreSQL: queries share at most the configured
//! connections, each answer reaches its own caller, a connection that dies is replaced, a slow
//! statement does not hold up new queries, and sharing can be turned off.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rasura_pg::{SharedConn, SharedConns};
use rasura_test_support::TestCluster;

/// A throwaway cluster and a pool of `size` connections to its database `db`.
async fn cluster(db: &str, size: usize) -> (TestCluster, rasura_pg::Pool) {
    let pg = TestCluster::start(db).await;
    let pool = rasura_pg::connect_pool(&pg.url(db), size)
        .await
        .expect("pool");
    (pg, pool)
}

async fn pid(conn: &rasura_pg::SharedConn) -> i32 {
    conn.query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("query")
        .get(0)
}

#[tokio::test]
async fn queries_share_a_few_connections_and_dead_ones_are_replaced() {
    let (pg, pool) = cluster("shared", 10).await;
    // A budget no test machine reaches: places are decided by depth alone here.
    let patient = Duration::from_secs(60);
    let shared = Arc::new(SharedConns::new(pool.clone(), 2, 2).queue_budget(patient));

    // Two queries in flight on the first connection, then a second one is taken, then (both
    // full, none more allowed) a connection of its own.
    let a = shared.get().await.unwrap();
    let b = shared.get().await.unwrap();
    let c = shared.get().await.unwrap();
    let d = shared.get().await.unwrap();
    let e = shared.get().await.unwrap();
    assert!(SharedConn::same(&a, &b));
    assert!(!SharedConn::same(&a, &c));
    assert!(SharedConn::same(&c, &d));
    assert!(!SharedConn::same(&e, &a) && !SharedConn::same(&e, &c));
    assert_eq!(shared.open(), 2);
    let pids: HashSet<i32> = [pid(&a).await, pid(&c).await].into();
    assert_eq!(pids.len(), 2);
    assert!(!pids.contains(&pid(&e).await));
    drop((a, b, c, d, e));

    // Many concurrent queries, pipelined on two connections: every answer is the caller's own.
    let deep = Arc::new(SharedConns::new(pool, 20, 2).queue_budget(patient));
    let mut held = vec![];
    for _ in 0..21 {
        held.push(deep.get().await.unwrap()); // 20 on the first, then a second is taken
    }
    let deep_pids: HashSet<i32> = [pid(&held[0]).await, pid(&held[20]).await].into();
    assert_eq!(deep_pids.len(), 2);
    let first_pid = pid(&held[0]).await;
    drop(held);
    // Both open and idle: queries pack onto the first rather than spreading over both.
    let (x, y) = (deep.get().await.unwrap(), deep.get().await.unwrap());
    assert!(SharedConn::same(&x, &y));
    assert_eq!(pid(&x).await, first_pid);
    drop((x, y));
    let tasks: Vec<_> = (0..40i32)
        .map(|i| {
            let shared = deep.clone();
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
            deep_pids.contains(&backend),
            "query ran on an unshared connection"
        );
    }
    assert_eq!(deep.open(), 2);

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
    let (_pg, pool) = cluster("unshared", 4).await;
    let shared = SharedConns::new(pool, 3, 0);
    let a = shared.get().await.unwrap();
    let b = shared.get().await.unwrap();
    assert!(!SharedConn::same(&a, &b));
    assert_ne!(pid(&a).await, pid(&b).await);
    assert_eq!(shared.open(), 0);
}

#[tokio::test]
async fn a_stalled_connection_takes_no_new_queries() {
    let (_pg, pool) = cluster("stalled", 4).await;
    let shared = Arc::new(SharedConns::new(pool, 3, 1));
    let slow = shared.get().await.unwrap();
    let slow_pid = pid(&slow).await;
    let sleeper = {
        tokio::spawn(async move {
            slow.query_one("SELECT pg_sleep(1)", &[]).await.unwrap();
            slow
        })
    };
    tokio::time::sleep(rasura_pg::STALLED_AFTER * 5).await;

    // Nothing finished on the only shared connection for a while (it is stalled): a
    // connection of its own, answering at once instead of after the sleep.
    let started = std::time::Instant::now();
    let other = shared.get().await.unwrap();
    assert_ne!(pid(&other).await, slow_pid);
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(shared.open(), 1);
    drop(other);

    // Once the slow statement is done, queries share that connection again.
    let slow = sleeper.await.unwrap();
    drop(slow);
    let again = shared.get().await.unwrap();
    assert_eq!(pid(&again).await, slow_pid);
}

#[tokio::test]
async fn past_the_queue_budget_another_connection_is_taken() {
    let (_pg, pool) = cluster("budget", 4).await;
    let budget = Duration::from_millis(100); // more than a hiccup of a loaded test machine
    let shared = SharedConns::new(pool, 8, 2).queue_budget(budget);
    let busy = shared.get().await.unwrap();
    let query = busy.query_one("SELECT pg_sleep(1)", &[]);
    let next = async {
        // Within the budget the busy connection takes more; past it, a second one is opened.
        let early = shared.get().await.unwrap();
        tokio::time::sleep(budget * 3).await;
        let late = shared.get().await.unwrap();
        (early, late)
    };
    let (done, (early, late)) = tokio::join!(query, next);
    done.unwrap();
    assert!(SharedConn::same(&busy, &early));
    assert!(!SharedConn::same(&busy, &late));
    assert_eq!(shared.open(), 2);
}
