//! Fills a migrated, empty dateline database with a synthetic newsroom, loaded through COPY.
//!
//!   DATABASE_URL=postgres://… cargo run --release --example generate -- --articles 1000000
//!
//! The shape follows the issue's brief: 200 IPTC Media Topics (the 17 roots and their first
//! children), 20,000 authors, 100,000 entities drawn with Zipf popularity, 1 to 3 authors, 1 to 3
//! topics (plus their ancestors, as the closure the API keeps) and 3 to 30 entities per article,
//! bodies of 300 to 1,500 words, ten years of dates and six languages. Words are drawn from the
//! HuffPost sample's own word frequencies, so full-text search meets a natural vocabulary.
//! Secondary indexes are dropped during the load and rebuilt from their own definitions after it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, Duration, TimeZone, Utc};
use clap::Parser;
use futures_util::SinkExt;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Zipf};
use tokio_postgres::{Client, NoTls};

#[derive(Parser)]
#[command(about = "Fill an empty, migrated dateline database with synthetic articles")]
struct Args {
    /// How many articles to generate.
    #[arg(long, default_value_t = 1_000_000)]
    articles: u64,
    /// Seed of the random generator: the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Parallel COPY streams (PostgreSQL computes each article's search vector on its side).
    #[arg(long, default_value_t = 2)]
    jobs: u64,
    /// PostgreSQL URL of the (migrated, empty) database.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
}

const TOPICS: usize = 200;
const AUTHORS: u64 = 20_000;
const ENTITIES: u64 = 100_000;
/// Articles generated and copied per batch in each stream.
const BATCH: u64 = 5_000;
const YEARS: i64 = 10;

const LANGUAGES: [(&str, u32); 6] = [
    ("en", 70),
    ("es", 8),
    ("fr", 8),
    ("de", 6),
    ("pt-BR", 4),
    ("ar", 4),
];
const SOURCES: [&str; 8] = [
    "TURAN", "AP", "Reuters", "AFP", "dpa", "EFE", "HuffPost", "Kyodo",
];
const DATELINES: [&str; 12] = [
    "Washington D.C.",
    "Baku",
    "London",
    "Paris",
    "Berlin",
    "Madrid",
    "São Paulo",
    "Cairo",
    "Tokyo",
    "New York",
    "Brussels",
    "Kyiv",
];
const FIRST_NAMES: [&str; 40] = [
    "Alex", "Maria", "John", "Aysel", "Fatima", "Carlos", "Emma", "Liam", "Olga", "Kenji", "Amara",
    "Lucas", "Sofia", "Omar", "Chen", "Priya", "Jonas", "Elif", "Mateo", "Hannah", "Rashid",
    "Ingrid", "Pedro", "Yuki", "Nadia", "Tomás", "Grace", "Ivan", "Leila", "Samuel", "Chloé",
    "Farid", "Anna", "Diego", "Mei", "Kwame", "Clara", "Rustam", "Noor", "Paul",
];
const LAST_NAMES: [&str; 40] = [
    "Raufoglu",
    "Smith",
    "García",
    "Müller",
    "Kowalski",
    "Rossi",
    "Tanaka",
    "Okafor",
    "Silva",
    "Novak",
    "Haddad",
    "Johansson",
    "Dubois",
    "Kim",
    "Patel",
    "Ivanova",
    "Aliyev",
    "Brown",
    "Santos",
    "Nguyen",
    "Fischer",
    "Martin",
    "Lopez",
    "Sato",
    "Mensah",
    "Costa",
    "Hansen",
    "Moreau",
    "Yilmaz",
    "Cohen",
    "Schmidt",
    "Reyes",
    "Khan",
    "Wójcik",
    "Petrov",
    "Ward",
    "Lindqvist",
    "Bianchi",
    "Adeyemi",
    "Park",
];
const ENTITY_KINDS: [(&str, u32); 5] = [
    ("person", 40),
    ("organisation", 25),
    ("place", 20),
    ("event", 10),
    ("other", 5),
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let started = Instant::now();
    let client = connect(&args.database_url).await?;
    let existing: i64 = client
        .query_one("SELECT count(*) FROM articles", &[])
        .await?
        .get(0);
    if existing > 0 {
        return Err(
            format!("the database already holds {existing} articles; use an empty one").into(),
        );
    }
    let world = World::new(args.seed);

    let topic_rows = world.topic_rows();
    copy(
        &client,
        "topics (id, slug, name, description, parent_id, iptc_code)",
        topic_rows,
    )
    .await?;
    copy(&client, "authors (id, slug, name)", world.author_rows()).await?;
    copy(
        &client,
        "entities (id, slug, name, kind)",
        world.entity_rows(),
    )
    .await?;
    eprintln!(
        "generate: topics, authors and entities in {:.1?}",
        started.elapsed()
    );

    let indexes = drop_secondary_indexes(&client).await?;
    // The change feed is written in one statement below rather than by its per-row trigger.
    client
        .batch_execute("ALTER TABLE articles DISABLE TRIGGER article_changes_on_insert")
        .await?;
    let per_job = args.articles.div_ceil(args.jobs.max(1));
    let mut jobs = Vec::new();
    for job in 0..args.jobs.max(1) {
        let first = job * per_job + 1;
        let last = ((job + 1) * per_job).min(args.articles);
        if first > last {
            continue;
        }
        let url = args.database_url.clone();
        let world = world.clone();
        let total = args.articles;
        jobs.push(tokio::spawn(async move {
            let client = connect(&url).await.map_err(|e| e.to_string())?;
            world
                .copy_articles(&client, first, last, total)
                .await
                .map_err(|e| e.to_string())
        }));
    }
    for job in jobs {
        job.await??;
    }
    eprintln!(
        "generate: {} articles copied in {:.1?}",
        args.articles,
        started.elapsed()
    );

    client
        .batch_execute(
            "INSERT INTO article_changes (article_id, slug, change, version, changed_at)
             SELECT id, slug, 'created', version, updated_at FROM articles ORDER BY id;
             ALTER TABLE articles ENABLE TRIGGER article_changes_on_insert",
        )
        .await?;
    rebuild_indexes(&args.database_url, indexes).await?;
    client
        .batch_execute(
            "SELECT setval(pg_get_serial_sequence(t, 'id'), m)
               FROM (VALUES ('articles', (SELECT max(id) FROM articles)),
                            ('topics', (SELECT max(id) FROM topics)),
                            ('authors', (SELECT max(id) FROM authors)),
                            ('entities', (SELECT max(id) FROM entities))) v(t, m)
              WHERE m IS NOT NULL",
        )
        .await?;
    client
        .batch_execute("VACUUM (ANALYZE) articles, article_changes, article_authors, article_topics, article_entities, topics, authors, entities")
        .await?;
    eprintln!("generate: done in {:.1?}", started.elapsed());
    Ok(())
}

async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("generate: connection error: {e}");
        }
    });
    client
        .batch_execute("SET synchronous_commit = off; SET maintenance_work_mem = '1GB'")
        .await?;
    Ok(client)
}

/// Streams COPY text-format rows into `target`.
async fn copy(client: &Client, target: &str, rows: String) -> Result<u64, tokio_postgres::Error> {
    let sink = client
        .copy_in::<_, Bytes>(&format!("COPY {target} FROM STDIN"))
        .await?;
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from(rows)).await?;
    sink.finish().await
}

/// Drops the indexes that no constraint owns on the article tables: building them once after the
/// load is much cheaper than maintaining them row by row. Returns their definitions.
async fn drop_secondary_indexes(client: &Client) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i
              WHERE i.schemaname = current_schema()
                AND i.tablename IN ('articles', 'article_authors', 'article_topics', 'article_entities')
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            &[],
        )
        .await?;
    let mut definitions = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        client
            .batch_execute(&format!("DROP INDEX \"{name}\""))
            .await?;
        definitions.push(row.get(1));
    }
    Ok(definitions)
}

/// Rebuilds the dropped indexes, two at a time (the search index on one connection, the rest on
/// the other, as it takes as long as all of them together).
async fn rebuild_indexes(
    url: &str,
    definitions: Vec<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let (gin, btree): (Vec<String>, Vec<String>) = definitions
        .into_iter()
        .partition(|d| d.contains("USING gin"));
    let mut tasks = Vec::new();
    for group in [gin, btree] {
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let client = connect(&url).await.map_err(|e| e.to_string())?;
            for definition in group {
                client
                    .batch_execute(&definition)
                    .await
                    .map_err(|e| format!("{definition}: {e}"))?;
            }
            Ok::<_, String>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    eprintln!("generate: indexes rebuilt in {:.1?}", started.elapsed());
    Ok(())
}

#[derive(Clone)]
struct Topic {
    slug: String,
    name: String,
    description: Option<String>,
    parent: Option<usize>,
    code: String,
}

/// Everything the articles draw from, fixed by the seed.
#[derive(Clone)]
struct World {
    seed: u64,
    /// Every word of the sample, as often as it occurs: drawing one uniformly follows the
    /// sample's word frequencies.
    tokens: Vec<String>,
    topics: Vec<Topic>,
    entity_zipf: Zipf<f64>,
    author_zipf: Zipf<f64>,
    topic_zipf: Zipf<f64>,
    start: DateTime<Utc>,
}

impl World {
    fn new(seed: u64) -> Self {
        let tokens = sample_tokens();
        let topics = media_topics();
        let topic_count = topics.len();
        Self {
            seed,
            tokens,
            topics,
            entity_zipf: Zipf::new(ENTITIES as f64, 1.0).expect("valid Zipf"),
            author_zipf: Zipf::new(AUTHORS as f64, 0.8).expect("valid Zipf"),
            topic_zipf: Zipf::new(topic_count as f64, 0.7).expect("valid Zipf"),
            start: Utc
                .with_ymd_and_hms(2026 - YEARS as i32, 1, 1, 0, 0, 0)
                .single()
                .expect("valid date"),
        }
    }

    fn word(&self, rng: &mut SmallRng) -> &str {
        &self.tokens[rng.random_range(0..self.tokens.len())]
    }

    fn words(&self, rng: &mut SmallRng, n: usize, out: &mut String) {
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(self.word(rng));
        }
    }

    fn topic_rows(&self) -> String {
        let mut out = String::new();
        for (i, t) in self.topics.iter().enumerate() {
            let parent = t.parent.map_or("\\N".to_owned(), |p| (p + 1).to_string());
            let description = t.description.as_deref().map_or("\\N".to_owned(), escape);
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t{description}\t{parent}\t{}",
                i + 1,
                t.slug,
                escape(&t.name),
                t.code
            );
        }
        out
    }

    fn author_rows(&self) -> String {
        let mut out = String::new();
        for id in 1..=AUTHORS {
            let first = FIRST_NAMES[(id as usize * 7) % FIRST_NAMES.len()];
            let last = LAST_NAMES[(id as usize * 13 / 7) % LAST_NAMES.len()];
            let name = format!("{first} {last}");
            let _ = writeln!(out, "{id}\t{}-{id}\t{name}", slug::slugify(&name));
        }
        out
    }

    fn entity_rows(&self) -> String {
        let mut rng = SmallRng::seed_from_u64(self.seed ^ 0xe17);
        let mut out = String::new();
        for id in 1..=ENTITIES {
            let kind = weighted(&mut rng, &ENTITY_KINDS);
            let name = match kind {
                "person" => format!(
                    "{} {}",
                    FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
                    LAST_NAMES[rng.random_range(0..LAST_NAMES.len())]
                ),
                _ => {
                    let mut n = String::new();
                    self.words(&mut rng, 2, &mut n);
                    title_case(&n)
                }
            };
            let slug = slug::slugify(&name);
            let slug = if slug.is_empty() {
                format!("entity-{id}")
            } else {
                format!("{slug}-{id}")
            };
            let _ = writeln!(out, "{id}\t{slug}\t{}\t{kind}", escape(&name));
        }
        out
    }

    /// Generates and copies articles `first..=last`, in batches.
    async fn copy_articles(
        &self,
        client: &Client,
        first: u64,
        last: u64,
        total: u64,
    ) -> Result<(), tokio_postgres::Error> {
        let span = Duration::days(365 * YEARS)
            .num_microseconds()
            .unwrap_or(i64::MAX);
        let mut batch_start = first;
        while batch_start <= last {
            let batch_end = (batch_start + BATCH - 1).min(last);
            let mut articles = String::with_capacity(BATCH as usize * 7_000);
            let mut authors = String::new();
            let mut topics = String::new();
            let mut entities = String::new();
            for id in batch_start..=batch_end {
                let mut rng = SmallRng::seed_from_u64(self.seed.wrapping_mul(0x9e37_79b9) ^ id);
                // Ids grow with time, as they do in a live newsroom; the jitter stays within a step.
                let step = span / total as i64;
                let micros = step * (id as i64 - 1) + rng.random_range(0..step.max(1));
                let published = self.start + Duration::microseconds(micros);
                let ts = published.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
                self.article_row(&mut rng, id, &ts, &published, &mut articles);
                self.link_rows(&mut rng, id, &ts, &mut authors, &mut topics, &mut entities);
            }
            copy(
                client,
                "articles (id, slug, url, source, headline, lead, body, language, dateline, published_at, updated_at, created_at)",
                articles,
            )
            .await?;
            copy(
                client,
                "article_authors (article_id, author_id, position, published_at)",
                authors,
            )
            .await?;
            copy(
                client,
                "article_topics (article_id, topic_id, direct, published_at)",
                topics,
            )
            .await?;
            copy(
                client,
                "article_entities (article_id, entity_id, mentions, rel, published_at)",
                entities,
            )
            .await?;
            if batch_end % 100_000 < BATCH {
                eprintln!("generate: {batch_end} of {total}");
            }
            batch_start = batch_end + 1;
        }
        Ok(())
    }

    fn article_row(
        &self,
        rng: &mut SmallRng,
        id: u64,
        ts: &str,
        published: &DateTime<Utc>,
        out: &mut String,
    ) {
        let mut headline = String::new();
        let n = rng.random_range(6..=12);
        self.words(rng, n, &mut headline);
        let headline = title_case(&headline);
        let slug = format!("{}-{id}", slug::slugify(&headline));
        let mut lead = String::new();
        let n = rng.random_range(20..=40);
        self.words(rng, n, &mut lead);
        let source = SOURCES[rng.random_range(0..SOURCES.len())];
        let language = weighted(rng, &LANGUAGES);
        let dateline = DATELINES[rng.random_range(0..DATELINES.len())];
        let _ = write!(
            out,
            "{id}\t{slug}\thttps://news.example/{}/{slug}\t{source}\t{}\t{}.\t",
            published.format("%Y/%m"),
            escape(&headline),
            escape(&lead),
        );
        // Paragraphs of 40 to 120 words, joined by a blank line (escaped for COPY).
        let mut words_left: usize = rng.random_range(300..=1500);
        let mut body = String::with_capacity(words_left * 7);
        while words_left > 0 {
            let n = rng.random_range(40..=120).min(words_left);
            if !body.is_empty() {
                body.push_str("\n\n");
            }
            self.words(rng, n, &mut body);
            body.push('.');
            words_left -= n;
        }
        out.push_str(&escape(&body));
        let _ = writeln!(out, "\t{language}\t{dateline}\t{ts}\t{ts}\t{ts}");
    }

    fn link_rows(
        &self,
        rng: &mut SmallRng,
        id: u64,
        ts: &str,
        authors: &mut String,
        topics: &mut String,
        entities: &mut String,
    ) {
        let n_authors = weighted(rng, &[(1, 75), (2, 20), (3, 5)]);
        let mut seen = Vec::new();
        for position in 0..n_authors {
            let author = self.author_zipf.sample(rng) as u64;
            if !seen.contains(&author) {
                seen.push(author);
                let _ = writeln!(authors, "{id}\t{author}\t{position}\t{ts}");
            }
        }
        // Direct topics, then every ancestor not already tagged: the closure the API keeps.
        let n_topics = weighted(rng, &[(1, 50), (2, 35), (3, 15)]);
        let mut tagged: Vec<(usize, bool)> = Vec::new();
        for _ in 0..n_topics {
            let t = self.topic_zipf.sample(rng) as usize - 1;
            match tagged.iter_mut().find(|(x, _)| *x == t) {
                Some(entry) => entry.1 = true,
                None => tagged.push((t, true)),
            }
            let mut parent = self.topics[t].parent;
            while let Some(p) = parent {
                if !tagged.iter().any(|(x, _)| *x == p) {
                    tagged.push((p, false));
                }
                parent = self.topics[p].parent;
            }
        }
        for (t, direct) in tagged {
            let _ = writeln!(topics, "{id}\t{}\t{direct}\t{ts}", t + 1);
        }
        let n_entities = rng.random_range(3..=30);
        let mut seen = Vec::with_capacity(n_entities);
        while seen.len() < n_entities {
            let e = self.entity_zipf.sample(rng) as u64;
            if seen.contains(&e) {
                continue;
            }
            let rel = if seen.len() < 2 { "about" } else { "mentions" };
            seen.push(e);
            let mentions = rng.random_range(1..=8);
            let _ = writeln!(entities, "{id}\t{e}\t{mentions}\t{rel}\t{ts}");
        }
    }
}

fn weighted<T: Copy>(rng: &mut SmallRng, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total);
    for &(value, weight) in choices {
        if pick < weight {
            return value;
        }
        pick -= weight;
    }
    choices[choices.len() - 1].0
}

/// COPY text format: backslash, tab, newline and carriage return are escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn title_case(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of the HuffPost sample's headlines and descriptions, in sample frequency.
fn sample_tokens() -> Vec<String> {
    let sample = include_str!("../data/demo/huffpost.jsonl");
    let mut tokens = Vec::new();
    for line in sample.lines() {
        let Ok(item) = serde_json::from_str::<HashMap<String, serde_json::Value>>(line) else {
            continue;
        };
        for field in ["headline", "short_description"] {
            let text = item.get(field).and_then(|v| v.as_str()).unwrap_or_default();
            tokens.extend(
                text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
                    .map(|w| w.trim_matches(|c| c == '\'' || c == '-'))
                    .filter(|w| !w.is_empty())
                    .map(str::to_lowercase),
            );
        }
    }
    tokens
}

/// The 17 IPTC Media Topic roots and their children, taken from each root in turn up to 200.
fn media_topics() -> Vec<Topic> {
    let scheme: serde_json::Value =
        serde_json::from_str(include_str!("../data/iptc/cptall-en-GB.json")).expect("IPTC JSON");
    let concepts = scheme["conceptSet"].as_array().cloned().unwrap_or_default();
    let label = |c: &serde_json::Value| c["prefLabel"]["en-GB"].as_str().unwrap_or("").to_owned();
    let well_formed = |c: &serde_json::Value| {
        c["qcode"]
            .as_str()
            .and_then(|q| q.strip_prefix("medtop:"))
            .is_some_and(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
    };
    let live: Vec<&serde_json::Value> = concepts
        .iter()
        .filter(|c| c.get("retired").is_none() && !label(c).is_empty() && well_formed(c))
        .collect();
    let mut topics: Vec<Topic> = Vec::new();
    // Topic index and root index of every concept taken, by URI.
    let mut taken: HashMap<&str, (usize, usize)> = HashMap::new();
    for c in live.iter().filter(|c| c.get("broader").is_none()) {
        taken.insert(
            c["uri"].as_str().unwrap_or(""),
            (topics.len(), topics.len()),
        );
        topics.push(topic_from(c, label(c), None));
    }
    let roots = topics.len();
    // One level deeper at a time, each root's branch in turn, so every branch grows alike.
    while topics.len() < TOPICS {
        let mut by_root: Vec<Vec<(&serde_json::Value, usize)>> = vec![Vec::new(); roots];
        for c in &live {
            let uri = c["uri"].as_str().unwrap_or("");
            if taken.contains_key(uri) {
                continue;
            }
            if let Some(&(parent, root)) = c["broader"][0].as_str().and_then(|p| taken.get(p)) {
                by_root[root].push((c, parent));
            }
        }
        if by_root.iter().all(Vec::is_empty) {
            break;
        }
        let mut turn = 0;
        while topics.len() < TOPICS && by_root.iter().any(|kids| turn < kids.len()) {
            for (root, kids) in by_root.iter().enumerate() {
                if let Some(&(c, parent)) = kids.get(turn).filter(|_| topics.len() < TOPICS) {
                    taken.insert(c["uri"].as_str().unwrap_or(""), (topics.len(), root));
                    topics.push(topic_from(c, label(c), Some(parent)));
                }
            }
            turn += 1;
        }
    }
    // Labels can repeat across branches; slugs must not.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for t in &mut topics {
        let n = seen.entry(t.slug.clone()).or_default();
        *n += 1;
        if *n > 1 {
            t.slug = format!("{}-{}", t.slug, t.code.trim_start_matches("medtop:"));
        }
    }
    topics
}

fn topic_from(c: &serde_json::Value, label: String, parent: Option<usize>) -> Topic {
    let mut name = label.clone();
    if let Some(first) = name.get(..1) {
        name = first.to_uppercase() + &name[1..];
    }
    Topic {
        slug: slug::slugify(&label),
        name,
        description: c["definition"]["en-GB"].as_str().map(str::to_owned),
        parent,
        code: c["qcode"].as_str().unwrap_or("").to_owned(),
    }
}
