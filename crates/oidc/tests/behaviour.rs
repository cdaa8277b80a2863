//! Behaviour tests of the public API: token signing and verification, key
//! rotation, DPoP proof checks (one test per refusal), replay cache, PKCE and
//! thumbprint test vectors.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use selfdata_oidc::*;
use serde_json::{Value, json};

const ISS: &str = "https://pod.example";
const URL: &str = "https://pod.example/notes/a.ttl";
const NOW: i64 = 1_700_000_000;

fn claims(jkt: &str) -> AccessClaims {
    AccessClaims {
        iss: ISS.into(),
        sub: "https://pod.example/profile/card#me".into(),
        aud: AccessClaims::audience("https://app.example/id"),
        webid: "https://pod.example/profile/card#me".into(),
        client_id: "https://app.example/id".into(),
        cnf: Some(Confirmation { jkt: jkt.into() }),
        iat: NOW,
        exp: NOW + 300,
        jti: random_token(),
        scope: "openid webid offline_access".into(),
        sid: Some("grant-42".into()),
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_part(token: &str, i: usize) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(i).unwrap())
            .unwrap(),
    )
    .unwrap()
}

/// Signs arbitrary header and claims with a raw P-256 key (for malformed proofs).
fn sign_raw(key: &p256::ecdsa::SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig: p256::ecdsa::Signature = key.sign(input.as_bytes());
    format!("{input}.{}", b64(&sig.to_bytes()))
}

fn raw_key() -> (p256::ecdsa::SigningKey, Value) {
    let key = p256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
    let point = key.verifying_key().to_encoded_point(false);
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(&point.x().unwrap()[..]), "y": b64(&point.y().unwrap()[..])});
    (key, jwk)
}

fn proof_claims() -> Value {
    json!({"jti": "j1", "htm": "GET", "htu": URL, "iat": NOW})
}

fn check(proof: &str) -> Result<VerifiedProof, OidcError> {
    verify_dpop_proof(&DpopCheck::new(proof, "GET", URL, NOW))
}

#[test]
fn access_token_round_trip() {
    let keys = KeySet::generate();
    let c = claims("jkt");
    let token = sign_access_token(&keys, &c);
    let header = decode_part(&token, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], keys.current().kid());
    assert_eq!(
        decode_part(&token, 1)["aud"],
        json!(["solid", "https://app.example/id"])
    );
    assert_eq!(
        verify_access_token(&keys, &token, ISS, NOW + 10).unwrap(),
        c
    );
    // Also verifiable through the published JWKS, as a remote issuer would be.
    assert_eq!(
        verify_access_token_with_jwks(&keys.jwks(), &token, ISS, NOW).unwrap(),
        c
    );
}

#[test]
fn expired_and_future_tokens_refused() {
    let keys = KeySet::generate();
    let token = sign_access_token(&keys, &claims("jkt"));
    // Within the leeway.
    assert!(verify_access_token(&keys, &token, ISS, NOW + 300 + DEFAULT_LEEWAY_SECS).is_ok());
    assert_eq!(
        verify_access_token(&keys, &token, ISS, NOW + 301 + DEFAULT_LEEWAY_SECS),
        Err(OidcError::Expired)
    );
    let strict = AccessTokenCheck {
        issuer: ISS,
        now: NOW + 301,
        leeway_secs: 0,
    };
    assert_eq!(
        keys.verify_access_token(&token, &strict),
        Err(OidcError::Expired)
    );
    assert_eq!(
        verify_access_token(&keys, &token, ISS, NOW - 3600),
        Err(OidcError::NotYetValid)
    );
}

#[test]
fn wrong_issuer_audience_and_type_refused() {
    let keys = KeySet::generate();
    let token = sign_access_token(&keys, &claims("jkt"));
    assert_eq!(
        verify_access_token(&keys, &token, "https://evil.example", NOW),
        Err(OidcError::WrongIssuer)
    );
    let mut c = claims("jkt");
    c.aud = vec!["https://app.example/id".into()];
    let token = sign_access_token(&keys, &c);
    assert_eq!(
        verify_access_token(&keys, &token, ISS, NOW),
        Err(OidcError::WrongAudience)
    );
    // An ID token is not an access token.
    let id = sign_id_token(
        &keys,
        &IdClaims {
            iss: ISS.into(),
            sub: "w".into(),
            aud: "c".into(),
            azp: "c".into(),
            webid: "w".into(),
            iat: NOW,
            exp: NOW + 60,
            nonce: None,
            auth_time: NOW,
            jti: "j".into(),
        },
    );
    assert_eq!(decode_part(&id, 1)["webid"], "w");
    assert_eq!(
        verify_access_token(&keys, &id, ISS, NOW),
        Err(OidcError::WrongType("at+jwt"))
    );
}

#[test]
fn unknown_key_and_tampering_refused() {
    let keys = KeySet::generate();
    let other = KeySet::generate();
    let token = sign_access_token(&other, &claims("jkt"));
    assert_eq!(
        verify_access_token(&keys, &token, ISS, NOW),
        Err(OidcError::UnknownKey)
    );
    // Same kid, different key: the signature fails.
    let mut forged: Value = serde_json::from_str(&other.current().to_private_jwk_json()).unwrap();
    forged["kid"] = keys.current().kid().into();
    forged.as_object_mut().unwrap().remove("x");
    forged.as_object_mut().unwrap().remove("y");
    let forged = KeySet::new(
        SigningKey::from_private_jwk_json(&forged.to_string()).unwrap(),
        vec![],
    );
    let token = sign_access_token(&forged, &claims("jkt"));
    assert_eq!(
        verify_access_token(&keys, &token, ISS, NOW),
        Err(OidcError::BadSignature)
    );
    // Payload swapped: the signature fails.
    let good = sign_access_token(&keys, &claims("jkt"));
    let mut evil = claims("other");
    evil.webid = "https://evil.example/#me".into();
    let evil_token = sign_access_token(&other, &evil);
    let spliced: Vec<&str> = good.split('.').collect();
    let evil_payload = evil_token.split('.').nth(1).unwrap();
    let spliced = format!("{}.{}.{}", spliced[0], evil_payload, spliced[2]);
    assert_eq!(
        verify_access_token(&keys, &spliced, ISS, NOW),
        Err(OidcError::BadSignature)
    );
}

#[test]
fn rotation_keeps_previous_keys() {
    let mut keys = KeySet::generate();
    let old_kid = keys.current().kid().to_owned();
    let old_token = sign_access_token(&keys, &claims("jkt"));
    let new_kid = keys.rotate().kid().to_owned();
    assert_ne!(old_kid, new_kid);
    assert_eq!(keys.current().kid(), new_kid);
    let new_token = sign_access_token(&keys, &claims("jkt"));
    assert_eq!(decode_part(&new_token, 0)["kid"], new_kid.as_str());
    assert!(verify_access_token(&keys, &old_token, ISS, NOW).is_ok());
    assert!(verify_access_token(&keys, &new_token, ISS, NOW).is_ok());
    let jwks = keys.jwks();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()]);
    for k in jwks["keys"].as_array().unwrap() {
        assert_eq!(k["alg"], "ES256");
        assert_eq!(k["use"], "sig");
        assert!(k.get("d").is_none());
    }
    // Retiring the old key invalidates its tokens; the current key stays.
    assert!(keys.remove(&new_kid).is_none());
    assert!(keys.remove(&old_kid).is_some());
    assert_eq!(
        verify_access_token(&keys, &old_token, ISS, NOW),
        Err(OidcError::UnknownKey)
    );
}

#[test]
fn private_jwk_round_trip() {
    let key = SigningKey::generate();
    let json = key.to_private_jwk_json();
    let back = SigningKey::from_private_jwk_json(&json).unwrap();
    assert_eq!(back.kid(), key.kid());
    assert_eq!(back.public_jwk(), key.public_jwk());
    assert_eq!(key.kid(), jwk_thumbprint(&key.public_jwk()).unwrap());
    // Tokens signed by the restored key verify with the original.
    let token = sign_access_token(&KeySet::new(back, vec![]), &claims("jkt"));
    assert!(verify_access_token(&KeySet::new(key.clone(), vec![]), &token, ISS, NOW).is_ok());
    // Mismatched public part, garbage, wrong curve.
    let mut v: Value = serde_json::from_str(&json).unwrap();
    v["x"] = SigningKey::generate().public_jwk()["x"].clone();
    assert!(SigningKey::from_private_jwk_json(&v.to_string()).is_err());
    assert!(SigningKey::from_private_jwk_json("{}").is_err());
    assert!(SigningKey::from_private_jwk_json("[1]").is_err());
    assert!(SigningKey::from_private_jwk_json(&json.replace("P-256", "P-384")).is_err());
    assert!(!format!("{key:?}").contains(v["d"].as_str().unwrap()));
}

#[test]
fn dpop_valid_proof() {
    let client = DpopKey::generate();
    let proof = client.proof("GET", URL, None, NOW);
    let v = check(&proof).unwrap();
    assert_eq!(v.jkt, client.thumbprint());
    assert_eq!(v.jkt, jwk_thumbprint(client.public_jwk()).unwrap());
    assert_eq!(v.iat, NOW);
    assert_eq!(v.jti.len(), 43);
    // A second proof has a fresh jti.
    assert_ne!(
        check(&client.proof("GET", URL, None, NOW)).unwrap().jti,
        v.jti
    );
    // With an access token and its binding.
    let keys = KeySet::generate();
    let token = sign_access_token(&keys, &claims(&client.thumbprint()));
    let proof = client.proof("GET", URL, Some(&token), NOW);
    let v = verify_dpop_proof(&DpopCheck::new(&proof, "GET", URL, NOW).with_access_token(&token))
        .unwrap();
    let c = verify_access_token(&keys, &token, ISS, NOW).unwrap();
    assert_eq!(c.check_binding(&v), Ok(()));
    let stranger = DpopKey::generate();
    let proof = stranger.proof("GET", URL, Some(&token), NOW);
    let v = verify_dpop_proof(&DpopCheck::new(&proof, "GET", URL, NOW).with_access_token(&token))
        .unwrap();
    assert_eq!(c.check_binding(&v), Err(OidcError::NotBound));
}

#[test]
fn dpop_htm_and_htu() {
    let client = DpopKey::generate();
    let proof = client.proof("GET", URL, None, NOW);
    assert_eq!(
        verify_dpop_proof(&DpopCheck::new(&proof, "POST", URL, NOW)),
        Err(OidcError::DpopWrongMethod)
    );
    assert_eq!(
        verify_dpop_proof(&DpopCheck::new(&proof, "get", URL, NOW)),
        Err(OidcError::DpopWrongMethod)
    );
    for other in [
        "https://pod.example/notes/b.ttl",
        "http://pod.example/notes/a.ttl",
        "https://evil.example/notes/a.ttl",
        "https://pod.example:8443/notes/a.ttl",
        "https://pod.example/notes/a.ttl/",
        "/notes/a.ttl",
    ] {
        assert_eq!(
            verify_dpop_proof(&DpopCheck::new(&proof, "GET", other, NOW)),
            Err(OidcError::DpopWrongUrl),
            "{other}"
        );
    }
    for same in [
        "https://pod.example/notes/a.ttl?x=1",
        "https://pod.example/notes/a.ttl#frag",
        "HTTPS://POD.example:443/notes/a.ttl?q#f",
    ] {
        assert!(
            verify_dpop_proof(&DpopCheck::new(&proof, "GET", same, NOW)).is_ok(),
            "{same}"
        );
    }
    // The htu itself may carry a query, a default port, an upper-case host.
    let (key, jwk) = raw_key();
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk});
    let mut c = proof_claims();
    c["htu"] = "https://Pod.Example:443/notes/a.ttl?query=1#x".into();
    assert!(check(&sign_raw(&key, &header, &c)).is_ok());
    c["htu"] = "https://pod.example/notes/%7e.ttl".into();
    let p = sign_raw(&key, &header, &c);
    assert!(
        verify_dpop_proof(&DpopCheck::new(
            &p,
            "GET",
            "https://pod.example/notes/%7E.ttl",
            NOW
        ))
        .is_ok()
    );
    c["htu"] = "https://pod.example".into();
    let p = sign_raw(&key, &header, &c);
    assert!(verify_dpop_proof(&DpopCheck::new(&p, "GET", "https://pod.example/", NOW)).is_ok());
}

#[test]
fn dpop_iat_window() {
    let client = DpopKey::generate();
    let old = client.proof("GET", URL, None, NOW - 61);
    assert_eq!(check(&old), Err(OidcError::DpopTooOld));
    assert!(check(&client.proof("GET", URL, None, NOW - 60)).is_ok());
    let future = client.proof("GET", URL, None, NOW + 6);
    assert_eq!(check(&future), Err(OidcError::DpopFromFuture));
    assert!(check(&client.proof("GET", URL, None, NOW + 5)).is_ok());
    let mut c = DpopCheck::new(&future, "GET", URL, NOW);
    c.max_future_skew_secs = 10;
    assert!(verify_dpop_proof(&c).is_ok());
    // Extreme values do not overflow.
    let mut c = DpopCheck::new(&old, "GET", URL, i64::MIN);
    c.max_age_secs = i64::MAX;
    assert_eq!(verify_dpop_proof(&c), Err(OidcError::DpopFromFuture));
}

#[test]
fn dpop_header_refusals() {
    let (key, jwk) = raw_key();
    let c = proof_claims();
    // Missing jwk.
    let p = sign_raw(&key, &json!({"typ": "dpop+jwt", "alg": "ES256"}), &c);
    assert_eq!(check(&p), Err(OidcError::DpopMissingJwk));
    // Private d.
    let mut private = jwk.clone();
    private["d"] = b64(&[7u8; 32]).into();
    let p = sign_raw(
        &key,
        &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private}),
        &c,
    );
    assert_eq!(check(&p), Err(OidcError::DpopPrivateKey));
    // Wrong and missing typ.
    let p = sign_raw(&key, &json!({"typ": "JWT", "alg": "ES256", "jwk": jwk}), &c);
    assert_eq!(check(&p), Err(OidcError::WrongType("dpop+jwt")));
    let p = sign_raw(&key, &json!({"alg": "ES256", "jwk": jwk}), &c);
    assert_eq!(check(&p), Err(OidcError::WrongType("dpop+jwt")));
    // application/dpop+jwt is the same type.
    let p = sign_raw(
        &key,
        &json!({"typ": "application/DPoP+JWT", "alg": "ES256", "jwk": jwk}),
        &c,
    );
    assert!(check(&p).is_ok());
    // alg none, with an empty signature.
    let input = format!(
        "{}.{}.",
        b64(json!({"typ": "dpop+jwt", "alg": "none", "jwk": jwk})
            .to_string()
            .as_bytes()),
        b64(c.to_string().as_bytes())
    );
    assert_eq!(check(&input), Err(OidcError::AlgNone));
    // HMAC and unknown algorithms.
    let p = sign_raw(
        &key,
        &json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": jwk}),
        &c,
    );
    assert_eq!(check(&p), Err(OidcError::UnsupportedAlgorithm));
    // Algorithm not matching the key type.
    let p = sign_raw(
        &key,
        &json!({"typ": "dpop+jwt", "alg": "RS256", "jwk": jwk}),
        &c,
    );
    assert_eq!(check(&p), Err(OidcError::UnsupportedAlgorithm));
    // Critical extensions.
    let p = sign_raw(
        &key,
        &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk, "crit": ["x"]}),
        &c,
    );
    assert!(matches!(check(&p), Err(OidcError::Malformed(_))));
}

#[test]
fn dpop_signature_and_claims_refusals() {
    let (key, jwk) = raw_key();
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk});
    // Bad signature: signed by another key than the one in the header.
    let other = p256::ecdsa::SigningKey::from_slice(&[9u8; 32]).unwrap();
    assert_eq!(
        check(&sign_raw(&other, &header, &proof_claims())),
        Err(OidcError::BadSignature)
    );
    // Bad signature: truncated and flipped.
    let good = sign_raw(&key, &header, &proof_claims());
    let (input, sig) = good.rsplit_once('.').unwrap();
    let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    assert_eq!(
        check(&format!("{input}.{}", b64(&sig[..60]))),
        Err(OidcError::BadSignature)
    );
    assert_eq!(check(&format!("{input}.")), Err(OidcError::BadSignature));
    sig[10] ^= 1;
    assert_eq!(
        check(&format!("{input}.{}", b64(&sig))),
        Err(OidcError::BadSignature)
    );
    // Non-canonical base64 (trailing bits set) is malformed.
    let noncanonical = format!("{}.{}", input, &b64(&sig)[..82]);
    assert!(matches!(
        check(&noncanonical),
        Err(OidcError::Malformed(_) | OidcError::BadSignature)
    ));
    // Missing and wrongly typed claims.
    for bad in [
        json!({"htm": "GET", "htu": URL, "iat": NOW}),
        json!({"jti": "j", "htu": URL, "iat": NOW}),
        json!({"jti": "j", "htm": "GET", "iat": NOW}),
        json!({"jti": "j", "htm": "GET", "htu": URL}),
        json!({"jti": "j", "htm": "GET", "htu": URL, "iat": "now"}),
        json!({"jti": 5, "htm": "GET", "htu": URL, "iat": NOW}),
        json!({"jti": "", "htm": "GET", "htu": URL, "iat": NOW}),
        json!({"jti": "j".repeat(200), "htm": "GET", "htu": URL, "iat": NOW}),
        json!({"jti": "j", "htm": "GET", "htu": URL, "iat": 1e300}),
        json!([1, 2]),
    ] {
        assert!(
            matches!(
                check(&sign_raw(&key, &header, &bad)),
                Err(OidcError::InvalidClaims(_))
            ),
            "{bad}"
        );
    }
    // A float iat is a valid NumericDate.
    let mut c = proof_claims();
    c["iat"] = json!(NOW as f64 + 0.5);
    assert_eq!(check(&sign_raw(&key, &header, &c)).unwrap().iat, NOW);
}

#[test]
fn dpop_ath() {
    let client = DpopKey::generate();
    let token = "some.access.token";
    let proof = client.proof("GET", URL, Some(token), NOW);
    let c = DpopCheck::new(&proof, "GET", URL, NOW);
    assert!(verify_dpop_proof(&c.with_access_token(token)).is_ok());
    assert_eq!(
        verify_dpop_proof(&c.with_access_token("other.access.token")),
        Err(OidcError::DpopAthMismatch)
    );
    // No ath at all while a token is presented.
    let proof = client.proof("GET", URL, None, NOW);
    let c = DpopCheck::new(&proof, "GET", URL, NOW).with_access_token(token);
    assert_eq!(verify_dpop_proof(&c), Err(OidcError::DpopAthMismatch));
    // Tolerated when asked (Solid clients that predate ath), but a present
    // ath must still match.
    assert!(verify_dpop_proof(&c.allowing_missing_ath()).is_ok());
    let proof = client.proof("GET", URL, Some(token), NOW);
    let c = DpopCheck::new(&proof, "GET", URL, NOW)
        .with_access_token("other.access.token")
        .allowing_missing_ath();
    assert_eq!(verify_dpop_proof(&c), Err(OidcError::DpopAthMismatch));
    assert_eq!(
        access_token_hash(token),
        decode_part(&client.proof("GET", URL, Some(token), NOW), 1)["ath"]
    );
}

#[test]
fn dpop_refusals_are_distinct() {
    let all = [
        OidcError::DpopWrongMethod,
        OidcError::DpopWrongUrl,
        OidcError::DpopTooOld,
        OidcError::DpopFromFuture,
        OidcError::DpopMissingJwk,
        OidcError::DpopPrivateKey,
        OidcError::WrongType("dpop+jwt"),
        OidcError::AlgNone,
        OidcError::BadSignature,
        OidcError::DpopAthMismatch,
    ];
    let messages: std::collections::HashSet<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), all.len());
}

#[test]
fn error_messages_fit_error_description() {
    let all = [
        OidcError::TooLarge,
        OidcError::Malformed("the header is not base64url"),
        OidcError::AlgNone,
        OidcError::UnsupportedAlgorithm,
        OidcError::WrongType("at+jwt"),
        OidcError::UnknownKey,
        OidcError::InvalidKey("kty is missing"),
        OidcError::BadSignature,
        OidcError::InvalidClaims("x"),
        OidcError::Expired,
        OidcError::NotYetValid,
        OidcError::WrongIssuer,
        OidcError::WrongAudience,
        OidcError::NotBound,
        OidcError::DpopMissingJwk,
        OidcError::DpopPrivateKey,
        OidcError::DpopWrongMethod,
        OidcError::DpopWrongUrl,
        OidcError::DpopTooOld,
        OidcError::DpopFromFuture,
        OidcError::DpopAthMismatch,
        OidcError::Replayed,
    ];
    for e in all {
        let m = e.to_string();
        // RFC 6750 section 3: %x20-21 / %x23-5B / %x5D-7E.
        assert!(
            m.bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
            "{m}"
        );
        assert!(
            m.starts_with(|c: char| c.is_ascii_uppercase()) && m.ends_with('.'),
            "{m}"
        );
        assert!(["invalid_token", "invalid_dpop_proof"].contains(&e.error_code()));
    }
    assert_eq!(OidcError::DpopTooOld.error_code(), "invalid_dpop_proof");
    assert_eq!(OidcError::Expired.error_code(), "invalid_token");
}

/// Signs a proof with a `jsonwebtoken` key (RSA, Ed25519) carrying `jwk`.
fn sign_jsonwebtoken(
    key: &jsonwebtoken::EncodingKey,
    alg: jsonwebtoken::Algorithm,
    jwk: &Value,
) -> String {
    let header = json!({"typ": "dpop+jwt", "alg": format!("{alg:?}"), "jwk": jwk});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(proof_claims().to_string().as_bytes())
    );
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).unwrap();
    format!("{input}.{sig}")
}

fn public_jwk_of(key: &jsonwebtoken::EncodingKey, alg: jsonwebtoken::Algorithm) -> Value {
    let mut jwk =
        serde_json::to_value(jsonwebtoken::jwk::Jwk::from_encoding_key(key, alg).unwrap()).unwrap();
    jwk.as_object_mut().unwrap().remove("alg");
    jwk
}

#[test]
fn dpop_rsa_and_eddsa_proofs() {
    use jsonwebtoken::Algorithm as A;
    let rsa = jsonwebtoken::EncodingKey::from_rsa_der(include_bytes!("keys/rsa2048.pkcs1.der"));
    let jwk = public_jwk_of(&rsa, A::RS256);
    assert_eq!(jwk["kty"], "RSA");
    for alg in [A::RS256, A::RS384, A::RS512, A::PS256, A::PS384, A::PS512] {
        let v = check(&sign_jsonwebtoken(&rsa, alg, &jwk)).unwrap();
        assert_eq!(v.jkt, jwk_thumbprint(&jwk).unwrap(), "{alg:?}");
    }
    // A signature by another algorithm of the family does not verify.
    let p = sign_jsonwebtoken(&rsa, A::RS256, &jwk).replacen(
        &b64(json!({"typ": "dpop+jwt", "alg": "RS256", "jwk": jwk})
            .to_string()
            .as_bytes()),
        &b64(json!({"typ": "dpop+jwt", "alg": "PS256", "jwk": jwk})
            .to_string()
            .as_bytes()),
        1,
    );
    assert_eq!(check(&p), Err(OidcError::BadSignature));
    // Private RSA members are refused.
    let mut private = jwk.clone();
    private["p"] = "AQAB".into();
    assert_eq!(
        check(&sign_jsonwebtoken(&rsa, A::RS256, &private)),
        Err(OidcError::DpopPrivateKey)
    );
    // Too small an RSA key is refused.
    let small = json!({"typ": "dpop+jwt", "alg": "RS256", "jwk": {"kty": "RSA", "n": b64(&[0xff; 128]), "e": "AQAB"}});
    let p = format!(
        "{}.{}.{}",
        b64(small.to_string().as_bytes()),
        b64(b"{}"),
        b64(&[1u8; 128])
    );
    assert!(matches!(check(&p), Err(OidcError::InvalidKey(_))));

    let ed = jsonwebtoken::EncodingKey::from_ed_der(include_bytes!("keys/ed25519.pkcs8.der"));
    let jwk = public_jwk_of(&ed, A::EdDSA);
    assert_eq!(jwk["crv"], "Ed25519");
    let v = check(&sign_jsonwebtoken(&ed, A::EdDSA, &jwk)).unwrap();
    assert_eq!(v.jkt, jwk_thumbprint(&jwk).unwrap());
}

#[test]
fn replay_cache() {
    let cache = ReplayCache::new(60, 3);
    assert!(cache.check_and_insert("a", NOW));
    assert!(!cache.check_and_insert("a", NOW + 1));
    assert!(!cache.check_and_insert("a", NOW + 59));
    // Expired: usable again (its proof would be refused by the iat window anyway).
    assert!(cache.check_and_insert("a", NOW + 60));
    assert!(!cache.check_and_insert("a", NOW + 61));
    // Cap: the oldest is evicted.
    assert!(cache.check_and_insert("b", NOW + 61));
    assert!(cache.check_and_insert("c", NOW + 62));
    assert_eq!(cache.len(), 3);
    assert!(cache.check_and_insert("d", NOW + 63));
    assert_eq!(cache.len(), 3);
    assert!(cache.check_and_insert("a", NOW + 63));
    assert!(!cache.check_and_insert("d", NOW + 63));
    // Expired entries are evicted on insertion.
    assert!(cache.check_and_insert("e", NOW + 1000));
    assert_eq!(cache.len(), 1);
    // Thread safety.
    let cache = std::sync::Arc::new(ReplayCache::new(60, 100_000));
    let wins: usize = (0..4)
        .map(|_| {
            let cache = cache.clone();
            std::thread::spawn(move || {
                (0..1000)
                    .filter(|i| cache.check_and_insert(&i.to_string(), NOW))
                    .count()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .sum();
    assert_eq!(wins, 1000);
}

#[test]
fn pkce_rfc7636_appendix_b() {
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    assert_eq!(pkce_s256_challenge(verifier), challenge);
    assert!(pkce_s256_matches(verifier, challenge));
    assert!(!pkce_s256_matches(
        verifier,
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"
    ));
    assert!(!pkce_s256_matches("short", &pkce_s256_challenge("short")));
    let bad_char = format!("{verifier}!");
    assert!(!pkce_s256_matches(
        &bad_char,
        &pkce_s256_challenge(&bad_char)
    ));
    let long = "a".repeat(129);
    assert!(!pkce_s256_matches(&long, &pkce_s256_challenge(&long)));
    let max = "a".repeat(128);
    assert!(pkce_s256_matches(&max, &pkce_s256_challenge(&max)));
}

#[test]
fn thumbprint_rfc7638() {
    let jwk = json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    });
    assert_eq!(
        jwk_thumbprint(&jwk).unwrap(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // Member order and extra members do not matter.
    let (_, ec) = raw_key();
    let mut reordered = serde_json::Map::new();
    for k in ["y", "x", "kty", "crv"] {
        reordered.insert(k.into(), ec[k].clone());
    }
    reordered.insert("use".into(), "sig".into());
    assert_eq!(
        jwk_thumbprint(&Value::Object(reordered)).unwrap(),
        jwk_thumbprint(&ec).unwrap()
    );
    assert!(jwk_thumbprint(&json!({"kty": "oct", "k": "x"})).is_err());
    assert!(jwk_thumbprint(&json!({"kty": "EC", "crv": "P-256", "x": 1, "y": "y"})).is_err());
    assert!(jwk_thumbprint(&json!("EC")).is_err());
}

#[test]
fn random_tokens() {
    let a = random_token();
    assert_eq!(a.len(), 43);
    assert_ne!(a, random_token());
    assert_eq!(token_hash(&a), token_hash(&a));
    assert_ne!(token_hash(&a), token_hash(&random_token()));
}

#[test]
fn verified_token_cache() {
    let keys = KeySet::generate();
    let cache = VerifiedTokenCache::new(2);
    let token = sign_access_token(&keys, &claims("jkt"));
    let check = AccessTokenCheck::new(ISS, NOW);
    assert_eq!(
        cache.verify(&keys, &token, &check).unwrap(),
        claims_of(&token)
    );
    assert_eq!(cache.len(), 1);
    // Hits redo the cheap checks.
    assert!(cache.verify(&keys, &token, &check).is_ok());
    assert_eq!(
        cache.verify(
            &keys,
            &token,
            &AccessTokenCheck::new("https://evil.example", NOW)
        ),
        Err(OidcError::WrongIssuer)
    );
    assert_eq!(
        cache.verify(&keys, &token, &AccessTokenCheck::new(ISS, NOW + 3600)),
        Err(OidcError::Expired)
    );
    // Failures are not cached; tampered tokens still fail.
    let other = sign_access_token(&KeySet::generate(), &claims("jkt"));
    assert_eq!(
        cache.verify(&keys, &other, &check),
        Err(OidcError::UnknownKey)
    );
    assert_eq!(cache.len(), 1);
    // Bounded.
    for _ in 0..5 {
        let t = sign_access_token(&keys, &claims("jkt"));
        assert!(cache.verify(&keys, &t, &check).is_ok());
        assert!(cache.len() <= 2);
    }
    let jwks = Jwks::from_json(&keys.jwks()).unwrap();
    assert!(cache.verify_with_jwks(&jwks, &token, &check).is_ok());
    cache.clear();
    assert!(cache.is_empty());
}

fn claims_of(token: &str) -> AccessClaims {
    serde_json::from_value(decode_part(token, 1)).unwrap()
}

#[test]
fn remote_jwks() {
    use jsonwebtoken::Algorithm as A;
    let rsa = jsonwebtoken::EncodingKey::from_rsa_der(include_bytes!("keys/rsa2048.pkcs1.der"));
    let mut jwk = public_jwk_of(&rsa, A::RS256);
    jwk["kid"] = "r1".into();
    jwk["alg"] = "RS256".into();
    let ours = KeySet::generate();
    let mut list = ours.jwks()["keys"].as_array().unwrap().clone();
    list.push(jwk);
    list.push(json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h"}));
    list.push(json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "bad"}));
    let jwks_json = json!({ "keys": list });
    let jwks = Jwks::from_json(&jwks_json).unwrap();
    assert_eq!(jwks.len(), 2);
    let c = claims("jkt");
    let sign_rs = |alg: A, kid: &str| {
        let header = json!({"typ": "at+jwt", "alg": format!("{alg:?}"), "kid": kid});
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(serde_json::to_string(&c).unwrap().as_bytes())
        );
        format!(
            "{input}.{}",
            jsonwebtoken::crypto::sign(input.as_bytes(), &rsa, alg).unwrap()
        )
    };
    let token = sign_rs(A::RS256, "r1");
    assert_eq!(
        verify_access_token_with_jwks(&jwks_json, &token, ISS, NOW).unwrap(),
        c
    );
    // The JWK says RS256: PS256 is refused even though the key could do it.
    assert_eq!(
        jwks.verify_access_token(&sign_rs(A::PS256, "r1"), &AccessTokenCheck::new(ISS, NOW)),
        Err(OidcError::UnsupportedAlgorithm)
    );
    assert_eq!(
        jwks.verify_access_token(&sign_rs(A::RS256, "nope"), &AccessTokenCheck::new(ISS, NOW)),
        Err(OidcError::UnknownKey)
    );
    // Our ES256 token also verifies through the same JWKS.
    let ours_token = sign_access_token(&ours, &claims("jkt"));
    assert!(
        jwks.verify_access_token(&ours_token, &AccessTokenCheck::new(ISS, NOW))
            .is_ok()
    );
    // Our own key set never accepts RSA.
    assert_eq!(
        verify_access_token(&ours, &token, ISS, NOW),
        Err(OidcError::UnsupportedAlgorithm)
    );
}
