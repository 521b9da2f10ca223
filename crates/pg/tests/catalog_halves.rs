//! The catalog read in two halves at once (`source_catalog::read`, at start) is the catalog read
//! whole: every table with its columns, keys and foreign keys (also those pointing into the
//! other half), the enums and the functions once.

use rasura_catalog::Catalog;
use rasura_test_support::TestCluster;

/// The catalog's contents, tables in name order.
fn contents(c: &Catalog) -> String {
    let mut tables: Vec<String> = c.tables.iter().map(|t| format!("{t:?}")).collect();
    tables.sort();
    format!(
        "{tables:#?}\n{:#?}\n{:#?}\n{}",
        c.enums, c.functions, c.server_version
    )
}

#[tokio::test]
async fn two_halves_read_the_whole_catalog() {
    let pg = TestCluster::start("halves").await;
    let pool = rasura_pg::connect_pool(&pg.url("halves"), 2)
        .await
        .expect("pool");
    let (a, b) = (pool.get().await.expect("a"), pool.get().await.expect("b"));
    let mut ddl = String::from(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
         CREATE TABLE t0 (id serial PRIMARY KEY, name text UNIQUE, m mood);
         COMMENT ON TABLE t0 IS 'the first';",
    );
    for i in 1..40 {
        ddl.push_str(&format!(
            "CREATE TABLE t{i} (id serial PRIMARY KEY, name text, parent_id int REFERENCES t{}(id));
             COMMENT ON COLUMN t{i}.name IS 'name {i}';",
            i - 1
        ));
    }
    ddl.push_str(
        "CREATE VIEW v AS SELECT id, name FROM t0;
         CREATE FUNCTION named(t t0) RETURNS text LANGUAGE sql STABLE AS $$ SELECT t.name $$;",
    );
    a.batch_execute(&ddl).await.expect("ddl");

    let whole = rasura_catalog::load(&**a).await.expect("whole");
    let halves = rasura_catalog::load_in_halves(&**a, &**b)
        .await
        .expect("halves");
    assert_eq!(contents(&halves), contents(&whole));
    assert_eq!(whole.tables.len(), 41);
    assert_eq!((whole.enums.len(), whole.functions.len()), (1, 1));
    // Each half holds some of the tables: the split is by the oid's hash, not by its parity.
    for t in ["t1", "t38", "v"] {
        assert!(halves.table("public", t).is_some(), "{t} is looked up");
    }
    let fks = |c: &Catalog| {
        (c.tables.iter())
            .map(|t| t.foreign_keys.len())
            .sum::<usize>()
    };
    assert_eq!(fks(&halves), 39);
    // The same database read in halves twice is recognised as the same catalog.
    let again = rasura_catalog::load_in_halves(&**a, &**b)
        .await
        .expect("again");
    assert!(again.same_as(&halves));
}
