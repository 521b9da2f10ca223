//! Cron events materialised ahead, on a real database, with the clock driven by the test:
//! a new trigger gets its next 100 times, the top-up keeps 100 ahead as time passes and
//! events are used, a re-scheduled trigger's untried future events are replaced, and a
//! removed trigger keeps only what already happened.

use chrono::{DateTime, Utc};
use rasura_metadata::cron_triggers::CronTrigger;
use rasura_scheduled::sync::{sync, top_up};
use rasura_test_support::TestCluster;
use serde_json::json;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn trigger(schedule: &str) -> CronTrigger {
    CronTrigger::from_value(&json!({"name": "hourly", "webhook": "http://127.0.0.1:1/x",
        "schedule": schedule, "include_in_metadata": true}))
    .unwrap()
}

async fn times(c: &tokio_postgres::Client) -> Vec<String> {
    c.query(
        "SELECT to_char(scheduled_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI') \
         FROM hdb_catalog.hdb_cron_events WHERE status = 'scheduled' ORDER BY scheduled_time",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[tokio::test]
async fn events_follow_the_trigger_and_the_clock() {
    let pg = TestCluster::start("app").await;
    let pool = rasura_pg::connect_pool(&pg.url("app"), 2).await.unwrap();
    let mut conn = pool.get().await.unwrap();
    rasura_pg::hdb_catalog::ensure(&mut conn).await.unwrap();
    let c = pg.client("app").await;
    // The clock: far in the future, so that `now()` of the database never deletes these.
    let hourly = trigger("0 * * * *");
    assert!(sync(
        &c,
        &[],
        std::slice::from_ref(&hourly),
        at("2090-01-01T10:30:00Z")
    )
    .await
    .unwrap());
    let t = times(&c).await;
    assert_eq!(t.len(), 100);
    assert_eq!(t[0], "2090-01-01T11:00");
    assert_eq!(t[99], "2090-01-05T14:00");
    // Unchanged metadata changes nothing.
    assert!(!sync(
        &c,
        std::slice::from_ref(&hourly),
        std::slice::from_ref(&hourly),
        at("2090-01-01T10:31:00Z")
    )
    .await
    .unwrap());
    // Time passes: the first 10 are delivered; the top-up adds 10 after the last one.
    c.batch_execute(
        "UPDATE hdb_catalog.hdb_cron_events SET status = 'delivered', tries = 1 WHERE id IN \
         (SELECT id FROM hdb_catalog.hdb_cron_events ORDER BY scheduled_time LIMIT 10)",
    )
    .await
    .unwrap();
    let pair = [("hourly".to_string(), "0 * * * *".to_string())];
    assert_eq!(
        top_up(&c, &pair, at("2090-01-01T20:30:00Z")).await.unwrap(),
        10
    );
    let t = times(&c).await;
    assert_eq!(t.len(), 100);
    assert_eq!(t[0], "2090-01-01T21:00");
    assert_eq!(t[99], "2090-01-06T00:00");
    assert_eq!(
        top_up(&c, &pair, at("2090-01-01T20:31:00Z")).await.unwrap(),
        0
    );
    // A new schedule replaces the untried future events (the database's now() is long
    // before 2090, so all of them are future).
    let daily = trigger("0 0 * * *");
    sync(
        &c,
        std::slice::from_ref(&hourly),
        std::slice::from_ref(&daily),
        at("2090-01-01T20:31:00Z"),
    )
    .await
    .unwrap();
    let t = times(&c).await;
    assert_eq!(t.len(), 100);
    assert_eq!(t[0], "2090-01-02T00:00");
    assert_eq!(t[1], "2090-01-03T00:00");
    // Removing the trigger keeps only what happened.
    sync(&c, &[daily], &[], at("2090-01-01T20:32:00Z"))
        .await
        .unwrap();
    assert!(times(&c).await.is_empty());
    let delivered: i64 = c
        .query_one(
            "SELECT count(*) FROM hdb_catalog.hdb_cron_events WHERE status = 'delivered'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(delivered, 10);
}
