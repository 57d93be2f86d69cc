//! PostgreSQL's text forms of `tsvector` and `tsquery`, read back. The search index holds the
//! lexemes PostgreSQL made of each article, and answers the query PostgreSQL parsed, so that
//! stemming, stop words, languages and the plain-text reading of `<`, `>` and `&` are done once,
//! by PostgreSQL, and both ways of answering a search mean the same thing.

use std::collections::HashMap;

/// One lexeme of a search vector at one position (PostgreSQL counts from 1; headline, lead and
/// body follow each other).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub position: u32,
    pub lexeme: String,
    /// `A` (the headline), `B` (the lead), `C` (the body) or `D` (none given).
    pub weight: char,
}

/// The occurrences of a `tsvector`'s text form (`'lexem':1A,5 'other':3`), in position order.
/// `None` when the text is not such a form.
pub fn parse_tsvector(text: &str) -> Option<Vec<Occurrence>> {
    let mut reader = Reader::new(text);
    let mut found = Vec::new();
    while reader.skip_spaces() {
        let lexeme = reader.quoted()?;
        if !reader.eat(':') {
            // A vector stripped of positions: the lexeme is there, at no known place.
            found.push(Occurrence {
                position: 0,
                lexeme,
                weight: 'D',
            });
            continue;
        }
        loop {
            let position = reader.number()?;
            // The weight letter (A, B, C; D is not written).
            let weight = ['A', 'B', 'C', 'D']
                .into_iter()
                .find(|w| reader.eat(*w))
                .unwrap_or('D');
            found.push(Occurrence {
                position,
                lexeme: lexeme.clone(),
                weight,
            });
            if !reader.eat(',') {
                break;
            }
        }
    }
    found.sort_by_key(|o| o.position);
    Some(found)
}

/// A `tsquery` as PostgreSQL writes it: the subset `websearch_to_tsquery` produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TsQuery {
    /// Matches nothing: a query of stop words only.
    Empty,
    Lexeme(String),
    Not(Box<TsQuery>),
    And(Vec<TsQuery>),
    Or(Vec<TsQuery>),
    /// Lexemes at these offsets from the first (`'white' <-> 'hous'`: 0 and 1; a stop word
    /// between two words makes a gap, `<2>`).
    Phrase(Vec<(u32, String)>),
}

impl TsQuery {
    /// Whether lexemes at these positions satisfy the query, as `@@` (or, with `count_not`
    /// false, as PostgreSQL's ranking does on its way forward: a negation taken as satisfied).
    pub fn satisfied_by(&self, positions: &HashMap<&str, Vec<u32>>, count_not: bool) -> bool {
        match self {
            TsQuery::Empty => false,
            TsQuery::Lexeme(l) => positions.contains_key(l.as_str()),
            TsQuery::Not(inner) => !count_not || !inner.satisfied_by(positions, count_not),
            TsQuery::And(parts) => parts.iter().all(|p| p.satisfied_by(positions, count_not)),
            TsQuery::Or(parts) => parts.iter().any(|p| p.satisfied_by(positions, count_not)),
            TsQuery::Phrase(parts) => {
                let Some(((_, first), rest)) = parts.split_first() else {
                    return false;
                };
                positions.get(first.as_str()).is_some_and(|starts| {
                    starts.iter().any(|&p| {
                        rest.iter().all(|(offset, l)| {
                            positions
                                .get(l.as_str())
                                .is_some_and(|at| at.contains(&(p + offset)))
                        })
                    })
                })
            }
        }
    }

    /// Every lexeme of the query, negated ones too, once each.
    pub fn lexemes(&self) -> Vec<&str> {
        fn walk<'a>(q: &'a TsQuery, into: &mut Vec<&'a str>) {
            match q {
                TsQuery::Empty => {}
                TsQuery::Lexeme(l) => into.push(l),
                TsQuery::Not(inner) => walk(inner, into),
                TsQuery::And(parts) | TsQuery::Or(parts) => {
                    parts.iter().for_each(|p| walk(p, into))
                }
                TsQuery::Phrase(parts) => into.extend(parts.iter().map(|(_, l)| l.as_str())),
            }
        }
        let mut found = Vec::new();
        walk(self, &mut found);
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The query of a `tsquery`'s text form; `None` for what `websearch_to_tsquery` does not write
/// (prefixes, weights, a phrase of anything but lexemes), which PostgreSQL then answers itself.
pub fn parse_tsquery(text: &str) -> Option<TsQuery> {
    let mut reader = Reader::new(text);
    if !reader.skip_spaces() {
        return Some(TsQuery::Empty);
    }
    let query = or(&mut reader)?;
    (!reader.skip_spaces()).then_some(query)
}

/// `and ('|' and)*`: OR binds loosest.
fn or(reader: &mut Reader) -> Option<TsQuery> {
    let mut terms = vec![and(reader)?];
    while reader.skip_spaces() && reader.eat('|') {
        terms.push(and(reader)?);
    }
    Some(one_or(terms, TsQuery::Or))
}

/// `phrase ('&' phrase)*`.
fn and(reader: &mut Reader) -> Option<TsQuery> {
    let mut terms = vec![phrase(reader)?];
    while reader.skip_spaces() && reader.eat('&') {
        terms.push(phrase(reader)?);
    }
    Some(one_or(terms, TsQuery::And))
}

/// `unary ('<N>' unary)*`, where every part must be a lexeme.
fn phrase(reader: &mut Reader) -> Option<TsQuery> {
    let first = unary(reader)?;
    let mut parts: Vec<(u32, String)> = Vec::new();
    let mut offset = 0;
    while reader.skip_spaces() && reader.peek() == Some('<') {
        reader.eat('<');
        let distance = if reader.eat('-') { 1 } else { reader.number()? };
        if !reader.eat('>') {
            return None;
        }
        if parts.is_empty() {
            let TsQuery::Lexeme(lexeme) = &first else {
                return None;
            };
            parts.push((0, lexeme.clone()));
        }
        let TsQuery::Lexeme(next) = unary(reader)? else {
            return None;
        };
        offset += distance;
        parts.push((offset, next));
    }
    Some(if parts.is_empty() {
        first
    } else {
        TsQuery::Phrase(parts)
    })
}

/// `'!' unary | '(' or ')' | lexeme`.
fn unary(reader: &mut Reader) -> Option<TsQuery> {
    reader.skip_spaces();
    if reader.eat('!') {
        return Some(TsQuery::Not(Box::new(unary(reader)?)));
    }
    if reader.eat('(') {
        let inner = or(reader)?;
        reader.skip_spaces();
        return reader.eat(')').then_some(inner);
    }
    let lexeme = reader.quoted()?;
    // `:*` (prefix) or `:AB` (weights): not written by `websearch_to_tsquery`.
    (reader.peek() != Some(':')).then_some(TsQuery::Lexeme(lexeme))
}

fn one_or(mut terms: Vec<TsQuery>, many: fn(Vec<TsQuery>) -> TsQuery) -> TsQuery {
    if terms.len() == 1 {
        terms.pop().unwrap_or(TsQuery::Empty)
    } else {
        many(terms)
    }
}

/// A cursor over a text form.
struct Reader<'a> {
    rest: std::iter::Peekable<std::str::Chars<'a>>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            rest: text.chars().peekable(),
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.rest.peek().copied()
    }

    /// Skips spaces; whether anything is left.
    fn skip_spaces(&mut self) -> bool {
        while self.rest.next_if(|c| *c == ' ').is_some() {}
        self.rest.peek().is_some()
    }

    fn eat(&mut self, c: char) -> bool {
        self.rest.next_if_eq(&c).is_some()
    }

    fn number(&mut self) -> Option<u32> {
        let mut value: Option<u32> = None;
        while let Some(digit) = self.rest.peek().and_then(|c| c.to_digit(10)) {
            self.rest.next();
            value = Some(value.unwrap_or(0).checked_mul(10)?.checked_add(digit)?);
        }
        value
    }

    /// A lexeme in single quotes, where `''` is a quote and a backslash escapes the next
    /// character.
    fn quoted(&mut self) -> Option<String> {
        if !self.eat('\'') {
            return None;
        }
        let mut lexeme = String::new();
        loop {
            match self.rest.next()? {
                '\'' if self.eat('\'') => lexeme.push('\''),
                '\'' => return Some(lexeme),
                '\\' => lexeme.push(self.rest.next()?),
                c => lexeme.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TsQuery::*;
    use super::*;

    fn lexeme(s: &str) -> TsQuery {
        Lexeme(s.to_owned())
    }

    #[test]
    fn a_vector_gives_every_position_of_every_lexeme_in_order() {
        let found = parse_tsvector("'blinken':3A,15 'it''s':7B 'nato':5A,20 'x\\\\y':9").unwrap();
        let positions: Vec<(u32, &str, char)> = found
            .iter()
            .map(|o| (o.position, o.lexeme.as_str(), o.weight))
            .collect();
        assert_eq!(
            positions,
            [
                (3, "blinken", 'A'),
                (5, "nato", 'A'),
                (7, "it's", 'B'),
                (9, "x\\y", 'D'),
                (15, "blinken", 'D'),
                (20, "nato", 'D')
            ]
        );
        assert_eq!(parse_tsvector("").unwrap(), []);
        assert_eq!(parse_tsvector("'a':x"), None);
    }

    #[test]
    fn queries_read_as_postgresql_writes_them() {
        assert_eq!(
            parse_tsquery("'blinken' & 'nato'"),
            Some(And(vec![lexeme("blinken"), lexeme("nato")]))
        );
        assert_eq!(
            parse_tsquery("'biden' & !'trump'"),
            Some(And(vec![lexeme("biden"), Not(Box::new(lexeme("trump")))]))
        );
        assert_eq!(
            parse_tsquery("'white' <-> 'hous' <2> 'lawn'"),
            Some(Phrase(vec![
                (0, "white".into()),
                (1, "hous".into()),
                (3, "lawn".into())
            ]))
        );
        assert_eq!(
            parse_tsquery("( 'a' | 'b' ) & 'c' | 'd'"),
            Some(Or(vec![
                And(vec![Or(vec![lexeme("a"), lexeme("b")]), lexeme("c")]),
                lexeme("d")
            ]))
        );
        assert_eq!(
            parse_tsquery("!( 'new' <-> 'york' )"),
            Some(Not(Box::new(Phrase(vec![
                (0, "new".into()),
                (1, "york".into())
            ]))))
        );
        assert_eq!(parse_tsquery(""), Some(Empty));
        assert_eq!(parse_tsquery("'hsn'"), Some(lexeme("hsn")));
    }

    #[test]
    fn what_websearch_does_not_write_is_left_to_postgresql() {
        assert_eq!(parse_tsquery("'pre':*"), None);
        assert_eq!(parse_tsquery("'w':AB"), None);
        assert_eq!(parse_tsquery("( 'a' | 'b' ) <-> 'c'"), None);
        assert_eq!(parse_tsquery("'a' 'b'"), None);
        assert_eq!(parse_tsquery("'a' & "), None);
        assert_eq!(parse_tsquery("'unclosed"), None);
    }
}
