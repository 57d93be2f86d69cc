//! Entity linking: finds the names and aliases of known entities in an article's text.
//!
//! One Aho-Corasick automaton over the whole gazetteer, leftmost-longest, so "Antony Blinken" is
//! one mention, not also one of "Blinken". Matching is case-sensitive, because names are proper
//! nouns: "Georgia" the country is not "georgia" in running text. Matches must be whole words.
//! A surface form shared by several entities is ambiguous and linked to none of them.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aho_corasick::{AhoCorasick, MatchKind};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;

use crate::db::DbPool;
use crate::store::{EntityId, entities};

/// The names and aliases of all known entities.
pub struct Gazetteer {
    automaton: Option<AhoCorasick>,
    /// Pattern index → the entity it names, or `None` when several entities share it.
    owners: Vec<Option<EntityId>>,
}

impl Gazetteer {
    pub fn empty() -> Self {
        Self {
            automaton: None,
            owners: Vec::new(),
        }
    }

    /// Builds from (entity, surface forms). Forms under two characters are ignored.
    pub fn build<'a>(entries: impl IntoIterator<Item = (EntityId, Vec<&'a str>)>) -> Self {
        let mut by_form: HashMap<&'a str, Option<EntityId>> = HashMap::new();
        for (entity, forms) in entries {
            for form in forms {
                let form = form.trim();
                if form.chars().count() < 2 {
                    continue;
                }
                by_form
                    .entry(form)
                    .and_modify(|owner| {
                        if *owner != Some(entity) {
                            *owner = None;
                        }
                    })
                    .or_insert(Some(entity));
            }
        }
        let (patterns, owners): (Vec<&str>, Vec<Option<EntityId>>) = by_form.into_iter().unzip();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Self { automaton, owners }
    }

    pub fn len(&self) -> usize {
        self.owners.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// Each entity named in `text`, with how many times.
    pub fn mentions(&self, text: &str) -> HashMap<EntityId, i32> {
        self.mentions_with(text, &[]).0
    }

    /// Like [`mentions`](Self::mentions), and also how many times `text` names each of `extra`:
    /// names the gazetteer may not know yet (the entities an article itself creates). The two
    /// sets of matches are merged leftmost-longest, as if `extra` were in the gazetteer, so a
    /// name inside a longer known one is not counted.
    pub fn mentions_with(&self, text: &str, extra: &[&str]) -> (HashMap<EntityId, i32>, Vec<i32>) {
        // (start, end, what was matched)
        let mut found: Vec<(usize, usize, Found)> = Vec::new();
        if let Some(automaton) = &self.automaton {
            found.extend(
                whole_words(automaton, text)
                    .map(|(start, end, i)| (start, end, Found::Known(self.owners[i]))),
            );
        }
        let extra_forms: Vec<&str> = extra
            .iter()
            .map(|n| n.trim())
            .filter(|n| n.chars().count() >= 2)
            .collect();
        if !extra_forms.is_empty()
            && let Ok(automaton) = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&extra_forms)
        {
            found.extend(
                whole_words(&automaton, text)
                    .map(|(start, end, i)| (start, end, Found::Extra(extra_forms[i]))),
            );
            // Leftmost first, and the longest of those that start together.
            found.sort_by_key(|(start, end, _)| (*start, std::cmp::Reverse(*end)));
        }
        let mut counts = HashMap::new();
        let mut named = vec![0; extra.len()];
        let mut covered = 0;
        for (start, end, what) in found {
            if start < covered {
                continue;
            }
            covered = end;
            match what {
                Found::Known(Some(entity)) => *counts.entry(entity).or_insert(0) += 1,
                Found::Known(None) => {}
                Found::Extra(form) => {
                    for (count, name) in named.iter_mut().zip(extra) {
                        if name.trim() == form {
                            *count += 1;
                        }
                    }
                }
            }
        }
        (counts, named)
    }
}

/// A match in a text: a gazetteer form (whose owner, if unambiguous), or one of the extra names.
enum Found<'a> {
    Known(Option<EntityId>),
    Extra(&'a str),
}

/// The gazetteer of the entities in the database, rebuilt when they change. The change stamp is
/// checked on every use, so a change made by another process is seen at the next write too.
///
/// A small gazetteer is rebuilt before the write that sees the change, so that write already
/// links new names. A large one (over [`SYNC_REBUILD_MAX_FORMS`] forms; 100,000 entities take
/// about 1.5 s) is rebuilt in the background when a pool is given, and writes go on with the
/// previous one meanwhile: ingest never waits for it, and `dateline relink` catches up the links
/// missed in that window. Builds run on the blocking thread pool, never on the async workers.
#[derive(Clone, Default)]
pub struct SharedGazetteer {
    state: Arc<State>,
    pool: Option<DbPool>,
}

#[derive(Default)]
struct State {
    current: tokio::sync::RwLock<(Option<Stamp>, Arc<Gazetteer>)>,
    rebuilding: AtomicBool,
}

type Stamp = (i64, Option<chrono::DateTime<chrono::Utc>>);

pub const SYNC_REBUILD_MAX_FORMS: usize = 20_000;

impl Default for Gazetteer {
    fn default() -> Self {
        Self::empty()
    }
}

impl SharedGazetteer {
    /// Rebuilds large gazetteers in the background, with connections from `pool`.
    pub fn with_background_rebuilds(pool: DbPool) -> Self {
        Self {
            state: Arc::default(),
            pool: Some(pool),
        }
    }

    pub async fn get(&self, conn: &mut AsyncPgConnection) -> QueryResult<Arc<Gazetteer>> {
        let stamp = entities::change_stamp(conn).await?;
        let (cached_stamp, cached) = {
            let current = self.state.current.read().await;
            (current.0, current.1.clone())
        };
        if cached_stamp == Some(stamp) {
            return Ok(cached);
        }
        if let Some(pool) = &self.pool
            && cached_stamp.is_some()
            && cached.len() > SYNC_REBUILD_MAX_FORMS
        {
            if !self.state.rebuilding.swap(true, Ordering::SeqCst) {
                let (state, pool) = (self.state.clone(), pool.clone());
                actix_web::rt::spawn(async move {
                    let rebuilt = match pool.get().await {
                        Ok(mut conn) => load(&mut conn).await.map_err(|e| e.to_string()),
                        Err(e) => Err(e.to_string()),
                    };
                    match rebuilt {
                        Ok(fresh) => *state.current.write().await = fresh,
                        Err(e) => log::warn!("rebuilding the gazetteer: {e}"),
                    }
                    state.rebuilding.store(false, Ordering::SeqCst);
                });
            }
            return Ok(cached);
        }
        let fresh = load(conn).await?;
        let gazetteer = fresh.1.clone();
        *self.state.current.write().await = fresh;
        Ok(gazetteer)
    }
}

/// Reads every entity's forms and builds the automaton off the async runtime.
async fn load(conn: &mut AsyncPgConnection) -> QueryResult<(Option<Stamp>, Arc<Gazetteer>)> {
    let stamp = entities::change_stamp(conn).await?;
    let forms = entities::surface_forms(conn).await?;
    let gazetteer = actix_web::rt::task::spawn_blocking(move || {
        Gazetteer::build(forms.iter().map(|(id, name, aliases)| {
            let mut all = vec![name.as_str()];
            all.extend(aliases.iter().flatten().map(String::as_str));
            (*id, all)
        }))
    })
    .await
    .map_err(|e| {
        diesel::result::Error::QueryBuilderError(format!("building the gazetteer: {e}").into())
    })?;
    Ok((Some(stamp), Arc::new(gazetteer)))
}

/// The automaton's matches in `text` that are whole words: (start, end, pattern index).
fn whole_words<'a>(
    automaton: &'a AhoCorasick,
    text: &'a str,
) -> impl Iterator<Item = (usize, usize, usize)> + 'a {
    automaton
        .find_iter(text)
        .filter(|m| is_whole_word(text, m.start(), m.end()))
        .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
}

/// Whether `text[start..end]` is not part of a longer word. A possessive `'s` may follow.
fn is_whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    !before.is_some_and(word) && !after.is_some_and(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gazetteer() -> Gazetteer {
        Gazetteer::build([
            (EntityId(1), vec!["Antony Blinken", "Blinken"]),
            (EntityId(2), vec!["Georgia"]),
            (EntityId(3), vec!["NATO"]),
            (EntityId(4), vec!["Washington"]),
            (EntityId(5), vec!["Washington"]),
        ])
    }

    #[test]
    fn longest_whole_words_case_sensitive() {
        let found = gazetteer().mentions(
            "Antony Blinken said NATO's door is open. Blinken met Georgia's envoy; a georgia peach; NATOs.",
        );
        assert_eq!(found.get(&EntityId(1)), Some(&2));
        assert_eq!(
            found.get(&EntityId(2)),
            Some(&1),
            "lower-case georgia is not the country"
        );
        assert_eq!(found.get(&EntityId(3)), Some(&1), "NATOs is another word");
    }

    #[test]
    fn shared_forms_are_ambiguous() {
        let found = gazetteer().mentions("Washington said so.");
        assert!(found.is_empty());
    }
}
