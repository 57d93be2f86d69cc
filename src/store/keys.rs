//! API keys. The key is shown once; only its SHA-256 is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_derive_newtype::DieselNewType;
use sha2::{Digest, Sha256};

use crate::schema::api_keys;
use crate::vocab::Scope;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, DieselNewType)]
pub struct ApiKeyId(pub i64);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct KeyRow {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<Option<String>>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const KEY_PREFIX: &str = "dl_";
/// 256 bits of randomness.
const KEY_BYTES: usize = 32;
/// How much of a key listings show.
const SHOWN_CHARS: usize = 10;

fn digest(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// Creates a key and returns it with its row: the only time the key itself is seen.
pub async fn create_key(
    conn: &mut AsyncPgConnection,
    name: &str,
    scopes: &[Scope],
) -> Result<(String, KeyRow), String> {
    let mut random = [0u8; KEY_BYTES];
    getrandom::fill(&mut random).map_err(|e| format!("no randomness available: {e}"))?;
    let key = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let row = diesel::insert_into(api_keys::table)
        .values((
            api_keys::name.eq(name),
            api_keys::prefix.eq(&key[..SHOWN_CHARS]),
            api_keys::key_hash.eq(digest(&key)),
            api_keys::scopes.eq(scopes),
        ))
        .returning(KeyRow::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| format!("cannot store the key: {e}"))?;
    Ok((key, row))
}

pub async fn list_keys(conn: &mut AsyncPgConnection) -> QueryResult<Vec<KeyRow>> {
    api_keys::table
        .select(KeyRow::as_select())
        .order(api_keys::id.asc())
        .load(conn)
        .await
}

/// Revokes the key with this id or shown prefix; returns how many keys it revoked.
pub async fn revoke_key(conn: &mut AsyncPgConnection, id_or_prefix: &str) -> QueryResult<usize> {
    let target = api_keys::table.filter(api_keys::revoked_at.is_null());
    let query = diesel::update(target);
    match id_or_prefix.parse::<i64>() {
        Ok(id) => {
            query
                .filter(api_keys::id.eq(id))
                .set(api_keys::revoked_at.eq(diesel::dsl::now))
                .execute(conn)
                .await
        }
        Err(_) => {
            query
                .filter(api_keys::prefix.eq(id_or_prefix))
                .set(api_keys::revoked_at.eq(diesel::dsl::now))
                .execute(conn)
                .await
        }
    }
}

/// The scopes of an active key, or `None` for an unknown or revoked one.
pub async fn active_key(
    conn: &mut AsyncPgConnection,
    key: &str,
) -> QueryResult<Option<(ApiKeyId, Vec<String>)>> {
    let found: Option<(ApiKeyId, Vec<Option<String>>)> = api_keys::table
        .filter(api_keys::key_hash.eq(digest(key)))
        .filter(api_keys::revoked_at.is_null())
        .select((api_keys::id, api_keys::scopes))
        .first(conn)
        .await
        .optional()?;
    Ok(found.map(|(id, scopes)| (id, scopes.into_iter().flatten().collect())))
}
