//! TLS to PostgreSQL against a real server with `ssl = on` and a certificate signed by a test
//! authority (made with `openssl`): libpq's `sslmode` values in the database URL, from
//! `require` (encrypted, not checked) to `verify-full` with `sslrootcert` (checked, host
//! included), also as Hasura's `ssl_configuration`; a certificate that cannot be checked is
//! refused with a clear error, and `disable` stays in clear.

mod events_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use events_support::refused;
use rasura_test_support::{TestCluster, TestServer};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_rasura");

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test authority and a server certificate for 127.0.0.1 signed by it; the authority's
/// certificate path.
fn certificates(dir: &Path) -> PathBuf {
    let subj = |cn: &str| format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            &subj("rasura test authority"),
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            &subj("localhost"),
        ],
    );
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.crt",
            "-extfile",
            "san.ext",
        ],
    );
    dir.join("ca.pem")
}

/// Turns TLS on in `pg` with the server certificate in `certs`, and restarts it.
async fn tls_on(pg: &mut TestCluster, certs: &Path) {
    let data = pg.cluster.data_dir.clone();
    for f in ["server.crt", "server.key"] {
        std::fs::copy(certs.join(f), data.join(f)).unwrap();
        let _ = Command::new("chown")
            .arg("postgres:")
            .arg(data.join(f))
            .status();
    }
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            data.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let conf = data.join("postgresql.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
    std::fs::write(&conf, text).unwrap();
    pg.cluster.stop().await.unwrap();
    pg.cluster.start().await.unwrap();
}

/// Whether the engine's connection to the source is encrypted.
async fn encrypted(s: &TestServer) -> Value {
    let r = s.graphql("{ my_tls { ssl } }", json!({})).await;
    assert!(r.get("errors").is_none(), "{r}");
    r["data"]["my_tls"][0]["ssl"].clone()
}

async fn track(s: &TestServer) {
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_track_table", "args": {"table": "my_tls"}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

fn add_source(url: &str) -> Value {
    json!({"type": "pg_add_source", "args": {"name": "default",
        "configuration": {"connection_info": {"database_url": url}}}})
}

#[tokio::test]
async fn sslmode_from_require_to_verify_full() {
    let certs = tempfile::tempdir().unwrap();
    let ca = certificates(certs.path());
    let ca_pem = std::fs::read_to_string(&ca).unwrap();
    let ca = ca.to_str().unwrap();
    let mut pg = TestCluster::start("app").await;
    pg.cluster.create_database("meta").await.unwrap();
    pg.client("app")
        .await
        .batch_execute(
            "CREATE VIEW my_tls AS SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        )
        .await
        .unwrap();
    tls_on(&mut pg, certs.path()).await;
    let app = pg.url("app");

    // `require`: encrypted, the (unknown) authority not checked, as libpq does.
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &format!("{app}?sslmode=require")],
        &[],
    )
    .await;
    track(&s).await;
    assert_eq!(encrypted(&s).await, json!(true));
    drop(s);

    // A source added through the metadata, the metadata database in clear.
    let s = TestServer::start(
        Path::new(BIN),
        &[
            "--metadata-database-url",
            &format!("{}?sslmode=disable", pg.url("meta")),
        ],
        &[("RASURA_TEST_PG_CA", &ca_pem)],
    )
    .await;
    // `verify-full` against the public roots: the test authority is unknown, refused.
    let (status, e) = s
        .post(
            "/v1/metadata",
            &add_source(&format!("{app}?sslmode=verify-full")),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    // An `sslmode` libpq does not know is refused as such.
    let (status, e) = s
        .post(
            "/v1/metadata",
            &add_source(&format!("{app}?sslmode=always")),
            &[],
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(e.to_string().contains("sslmode"), "{e}");
    // Hasura's `ssl_configuration`: `verify-full`, the authority's PEM in a variable.
    let e = refused(
        &s,
        json!({"type": "pg_add_source", "args": {"name": "default", "configuration": {
            "connection_info": {"database_url": app,
                "ssl_configuration": {"sslmode": "sometimes"}}}}}),
        "parse-failed",
    )
    .await;
    assert!(
        e["error"].as_str().unwrap().contains("Invalid SSL Mode"),
        "{e}"
    );
    let (status, body) = s
        .post(
            "/v1/metadata",
            &json!({"type": "pg_add_source", "args": {"name": "default", "configuration": {
                "connection_info": {"database_url": app, "ssl_configuration": {
                    "sslmode": "verify-full", "sslrootcert": {"from_env": "RASURA_TEST_PG_CA"}}}}}}),
            &[],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    track(&s).await;
    assert_eq!(encrypted(&s).await, json!(true));
    drop(s);

    // `verify-full` with the authority in the URL: checked, host included.
    let s = TestServer::start(
        Path::new(BIN),
        &[
            "--database-url",
            &format!("{app}?sslmode=verify-full&sslrootcert={ca}"),
        ],
        &[],
    )
    .await;
    assert_eq!(encrypted(&s).await, json!(true));
    drop(s);

    // `disable`: in clear (the metadata kept in the database since the first start).
    let s = TestServer::start(
        Path::new(BIN),
        &["--database-url", &format!("{app}?sslmode=disable")],
        &[],
    )
    .await;
    assert_eq!(encrypted(&s).await, json!(false));
}
