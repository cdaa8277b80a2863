//! A cache of verified access tokens, so that a client reusing its token
//! for many requests costs one signature verification per token instead of
//! one per request. (The DPoP proof is fresh on every request and cannot be
//! cached.)

use std::collections::HashMap;

use parking_lot::Mutex;

use crate::secret::token_hash;
use crate::tokens::check_times;
use crate::{AccessClaims, AccessTokenCheck, Jwks, KeySet, OidcError};

/// Remembers the claims of access tokens whose signature and claims were
/// verified, keyed by the SHA-256 of the whole token.
///
/// On a hit only the cheap checks are redone (issuer, `exp`, `iat` against
/// the new `now`); a token is never served past its expiry. Memory is
/// bounded by `cap`: when full, expired entries are dropped, and if none
/// were expired the whole cache is cleared.
///
/// Use one cache per trust root (our [`KeySet`], or one remote issuer's
/// [`Jwks`]). Call [`VerifiedTokenCache::clear`] after removing a key from
/// the key set. Revocation (by `sid` or `jti`) stays the caller's check,
/// after this one, exactly as without the cache.
#[derive(Debug)]
pub struct VerifiedTokenCache {
    cap: usize,
    entries: Mutex<HashMap<[u8; 32], AccessClaims>>,
}

impl VerifiedTokenCache {
    /// A cache of at most `cap` tokens (at least 1).
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// [`KeySet::verify_access_token`], cached.
    pub fn verify(
        &self,
        keys: &KeySet,
        token: &str,
        check: &AccessTokenCheck,
    ) -> Result<AccessClaims, OidcError> {
        self.get_or(token, check, || keys.verify_access_token(token, check))
    }

    /// [`Jwks::verify_access_token`], cached.
    pub fn verify_with_jwks(
        &self,
        jwks: &Jwks,
        token: &str,
        check: &AccessTokenCheck,
    ) -> Result<AccessClaims, OidcError> {
        self.get_or(token, check, || jwks.verify_access_token(token, check))
    }

    fn get_or(
        &self,
        token: &str,
        check: &AccessTokenCheck,
        verify: impl FnOnce() -> Result<AccessClaims, OidcError>,
    ) -> Result<AccessClaims, OidcError> {
        let key = token_hash(token);
        if let Some(claims) = self.entries.lock().get(&key) {
            if claims.iss != check.issuer {
                return Err(OidcError::WrongIssuer);
            }
            check_times(claims, check)?;
            return Ok(claims.clone());
        }
        let claims = verify()?;
        let mut entries = self.entries.lock();
        if entries.len() >= self.cap {
            let now = check.now;
            let leeway = check.leeway_secs.max(0);
            entries.retain(|_, c| now <= c.exp.saturating_add(leeway));
            if entries.len() >= self.cap {
                entries.clear();
            }
        }
        entries.insert(key, claims.clone());
        Ok(claims)
    }

    /// Forgets every token (e.g. after a key was removed from the key set).
    pub fn clear(&self) {
        self.entries.lock().clear();
    }

    /// Number of cached tokens.
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
