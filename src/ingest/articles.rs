//! Article writes: upsert (one or many), replace, merge-patch and withdraw. Each validates the
//! input, resolves its topics, links the entities its text names, and hands the store plain
//! values.

use std::collections::HashMap;

use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::error::IngestError;
use super::input::{ArticleInput, AuthorInput, EntityInput, from_value};
use super::linking::{Gazetteer, SharedGazetteer};
use crate::store::article_sql::{ArticleSummaryRow, attach_labels};
use crate::store::article_write::{self, ArticleDraft, Identity, Mentions, Upserted};
use crate::store::articles::{self as stored, ArticleRef, ArticleRow};
use crate::store::{ArticleId, TopicId, topics};
use crate::text::media_topic_code;
use crate::vocab::{EntityKind, EntityRel, PubStatus};

/// What to do with a topic slug the taxonomy lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownTopics {
    /// Refuse the article (the API: a client names topics it expects to exist).
    Refuse,
    /// Drop the topic and keep the article (imports from sources with their own taxonomy).
    Drop,
}

/// Creates the article, or updates the one with the same identity; an identical re-send changes
/// nothing.
pub async fn upsert(
    conn: &mut AsyncPgConnection,
    gazetteer: &SharedGazetteer,
    input: ArticleInput,
) -> Result<Upserted, IngestError> {
    let mut results = upsert_all(conn, gazetteer, vec![Ok(input)], UnknownTopics::Refuse).await?;
    results
        .pop()
        .unwrap_or_else(|| Err(IngestError::Malformed("no article".to_owned())))
}

/// Upserts each item on its own, in order: one bad item never blocks or undoes the others.
/// Topics are looked up and the gazetteer checked once for all of them. When the database becomes
/// unavailable, the batch stops there: that item has its error, the items after it are
/// [`IngestError::NotAttempted`], and the items written before stay written.
pub async fn upsert_all(
    conn: &mut AsyncPgConnection,
    gazetteer: &SharedGazetteer,
    items: Vec<Result<ArticleInput, IngestError>>,
    unknown_topics: UnknownTopics,
) -> Result<Vec<Result<Upserted, IngestError>>, IngestError> {
    let topics = known_topics(conn, items.iter().flatten()).await?;
    let gazetteer = gazetteer.get(conn).await?;
    let mut results = Vec::with_capacity(items.len());
    let mut items = items.into_iter();
    for item in items.by_ref() {
        let result = match item {
            Ok(mut input) => {
                if unknown_topics == UnknownTopics::Drop {
                    input.topics.retain(|t| topics.contains_key(t));
                }
                upsert_one(conn, &gazetteer, &topics, &input).await
            }
            Err(e) => Err(e),
        };
        let stop = matches!(&result, Err(e) if e.is_unavailable());
        results.push(result);
        if stop {
            break;
        }
    }
    let stopped_at = results.len().saturating_sub(1);
    results.extend(items.map(|_| Err(IngestError::NotAttempted(stopped_at))));
    Ok(results)
}

async fn upsert_one(
    conn: &mut AsyncPgConnection,
    gazetteer: &Gazetteer,
    topics: &HashMap<String, TopicId>,
    input: &ArticleInput,
) -> Result<Upserted, IngestError> {
    let mut draft = input
        .validate(topics, false)
        .map_err(IngestError::Invalid)?;
    let mentions = link(gazetteer, &mut draft);
    match article_write::upsert_article(conn, &draft, &mentions).await {
        Ok(upserted) => Ok(upserted),
        Err(e) => Err(in_api_terms(conn, e, &draft, None).await),
    }
}

/// Replaces the article `reference` names with `input` (`PUT`). With `expected_version`, only
/// while the article is still at that version.
pub async fn replace(
    conn: &mut AsyncPgConnection,
    gazetteer: &SharedGazetteer,
    reference: &ArticleRef,
    key: &str,
    input: ArticleInput,
    expected_version: Option<i32>,
) -> Result<ArticleId, IngestError> {
    conn.transaction(async |conn| {
        let row = locked(conn, reference, key).await?;
        write_replacement(conn, gazetteer, &row, key, &input, expected_version).await
    })
    .await
}

/// The article `reference` names, locked for the rest of the transaction.
async fn locked(
    conn: &mut AsyncPgConnection,
    reference: &ArticleRef,
    key: &str,
) -> Result<ArticleRow, IngestError> {
    stored::lock_article(conn, reference)
        .await?
        .ok_or_else(|| IngestError::NotFound(key.to_owned()))
}

/// Stale unless the locked article is at `expected_version` (any version when `None`). Checked
/// after the input is validated: a request that is wrong in itself hears that first.
fn still_at(row: &ArticleRow, key: &str, expected_version: Option<i32>) -> Result<(), IngestError> {
    if expected_version.is_some_and(|v| v != row.version) {
        return Err(IngestError::Stale(key.to_owned()));
    }
    Ok(())
}

/// Applies a JSON Merge Patch (RFC 7396) to the article as a client would send it back, and
/// stores the result. The article is read once, locked, so no other write lands in between.
/// With `expected_version`, only while the article is still at that version.
pub async fn patch(
    conn: &mut AsyncPgConnection,
    gazetteer: &SharedGazetteer,
    reference: &ArticleRef,
    key: &str,
    patch: &serde_json::Value,
    expected_version: Option<i32>,
) -> Result<ArticleId, IngestError> {
    conn.transaction(async |conn| {
        let row = locked(conn, reference, key).await?;
        match row.pub_status {
            PubStatus::Usable => {}
            PubStatus::Canceled => {
                return Err(IngestError::Gone(format!("article `{key}` was withdrawn")));
            }
            PubStatus::Withheld => return Err(IngestError::NotFound(key.to_owned())),
        }
        let mut document = serde_json::to_value(current_input(conn, &row).await?)
            .map_err(|e| IngestError::Malformed(format!("serialising an article: {e}")))?;
        json_patch::merge(&mut document, patch);
        let input = from_value(&document)?;
        write_replacement(conn, gazetteer, &row, key, &input, expected_version).await
    })
    .await
}

async fn write_replacement(
    conn: &mut AsyncPgConnection,
    gazetteer: &SharedGazetteer,
    row: &ArticleRow,
    key: &str,
    input: &ArticleInput,
    expected_version: Option<i32>,
) -> Result<ArticleId, IngestError> {
    let id = row.id;
    let topics = known_topics(conn, std::iter::once(input)).await?;
    let mut draft = input
        .validate(&topics, true)
        .map_err(IngestError::Invalid)?;
    still_at(row, key, expected_version)?;
    let gazetteer = gazetteer.get(conn).await?;
    let mentions = link(&gazetteer, &mut draft);
    // Its own transaction is a savepoint here, so the lookup after a conflict still runs.
    match article_write::replace_article_by_id(conn, id, &draft, &mentions).await {
        Ok(Some(_)) => Ok(id),
        Ok(None) => Err(IngestError::NotFound(key.to_owned())),
        Err(e) => Err(in_api_terms(conn, e, &draft, Some(id)).await),
    }
}

/// A write's error, with a broken unique index said in the API's terms: which identity of the
/// draft which other article has, never the index's name.
async fn in_api_terms(
    conn: &mut AsyncPgConnection,
    err: diesel::result::Error,
    draft: &ArticleDraft,
    except: Option<ArticleId>,
) -> IngestError {
    use diesel::result::{DatabaseErrorKind, Error};
    if !matches!(
        err,
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    ) {
        return err.into();
    }
    match article_write::identity_owner(conn, draft, except).await {
        Ok(Some((identity, owner))) => {
            let held = match identity {
                Identity::Url => "`url` already belongs",
                Identity::SourceAndExternalId => "`source` and `external_id` already belong",
            };
            IngestError::Conflict(format!("{held} to article {}", owner.0))
        }
        Ok(None) => err.into(),
        Err(lookup) => lookup.into(),
    }
}

/// Withdraws an article: it leaves every list, and reading it answers 410. With
/// `expected_version`, only while the article is still at that version.
pub async fn withdraw(
    conn: &mut AsyncPgConnection,
    reference: &ArticleRef,
    key: &str,
    expected_version: Option<i32>,
) -> Result<(), IngestError> {
    conn.transaction(async |conn| {
        let row = locked(conn, reference, key).await?;
        still_at(&row, key, expected_version)?;
        if row.pub_status == PubStatus::Canceled {
            return Err(IngestError::Gone(format!(
                "article `{key}` was already withdrawn"
            )));
        }
        article_write::withdraw_article(conn, row.id).await?;
        Ok(())
    })
    .await
}

/// The entities the draft's text names, by id; fills in how often the text names each entity the
/// draft says it is about, for those the gazetteer does not know yet (new ones).
fn link(gazetteer: &Gazetteer, draft: &mut ArticleDraft) -> Mentions {
    let text = [
        Some(draft.headline.as_str()),
        draft.lead.as_deref(),
        draft.body.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("\n\n");
    let names: Vec<(&str, EntityKind)> = draft
        .entities
        .iter()
        .map(|e| (e.name.as_str(), e.kind))
        .collect();
    let (mentions, named) = gazetteer.mentions_with(&text, &names);
    for (entity, count) in draft.entities.iter_mut().zip(named) {
        entity.mentions = count;
    }
    mentions
}

/// The ids of the topics among these slugs that exist.
async fn known_topics<'a>(
    conn: &mut AsyncPgConnection,
    inputs: impl Iterator<Item = &'a ArticleInput>,
) -> Result<HashMap<String, TopicId>, IngestError> {
    let mut slugs = Vec::new();
    let mut codes = Vec::new();
    for input in inputs {
        slugs.extend(input.topics.iter().filter(|s| !s.contains('\0')).cloned());
        codes.extend(input.subjects.iter().filter_map(|s| media_topic_code(s)));
    }
    slugs.sort();
    slugs.dedup();
    codes.sort();
    codes.dedup();
    let mut known = HashMap::new();
    if !slugs.is_empty() {
        known.extend(
            topics::topic_ids(conn, &slugs)
                .await?
                .into_iter()
                .map(|(id, slug)| (slug, id)),
        );
    }
    if !codes.is_empty() {
        known.extend(
            topics::topic_ids_by_code(conn, &codes)
                .await?
                .into_iter()
                .map(|(id, code)| (code, id)),
        );
    }
    Ok(known)
}

/// The article as a client would send it back: what a merge patch applies to.
async fn current_input(
    conn: &mut AsyncPgConnection,
    row: &ArticleRow,
) -> Result<ArticleInput, IngestError> {
    let row = row.clone();
    let entities = stored::article_entities(conn, row.id).await?;
    let summary = ArticleSummaryRow {
        id: row.id,
        slug: row.slug,
        headline: row.headline.clone(),
        lead: row.lead.clone(),
        url: row.url.clone(),
        source: row.source.clone(),
        language: row.language.clone(),
        dateline: row.dateline.clone(),
        published_at: row.published_at,
        updated_at: row.updated_at,
        image: None,
        rank: None,
    };
    let labels = attach_labels(conn, vec![summary]).await?.pop();
    let (authors, topics) = labels.map(|l| (l.authors, l.topics)).unwrap_or_default();
    Ok(ArticleInput {
        headline: row.headline,
        lead: row.lead,
        body: row.body,
        url: row.url,
        source: row.source,
        external_id: row.external_id,
        language: Some(row.language),
        dateline: row.dateline,
        published_at: row.published_at,
        authors: authors
            .into_iter()
            .map(|(slug, name)| AuthorInput::Author {
                name,
                slug: Some(slug),
            })
            .collect(),
        topics: topics.into_iter().map(|(slug, _)| slug).collect(),
        entities: entities
            .into_iter()
            .filter(|e| e.rel == EntityRel::About)
            .map(|e| EntityInput {
                name: e.name,
                kind: e.kind,
                slug: Some(e.slug),
            })
            .collect(),
        media: row.media.0,
        subjects: Vec::new(),
    })
}
