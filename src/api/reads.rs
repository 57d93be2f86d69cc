//! Which database a request reads from. Handlers take [`ReadDb`] and run their reads through it
//! (`db::Reads`: on the replica when there is one, and tried once more when the connection is
//! lost).

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::error::ApiError;
use crate::db::{Databases, Reads};

/// The databases a request may read from, for who sent it.
pub struct ReadDb {
    databases: web::Data<Databases>,
    writer: bool,
}

impl ReadDb {
    /// Where the request's reads go: the replica when there is one, the primary for a client that
    /// writes (a request that carries a key), so that it reads what it wrote at once whatever
    /// the replica's lag.
    pub fn reads(&self) -> Reads {
        self.databases.reads(self.writer)
    }

    /// Each database the server reads from: the primary, and the replica when there is one.
    pub fn each(&self) -> impl Iterator<Item = Reads> + use<> {
        self.databases.each()
    }

    /// Where reads go whose answer is kept until the next write (the response cache's): the
    /// primary, which has every write acknowledged before the request.
    pub fn fresh(&self) -> Reads {
        self.databases.reads(true)
    }
}

impl FromRequest for ReadDb {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.app_data::<web::Data<Databases>>() {
            Some(databases) => Ok(Self {
                databases: databases.clone(),
                writer: req.headers().contains_key(header::AUTHORIZATION),
            }),
            None => Err(ApiError::Internal("no databases configured".to_owned())),
        })
    }
}
