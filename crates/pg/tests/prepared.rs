//! Prepared statements: a text run once is run unnamed; texts that come again are prepared, at
//! most `PREPARED_KEPT` per connection, so unique documents (or query tags naming each field)
//! neither grow the engine's cache nor leave a prepared statement per text in the backend.

use rasura_pg::text_statement::{rows, Conn, PREPARED_KEPT};
use rasura_test_support::TestCluster;

async fn prepared_on_server(client: &deadpool_postgres::Client) -> i64 {
    // Unnamed, so that asking adds no statement of its own.
    let r = client
        .unnamed("SELECT count(*) FROM pg_prepared_statements", &[])
        .await
        .expect("count");
    r[0].get(0)
}

#[tokio::test]
async fn distinct_texts_do_not_pile_up_as_prepared_statements() {
    let pg = TestCluster::start("prepared").await;
    let pool = rasura_pg::connect_pool(&pg.url("prepared"), 1)
        .await
        .expect("pool");
    let client = pool.get().await.expect("client");
    // A text run once is run unnamed: nothing is prepared for it.
    for i in 0..10 {
        let sql = format!("/* field_name=once{i} */ SELECT $1::text || '{i}'");
        let got = rows(&client, &sql, &[Some("v".into())], true)
            .await
            .unwrap();
        assert_eq!(got[0].get::<_, String>(0), format!("v{i}"));
    }
    assert_eq!(client.statements().size(), 0);
    assert_eq!(prepared_on_server(&client).await, 0);
    // Texts run twice are prepared from their second run on, and the cache stays bounded.
    let texts = PREPARED_KEPT * 3 + 7;
    for i in 0..texts {
        let sql = format!("/* field_name=f{i} */ SELECT $1::text || '{i}'");
        for _ in 0..2 {
            let got = rows(&client, &sql, &[Some("v".into())], true)
                .await
                .expect("runs");
            let text: String = got[0].get(0);
            assert_eq!(text, format!("v{i}"));
        }
        assert!(client.statements().size() <= PREPARED_KEPT, "after {i}");
    }
    // The statements dropped from the cache were closed on the server too.
    let on_server = prepared_on_server(&client).await;
    assert!(
        on_server > 0 && on_server <= PREPARED_KEPT as i64,
        "{on_server} prepared"
    );
    // A text run again is still prepared once and reused.
    let again = "SELECT $1::text";
    for _ in 0..2 {
        rows(&client, again, &[Some("a".into())], true)
            .await
            .unwrap();
    }
    let size = client.statements().size();
    rows(&client, again, &[Some("b".into())], true)
        .await
        .unwrap();
    assert_eq!(client.statements().size(), size);
}
