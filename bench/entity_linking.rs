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
//! come from the same texts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use dateline::ingest::linking::Gazetteer;
use dateline::store::EntityId;

const TYPES: &[&str] = &["person", "organization", "place"];

struct Doc {
    text: String,
    /// Identities of the annotated person/organisation/place mentions.
    gold: HashSet<String>,
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

    let titles: Vec<(EntityId, Vec<String>)> = identities
        .iter()
        .map(|id| (ids[id], vec![title_name(id)]))
        .collect();
    let titles_and_aliases: Vec<(EntityId, Vec<String>)> = identities
        .iter()
        .map(|id| {
            let mut forms = vec![title_name(id)];
            forms.extend(annotations.forms.get(*id).into_iter().flatten().cloned());
            (ids[id], forms)
        })
        .collect();
    let build = |entries: &[(EntityId, Vec<String>)]| {
        Gazetteer::build(
            entries
                .iter()
                .map(|(id, forms)| (*id, forms.iter().map(String::as_str).collect())),
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
    let names: Vec<(EntityId, Vec<String>)> = (0..100_000usize)
        .map(|i| {
            // (i mod n, i div n) is unique while n² exceeds 100,000.
            let (a, b, c) = (words[i % n], words[(i / n) % n], words[(i * 7 + 3) % n]);
            (
                EntityId(i as i64),
                vec![format!("{a} {b}"), format!("{b} {a} {c}")],
            )
        })
        .collect();
    let started = std::time::Instant::now();
    let gazetteer = Gazetteer::build(
        names
            .iter()
            .map(|(id, f)| (*id, f.iter().map(String::as_str).collect())),
    );
    let built = started.elapsed();
    let probe: String = names[..1000]
        .iter()
        .map(|(_, forms)| format!("{}. ", forms[1]))
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
    let mut sentences = Vec::new();
    let mut tokens: Vec<(String, bool)> = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut gold = HashSet::new();
    for line in content.lines() {
        if let Some(text) = line.strip_prefix("# text = ") {
            sentences.push(text.to_owned());
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 10 || !cols[0].bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        tokens.push((cols[1].to_owned(), !cols[9].contains("SpaceAfter=No")));
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
                    close(&group, here, &mut open, &tokens, &mut gold, annotations);
                    i = end + 1;
                } else {
                    i = end;
                }
            } else {
                let end = entity[i..].find(')').map_or(entity.len(), |j| i + j);
                let group = entity[i..end].to_owned();
                close(&group, here, &mut open, &tokens, &mut gold, annotations);
                i = end + 1;
            }
        }
    }
    Doc {
        text: sentences.join("\n"),
        gold,
    }
}

fn close(
    group: &str,
    end: usize,
    open: &mut Vec<Open>,
    tokens: &[(String, bool)],
    gold: &mut HashSet<String>,
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
    let mut surface = String::new();
    for (text, space_after) in &tokens[mention.start..=end] {
        surface.push_str(text);
        if *space_after {
            surface.push(' ');
        }
    }
    let surface = surface.trim().to_owned();
    gold.insert(identity.clone());
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
