//! `hdb_catalog::ensure` runs its DDL only when needed: run again on a current catalog it
//! changes nothing (so the catalog version stays and no metadata request reads the whole
//! database catalog again), and it puts back what is missing or out of date.

use rasura_pg::hdb_catalog;
use rasura_test_support::TestCluster;

/// Whether the boolean expression `condition` is true in the database.
async fn holds(client: &deadpool_postgres::Object, condition: &str) -> bool {
    let row = (client.query_one(&format!("SELECT {condition}"), &[]).await).expect("lookup");
    row.get(0)
}

async fn comment(client: &deadpool_postgres::Object) -> Option<String> {
    let row = client
        .query_one(
            "SELECT obj_description('hdb_catalog'::regnamespace, 'pg_namespace')",
            &[],
        )
        .await
        .expect("comment");
    row.get(0)
}

#[tokio::test]
async fn ensure_leaves_a_current_catalog_alone_and_repairs_the_rest() {
    let pg = TestCluster::start("ensure").await;
    let pool = rasura_pg::connect_pool(&pg.url("ensure"), 1)
        .await
        .expect("pool");
    let mut client = pool.get().await.expect("client");
    hdb_catalog::ensure(&mut client)
        .await
        .expect("first ensure");
    assert_eq!(
        comment(&client).await.as_deref(),
        Some(hdb_catalog::ddl_mark())
    );
    let before = rasura_catalog::version(&**client).await.expect("version");

    // Nothing to do: the catalog version is the same afterwards.
    hdb_catalog::ensure(&mut client)
        .await
        .expect("second ensure");
    let after = rasura_catalog::version(&**client).await.expect("version");
    assert_eq!(before, after, "ensure on a current catalog ran DDL");

    // A function or a table dropped by hand comes back.
    for (drop, present) in [
        (
            "DROP FUNCTION hdb_catalog.check_violation(text)",
            "to_regprocedure('hdb_catalog.check_violation(text)') IS NOT NULL",
        ),
        (
            "DROP TABLE hdb_catalog.hdb_action_log",
            "to_regclass('hdb_catalog.hdb_action_log') IS NOT NULL",
        ),
    ] {
        client.batch_execute(drop).await.expect("drop");
        hdb_catalog::ensure(&mut client)
            .await
            .expect("ensure again");
        assert!(holds(&client, present).await, "not made again: {drop}");
    }

    // Another build's DDL (another mark) runs again and leaves this build's mark.
    client
        .batch_execute("COMMENT ON SCHEMA hdb_catalog IS 'rasura hdb_catalog 0000000000000000'")
        .await
        .expect("comment");
    let stale = rasura_catalog::version(&**client).await.expect("version");
    hdb_catalog::ensure(&mut client)
        .await
        .expect("ensure again");
    assert_eq!(
        comment(&client).await.as_deref(),
        Some(hdb_catalog::ddl_mark())
    );
    let rerun = rasura_catalog::version(&**client).await.expect("version");
    assert_ne!(stale, rerun, "the DDL of an older build was not run again");
}
