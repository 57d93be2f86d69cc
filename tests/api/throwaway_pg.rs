//! A PostgreSQL cluster for one test run, from the machine's server binaries.

use std::process::{Command, Stdio};

use dateline::local_pg::LocalPostgres;

/// A cluster in a fresh temporary directory that stops and disappears once this process exits,
/// however it exits: a watchdog process waits for ours to end, then stops the server and removes
/// the directory.
pub fn throwaway() -> Result<LocalPostgres, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let top = std::env::temp_dir().join(format!("dateline-pg-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&top).map_err(|e| format!("cannot create {}: {e}", top.display()))?;
    let mut cluster = LocalPostgres::start(&top.join("data"))?;
    let stop = format!(
        "{} -D \"$1\" -m immediate stop",
        cluster.tool_command("pg_ctl")
    );
    let script = format!(
        "while kill -0 \"$0\" 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf \"$2\""
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(std::process::id().to_string())
        .arg(cluster.data_dir())
        .arg(&top)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the cluster's watchdog: {e}"))?;
    // The watchdog owns the shutdown now.
    cluster.leave_running();
    Ok(cluster)
}
