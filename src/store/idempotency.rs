//! First answers to requests sent with an `Idempotency-Key`, kept to replay on retries.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::keys::ApiKeyId;
use crate::schema::idempotency_keys;

/// A stored answer.
#[derive(Debug, Clone, Queryable)]
pub struct StoredResponse {
    pub request_hash: Vec<u8>,
    pub status: i16,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    api_key: ApiKeyId,
    key: &str,
) -> QueryResult<Option<StoredResponse>> {
    idempotency_keys::table
        .find((api_key.0, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::location,
            idempotency_keys::body,
        ))
        .first(conn)
        .await
        .optional()
}

/// Keeps the answer unless one was kept first (a concurrent retry), and returns the one kept.
pub async fn keep(
    conn: &mut AsyncPgConnection,
    api_key: ApiKeyId,
    key: &str,
    response: &StoredResponse,
) -> QueryResult<StoredResponse> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::api_key_id.eq(api_key.0),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(&response.request_hash),
            idempotency_keys::status.eq(response.status),
            idempotency_keys::location.eq(&response.location),
            idempotency_keys::body.eq(&response.body),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(find(conn, api_key, key)
        .await?
        .unwrap_or_else(|| response.clone()))
}
