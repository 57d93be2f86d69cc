//! Measures dateline's entity linking on judged passages of Reuters-21578: occurrences of names
//! shared by several things (Georgia, Washington, Jordan, Turkey, Jersey, Chad, ...), each
//! labelled by hand with the entity it names or `none` (bench/linking-judged/labels.tsv).
//!
//!     cargo run --release --example linking_judged -- ../shared/data/reuters-21578
//!
//! The stories are read from the data directory, never from the repository (research use only):
//! the same extraction as bench/linking-judged/passages.py (Latin-1; a field is the text between
//! its first `<TITLE>` / `<BODY>` tag and the closing tag; `&lt;` `&gt;` `&amp;` decoded and
//! decimal references `&#N;` removed, in one pass). Every label's offset is checked: the form
//! must be there. The linker reads the story as dateline links an article: the title, then
//! "\n\n", then the body (headline, lead and body joined so in `ingest::articles::link`).
//!
//! What the linker linked at an occurrence: the mention `Gazetteer::find` reports over the
//! occurrence's span (a longer mention that covers it counts too), or nothing.
//!
//! Two gazetteers from bench/linking-judged/gazetteer.json:
//! - **all entities**: every entity and alias; a form shared by several is ambiguous, and the
//!   current linker then links nothing for it;
//! - **first sense only**: a shared form is kept only for the first entity that has it in the
//!   file (the country Georgia, Washington, D.C., ...), as in a gazetteer that knows one of the
//!   things named so, like the demo data's.
//!
//! Precision = correct links / links made; recall = correct links / occurrences whose answer is
//! an entity.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use dateline::ingest::linking::Gazetteer;
use dateline::store::EntityId;
use dateline::vocab::EntityKind;
use serde::Deserialize;

#[derive(Deserialize)]
struct GazetteerFile {
    entities: Vec<Entity>,
}

#[derive(Deserialize)]
struct Entity {
    slug: String,
    name: String,
    kind: EntityKind,
    #[serde(default)]
    aliases: Vec<String>,
}

struct Label {
    newid: u32,
    field: String,
    offset: usize,
    form: String,
    answer: String,
    why: String,
}

/// A story's text as the linker reads it, and where its fields start (bytes).
struct Story {
    text: String,
    title_at: Option<usize>,
    body_at: Option<usize>,
}

fn main() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args().skip(1);
    let data = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| here.join("../shared/data/reuters-21578"));
    let dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| here.join("bench/linking-judged"));

    let gazetteer: GazetteerFile = serde_json::from_str(
        &std::fs::read_to_string(dir.join("gazetteer.json")).expect("gazetteer.json"),
    )
    .expect("gazetteer.json parses");
    let labels = read_labels(&dir.join("labels.tsv"));
    let wanted: std::collections::HashSet<u32> = labels.iter().map(|l| l.newid).collect();
    let stories = read_stories(&data, &wanted);

    // Where each label is in its story's text, checked.
    let mut spans = Vec::new();
    for label in &labels {
        let story = stories
            .get(&label.newid)
            .unwrap_or_else(|| panic!("story {} not found in {}", label.newid, data.display()));
        let field_at = match label.field.as_str() {
            "TITLE" => story.title_at,
            "BODY" => story.body_at,
            other => panic!("field {other}"),
        }
        .unwrap_or_else(|| panic!("story {} has no {}", label.newid, label.field));
        let field_text = &story.text[field_at..];
        let start = field_at
            + field_text
                .char_indices()
                .nth(label.offset)
                .map(|(i, _)| i)
                .unwrap_or(field_text.len());
        let end = start + label.form.len();
        assert_eq!(
            story.text.get(start..end),
            Some(label.form.as_str()),
            "story {} {} offset {}: the form is not there (extraction differs?)",
            label.newid,
            label.field,
            label.offset
        );
        spans.push((start, end));
    }

    let slugs: Vec<&str> = gazetteer.entities.iter().map(|e| e.slug.as_str()).collect();
    let all = Gazetteer::build(
        gazetteer
            .entities
            .iter()
            .enumerate()
            .map(|(i, e)| (EntityId(i as i64), e.kind, forms_of(e))),
    );
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, e) in gazetteer.entities.iter().enumerate() {
        for form in forms_of(e) {
            owner.entry(form.trim()).or_insert(i);
        }
    }
    let first_sense = Gazetteer::build(gazetteer.entities.iter().enumerate().map(|(i, e)| {
        let forms = forms_of(e)
            .into_iter()
            .filter(|f| owner[f.trim()] == i)
            .collect();
        (EntityId(i as i64), e.kind, forms)
    }));

    let entity_answers = labels.iter().filter(|l| l.answer != "none").count();
    println!(
        "{} judged occurrences in {} stories ({} name an entity, {} none); {} entities",
        labels.len(),
        stories.len(),
        entity_answers,
        labels.len() - entity_answers,
        slugs.len()
    );
    for (name, g) in [("all entities", &all), ("first sense only", &first_sense)] {
        report(name, g, &labels, &spans, &stories, &slugs);
    }
}

fn report(
    name: &str,
    gazetteer: &Gazetteer,
    labels: &[Label],
    spans: &[(usize, usize)],
    stories: &HashMap<u32, Story>,
    slugs: &[&str],
) {
    let mut made = 0;
    let mut correct = 0;
    let mut gold = 0;
    // (category, answer/why, linked) → occurrences
    let mut errors: BTreeMap<(&str, String), Vec<String>> = BTreeMap::new();
    let mut per_form: BTreeMap<&str, (usize, usize, usize, usize)> = BTreeMap::new();
    for (label, &(start, end)) in labels.iter().zip(spans) {
        let text = &stories[&label.newid].text;
        let linked = linked_at(gazetteer, text, start, end).map(|e| slugs[e.0 as usize]);
        let is_entity = label.answer != "none";
        let row = per_form.entry(&label.form).or_default();
        row.0 += 1;
        if is_entity {
            gold += 1;
            row.3 += 1;
        }
        let id = format!("{}/{}/{}", label.newid, label.field, label.offset);
        match linked {
            Some(slug) => {
                made += 1;
                row.1 += 1;
                if slug == label.answer {
                    correct += 1;
                    row.2 += 1;
                } else if !is_entity {
                    errors
                        .entry((
                            "wrong link: part of a longer name or another thing (answer none)",
                            format!("{} in a {} name -> {slug}", label.form, label.why),
                        ))
                        .or_default()
                        .push(id);
                } else {
                    errors
                        .entry((
                            "wrong link: another entity of the same name",
                            format!("{} ({}) -> {slug}", label.answer, label.why),
                        ))
                        .or_default()
                        .push(id);
                }
            }
            None if is_entity => {
                errors
                    .entry((
                        "missed: nothing linked",
                        format!("{} ({})", label.answer, label.why),
                    ))
                    .or_default()
                    .push(id);
            }
            None => {}
        }
    }
    let precision = correct as f64 / made.max(1) as f64;
    let recall = correct as f64 / gold.max(1) as f64;
    println!("\n## {name}\n");
    println!(
        "links made {made}, correct {correct}: precision {precision:.3}; recall {correct}/{gold} = {recall:.3}\n"
    );
    println!("| form | occurrences | links made | correct | precision | entity answers | recall |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (form, (n, m, c, g)) in &per_form {
        let p = if *m > 0 {
            format!("{:.2}", *c as f64 / *m as f64)
        } else {
            "-".to_owned()
        };
        let r = if *g > 0 {
            format!("{:.2}", *c as f64 / *g as f64)
        } else {
            "-".to_owned()
        };
        println!("| {form} | {n} | {m} | {c} | {p} | {g} | {r} |");
    }
    let mut category = "";
    for ((cat, what), ids) in &errors {
        if *cat != category {
            let total: usize = errors
                .iter()
                .filter(|((c, _), _)| c == cat)
                .map(|(_, v)| v.len())
                .sum();
            println!("\n{cat}: {total}");
            category = cat;
        }
        println!("  {:3}  {what}: {}", ids.len(), ids.join(" "));
    }
}

/// An entity's name and aliases.
fn forms_of(e: &Entity) -> Vec<&str> {
    let mut forms = vec![e.name.as_str()];
    forms.extend(e.aliases.iter().map(String::as_str));
    forms
}

/// The entity of the mention that covers `text[start..end]`, if any.
fn linked_at(gazetteer: &Gazetteer, text: &str, start: usize, end: usize) -> Option<EntityId> {
    gazetteer
        .find(text)
        .into_iter()
        .find(|m| m.start <= start && end <= m.end)
        .map(|m| m.entity)
}

fn read_labels(path: &Path) -> Vec<Label> {
    let content =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    content
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("newid\t"))
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 5, "labels.tsv: {line:?}");
            Label {
                newid: cols[0].parse().expect("newid"),
                field: cols[1].to_owned(),
                offset: cols[2].parse().expect("offset"),
                form: cols[3].to_owned(),
                answer: cols[4].to_owned(),
                why: cols.get(5).copied().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

/// The stories of `wanted`, from every reut2-*.sgm in `dir`.
fn read_stories(dir: &Path, wanted: &std::collections::HashSet<u32>) -> HashMap<u32, Story> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("reut2-") && n.ends_with(".sgm"))
        })
        .collect();
    files.sort();
    let mut stories = HashMap::new();
    for file in files {
        // Latin-1: each byte is the character of that code point.
        let content: String = std::fs::read(&file)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .into_iter()
            .map(char::from)
            .collect();
        let mut rest = content.as_str();
        while let Some(at) = find_story_start(rest) {
            rest = &rest[at..];
            let head_end = rest.find('>').expect("<REUTERS ...>");
            let head = &rest[..head_end];
            let Some(close) = rest.find("</REUTERS>") else {
                break;
            };
            let story = &rest[head_end + 1..close];
            rest = &rest[close + "</REUTERS>".len()..];
            let newid: u32 = head
                .split("NEWID=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .and_then(|s| s.parse().ok())
                .expect("NEWID");
            if !wanted.contains(&newid) {
                continue;
            }
            let title = field(story, "TITLE");
            let body = field(story, "BODY");
            let mut text = String::new();
            let title_at = title.map(|t| {
                text.push_str(&t);
                0
            });
            let body_at = body.map(|b| {
                if !text.is_empty() {
                    text.push_str("\n\n");
                }
                let at = text.len();
                text.push_str(&b);
                at
            });
            stories.insert(
                newid,
                Story {
                    text,
                    title_at,
                    body_at,
                },
            );
        }
    }
    stories
}

/// The next `<REUTERS` followed by a space or `>`.
fn find_story_start(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find("<REUTERS") {
        let at = from + i;
        match s[at + "<REUTERS".len()..].chars().next() {
            Some(c) if c == '>' || c.is_whitespace() => return Some(at),
            _ => from = at + 1,
        }
    }
    None
}

/// The text between the first `<NAME>` and the next `</NAME>`, unescaped; as passages.py.
fn field(story: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = story.find(&open)? + open.len();
    let end = start + story[start..].find(&format!("</{name}>"))?;
    Some(unescape(&story[start..end]))
}

/// `&lt;` `&gt;` `&amp;` decoded, decimal references `&#N;` removed, left to right in one pass.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let entity = rest[1..].find(';').map(|j| &rest[1..1 + j]);
        let decoded = match entity {
            Some("lt") => Some("<"),
            Some("gt") => Some(">"),
            Some("amp") => Some("&"),
            Some(e)
                if e.len() > 1
                    && e.starts_with('#')
                    && e[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some("")
            }
            _ => None,
        };
        match (decoded, entity) {
            (Some(d), Some(e)) => {
                out.push_str(d);
                rest = &rest[e.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
