//! Measures dateline's entity linking against human annotation: the 24 Wikinews articles of the
//! GUM corpus, whose people, organisations and places are hand-linked to Wikipedia.
//!
//!     cargo run --release --example entity_linking -- ../shared/data/wikinews-gum/conllu
//!
//! The gazetteer holds every annotated person, organisation and place, named by its Wikipedia
//! title ("Afghan_Girls_Robotics_Team" → "Afghan Girls Robotics Team", a parenthesised
//! disambiguation dropped). The linker then reads each article's text, and its links (article,
//! entity) are compared with the annotated ones: precision is the share of found links that the
//! annotators made too, recall the share of annotated links found. A second run adds every
//! capitalised surface form the annotators marked as an alias: an upper bound, since the aliases
//! come from the same texts. Each entity has the kind of its annotation (person, organisation,
//! place), as the gazetteer has in dateline.
//!
//! A second table counts mentions rather than links: the named mentions (those holding a proper
//! noun, so "Obama" and "the United States", not "he" or "the agency") of annotated people,
//! organisations and places. A mention the linker finds is correct when an annotated mention of
//! the same entity spans it; an annotated named mention is found when a correct one lies inside
//! it. Here a surname after the person's full name counts, as does every repeated name.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use dateline::ingest::linking::Gazetteer;
use dateline::store::EntityId;
use dateline::vocab::EntityKind;

const TYPES: &[&str] = &["person", "organization", "place"];

struct Doc {
    text: String,
    /// Identities of the annotated person/organisation/place mentions.
    gold: HashSet<String>,
    /// Those mentions: (start, end) in `text`, identity, whether named (holds a proper noun).
    mentions: Vec<(usize, usize, String, bool)>,
}

struct Annotations {
    docs: Vec<Doc>,
    /// identity → type
    types: BTreeMap<String, String>,
    /// identity → surface forms the annotators marked
    forms: HashMap<String, HashSet<String>>,
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/wikinews-gum/conllu".to_owned());
    let annotations = read_corpus(Path::new(&dir));
    let identities: Vec<&String> = annotations.types.keys().collect();
    let ids: HashMap<&String, EntityId> = identities
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, EntityId(i as i64)))
        .collect();

    let kind = |id: &String| match annotations.types[id].as_str() {
        "person" => EntityKind::Person,
        "organization" => EntityKind::Organisation,
        _ => EntityKind::Place,
    };
    let titles: Vec<(EntityId, EntityKind, Vec<String>)> = identities
        .iter()
        .map(|id| (ids[id], kind(id), vec![title_name(id)]))
        .collect();
    let titles_and_aliases: Vec<(EntityId, EntityKind, Vec<String>)> = identities
        .iter()
        .map(|id| {
            let mut forms = vec![title_name(id)];
            forms.extend(annotations.forms.get(*id).into_iter().flatten().cloned());
            (ids[id], kind(id), forms)
        })
        .collect();
    let build = |entries: &[(EntityId, EntityKind, Vec<String>)]| {
        Gazetteer::build(
            entries
                .iter()
                .map(|(id, kind, forms)| (*id, *kind, forms.iter().map(String::as_str).collect())),
        )
    };
    let by_title = build(&titles);
    let with_aliases = build(&titles_and_aliases);

    println!(
        "{} articles, {} people, organisations and places linked to Wikipedia, {} annotated article-entity links",
        annotations.docs.len(),
        identities.len(),
        annotations.docs.iter().map(|d| d.gold.len()).sum::<usize>()
    );
    println!("| gazetteer | links found | correct | precision | recall | F1 |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, gazetteer) in [
        ("Wikipedia titles", &by_title),
        ("titles + annotated aliases (upper bound)", &with_aliases),
    ] {
        let (mut found, mut correct, mut gold) = (0usize, 0usize, 0usize);
        for doc in &annotations.docs {
            let predicted: HashSet<&String> = gazetteer
                .mentions(&doc.text)
                .keys()
                .filter_map(|e| identities.get(e.0 as usize).copied())
                .collect();
            found += predicted.len();
            correct += predicted
                .iter()
                .filter(|id| doc.gold.contains(**id))
                .count();
            gold += doc.gold.len();
        }
        let precision = correct as f64 / found.max(1) as f64;
        let recall = correct as f64 / gold.max(1) as f64;
        let f1 = 2.0 * precision * recall / (precision + recall).max(f64::EPSILON);
        println!("| {label} | {found} | {correct} | {precision:.3} | {recall:.3} | {f1:.3} |");
    }
    println!(
        "\nMentions: {} named mentions of them annotated",
        annotations
            .docs
            .iter()
            .flat_map(|d| &d.mentions)
            .filter(|m| m.3)
            .count()
    );
    println!(
        "| gazetteer | mentions found | correct | precision | named mentions found | recall |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    // Each entity's own forms, to tell the mentions by a name from those by a surname alone.
    let forms_of =
        |entries: &[(EntityId, EntityKind, Vec<String>)]| -> HashMap<EntityId, HashSet<String>> {
            entries
                .iter()
                .map(|(id, _, forms)| (*id, forms.iter().map(|f| f.trim().to_owned()).collect()))
                .collect()
        };
    let (title_forms, alias_forms) = (forms_of(&titles), forms_of(&titles_and_aliases));
    for (label, gazetteer, names_only) in [
        (
            "Wikipedia titles, names only (no surnames)",
            &by_title,
            Some(&title_forms),
        ),
        ("Wikipedia titles", &by_title, None),
        (
            "titles + annotated aliases, names only (upper bound)",
            &with_aliases,
            Some(&alias_forms),
        ),
        (
            "titles + annotated aliases (upper bound)",
            &with_aliases,
            None,
        ),
    ] {
        let (mut found, mut correct, mut gold, mut hit) = (0usize, 0usize, 0usize, 0usize);
        for doc in &annotations.docs {
            let text = doc.text.replace('\n', " ");
            let predicted: Vec<(usize, usize, &String)> = gazetteer
                .find(&doc.text)
                .into_iter()
                .filter(|m| {
                    names_only.is_none_or(|forms| forms[&m.entity].contains(&text[m.start..m.end]))
                })
                .filter_map(|m| Some((m.start, m.end, *identities.get(m.entity.0 as usize)?)))
                .collect();
            let right = |(start, end, id): &(usize, usize, &String)| {
                doc.mentions
                    .iter()
                    .any(|(s, e, gold, _)| s <= start && end <= e && gold == *id)
            };
            found += predicted.len();
            correct += predicted.iter().filter(|p| right(p)).count();
            for (s, e, id, named) in &doc.mentions {
                if !named {
                    continue;
                }
                gold += 1;
                if predicted
                    .iter()
                    .any(|p| s <= &p.0 && p.1 <= *e && p.2 == id && right(p))
                {
                    hit += 1;
                }
            }
        }
        let precision = correct as f64 / found.max(1) as f64;
        let recall = hit as f64 / gold.max(1) as f64;
        println!("| {label} | {found} | {correct} | {precision:.3} | {hit} | {recall:.3} |");
    }
    scale(&annotations.docs);
}

/// How the linker scales: a gazetteer of 100,000 entities (two forms each) against the corpus.
fn scale(docs: &[Doc]) {
    // Names made of the corpus's own capitalised words, so that the automaton cannot skip text.
    let mut words: Vec<&str> = docs
        .iter()
        .flat_map(|d| d.text.split_whitespace())
        .filter(|w| {
            w.len() > 2 && w.chars().all(char::is_alphabetic) && w.starts_with(char::is_uppercase)
        })
        .collect();
    words.sort_unstable();
    words.dedup();
    let n = words.len();
    let names: Vec<(EntityId, EntityKind, Vec<String>)> = (0..100_000usize)
        .map(|i| {
            // (i mod n, i div n) is unique while n² exceeds 100,000.
            let (a, b, c) = (words[i % n], words[(i / n) % n], words[(i * 7 + 3) % n]);
            let kind = [
                EntityKind::Person,
                EntityKind::Organisation,
                EntityKind::Place,
            ][i % 3];
            (
                EntityId(i as i64),
                kind,
                vec![format!("{a} {b}"), format!("{b} {a} {c}")],
            )
        })
        .collect();
    let started = std::time::Instant::now();
    let gazetteer = Gazetteer::build(
        names
            .iter()
            .map(|(id, kind, f)| (*id, *kind, f.iter().map(String::as_str).collect())),
    );
    let built = started.elapsed();
    let probe: String = names[..1000]
        .iter()
        .map(|(_, _, forms)| format!("{}. ", forms[1]))
        .collect();
    assert!(
        !gazetteer.mentions(&probe).is_empty(),
        "the large gazetteer finds its names"
    );
    let started = std::time::Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        for doc in docs {
            std::hint::black_box(gazetteer.mentions(&doc.text));
        }
    }
    let per_article = started.elapsed() / (rounds * docs.len() as u32);
    let words: usize = docs
        .iter()
        .map(|d| d.text.split_whitespace().count())
        .sum::<usize>()
        / docs.len();
    println!(
        "\n100,000 entities ({} forms): built in {built:.2?}; linking an article of {words} words on average takes {per_article:.2?}",
        gazetteer.len()
    );
}

/// "Barack_Obama" → "Barack Obama"; "Georgia_(country)" → "Georgia".
fn title_name(identity: &str) -> String {
    identity
        .split("_(")
        .next()
        .unwrap_or(identity)
        .replace('_', " ")
}

fn read_corpus(dir: &Path) -> Annotations {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "conllu"))
        .collect();
    files.sort();
    let mut annotations = Annotations {
        docs: Vec::new(),
        types: BTreeMap::new(),
        forms: HashMap::new(),
    };
    for file in files {
        let content = std::fs::read_to_string(&file).unwrap_or_default();
        let doc = read_doc(&content, &mut annotations);
        annotations.docs.push(doc);
    }
    annotations
}

/// An open mention: its group id, type, identity and where its tokens start.
struct Open {
    group: String,
    kind: String,
    identity: Option<String>,
    start: usize,
}

fn read_doc(content: &str, annotations: &mut Annotations) -> Doc {
    let mut sentences: Vec<String> = Vec::new();
    let mut tokens: Vec<Token> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut gold = HashSet::new();
    let mut mentions = Vec::new();
    // Where the current sentence starts in the document's text, and the next token in it.
    let (mut base, mut cursor) = (0, 0);
    for line in content.lines() {
        if let Some(text) = line.strip_prefix("# text = ") {
            if let Some(last) = sentences.last() {
                base += last.len() + 1;
            }
            sentences.push(text.to_owned());
            cursor = 0;
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 10 || !cols[0].bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        // The token's place in the sentence's text: next after the previous one, if there.
        let sentence = sentences.last().map_or("", String::as_str);
        let at = sentence
            .get(cursor..)
            .and_then(|rest| rest.find(cols[1]).filter(|i| rest[..*i].trim().is_empty()))
            .map_or(cursor, |i| cursor + i);
        cursor = (at + cols[1].len()).min(sentence.len().max(cursor));
        tokens.push(Token {
            text: cols[1].to_owned(),
            space_after: !cols[9].contains("SpaceAfter=No"),
            start: base + at,
            end: base + at + cols[1].len(),
            proper: cols[3] == "PROPN",
        });
        let Some(entity) = cols[9].split('|').find_map(|f| f.strip_prefix("Entity=")) else {
            continue;
        };
        let here = tokens.len() - 1;
        let bytes = entity.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'(' {
                let end = entity[i + 1..]
                    .find(['(', ')'])
                    .map_or(entity.len(), |j| i + 1 + j);
                let fields: Vec<&str> = entity[i + 1..end].splitn(8, '-').collect();
                let group = fields.first().copied().unwrap_or_default().to_owned();
                open.push(Open {
                    group: group.clone(),
                    kind: fields.get(1).copied().unwrap_or_default().to_owned(),
                    identity: fields
                        .get(7)
                        .map(|s| s.to_string())
                        .filter(|s| !s.is_empty()),
                    start: here,
                });
                if end < bytes.len() && bytes[end] == b')' {
                    close(
                        &group,
                        here,
                        &mut open,
                        &tokens,
                        &mut gold,
                        &mut mentions,
                        annotations,
                    );
                    i = end + 1;
                } else {
                    i = end;
                }
            } else {
                let end = entity[i..].find(')').map_or(entity.len(), |j| i + j);
                let group = entity[i..end].to_owned();
                close(
                    &group,
                    here,
                    &mut open,
                    &tokens,
                    &mut gold,
                    &mut mentions,
                    annotations,
                );
                i = end + 1;
            }
        }
    }
    Doc {
        text: sentences.join("\n"),
        gold,
        mentions,
    }
}

/// A token: its text, whether a space follows, its span in the document's text, whether a
/// proper noun.
struct Token {
    text: String,
    space_after: bool,
    start: usize,
    end: usize,
    proper: bool,
}

fn close(
    group: &str,
    end: usize,
    open: &mut Vec<Open>,
    tokens: &[Token],
    gold: &mut HashSet<String>,
    mentions: &mut Vec<(usize, usize, String, bool)>,
    annotations: &mut Annotations,
) {
    let Some(at) = open.iter().rposition(|o| o.group == group) else {
        return;
    };
    let mention = open.remove(at);
    let Some(identity) = mention.identity else {
        return;
    };
    if !TYPES.contains(&mention.kind.as_str()) {
        return;
    }
    let span = &tokens[mention.start..=end];
    let mut surface = String::new();
    for token in span {
        surface.push_str(&token.text);
        if token.space_after {
            surface.push(' ');
        }
    }
    let surface = surface.trim().to_owned();
    gold.insert(identity.clone());
    mentions.push((
        span[0].start,
        span[span.len() - 1].end,
        identity.clone(),
        span.iter().any(|t| t.proper),
    ));
    annotations
        .types
        .entry(identity.clone())
        .or_insert(mention.kind);
    if surface.chars().next().is_some_and(char::is_uppercase) {
        annotations
            .forms
            .entry(identity)
            .or_default()
            .insert(surface);
    }
}
