//! `dateline relink`: links every stored article again to the entities its text names.

use std::io::IsTerminal;

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::linking::SharedGazetteer;
use crate::store::article_write;

const PAGE: i64 = 500;

/// Returns how many articles' links changed.
pub async fn relink_all(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    let gazetteer = SharedGazetteer::default().get(conn).await?;
    let total = article_write::count_articles(conn).await?;
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or_default());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "relink {wide_bar} {pos}/{len} articles, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut changed = 0;
    let mut after = 0;
    loop {
        let page = article_write::texts_after(conn, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.0.0;
        for (id, headline, lead, body) in page {
            let text = [Some(headline), lead, body]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n\n");
            if article_write::relink_article(conn, id, &gazetteer.mentions(&text)).await? {
                changed += 1;
            }
            bar.inc(1);
        }
        if !std::io::stderr().is_terminal() {
            eprintln!("relink: {}/{total} articles", bar.position());
        }
    }
    bar.finish();
    Ok(changed)
}
