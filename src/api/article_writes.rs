//! Writing articles: `POST /v1/articles` (upsert), `PUT`, `PATCH`, `DELETE`, and batches. The
//! handlers parse the request and shape the answer; the ingest layer does the writing.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, delete, patch, post, put, web};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::articles::{Article, article_response, article_view};
use super::auth::WriteKey;
use super::error::{ApiError, ArticleWriteErrors, Problem};
use super::http::{etag_of, if_match_holds};
use super::params::{NINJS_JSON, parse_article, parse_json, require_content_type};
use crate::db::DbPool;
use crate::ingest::articles::{self as ingest, UnknownTopics};
use crate::ingest::error::IngestError;
use crate::ingest::input::{ArticleInput, from_json, from_ninjs, from_value, split_ndjson};
use crate::ingest::linking::SharedGazetteer;
use crate::queries::article::{self, article_ref};
use crate::queries::error::QueryError;
use crate::store::ArticleId;
use crate::store::article_write::Outcome;
use crate::store::articles::ArticleRef;
use crate::store::idempotency::{self, StoredResponse};
use crate::text::FieldError;

/// The most items one batch may carry.
pub const MAX_BATCH_ITEMS: usize = 1_000;
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Create or update an article.
///
/// Creates the article, or updates the one with the same identity (its canonical `url`, or `source`
/// + `external_id`). A new article is 201 with `Location`; a changed one 200 with its `version`
/// incremented; an identical one 200 with nothing changed. With an `Idempotency-Key`, a retry gets
/// the first answer back byte for byte.
#[utoipa::path(
    tag = "articles",
    request_body(description = "dateline's `ArticleInput`, or an IPTC ninjs 2.x or 3.x text item \
        (`application/ninjs+json`: headlines, descriptions, bodies, `by`, `located`, times, `subjects` with IPTC Media \
        Topic codes, people, organisations, places, events, and associations with renditions)",
        content(
            (ArticleInput = "application/json"),
            (Object = "application/ninjs+json"),
        )),
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Any unique string of 1 to 255 visible ASCII characters naming this request, so that it can be retried safely")),
    security(("api_key" = ["write"])),
    responses(
        (status = 201, description = "Created", body = Article, headers(("Location" = String, description = "The article's URL"))),
        (status = 200, description = "Updated, or unchanged when identical", body = Article),
        ArticleWriteErrors,
    )
)]
#[post("/articles")]
pub async fn upsert_article(
    req: HttpRequest,
    key: WriteKey,
    pool: web::Data<DbPool>,
    gazetteer: web::Data<SharedGazetteer>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let idempotency_key = idempotency_key(&req)?;
    let input = parse_article(&req, &body)?;
    let mut conn = pool.get().await?;
    let request_hash = Sha256::digest(
        [
            req.method().as_str().as_bytes(),
            req.path().as_bytes(),
            &body,
        ]
        .concat(),
    )
    .to_vec();
    if let Some(idem) = &idempotency_key
        && let Some(stored) = idempotency::find(&mut conn, key.0, idem).await?
    {
        return replay(&stored, &request_hash);
    }
    let upserted = ingest::upsert(&mut conn, &gazetteer, input).await?;
    let status = if upserted.outcome == Outcome::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let response = stored_answer(&mut conn, upserted.id, status, request_hash).await?;
    let response = match &idempotency_key {
        Some(idem) => idempotency::keep(&mut conn, key.0, idem, &response).await?,
        None => response,
    };
    Ok(answer(&response))
}

/// Replace an article.
///
/// Replaces the article with what is sent, identity included. With `If-Match`, only while the
/// article is still the version the client read.
#[utoipa::path(
    tag = "articles",
    params(("id_or_slug" = String, Path, description = "The article's numeric id or its slug", example = "1"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the article as last read: the write happens only if the article is still that version (412 otherwise), so two editors never overwrite each other unseen")),
    request_body(content = ArticleInput, content_type = "application/json"),
    security(("api_key" = ["write"])),
    responses((status = 200, description = "The article as stored", body = Article), ArticleWriteErrors)
)]
#[put("/articles/{id_or_slug}")]
pub async fn replace_article(
    req: HttpRequest,
    _key: WriteKey,
    pool: web::Data<DbPool>,
    gazetteer: web::Data<SharedGazetteer>,
    path: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: ArticleInput = parse_json(&req, &body)?;
    let reference = article_ref(&path)?;
    let mut conn = pool.get().await?;
    let version = if_match(&req, &mut conn, &reference, &path).await?;
    let id = ingest::replace(&mut conn, &gazetteer, &reference, &path, input, version).await?;
    stored_view(&mut conn, id).await
}

/// Change some fields of an article.
///
/// A JSON Merge Patch (RFC 7396) of the article as `ArticleInput`: the fields sent replace the
/// stored ones, `null` removes one. With `If-Match`, only while it is still the version the client
/// read.
#[utoipa::path(
    tag = "articles",
    params(("id_or_slug" = String, Path, description = "The article's numeric id or its slug", example = "1"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the article as last read: the write happens only if the article is still that version (412 otherwise), so two editors never overwrite each other unseen")),
    request_body(content = Object, content_type = "application/merge-patch+json",
        example = json!({"lead": "A corrected lead.", "topics": ["diplomacy"]})),
    security(("api_key" = ["write"])),
    responses((status = 200, description = "The article as stored", body = Article), ArticleWriteErrors)
)]
#[patch("/articles/{id_or_slug}")]
pub async fn patch_article(
    req: HttpRequest,
    _key: WriteKey,
    pool: web::Data<DbPool>,
    gazetteer: web::Data<SharedGazetteer>,
    path: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    require_content_type(&req, &["application/merge-patch+json", "application/json"])?;
    let patch: serde_json::Value = from_json(&body).map_err(ApiError::from)?;
    if !patch.is_object() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "",
            "a merge patch is a JSON object",
        )]));
    }
    let reference = article_ref(&path)?;
    let mut conn = pool.get().await?;
    let version = if_match(&req, &mut conn, &reference, &path).await?;
    let id = ingest::patch(&mut conn, &gazetteer, &reference, &path, &patch, version).await?;
    stored_view(&mut conn, id).await
}

/// Withdraw an article.
///
/// The article leaves every list, and `GET` answers 410 Gone. A later upsert of the same identity
/// publishes it again. With `If-Match`, only while it is still the version the client read.
#[utoipa::path(
    tag = "articles",
    params(("id_or_slug" = String, Path, description = "The article's numeric id or its slug", example = "1"),
        ("If-Match" = Option<String>, Header, description = "The `ETag` of the article as last read: the write happens only if the article is still that version (412 otherwise), so two editors never overwrite each other unseen")),
    security(("api_key" = ["write"])),
    responses((status = 204, description = "Withdrawn"), ArticleWriteErrors)
)]
#[delete("/articles/{id_or_slug}")]
pub async fn withdraw_article(
    req: HttpRequest,
    _key: WriteKey,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let reference = article_ref(&path)?;
    let mut conn = pool.get().await?;
    let version = if_match(&req, &mut conn, &reference, &path).await?;
    ingest::withdraw(&mut conn, &reference, &path, version).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The result of one item of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemResult {
    /// The item's position in the batch, from 0.
    pub index: usize,
    /// The HTTP status the item would have had on its own: 201, 200, a 4xx, or 503 when the
    /// database became unavailable at this item or before it (the batch stops there; send the
    /// 503 items again).
    pub status: u16,
    /// The article's id, when the item was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// `created`, `updated` or `unchanged`, when the item was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Why the item was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

/// What a batch did, item by item.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    /// One result per item, in the order sent.
    pub results: Vec<BatchItemResult>,
}

/// Create or update up to 1,000 articles.
///
/// Each item is upserted on its own, as `POST /v1/articles` would: one bad item never blocks or
/// undoes the others, and each gets its own result. When the database becomes unavailable
/// midway, the items already stored stay stored, and that item and every later one are 503. Send a JSON array, or NDJSON with `Content-
/// Type: application/x-ndjson`.
#[utoipa::path(
    tag = "articles",
    request_body(content = Vec<Object>, content_type = "application/json",
        description = "An array of `ArticleInput` objects, or one per line as `application/x-ndjson`, or \
            an array of IPTC ninjs text items as `application/ninjs+json`. Each item is checked on its own: one that is not a valid `ArticleInput` is reported in its result."),
    security(("api_key" = ["write"])),
    responses((status = 200, description = "Each item's result, in order", body = BatchResult), ArticleWriteErrors)
)]
#[post("/articles/batch")]
pub async fn upsert_batch(
    req: HttpRequest,
    _key: WriteKey,
    pool: web::Data<DbPool>,
    gazetteer: web::Data<SharedGazetteer>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let media = require_content_type(
        &req,
        &["application/json", "application/x-ndjson", NINJS_JSON],
    )?;
    let items: Vec<Result<ArticleInput, IngestError>> = if media == "application/x-ndjson" {
        split_ndjson(&body).map(from_json).collect()
    } else {
        let values: Vec<serde_json::Value> = from_json(&body).map_err(ApiError::from)?;
        // Items are checked one by one, but an item that is not even an object breaks the
        // documented shape of the whole request.
        let not_objects: Vec<FieldError> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_object())
            .map(|(i, _)| FieldError::new(format!("[{i}]"), "must be an object"))
            .collect();
        if !not_objects.is_empty() {
            return Err(ApiError::Validation(not_objects));
        }
        if media == NINJS_JSON {
            values.iter().map(from_ninjs).collect()
        } else {
            values.iter().map(from_value).collect()
        }
    };
    if items.len() > MAX_BATCH_ITEMS {
        return Err(ApiError::PayloadTooLarge(format!(
            "at most {MAX_BATCH_ITEMS} items per batch"
        )));
    }
    let mut conn = pool.get().await?;
    let stored = ingest::upsert_all(&mut conn, &gazetteer, items, UnknownTopics::Refuse).await?;
    let results = stored
        .into_iter()
        .enumerate()
        .map(|(index, result)| match result {
            Ok(upserted) => BatchItemResult {
                index,
                status: if upserted.outcome == Outcome::Created {
                    201
                } else {
                    200
                },
                id: Some(upserted.id.0),
                outcome: Some(upserted.outcome.as_str().to_owned()),
                problem: None,
            },
            Err(e) => {
                let e = ApiError::from(e);
                BatchItemResult {
                    index,
                    status: actix_web::ResponseError::status_code(&e).as_u16(),
                    id: None,
                    outcome: None,
                    problem: Some(e.problem()),
                }
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(BatchResult { results }))
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    let visible = bytes.iter().all(|b| (b'!'..=b'~').contains(b));
    match value.to_str() {
        Ok(key) if visible && (1..=MAX_IDEMPOTENCY_KEY).contains(&bytes.len()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::bad_parameter(
            "Idempotency-Key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
        )),
    }
}

/// `If-Match`: the write may go ahead only when the article's current representation (what
/// `GET` answers, whose `ETag` the client holds) is one the header names. Returns the version the
/// write must still find under its lock, so that a write landing in between is caught too; when
/// the header names another representation, a version no article has (versions start at 1), so
/// that the write is refused with 412 once its input has been checked.
async fn if_match(
    req: &HttpRequest,
    conn: &mut AsyncPgConnection,
    reference: &ArticleRef,
    key: &str,
) -> Result<Option<i32>, ApiError> {
    const NO_VERSION: i32 = 0;
    let Some(list) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let list = list.to_str().unwrap_or_default();
    let current = match article::find(conn, reference, key).await {
        Ok(found) => article_view(found),
        Err(QueryError::Database(e)) => return Err(e.into()),
        Err(_) => return Ok(Some(NO_VERSION)),
    };
    let body = serde_json::to_vec(&current)
        .map_err(|e| ApiError::Internal(format!("serialising an article: {e}")))?;
    Ok(Some(if if_match_holds(list, &etag_of(&body)) {
        current.version
    } else {
        NO_VERSION
    }))
}

/// The article as stored, answered 200.
async fn stored_view(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
) -> Result<HttpResponse, ApiError> {
    let article = article::find(conn, &ArticleRef::Id(id), &id.0.to_string()).await?;
    let article = article_view(article);
    Ok(article_response(&article).json(&article))
}

async fn stored_answer(
    conn: &mut AsyncPgConnection,
    id: ArticleId,
    status: StatusCode,
    request_hash: Vec<u8>,
) -> Result<StoredResponse, ApiError> {
    let article = article_view(article::find(conn, &ArticleRef::Id(id), &id.0.to_string()).await?);
    let body = serde_json::to_vec(&article)
        .map_err(|e| ApiError::Internal(format!("serialising an article: {e}")))?;
    Ok(StoredResponse {
        request_hash,
        status: status.as_u16() as i16,
        location: (status == StatusCode::CREATED).then(|| format!("/v1/articles/{}", id.0)),
        body,
    })
}

fn replay(stored: &StoredResponse, request_hash: &[u8]) -> Result<HttpResponse, ApiError> {
    if stored.request_hash != request_hash {
        return Err(ApiError::Unprocessable(
            "this Idempotency-Key was used with another request body; use a new key for a new request".to_owned(),
        ));
    }
    Ok(answer(stored))
}

fn answer(stored: &StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status as u16).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.content_type("application/json");
    if let Some(location) = &stored.location {
        response.insert_header((header::LOCATION, location.clone()));
    }
    response.body(stored.body.clone())
}
