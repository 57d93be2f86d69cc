//! PostgreSQL's `ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', search, query, 1)`, computed from the
//! positions the index holds, so that a relevance search ranks its candidates without reading
//! their search vectors out of PostgreSQL's TOAST. It follows `calc_rank_cd` and `Cover` of
//! PostgreSQL's `tsrank.c` step by step (covers found left to right, each scored by the weights
//! of its lexemes and the words between them, the sum divided by `ln(length + 1)`), and a test
//! holds it to PostgreSQL's own figure for every candidate of the judged queries.

use std::collections::HashMap;

use super::tsearch::TsQuery;

/// The weight of a lexeme in the headline (`A`), the lead (`B`) and the body (`C`): the first
/// argument of `ts_rank_cd` in `store::search`.
const WEIGHT_A: f64 = 1.0;
const WEIGHT_B: f64 = 0.4;
const WEIGHT_C: f64 = 0.2;

/// Where a document's weights change: its positions up to `a_end` are the headline's (`A`), up
/// to `b_end` the lead's (`B`), the rest the body's (`C`), since the search vector is the three
/// fields' vectors concatenated, each shifted past the one before.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub a_end: u32,
    pub b_end: u32,
    /// How many positions the vector holds (`count_length`).
    pub length: u32,
}

impl Layout {
    fn inverse_weight(&self, position: u32) -> f64 {
        let weight = if position <= self.a_end {
            WEIGHT_A
        } else if position <= self.b_end {
            WEIGHT_B
        } else {
            WEIGHT_C
        };
        1.0 / weight
    }
}

/// One entry of the document as `calc_rank_cd` sees it: a position of one of the query's lexemes.
#[derive(Debug)]
struct Entry<'a> {
    position: u32,
    lexeme: &'a str,
}

/// `ts_rank_cd` with normalisation 1 of a document with this `layout`, whose query lexemes are at
/// `positions` (each list ascending).
pub fn rank_cd(query: &TsQuery, layout: Layout, positions: &HashMap<&str, Vec<u32>>) -> f32 {
    let mut doc: Vec<Entry> = positions
        .iter()
        .flat_map(|(lexeme, at)| at.iter().map(move |&position| Entry { position, lexeme }))
        .collect();
    if doc.is_empty() || layout.length == 0 {
        return 0.0;
    }
    doc.sort_by(|a, b| {
        a.position
            .cmp(&b.position)
            .then(a.lexeme.as_bytes().cmp(b.lexeme.as_bytes()))
    });
    let mut wdoc = 0.0f64;
    let mut from = 0;
    while let Some(cover) = next_cover(query, &doc, &mut from) {
        let inv_sum: f64 = doc[cover.begin..=cover.end]
            .iter()
            .map(|e| layout.inverse_weight(e.position))
            .sum();
        let entries = (cover.end - cover.begin) as i64;
        let cpos = (entries + 1) as f64 / inv_sum;
        let mut noise = (i64::from(cover.q) - i64::from(cover.p)) - entries;
        if noise < 0 {
            noise = entries / 2;
        }
        wdoc += cpos / (1 + noise) as f64;
    }
    wdoc /= (f64::from(layout.length) + 1.0).ln();
    wdoc as f32
}

/// A cover: entries `begin..=end`, at positions `p..=q`.
struct Cover {
    begin: usize,
    end: usize,
    p: u32,
    q: u32,
}

/// The next cover from entry `*from` on, as `Cover` finds it: the first entry at which the
/// entries seen so far satisfy the query (negations taken as satisfied), then back from there to
/// the last entry at which they satisfy it with negations counted; the search goes on from the
/// entry after the cover's start.
fn next_cover(query: &TsQuery, doc: &[Entry], from: &mut usize) -> Option<Cover> {
    loop {
        let mut seen: HashMap<&str, Vec<u32>> = HashMap::new();
        let mut end = None;
        for (i, entry) in doc.iter().enumerate().skip(*from) {
            add(&mut seen, entry);
            if query.satisfied_by(&seen, false) {
                end = Some(i);
                break;
            }
        }
        let end = end?;
        let q = doc[end].position;
        let mut seen: HashMap<&str, Vec<u32>> = HashMap::new();
        let mut begin = None;
        let mut at = end as isize;
        while at >= *from as isize {
            let entry = &doc[at as usize];
            add(&mut seen, entry);
            if query.satisfied_by(&seen, true) {
                begin = Some(at as usize);
                break;
            }
            at -= 1;
        }
        match begin {
            Some(begin) if doc[begin].position <= q => {
                *from = begin + 1;
                return Some(Cover {
                    begin,
                    end,
                    p: doc[begin].position,
                    q,
                });
            }
            _ => *from += 1,
        }
    }
}

fn add<'a>(seen: &mut HashMap<&'a str, Vec<u32>>, entry: &Entry<'a>) {
    let at = seen.entry(entry.lexeme).or_default();
    if !at.contains(&entry.position) {
        at.push(entry.position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search_index::tsearch::parse_tsquery;

    fn rank(query: &str, layout: Layout, positions: &[(&str, &[u32])]) -> f32 {
        let positions: HashMap<&str, Vec<u32>> =
            positions.iter().map(|(l, at)| (*l, at.to_vec())).collect();
        rank_cd(&parse_tsquery(query).unwrap(), layout, &positions)
    }

    /// PostgreSQL 15's figures for the vector
    /// `'blinken':1A 'nato':3A,12C 'white':8C,10C 'hous':9C 'x':2A,4B,5B,6B,7C,11C`:
    /// `SELECT ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', v, q, 1)`.
    #[test]
    fn covers_are_scored_as_postgresql_scores_them() {
        let layout = Layout {
            a_end: 3,
            b_end: 6,
            length: 12,
        };
        let doc: &[(&str, &[u32])] = &[
            ("blinken", &[1]),
            ("nato", &[3, 12]),
            ("white", &[8, 10]),
            ("hous", &[9]),
            ("x", &[2, 4, 5, 6, 7, 11]),
        ];
        for (query, postgresql) in [
            ("'blinken' & 'nato'", 0.194_935_62),
            ("'blinken' & 'kremlin'", 0.0),
            ("'white' <-> 'hous'", 0.077_974_25),
            ("'blinken' & !'nato'", 0.389_871_24),
            ("'nato'", 0.467_845_5),
            ("'x' | 'nato'", 1.481_510_8),
            ("!'kremlin'", 0.0),
        ] {
            // Only the query's lexemes are read, as PostgreSQL's `get_docrep` reads them.
            let parsed = parse_tsquery(query).unwrap();
            let wanted = parsed.lexemes();
            let positions: Vec<(&str, &[u32])> = doc
                .iter()
                .filter(|(l, _)| wanted.contains(l))
                .copied()
                .collect();
            let got = rank(query, layout, &positions);
            assert!(
                (got - postgresql).abs() < 1e-7,
                "{query}: {got} against {postgresql}"
            );
        }
    }
}
