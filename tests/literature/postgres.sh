#!/usr/bin/env bash
# A throwaway PostgreSQL server for the case-library store tests.
#
#   tests/literature/postgres.sh start   # prints the URL, e.g. postgresql://postgres@127.0.0.1:54329/postgres
#   export OSTEODX_TEST_POSTGRES_URL=$(tests/literature/postgres.sh start)
#   tests/literature/postgres.sh stop    # stops the server and deletes its folder
#
# The cluster lives in a temporary folder (OSTEODX_PG_DIR, default $TMPDIR/osteodx-test-pg), listens
# only on 127.0.0.1 with trust authentication, and is never the system's own cluster. When the
# server binaries are missing and this runs as root, the Debian package `postgresql` is installed.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user.
set -euo pipefail

DIR=${OSTEODX_PG_DIR:-${TMPDIR:-/tmp}/osteodx-test-pg}
LOG=$DIR.log

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local bin port
  if ! bin=$(find_bin); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 \
        || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2; }
      bin=$(find_bin)
    else
      echo "error: PostgreSQL server binaries not found; fix: apt-get install postgresql" >&2
      exit 2
    fi
  fi
  if [ -f "$DIR/url" ] && as_owner "$bin/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    cat "$DIR/url"
    return 0
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" --shell /bin/sh postgres
    chown postgres "$DIR"
    : > "$LOG" && chown postgres "$LOG"
  fi
  port=$(free_port)
  as_owner "$bin/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >"$LOG" 2>&1
  as_owner "$bin/pg_ctl" -D "$DIR/data" -l "$LOG" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$DIR -c fsync=off" \
    start >/dev/null
  echo "postgresql://postgres@127.0.0.1:$port/postgres" | tee "$DIR/url" >/dev/null
  [ "$(id -u)" = 0 ] && chown postgres "$DIR/url"
  cat "$DIR/url"
}

stop() {
  local bin
  if [ -d "$DIR/data" ] && bin=$(find_bin); then
    as_owner "$bin/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR" "$LOG"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
