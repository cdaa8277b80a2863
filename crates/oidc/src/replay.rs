//! A bounded, thread-safe cache of one-time ids (DPoP `jti`s, and any other
//! single-use identifiers), to refuse replays.

use std::collections::{HashMap, VecDeque};

use parking_lot::Mutex;

/// Remembers ids until they expire (`ttl_secs` after first use).
///
/// Memory is bounded: expired ids are evicted on every insertion, and when
/// `cap` ids are live the oldest is evicted (which re-opens a replay window
/// for it; size `cap` above the expected number of proofs per `ttl_secs`).
/// For DPoP, use a `ttl_secs` of at least `max_age_secs` plus the future
/// skew of [`crate::DpopCheck`], so that an id is remembered as long as its
/// proof is acceptable.
#[derive(Debug)]
pub struct ReplayCache {
    ttl_secs: i64,
    cap: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// id -> expiry.
    expiry: HashMap<Box<str>, i64>,
    /// Insertion order (expiry, id); may hold stale entries for re-inserted ids.
    order: VecDeque<(i64, Box<str>)>,
}

impl ReplayCache {
    /// A cache remembering ids for `ttl_secs`, holding at most `cap` ids (at least 1).
    pub fn new(ttl_secs: i64, cap: usize) -> Self {
        Self {
            ttl_secs: ttl_secs.max(0),
            cap: cap.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Records `id` as used at `now`. Returns `true` the first time (the
    /// request may proceed), `false` if `id` was already used and has not
    /// expired (a replay).
    pub fn check_and_insert(&self, id: &str, now: i64) -> bool {
        let mut inner = self.inner.lock();
        let Inner { expiry, order } = &mut *inner;
        if expiry.get(id).is_some_and(|&until| until > now) {
            return false;
        }
        // Evict expired ids, then the oldest while full. Stale queue entries
        // (the id was re-inserted later with another expiry) are skipped.
        while let Some((until, _)) = order.front() {
            let full = expiry.len() >= self.cap;
            if *until > now && !full {
                break;
            }
            if let Some((until, old)) = order.pop_front()
                && expiry.get(&old) == Some(&until)
            {
                expiry.remove(&old);
            }
        }
        let until = now.saturating_add(self.ttl_secs);
        let id: Box<str> = id.into();
        expiry.insert(id.clone(), until);
        order.push_back((until, id));
        true
    }

    /// Records `id` as used until `until` (for ids restored from storage
    /// after a restart); the memory bound applies as in
    /// [`ReplayCache::check_and_insert`].
    pub fn remember_until(&self, id: &str, until: i64, now: i64) {
        let mut inner = self.inner.lock();
        let Inner { expiry, order } = &mut *inner;
        if until <= now || expiry.get(id).is_some_and(|&u| u >= until) {
            return;
        }
        while expiry.len() >= self.cap {
            match order.pop_front() {
                Some((u, old)) if expiry.get(&old) == Some(&u) => {
                    expiry.remove(&old);
                }
                Some(_) => {}
                None => break,
            }
        }
        let id: Box<str> = id.into();
        expiry.insert(id.clone(), until);
        order.push_back((until, id));
    }

    /// Number of ids currently remembered (including expired ones not yet evicted).
    pub fn len(&self) -> usize {
        self.inner.lock().expiry.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::ReplayCache;

    #[test]
    fn an_id_restored_from_storage_is_a_replay_until_it_expires() {
        let cache = ReplayCache::new(600, 10);
        cache.remember_until("k:1", 1_100, 1_000);
        assert!(!cache.check_and_insert("k:1", 1_050));
        assert!(cache.check_and_insert("k:1", 1_100));
        // Already expired: not restored.
        cache.remember_until("k:2", 900, 1_000);
        assert!(cache.check_and_insert("k:2", 1_000));
    }

    #[test]
    fn restoring_respects_the_memory_bound() {
        let cache = ReplayCache::new(600, 3);
        for i in 0..10 {
            cache.remember_until(&format!("k:{i}"), 2_000, 1_000);
        }
        assert!(cache.len() <= 3);
    }
}
