//! Why an article write was refused. The HTTP layer answers these as problem documents, the CLI
//! prints them as `file:line: message`.

use crate::text::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Not JSON, or not the shape of document the entry point takes.
    #[error("{0}")]
    Malformed(String),
    /// A well-formed article that breaks the rules: every broken rule, by field.
    #[error("{}", describe(.0))]
    Invalid(Vec<FieldError>),
    /// No article with this id or slug.
    #[error("article `{0}` not found")]
    NotFound(String),
    /// The article was withdrawn.
    #[error("{0}")]
    Gone(String),
    /// The article changed since the version the client based its write on.
    #[error("article `{0}` changed since the version this write is based on; read it again")]
    Stale(String),
    /// Another article already has the draft's `url`, or its `source` and `external_id`.
    #[error("{0}")]
    Conflict(String),
    /// Not tried: the database became unavailable at the item of this index, earlier in the
    /// same batch.
    #[error(
        "not attempted: the batch stopped at item {0}, where the database became unavailable; \
         send this item again"
    )]
    NotAttempted(usize),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl IngestError {
    /// Whether the write may succeed when sent again as it is, once the database is back.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Database(e) => crate::store::is_unavailable(e),
            Self::NotAttempted(_) => true,
            _ => false,
        }
    }
}

/// `field: message; field: message`, as a line of text.
fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| {
            if e.field.is_empty() {
                e.message.clone()
            } else {
                format!("{}: {}", e.field, e.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
