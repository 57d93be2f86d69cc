//! `Authorization: Bearer <key>` for the write endpoints. Reads stay public.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::error::ApiError;
use crate::db::DbPool;
use crate::store::keys::{self, ApiKeyId};
use crate::vocab::Scope;

/// A request made with an active key that has the `write` scope.
#[derive(Debug, Clone, Copy)]
pub struct WriteKey(pub ApiKeyId);

impl FromRequest for WriteKey {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let pool = req.app_data::<web::Data<DbPool>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let token = token?;
            let pool =
                pool.ok_or_else(|| ApiError::Internal("no database pool configured".to_owned()))?;
            let mut conn = pool.get().await?;
            let (id, scopes) = keys::active_key(&mut conn, &token)
                .await?
                .ok_or_else(|| ApiError::Unauthorized("unknown or revoked API key".to_owned()))?;
            super::rate_limit::charge_key(&req, id).await?;
            if !scopes.iter().any(|s| s == Scope::Write.as_str()) {
                return Err(ApiError::Forbidden(
                    "this API key lacks the `write` scope".to_owned(),
                ));
            }
            Ok(WriteKey(id))
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let missing =
        || ApiError::Unauthorized("send an API key as `Authorization: Bearer <key>`".to_owned());
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| missing())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim().to_owned())
}
