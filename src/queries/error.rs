//! Why a read was refused.

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// A parameter is malformed or out of range.
    #[error("invalid parameter `{param}`: {detail}")]
    BadParameter { param: String, detail: String },
    /// A slug or id that names nothing.
    #[error("{what} `{key}` not found")]
    NotFound { what: &'static str, key: String },
    /// The resource existed and was withdrawn.
    #[error("{what} `{key}` was withdrawn")]
    Gone { what: &'static str, key: String },
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl QueryError {
    pub fn bad_parameter(param: &str, detail: impl Into<String>) -> Self {
        Self::BadParameter {
            param: param.to_owned(),
            detail: detail.into(),
        }
    }

    /// `what` `key` not found; a NUL in the key is shown escaped.
    pub fn not_found(what: &'static str, key: &str) -> Self {
        Self::NotFound {
            what,
            key: key.replace('\0', "\\0"),
        }
    }
}
