//! The one error type handlers return, answered as RFC 9457 `application/problem+json`.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::ConnectionLoss;
use crate::ingest::error::IngestError;
use crate::queries::error::QueryError;
use crate::store::is_unavailable;
use crate::text::FieldError;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client should wait before retrying when the database is unavailable.
const RETRY_AFTER_SECONDS: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    /// A query, path or header parameter the client sent is malformed or out of range.
    #[error("invalid parameter `{param}`: {detail}")]
    BadParameter { param: String, detail: String },
    /// The request as a whole is malformed (for example a body that is not JSON).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// The detail, and the methods the path does serve (the `Allow` header).
    #[error("{0}")]
    MethodNotAllowed(String, String),
    /// No API key, or an unknown or revoked one.
    #[error("{0}")]
    Unauthorized(String),
    /// A key without the scope the operation needs.
    #[error("{0}")]
    Forbidden(String),
    /// The resource existed and was withdrawn.
    #[error("{0}")]
    Gone(String),
    /// A conditional request's precondition (`If-Match`) does not hold.
    #[error("{0}")]
    PreconditionFailed(String),
    /// A well-formed body whose content breaks the rules: every broken rule, by field.
    #[error("the request is invalid")]
    Validation(Vec<FieldError>),
    /// A well-formed request that cannot be honoured as sent (e.g. an idempotency key reused
    /// with another body).
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A request target (path and query) longer than the server takes.
    #[error("{0}")]
    UriTooLong(String),
    /// An `Accept` header that no representation of the resource satisfies.
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The client's rate budget is spent: retry after `retry_after` seconds; `policy` is the
    /// `RateLimit-Policy` of the budgets that applied.
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after: u64,
        policy: String,
    },
    /// Too many expensive requests are running: transient, the client may retry in a second.
    #[error("{0}")]
    Overloaded(String),
    /// Pool timeout or database down: transient, the client may retry.
    #[error("database unavailable")]
    Unavailable(String),
    /// The database connection broke while the request used it: transient (a read has already
    /// been tried a second time when this is answered, `db::Reads`).
    #[error("database connection lost")]
    ConnectionLost(String),
    /// An item of a batch that was not attempted, because the database became unavailable
    /// before its turn: the detail says where the batch stopped.
    #[error("{0}")]
    NotAttempted(String),
    /// Anything else: logged with its cause, answered as a bare 500.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn bad_parameter(param: &str, detail: impl Into<String>) -> Self {
        Self::BadParameter {
            param: param.to_owned(),
            detail: detail.into(),
        }
    }

    /// `{what} `{key}` not found`, worded where every read's 404 is (`QueryError`).
    pub fn not_found(what: &'static str, key: &str) -> Self {
        QueryError::not_found(what, key).into()
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "about:blank",
    "title": "Bad Request",
    "status": 400,
    "detail": "invalid parameter `limit`: must be between 1 and 100",
    "param": "limit"
}))]
pub struct Problem {
    /// A URI reference that identifies the problem type; `about:blank` means the HTTP status says it all.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The HTTP status phrase.
    pub title: String,
    /// The HTTP status code, repeated for clients that only see the body.
    pub status: u16,
    /// What went wrong with this request, in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The query or path parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// Every broken rule of an invalid body (status 422).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: Option<String>) -> Self {
        Self {
            problem_type: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            param: None,
            errors: None,
        }
    }

    pub fn into_response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status)
            .content_type(PROBLEM_JSON)
            .json(self)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadParameter { .. } | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::MethodNotAllowed(..) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Gone(_) => StatusCode::GONE,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::Validation(_) | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Overloaded(_)
            | Self::Unavailable(_)
            | Self::ConnectionLost(_)
            | Self::NotAttempted(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = self.problem().into_response();
        let headers = response.headers_mut();
        match self {
            Self::Unavailable(_) | Self::ConnectionLost(_) | Self::NotAttempted(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            Self::Overloaded(_) => {
                let wait = super::rate_limit::OVERLOADED_RETRY.as_secs();
                headers.insert(header::RETRY_AFTER, HeaderValue::from(wait));
            }
            Self::TooManyRequests {
                retry_after,
                policy,
                ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
                if let Ok(policy) = HeaderValue::from_str(policy) {
                    headers.insert(super::rate_limit::RATELIMIT_POLICY.clone(), policy);
                }
            }
            Self::MethodNotAllowed(_, allow) => {
                if let Ok(allow) = HeaderValue::from_str(allow) {
                    headers.insert(header::ALLOW, allow);
                }
            }
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

impl ApiError {
    /// The problem document this error answers with; logs what must not be sent.
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            Self::Unavailable(cause) => {
                database_error("unavailable");
                log::warn!("database unavailable: {cause}");
                Some("the database is unavailable; retry later".to_owned())
            }
            Self::ConnectionLost(cause) => {
                database_error("connection_lost");
                log::warn!("database connection lost: {cause}");
                Some("the connection to the database was lost; retry later".to_owned())
            }
            Self::Internal(cause) => {
                database_error("internal");
                log::error!("internal error: {cause}");
                None
            }
            other => Some(other.to_string()),
        };
        let mut problem = Problem::new(status, detail);
        match self {
            Self::BadParameter { param, .. } => problem.param = Some(param.clone()),
            Self::Validation(errors) => problem.errors = Some(errors.clone()),
            _ => {}
        }
        problem
    }
}

/// Counts an error that the database (or this server) caused, by kind, for `/metrics`.
fn database_error(kind: &'static str) {
    metrics::counter!("dateline_errors_total", "kind" => kind).increment(1);
}

impl From<DieselError> for ApiError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                // The index's name is the schema's, not the API's: the ingest layer says which
                // field conflicts where it can; elsewhere this is all a client needs.
                Self::Conflict("another resource already has this identity".to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                Self::Conflict("other resources still refer to this one".to_owned())
            }
            // A lost connection or the statement timeout: the client may retry.
            _ if err.connection_lost() => Self::ConnectionLost(err.to_string()),
            _ if is_unavailable(&err) => Self::Unavailable(err.to_string()),
            _ => Self::Internal(err.to_string()),
        }
    }
}

impl ConnectionLoss for ApiError {
    fn connection_lost(&self) -> bool {
        matches!(self, Self::ConnectionLost(_))
    }
}

impl From<IngestError> for ApiError {
    fn from(err: IngestError) -> Self {
        match err {
            IngestError::Malformed(detail) => Self::BadRequest(detail),
            IngestError::Invalid(errors) => Self::Validation(errors),
            IngestError::NotFound(_) => Self::NotFound(err.to_string()),
            IngestError::Gone(detail) => Self::Gone(detail),
            IngestError::Stale(_) => Self::PreconditionFailed(err.to_string()),
            IngestError::Conflict(detail) => Self::Conflict(detail),
            IngestError::NotAttempted(_) => Self::NotAttempted(err.to_string()),
            IngestError::Database(e) => e.into(),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(err: QueryError) -> Self {
        match err {
            QueryError::BadParameter { param, detail } => Self::BadParameter { param, detail },
            QueryError::NotFound { .. } => Self::NotFound(err.to_string()),
            QueryError::Gone { .. } => Self::Gone(err.to_string()),
            QueryError::Database(e) => e.into(),
        }
    }
}

impl From<PoolError> for ApiError {
    fn from(err: PoolError) -> Self {
        match err {
            PoolError::Timeout(_) => {
                metrics::counter!("dateline_db_pool_timeouts_total").increment(1);
                Self::Unavailable(err.to_string())
            }
            PoolError::Backend(_) => Self::Unavailable(err.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Default service for requests no route takes.
pub async fn unknown_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(route_miss(&req))
}

/// Routes are method-guarded, so actix answers "no route" alike for an unknown path (404) and for
/// a known path asked with a method it does not serve (405); the resource map tells them apart.
fn route_miss(req: &HttpRequest) -> ApiError {
    let not_found = || ApiError::NotFound(format!("no resource at `{}`", req.path()));
    let Some(pattern) = req.resource_map().match_pattern(req.path()) else {
        return not_found();
    };
    // Patterns outside the route table (the docs' assets) serve GET only.
    let methods = super::allowed_methods(&pattern).unwrap_or("GET");
    let method = req.method().as_str();
    let allowed = methods
        .split(", ")
        .any(|m| m == method || (m == "GET" && method == "HEAD"));
    if allowed {
        // The pattern takes this method, and what it names is not there (a file under /docs/).
        not_found()
    } else {
        ApiError::MethodNotAllowed(
            format!("`{}` is not allowed on `{}`", req.method(), req.path()),
            super::http::allow_header(methods),
        )
    }
}

/// Rewrites any error response that is not already problem+json (actix's own 404s, 405s and
/// extractor errors) so that no error ever leaves as text/plain.
pub fn problem_for_bare_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, old) = res.into_parts();
    let mut new = match status {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => route_miss(&req).error_response(),
        _ => Problem::new(status, None).into_response(),
    };
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    let res = ServiceResponse::new(req, new.map_into_boxed_body()).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

/// Declares an operation's error responses for the OpenAPI document: each `status Variant:
/// "description"` (with `headers(…)` where the response sends some), then the 503 and 500 that
/// every operation that reaches the database may answer. All are problem documents.
macro_rules! problem_responses {
    // What every operation may answer, around the operation's own errors and `$common`.
    (@emit $(#[$doc:meta])* $name:ident {
        $($status:literal $variant:ident: $description:literal $(headers $headers:tt)?,)*
    } [$($common:tt)*]) => {
        $(#[$doc])*
        #[derive(utoipa::IntoResponses)]
        pub enum $name {
            $(
                #[response(status = $status, description = $description,
                    content_type = "application/problem+json" $(, headers $headers)?)]
                $variant(Problem),
            )*
            #[response(status = 414, description = "The path and query are longer than 8 KiB",
                content_type = "application/problem+json")]
            UriTooLong(Problem),
            #[response(status = 429,
                description = "This client's rate budget is spent; retry after `Retry-After` seconds (`RateLimit-Policy` says the budgets)",
                content_type = "application/problem+json")]
            TooManyRequests(Problem),
            $($common)*
            #[response(status = 500, description = "An unexpected error",
                content_type = "application/problem+json")]
            Internal(Problem),
        }
    };
    // An operation that never reaches the database: no 503.
    ($(#[$doc:meta])* $name:ident without database { $($errors:tt)* }) => {
        problem_responses!(@emit $(#[$doc])* $name { $($errors)* } []);
    };
    ($(#[$doc:meta])* $name:ident { $($errors:tt)* }) => {
        problem_responses!(@emit $(#[$doc])* $name { $($errors)* } [
            #[response(status = 503,
                description = "The database is unavailable or too slow, or too many searches run at once; retry after `Retry-After` seconds",
                content_type = "application/problem+json")]
            Unavailable(Problem),
        ]);
    };
}

problem_responses! {
    /// Error responses of reading one author, entity or topic.
    ItemErrors {
        400 BadRequest: "A query parameter the operation does not take",
        404 NotFound: "Nothing with this id or slug",
    }
}

problem_responses! {
    /// Error responses of reading one article.
    ArticleErrors {
        400 BadRequest: "A query parameter the operation does not take, or an unknown `format`",
        404 NotFound: "No article with this id or slug",
        406 NotAcceptable: "`Accept` names no format the article comes in (JSON, ninjs 2.2 or 3.1, JSON-LD)",
        410 Gone: "The article was withdrawn",
    }
}

problem_responses! {
    /// Error responses of an article's related articles.
    RelatedArticleErrors {
        400 BadRequest: "A malformed or unknown parameter or cursor",
        404 NotFound: "No article with this id or slug",
        410 Gone: "The article was withdrawn",
    }
}

problem_responses! {
    /// Error responses of a list.
    ListErrors {
        400 BadRequest: "A malformed or unknown parameter, cursor or query string",
        404 NotFound: "An unknown slug in the path or in the filters",
    }
}

problem_responses! {
    /// Error responses of the change feed.
    FeedErrors {
        400 BadRequest: "A malformed or unknown parameter or cursor",
    }
}

problem_responses! {
    /// Error responses of the readiness probe.
    ProbeErrors {
        400 BadRequest: "A query parameter the operation does not take",
    }
}

problem_responses! {
    /// Error responses of an operation that reads no data (the probes' liveness, the spec, the
    /// entry point).
    PlainErrors without database {
        400 BadRequest: "A query parameter the operation does not take",
    }
}

/// Declares the error responses of a resource's writes: the same statuses for every resource,
/// each described in that resource's terms.
macro_rules! write_errors {
    ($(#[$doc:meta])* $name:ident {
        not_found: $not_found:literal,
        conflict: $conflict:literal
        $(, gone: $gone:literal, stale: $stale:literal)? $(,)?
    }) => {
        problem_responses! {
            $(#[$doc])*
            $name {
                400 BadRequest: "A malformed body, path or header",
                401 Unauthorized: "No API key, or an unknown or revoked one"
                    headers(("WWW-Authenticate" = String, description = "`Bearer`")),
                403 Forbidden: "The API key lacks the `write` scope",
                404 NotFound: $not_found,
                409 Conflict: $conflict,
                $(410 Gone: $gone,)?
                $(412 PreconditionFailed: $stale,)?
                413 PayloadTooLarge: "The body is too large",
                415 UnsupportedMediaType: "The body is not JSON",
                422 Unprocessable: "The body breaks the rules: `errors` lists each `{field, message}`",
            }
        }
    };
}

write_errors!(
    /// Error responses of an article write.
    ArticleWriteErrors {
        not_found: "No article with this id or slug",
        conflict: "Another article already has this `url` or `source` + `external_id`",
        gone: "The article was withdrawn",
        stale: "`If-Match` names another version than the article's current one",
    }
);

write_errors!(
    /// Error responses of an author write.
    AuthorWriteErrors {
        not_found: "No author with this slug",
        conflict: "The slug is taken, or (on delete) the author still has bylines",
    }
);

write_errors!(
    /// Error responses of an entity write.
    EntityWriteErrors {
        not_found: "No entity with this slug",
        conflict: "The slug or Wikidata id is taken, or (on delete) articles still link to the entity",
    }
);

write_errors!(
    /// Error responses of a topic write.
    TopicWriteErrors {
        not_found: "No topic with this slug",
        conflict: "The slug or IPTC code is taken, or (on delete) the topic still has subtopics or articles",
    }
);
