//! `/v1/entities`.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::articles::{ArticlePage, article_page};
use super::auth::WriteKey;
use super::by_slug::{SlugListRequest, delete_by_slug, find_by_slug, slug_page};
use super::error::{ApiError, EntityWriteErrors, ItemErrors, ListErrors};
use super::pagination::page_schema;
use super::params::{Collection, Links, QueryParams, parse_json};
use super::reads::ReadDb;
use crate::db::DbPool;
use crate::queries::article_list::{ArticleFilterParams, ArticleListParams, ListFields, ListScope};
use crate::queries::params::{DEFAULT_LIMIT, MAX_PREFIX_CHARS, check_slug, text_param};
use crate::store::entities::{self as store, EntityFields, EntityRow};
use crate::text::{FieldError, check_text, named_slug, non_empty};
use crate::vocab::EntityKind;

/// A named person, organisation, place or event that articles are about or mention.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "slug": "antony-blinken",
    "name": "Antony Blinken",
    "kind": "person",
    "aliases": ["Blinken", "Tony Blinken"],
    "description": "U.S. Secretary of State from 2021 to 2025.",
    "wikidata_id": null,
    "links": {"self": "/v1/entities/antony-blinken"}
}))]
pub struct Entity {
    /// URL handle, as in `/v1/entities/{slug}`.
    pub slug: String,
    /// The canonical name.
    pub name: String,
    /// What kind of thing the entity is.
    pub kind: EntityKind,
    /// Other names texts use for the entity.
    pub aliases: Vec<String>,
    /// A one-line description.
    pub description: Option<String>,
    /// The Wikidata item, e.g. `Q7184` for NATO, when known.
    pub wikidata_id: Option<String>,
    /// The entity in this API.
    pub links: Links,
}

impl From<EntityRow> for Entity {
    fn from(row: EntityRow) -> Self {
        Self {
            links: Collection::Entities.links(&row.slug),
            slug: row.slug,
            name: row.name,
            kind: row.kind,
            aliases: row.aliases.into_iter().flatten().collect(),
            description: row.description,
            wikidata_id: row.wikidata_id,
        }
    }
}

page_schema!(
    /// A page of entities, in slug order.
    EntityPage of Entity
);

/// Filters and paging for the entity list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EntityListParams {
    /// Only entities of this kind.
    #[param(value_type = Option<EntityKind>)]
    pub kind: Option<String>,
    /// Case-insensitive prefix of the entity's name or of one of its aliases.
    #[param(max_length = 200, pattern = "^[^\\x00]*$", example = "Blin")]
    pub q: Option<String>,
    /// Page size, 1 to 100.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// `next_cursor` of the previous page, with the same filters.
    pub cursor: Option<String>,
}

/// Entities.
///
/// Named people, organisations, places and events in slug order, optionally by kind and by name or
/// alias prefix; cursor-paginated.
#[utoipa::path(
    tag = "entities",
    params(EntityListParams),
    responses(
        (status = 200, description = "A page of entities in slug order", body = EntityPage),
        ListErrors,
    )
)]
#[get("/entities")]
pub async fn list_entities(
    req: HttpRequest,
    db: ReadDb,
    params: QueryParams<EntityListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.0;
    let kind = params
        .kind
        .as_deref()
        .map(|k| {
            k.parse::<EntityKind>().map_err(|_| {
                ApiError::bad_parameter("kind", format!("must be {}", EntityKind::choices()))
            })
        })
        .transpose()?;
    let prefix = text_param("q", params.q.as_deref(), MAX_PREFIX_CHARS)?;
    let request = SlugListRequest {
        list: "entities",
        filters: serde_json::json!({ "kind": kind, "q": prefix }),
        limit: params.limit.as_deref(),
        default_limit: DEFAULT_LIMIT,
        cursor: params.cursor.as_deref(),
    };
    slug_page::<_, _, Entity>(&req, &db, request, async |conn, after, limit| {
        Ok(store::list_entities(conn, kind, prefix, after, limit).await?)
    })
    .await
}

/// One entity.
///
/// One entity by slug, with its aliases and Wikidata id.
#[utoipa::path(
    tag = "entities",
    params(("slug" = String, Path, description = "The entity's slug", example = "antony-blinken")),
    responses(
        (status = 200, description = "The entity", body = Entity),
        ItemErrors,
    )
)]
#[get("/entities/{slug}")]
pub async fn get_entity(
    db: ReadDb,
    path: web::Path<String>,
) -> Result<web::Json<Entity>, ApiError> {
    let row = find_by_slug(&db, "entity", &path, store::find_entity).await?;
    Ok(web::Json(row.into()))
}

/// An entity's articles.
///
/// The latest articles about or mentioning one entity; takes every article-list parameter.
#[utoipa::path(
    tag = "entities",
    params(("slug" = String, Path, description = "The entity's slug", example = "antony-blinken"), ArticleFilterParams, ArticleListParams, ListFields),
    responses(
        (status = 200, description = "A page of the entity's articles", body = ArticlePage),
        ListErrors,
    )
)]
#[get("/entities/{slug}/articles")]
pub async fn list_entity_articles(
    req: HttpRequest,
    db: ReadDb,
    path: web::Path<String>,
    filters: QueryParams<ArticleFilterParams>,
    params: QueryParams<ArticleListParams>,
) -> Result<HttpResponse, ApiError> {
    article_page(
        &req,
        &db,
        ListScope::Entity(path.into_inner()),
        filters.0,
        params.0,
    )
    .await
}

/// An entity to create or update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Antony Blinken", "kind": "person", "aliases": ["Blinken", "Tony Blinken"],
    "description": "U.S. Secretary of State from 2021 to 2025."}))]
pub struct EntityWrite {
    /// The canonical name.
    #[schema(min_length = 1)]
    pub name: String,
    /// What kind of thing it is.
    pub kind: EntityKind,
    /// The URL handle; derived from the name when absent. It cannot change later.
    #[serde(default)]
    pub slug: Option<String>,
    /// Other names texts use for it; entity linking finds these too.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub aliases: Vec<String>,
    /// A one-line description.
    #[serde(default)]
    pub description: Option<String>,
    /// The Wikidata item, e.g. `Q7184`.
    #[serde(default)]
    #[schema(pattern = "^Q[1-9][0-9]*$")]
    pub wikidata_id: Option<String>,
}

impl EntityWrite {
    fn validate(&self) -> Result<(String, EntityFields), ApiError> {
        let mut errors = Vec::new();
        let named = named_slug(&self.name, self.slug.as_ref())
            .map_err(|m| errors.push(FieldError::new("name", m)));
        if self.aliases.len() > 100 {
            errors.push(FieldError::new("aliases", "at most 100"));
        }
        let mut aliases = Vec::new();
        for (i, alias) in self.aliases.iter().enumerate() {
            let alias = alias.trim();
            if alias.is_empty() || alias.contains('\0') || alias.chars().count() > 200 {
                errors.push(FieldError::new(
                    format!("aliases[{i}]"),
                    "needs 1 to 200 characters",
                ));
            } else if !aliases.iter().any(|a| a == alias) {
                aliases.push(alias.to_owned());
            }
        }
        check_text(
            &mut errors,
            "description",
            self.description.as_deref(),
            5_000,
        );
        let wikidata_id = self.wikidata_id.clone();
        if wikidata_id.as_deref().is_some_and(|q| {
            !(q.len() > 1
                && q.starts_with('Q')
                && !q[1..].starts_with('0')
                && q[1..].bytes().all(|b| b.is_ascii_digit()))
        }) {
            errors.push(FieldError::new(
                "wikidata_id",
                "must be a Wikidata item id such as `Q7184`",
            ));
        }
        match named {
            Ok((slug, name)) if errors.is_empty() => Ok((
                slug,
                EntityFields {
                    name,
                    kind: self.kind,
                    aliases,
                    description: non_empty(&self.description),
                    wikidata_id,
                },
            )),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// Create an entity.
///
/// Creates an entity; from then on, every write links it wherever its text names it by its name or
/// an alias.
#[utoipa::path(
    tag = "entities",
    request_body(content = EntityWrite, content_type = "application/json"),
    security(("api_key" = ["write"])),
    responses((status = 201, description = "Created", body = Entity, headers(("Location" = String, description = "The entity's URL"))), EntityWriteErrors)
)]
#[post("/entities")]
pub async fn create_entity(
    req: HttpRequest,
    _key: WriteKey,
    pool: web::Data<DbPool>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: EntityWrite = parse_json(&req, &body)?;
    let (slug, fields) = input.validate()?;
    let mut conn = pool.get().await?;
    let row = store::create_entity(&mut conn, &slug, &fields).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/entities/{}", row.slug)))
        .json(Entity::from(row)))
}

/// Update an entity.
///
/// Changes an entity's name, kind, aliases, description and Wikidata id; the slug stays.
#[utoipa::path(
    tag = "entities",
    params(("slug" = String, Path, description = "The entity's slug", example = "antony-blinken")),
    request_body(content = EntityWrite, content_type = "application/json"),
    security(("api_key" = ["write"])),
    responses((status = 200, description = "The entity as stored", body = Entity), EntityWriteErrors)
)]
#[put("/entities/{slug}")]
pub async fn update_entity(
    req: HttpRequest,
    _key: WriteKey,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let slug = path.into_inner();
    check_slug("entity", &slug)?;
    let input: EntityWrite = parse_json(&req, &body)?;
    let (_, fields) = input.validate()?;
    let mut conn = pool.get().await?;
    let row = store::update_entity(&mut conn, &slug, &fields)
        .await?
        .ok_or_else(|| ApiError::not_found("entity", &slug))?;
    Ok(HttpResponse::Ok().json(Entity::from(row)))
}

/// Delete an entity.
///
/// Deletes an entity that no article links to; one still linked is a 409.
#[utoipa::path(
    tag = "entities",
    params(("slug" = String, Path, description = "The entity's slug", example = "antony-blinken")),
    security(("api_key" = ["write"])),
    responses((status = 204, description = "Deleted"), EntityWriteErrors)
)]
#[delete("/entities/{slug}")]
pub async fn delete_entity(
    _key: WriteKey,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    delete_by_slug(&pool, "entity", &path, store::delete_entity).await
}
