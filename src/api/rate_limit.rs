//! Per-client budgets, so that no client can starve the others: a token bucket per client
//! address (`governor`'s GCRA) for every request, a second, smaller one for the expensive ones
//! (full-text search, facets, related lists), and a bound on how many expensive requests run at
//! once, so that they can never take every database connection from the cheap reads. Answers
//! carry the IETF `RateLimit-Policy` and `RateLimit` headers
//! (draft-ietf-httpapi-ratelimit-headers); a refusal is a 429 problem with `Retry-After`.
//!
//! Keys have budgets of their own, charged once a key is verified (`auth::WriteKey`): a key used
//! from many addresses is still one client. Failed authentications are counted per address, and
//! an address past its budget of them gets 429 for any request with credentials, before the key
//! is looked up, until the budget refills: guessing keys costs the guesser, not the database.
//!
//! The client is the address [`ProxyPolicy::client_ip`] gives. Loopback is exempt unless the
//! operator says otherwise: the benchmarks and the tests' own servers run there.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tokio::sync::Semaphore;

use super::error::ApiError;
use super::proxies::ProxyPolicy;
use crate::store::keys::ApiKeyId;

/// The header of a budget's quota and window, on answers and on refusals.
pub static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// How often the buckets of clients that have gone quiet are dropped: every this many requests.
const SWEEP_EVERY: u32 = 4096;

type Limiter<K = IpAddr> =
    RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock, StateInformationMiddleware>;

/// One budget: requests per second, and how many may come at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub per_second: u32,
    pub burst: u32,
}

/// The budgets and their state, shared by every worker.
pub struct RateLimits {
    every: Option<(Budget, Limiter)>,
    expensive: Option<(Budget, Limiter)>,
    /// Per key, charged when the key is verified.
    per_key: Option<(Budget, Limiter<ApiKeyId>)>,
    /// Failed authentications per address, a minute's worth.
    auth_failures: Option<(u32, Limiter)>,
    /// Addresses past their failed authentications, and until when.
    barred: Mutex<HashMap<IpAddr, Instant>>,
    /// At most this many expensive requests run at once; the next ones are a 503.
    running_expensive: Semaphore,
    limit_loopback: bool,
    refusal_delay: Duration,
    requests: AtomicU32,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("every", &self.every.as_ref().map(|(b, _)| b))
            .field("expensive", &self.expensive.as_ref().map(|(b, _)| b))
            .field("limit_loopback", &self.limit_loopback)
            .finish_non_exhaustive()
    }
}

/// How the budgets are set: a budget of 0 requests per second is no limit.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitSettings {
    pub every: Budget,
    pub expensive: Budget,
    pub per_key: Budget,
    /// Failed authentications an address may make in a minute (0: no limit).
    pub auth_failures_per_minute: u32,
    pub expensive_concurrency: usize,
    pub limit_loopback: bool,
    /// How long a refusal (429, or the 503 of the expensive bound) is held before it is sent. A
    /// client that ignores `Retry-After` and asks again as fast as it is answered is then slowed
    /// to one request per delay and connection, at the cost of a timer rather than of the CPU
    /// that cheap reads need: without it, 200 such clients made the server answer 3,000
    /// refusals a second (bench/search-flood.py, docs/reliability.md).
    pub refusal_delay: Duration,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            every: Budget {
                per_second: 50,
                burst: 200,
            },
            expensive: Budget {
                per_second: 5,
                burst: 20,
            },
            per_key: Budget {
                per_second: 50,
                burst: 200,
            },
            auth_failures_per_minute: 10,
            expensive_concurrency: 4,
            limit_loopback: false,
            refusal_delay: Duration::from_secs(1),
        }
    }
}

impl RateLimits {
    pub fn new(settings: RateLimitSettings) -> Arc<Self> {
        fn limiter<K: Hash + Eq + Clone>(budget: Budget) -> Option<(Budget, Limiter<K>)> {
            let rate = NonZeroU32::new(budget.per_second)?;
            let burst = NonZeroU32::new(budget.burst.max(budget.per_second))?;
            let quota = Quota::per_second(rate).allow_burst(burst);
            Some((budget, RateLimiter::keyed(quota).with_middleware()))
        }
        let auth_failures = NonZeroU32::new(settings.auth_failures_per_minute).map(|n| {
            let quota = Quota::per_minute(n).allow_burst(n);
            (n.get(), RateLimiter::keyed(quota).with_middleware())
        });
        Arc::new(Self {
            every: limiter(settings.every),
            expensive: limiter(settings.expensive),
            per_key: limiter(settings.per_key),
            auth_failures,
            barred: Mutex::new(HashMap::new()),
            running_expensive: Semaphore::new(settings.expensive_concurrency.max(1)),
            limit_loopback: settings.limit_loopback,
            refusal_delay: settings.refusal_delay,
            requests: AtomicU32::new(0),
        })
    }

    /// Takes one request from `client`'s budget: the `RateLimit` header value on success, the
    /// seconds to wait on refusal.
    fn take<K: Hash + Eq + Clone>(
        &self,
        budget: &(Budget, Limiter<K>),
        client: K,
    ) -> Result<String, u64> {
        let (budget, limiter) = budget;
        match limiter.check_key(&client) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                let refill = (budget.burst.saturating_sub(remaining)).div_ceil(budget.per_second);
                Ok(format!("r={remaining};t={refill}"))
            }
            Err(not_until) => Err(whole_seconds(
                not_until.wait_time_from(DefaultClock::default().now()),
            )),
        }
    }

    /// Seconds `client` is still barred for its failed authentications, if it is.
    fn barred(&self, client: IpAddr) -> Option<u64> {
        let barred = self.barred.lock().ok()?;
        let until = barred.get(&client)?;
        let left = until.saturating_duration_since(Instant::now());
        (!left.is_zero()).then(|| whole_seconds(left))
    }

    /// Counts a failed authentication of `client`; past its budget, it is barred until the
    /// budget has room again.
    fn failed_authentication(&self, client: IpAddr) {
        let Some((_, limiter)) = &self.auth_failures else {
            return;
        };
        let wait = match limiter.check_key(&client) {
            // The last failure the budget allows: barred until it has room for one more.
            Ok(state) if state.remaining_burst_capacity() == 0 => {
                state.quota().replenish_interval()
            }
            Ok(_) => return,
            Err(not_until) => not_until.wait_time_from(DefaultClock::default().now()),
        };
        if let Ok(mut barred) = self.barred.lock() {
            barred.insert(client, Instant::now() + wait);
        }
    }

    /// The policy of the failed-authentication budget, for its refusals.
    fn auth_failures_policy(&self) -> String {
        let n = self.auth_failures.as_ref().map_or(0, |(n, _)| *n);
        format!("\"auth-failures\";q={n};w=60")
    }

    fn sweep(&self) {
        if self
            .requests
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            for (_, limiter) in self.every.iter().chain(self.expensive.iter()) {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
            if let Some((_, limiter)) = &self.per_key {
                limiter.retain_recent();
            }
            if let Some((_, limiter)) = &self.auth_failures {
                limiter.retain_recent();
            }
            if let Ok(mut barred) = self.barred.lock() {
                let now = Instant::now();
                barred.retain(|_, until| *until > now);
            }
        }
    }
}

/// A wait in whole seconds, rounded up: `Retry-After` takes no fractions.
fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// The rate limits that apply to `req`'s client, and its address: none for an exempt client.
fn applying(req: &HttpRequest) -> Option<(Arc<RateLimits>, IpAddr)> {
    let limits = req
        .app_data::<web::Data<Option<Arc<RateLimits>>>>()
        .and_then(|limits| limits.get_ref().clone())?;
    let client = ProxyPolicy::of(req).client_ip(req)?;
    (limits.limit_loopback || !client.is_loopback()).then_some((limits, client))
}

/// Charges a request to the budget of the key it was verified with: a 429, after the refusal
/// delay, when it is spent.
pub async fn charge_key(req: &HttpRequest, key: ApiKeyId) -> Result<(), ApiError> {
    let Some((limits, _)) = applying(req) else {
        return Ok(());
    };
    let Some(budget) = &limits.per_key else {
        return Ok(());
    };
    let Err(wait) = limits.take(budget, key) else {
        return Ok(());
    };
    metrics::counter!("dateline_rate_limited_total", "budget" => "key").increment(1);
    tokio::time::sleep(limits.refusal_delay).await;
    Err(ApiError::TooManyRequests {
        detail: format!(
            "this key's budget ({} requests a second) is spent; retry in {wait} s",
            budget.0.per_second
        ),
        retry_after: wait,
        policy: policy_header("key", budget.0),
    })
}

/// Whether a request is one of the expensive kind: a full-text search, facets or related.
fn is_expensive(req: &ServiceRequest) -> bool {
    let path = req.path();
    path.ends_with("/facets")
        || path.ends_with("/related")
        || url::form_urlencoded::parse(req.query_string().as_bytes())
            .any(|(name, value)| name == "q" && !value.trim().is_empty())
}

/// The policy header: each budget's quota and its window (the seconds to refill a burst).
fn policy_header(name: &str, budget: Budget) -> String {
    let window = budget.burst.div_ceil(budget.per_second.max(1));
    format!("\"{name}\";q={};w={window}", budget.burst)
}

/// The middleware.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some((limits, client)) = applying(req.request()) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    limits.sweep();
    let with_credentials = req.headers().contains_key(header::AUTHORIZATION);
    if with_credentials && let Some(wait) = limits.barred(client) {
        metrics::counter!("dateline_rate_limited_total", "budget" => "auth-failures").increment(1);
        let refusal = ApiError::TooManyRequests {
            detail: format!("too many failed authentications from this address; retry in {wait} s"),
            retry_after: wait,
            policy: limits.auth_failures_policy(),
        };
        return Ok(refuse(req, refusal, limits.refusal_delay).await);
    }
    let expensive = is_expensive(&req);
    let mut policies = Vec::new();
    let mut states = Vec::new();
    let budgets = [
        ("every", limits.every.as_ref()),
        ("expensive", limits.expensive.as_ref().filter(|_| expensive)),
    ];
    for (name, budget) in budgets {
        let Some(budget) = budget else { continue };
        policies.push(policy_header(name, budget.0));
        match limits.take(budget, client) {
            Ok(state) => states.push(format!("\"{name}\";{state}")),
            Err(wait) => {
                metrics::counter!("dateline_rate_limited_total", "budget" => name).increment(1);
                let refusal = ApiError::TooManyRequests {
                    detail: format!(
                        "this client's {name} budget ({} requests a second) is spent; retry in {wait} s",
                        budget.0.per_second
                    ),
                    retry_after: wait,
                    policy: policies.join(", "),
                };
                return Ok(refuse(req, refusal, limits.refusal_delay).await);
            }
        }
    }
    let _permit = if expensive {
        match limits.running_expensive.try_acquire() {
            Ok(permit) => Some(permit),
            Err(_) => {
                metrics::counter!("dateline_rate_limited_total", "budget" => "concurrency")
                    .increment(1);
                let refusal = ApiError::Overloaded(
                    "too many searches, facets and related lists are running; retry in 1 s"
                        .to_owned(),
                );
                return Ok(refuse(req, refusal, limits.refusal_delay).await);
            }
        }
    } else {
        None
    };
    let mut response = next.call(req).await?;
    if with_credentials && response.status() == StatusCode::UNAUTHORIZED {
        limits.failed_authentication(client);
    }
    let headers = response.headers_mut();
    // A key's refusal, from inside, names its own budget: kept beside the address's.
    if let Some(inner) = headers.get(&RATELIMIT_POLICY).and_then(|v| v.to_str().ok()) {
        policies.push(inner.to_owned());
    }
    for (name, value) in [(&RATELIMIT_POLICY, policies), (&RATELIMIT, states)] {
        if let Ok(value) = HeaderValue::from_str(&value.join(", ")) {
            headers.insert(name.clone(), value);
        }
    }
    Ok(response.map_into_left_body())
}

/// Answers `refusal` after the refusal delay (`RateLimitSettings::refusal_delay`).
async fn refuse<B>(
    req: ServiceRequest,
    refusal: ApiError,
    delay: Duration,
) -> ServiceResponse<EitherBody<B>> {
    tokio::time::sleep(delay).await;
    req.error_response(refusal).map_into_right_body()
}

/// How long a client waits after an expensive request was refused for want of a free slot.
pub const OVERLOADED_RETRY: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn searches_facets_and_related_lists_are_expensive() {
        for (uri, expensive) in [
            ("/v1/articles?q=ukraine", true),
            ("/v1/topics/politics/articles?limit=5&q=vote", true),
            ("/v1/articles?q=", false),
            ("/v1/articles/facets?topic=politics", true),
            ("/v1/articles/some-story/related", true),
            ("/v1/articles?limit=5", false),
            ("/v1/entities/nato", false),
        ] {
            let req = TestRequest::get().uri(uri).to_srv_request();
            assert_eq!(is_expensive(&req), expensive, "{uri}");
        }
    }

    #[test]
    fn a_budget_refuses_past_its_burst_and_says_when_to_come_back() {
        let limits = RateLimits::new(RateLimitSettings {
            every: Budget {
                per_second: 1,
                burst: 3,
            },
            ..Default::default()
        });
        let budget = limits.every.as_ref().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(limits.take(budget, client), Ok("r=2;t=1".to_owned()));
        assert_eq!(limits.take(budget, client), Ok("r=1;t=2".to_owned()));
        assert_eq!(limits.take(budget, client), Ok("r=0;t=3".to_owned()));
        assert_eq!(limits.take(budget, client), Err(1));
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        assert!(
            limits.take(budget, other).is_ok(),
            "each client has its own bucket"
        );
        assert_eq!(policy_header("every", budget.0), "\"every\";q=3;w=3");
    }
}
