//! `dateline topics import-iptc`: the IPTC Media Topics vocabulary as topics, matched by code.

use std::collections::{HashMap, HashSet};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;

use crate::store::topics::{self, IptcTopic};

#[derive(Deserialize)]
struct Scheme {
    #[serde(rename = "conceptSet")]
    concepts: Vec<Concept>,
}

#[derive(Deserialize)]
struct Concept {
    qcode: String,
    #[serde(rename = "prefLabel", default)]
    label: HashMap<String, String>,
    #[serde(default)]
    definition: HashMap<String, String>,
    #[serde(default)]
    broader: Vec<String>,
    #[serde(default)]
    retired: Option<String>,
}

const LANGUAGE: &str = "en-GB";

/// Inserts the codes not yet present and links each topic to its broader one; returns a summary.
pub async fn import_media_topics(
    conn: &mut AsyncPgConnection,
    json: &str,
) -> Result<String, String> {
    let scheme: Scheme =
        serde_json::from_str(json).map_err(|e| format!("not IPTC Media Topics JSON: {e}"))?;
    let mut taken: HashSet<String> = topics::all_slugs(conn)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    let existing_codes: HashSet<String> = topics::iptc_codes(conn)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    let mut new = Vec::new();
    let mut parents = Vec::new();
    // Codes outside the documented `medtop:` + 8 digits form (one in the 2019 release) are skipped.
    let well_formed = |code: &str| {
        code.strip_prefix("medtop:")
            .is_some_and(|digits| digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()))
    };
    for concept in scheme
        .concepts
        .iter()
        .filter(|c| c.retired.is_none() && well_formed(&c.qcode))
    {
        let Some(label) = concept.label.get(LANGUAGE) else {
            continue;
        };
        let code = concept.qcode.clone();
        if let Some(parent) = concept
            .broader
            .first()
            .and_then(|uri| uri.rsplit('/').next())
        {
            parents.push((code.clone(), format!("medtop:{parent}")));
        }
        if existing_codes.contains(&code) {
            continue;
        }
        let mut slug = slug::slugify(label);
        if taken.contains(&slug) {
            slug = format!("{slug}-{}", code.trim_start_matches("medtop:"));
        }
        taken.insert(slug.clone());
        let mut name = label.clone();
        if let Some(first) = name.get(..1) {
            name = first.to_uppercase() + &name[1..];
        }
        new.push(IptcTopic {
            slug,
            name,
            description: concept.definition.get(LANGUAGE).cloned(),
            iptc_code: code,
        });
    }
    // All or nothing: a failed run leaves no half-imported taxonomy.
    let (added, linked) = conn
        .transaction(async |conn| {
            let added = topics::insert_iptc_topics(conn, &new).await?;
            let linked = topics::link_iptc_parents(conn, &parents).await?;
            diesel::QueryResult::Ok((added, linked))
        })
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "{added} added, {linked} parent links set, {} already present",
        existing_codes.len()
    ))
}
