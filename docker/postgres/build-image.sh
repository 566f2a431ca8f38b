#!/usr/bin/env bash
# docker/postgres/build-image.sh [TAG]
#
# Builds a local PostgreSQL image for machines that reach no image registry: a minimal rootfs of
# this machine's PostgreSQL binaries (PG_BIN, default the newest /usr/lib/postgresql/*/bin), the
# shared libraries ldd names for them, dash as /bin/sh, the few tools the entrypoint needs, a
# postgres user (uid 999 as in the official image) and locale C.UTF-8; then `docker build` of
# Dockerfile beside this script (FROM scratch, ADD rootfs.tar, entrypoint, STOPSIGNAL SIGINT).
# Default TAG: chaos/postgres:<major>-local; the tag is the only thing printed on stdout
# (CHAOS_PG_IMAGE=$(docker/postgres/build-image.sh)), what it does goes to stderr. Skips the build when TAG already carries the same
# content hash (this script, the Dockerfile, the entrypoint and the path, size and mtime of every
# file that goes in). Elsewhere Testcontainers pulls the official postgres image as usual.
# Left out: JIT (llvmjit.so and its bitcode, which would pull in libLLVM): jit is then unavailable.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
say() { echo "build-image.sh: $*" >&2; } # messages on stderr; stdout is the tag alone
die() { say "error: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
t0=$(now_ms)

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -n "$PG_BIN" ] && [ -x "$PG_BIN/postgres" ] || die "no PostgreSQL binaries (set PG_BIN or apt-get install postgresql)"
version=$("$PG_BIN/postgres" -V | awk '{print $3}')
major=${version%%.*}
TAG=${1:-chaos/postgres:$major-local}
PG_ROOT=$(dirname "$PG_BIN")
PG_SHARE=$("$PG_BIN/pg_config" --sharedir 2>/dev/null || echo "/usr/share/postgresql/$major")
PG_LIB=$("$PG_BIN/pg_config" --pkglibdir 2>/dev/null || echo "$PG_ROOT/lib")
command -v docker >/dev/null || die "no docker CLI"
timeout 10 docker info >/dev/null 2>&1 || die "no Docker daemon answers (.ci/dockerd.sh start)"
say "PostgreSQL $version from $PG_BIN -> image $TAG"

# --- what goes in -----------------------------------------------------------------------------
trees=("$PG_BIN" "$PG_SHARE" /usr/share/zoneinfo /usr/lib/locale/C.utf8)
tools=(dash id mkdir chown chmod install cat ls rm sleep env setpriv ps kill) # install: WithSsl
tool_paths=()
for t in "${tools[@]}"; do
  p=$(type -P "$t") || die "tool $t not found"
  tool_paths+=("$(realpath "$p")")
done
# pkglibdir without JIT
mapfile -t libfiles < <(find "$PG_LIB" -mindepth 1 -maxdepth 1 \( -name 'llvmjit*' -o -name bitcode \) -prune -o -print | sort)
# every ELF file's shared libraries, as ldd resolves them
mapfile -t elves < <(find "$PG_BIN" "$PG_LIB" -maxdepth 1 -type f \( -perm -u+x -o -name '*.so' \) ! -name 'llvmjit*' | sort; printf '%s\n' "${tool_paths[@]}")
mapfile -t libs < <(for f in "${elves[@]}"; do ldd "$f" 2>/dev/null || true; done |
  awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
[ ${#libs[@]} -gt 0 ] || die "ldd found no libraries"

# --- content hash: skip when the image has it ---------------------------------------------------
hash=$( {
  cat "$0" "$here/Dockerfile" "$here/docker-entrypoint.sh"
  find "${trees[@]}" "${libfiles[@]}" -printf '%p %s %T@\n' 2>/dev/null | sort
  for f in "${tool_paths[@]}" "${libs[@]}"; do stat -L -c '%n %s %Y' "$f"; done
} | sha256sum | cut -c1-16)
old_id=$(docker image inspect "$TAG" --format '{{.Id}}' 2>/dev/null || true)
old_hash=$(docker image inspect "$TAG" --format '{{index .Config.Labels "chaos.content-hash"}}' 2>/dev/null || true)
if [ "$old_hash" = "$hash" ]; then
  say "$TAG is up to date (content hash $hash, ${old_id:7:12}); nothing to do ($(($(now_ms) - t0)) ms)"
  echo "$TAG"
  exit 0
fi
say "content hash $hash${old_hash:+ (image has $old_hash)}: building"

# --- rootfs -----------------------------------------------------------------------------------
work=$(mktemp -d /tmp/chaos-pg-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root ctx=$work/ctx
mkdir -p "$root" "$ctx"
for d in bin lib lib64 sbin; do # merged /usr as on the host
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"; fi
done
mkdir -p "$root"/{usr/bin,usr/lib,usr/lib64,usr/sbin,etc,tmp,root,proc,sys,dev,run/postgresql,var/lib/postgresql/data,docker-entrypoint-initdb.d,usr/local/bin}
ln -s ../run "$root/var/run"
copy_file() { # SRC: to the same path in the rootfs, directories resolved, file content dereferenced
  local dir; dir=$(realpath "$(dirname "$1")")
  mkdir -p "$root$dir"
  cp -L --preserve=mode,timestamps "$1" "$root$dir/$(basename "$1")"
}
for t in "${trees[@]}"; do
  mkdir -p "$root$(dirname "$t")"; cp -a "$t" "$root$(dirname "$t")/"
done
rm -rf "$root/usr/share/zoneinfo/right" # leap-second variants: not used
mkdir -p "$root$PG_LIB"
for f in "${libfiles[@]}"; do cp -a "$f" "$root$PG_LIB/"; done
for f in "${tool_paths[@]}" "${libs[@]}"; do copy_file "$f"; done
ln -sf dash "$root/usr/bin/sh"
printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\npostgres:x:999:\n' >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
printf 'PostgreSQL %s from %s, built %s by docker/postgres/build-image.sh, content hash %s\n' \
  "$version" "$(dpkg -S "$PG_BIN/postgres" 2>/dev/null | cut -d: -f1 || echo host)" "$(date -u +%FT%TZ)" "$hash" >"$root/etc/chaos-image"
chmod 1777 "$root/tmp"
chmod 700 "$root/var/lib/postgresql/data" "$root/root"
chmod 2775 "$root/run/postgresql"
chown -R 999:999 "$root/var/lib/postgresql" "$root/run/postgresql"
# smoke test of the rootfs before it goes anywhere
chroot "$root" /usr/bin/env -i PATH="$PG_BIN:/usr/bin:/bin" /bin/sh -c \
  'postgres -V && initdb -V && pg_isready -V && psql -V && setpriv --version && id -u postgres' >/dev/null ||
  die "the rootfs cannot run its programs (a missing library?)"
t1=$(now_ms)
tar --numeric-owner -C "$root" -cf "$ctx/rootfs.tar" .
cp "$here/Dockerfile" "$here/docker-entrypoint.sh" "$ctx/"
chmod 755 "$ctx/docker-entrypoint.sh"
say "rootfs: ${#libs[@]} shared libraries, $(du -sm "$root" | cut -f1) MB, made in $((t1 - t0)) ms, tarred in $(($(now_ms) - t1)) ms"

# --- image --------------------------------------------------------------------------------------
t2=$(now_ms)
# the legacy builder: the same on Docker 20.10 and on newer CLIs without buildx
if ! DOCKER_BUILDKIT=0 docker build -q --build-arg "PG_MAJOR=$major" --build-arg "CONTENT_HASH=$hash" \
  -t "$TAG" "$ctx" >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  die "docker build failed"
fi
new_id=$(docker image inspect "$TAG" --format '{{.Id}}')
say "built $TAG (${new_id:7:12}) in $(($(now_ms) - t2)) ms of docker build, $(($(now_ms) - t0)) ms in all"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  docker rmi "$old_id" >/dev/null 2>&1 && say "removed the previous $TAG (${old_id:7:12})" ||
    say "the previous $TAG (${old_id:7:12}) is still used by a container; left it"
fi
echo "$TAG"
