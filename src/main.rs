use std::process::ExitCode;

use clap::Parser;
use dateline::cli::{Cli, Command, KeysCommand, TopicsCommand};
use dateline::ingest::{demo, import, iptc, relink};
use dateline::startup::{Application, Database};
use dateline::store::keys as api_keys;
use dateline::{db, openapi};

/// mimalloc gives memory back to the system after a burst (a flood of stalled connections, a
/// large batch); glibc's allocator kept it (`dateline::allocator`, docs/reliability.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    dateline::allocator::return_freed_memory_at_once();
    dateline::startup::init_logging();
    let result = match Cli::parse().command {
        Command::Serve { db, server, demo } => serve(&db, &server, demo),
        Command::Migrate { db } => {
            Database::open(&db).map(|_| println!("migrations are up to date"))
        }
        Command::Demo { db } => Database::open(&db).and_then(|database| load_demo(&database.url)),
        Command::Import { db, files } => {
            Database::open(&db).and_then(|database| import(&database.url, &files))
        }
        Command::Relink { db } => Database::open(&db).and_then(|database| relink(&database.url)),
        Command::Topics {
            db,
            action: TopicsCommand::ImportIptc { file },
        } => Database::open(&db).and_then(|database| import_iptc(&database.url, &file)),
        Command::Keys { db, action } => {
            Database::open(&db).and_then(|database| keys(&database.url, action))
        }
        Command::Openapi => {
            print!("{}", openapi::spec_json());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(
    db_settings: &dateline::config::DatabaseSettings,
    server: &dateline::config::ServerSettings,
    with_demo: bool,
) -> Result<(), String> {
    let database = Database::open(db_settings)?;
    if with_demo {
        load_demo(&database.url)?;
    }
    actix_web::rt::System::new().block_on(async {
        let databases = db::Databases {
            primary: db::build_pool_with(&database.url, server.pool())?,
            replica: match &server.database_replica_url {
                Some(url) => Some(db::build_pool_with(url, server.pool())?),
                None => None,
            },
        };
        let app = Application::build(server, databases, &database.url)
            .map_err(|e| format!("cannot listen on {}:{}: {e}", server.host, server.port))?;
        let base = format!("http://{}:{}", server.host, app.port());
        println!("dateline is serving on {base}");
        println!("  API docs:          {base}/docs/");
        println!(
            "  reference article: {base}/v1/articles/{}",
            demo::SEED_ARTICLE_SLUG
        );
        println!("  latest news:       {base}/v1/articles?limit=10");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

fn load_demo(database_url: &str) -> Result<(), String> {
    with_connection(database_url, async |conn| {
        let report = demo::load(conn)
            .await
            .map_err(|e| format!("loading the demo data failed: {e}"))?;
        println!("demo data: {report}");
        Ok(())
    })
}

fn keys(database_url: &str, action: KeysCommand) -> Result<(), String> {
    with_connection(database_url, async |conn| {
        match action {
            KeysCommand::Create { name, scopes } => {
                let (key, row) = api_keys::create_key(conn, &name, &scopes).await?;
                eprintln!(
                    "created key {} ({}) for {name}; it is shown only now:",
                    row.id.0, row.prefix
                );
                println!("{key}");
            }
            KeysCommand::List => {
                let rows = api_keys::list_keys(conn).await.map_err(|e| e.to_string())?;
                println!(
                    "{:>4}  {:<12} {:<14} {:<26} name",
                    "id", "prefix", "scopes", "revoked"
                );
                for row in rows {
                    let scopes: Vec<String> = row.scopes.into_iter().flatten().collect();
                    let revoked = row
                        .revoked_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_else(|| "-".to_owned());
                    println!(
                        "{:>4}  {:<12} {:<14} {:<26} {}",
                        row.id.0,
                        row.prefix,
                        scopes.join(","),
                        revoked,
                        row.name
                    );
                }
            }
            KeysCommand::Revoke { key } => {
                let revoked = api_keys::revoke_key(conn, &key)
                    .await
                    .map_err(|e| e.to_string())?;
                if revoked == 0 {
                    return Err(format!("no active key `{key}`"));
                }
                println!("revoked {revoked} key(s)");
            }
        }
        Ok(())
    })
}

fn import(database_url: &str, files: &[std::path::PathBuf]) -> Result<(), String> {
    with_connection(database_url, async |conn| {
        let report = import::import_files(conn, files).await?;
        println!("import: {report}");
        if report.failed > 0 {
            return Err(format!("{} item(s) failed", report.failed));
        }
        Ok(())
    })
}

fn relink(database_url: &str) -> Result<(), String> {
    with_connection(database_url, async |conn| {
        let changed = relink::relink_all(conn).await.map_err(|e| e.to_string())?;
        println!("relink: {changed} article(s) changed");
        Ok(())
    })
}

fn import_iptc(database_url: &str, file: &std::path::Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    with_connection(database_url, async |conn| {
        let report = iptc::import_media_topics(conn, &text).await?;
        println!("topics: {report}");
        Ok(())
    })
}

/// Runs `work` with one database connection, on a runtime of its own.
fn with_connection<T>(
    database_url: &str,
    work: impl AsyncFnOnce(&mut db::DbConn) -> Result<T, String>,
) -> Result<T, String> {
    actix_web::rt::System::new().block_on(async {
        let pool = db::build_pool(database_url, 1)?;
        let mut conn = pool
            .get()
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        work(&mut conn).await
    })
}
