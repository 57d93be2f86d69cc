// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
    pub struct Tsvector;
}

diesel::table! {
    api_keys (id) {
        id -> Int8,
        name -> Text,
        prefix -> Text,
        key_hash -> Bytea,
        scopes -> Array<Nullable<Text>>,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    article_authors (article_id, author_id) {
        article_id -> Int8,
        author_id -> Int8,
        position -> Int2,
        published_at -> Timestamptz,
    }
}

diesel::table! {
    article_changes (seq) {
        seq -> Int8,
        article_id -> Int8,
        slug -> Text,
        change -> Text,
        version -> Int4,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    article_entities (article_id, entity_id) {
        article_id -> Int8,
        entity_id -> Int8,
        mentions -> Int4,
        rel -> Text,
        published_at -> Timestamptz,
    }
}

diesel::table! {
    article_topics (article_id, topic_id) {
        article_id -> Int8,
        topic_id -> Int4,
        direct -> Bool,
        published_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    articles (id) {
        id -> Int8,
        slug -> Text,
        url -> Nullable<Text>,
        external_id -> Nullable<Text>,
        source -> Nullable<Text>,
        headline -> Text,
        lead -> Nullable<Text>,
        body -> Nullable<Text>,
        language -> Text,
        dateline -> Nullable<Text>,
        published_at -> Timestamptz,
        updated_at -> Timestamptz,
        created_at -> Timestamptz,
        version -> Int4,
        pub_status -> Text,
        content_hash -> Nullable<Bytea>,
        media -> Jsonb,
        image -> Nullable<Jsonb>,
        search -> Tsvector,
    }
}

diesel::table! {
    authors (id) {
        id -> Int8,
        slug -> Text,
        name -> Text,
        bio -> Nullable<Text>,
        url -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    entities (id) {
        id -> Int8,
        slug -> Text,
        name -> Text,
        kind -> Text,
        aliases -> Array<Nullable<Text>>,
        description -> Nullable<Text>,
        wikidata_id -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (api_key_id, key) {
        api_key_id -> Int8,
        key -> Text,
        request_hash -> Bytea,
        status -> Int2,
        location -> Nullable<Text>,
        body -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    topics (id) {
        id -> Int4,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        parent_id -> Nullable<Int4>,
        iptc_code -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(article_authors -> articles (article_id));
diesel::joinable!(article_authors -> authors (author_id));
diesel::joinable!(article_entities -> articles (article_id));
diesel::joinable!(article_entities -> entities (entity_id));
diesel::joinable!(article_topics -> articles (article_id));
diesel::joinable!(article_topics -> topics (topic_id));
diesel::joinable!(idempotency_keys -> api_keys (api_key_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    article_authors,
    article_changes,
    article_entities,
    article_topics,
    articles,
    authors,
    entities,
    idempotency_keys,
    topics,
);
