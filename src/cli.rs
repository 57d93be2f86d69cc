//! The command line: `serve`, `migrate`, `demo`, `openapi`.

use clap::{Parser, Subcommand};

use crate::config::{DatabaseSettings, ServerSettings};

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
        server: ServerSettings,
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
}
