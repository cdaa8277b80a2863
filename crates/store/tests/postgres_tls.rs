//! Encrypted connections to the database: with `sslmode=require` and the
//! operator's certificate authority, every connection of a server is TLS
//! and the server's certificate is checked. On the tests' PostgreSQL server
//! (`scripts/postgres.sh` gives it a certificate of a throwaway authority,
//! `SELFDATA_TEST_POSTGRES_CA`).

use selfdata_store::StoreError;
use selfdata_store::crypto::MasterKey;
use selfdata_store::postgres::{PgSettings, PgStore, testing};

fn authority() -> std::path::PathBuf {
    std::env::var("SELFDATA_TEST_POSTGRES_CA")
        .expect("the TLS test needs the tests' PostgreSQL authority: SELFDATA_TEST_POSTGRES_CA (scripts/test-all.sh sets it)")
        .into()
}

/// `url` asking for TLS.
fn required(url: &str) -> String {
    url.replace("sslmode=disable", "sslmode=require")
}

/// Whether every connection to the database `name` is encrypted, and how
/// many there are (asked over a connection of the tests' own).
fn encrypted_connections(name: &str) -> (bool, i64) {
    let (admin, name) = (testing::server_url(), name.to_owned());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        let row = c
            .query_one(
                "SELECT COALESCE(bool_and(s.ssl), false), count(*) FROM pg_stat_activity a
                 JOIN pg_stat_ssl s USING (pid) WHERE a.datname = $1",
                &[&name],
            )
            .unwrap();
        (row.get(0), row.get(1))
    })
    .join()
    .unwrap()
}

#[tokio::test]
async fn with_the_authority_every_connection_is_encrypted() {
    let url = testing::fresh_database();
    let name = url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let mut settings = PgSettings::new(required(&url));
    settings.ca_file = Some(authority());
    let store = PgStore::connect(&settings, MasterKey::random())
        .await
        .unwrap();
    let pod = selfdata_store::PodName::parse("alice").unwrap();
    selfdata_store::Backend::create_pod(&store, &pod)
        .await
        .unwrap();
    let (all, count) = encrypted_connections(&name);
    assert!(count >= 1, "the server holds a connection");
    assert!(all, "a connection of the server is not encrypted");
}

#[tokio::test]
async fn a_certificate_of_an_unknown_authority_is_refused() {
    let url = testing::fresh_database();
    let settings = PgSettings::new(required(&url));
    match PgStore::connect(&settings, MasterKey::random()).await {
        Err(StoreError::Unavailable(why)) => assert!(why.contains("TLS handshake"), "{why}"),
        Err(other) => panic!("refused otherwise: {other}"),
        Ok(_) => panic!("a database whose certificate nobody vouches for was trusted"),
    }
}

#[tokio::test]
async fn an_authority_file_without_a_certificate_is_said_in_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ca.pem");
    std::fs::write(&file, "not a certificate").unwrap();
    let mut settings = PgSettings::new(required(&testing::fresh_database()));
    settings.ca_file = Some(file);
    match PgStore::connect(&settings, MasterKey::random()).await {
        Err(StoreError::Io(why)) => {
            assert!(why.contains("certificate authority"), "{why}");
            assert!(why.contains("no PEM certificate"), "{why}");
        }
        Err(other) => panic!("refused otherwise: {other}"),
        Ok(_) => panic!("an empty authority file was taken"),
    }
}
