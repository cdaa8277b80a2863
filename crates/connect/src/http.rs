//! The HTTP side of every connector: one [`ConnectClient`] per holder and
//! application (the holder's rate limit is per application, not per
//! resident), a sliding-window rate limiter, and, when several servers are
//! the application, a pace they share ([`SharedCounts`]); sending with
//! retries and backoff (honouring `Retry-After`), and the application's own
//! token when the holder gives one per application (client credentials).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::{Politeness, RetryPolicy};
use crate::error::{ConnectError, error_chain};
use crate::oauth::Tokens;

/// Extra time added to the limiter's one-second window, so that requests
/// delayed differently on their way still arrive at most `max` per second
/// as the holder counts them.
const LIMITER_MARGIN: Duration = Duration::from_millis(100);

/// Counters every server of the installation shares (the host directory's
/// fixed-window counters): the holder's rate limit is per application, and
/// when several servers run, the application is all of them.
pub trait SharedCounts: Send + Sync {
    /// Counts one under `key` in the fixed window of `window_ms` that holds
    /// `at_ms` (milliseconds since the epoch), for every server; returns
    /// the count of that window, this one included.
    fn count<'a>(
        &'a self,
        key: &'a str,
        window_ms: i64,
        at_ms: i64,
    ) -> Pin<Box<dyn Future<Output = Result<u64, String>> + Send + 'a>>;
}

/// The pace several servers share: the second is cut into `max` slots of
/// (1 s + margin) / `max`, a request takes a slot no server counted yet and
/// is sent at its start, so any second holds at most `max` requests of
/// all servers together.
#[derive(Clone)]
struct SharedPace {
    counts: Arc<dyn SharedCounts>,
    key: String,
    slot_ms: i64,
}

impl SharedPace {
    async fn acquire(&self) {
        let now = now_ms();
        // The next slot's start: a request is sent at its slot's start, so
        // that slots `max` apart are a whole window apart.
        let mut at = now - now.rem_euclid(self.slot_ms) + self.slot_ms;
        loop {
            match self.counts.count(&self.key, self.slot_ms, at).await {
                Ok(1) => break,
                Ok(_) => at += self.slot_ms,
                Err(e) => {
                    // The servers' own limiters still hold each to the limit.
                    tracing::warn!(error = %e, "the shared pace is out of reach; pacing alone");
                    return;
                }
            }
        }
        let wait = at - now_ms();
        if wait > 0 {
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The HTTP client, the rate limiter and the retry policy shared by every
/// connection of the application to one holder, and the application's
/// token when the holder gives one per application. Cheap to clone; clones
/// share the limiter and the token.
#[derive(Clone)]
pub struct ConnectClient {
    http: reqwest::Client,
    limiter: Arc<RateLimiter>,
    shared: Option<SharedPace>,
    retry: RetryPolicy,
    app_token: Arc<std::sync::Mutex<Option<Tokens>>>,
}

impl std::fmt::Debug for ConnectClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectClient")
            .field("max_per_second", &self.limiter.max)
            .finish()
    }
}

/// A fully read answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
    /// Attempts it took (1 when the first one answered).
    pub attempts: u32,
}

impl ConnectClient {
    /// A client with these rate limit, request timeout and retries (a
    /// connector's [`crate::Connector::politeness`]).
    pub fn new(politeness: &Politeness) -> Result<Self, ConnectError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("selfdata-connect/", env!("CARGO_PKG_VERSION")))
            .timeout(politeness.request_timeout)
            .connect_timeout(politeness.request_timeout.min(Duration::from_secs(20)))
            .build()
            .map_err(ConnectError::Client)?;
        Ok(Self {
            http,
            limiter: Arc::new(RateLimiter::new(politeness.max_requests_per_second)),
            shared: None,
            retry: politeness.retry.clone(),
            app_token: Arc::default(),
        })
    }

    /// Paces this client's requests together with every other server's
    /// client counting under `key` in `counts` (the same holder and
    /// application), at the rate this client was made with.
    pub fn pace_with(mut self, counts: Arc<dyn SharedCounts>, key: &str) -> Self {
        let window = (Duration::from_secs(1) + LIMITER_MARGIN).as_millis() as i64;
        self.shared = Some(SharedPace {
            counts,
            key: key.to_owned(),
            slot_ms: (window / self.limiter.max as i64).max(1),
        });
        self
    }

    /// The application's token, when one was obtained.
    pub(crate) fn app_token(&self) -> Option<Tokens> {
        self.app_token
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn set_app_token(&self, tokens: Tokens) {
        *self.app_token.lock().unwrap_or_else(|p| p.into_inner()) = Some(tokens);
    }

    /// How long a request asked for now would wait for the rate limiter.
    pub(crate) async fn expected_wait(&self) -> Duration {
        self.limiter.expected_wait().await
    }

    /// Sends the request `build` makes, waiting for the rate limiter before
    /// each attempt, retrying 429, 5xx, transport failures and broken bodies
    /// with backoff. Any other status is returned to the caller. `what`
    /// names the request in errors and logs.
    pub(crate) async fn send(
        &self,
        holder: &'static str,
        what: &str,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Answer, ConnectError> {
        let max_attempts = self.retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.limiter.acquire().await;
            if let Some(shared) = &self.shared {
                shared.acquire().await;
            }
            let (failure, retry_after) = match build(&self.http).send().await {
                Err(e) => (error_chain(&e), None),
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(response.headers());
                    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                        (format!("HTTP {status}"), retry_after)
                    } else {
                        match response.bytes().await {
                            Ok(body) => {
                                return Ok(Answer {
                                    status,
                                    body: body.to_vec(),
                                    attempts: attempt,
                                });
                            }
                            Err(e) => (format!("the answer broke off: {}", error_chain(&e)), None),
                        }
                    }
                }
            };
            if attempt >= max_attempts {
                return Err(ConnectError::Unavailable {
                    holder,
                    what: what.to_owned(),
                    attempts: attempt,
                    last: failure,
                });
            }
            let delay = self.retry.delay(attempt, retry_after);
            tracing::warn!(holder, what, attempt, %failure, ?delay, "request to a holder failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }
}

/// `Retry-After` as seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// At most `max` acquisitions in any window of one second (plus a margin).
/// Waiters are served in order.
pub(crate) struct RateLimiter {
    max: usize,
    window: Duration,
    sent: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub(crate) fn new(max_per_second: u32) -> Self {
        Self {
            max: max_per_second.max(1) as usize,
            window: Duration::from_secs(1) + LIMITER_MARGIN,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) async fn expected_wait(&self) -> Duration {
        let sent = self.sent.lock().await;
        if sent.len() < self.max {
            return Duration::ZERO;
        }
        let free_at = sent[sent.len() - self.max] + self.window;
        free_at.saturating_duration_since(Instant::now())
    }

    pub(crate) async fn acquire(&self) {
        let mut sent = self.sent.lock().await;
        loop {
            let now = Instant::now();
            while sent.front().is_some_and(|&t| t + self.window <= now) {
                sent.pop_front();
            }
            if sent.len() < self.max {
                sent.push_back(now);
                return;
            }
            let oldest = sent[0];
            tokio::time::sleep_until(oldest + self.window).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(90));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let asked = retry_after(&headers).unwrap();
        assert!(asked > Duration::from_secs(85) && asked <= Duration::from_secs(90));
    }

    #[tokio::test]
    async fn limiter_lets_max_through_then_waits_a_window() {
        let limiter = RateLimiter::new(3);
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(50));
        limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(1));
    }
}
