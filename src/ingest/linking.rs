//! Entity linking: finds the names and aliases of known entities in an article's text.
//!
//! One Aho-Corasick automaton over the whole gazetteer, leftmost-longest, so "Antony Blinken" is
//! one mention, not also one of "Blinken". Matching is case-sensitive, because names are proper
//! nouns: "Georgia" the country is not "georgia" in running text. Matches must be whole words,
//! and a line break inside a name ("New\nJersey", as wire copy wraps it) is a space.
//!
//! A match that is part of a longer proper name is not a mention: one followed by a capitalised
//! word ("Georgia Power", "Washington Post", "George Washington Bridge", "Georgia-Pacific"), or
//! preceded by one that is neither a sentence's first word nor a title ("Jerry Jordan", but "In
//! Georgia" and "Secretary Blinken" count). Text in title case, where every word is capitalised
//! (a headline), is matched by the names alone.
//!
//! A surface form several entities share names the one among them that the text names by another
//! of its forms (after "George Washington", a bare "Washington" is him), and none when the text
//! does not tell them apart.
//!
//! A one-word form that the text has used to begin a company's name ("Phoenix Steel Corp") is,
//! later in the text, taken for that company's short name ("Phoenix said") and links nothing,
//! unless the context words say which entity it is. A match after "‹Head› of" or "‹Head› for
//! (the)", where the head is a company word or a word such as "Gulf", "District", "Court" or
//! "Bank" ("Gulf of Mexico", "District of Delaware", "First Union Corp of Georgia"), is part of a
//! longer name too.
//!
//! Among the entities that share a form, and for such a short form, the words around a mention
//! choose by kind: a title before it names a person ("Secretary Washington"); "in", "near", "the
//! state of", "the city of", "-based", "… government", "… officials" a place; a company word
//! after it ("Corp", "Inc") or "shares", "stake in", "unit of" an organisation. The kind chosen,
//! then the other names of the text, settle it; else the mention links nothing.
//!
//! After a person's full name, their surname alone names them too ("Antony Blinken … Blinken"),
//! where it is no name of its own in the gazetteer, is not part of a longer name, and no other
//! person named in full before it has the same surname.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aho_corasick::{AhoCorasick, MatchKind};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;

use crate::db::DbPool;
use crate::store::{EntityId, entities};
use crate::vocab::EntityKind;

/// Words that, capitalised before a name, are a title or a sentence's opening rather than part of
/// the name: "President Biden", "In Georgia".
const NOT_NAME_WORDS: &[&str] = &[
    "A",
    "After",
    "Ambassador",
    "An",
    "And",
    "As",
    "At",
    "But",
    "By",
    "Chancellor",
    "Dr",
    "During",
    "For",
    "From",
    "Gen",
    "General",
    "Gov",
    "Governor",
    "If",
    "In",
    "Judge",
    "King",
    "Minister",
    "Mr",
    "Mrs",
    "Ms",
    "Of",
    "On",
    "President",
    "Prime",
    "Queen",
    "Rep",
    "Secretary",
    "Sen",
    "Senator",
    "Since",
    "Spokesman",
    "Spokeswoman",
    "The",
    "This",
    "To",
    "When",
    "While",
    "With",
];

/// Capitalised words that, before "of" or "for" and a name, make a longer name of it, besides
/// the company words: "Gulf of Mexico", "District of Delaware", "Court for Delaware". (Not a
/// person's name: "Nick Rhodes of Duran Duran".)
const NAME_HEADS: &[&str] = &[
    "Authority",
    "Bank",
    "Bay",
    "Board",
    "Commission",
    "Council",
    "Court",
    "Department",
    "District",
    "Gulf",
    "Institute",
    "Isle",
    "Lake",
    "Ministry",
    "Museum",
    "Port",
    "Sea",
    "University",
];

/// Capitalised words after a place's name that are its government, not part of a longer name:
/// "the ‹country› Government", "‹state› Governor ‹name›".
const PLACE_BODIES: &[&str] = &["Government", "Governor"];

/// Titles before a name that make it a person's: "President Lincoln".
const PERSON_TITLES: &[&str] = &[
    "Ambassador",
    "Chancellor",
    "Dr",
    "Gen",
    "General",
    "Gov",
    "Governor",
    "Judge",
    "King",
    "Minister",
    "Mr",
    "Mrs",
    "Ms",
    "President",
    "Queen",
    "Rep",
    "Secretary",
    "Sen",
    "Senator",
];

/// Words after a name that make it a company's: "Columbia Inc".
const COMPANY_WORDS: &[&str] = &[
    "Bancorp",
    "Co",
    "Company",
    "Corp",
    "Corporation",
    "Inc",
    "Incorporated",
    "LLC",
    "Ltd",
    "Plc",
];

/// Words before a name that make it a place: "in Phoenix", "near Jordan".
const PLACE_BEFORE: &[&str] = &["across", "in", "near", "outside", "throughout"];

/// Lower-case words before "of ‹name›" that make it a place: "the state of Delaware".
const PLACE_BEFORE_OF: &[&str] = &[
    "capital",
    "city",
    "county",
    "east",
    "government",
    "governor",
    "north",
    "people",
    "province",
    "south",
    "state",
    "west",
];

/// Lower-case words after a name (or its possessive) that make it a place: "Georgia officials".
const PLACE_AFTER: &[&str] = &[
    "authorities",
    "government",
    "governor",
    "law",
    "legislature",
    "officials",
    "residents",
    "voters",
];

/// Lower-case words around a name that make it an organisation's: "Phoenix shares", "a stake in
/// Phoenix", "a unit of Phoenix".
const ORG_AFTER: &[&str] = &["shareholders", "shares", "stock", "stockholders"];
const ORG_BEFORE: &[(&str, &str)] = &[
    ("shares", "of"),
    ("stake", "in"),
    ("subsidiary", "of"),
    ("unit", "of"),
];

/// Lower-case words a person's full name may hold before the surname: "Charles de Gaulle".
const NAME_PARTICLES: &[&str] = &[
    "al", "bin", "da", "das", "de", "del", "der", "di", "dos", "du", "ibn", "la", "le", "van",
    "von",
];

/// Words after a surname that are not the surname: "Martin Luther King Jr.".
const NAME_SUFFIXES: &[&str] = &["II", "III", "IV", "Jr", "Sr"];

/// The names and aliases of all known entities.
pub struct Gazetteer {
    automaton: Option<AhoCorasick>,
    /// Pattern index → the entities it names (one, or several sharing the form).
    owners: Vec<Vec<EntityId>>,
    /// What kind of thing each entity is.
    kinds: HashMap<EntityId, EntityKind>,
}

/// A mention found in a text: where, and of which entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    pub start: usize,
    pub end: usize,
    pub entity: EntityId,
}

impl Gazetteer {
    pub fn empty() -> Self {
        Self {
            automaton: None,
            owners: Vec::new(),
            kinds: HashMap::new(),
        }
    }

    /// Builds from (entity, its kind, its surface forms). Forms under two characters are ignored.
    pub fn build<'a>(
        entries: impl IntoIterator<Item = (EntityId, EntityKind, Vec<&'a str>)>,
    ) -> Self {
        let mut by_form: HashMap<&'a str, Vec<EntityId>> = HashMap::new();
        let mut kinds = HashMap::new();
        for (entity, kind, forms) in entries {
            kinds.insert(entity, kind);
            for form in forms {
                let form = form.trim();
                if form.chars().count() < 2 {
                    continue;
                }
                let owners = by_form.entry(form).or_default();
                if !owners.contains(&entity) {
                    owners.push(entity);
                }
            }
        }
        let (patterns, owners): (Vec<&str>, Vec<Vec<EntityId>>) = by_form.into_iter().unzip();
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Self {
            automaton,
            owners,
            kinds,
        }
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

    /// Every mention in `text`, in order.
    pub fn find(&self, text: &str) -> Vec<Mention> {
        let text = unwrapped(text);
        self.link(&text, &[])
            .into_iter()
            .filter_map(|(start, end, hit)| match hit {
                Hit::Entity(entity) => Some(Mention { start, end, entity }),
                Hit::Extra(_) => None,
            })
            .collect()
    }

    /// Like [`mentions`](Self::mentions), and also how many times `text` names each of `extra`:
    /// names (with their kinds) the gazetteer may not know yet (the entities an article itself
    /// creates). The two sets of matches are merged leftmost-longest, as if `extra` were in the
    /// gazetteer, so a name inside a longer known one is not counted.
    pub fn mentions_with(
        &self,
        text: &str,
        extra: &[(&str, EntityKind)],
    ) -> (HashMap<EntityId, i32>, Vec<i32>) {
        let text = unwrapped(text);
        let mut named = vec![0; extra.len()];
        let mut counts = HashMap::new();
        for (_, _, hit) in self.link(&text, extra) {
            match hit {
                Hit::Entity(entity) => *counts.entry(entity).or_insert(0) += 1,
                Hit::Extra(form) => {
                    for (count, (name, _)) in named.iter_mut().zip(extra) {
                        if name.trim() == form {
                            *count += 1;
                        }
                    }
                }
            }
        }
        (counts, named)
    }

    /// Every mention in `text` of a known entity or of one of `extra`, in order: the name
    /// matches, resolved, and the surnames of the persons they name.
    fn link<'e>(
        &self,
        text: &str,
        extra: &[(&'e str, EntityKind)],
    ) -> Vec<(usize, usize, Hit<'e>)> {
        let extra_forms: Vec<&'e str> = extra.iter().map(|(name, _)| name.trim()).collect();
        let kind_of = |hit: &Hit| match hit {
            Hit::Entity(entity) => self.kinds.get(entity).copied(),
            Hit::Extra(form) => extra
                .iter()
                .find(|(name, _)| name.trim() == *form)
                .map(|(_, kind)| *kind),
        };
        let (found, spans) = self.matches(text, &extra_forms);
        let mut hits = self.resolve(text, &found, kind_of);
        let starts: HashSet<usize> = found.iter().map(|m| m.start).collect();
        let surnames = surname_mentions(text, &hits, &spans, &starts, kind_of);
        if !surnames.is_empty() {
            hits.extend(surnames);
            hits.sort_by_key(|(start, _, _)| *start);
        }
        hits
    }

    /// The leftmost-longest name matches of the gazetteer and of `extra` in `text`, without the
    /// ones that are part of a longer proper name; and the spans of all of them.
    fn matches<'e>(&self, text: &str, extra: &[&'e str]) -> (Vec<Match<'e>>, Vec<(usize, usize)>) {
        // (start, end, what was matched)
        let mut found: Vec<(usize, usize, Found)> = Vec::new();
        if let Some(automaton) = &self.automaton {
            found.extend(
                whole_words(automaton, text).map(|(start, end, i)| (start, end, Found::Known(i))),
            );
        }
        let extra_forms: Vec<&str> = extra
            .iter()
            .copied()
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
        let mut kept = Vec::with_capacity(found.len());
        let mut covered = 0;
        for (start, end, what) in found {
            if start < covered {
                continue;
            }
            covered = end;
            kept.push((start, end, what));
        }
        let spans = kept.iter().map(|(start, end, _)| (*start, *end)).collect();
        let starts: HashSet<usize> = kept.iter().map(|(start, _, _)| *start).collect();
        // The forms seen inside a longer name next to them, and where that ended.
        let mut in_longer: HashMap<&str, usize> = HashMap::new();
        let mut matches = Vec::with_capacity(kept.len());
        for (start, end, what) in kept {
            let form = &text[start..end];
            match inside_longer_name(text, start, end, &starts) {
                // "Columbia Inc" is a company's name when the form names an organisation.
                Some(Longer::Next)
                    if next_word(text, end).is_some_and(|w| COMPANY_WORDS.contains(&w))
                        && self.names_an(&what, EntityKind::Organisation) => {}
                // "Phoenix Steel Corp": a later "Phoenix" is likely the company.
                Some(Longer::Next)
                    if !form.contains(char::is_whitespace) && company_name_after(text, end) =>
                {
                    in_longer.entry(form).or_insert(end);
                    continue;
                }
                Some(_) => continue,
                None => {}
            }
            let short = in_longer.get(form).is_some_and(|e| *e <= start);
            matches.push(Match {
                start,
                end,
                what,
                short,
            });
        }
        (matches, spans)
    }

    /// Whether a gazetteer match has an owner of that kind.
    fn names_an(&self, what: &Found, kind: EntityKind) -> bool {
        match what {
            Found::Known(i) => self.owners[*i]
                .iter()
                .any(|e| self.kinds.get(e) == Some(&kind)),
            Found::Extra(_) => false,
        }
    }

    /// The mentions of the matches. A form of one entity names it, but a short form of a longer
    /// name seen before names it only if the context words say its kind. A shared form goes to
    /// its owners of the kind the context says, if it says one, and among those to the one the
    /// text also names unambiguously, or to none.
    fn resolve<'e>(
        &self,
        text: &str,
        found: &[Match<'e>],
        kind_of: impl Fn(&Hit) -> Option<EntityKind>,
    ) -> Vec<(usize, usize, Hit<'e>)> {
        let named: HashSet<EntityId> = found
            .iter()
            .filter(|m| !m.short)
            .filter_map(|m| match m.what {
                Found::Known(i) => match self.owners[i].as_slice() {
                    [only] => Some(*only),
                    _ => None,
                },
                Found::Extra(_) => None,
            })
            .collect();
        found
            .iter()
            .filter_map(|m| {
                let hit = |hit| Some((m.start, m.end, hit));
                let context = || context_kind(text, m.start, m.end);
                let i = match m.what {
                    Found::Known(i) => i,
                    Found::Extra(form) if !m.short => return hit(Hit::Extra(form)),
                    Found::Extra(form) => {
                        let fits = context().is_some_and(|k| kind_of(&Hit::Extra(form)) == Some(k));
                        return if fits { hit(Hit::Extra(form)) } else { None };
                    }
                };
                let owners = &self.owners[i];
                if let ([only], false) = (owners.as_slice(), m.short) {
                    return hit(Hit::Entity(*only));
                }
                let fitting: Vec<EntityId> = match context() {
                    Some(kind) => owners
                        .iter()
                        .filter(|e| self.kinds.get(e) == Some(&kind))
                        .copied()
                        .collect(),
                    None if m.short => return None,
                    None => owners.clone(),
                };
                let entity = match fitting.as_slice() {
                    [only] => *only,
                    _ => {
                        let mut named_owners = fitting.iter().filter(|e| named.contains(e));
                        match (named_owners.next(), named_owners.next()) {
                            (Some(one), None) => *one,
                            _ => return None,
                        }
                    }
                };
                hit(Hit::Entity(entity))
            })
            .collect()
    }
}

/// A match kept: where, what, and whether it is a form the text used before inside a longer name
/// (then likely short for that name).
struct Match<'a> {
    start: usize,
    end: usize,
    what: Found<'a>,
    short: bool,
}

/// How a match is part of a longer name: by the capitalised word after it ("Georgia Power") or
/// before it ("Jerry Jordan"), or after "‹Head› of" ("Gulf of Mexico").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Longer {
    Next,
    Before,
    Of,
}

/// The kind of thing the words around `text[start..end]` say it is, if they say one.
fn context_kind(text: &str, start: usize, end: usize) -> Option<EntityKind> {
    let mut before = text[..start]
        .split_whitespace()
        .rev()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()));
    let (one, two) = (before.next().unwrap_or(""), before.next().unwrap_or(""));
    let after = &text[end..];
    let after = after.strip_prefix("'s").unwrap_or(after);
    let next = after
        .split_whitespace()
        .next()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|_| after.starts_with(' '))
        .unwrap_or("");
    if text[..start].ends_with(' ') && PERSON_TITLES.contains(&one) {
        Some(EntityKind::Person)
    } else if COMPANY_WORDS.contains(&next)
        || ORG_AFTER.contains(&next)
        || ORG_BEFORE.contains(&(two, one))
    {
        Some(EntityKind::Organisation)
    } else if PLACE_BEFORE.contains(&one)
        || (one == "of" && PLACE_BEFORE_OF.contains(&two))
        || PLACE_AFTER.contains(&next)
        || after.starts_with("-based")
    {
        Some(EntityKind::Place)
    } else {
        None
    }
}

/// Whether the capitalised words after `text[..end]` (up to four, after a space or a hyphen) end
/// a company's name: "Phoenix Steel Corp", "Columbia Gas System Inc".
fn company_name_after(text: &str, end: usize) -> bool {
    let mut rest = &text[end..];
    for _ in 0..4 {
        let Some(next) = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('-')) else {
            return false;
        };
        let len = next
            .find(|c: char| !(c.is_alphanumeric() || c == '.' || c == '&'))
            .unwrap_or(next.len());
        let word = &next[..len];
        if !word.starts_with(char::is_uppercase) {
            return false;
        }
        if COMPANY_WORDS.contains(&word.trim_end_matches('.')) {
            return true;
        }
        rest = &next[len..];
    }
    false
}

/// The word after `text[..end]` and a space, without punctuation.
fn next_word(text: &str, end: usize) -> Option<&str> {
    let word = text[end..].strip_prefix(' ')?.split_whitespace().next()?;
    Some(word.trim_end_matches(|c: char| !c.is_alphanumeric()))
}

/// A match in a text: a gazetteer form (its pattern index), or one of the extra names.
enum Found<'a> {
    Known(usize),
    Extra(&'a str),
}

/// What a mention names: a known entity, or one of the extra names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hit<'a> {
    Entity(EntityId),
    Extra(&'a str),
}

/// The mentions of persons by their surname alone: a capitalised, whole-word surname after the
/// person's full name (two words or more, all capitalised but for particles such as "de"), where
/// no match of a name covers it (a surname that is itself a name in the gazetteer is that name),
/// it is not part of a longer name, and no other person named in full before it has that
/// surname.
fn surname_mentions<'e>(
    text: &str,
    hits: &[(usize, usize, Hit<'e>)],
    spans: &[(usize, usize)],
    starts: &HashSet<usize>,
    kind_of: impl Fn(&Hit) -> Option<EntityKind>,
) -> Vec<(usize, usize, Hit<'e>)> {
    // (surname, where the full name ends, the person)
    let mut persons: Vec<(&str, usize, Hit)> = Vec::new();
    for (start, end, hit) in hits {
        if kind_of(hit) != Some(EntityKind::Person) {
            continue;
        }
        if let Some(surname) = surname(&text[*start..*end]) {
            persons.push((surname, *end, *hit));
        }
    }
    let mut surnames: Vec<&str> = persons.iter().map(|(surname, _, _)| *surname).collect();
    surnames.sort_unstable();
    surnames.dedup();
    let Ok(automaton) = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&surnames)
    else {
        return Vec::new();
    };
    if surnames.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (start, end, i) in whole_words(&automaton, text) {
        // The spans are in order and do not overlap: the last one to start before `end`.
        let before_end = spans.partition_point(|(s, _)| *s < end);
        let covered = before_end > 0 && spans[before_end - 1].1 > start;
        if covered || inside_longer_name(text, start, end, starts).is_some() {
            continue;
        }
        let mut named_before = persons
            .iter()
            .filter(|(surname, after, _)| *surname == surnames[i] && *after <= start)
            .map(|(_, _, person)| *person);
        let Some(person) = named_before.next() else {
            continue;
        };
        if named_before.all(|other| other == person) {
            found.push((start, end, person));
        }
    }
    found
}

/// The surname of a person's full name as written: its last word (not a suffix such as "Jr."),
/// when it has two words or more, all capitalised but for particles.
fn surname(full: &str) -> Option<&str> {
    let words: Vec<&str> = full.split_whitespace().collect();
    if words.len() < 2
        || !words
            .iter()
            .all(|w| w.starts_with(char::is_uppercase) || NAME_PARTICLES.contains(w))
    {
        return None;
    }
    let at = words
        .iter()
        .rposition(|w| !NAME_SUFFIXES.contains(&w.trim_end_matches([',', '.'])))?;
    let last = words[at].trim_end_matches(',');
    (at > 0 && last.chars().count() >= 2 && last.starts_with(char::is_uppercase)).then_some(last)
}

/// `text` with each single line break made a space (byte for byte, so offsets stay), so that a
/// name wrapped over two lines is found; paragraph breaks stay.
fn unwrapped(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\n') {
        return text.into();
    }
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    for (i, b) in bytes.iter().enumerate() {
        let paragraph = (i > 0 && bytes[i - 1] == b'\n') || bytes.get(i + 1) == Some(&b'\n');
        if *b == b'\n' && !paragraph {
            out[i] = b' ';
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes.
    String::from_utf8(out).map_or_else(|_| text.into(), Into::into)
}

/// Whether the match `text[start..end]` is part of a longer proper name, and how: followed,
/// after a space or a hyphen, by a capitalised word that no other match starts with; preceded by
/// a capitalised word that is not a title or a sentence's first word; or preceded by "of", "for",
/// "of the" or "for the" after such a word that is a company word or one of [`NAME_HEADS`]
/// ("Gulf of", "Corp of"). Not checked in title case.
fn inside_longer_name(
    text: &str,
    start: usize,
    end: usize,
    starts: &HashSet<usize>,
) -> Option<Longer> {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    if title_case(&text[line_start..line_end]) {
        return None;
    }
    let after = &text[end..];
    let next = after.strip_prefix(' ').or_else(|| after.strip_prefix('-'));
    if let Some(next) = next
        && next.starts_with(char::is_uppercase)
        && !starts.contains(&(text.len() - next.len()))
        && !next_word(text, end).is_some_and(|w| PLACE_BODIES.contains(&w))
    {
        return Some(Longer::Next);
    }
    let (word_start, word) = word_before(text, start)?;
    if word == "the" || word == "of" || word == "for" {
        let (at, connector) = match word {
            "the" => word_before(text, word_start)?,
            _ => (word_start, word),
        };
        if connector != "of" && connector != "for" {
            return None;
        }
        let (head_start, head) = word_before(text, at)?;
        let head_word = NAME_HEADS.contains(&head) || COMPANY_WORDS.contains(&head);
        let longer = head_word && name_word(text, head_start, head, starts);
        return longer.then_some(Longer::Of);
    }
    name_word(text, word_start, word, starts).then_some(Longer::Before)
}

/// The word before `text[at..]` and one space: where it starts, and it.
fn word_before(text: &str, at: usize) -> Option<(usize, &str)> {
    let before = text[..at].strip_suffix(' ')?;
    let word_start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '.' || c == '\''))
        .map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        });
    Some((word_start, &before[word_start..]))
}

/// Whether `word`, at `word_start`, is a capitalised word of a name: not a match's start, a
/// title, an abbreviation or a sentence's first word.
fn name_word(text: &str, word_start: usize, word: &str, starts: &HashSet<usize>) -> bool {
    if !word.starts_with(char::is_uppercase) || starts.contains(&word_start) {
        return false;
    }
    let opening = text[..word_start]
        .trim_end_matches([' ', '"', '\'', '(', '“', '‘'])
        .chars()
        .next_back()
        .is_none_or(|c| matches!(c, '.' | '!' | '?' | ':' | ';' | '\n' | '—' | '-'));
    let title = NOT_NAME_WORDS.contains(&word.trim_end_matches('.'));
    !(opening || title || word.ends_with('.'))
}

/// Whether a line is in title case: of three words or more, four in five are capitalised.
fn title_case(line: &str) -> bool {
    let words: Vec<&str> = line
        .split_whitespace()
        .filter(|w| w.starts_with(char::is_alphabetic))
        .collect();
    let capitalised = words
        .iter()
        .filter(|w| w.starts_with(char::is_uppercase))
        .count();
    words.len() >= 3 && capitalised * 5 >= words.len() * 4
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
        Gazetteer::build(forms.iter().map(|(id, kind, name, aliases)| {
            let mut all = vec![name.as_str()];
            all.extend(aliases.iter().flatten().map(String::as_str));
            (*id, *kind, all)
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
        use EntityKind::{Organisation, Person, Place};
        Gazetteer::build([
            (EntityId(1), Person, vec!["Antony Blinken", "Blinken"]),
            (EntityId(2), Place, vec!["Georgia"]),
            (EntityId(3), Organisation, vec!["NATO"]),
            (EntityId(4), Place, vec!["Washington, D.C.", "Washington"]),
            (EntityId(5), Person, vec!["George Washington", "Washington"]),
            (EntityId(6), Place, vec!["Jordan"]),
            (EntityId(7), Place, vec!["New Jersey"]),
            (EntityId(8), Place, vec!["Jersey"]),
            (EntityId(9), Place, vec!["Ukraine"]),
            (EntityId(10), Place, vec!["Russia"]),
            (EntityId(11), Person, vec!["Hillary Clinton"]),
            (EntityId(12), Person, vec!["Bill Clinton"]),
            (EntityId(13), Person, vec!["Michael Jordan"]),
            (EntityId(14), Person, vec!["Kaja Kallas"]),
            (EntityId(15), Organisation, vec!["Goldman Sachs"]),
            (EntityId(16), Person, vec!["Martin Luther King Jr."]),
            (EntityId(17), Place, vec!["Phoenix, Arizona", "Phoenix"]),
            (EntityId(18), Place, vec!["Mexico"]),
            (EntityId(19), Place, vec!["Delaware"]),
            (EntityId(20), Organisation, vec!["Columbia Gas", "Columbia"]),
            (
                EntityId(21),
                Place,
                vec!["Columbia, South Carolina", "Columbia"],
            ),
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
    fn shared_forms_are_ambiguous_unless_the_text_names_one_of_their_owners() {
        assert!(gazetteer().mentions("Washington said so.").is_empty());
        let found = gazetteer().mentions("George Washington crossed the river. Washington won.");
        assert_eq!(found.get(&EntityId(5)), Some(&2));
        assert_eq!(found.get(&EntityId(4)), None);
    }

    #[test]
    fn a_name_inside_a_longer_proper_name_is_not_a_mention() {
        let g = gazetteer();
        for text in [
            "Shares of Georgia-Pacific Corp rose.",
            "The utility Georgia Power said rates rise.",
            "Traffic on the George Washington Bridge slowed.",
            "the Fed's Jerry Jordan said rates may fall.",
            "Analysts at Jersey Central were not surprised.",
        ] {
            let found = g.find(text);
            assert!(
                found.iter().all(|m| m.entity != EntityId(2)
                    && m.entity != EntityId(6)
                    && m.entity != EntityId(8)
                    && m.entity != EntityId(4)),
                "{text}: {found:?}"
            );
        }
        for (text, entity) in [
            ("In Georgia, voters went to the polls.", 2),
            ("Talks with Georgia's president went well.", 2),
            ("Secretary Blinken spoke.", 1),
            ("The Russia-Ukraine talks resumed.", 9),
            ("The Russia-Ukraine talks resumed.", 10),
            ("He flew to Jordan. Officials met him.", 6),
        ] {
            assert!(
                g.find(text).iter().any(|m| m.entity == EntityId(entity)),
                "{text}"
            );
        }
        // A headline in title case is matched by its names alone.
        assert!(
            g.find("Blinken Meets Allies In Georgia")
                .iter()
                .any(|m| m.entity == EntityId(2))
        );
    }

    #[test]
    fn a_name_wrapped_over_two_lines_is_one_name() {
        let found = gazetteer().find("The state of New\nJersey said.\n\nJersey is an island.");
        let entities: Vec<i64> = found.iter().map(|m| m.entity.0).collect();
        assert_eq!(entities, [7, 8]);
        assert_eq!(found[0].start, 13, "offsets are the text's own");
    }

    fn count(found: &[Mention], entity: i64) -> usize {
        found
            .iter()
            .filter(|m| m.entity == EntityId(entity))
            .count()
    }

    #[test]
    fn a_surname_after_the_full_name_names_the_person() {
        let g = gazetteer();
        let found =
            g.find("Kallas spoke. Then Kaja Kallas said so; later Kallas left, and kallas.");
        assert_eq!(
            count(&found, 14),
            2,
            "the full name and the surname after it, not the one before nor lower case: {found:?}"
        );
        let found = g.find("Martin Luther King Jr. marched. King spoke.");
        assert_eq!(count(&found, 16), 2, "{found:?}");
        // An organisation's last word is no surname.
        let found = g.find("Goldman Sachs said so. Sachs added more.");
        assert_eq!(count(&found, 15), 1, "{found:?}");
    }

    #[test]
    fn a_surname_of_two_persons_or_inside_a_longer_name_names_no_one() {
        let g = gazetteer();
        let found = g.find("Hillary Clinton and Bill Clinton spoke. Clinton left.");
        assert_eq!(count(&found, 11), 1, "{found:?}");
        assert_eq!(count(&found, 12), 1, "{found:?}");
        let found = g.find("Hillary Clinton spoke. The Clinton Foundation paid.");
        assert_eq!(count(&found, 11), 1, "{found:?}");
        let found = g.find("Hillary Clinton spoke, and so did Chelsea Clinton.");
        assert_eq!(
            count(&found, 11),
            1,
            "another person's full name: {found:?}"
        );
    }

    #[test]
    fn a_surname_that_is_another_name_is_that_name() {
        let found = gazetteer().find("Michael Jordan flew in. Jordan welcomed him.");
        assert_eq!(count(&found, 13), 1, "{found:?}");
        assert_eq!(count(&found, 6), 1, "{found:?}");
    }

    #[test]
    fn a_new_person_of_the_article_is_named_by_surname_too() {
        let (known, named) = Gazetteer::empty().mentions_with(
            "Ann Lee spoke first. Lee said the talks would go on. Lee Corp agreed.",
            &[
                ("Ann Lee", EntityKind::Person),
                ("Lee", EntityKind::Organisation),
            ],
        );
        assert!(known.is_empty());
        assert_eq!(named, [1, 1], "a form of another extra name is that name's");
        let (_, named) = Gazetteer::empty().mentions_with(
            "Ann Lee spoke first. Lee said so.",
            &[("Ann Lee", EntityKind::Person)],
        );
        assert_eq!(named, [2]);
    }

    #[test]
    fn a_form_used_inside_a_longer_name_is_later_its_short_form() {
        let g = gazetteer();
        assert_eq!(count(&g.find("Phoenix said the price was fair."), 17), 1);
        let found = g.find("Phoenix Steel Corp sold a mill. Phoenix said the price was fair.");
        assert_eq!(count(&found, 17), 0, "{found:?}");
        let found = g.find("Shares of <Phoenix Gas Systems Inc> rose. Phoenix's profit fell.");
        assert_eq!(count(&found, 17), 0, "{found:?}");
        // Unless the context says it is the place.
        let found = g.find("Phoenix Steel Corp sold a mill. It is based in Phoenix.");
        assert_eq!(count(&found, 17), 1, "{found:?}");
        // A place named before the company stays; a longer name that is no company's is no
        // short form.
        let found = g.find("Rates in Phoenix fell. Phoenix Steel Corp said so.");
        assert_eq!(count(&found, 17), 1, "{found:?}");
        let found = g.find("Traffic on Phoenix Avenue slowed. Phoenix voted.");
        assert_eq!(count(&found, 17), 1, "{found:?}");
    }

    #[test]
    fn a_name_after_another_name_and_of_is_part_of_it() {
        let g = gazetteer();
        for text in [
            "Oil in the Gulf of Mexico rose.",
            "The U.S. District Court for the District of Delaware ruled.",
            "A suit in the Court for Delaware went on.",
            "First Union Corp of Delaware said so.",
        ] {
            let found = g.find(text);
            assert_eq!(
                count(&found, 18) + count(&found, 19),
                0,
                "{text}: {found:?}"
            );
        }
        for text in [
            "Power went to the state of Delaware.",
            "Said Nick Rhodes of Delaware, no.",
            "The Governor of Delaware spoke.",
            "The State of Delaware sued.",
            "It sells 80 pct of Mexico's oil.",
            "Shares of Delaware utilities rose.",
        ] {
            let found = g.find(text);
            assert_eq!(
                count(&found, 18) + count(&found, 19),
                1,
                "{text}: {found:?}"
            );
        }
    }

    #[test]
    fn shared_forms_are_chosen_by_kind_from_the_context() {
        let g = gazetteer();
        for (text, entity) in [
            ("President Washington spoke.", 5),
            ("Talks in Washington went on.", 4),
            ("Washington officials agreed.", 4),
            ("Columbia Inc said profits rose.", 20),
            ("Columbia shares rose.", 20),
            ("It opened offices in Columbia.", 21),
            ("A Columbia-based bank grew.", 21),
        ] {
            let found = g.find(text);
            let entities: Vec<i64> = found.iter().map(|m| m.entity.0).collect();
            assert_eq!(entities, [entity], "{text}");
        }
        // Nothing in the context: neither.
        assert!(g.find("Washington said so. Columbia said so.").is_empty());
    }
}
