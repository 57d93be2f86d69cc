//! `build DATABASE_URL INDEX_DIR`: indexes every article of a dateline database: headline, lead
//! and body as three fields, each article's words stemmed in its own language before they are
//! indexed (as PostgreSQL's search vector is), the id and publication time as fast fields, and
//! every segment sorted newest first, so that the newest matches are a segment's first ones.
//! `query INDEX_DIR QUERIES_FILE [THREADS [SECONDS]]`: answers each query of the file, newest
//! first and by relevance (BM25, headline and lead boosted), the 20 best, alone and then from
//! THREADS threads in a closed loop for SECONDS, and prints latencies and rates.

use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tantivy::collector::TopDocs;
use tantivy::query::{EnableScoring, Query, QueryParser};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, PreTokenizedString, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{
    DocSet, Index, IndexReader, IndexSettings, IndexSortByField, Order, TERMINATED, TantivyDocument,
};

/// dateline's languages with a stemmer; every other language is read without one.
const LANGUAGES: [(&str, Option<Language>); 8] = [
    ("en", Some(Language::English)),
    ("fr", Some(Language::French)),
    ("de", Some(Language::German)),
    ("es", Some(Language::Spanish)),
    ("it", Some(Language::Italian)),
    ("pt", Some(Language::Portuguese)),
    ("ru", Some(Language::Russian)),
    ("simple", None),
];

struct Fields {
    id: Field,
    published: Field,
    /// Headline, lead and body.
    text: [Field; 3],
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let id = builder.add_u64_field("id", INDEXED | FAST);
    let published = builder.add_i64_field("published", FAST);
    // Documents come tokenized; the field's tokenizer reads queries (in English, as dateline
    // reads a query without a `language` filter).
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("text_en")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let text =
        ["headline", "lead", "body"].map(|name| builder.add_text_field(name, options.clone()));
    (
        builder.build(),
        Fields {
            id,
            published,
            text,
        },
    )
}

fn analyzer(language: Option<Language>) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match language {
        Some(language) => base.filter(Stemmer::new(language)).build(),
        None => base.build(),
    }
}

/// `text` tokenized by `analyzer`, for a field that takes tokens as given.
fn pre_tokenized(analyzer: &mut TextAnalyzer, text: String) -> PreTokenizedString {
    let mut tokens = Vec::new();
    let mut stream = analyzer.token_stream(&text);
    while stream.advance() {
        tokens.push(stream.token().clone());
    }
    drop(stream);
    PreTokenizedString { text, tokens }
}

fn register_tokenizers(index: &Index) {
    index
        .tokenizers()
        .register("text_en", analyzer(Some(Language::English)));
}

/// One field of PostgreSQL's COPY text format, unescaped.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn build(url: &str, dir: &str) {
    let (schema, fields) = schema();
    std::fs::create_dir_all(dir).expect("index directory");
    let settings = IndexSettings {
        sort_by_field: Some(IndexSortByField {
            field: "published".to_owned(),
            order: Order::Desc,
        }),
        ..IndexSettings::default()
    };
    let index = Index::builder()
        .schema(schema)
        .settings(settings)
        .create_in_dir(dir)
        .expect("a new index (the directory must be empty)");
    let mut analyzers: Vec<TextAnalyzer> = LANGUAGES
        .iter()
        .map(|(_, language)| analyzer(*language))
        .collect();
    register_tokenizers(&index);
    let mut writer = index
        .writer_with_num_threads(2, 1_000_000_000)
        .expect("writer");
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let started = Instant::now();
    let reader = client
        .copy_out(
            "COPY (SELECT id, extract(epoch FROM published_at)::bigint, language, headline, \
             coalesce(lead, ''), coalesce(body, '') FROM articles WHERE pub_status = 'usable') TO STDOUT",
        )
        .expect("COPY");
    let mut count = 0u64;
    for line in BufReader::with_capacity(1 << 20, reader).lines() {
        let line = line.expect("a line");
        let cols: Vec<&str> = line.splitn(6, '\t').collect();
        let language = LANGUAGES
            .iter()
            .position(|(code, _)| *code == cols[2])
            .unwrap_or(LANGUAGES.len() - 1);
        let mut doc = TantivyDocument::default();
        doc.add_u64(fields.id, cols[0].parse().expect("id"));
        doc.add_i64(fields.published, cols[1].parse().expect("published"));
        for (field, col) in fields.text.iter().zip(&cols[3..6]) {
            doc.add_pre_tokenized_text(
                *field,
                pre_tokenized(&mut analyzers[language], unescape(col)),
            );
        }
        writer.add_document(doc).expect("add");
        count += 1;
        if count.is_multiple_of(100_000) {
            eprintln!("{count} articles, {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    writer.commit().expect("commit");
    eprintln!(
        "indexed {count} articles in {:.0} s; merging",
        started.elapsed().as_secs_f64()
    );
    writer.wait_merging_threads().expect("merges");
    eprintln!("done after {:.0} s", started.elapsed().as_secs_f64());
}

#[derive(Clone, Copy, Debug)]
enum Sort {
    Newest,
    Relevance,
}

struct Searcher {
    reader: IndexReader,
    parser: QueryParser,
}

impl Searcher {
    fn open(dir: &str) -> Self {
        let index = Index::open_in_dir(dir).expect("open");
        register_tokenizers(&index);
        let (_, fields) = schema();
        let [headline, lead, _] = fields.text;
        let mut parser = QueryParser::for_index(&index, fields.text.to_vec());
        parser.set_conjunction_by_default();
        parser.set_field_boost(headline, 3.0);
        parser.set_field_boost(lead, 1.5);
        let reader = index.reader().expect("reader");
        Self { reader, parser }
    }

    /// The ids of the 20 best (or newest) matches.
    fn search(&self, query: &str, sort: Sort) -> usize {
        let query = self.parser.parse_query(query).expect("a query");
        let searcher = self.reader.searcher();
        match sort {
            Sort::Relevance => searcher
                .search(&query, &TopDocs::with_limit(20).order_by_score())
                .expect("search")
                .len(),
            Sort::Newest => newest(&searcher, query.as_ref(), 20).len(),
        }
    }
}

/// The `limit` newest matches: each segment is sorted newest first, so its first `limit` live
/// matches are its newest, and the newest of those across segments are the answer. Reads
/// `limit` matches a segment, however many there are.
fn newest(searcher: &tantivy::Searcher, query: &dyn Query, limit: usize) -> Vec<(i64, u64)> {
    let weight = query
        .weight(EnableScoring::disabled_from_searcher(searcher))
        .expect("weight");
    let mut found = Vec::new();
    for segment in searcher.segment_readers() {
        let published = segment.fast_fields().i64("published").expect("published");
        let ids = segment.fast_fields().u64("id").expect("id");
        let alive = segment.alive_bitset();
        let mut scorer = weight.scorer(segment, 1.0).expect("scorer");
        let mut taken = 0;
        let mut doc = scorer.doc();
        while doc != TERMINATED && taken < limit {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                found.push((
                    published.first(doc).unwrap_or(i64::MIN),
                    ids.first(doc).unwrap_or(0),
                ));
                taken += 1;
            }
            doc = scorer.advance();
        }
    }
    found.sort_unstable_by(|a, b| b.cmp(a));
    found.truncate(limit);
    found
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)].as_secs_f64() * 1e3
}

fn query(dir: &str, file: &str, threads: usize, seconds: u64) {
    let searcher = Arc::new(Searcher::open(dir));
    let queries: Vec<String> = std::fs::read_to_string(file)
        .expect("queries")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let segments = searcher.reader.searcher().segment_readers().len();
    let docs = searcher.reader.searcher().num_docs();
    println!("{docs} articles in {segments} segments");
    // The early stop answers what sorting every match by its time answers.
    for q in &queries {
        let query = searcher.parser.parse_query(q).expect("a query");
        let reader = searcher.reader.searcher();
        let sorted: Vec<Option<i64>> = reader
            .search(
                &query,
                &TopDocs::with_limit(20).order_by_fast_field::<i64>("published", Order::Desc),
            )
            .expect("search")
            .into_iter()
            .map(|(published, _)| published)
            .collect();
        let early: Vec<Option<i64>> = newest(&reader, query.as_ref(), 20)
            .into_iter()
            .map(|(published, _)| Some(published))
            .collect();
        assert_eq!(early, sorted, "{q}");
    }
    for sort in [Sort::Newest, Sort::Relevance] {
        println!("-- {sort:?}, one at a time (median of 21 after a warm-up)");
        for q in &queries {
            searcher.search(q, sort);
            let mut times: Vec<Duration> = (0..21)
                .map(|_| {
                    let started = Instant::now();
                    searcher.search(q, sort);
                    started.elapsed()
                })
                .collect();
            times.sort();
            let hits = searcher.search(q, sort);
            println!("{q:<20} {:>8.2} ms  ({hits} hits)", percentile(&times, 0.5));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let all = Arc::new(Mutex::new(Vec::new()));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (searcher, queries, stop, all) =
                    (searcher.clone(), queries.clone(), stop.clone(), all.clone());
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    let mut i = t;
                    while !stop.load(Ordering::Relaxed) {
                        let started = Instant::now();
                        searcher.search(&queries[i % queries.len()], sort);
                        mine.push(started.elapsed());
                        i += 1;
                    }
                    all.lock().expect("lock").extend(mine);
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        for handle in handles {
            handle.join().expect("thread");
        }
        let mut times = all.lock().expect("lock").clone();
        times.sort();
        println!(
            "{threads} threads, {seconds} s: {:.0} searches/s, p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
            times.len() as f64 / seconds as f64,
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 0.99)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("build") if args.len() == 4 => build(&args[2], &args[3]),
        Some("query") if args.len() >= 4 => query(
            &args[2],
            &args[3],
            args.get(4).map_or(16, |t| t.parse().expect("THREADS")),
            args.get(5).map_or(10, |s| s.parse().expect("SECONDS")),
        ),
        _ => {
            eprintln!(
                "usage: build DATABASE_URL INDEX_DIR | query INDEX_DIR QUERIES_FILE [THREADS [SECONDS]]"
            );
            std::process::exit(2);
        }
    }
}
