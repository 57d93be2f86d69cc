//! `GET /v1/articles/{id_or_slug}`: one article, in each format it comes in (dateline's JSON,
//! IPTC ninjs 3.1 and 2.2, schema.org JSON-LD), chosen by `format` or `Accept`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::articles::{Article, ArticleSummary, article_response, article_view};
use super::error::{ApiError, ArticleErrors};
use super::fields::FieldSet;
use super::negotiation::{self, Representation};
use super::params::QueryParams;
use super::reads::ReadDb;
use super::{jsonld, ninjs};
use crate::queries::article;

/// One article.
///
/// One article by numeric id or slug, with its body and the entities it names, as dateline's JSON
/// (the default), IPTC ninjs 3.1 or 2.2, or a schema.org `NewsArticle` in JSON-LD: chosen by
/// `format` (and `ninjs_version`), else by `Accept`. A withdrawn article is 410 Gone; `fields`
/// selects fields of the JSON.
#[utoipa::path(
    tag = "articles",
    params(("id_or_slug" = String, Path, description = "The article's numeric id or its slug",
            example = "us-formally-rejects-russias-top-security-demands"), ArticleParams),
    responses(
        (status = 200, description = "The article, in the format asked for", content(
            (Article = "application/json"),
            (Object = "application/ninjs+json",
                example = json!({"uri": "https://dateline.example/v1/articles/us-formally-rejects-russias-top-security-demands",
                    "type": "text", "version": "1", "headlines": [{"role": "main", "value": "U.S. Formally Rejects Russia's Top Security Demands"}],
                    "by": "Alex Raufoglu", "located": "Washington D.C.",
                    "subjects": [{"name": "Diplomacy", "uri": "http://cv.iptc.org/newscodes/mediatopic/20000639", "literal": "medtop:20000639"}]})),
            (Object = "application/ld+json",
                example = json!({"@context": "https://schema.org", "@type": "NewsArticle",
                    "headline": "U.S. Formally Rejects Russia's Top Security Demands",
                    "author": [{"@type": "Person", "name": "Alex Raufoglu"}], "dateline": "Washington D.C."})),
        ), headers(("Vary" = String, description = "`Accept`: the format depends on it"))),
        ArticleErrors,
    )
)]
#[get("/articles/{id_or_slug}")]
pub async fn get_article(
    req: HttpRequest,
    db: ReadDb,
    path: web::Path<String>,
    params: QueryParams<ArticleParams>,
) -> Result<HttpResponse, ApiError> {
    let mut params = params.0;
    // Empty means absent, as for every parameter a URL template may leave blank.
    params.fields = params.fields.filter(|f| !f.trim().is_empty());
    let representation = negotiation::choose(
        &req,
        params.format.as_deref(),
        params.ninjs_version.as_deref(),
    )?;
    if representation != Representation::Json && params.fields.is_some() {
        return Err(ApiError::bad_parameter(
            "fields",
            "selects fields of the JSON format only",
        ));
    }
    let fields = FieldSet::parse::<Article>(
        params.fields.as_deref(),
        FieldSet::names_of::<ArticleSummary>,
    )?;
    let key = path.into_inner();
    let reference = article::article_ref(&key)?;
    let (found, codes) = db
        .reads()
        .run(async |conn| {
            let found = article::find(conn, &reference, &key).await?;
            let codes = match representation {
                Representation::Ninjs(_) => {
                    article::topic_codes(conn, found.summary.row.id).await?
                }
                _ => Default::default(),
            };
            Ok::<_, ApiError>((found, codes))
        })
        .await?;
    let article = article_view(found);
    // The JSON is written from the view itself, field order kept: the same bytes, and so the
    // same tag, as a write's answer and an `If-Match` check make of it.
    let body = match representation {
        Representation::Json => match fields {
            None => serde_json::to_vec(&article),
            Some(fields) => {
                serde_json::to_value(&article).and_then(|v| serde_json::to_vec(&fields.project(v)))
            }
        },
        Representation::Ninjs(version) => {
            serde_json::to_vec(&ninjs::document(&req, &article, &codes, version))
        }
        Representation::JsonLd => serde_json::to_vec(&jsonld::document(&req, &article)),
    }
    .map_err(|e| ApiError::Internal(format!("cannot serialise an article: {e}")))?;
    let mut response = article_response(&article);
    response
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CONTENT_TYPE, representation.content_type()));
    Ok(response.body(body))
}

/// What one article's answer may be shaped by.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleParams {
    /// Only these fields, comma-separated (e.g. `headline,body`); all when absent. An unknown
    /// name is a 400. The article then has only those properties, whatever its schema requires.
    #[param(
        max_length = 500,
        pattern = "^ *((id|slug|headline|lead|url|source|language|dateline|published_at|updated_at|authors|topics|image|links|highlight|body|external_id|version|pub_status|entities|media) *(, *(id|slug|headline|lead|url|source|language|dateline|published_at|updated_at|authors|topics|image|links|highlight|body|external_id|version|pub_status|entities|media) *)*)?$"
    )]
    pub fields: Option<String>,
    /// `json` (the default), `ninjs` (IPTC ninjs) or `jsonld` (schema.org `NewsArticle`); wins
    /// over `Accept`.
    #[param(pattern = "^(json|ninjs|jsonld)$", example = "ninjs")]
    pub format: Option<String>,
    /// The ninjs version, `3.1` (the default) or `2.2`; alone, it asks for ninjs.
    #[param(pattern = "^(2\\.2|3\\.1)$", example = "3.1")]
    pub ninjs_version: Option<String>,
}
