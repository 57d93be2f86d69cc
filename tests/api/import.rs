//! The command line's bulk paths, run as the real binary against a test database.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::harness::TestApp;

const BIN: &str = env!("CARGO_BIN_EXE_dateline");
const HUFFPOST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo/huffpost.jsonl");
const IPTC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/iptc/cptall-en-GB.json");

async fn dateline(app: &TestApp, args: &[&str]) -> (bool, String) {
    let output = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &app.db_url)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("the dateline binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[actix_web::test]
async fn importing_the_huffpost_sample_twice_changes_nothing_the_second_time() {
    let app = TestApp::empty().await;
    let (ok, first) = dateline(&app, &["import", HUFFPOST]).await;
    assert!(ok, "{first}");
    assert!(
        first.contains("import: 1056 created, 0 updated, 0 unchanged, 0 failed"),
        "{first}"
    );
    let (ok, second) = dateline(&app, &["import", HUFFPOST]).await;
    assert!(ok, "{second}");
    assert!(
        second.contains("import: 0 created, 0 updated, 1056 unchanged, 0 failed"),
        "{second}"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM articles").await, 1056);
    assert_eq!(
        app.count("SELECT count(DISTINCT url) AS n FROM articles")
            .await,
        1056
    );
}

#[actix_web::test]
async fn bad_items_are_reported_with_file_and_line_and_fail_the_run() {
    let app = TestApp::empty().await;
    let dir = std::env::temp_dir().join(format!("dateline-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("mixed.ndjson");
    std::fs::write(
        &file,
        concat!(
            r#"{"headline": "Good", "url": "https://example.com/good", "published_at": "2024-01-01T00:00:00Z"}"#, "\n",
            "not json\n",
            r#"{"headline": "", "url": "https://example.com/empty", "published_at": "2024-01-01T00:00:00Z"}"#, "\n",
        ),
    )
    .unwrap();
    let (ok, output) = dateline(&app, &["import", file.to_str().unwrap()]).await;
    std::fs::remove_dir_all(&dir).ok();
    assert!(!ok, "a failed item fails the run");
    assert!(output.contains("mixed.ndjson:2: not JSON"), "{output}");
    assert!(output.contains("mixed.ndjson:3: headline"), "{output}");
    assert!(
        output.contains("1 created, 0 updated, 0 unchanged, 2 failed"),
        "{output}"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM articles").await, 1);
}

#[actix_web::test]
async fn an_import_killed_midway_leaves_no_half_written_article_and_a_rerun_completes_it() {
    let app = TestApp::empty().await;
    let dir = std::env::temp_dir().join(format!("dateline-kill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("many.ndjson");
    let items = 3000;
    let lines: String = (0..items)
        .map(|i| {
            format!(
                "{{\"headline\": \"Story {i}\", \"url\": \"https://example.com/{i}\", \"published_at\": \"2024-01-01T00:00:00Z\", \
                 \"authors\": [\"Writer {w}\"], \"entities\": [{{\"name\": \"Place {p}\", \"kind\": \"place\"}}]}}\n",
                w = i % 7,
                p = i % 11
            )
        })
        .collect();
    std::fs::write(&file, lines).unwrap();
    let mut child = Command::new(BIN)
        .args(["import", file.to_str().unwrap()])
        .env("DATABASE_URL", &app.db_url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Let it get going, then kill -9 in the middle.
    for _ in 0..600 {
        if app.count("SELECT count(*) AS n FROM articles").await >= 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().await.unwrap();
    let stored = app.count("SELECT count(*) AS n FROM articles").await;
    assert!(
        stored >= 200 && stored < items,
        "killed in the middle: {stored}"
    );
    let half_written = "SELECT count(*) AS n FROM articles a WHERE NOT EXISTS (SELECT 1 FROM article_authors x WHERE x.article_id = a.id) \
                        OR NOT EXISTS (SELECT 1 FROM article_entities x WHERE x.article_id = a.id)";
    assert_eq!(
        app.count(half_written).await,
        0,
        "every stored article has all its links"
    );

    let (ok, output) = dateline(&app, &["import", file.to_str().unwrap()]).await;
    std::fs::remove_dir_all(&dir).ok();
    assert!(ok, "{output}");
    assert_eq!(app.count("SELECT count(*) AS n FROM articles").await, items);
    assert_eq!(
        app.count("SELECT count(DISTINCT url) AS n FROM articles")
            .await,
        items
    );
    assert_eq!(app.count(half_written).await, 0);
}

#[actix_web::test]
async fn iptc_media_topics_import_is_idempotent() {
    let app = TestApp::empty().await;
    let (ok, first) = dateline(&app, &["topics", "import-iptc", IPTC]).await;
    assert!(ok, "{first}");
    let topics = app.count("SELECT count(*) AS n FROM topics").await;
    assert!(topics > 1000, "{topics}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM topics t JOIN topics p ON p.id = t.parent_id WHERE t.iptc_code = 'medtop:20000639' AND p.iptc_code = 'medtop:20000638'").await,
        1,
        "diplomacy sits under international relations"
    );
    let (ok, second) = dateline(&app, &["topics", "import-iptc", IPTC]).await;
    assert!(ok, "{second}");
    assert!(second.contains("0 added, 0 parent links set"), "{second}");
    assert_eq!(app.count("SELECT count(*) AS n FROM topics").await, topics);
}

#[actix_web::test]
async fn relink_finds_entities_added_after_the_articles() {
    let app = TestApp::with_demo().await;
    app.sql("INSERT INTO entities (slug, name, kind, aliases) VALUES ('biden-administration', 'Biden administration', 'organisation', '{}')")
        .await;
    let (ok, output) = dateline(&app, &["relink"]).await;
    assert!(ok, "{output}");
    let linked = app
        .count(
            "SELECT mentions::int8 AS n FROM article_entities x JOIN entities e ON e.id = x.entity_id JOIN articles a ON a.id = x.article_id \
             WHERE e.slug = 'biden-administration' AND a.slug = 'us-formally-rejects-russias-top-security-demands'",
        )
        .await;
    assert_eq!(
        linked, 2,
        "the seed story names the Biden administration twice"
    );
    // The explicit links stay `about`.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM article_entities x JOIN entities e ON e.id = x.entity_id WHERE e.slug = 'antony-blinken' AND x.rel = 'about'").await,
        1
    );
}

#[actix_web::test]
async fn keys_are_created_listed_and_revoked_from_the_command_line() {
    let app = TestApp::empty().await;
    let (ok, created) = dateline(
        &app,
        &["keys", "create", "--name", "newsroom", "--scope", "write"],
    )
    .await;
    assert!(ok, "{created}");
    let key = created
        .lines()
        .find(|l| l.starts_with("dl_"))
        .expect("the key is printed")
        .to_owned();
    assert!(key.len() >= 40, "at least 128 random bits: {key}");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM api_keys WHERE key_hash = sha256('{key}'::bytea)"
        ))
        .await,
        1,
        "only the hash is stored"
    );
    let (_, listed) = dateline(&app, &["keys", "list"]).await;
    assert!(
        listed.contains(&key[..10]) && listed.contains("newsroom") && !listed.contains(&key),
        "{listed}"
    );
    let (ok, revoked) = dateline(&app, &["keys", "revoke", &key[..10]]).await;
    assert!(ok, "{revoked}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NOT NULL")
            .await,
        1
    );
    let (ok, _) = dateline(&app, &["keys", "revoke", &key[..10]]).await;
    assert!(!ok, "revoking twice is an error");
}

#[actix_web::test]
async fn an_import_line_with_a_bad_date_says_that_rfc_3339_is_expected() {
    let app = TestApp::empty().await;
    let dir = std::env::temp_dir().join(format!("dateline-import-date-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("dates.ndjson");
    std::fs::write(
        &file,
        concat!(
            r#"{"headline": "Good", "url": "https://example.com/good", "published_at": "1987-03-02T10:00:00Z"}"#,
            "\n",
            r#"{"headline": "Bad", "url": "https://example.com/bad", "published_at": " 2-MAR-1987 10:00:00.00"}"#,
            "\n",
        ),
    )
    .unwrap();
    let (ok, output) = dateline(&app, &["import", file.to_str().unwrap()]).await;
    std::fs::remove_dir_all(&dir).ok();
    assert!(!ok, "{output}");
    let line = output
        .lines()
        .find(|l| l.contains("dates.ndjson:2:"))
        .unwrap_or_else(|| panic!("{output}"));
    assert!(line.contains("published_at"), "{line}");
    assert!(line.contains("RFC 3339"), "{line}");
    assert!(output.contains("1 created"), "{output}");
}
