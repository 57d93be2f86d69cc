//! Full-text search SQL: how a query is read, how a match is scored, and which part of a hit's
//! body its highlight may show. `article_sql` puts these fragments into a list's statement; docs/search.md says
//! why each is the way it is.
//!
//! The text is read as the migration `000007_search` indexes it: through `search_text`, which
//! turns `<`, `>` and `&` into the control characters 1, 2 and 3 so that PostgreSQL's parser
//! does not take `<HSN>` for markup, and in the configuration `search_config` gives the
//! article's language.

use super::ArticleId;
use super::sql::{Bind, Sql};

/// How many of the newest matches a relevance search ranks. Ranking reads each candidate's whole
/// search vector, so ranking every match of a word that most articles contain costs seconds at
/// a million articles; news relevance is about what is recent, and a search that wants older
/// stories narrows by `published_before`.
pub const RELEVANCE_CANDIDATES: u32 = 1000;
/// How many of the newest matches a relevance search with a phrase ranks. GIN keeps no word
/// positions, so each article holding the phrase's words is re-checked against its search
/// vector: at a million articles, `"white house"` (both words in 38 % of them, the phrase in
/// 0.16 %) reads about 600 articles per match, and 1,000 matches took past the statement timeout
/// where 100 take 0.75 s.
pub const PHRASE_CANDIDATES: u32 = 100;

/// How many characters of the body a highlight reads: stemming every word of whole bodies would
/// make highlights most of a search's cost (it did with `ts_headline`). The window starts
/// [`BODY_WINDOW_LEAD`] characters before the first place a word of the query occurs as written.
const BODY_WINDOW: u32 = 1_200;
/// How much of the body before the first occurrence the window keeps, for context.
const BODY_WINDOW_LEAD: u32 = 200;

/// A full-text search: the query as the client wrote it (`websearch_to_tsquery` syntax) and the
/// language it is read in.
#[derive(Debug, Clone, Copy)]
pub struct Search<'a> {
    pub query: &'a str,
    /// The `language` filter: its configuration reads the query; English without one.
    pub language: Option<&'a str>,
}

impl Search<'_> {
    /// How many candidates a relevance search ranks: fewer when the query holds a phrase.
    pub fn relevance_candidates(&self) -> u32 {
        if has_phrase(self.query) {
            PHRASE_CANDIDATES
        } else {
            RELEVANCE_CANDIDATES
        }
    }

    /// The tsquery: `websearch_to_tsquery` in the language's configuration, over the query read
    /// as plain text like the articles are.
    pub fn tsquery(&self) -> Sql {
        let mut sql = match self.language {
            Some(language) => {
                let mut sql = Sql::new("websearch_to_tsquery(search_config(");
                sql.bind(Bind::Text(language.to_owned())).push("), ");
                sql
            }
            None => Sql::new("websearch_to_tsquery('english', "),
        };
        sql.push("search_text(")
            .bind(Bind::Text(self.query.to_owned()))
            .push("))");
        sql
    }

    /// The score `sort=relevance` orders by, for the candidate row `c` (which carries `id` and
    /// `search`): the words' cover density, weighted by field and mildly normalised by length,
    /// plus a bonus for each entity the query names that the article is about or mentions.
    pub fn score(&self, c: &str) -> Sql {
        let mut sql = Sql::new(&format!(
            "(ts_rank_cd('{{0.1, 0.2, 0.4, 1.0}}', {c}.search, "
        ));
        sql.append(self.tsquery()).push(", 1)");
        let forms = entity_forms(self.query);
        if !forms.is_empty() {
            sql.push(&format!(
                " + coalesce((SELECT {ENTITY_BONUS} FROM article_entities x \
                   WHERE x.article_id = {c}.id AND "
            ))
            .append(named_entities(forms))
            .push("), 0)");
        }
        sql.push(")::real");
        sql
    }

    /// The ids of the entities the query names (none when it names none): what
    /// [`Search::score`] looks up for its entity part, as an expression.
    pub fn named_entity_ids(&self) -> Sql {
        let forms = entity_forms(self.query);
        if forms.is_empty() {
            return Sql::new("'{}'::int8[]");
        }
        let mut sql = Sql::new(&format!("ARRAY({NAMED_ENTITIES}"));
        sql.bind(Bind::Texts(forms)).push(")");
        sql
    }

    /// The entity part of [`Search::score`] for each of `ids` that links one of `entities` (the
    /// query's [`Search::named_entity_ids`]), as `(id, bonus)` rows: what a relevance search
    /// ranked by the search index adds to the text's score.
    pub fn entity_bonus(ids: &[ArticleId], entities: &[i64]) -> Sql {
        let mut sql = Sql::new(&format!(
            "SELECT x.article_id AS id, {ENTITY_BONUS}::float8 AS bonus FROM article_entities x \
             WHERE x.article_id = ANY("
        ));
        sql.bind(Bind::BigInts(ids.iter().map(|id| id.0).collect()))
            .push(") AND x.entity_id = ANY(")
            .bind(Bind::BigInts(entities.to_vec()))
            .push(") GROUP BY x.article_id");
        sql
    }

    /// The part of the body `b.body` a highlight may show: a [`BODY_WINDOW`] around the first
    /// word of the query it holds as written (its start when it holds none: a match through
    /// stemming only). The highlight itself is made in the process (`search_index::highlight`).
    pub fn body_window(&self) -> Sql {
        let mut sql = Sql::new(
            "substr(b.body, greatest(1, coalesce((SELECT min(nullif(strpos(lower(b.body), w), 0)) \
             FROM unnest(",
        );
        sql.bind(Bind::Texts(query_words(self.query)))
            .push(&format!(
                "::text[]) w), 1) - {BODY_WINDOW_LEAD}), {BODY_WINDOW})"
            ));
        sql
    }
}

/// What an article's links to the entities a query names add to its score: an entity it is
/// about counts five times one it mentions.
const ENTITY_BONUS: &str = "sum(CASE x.rel WHEN 'about' THEN 0.5 ELSE 0.1 END)";

/// The entities named by one of the forms bound after it (`entity_forms`).
const NAMED_ENTITIES: &str =
    "SELECT e.id FROM entities e WHERE entity_search_forms(e.name, e.aliases) && ";

/// `x.entity_id` is one of the entities named by one of `forms`.
fn named_entities(forms: Vec<String>) -> Sql {
    let mut sql = Sql::new(&format!("x.entity_id = ANY(ARRAY({NAMED_ENTITIES}"));
    sql.bind(Bind::Texts(forms)).push("))");
    sql
}

/// Whether `websearch_to_tsquery` reads a phrase in the query: words in quotes, or a word the
/// parser splits into a phrase of its parts (`covid-19`, `anti-war`). Erring either way only
/// changes how many candidates are ranked.
fn has_phrase(query: &str) -> bool {
    query.contains('"')
        || query.split_whitespace().any(|word| {
            let word = word.trim_start_matches('-');
            word.trim_matches(|c: char| !c.is_alphanumeric())
                .contains('-')
        })
}

/// The words of a query as a reader wrote them, lower-case and without quotes or punctuation
/// around them, leaving out `or` and negated words: what a highlight looks for in the body.
pub fn query_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = query
        .split_whitespace()
        .filter(|word| !word.eq_ignore_ascii_case("or") && !word.starts_with('-'))
        .map(|word| {
            word.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|word| !word.is_empty())
        .collect();
    words.sort();
    words.dedup();
    words
}

/// The lower-case word sequences (one to four words) of a query that may name an entity: every
/// run of words that are not operators (`or`, a `-word`), without quotes.
pub fn entity_forms(query: &str) -> Vec<String> {
    const LONGEST: usize = 4;
    let mut runs: Vec<Vec<String>> = vec![Vec::new()];
    for word in query.split_whitespace() {
        let operator = word.eq_ignore_ascii_case("or") || word.starts_with('-');
        let word = word.trim_matches('"').to_lowercase();
        if operator || word.is_empty() {
            runs.push(Vec::new());
        } else if let Some(run) = runs.last_mut() {
            run.push(word);
        }
    }
    let mut forms: Vec<String> = runs
        .iter()
        .flat_map(|run| {
            (0..run.len()).flat_map(move |start| {
                (start + 1..=run.len().min(start + LONGEST))
                    .map(move |end| run[start..end].join(" "))
            })
        })
        .collect();
    forms.sort();
    forms.dedup();
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_read_in_its_language_as_plain_text() {
        let english = Search {
            query: "Blinken NATO",
            language: None,
        };
        assert_eq!(
            english.tsquery().text(),
            "websearch_to_tsquery('english', search_text($1))"
        );
        let french = Search {
            query: "élections",
            language: Some("fr"),
        };
        assert_eq!(
            french.tsquery().text(),
            "websearch_to_tsquery(search_config($1), search_text($2))"
        );
        assert_eq!(
            french.tsquery().binds(),
            &[Bind::Text("fr".into()), Bind::Text("élections".into())]
        );
    }

    #[test]
    fn entity_forms_are_runs_of_words_without_operators() {
        assert_eq!(
            entity_forms("Antony Blinken NATO"),
            [
                "antony",
                "antony blinken",
                "antony blinken nato",
                "blinken",
                "blinken nato",
                "nato"
            ]
        );
        assert_eq!(
            entity_forms("\"Georgia\" or Jordan -Turkey"),
            ["georgia", "jordan"]
        );
        assert!(entity_forms("  ").is_empty());
    }

    #[test]
    fn the_score_adds_entities_only_when_the_query_has_words() {
        let search = Search {
            query: "nato",
            language: None,
        };
        let score = search.score("c");
        assert_eq!(
            score.text(),
            "(ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', c.search, websearch_to_tsquery('english', search_text($1)), 1) \
             + coalesce((SELECT sum(CASE x.rel WHEN 'about' THEN 0.5 ELSE 0.1 END) \
             FROM article_entities x WHERE x.article_id = c.id AND x.entity_id = ANY(ARRAY(\
             SELECT e.id FROM entities e WHERE entity_search_forms(e.name, e.aliases) && $2))), 0))::real"
        );
        let negated = Search {
            query: "-nato",
            language: None,
        };
        assert!(!negated.score("c").text().contains("article_entities"));
        // The same part, for candidates the search index ranked, with the entities bound.
        let bonus = Search::entity_bonus(&[ArticleId(3), ArticleId(1)], &[7]);
        assert_eq!(
            bonus.text(),
            "SELECT x.article_id AS id, sum(CASE x.rel WHEN 'about' THEN 0.5 ELSE 0.1 END)::float8 AS bonus \
             FROM article_entities x WHERE x.article_id = ANY($1) AND x.entity_id = ANY($2) GROUP BY x.article_id"
        );
        assert_eq!(bonus.binds()[1], Bind::BigInts(vec![7]));
    }

    #[test]
    fn a_highlight_reads_a_window_of_the_body_around_the_words_as_written() {
        assert_eq!(
            query_words("\"White House\" or Kremlin -Moscow Biden's, NATO!"),
            ["biden's", "house", "kremlin", "nato", "white"]
        );
        let search = Search {
            query: "\"White House\"",
            language: None,
        };
        assert_eq!(
            search.body_window().text(),
            format!(
                "substr(b.body, greatest(1, coalesce((SELECT min(nullif(strpos(lower(b.body), w), 0)) \
                 FROM unnest($1::text[]) w), 1) - {BODY_WINDOW_LEAD}), {BODY_WINDOW})"
            )
        );
        assert_eq!(
            search.body_window().binds()[0],
            Bind::Texts(vec!["house".into(), "white".into()])
        );
    }

    #[test]
    fn a_phrase_ranks_fewer_candidates() {
        let candidates = |query| {
            Search {
                query,
                language: None,
            }
            .relevance_candidates()
        };
        assert_eq!(candidates("\"white house\""), PHRASE_CANDIDATES);
        assert_eq!(candidates("covid-19 vaccine"), PHRASE_CANDIDATES);
        assert_eq!(candidates("biden -trump"), RELEVANCE_CANDIDATES);
        assert_eq!(candidates("climate change"), RELEVANCE_CANDIDATES);
    }
}
