//! Field selection: `fields=headline,published_at,url` returns only those fields of each article,
//! so a sidebar fetches only what it shows. The names a view has are read from its schema, the
//! same one the spec documents.

use serde_json::{Map, Value};
use utoipa::PartialSchema;
use utoipa::openapi::{RefOr, Schema};

use super::error::ApiError;

/// The longest `fields` value: every field name of an article, and then some.
const MAX_FIELDS_CHARS: usize = 500;

/// The fields a client asked for, checked against a view's names; sorted and deduplicated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSet(Vec<String>);

impl FieldSet {
    /// The set `fields` names, from the properties of `V` (and those `extra` gives, for views
    /// that flatten another; asked for only when there is a `fields` to check, so a request
    /// without one builds no schema); `None` when the parameter is absent or empty (every
    /// field). An unknown name is a 400 naming the parameter.
    pub fn parse<V: PartialSchema>(
        raw: Option<&str>,
        extra: impl FnOnce() -> Vec<String>,
    ) -> Result<Option<Self>, ApiError> {
        let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
            return Ok(None);
        };
        let mut known = property_names(&V::schema());
        known.extend(extra());
        if raw.len() > MAX_FIELDS_CHARS {
            return Err(ApiError::bad_parameter(
                "fields",
                format!("at most {MAX_FIELDS_CHARS} characters"),
            ));
        }
        let mut names: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(unknown) = names.iter().find(|n| !known.contains(n)) {
            known.sort();
            return Err(ApiError::bad_parameter(
                "fields",
                format!(
                    "unknown field `{}`; the fields are {}",
                    unknown.replace('\0', "\\0"),
                    known.join(", ")
                ),
            ));
        }
        names.sort();
        names.dedup();
        Ok(Some(Self(names)))
    }

    /// The names of a view's properties, `V`'s own.
    pub fn names_of<V: PartialSchema>() -> Vec<String> {
        property_names(&V::schema())
    }

    /// Keeps only the selected fields of an object.
    pub fn project(&self, value: Value) -> Value {
        match value {
            Value::Object(object) => Value::Object(
                object
                    .into_iter()
                    .filter(|(k, _)| self.0.contains(k))
                    .collect::<Map<String, Value>>(),
            ),
            other => other,
        }
    }

    /// The set as one canonical text, for cache keys.
    pub fn key(&self) -> String {
        self.0.join(",")
    }
}

/// The property names of an object schema, or of the inline objects an `allOf` combines.
fn property_names(schema: &RefOr<Schema>) -> Vec<String> {
    match schema {
        RefOr::T(Schema::Object(object)) => object.properties.keys().cloned().collect(),
        RefOr::T(Schema::AllOf(all)) => all.items.iter().flat_map(property_names).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use utoipa::ToSchema;

    use super::*;

    /// A view.
    #[derive(ToSchema)]
    #[allow(dead_code)]
    struct View {
        /// A.
        headline: String,
        /// B.
        url: Option<String>,
        /// C.
        id: i64,
    }

    #[test]
    fn names_come_from_the_view_and_unknown_ones_are_refused() {
        let set = FieldSet::parse::<View>(Some("url, headline,headline"), Vec::new)
            .unwrap()
            .unwrap();
        assert_eq!(set.key(), "headline,url");
        assert!(FieldSet::parse::<View>(Some("body"), Vec::new).is_err());
        assert!(FieldSet::parse::<View>(Some("body,id"), || vec!["body".to_owned()]).is_ok());
        assert_eq!(FieldSet::parse::<View>(Some(" "), Vec::new).unwrap(), None);
        let projected = set.project(serde_json::json!({"headline": "H", "url": null, "id": 1}));
        assert_eq!(projected, serde_json::json!({"headline": "H", "url": null}));
    }
}
