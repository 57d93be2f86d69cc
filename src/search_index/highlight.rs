//! A search hit's highlight, made in the process from the page's text: the headline when it
//! matches the whole query, else the lead when it does, else the best two fragments of the
//! headline, the lead and the window of the body the page's statement read. Each word is stemmed
//! as PostgreSQL's configuration for the article's language stems it (the same Snowball
//! stemmers) and marked when its lexeme is one the query asks for. `ts_headline` did this in the
//! statement, and at 21 rows it was most of a search's cost (docs/search.md).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

use super::tsearch::TsQuery;

/// The longest fragment, in words.
const FRAGMENT_WORDS: usize = 18;
/// Words of context a fragment keeps before its first match.
const CONTEXT_BEFORE: usize = 4;
/// How many fragments a snippet joins.
const FRAGMENTS: usize = 2;
const FRAGMENT_DELIMITER: &str = " … ";

/// The stemmer of PostgreSQL's configuration for a BCP 47 tag, as `search_config` (migration
/// 000007) chooses it by the primary subtag; `None` is `simple` (lower case only).
fn stemmer(language: &str) -> Option<&'static Stemmer> {
    static STEMMERS: LazyLock<HashMap<&'static str, Stemmer>> = LazyLock::new(|| {
        [
            ("en", Algorithm::English),
            ("fr", Algorithm::French),
            ("de", Algorithm::German),
            ("es", Algorithm::Spanish),
            ("it", Algorithm::Italian),
            ("pt", Algorithm::Portuguese),
            ("ru", Algorithm::Russian),
        ]
        .into_iter()
        .map(|(tag, algorithm)| (tag, Stemmer::create(algorithm)))
        .collect()
    });
    let primary = language.split('-').next()?.to_ascii_lowercase();
    STEMMERS.get(primary.as_str())
}

/// The name of the configuration whose stemmer highlights use for a tag: what `search_config`
/// gives it, which a test holds the two to.
pub fn stemming_configuration(language: &str) -> &'static str {
    let primary = language
        .split('-')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match (stemmer(language), primary.as_str()) {
        (None, _) => "simple",
        (Some(_), "en") => "english",
        (Some(_), "fr") => "french",
        (Some(_), "de") => "german",
        (Some(_), "es") => "spanish",
        (Some(_), "it") => "italian",
        (Some(_), "pt") => "portuguese",
        (Some(_), _) => "russian",
    }
}

/// A word of a text: where it is and its lexeme.
#[derive(Debug)]
struct Word {
    start: usize,
    end: usize,
    lexeme: String,
    /// A hyphenated compound (`covid-19`), whose parts follow it as words of their own.
    compound: bool,
}

/// The words of `text` as PostgreSQL's parser finds them, near enough for highlighting: runs of
/// letters and digits; a run of them joined by single hyphens is also a compound word, before
/// its parts (as `covid-19` is the lexemes `covid-19`, `covid` and `19`).
///
/// Only words that begin as a wanted lexeme begins (`initials`) are stemmed: the others cannot
/// match, and stemming every word of 21 bodies' windows was most of a highlight's cost.
fn words(text: &str, language: &str, initials: &HashSet<char>) -> Vec<Word> {
    let stem = |s: &str| {
        if s.chars()
            .next()
            .is_none_or(|c| !initials.contains(&initial(c)))
        {
            return String::new();
        }
        let lower = s.to_lowercase();
        match stemmer(language) {
            Some(stemmer) => stemmer.stem(&lower).into_owned(),
            None => lower,
        }
    };
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, text.len()));
    }
    let mut found = Vec::with_capacity(runs.len());
    let mut i = 0;
    while i < runs.len() {
        // A compound: runs separated by exactly one hyphen each.
        let mut last = i;
        while last + 1 < runs.len() && &text[runs[last].1..runs[last + 1].0] == "-" {
            last += 1;
        }
        if last > i {
            let (start, end) = (runs[i].0, runs[last].1);
            found.push(Word {
                start,
                end,
                lexeme: stem(&text[start..end]),
                compound: true,
            });
        }
        for &(start, end) in &runs[i..=last] {
            found.push(Word {
                start,
                end,
                lexeme: stem(&text[start..end]),
                compound: false,
            });
        }
        i = last + 1;
    }
    found
}

/// A word's first letter as its stem may begin: lower case, without the accents Snowball's
/// stemmers take off (German umlauts, Russian ё).
fn initial(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'ä' => 'a',
        'ö' => 'o',
        'ü' => 'u',
        'ё' => 'е',
        other => other,
    }
}

/// The lexemes a query asks for: every one not under a negation.
fn wanted(query: &TsQuery, into: &mut HashSet<String>) {
    match query {
        TsQuery::Empty | TsQuery::Not(_) => {}
        TsQuery::Lexeme(l) => {
            into.insert(l.clone());
        }
        TsQuery::And(parts) | TsQuery::Or(parts) => parts.iter().for_each(|p| wanted(p, into)),
        TsQuery::Phrase(parts) => into.extend(parts.iter().map(|(_, l)| l.clone())),
    }
}

/// The highlights of one search's hits.
pub struct Highlighter {
    query: TsQuery,
    wanted: HashSet<String>,
    /// The first letters of the query's lexemes, negated ones too ([`initial`]).
    initials: HashSet<char>,
}

impl Highlighter {
    /// The highlighter of a query in its `tsquery` text form (one that cannot be read marks
    /// nothing).
    pub fn new(tsquery: &str) -> Self {
        let query = super::tsearch::parse_tsquery(tsquery).unwrap_or(TsQuery::Empty);
        let mut wanted_lexemes = HashSet::new();
        wanted(&query, &mut wanted_lexemes);
        let initials = query
            .lexemes()
            .iter()
            .filter_map(|l| l.chars().next())
            .map(initial)
            .collect();
        Self {
            query,
            wanted: wanted_lexemes,
            initials,
        }
    }

    /// The highlight of an article in `language`, as HTML on one line: the text escaped, each
    /// match in `<mark>` and `</mark>`.
    pub fn highlight(
        &self,
        language: &str,
        headline: &str,
        lead: Option<&str>,
        body_window: Option<&str>,
    ) -> String {
        for field in std::iter::once(headline).chain(lead) {
            let found = words(field, language, &self.initials);
            if self.matches(&found) {
                return self.marked_span(field, &found, 0, field.len());
            }
        }
        let text = [Some(headline), lead, body_window]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n");
        let found = words(&text, language, &self.initials);
        let fragments = self.fragments(&found);
        fragments
            .into_iter()
            .map(|(from, to)| self.marked(&text, &found, from, to))
            .collect::<Vec<_>>()
            .join(FRAGMENT_DELIMITER)
    }

    fn matches(&self, found: &[Word]) -> bool {
        let mut positions: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, word) in found.iter().enumerate() {
            positions
                .entry(word.lexeme.as_str())
                .or_default()
                .push(i as u32);
        }
        self.query.satisfied_by(&positions, true)
    }

    fn is_match(&self, word: &Word) -> bool {
        self.wanted.contains(&word.lexeme)
    }

    /// Up to [`FRAGMENTS`] ranges of words, in text order: each window of at most
    /// [`FRAGMENT_WORDS`] words that starts a little before a match, the one with the most
    /// different wanted lexemes (then the most matches, then the earliest) first, and the next
    /// best that does not overlap it; the text's first words when nothing matches (a match by
    /// a lexeme of the whole vector only, beyond the window).
    fn fragments(&self, found: &[Word]) -> Vec<(usize, usize)> {
        let window = |anchor: usize| {
            let from = anchor.saturating_sub(CONTEXT_BEFORE);
            (from, (from + FRAGMENT_WORDS).min(found.len()))
        };
        let score = |(from, to): (usize, usize)| {
            let hits: Vec<&str> = found[from..to]
                .iter()
                .filter(|w| self.is_match(w))
                .map(|w| w.lexeme.as_str())
                .collect();
            let distinct: HashSet<&str> = hits.iter().copied().collect();
            (distinct.len(), hits.len())
        };
        let mut candidates: Vec<((usize, usize), (usize, usize))> = found
            .iter()
            .enumerate()
            .filter(|(_, w)| self.is_match(w))
            .map(|(i, _)| window(i))
            .map(|range| (range, score(range)))
            .collect();
        // Best first; among equals, the earliest.
        candidates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut chosen: Vec<(usize, usize)> = Vec::new();
        for (range, _) in candidates {
            if chosen.len() == FRAGMENTS {
                break;
            }
            if chosen.iter().all(|c| range.1 <= c.0 || range.0 >= c.1) {
                chosen.push(range);
            }
        }
        if chosen.is_empty() && !found.is_empty() {
            chosen.push((0, FRAGMENT_WORDS.min(found.len())));
        }
        chosen.sort();
        chosen
    }

    /// The text from word `from` to the end of word `to - 1`, escaped, with the matches marked.
    fn marked(&self, text: &str, found: &[Word], from: usize, to: usize) -> String {
        let (Some(first), Some(last)) = (
            found.get(from),
            to.checked_sub(1).and_then(|l| found.get(l)),
        ) else {
            return String::new();
        };
        self.marked_span(text, &found[from..to], first.start, last.end)
    }

    /// `text[start..end]`, escaped, with the matches among `found` marked.
    fn marked_span(&self, text: &str, found: &[Word], start: usize, end: usize) -> String {
        let mut html = String::new();
        let mut at = start;
        for word in found {
            // A compound is marked whole when it matches (its parts, inside it, are then
            // passed over); otherwise its parts are marked one by one.
            if word.start < at || (word.compound && !self.is_match(word)) {
                continue;
            }
            escape(&text[at..word.start], &mut html);
            let marked = self.is_match(word);
            if marked {
                html.push_str("<mark>");
            }
            escape(&text[word.start..word.end], &mut html);
            if marked {
                html.push_str("</mark>");
            }
            at = word.end;
        }
        escape(&text[at..end.max(at)], &mut html);
        html.trim().to_owned()
    }
}

/// Appends `text` as HTML: `&`, `<`, `>`, `"` and `'` escaped, line breaks and tabs as one space.
fn escape(text: &str, html: &mut String) {
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => {
                if !html.ends_with(' ') {
                    html.push(' ');
                }
            }
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '&' => html.push_str("&amp;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c => html.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highlighter(tsquery: &str) -> Highlighter {
        Highlighter::new(tsquery)
    }

    #[test]
    fn a_headline_that_matches_is_the_highlight_escaped_with_its_matches_marked() {
        let h = highlighter("'hsn'");
        assert_eq!(
            h.highlight(
                "en",
                "HOME SHOPPING <HSN> SETS STOCK OPTIONS",
                Some("Its HSN unit"),
                None
            ),
            "HOME SHOPPING &lt;<mark>HSN</mark>&gt; SETS STOCK OPTIONS"
        );
        // Stemmed in the article's language.
        let french = highlighter("'électeur'");
        assert_eq!(
            french.highlight("fr-FR", "Les électeurs votent", None, None),
            "Les <mark>électeurs</mark> votent"
        );
    }

    #[test]
    fn the_lead_then_fragments_when_the_headline_does_not_hold_the_query() {
        let h = highlighter("'blinken' & 'nato'");
        assert_eq!(
            h.highlight(
                "en",
                "Blinken flies to Brussels",
                Some("Blinken met NATO's allies & partners."),
                None
            ),
            "<mark>Blinken</mark> met <mark>NATO</mark>&#39;s allies &amp; partners."
        );
        let phrase = highlighter("'reciproc' <-> 'transpar' <-> 'measur'");
        let body = format!(
            "{} It proposed reciprocal transparency measures on missiles. {}",
            "Filler words here. ".repeat(10),
            "More filler. ".repeat(10)
        );
        let got = phrase.highlight("en", "US rejects demands", Some("A lead."), Some(&body));
        assert!(
            got.contains("<mark>reciprocal</mark> <mark>transparency</mark> <mark>measures</mark>"),
            "{got}"
        );
        assert!(got.split(' ').count() < 30, "a fragment: {got}");
        assert!(!got.contains('\n'));
    }

    #[test]
    fn two_fragments_cover_the_most_different_words() {
        let h = highlighter("'zeppelin' & 'airship'");
        let body = format!(
            "A zeppelin flew. {} Later an airship landed.",
            "Nothing of note happened then. ".repeat(8)
        );
        let got = h.highlight("en", "Headline", None, Some(&body));
        let parts: Vec<&str> = got.split(FRAGMENT_DELIMITER).collect();
        assert_eq!(parts.len(), 2, "{got}");
        assert!(parts[0].contains("<mark>zeppelin</mark>"), "{got}");
        assert!(parts[1].contains("<mark>airship</mark>"), "{got}");
    }

    #[test]
    fn phrases_negations_and_compounds_read_as_postgresql_does() {
        let h = highlighter("'white' <-> 'hous'");
        assert_eq!(
            h.highlight("en", "The White House said", None, None),
            "The <mark>White</mark> <mark>House</mark> said"
        );
        // Both words, not side by side: not the headline's phrase, so a fragment.
        let apart = h.highlight("en", "A white fence and a house", Some("x"), None);
        assert!(apart.contains("<mark>white</mark>"), "{apart}");
        let negated = highlighter("'biden' & !'trump'");
        assert_eq!(
            negated.highlight("en", "Biden and Trump", Some("Biden spoke"), None),
            "<mark>Biden</mark> spoke"
        );
        let compound = highlighter("'covid-19' <-> 'covid' <-> '19'");
        assert_eq!(
            compound.highlight("en", "New COVID-19 rules", None, None),
            "New <mark>COVID-19</mark> rules"
        );
        // Nothing matches: the first words.
        let none = highlighter("'absent'");
        assert_eq!(
            none.highlight("simple", "Just a headline", None, None),
            "Just a headline"
        );
    }
}
