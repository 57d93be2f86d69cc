//! The shared vocabulary: the closed sets of values the API, the CLI, the ingest and query code
//! and the database all speak. Each is one enum, mapped by diesel to its `text` column (whose
//! `CHECK` constraint lists the same values), serialised in lower case, and documented once for
//! the OpenAPI spec.

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A value outside an enum's set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{0}`")]
pub struct UnknownValue(pub String);

/// Declares a lower-case enum with its text form, its parser, its serde and OpenAPI forms, and
/// its diesel mapping to a `text` column. Each variant's text is written once, here.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, AsExpression,
            FromSqlRow,
        )]
        // The texts are the variants' names in lower case; the unit tests hold them to that.
        #[serde(rename_all = "lowercase")]
        #[diesel(sql_type = Text)]
        pub enum $ty {
            $(
                $(#[$variant_meta])*
                $variant,
            )+
        }

        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$(Self::$variant),+];

            /// The value as the API and the database write it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// The values as a sentence fragment for error messages: "`a`, `b` or `c`".
            pub fn choices() -> String {
                let quoted: Vec<String> =
                    Self::ALL.iter().map(|v| format!("`{}`", v.as_str())).collect();
                match quoted.split_last() {
                    Some((last, [])) => last.clone(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => String::new(),
                }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    other => Err(UnknownValue(other.to_owned())),
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl FromSql<Text, Pg> for $ty {
            fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                text.parse()
                    .map_err(|e: UnknownValue| format!("{}: {e}", stringify!($ty)).into())
            }
        }
    };
}

text_enum! {
    /// What kind of thing an entity is.
    pub enum EntityKind {
        /// A person.
        Person = "person",
        /// A company, government body, party, agency or other organisation.
        Organisation = "organisation",
        /// A country, region, city or other place.
        Place = "place",
        /// A named event: a summit, a war, an election.
        Event = "event",
        /// Anything else with a name.
        Other = "other",
    }
}

text_enum! {
    /// How an article relates to an entity.
    pub enum EntityRel {
        /// The entity is a subject of the article.
        About = "about",
        /// The article names the entity in passing.
        Mentions = "mentions",
    }
}

text_enum! {
    /// IPTC ninjs publication status.
    pub enum PubStatus {
        /// Published and listable.
        Usable = "usable",
        /// Held back; not served.
        Withheld = "withheld",
        /// Withdrawn; not served.
        Canceled = "canceled",
    }
}

text_enum! {
    /// What happened to an article, as the change feed tells it.
    pub enum ChangeKind {
        /// The article was stored for the first time.
        Created = "created",
        /// A new version of the article was stored (a re-publication after a withdrawal too).
        Updated = "updated",
        /// The article was withdrawn: it answers 410 and is no longer listed.
        Withdrawn = "withdrawn",
    }
}

text_enum! {
    /// What kind of media item it is.
    #[derive(Default)]
    pub enum MediaKind {
        /// A photo, graphic or illustration.
        #[default]
        Picture = "picture",
        /// A video.
        Video = "video",
        /// A sound recording.
        Audio = "audio",
    }
}

text_enum! {
    /// Order of an article list.
    #[derive(Default)]
    pub enum SortOrder {
        /// Newest first.
        #[default]
        Latest = "latest",
        /// Oldest first.
        Oldest = "oldest",
        /// Best full-text match first; needs `q`.
        Relevance = "relevance",
    }
}

text_enum! {
    /// The width of a facet histogram's buckets, in UTC; weeks start on Monday (ISO 8601).
    #[derive(Default)]
    pub enum HistogramInterval {
        /// One bucket per calendar day.
        Day = "day",
        /// One bucket per ISO week.
        Week = "week",
        /// One bucket per calendar month.
        #[default]
        Month = "month",
    }
}

text_enum! {
    /// What an API key may do. Reads need no key.
    #[derive(clap::ValueEnum)]
    pub enum Scope {
        /// Create, update and withdraw articles, authors, entities and topics.
        Write = "write",
        /// Manage keys.
        Admin = "admin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip_and_match_serde() {
        for kind in EntityKind::ALL {
            assert_eq!(kind.as_str().parse::<EntityKind>(), Ok(*kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        for status in PubStatus::ALL {
            assert_eq!(status.as_str().parse::<PubStatus>(), Ok(*status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::json!(status.as_str())
            );
        }
        for change in ChangeKind::ALL {
            assert_eq!(change.as_str().parse::<ChangeKind>(), Ok(*change));
        }
        for sort in SortOrder::ALL {
            assert_eq!(
                serde_json::to_value(sort).unwrap(),
                serde_json::json!(sort.as_str())
            );
        }
        assert!("Person".parse::<EntityKind>().is_err());
        assert_eq!(
            EntityKind::choices(),
            "`person`, `organisation`, `place`, `event` or `other`"
        );
    }
}
