//! Per-client budgets, so that no client can starve the others: a token bucket per client
//! address (`governor`'s GCRA) for every request, a second, smaller one for the expensive ones
//! (full-text search, facets, related lists), and a bound on how many expensive requests run at
//! once, so that they can never take every database connection from the cheap reads. Answers
//! carry the IETF `RateLimit-Policy` and `RateLimit` headers
//! (draft-ietf-httpapi-ratelimit-headers); a refusal is a 429 problem with `Retry-After`.
//!
//! The client is the address [`ProxyPolicy::client_ip`] gives. Loopback is exempt unless the
//! operator says otherwise: the benchmarks and the tests' own servers run there.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tokio::sync::Semaphore;

use super::error::ApiError;
use super::proxies::ProxyPolicy;

/// The header of a budget's quota and window, on answers and on refusals.
pub static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// How often the buckets of clients that have gone quiet are dropped: every this many requests.
const SWEEP_EVERY: u32 = 4096;

type Limiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

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
    /// At most this many expensive requests run at once; the next ones are a 503.
    running_expensive: Semaphore,
    limit_loopback: bool,
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
    pub expensive_concurrency: usize,
    pub limit_loopback: bool,
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
            expensive_concurrency: 4,
            limit_loopback: false,
        }
    }
}

impl RateLimits {
    pub fn new(settings: RateLimitSettings) -> Arc<Self> {
        let limiter = |budget: Budget| {
            let rate = NonZeroU32::new(budget.per_second)?;
            let burst = NonZeroU32::new(budget.burst.max(budget.per_second))?;
            let quota = Quota::per_second(rate).allow_burst(burst);
            Some((budget, RateLimiter::keyed(quota).with_middleware()))
        };
        Arc::new(Self {
            every: limiter(settings.every),
            expensive: limiter(settings.expensive),
            running_expensive: Semaphore::new(settings.expensive_concurrency.max(1)),
            limit_loopback: settings.limit_loopback,
            requests: AtomicU32::new(0),
        })
    }

    /// Takes one request from `client`'s budget: the `RateLimit` header value on success, the
    /// seconds to wait on refusal.
    fn take(&self, budget: &(Budget, Limiter), client: IpAddr) -> Result<String, u64> {
        let (budget, limiter) = budget;
        match limiter.check_key(&client) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                let refill = (budget.burst.saturating_sub(remaining)).div_ceil(budget.per_second);
                Ok(format!("r={remaining};t={refill}"))
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            }
        }
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
        }
    }
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
    let limits = req
        .app_data::<web::Data<Option<Arc<RateLimits>>>>()
        .and_then(|limits| limits.get_ref().clone());
    let Some(limits) = limits else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let client = ProxyPolicy::of(req.request()).client_ip(req.request());
    let Some(client) = client.filter(|ip| limits.limit_loopback || !ip.is_loopback()) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    limits.sweep();
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
                return Ok(req.error_response(refusal).map_into_right_body());
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
                return Ok(req.error_response(refusal).map_into_right_body());
            }
        }
    } else {
        None
    };
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in [(&RATELIMIT_POLICY, policies), (&RATELIMIT, states)] {
        if let Ok(value) = HeaderValue::from_str(&value.join(", ")) {
            headers.insert(name.clone(), value);
        }
    }
    Ok(response.map_into_left_body())
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
