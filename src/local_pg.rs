//! The embedded default: a private PostgreSQL cluster run from the machine's own server binaries,
//! listening only on a Unix socket inside its data directory.
//!
//! `initdb` and `postgres` refuse to run as root; when we are root they run as the `postgres`
//! system user (through `runuser`) and the data directory is made theirs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SOCKET_PORT: u16 = 5432;
const SUPERUSER: &str = "postgres";

pub const INSTALL_HINT: &str = "dateline needs the PostgreSQL server binaries (initdb, pg_ctl, postgres) \
to run its own database, and none were found (looked in `pg_config --bindir`, /usr/lib/postgresql/*/bin, \
/usr/local/pgsql/bin, /opt/homebrew/bin and PATH). Install them and run again: on Debian or Ubuntu \
`sudo apt-get install -y postgresql`, on macOS `brew install postgresql@16`. \
Or point dateline at an existing server with DATABASE_URL=postgres://user@host/db.";

/// A cluster this process started (stopped on drop) or found already running (left running).
#[derive(Debug)]
pub struct LocalPostgres {
    bindir: PathBuf,
    data_dir: PathBuf,
    started_here: bool,
}

impl LocalPostgres {
    /// Initialises `data_dir` on first use, starts the server unless one already runs on it, and
    /// waits until it accepts connections.
    pub fn start(data_dir: &Path) -> Result<Self, String> {
        let bindir = find_bindir().ok_or_else(|| INSTALL_HINT.to_owned())?;
        let data_dir = absolute(data_dir)?;
        check_socket_dir(&data_dir)?;
        let cluster = Self {
            bindir,
            data_dir,
            started_here: false,
        };
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        if cluster.is_running() {
            log::info!(
                "reusing the PostgreSQL server already running on {}",
                cluster.data_dir.display()
            );
            return Ok(cluster);
        }
        let socket_dir = cluster.data_dir.display().to_string();
        let options = format!(
            "-c listen_addresses='' -c unix_socket_directories='{socket_dir}' -p {SOCKET_PORT}"
        );
        let log_file = cluster.data_dir.join("server.log");
        cluster
            .run_tool(
                "pg_ctl",
                &[
                    "-D".as_ref(),
                    cluster.data_dir.as_os_str(),
                    "-l".as_ref(),
                    log_file.as_os_str(),
                    "-o".as_ref(),
                    options.as_ref(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "60".as_ref(),
                    "start".as_ref(),
                ],
            )
            .map_err(|e| format!("{e}\nsee {} for the server's own log", log_file.display()))?;
        let mut cluster = cluster;
        cluster.started_here = true;
        Ok(cluster)
    }

    /// The command line that runs one of the server's tools as the cluster's owner (through
    /// `runuser` when we are root), for a script that outlives this process.
    pub fn tool_command(&self, tool: &str) -> String {
        let program = self.bindir.join(tool);
        if is_root() {
            format!("runuser -u {SUPERUSER} -- \"{}\"", program.display())
        } else {
            format!("\"{}\"", program.display())
        }
    }

    /// Leaves the server running when this value is dropped: something else owns its shutdown.
    pub fn leave_running(&mut self) {
        self.started_here = false;
    }

    /// A connection URL for `database` on this cluster's socket.
    /// No host in the authority: tokio-postgres would try it (TCP to localhost) before the socket.
    pub fn url(&self, database: &str) -> String {
        let dir = self.data_dir.display().to_string();
        let host = percent_encoding::utf8_percent_encode(&dir, percent_encoding::NON_ALPHANUMERIC);
        format!("postgres:///{database}?user={SUPERUSER}&host={host}&port={SOCKET_PORT}")
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Makes sure `database` exists (the embedded cluster only has `postgres` at first).
    pub fn ensure_database(&self, database: &str) -> Result<(), String> {
        let psql = self.bindir.join("psql");
        let exists = Command::new(&psql)
            .args(["-X", "-A", "-t", "-h"])
            .arg(&self.data_dir)
            .args([
                "-p",
                &SOCKET_PORT.to_string(),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
                "-c",
            ])
            .arg(format!(
                "SELECT 1 FROM pg_database WHERE datname = '{}'",
                database.replace('\'', "''")
            ))
            .output()
            .map_err(|e| format!("cannot run {}: {e}", psql.display()))?;
        if String::from_utf8_lossy(&exists.stdout).trim() == "1" {
            return Ok(());
        }
        let status = Command::new(self.bindir.join("createdb"))
            .arg("-h")
            .arg(&self.data_dir)
            .args(["-p", &SOCKET_PORT.to_string(), "-U", SUPERUSER, database])
            .status()
            .map_err(|e| format!("cannot run createdb: {e}"))?;
        status
            .success()
            .then_some(())
            .ok_or_else(|| format!("createdb {database} failed"))
    }

    /// Stops the server if this process started it.
    pub fn stop(&mut self) {
        if !self.started_here {
            return;
        }
        self.started_here = false;
        let args = [
            "-D".as_ref(),
            self.data_dir.as_os_str(),
            "-m".as_ref(),
            "fast".as_ref(),
            "stop".as_ref(),
        ];
        if let Err(e) = self.run_tool("pg_ctl", &args) {
            log::warn!("stopping PostgreSQL: {e}");
        }
    }

    fn is_running(&self) -> bool {
        let args = ["-D".as_ref(), self.data_dir.as_os_str(), "status".as_ref()];
        self.run_tool("pg_ctl", &args).is_ok()
    }

    fn init(&self) -> Result<(), String> {
        log::info!(
            "initialising a PostgreSQL cluster in {}",
            self.data_dir.display()
        );
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| format!("cannot create {}: {e}", self.data_dir.display()))?;
        if is_root() {
            hand_to_postgres_user(&self.data_dir)?;
        }
        // Byte-order collation (fast, and what keyset pagination by slug expects) with a UTF-8
        // character classification, so that lower() and the full-text parser understand
        // non-ASCII letters; plain C where the system has no UTF-8 C locale.
        let mut last_error = String::new();
        for ctype in ["C.UTF-8", "en_US.UTF-8", "C"] {
            let lc_ctype = format!("--lc-ctype={ctype}");
            let attempt = self.run_tool(
                "initdb",
                &[
                    "-D".as_ref(),
                    self.data_dir.as_os_str(),
                    "-U".as_ref(),
                    SUPERUSER.as_ref(),
                    "--auth=trust".as_ref(),
                    "-E".as_ref(),
                    "UTF8".as_ref(),
                    "--locale=C".as_ref(),
                    lc_ctype.as_ref(),
                ],
            );
            match attempt {
                Ok(()) => return Ok(()),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    fn run_tool(&self, tool: &str, args: &[&std::ffi::OsStr]) -> Result<(), String> {
        let program = self.bindir.join(tool);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", SUPERUSER, "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let output = command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

impl Drop for LocalPostgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where the server binaries are: `pg_config --bindir`, the distributions' usual paths, then PATH.
pub fn find_bindir() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    // Newest major version first.
    debian.sort_by_key(|p| {
        std::cmp::Reverse(
            p.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0),
        )
    });
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    from_pg_config
        .into_iter()
        .chain(debian)
        .chain(
            [
                "/usr/local/pgsql/bin",
                "/opt/homebrew/bin",
                "/usr/local/bin",
            ]
            .map(PathBuf::from),
        )
        .chain(path_dirs)
        .find(|dir| has_server(dir))
}

/// The default data directory: the user's data directory, or /var/lib for root (whose home the
/// `postgres` user cannot enter).
pub fn default_data_dir() -> PathBuf {
    if is_root() {
        PathBuf::from("/var/lib/dateline/postgres")
    } else {
        dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("dateline")
            .join("postgres")
    }
}

/// The server's socket lives in the data directory: its path must fit a Unix socket address
/// (107 bytes) and the server's option syntax.
fn check_socket_dir(dir: &Path) -> Result<(), String> {
    let text = dir
        .to_str()
        .ok_or_else(|| format!("the data directory {} is not valid UTF-8", dir.display()))?;
    let socket = format!("{text}/.s.PGSQL.{SOCKET_PORT}");
    if socket.len() > 107 {
        return Err(format!(
            "the data directory {text} is too long to hold PostgreSQL's socket ({} bytes, at most 107); choose a shorter --data-dir",
            socket.len()
        ));
    }
    if text.contains(['\'', ',', '\\']) {
        return Err(format!(
            "the data directory {text} may not contain a quote, a comma or a backslash"
        ));
    }
    Ok(())
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    std::path::absolute(path).map_err(|e| format!("bad data directory {}: {e}", path.display()))
}

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

/// Gives the data directory to the `postgres` user and lets it reach it through its parents.
fn hand_to_postgres_user(data_dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mut dir = data_dir.parent();
    while let Some(d) = dir {
        if let Ok(meta) = std::fs::metadata(d) {
            let mode = meta.permissions().mode();
            if mode & 0o001 == 0 {
                log::warn!(
                    "letting the {SUPERUSER} user traverse {} (adding o+x) so it can reach its data directory",
                    d.display()
                );
                std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode | 0o001))
                    .map_err(|e| {
                        format!("cannot open {} to the postgres user: {e}", d.display())
                    })?;
            }
        }
        dir = d.parent();
    }
    let user = nix::unistd::User::from_name(SUPERUSER)
        .ok()
        .flatten()
        .ok_or_else(|| format!("running as root needs a `{SUPERUSER}` system user to run the server as; none exists"))?;
    std::os::unix::fs::chown(data_dir, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
        .map_err(|e| format!("cannot give {} to {SUPERUSER}: {e}", data_dir.display()))
}
