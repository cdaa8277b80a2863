//! Measures the per-request verification cost of the resource server: one
//! DPoP proof (ES256, key parsed from the proof) plus one access token
//! (ES256, pre-decoded key of the [`KeySet`]), single-threaded.
//!
//! `cargo run --release -p selfdata-oidc --example throughput`

use std::hint::black_box;
use std::time::Instant;

use selfdata_oidc::*;

fn rate(name: &str, iterations: u32, mut f: impl FnMut()) {
    // Warm-up.
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{name:<44} {:>9.0} /s  ({:>6.1} us each)",
        f64::from(iterations) / secs,
        secs * 1e6 / f64::from(iterations)
    );
}

fn main() {
    let now = 1_700_000_000;
    let keys = KeySet::new(
        SigningKey::generate(),
        vec![SigningKey::generate(), SigningKey::generate()],
    );
    let client = DpopKey::generate();
    let url = "https://pod.example/notes/a.ttl";
    let claims = AccessClaims {
        iss: "https://pod.example".into(),
        sub: "https://pod.example/profile/card#me".into(),
        aud: AccessClaims::audience("https://app.example/id"),
        webid: "https://pod.example/profile/card#me".into(),
        client_id: "https://app.example/id".into(),
        cnf: Some(Confirmation {
            jkt: client.thumbprint(),
        }),
        iat: now,
        exp: now + 300,
        jti: random_token(),
        scope: "openid webid offline_access".into(),
        sid: Some("grant-1".into()),
    };
    let token = sign_access_token(&keys, &claims);
    let proof = client.proof("GET", url, Some(&token), now);
    let jwks = Jwks::from_json(&keys.jwks()).unwrap();
    let replay = ReplayCache::new(120, 1_000_000);
    let n = 20_000;

    rate("access token verify (KeySet)", n, || {
        black_box(
            verify_access_token(&keys, black_box(&token), "https://pod.example", now).unwrap(),
        );
    });
    rate("access token verify (pre-decoded Jwks)", n, || {
        let check = AccessTokenCheck::new("https://pod.example", now);
        black_box(jwks.verify_access_token(black_box(&token), &check).unwrap());
    });
    rate("DPoP proof verify (ES256, with ath)", n, || {
        let check = DpopCheck::new(black_box(&proof), "GET", url, now).with_access_token(&token);
        black_box(verify_dpop_proof(&check).unwrap());
    });
    let mut i = 0u64;
    rate("full request: proof + token + binding + replay", n, || {
        let check = DpopCheck::new(black_box(&proof), "GET", url, now).with_access_token(&token);
        let p = verify_dpop_proof(&check).unwrap();
        let c = verify_access_token(&keys, &token, "https://pod.example", now).unwrap();
        c.check_binding(&p).unwrap();
        i += 1;
        black_box(replay.check_and_insert(&format!("{}{i}", p.replay_key()), now));
    });
    let cache = VerifiedTokenCache::new(10_000);
    let mut i = 0u64;
    rate("full request, token from VerifiedTokenCache", n, || {
        let check = DpopCheck::new(black_box(&proof), "GET", url, now).with_access_token(&token);
        let p = verify_dpop_proof(&check).unwrap();
        let c = cache
            .verify(
                &keys,
                &token,
                &AccessTokenCheck::new("https://pod.example", now),
            )
            .unwrap();
        c.check_binding(&p).unwrap();
        i += 1;
        black_box(replay.check_and_insert(&format!("c{}{i}", p.replay_key()), now));
    });
    rate("sign access token", n, || {
        black_box(sign_access_token(&keys, black_box(&claims)));
    });
    rate("client DPoP proof generation", n, || {
        black_box(client.proof("GET", url, Some(&token), now));
    });
    // For comparison: the same ES256 check through jsonwebtoken's generic path.
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(keys.current().public_jwk()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.validate_exp = false;
    validation.set_audience(&["solid"]);
    rate("(jsonwebtoken::decode, same token)", n, || {
        black_box(
            jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation)
                .unwrap(),
        );
    });
}
