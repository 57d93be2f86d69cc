//! The command line: `serve`, `migrate`, `demo`, `openapi`.

use clap::{Parser, Subcommand};

use crate::config::{DatabaseSettings, ServerSettings};
use crate::vocab::Scope;

/// dateline: a REST JSON API for news metadata.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database and serve the API.
    Serve {
        #[command(flatten)]
        db: DatabaseSettings,
        #[command(flatten)]
        server: Box<ServerSettings>,
        /// Load the demo data set before serving (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate {
        #[command(flatten)]
        db: DatabaseSettings,
    },
    /// Load the demo data set: the reference TURAN story, its sidebar and a HuffPost sample (idempotent).
    Demo {
        #[command(flatten)]
        db: DatabaseSettings,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Import articles: NDJSON of the `POST /v1/articles` body, IPTC ninjs 2.x/3.x documents, or
    /// HuffPost News Category JSON Lines. Idempotent; exits non-zero if any item failed.
    Import {
        #[command(flatten)]
        db: DatabaseSettings,
        /// Files to import.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Link every stored article again to the entities its text names (after the gazetteer grew).
    Relink {
        #[command(flatten)]
        db: DatabaseSettings,
    },
    /// Manage the topic taxonomy.
    Topics {
        #[command(flatten)]
        db: DatabaseSettings,
        #[command(subcommand)]
        action: TopicsCommand,
    },
    /// Manage API keys: writes need one with the `write` scope.
    Keys {
        #[command(flatten)]
        db: DatabaseSettings,
        #[command(subcommand)]
        action: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TopicsCommand {
    /// Load IPTC Media Topics (codes, English labels, definitions, hierarchy) from IPTC's JSON
    /// (`cptall-en-GB.json`). Topics are matched by code; running it twice changes nothing.
    ImportIptc {
        /// The IPTC Media Topics JSON file.
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it; it is shown this once and stored only as a hash.
    Create {
        /// What the key is for, e.g. the newsroom or integration that uses it.
        #[arg(long)]
        name: String,
        /// What the key may do; repeat for several.
        #[arg(long = "scope", value_enum, required = true)]
        scopes: Vec<Scope>,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by id or by the prefix `keys list` shows.
    Revoke {
        /// The key's id or prefix.
        key: String,
    },
}
