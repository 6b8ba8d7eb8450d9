#!/usr/bin/env bash
# Entrypoint of the PostgreSQL stand-in image: the official postgres image's interface, on
# Debian's PostgreSQL. On an empty PGDATA: initdb as POSTGRES_USER with POSTGRES_PASSWORD,
# password authentication for TCP clients, POSTGRES_DB created, /docker-entrypoint-initdb.d run
# against a server listening on the socket only; then `postgres` in the foreground.
set -Eeuo pipefail

# VAR or VAR_FILE (Docker/Kubernetes secrets as files), not both.
file_env() {
  local var="$1" file_var="${1}_FILE" default="${2:-}"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo "error: both $var and $file_var are set (but are exclusive)" >&2
    exit 1
  fi
  local value="$default"
  if [ -n "${!var:-}" ]; then
    value="${!var}"
  elif [ -n "${!file_var:-}" ]; then
    value="$(< "${!file_var}")"
  fi
  export "$var"="$value"
  unset "$file_var"
}

setup_env() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
  export POSTGRES_HOST_AUTH_METHOD
}

create_directories() {
  mkdir -p "$PGDATA"
  chmod 00700 "$PGDATA" 2>/dev/null || true
  mkdir -p /var/run/postgresql
  chmod 03775 /var/run/postgresql 2>/dev/null || true
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
  fi
}

# initdb needs a passwd entry for the running UID; an arbitrary UID (Kubernetes runAsUser) has
# none, so one is faked with nss_wrapper for the duration of initdb only.
init_database_dir() {
  local wrapper=""
  if ! getent passwd "$(id -u)" >/dev/null 2>&1; then
    for candidate in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
      [ -s "$candidate" ] && wrapper="$candidate" && break
    done
  fi
  if [ -n "$wrapper" ]; then
    NSS_WRAPPER_PASSWD="$(mktemp)"
    NSS_WRAPPER_GROUP="$(mktemp)"
    export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    printf 'postgres:x:%s:%s:PostgreSQL:%s:/bin/false\n' "$(id -u)" "$(id -g)" "$PGDATA" \
      > "$NSS_WRAPPER_PASSWD"
    printf 'postgres:x:%s:\n' "$(id -g)" > "$NSS_WRAPPER_GROUP"
  fi
  # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of arguments
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
    $POSTGRES_INITDB_ARGS
  if [ -n "$wrapper" ]; then
    rm -f "$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP"
    unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
  fi
}

run_init_files() {
  local f
  shopt -s nullglob
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then
          echo "$0: running $f"
          "$f"
        else
          echo "$0: sourcing $f"
          # shellcheck disable=SC1090
          . "$f"
        fi
        ;;
      *.sql)
        echo "$0: running $f"
        psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$POSTGRES_DB" -f "$f"
        ;;
      *) echo "$0: ignoring $f" ;;
    esac
  done
  shopt -u nullglob
}

initialise() {
  if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    echo "error: database is uninitialized and POSTGRES_PASSWORD is not set" >&2
    echo "       (set it, or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection)" >&2
    exit 1
  fi
  init_database_dir
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"
  export PGUSER="$POSTGRES_USER" PGPASSWORD="$POSTGRES_PASSWORD"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
  if [ "$POSTGRES_DB" != postgres ]; then
    local exists
    exists="$(psql --no-psqlrc --dbname postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$POSTGRES_DB'")"
    [ "$exists" = 1 ] || psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres \
      -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  run_init_files
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD
  echo "$0: PostgreSQL init process complete; ready for start up."
}

if [ "${1:0:1}" = '-' ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ]; then
  setup_env
  create_directories
  if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
  fi
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initialise
  else
    echo "$0: PostgreSQL database directory appears to contain a database; skipping initialization"
  fi
fi

exec "$@"
