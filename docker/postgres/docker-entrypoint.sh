#!/bin/sh
# Entrypoint of the local chaos/postgres image: as much of the official postgres image's
# docker-entrypoint.sh as Testcontainers.PostgreSql and the harness use, for /bin/sh (dash).
#
#   POSTGRES_PASSWORD   required (unless POSTGRES_HOST_AUTH_METHOD=trust): the superuser's password
#   POSTGRES_USER       superuser name (default postgres)
#   POSTGRES_DB         database created at first start (default: POSTGRES_USER)
#   POSTGRES_INITDB_ARGS extra initdb arguments, split on spaces
#   POSTGRES_HOST_AUTH_METHOD  auth method of the "host all all all" line (default scram-sha-256)
#   PGDATA              data directory (default /var/lib/postgresql/data)
#   /docker-entrypoint-initdb.d/*.sql and *.sh run once after initdb, on a unix-socket-only server
#
# Arguments that start with "-" are passed to postgres (`-c fsync=off` from Testcontainers).
# postgres ends up as PID 1 through exec, so `docker stop` (SIGINT, the image's STOPSIGNAL) is a
# fast shutdown, `docker kill -s QUIT` an immediate shutdown and `docker kill` a crash.
set -eu

PGDATA=${PGDATA:-/var/lib/postgresql/data}
export PGDATA

if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  # As root: own the data and socket directories (a fresh bind mount is root's), then drop to postgres.
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 2775 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo "docker-entrypoint: error: POSTGRES_PASSWORD is not set (or set POSTGRES_HOST_AUTH_METHOD=trust)" >&2
    exit 1
  fi
  echo "docker-entrypoint: initdb in $PGDATA for user \"$user\", database \"$db\", host auth $auth"
  pwfile=/tmp/.pwfile.$$
  (umask 077; printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile")
  # shellcheck disable=SC2086
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host="$auth" \
    --encoding=UTF8 --locale=C.UTF-8 ${POSTGRES_INITDB_ARGS:-} >/tmp/initdb.log 2>&1 ||
    { cat /tmp/initdb.log >&2; rm -f "$pwfile"; exit 1; }
  rm -f "$pwfile"
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

  scripts=
  for f in /docker-entrypoint-initdb.d/*; do [ -e "$f" ] && scripts=yes && break; done
  if [ "$db" != postgres ] || [ -n "$scripts" ]; then
    # A server on the unix socket only: readiness checks over TCP (pg_isready --host localhost)
    # do not see it, so they wait for the real server below.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w -s start
    if [ "$db" != postgres ]; then
      printf 'CREATE DATABASE :"db";\n' |
        psql -v ON_ERROR_STOP=1 -q --username "$user" --dbname postgres --set db="$db"
    fi
    for f in /docker-entrypoint-initdb.d/*; do
      case $f in
        *.sql) echo "docker-entrypoint: running $f"; psql -v ON_ERROR_STOP=1 -q --username "$user" --dbname "$db" -f "$f" ;;
        *.sh) echo "docker-entrypoint: running $f"; . "$f" ;;
        *) [ ! -e "$f" ] || echo "docker-entrypoint: ignoring $f" ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w -s stop
  fi
  echo "docker-entrypoint: init done; starting postgres"
fi

exec "$@"
