//! An inverted index of the listed articles, in the process (tantivy), that finds a search's
//! newest matches without testing search vectors one by one. PostgreSQL stays the truth and
//! does every part of a search but the finding: it parses the query, the index holds the
//! lexemes of PostgreSQL's own search vectors (so stemming, stop words and languages are
//! PostgreSQL's), and the page's rows, highlights and ranking are read by id in the list's
//! statement. docs/search.md says why and what it measured.
//!
//! **Never stale.** The index applies the change feed (`article_changes`) in order and knows how
//! far it has got. A search uses it only when that is exactly the database's newest change, read
//! in the same round trip as the parsed query, on the connection that reads the page; otherwise
//! (a write not yet applied, a replica behind, the index still being built) the search is
//! answered by PostgreSQL alone, and the index is woken to catch up.

mod highlight;
mod rank;
mod tsearch;

pub use highlight::{Highlighter, stemming_configuration};

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tantivy::postings::Postings;
use tantivy::query::{AllQuery, BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{PreTokenizedString, Token};
use tantivy::{
    DocSet, Index, IndexReader, IndexSettings, IndexSortByField, IndexWriter, Order, ReloadPolicy,
    TERMINATED, TantivyDocument, Term,
};
use tokio::sync::{Mutex, Notify, watch};

use crate::db::DbPool;
use crate::store::ArticleId;
use crate::store::article_sql::ArticleKey;
use crate::store::changes::{ChangeSeq, changes_after, latest_seq};
use crate::store::search_vectors::{
    ParsedSearch, SearchVectorRow, usable_vectors_after, vectors_of,
};
use rank::{Layout, rank_cd};
use tsearch::{TsQuery, parse_tsquery, parse_tsvector};

/// How many articles a round trip of the first fill reads.
const FILL_BATCH: u32 = 2_000;
/// How often the fill says how far it has got, in articles.
const FILL_LOG_EVERY: usize = 100_000;
/// How many changes one catch-up applies before it commits and reloads.
const CHANGE_BATCH: u32 = 1_000;
/// How often the index looks for changes when no search has woken it.
const POLL: Duration = Duration::from_secs(1);
/// The indexing memory of the writer (tantivy's budget, a floor of 15 MB a thread).
const WRITER_BUDGET: usize = 64 * 1024 * 1024;

/// A candidate of a relevance search, with the text part of its score.
#[derive(Debug, Clone, Copy)]
pub struct RankedCandidate {
    pub id: ArticleId,
    pub published_micros: i64,
    /// `ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', search, query, 1)`.
    pub text_rank: f32,
}

/// What narrows a search besides its words, as the index can apply it.
#[derive(Debug, Clone, Default)]
pub struct Narrowing<'a> {
    pub language: Option<&'a str>,
    /// Any of these sources.
    pub sources: &'a [String],
    /// Published strictly after.
    pub published_after: Option<DateTime<Utc>>,
    /// Published strictly before.
    pub published_before: Option<DateTime<Utc>>,
    /// Strictly after this key in newest-first order: the cursor of a page.
    pub older_than: Option<ArticleKey>,
}

/// How long a search waits for the index to apply the changes it is behind by, before
/// PostgreSQL answers it alone.
const CATCH_UP_WAIT: Duration = Duration::from_millis(500);

/// The index and what it has applied.
pub struct SearchIndex {
    fields: Fields,
    /// What searches read: `None` until the first fill is done.
    current: watch::Sender<Option<Arc<Snapshot>>>,
    wake: Notify,
    /// How many searches it has found the matches of.
    answered: AtomicU64,
}

/// A searcher and the position in the change feed it has applied.
struct Snapshot {
    searcher: tantivy::Searcher,
    applied: ChangeSeq,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    published: Field,
    language: Field,
    source: Field,
    text: Field,
    /// The last position of the headline, of the lead, and how many positions: what
    /// `ts_rank_cd` weighs and normalises by (`rank::Layout`).
    a_end: Field,
    b_end: Field,
    length: Field,
}

impl Fields {
    fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let id = builder.add_u64_field("id", INDEXED | FAST);
        let published = builder.add_i64_field("published", FAST);
        let language = builder.add_text_field("language", STRING);
        let source = builder.add_text_field("source", STRING);
        // Documents come as PostgreSQL's lexemes; nothing is tokenized here.
        let text = builder.add_text_field(
            "text",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("raw")
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            ),
        );
        let fields = Fields {
            id,
            published,
            language,
            source,
            text,
            a_end: builder.add_u64_field("a_end", FAST),
            b_end: builder.add_u64_field("b_end", FAST),
            length: builder.add_u64_field("length", FAST),
        };
        (builder.build(), fields)
    }
}

impl SearchIndex {
    /// An empty index, filled from `pool` and kept in step with it by a task on the current
    /// runtime; searches are PostgreSQL's until the fill is done.
    pub fn start(pool: DbPool) -> Result<Arc<Self>, String> {
        let (schema, fields) = Fields::schema();
        // Newest first, so that a segment's first matches are its newest.
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
            .create_in_ram()
            .map_err(|e| format!("search index: {e}"))?;
        let writer: IndexWriter<TantivyDocument> = index
            .writer_with_num_threads(1, WRITER_BUDGET)
            .map_err(|e| format!("search index writer: {e}"))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| format!("search index reader: {e}"))?;
        let this = Arc::new(Self {
            fields,
            current: watch::Sender::new(None),
            wake: Notify::new(),
            answered: AtomicU64::new(0),
        });
        let keeper = Keeper {
            index: this.clone(),
            writer: Arc::new(Mutex::new(writer)),
            reader,
            pool,
        };
        actix_web::rt::spawn(keeper.run());
        Ok(this)
    }

    /// The ids of the `fetch` newest matches of `parsed` narrowed by `narrowing`, newest first;
    /// `None` when the index cannot answer exactly as the database that parsed the query would,
    /// and the statement must test the search vectors itself.
    pub async fn newest_matches(
        &self,
        parsed: &ParsedSearch,
        narrowing: Narrowing<'_>,
        fetch: u32,
    ) -> Option<Vec<ArticleId>> {
        let (snapshot, _, query, narrowing) = self.prepare(parsed, &narrowing).await?;
        let found = actix_web::rt::task::spawn_blocking(move || {
            newest(
                &snapshot.searcher,
                query.as_ref(),
                narrowing,
                fetch as usize,
            )
            .map(|hits| hits.into_iter().map(|h| ArticleId(h.id as i64)).collect())
        })
        .await;
        self.answer(found)
    }

    /// The `candidates` newest matches of `parsed` narrowed by `narrowing`, each with its
    /// `ts_rank_cd` as `Search::score` computes it; `None` as for [`Self::newest_matches`].
    pub async fn ranked_candidates(
        &self,
        parsed: &ParsedSearch,
        narrowing: Narrowing<'_>,
        candidates: u32,
    ) -> Option<Vec<RankedCandidate>> {
        let (snapshot, parsed, query, narrowing) = self.prepare(parsed, &narrowing).await?;
        let text = self.fields.text;
        let found = actix_web::rt::task::spawn_blocking(move || {
            let hits = newest(
                &snapshot.searcher,
                query.as_ref(),
                narrowing,
                candidates as usize,
            )?;
            rank_hits(&snapshot.searcher, text, &parsed, hits)
        })
        .await;
        self.answer(found)
    }

    /// What a search of the index needs: the snapshot that has applied exactly the changes the
    /// database had when it parsed the query, the query read back, as a tantivy query with the
    /// narrowing's terms, and the narrowing's times.
    async fn prepare(
        &self,
        parsed: &ParsedSearch,
        narrowing: &Narrowing<'_>,
    ) -> Option<(Arc<Snapshot>, TsQuery, Box<dyn Query>, Bounds)> {
        if self.current.borrow().is_none() {
            return None;
        }
        let snapshot = self.applied(parsed.seq).await?;
        let words = parse_tsquery(&parsed.tsquery)?;
        let query = self.query(&words, narrowing);
        Some((snapshot, words, query, Bounds::of(narrowing)))
    }

    /// A search's answer, counted; `None` (and a warning) when the index failed.
    fn answer<T>(
        &self,
        found: Result<tantivy::Result<T>, actix_web::rt::task::JoinError>,
    ) -> Option<T> {
        match found {
            Ok(Ok(ids)) => {
                self.answered.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("dateline_search_index_answers_total").increment(1);
                Some(ids)
            }
            Ok(Err(e)) => {
                log::warn!("search index: {e}");
                None
            }
            Err(e) => {
                log::warn!("search index: {e}");
                None
            }
        }
    }

    /// How many searches it has found the matches of.
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// Waits until the first fill is done (for tests and benchmarks that measure the index).
    pub async fn ready(&self) {
        let mut current = self.current.subscribe();
        let _ = current.wait_for(Option::is_some).await;
    }

    /// The snapshot that has applied exactly the changes up to `seq`: after waking the index and
    /// waiting for it when it is behind. `None` when it is ahead (a replica that lags) or does not
    /// catch up in time.
    async fn applied(&self, seq: ChangeSeq) -> Option<Arc<Snapshot>> {
        let mut current = self.current.subscribe();
        let behind = current.borrow().as_ref().is_none_or(|s| s.applied < seq);
        if behind {
            self.wake.notify_one();
            let caught_up = current.wait_for(|s| s.as_ref().is_some_and(|s| s.applied >= seq));
            if tokio::time::timeout(CATCH_UP_WAIT, caught_up)
                .await
                .is_err()
            {
                return None;
            }
        }
        let snapshot = current.borrow().clone()?;
        (snapshot.applied == seq).then_some(snapshot)
    }

    fn publish(&self, snapshot: Snapshot) {
        self.current.send_replace(Some(Arc::new(snapshot)));
    }

    /// The tantivy query of a parsed `tsquery`, with the narrowing's terms.
    fn query(&self, parsed: &TsQuery, narrowing: &Narrowing<'_>) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, self.words(parsed))];
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        if let Some(language) = narrowing.language {
            clauses.push((Occur::Must, term(self.fields.language, language)));
        }
        if !narrowing.sources.is_empty() {
            let any = narrowing
                .sources
                .iter()
                .map(|s| (Occur::Should, term(self.fields.source, s)))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// What `@@` matches, as a tantivy query over the lexemes.
    fn words(&self, parsed: &TsQuery) -> Box<dyn Query> {
        let lexeme = |l: &str| Term::from_field_text(self.fields.text, l);
        let not = |inner: Box<dyn Query>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery)),
                (Occur::MustNot, inner),
            ]))
        };
        match parsed {
            TsQuery::Empty => Box::new(EmptyQuery),
            TsQuery::Lexeme(l) => Box::new(TermQuery::new(lexeme(l), IndexRecordOption::Basic)),
            TsQuery::Phrase(parts) => Box::new(PhraseQuery::new_with_offset(
                parts
                    .iter()
                    .map(|(offset, l)| (*offset as usize, lexeme(l)))
                    .collect(),
            )),
            TsQuery::Not(inner) => not(self.words(inner)),
            TsQuery::Or(parts) => Box::new(BooleanQuery::new(
                parts
                    .iter()
                    .map(|p| (Occur::Should, self.words(p)))
                    .collect(),
            )),
            TsQuery::And(parts) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = parts
                    .iter()
                    .map(|p| match p {
                        TsQuery::Not(inner) => (Occur::MustNot, self.words(inner)),
                        p => (Occur::Must, self.words(p)),
                    })
                    .collect();
                if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
        }
    }

    /// The index document of an article.
    fn document(&self, row: &SearchVectorRow) -> Option<TantivyDocument> {
        let occurrences = parse_tsvector(&row.vector)?;
        let last = |weight: char| {
            occurrences
                .iter()
                .filter(|o| o.weight == weight)
                .map(|o| o.position)
                .max()
        };
        let a_end = last('A').unwrap_or(0);
        let b_end = last('B').unwrap_or(a_end);
        let length = occurrences.len() as u64;
        let tokens = occurrences
            .into_iter()
            .map(|o| Token {
                offset_from: 0,
                offset_to: 0,
                position: o.position as usize,
                text: o.lexeme,
                position_length: 1,
            })
            .collect();
        let mut doc = TantivyDocument::default();
        doc.add_u64(self.fields.id, row.id.0 as u64);
        doc.add_i64(self.fields.published, micros(row.published_at));
        doc.add_text(self.fields.language, &row.language);
        doc.add_u64(self.fields.a_end, u64::from(a_end));
        doc.add_u64(self.fields.b_end, u64::from(b_end));
        doc.add_u64(self.fields.length, length);
        if let Some(source) = &row.source {
            doc.add_text(self.fields.source, source);
        }
        doc.add_pre_tokenized_text(
            self.fields.text,
            PreTokenizedString {
                text: String::new(),
                tokens,
            },
        );
        Some(doc)
    }
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The narrowing's times, as the index stores them.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    after: Option<i64>,
    before: Option<i64>,
    older_than: Option<(i64, u64)>,
}

impl Bounds {
    fn of(n: &Narrowing<'_>) -> Self {
        Self {
            after: n.published_after.map(micros),
            before: n.published_before.map(micros),
            older_than: n.older_than.map(|key| (key.t, key.id as u64)),
        }
    }

    /// Whether an article published at `t` with `id` is in the bounds, as far as `t` goes:
    /// articles at the cursor's own instant are checked by id.
    fn admits(&self, t: i64, id: u64) -> bool {
        self.before.is_none_or(|b| t < b)
            && self
                .older_than
                .is_none_or(|(ct, cid)| t < ct || (t == ct && id < cid))
    }

    /// The latest time an admitted article can have (inclusive).
    fn ceiling(&self) -> Option<i64> {
        let before = self.before.map(|b| b - 1);
        let cursor = self.older_than.map(|(t, _)| t);
        match (before, cursor) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A match: its time and id, and where it is in the index.
#[derive(Debug, Clone, Copy)]
struct Hit {
    published: i64,
    id: u64,
    segment: u32,
    doc: u32,
}

/// The `fetch` newest matches of `query`, newest first. Each segment is sorted newest first: its
/// first matches at or below the ceiling (found by halving on the time column) are its newest,
/// so a segment is read for `fetch` matches (and the ties of the last one), however many it
/// holds.
fn newest(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    bounds: Bounds,
    fetch: usize,
) -> tantivy::Result<Vec<Hit>> {
    let weight = query.weight(tantivy::query::EnableScoring::disabled_from_searcher(
        searcher,
    ))?;
    let mut found: Vec<Hit> = Vec::new();
    for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
        let published = segment.fast_fields().i64("published")?;
        let ids = segment.fast_fields().u64("id")?;
        let time = |doc: u32| published.first(doc).unwrap_or(i64::MIN);
        let alive = segment.alive_bitset();
        let mut scorer = weight.scorer(segment, 1.0)?;
        if let Some(ceiling) = bounds.ceiling() {
            // The first document at or below the ceiling: times fall as documents go.
            let (mut low, mut high) = (0, segment.max_doc());
            while low < high {
                let mid = low + (high - low) / 2;
                if time(mid) > ceiling {
                    low = mid + 1;
                } else {
                    high = mid;
                }
            }
            if low >= segment.max_doc() {
                continue;
            }
            if scorer.doc() < low {
                scorer.seek(low);
            }
        }
        let mut taken = 0;
        let mut last_time = None;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            let t = time(doc);
            if bounds.after.is_some_and(|a| t <= a) || (taken >= fetch && last_time != Some(t)) {
                break;
            }
            let id = ids.first(doc).unwrap_or(0);
            if alive.is_none_or(|a| a.is_alive(doc)) && bounds.admits(t, id) {
                found.push(Hit {
                    published: t,
                    id,
                    segment: segment_ord as u32,
                    doc,
                });
                taken += 1;
                last_time = Some(t);
            }
            doc = scorer.advance();
        }
    }
    found.sort_unstable_by_key(|h| std::cmp::Reverse((h.published, h.id)));
    found.truncate(fetch);
    Ok(found)
}

/// Each hit's `ts_rank_cd`, from the positions of the query's lexemes in the index and the
/// document's layout.
fn rank_hits(
    searcher: &tantivy::Searcher,
    text: Field,
    query: &TsQuery,
    mut hits: Vec<Hit>,
) -> tantivy::Result<Vec<RankedCandidate>> {
    hits.sort_unstable_by_key(|h| (h.segment, h.doc));
    let lexemes = query.lexemes();
    let mut ranked = Vec::with_capacity(hits.len());
    let mut buffer = Vec::new();
    for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
        let in_segment = hits.iter().filter(|h| h.segment as usize == segment_ord);
        let column = |name: &str| segment.fast_fields().u64(name);
        let (a_end, b_end, length) = (column("a_end")?, column("b_end")?, column("length")?);
        let inverted = segment.inverted_index(text)?;
        let mut postings = Vec::with_capacity(lexemes.len());
        for lexeme in &lexemes {
            postings.push(inverted.read_postings(
                &Term::from_field_text(text, lexeme),
                IndexRecordOption::WithFreqsAndPositions,
            )?);
        }
        for hit in in_segment {
            let mut positions: HashMap<&str, Vec<u32>> = HashMap::new();
            for (lexeme, posting) in lexemes.iter().zip(postings.iter_mut()) {
                let Some(posting) = posting else { continue };
                if posting.doc() <= hit.doc && posting.seek(hit.doc) == hit.doc {
                    buffer.clear();
                    posting.positions(&mut buffer);
                    positions.insert(lexeme, buffer.clone());
                }
            }
            let layout = Layout {
                a_end: a_end.first(hit.doc).unwrap_or(0) as u32,
                b_end: b_end.first(hit.doc).unwrap_or(0) as u32,
                length: length.first(hit.doc).unwrap_or(0) as u32,
            };
            ranked.push(RankedCandidate {
                id: ArticleId(hit.id as i64),
                published_micros: hit.published,
                text_rank: rank_cd(query, layout, &positions),
            });
        }
    }
    Ok(ranked)
}

/// Fills the index, then applies the change feed as it grows.
struct Keeper {
    index: Arc<SearchIndex>,
    writer: Arc<Mutex<IndexWriter<TantivyDocument>>>,
    reader: IndexReader,
    pool: DbPool,
}

impl Keeper {
    async fn run(self) {
        metrics::gauge!("dateline_search_index_ready").set(0.0);
        loop {
            match self.fill().await {
                Ok(applied) => {
                    self.follow(applied).await;
                    return;
                }
                Err(e) => {
                    log::warn!("search index: filling failed, trying again: {e}");
                    tokio::time::sleep(POLL * 5).await;
                }
            }
        }
    }

    /// Indexes every listed article; returns the feed's position the index now stands at.
    async fn fill(&self) -> Result<ChangeSeq, String> {
        let started = Instant::now();
        let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
        // Changes from here on are applied afterwards, so an article written during the fill
        // ends as it is at the end.
        let from = latest_seq(&mut conn).await.map_err(|e| e.to_string())?;
        drop(conn);
        self.writer
            .lock()
            .await
            .delete_all_documents()
            .map_err(|e| e.to_string())?;
        let mut after = ArticleId(0);
        let mut count = 0usize;
        loop {
            let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
            let rows = usable_vectors_after(&mut conn, after, FILL_BATCH)
                .await
                .map_err(|e| e.to_string())?;
            drop(conn);
            let Some(last) = rows.last() else {
                break;
            };
            after = last.id;
            let before = count;
            count += rows.len();
            self.apply(rows, Vec::new()).await?;
            if count / FILL_LOG_EVERY > before / FILL_LOG_EVERY {
                log::info!(
                    "search index: {count} articles in {:.0} s",
                    started.elapsed().as_secs_f64()
                );
            }
        }
        let applied = self.commit(from).await?;
        let applied = self.catch_up(applied).await?;
        log::info!(
            "search index: {count} articles indexed in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        metrics::gauge!("dateline_search_index_ready").set(1.0);
        Ok(applied)
    }

    /// Applies the feed's changes whenever a search finds the index behind, or every [`POLL`].
    async fn follow(&self, mut applied: ChangeSeq) {
        loop {
            let _ = tokio::time::timeout(POLL, self.index.wake.notified()).await;
            match self.catch_up(applied).await {
                Ok(now) => applied = now,
                Err(e) => log::warn!("search index: catching up: {e}"),
            }
        }
    }

    /// Applies every change after `applied`; returns the position reached.
    async fn catch_up(&self, mut applied: ChangeSeq) -> Result<ChangeSeq, String> {
        loop {
            let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
            let mut changes = changes_after(&mut conn, applied, CHANGE_BATCH)
                .await
                .map_err(|e| e.to_string())?;
            let more = changes.len() > CHANGE_BATCH as usize;
            changes.truncate(CHANGE_BATCH as usize);
            let Some(last) = changes.last().map(|c| c.seq) else {
                return Ok(applied);
            };
            let mut ids: Vec<ArticleId> = changes.iter().map(|c| c.article_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let rows = vectors_of(&mut conn, &ids)
                .await
                .map_err(|e| e.to_string())?;
            drop(conn);
            self.apply(rows, ids).await?;
            applied = self.commit(last).await?;
            if !more {
                return Ok(applied);
            }
        }
    }

    /// Removes `removed` and puts in the listed ones of `rows` (replacing what was there).
    async fn apply(
        &self,
        rows: Vec<SearchVectorRow>,
        removed: Vec<ArticleId>,
    ) -> Result<(), String> {
        let (index, writer) = (self.index.clone(), self.writer.clone());
        actix_web::rt::task::spawn_blocking(move || {
            let writer = writer.blocking_lock();
            for id in removed {
                writer.delete_term(Term::from_field_u64(index.fields.id, id.0 as u64));
            }
            for row in rows.iter().filter(|r| r.usable) {
                if let Some(doc) = index.document(row) {
                    writer.add_document(doc).map_err(|e| e.to_string())?;
                } else {
                    log::warn!(
                        "search index: article {} has an unreadable vector",
                        row.id.0
                    );
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// Commits what was applied and lets searches read it, as of feed position `applied`.
    async fn commit(&self, applied: ChangeSeq) -> Result<ChangeSeq, String> {
        let (index, writer, reader) =
            (self.index.clone(), self.writer.clone(), self.reader.clone());
        actix_web::rt::task::spawn_blocking(move || {
            writer.blocking_lock().commit().map_err(|e| e.to_string())?;
            reader.reload().map_err(|e| e.to_string())?;
            index.publish(Snapshot {
                searcher: reader.searcher(),
                applied,
            });
            Ok(applied)
        })
        .await
        .map_err(|e| e.to_string())?
    }
}
