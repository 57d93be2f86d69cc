//! Named entities: people, organisations, places, events.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::{EntityId, like_prefix};
use crate::schema::entities;
use crate::vocab::EntityKind;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = entities, check_for_backend(diesel::pg::Pg))]
pub struct EntityRow {
    pub id: EntityId,
    pub slug: String,
    pub name: String,
    pub kind: EntityKind,
    pub aliases: Vec<Option<String>>,
    pub description: Option<String>,
    pub wikidata_id: Option<String>,
}

pub async fn find_entity(
    conn: &mut AsyncPgConnection,
    slug: &str,
) -> QueryResult<Option<EntityRow>> {
    entities::table
        .filter(entities::slug.eq(slug))
        .select(EntityRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Entities in slug order after `after_slug`, `limit + 1` of them.
pub async fn list_entities(
    conn: &mut AsyncPgConnection,
    kind: Option<EntityKind>,
    name_prefix: Option<&str>,
    after_slug: Option<&str>,
    limit: u32,
) -> QueryResult<Vec<EntityRow>> {
    let mut query = entities::table
        .select(EntityRow::as_select())
        .order(entities::slug.asc())
        .limit(i64::from(limit) + 1)
        .into_boxed();
    if let Some(kind) = kind {
        query = query.filter(entities::kind.eq(kind));
    }
    if let Some(prefix) = name_prefix {
        let pattern = like_prefix(prefix);
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern.clone())
                .sql(" OR EXISTS (SELECT 1 FROM unnest(aliases) alias WHERE lower(alias) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern)
                .sql("))"),
        );
    }
    if let Some(slug) = after_slug {
        query = query.filter(entities::slug.gt(slug.to_owned()));
    }
    query.load(conn).await
}

/// Every entity's kind, name and aliases, for the gazetteer.
#[allow(clippy::type_complexity)]
pub async fn surface_forms(
    conn: &mut AsyncPgConnection,
) -> QueryResult<Vec<(EntityId, EntityKind, String, Vec<Option<String>>)>> {
    entities::table
        .select((
            entities::id,
            entities::kind,
            entities::name,
            entities::aliases,
        ))
        .load(conn)
        .await
}

/// Changes whenever an entity is added, changed or removed: (count, latest change).
pub async fn change_stamp(
    conn: &mut AsyncPgConnection,
) -> QueryResult<(i64, Option<chrono::DateTime<chrono::Utc>>)> {
    entities::table
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::max(entities::updated_at),
        ))
        .first(conn)
        .await
}

/// An entity's fields as written.
#[derive(Debug, Clone, AsChangeset, Insertable)]
#[diesel(table_name = entities, treat_none_as_null = true)]
pub struct EntityFields {
    pub name: String,
    pub kind: EntityKind,
    pub aliases: Vec<String>,
    pub description: Option<String>,
    pub wikidata_id: Option<String>,
}

pub async fn create_entity(
    conn: &mut AsyncPgConnection,
    slug: &str,
    fields: &EntityFields,
) -> QueryResult<EntityRow> {
    diesel::insert_into(entities::table)
        .values((entities::slug.eq(slug), fields))
        .returning(EntityRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update_entity(
    conn: &mut AsyncPgConnection,
    slug: &str,
    fields: &EntityFields,
) -> QueryResult<Option<EntityRow>> {
    diesel::update(entities::table.filter(entities::slug.eq(slug)))
        .set((fields, entities::updated_at.eq(diesel::dsl::now)))
        .returning(EntityRow::as_returning())
        .get_result(conn)
        .await
        .optional()
}

/// Deletes an entity no article links to (else a foreign-key violation, 409).
pub async fn delete_entity(conn: &mut AsyncPgConnection, slug: &str) -> QueryResult<usize> {
    diesel::delete(entities::table.filter(entities::slug.eq(slug)))
        .execute(conn)
        .await
}
