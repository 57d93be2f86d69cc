# Sourced by scripts/demo, scripts/test and .ci/run: installs what a fresh Debian or Ubuntu machine
# with only the Rust toolchain lacks (a C linker, the PostgreSQL server binaries).

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "error: root is needed to run: $*" >&2; return 1
  fi
}

apt_install() {
  echo "==> installing $* (apt-get)" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# The same places dateline itself looks (src/local_pg.rs).
have_postgres_server() {
  local dir
  for dir in "$(pg_config --bindir 2>/dev/null)" /usr/lib/postgresql/*/bin /usr/local/pgsql/bin /opt/homebrew/bin; do
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && return 0
  done
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}

ensure_prereqs() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found; install Rust from https://rustup.rs" >&2
    return 1
  fi
  local missing=()
  command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
  have_postgres_server || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] && return 0
  if command -v apt-get >/dev/null 2>&1; then
    apt_install "${missing[@]}"
  elif command -v brew >/dev/null 2>&1; then
    brew install postgresql@16
  else
    echo "error: please install: ${missing[*]} (PostgreSQL server binaries: initdb, pg_ctl, postgres)" >&2
    return 1
  fi
}
