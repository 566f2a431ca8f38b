#!/usr/bin/env bash
# .ci/dockerd.sh start|stop|status
#
# Runs a Docker daemon for the container server backend on a machine that has dockerd installed
# but no service manager to start it (Debian's docker.io under no systemd). Installs nothing.
#
# Starting dockerd CHANGES THE HOST'S NETWORK SETTINGS: it sets net.ipv4.ip_forward=1, sets the
# iptables FORWARD policy to DROP, adds the DOCKER, DOCKER-USER, DOCKER-ISOLATION-STAGE-1/2 chains
# in filter and DOCKER in nat with jump and MASQUERADE rules in the built-in chains, and creates the
# docker0 bridge. `start` records that state BEFORE it starts dockerd; `stop` stops the harness's
# containers (label chaos.run), stops dockerd (SIGTERM, then SIGKILL) and restores exactly what
# changed, then checks the network against the record. Both print one line for what they changed
# or restored. Both are safe to run twice; `stop` after a crashed or killed `start` restores too.
#
# A daemon this script did not start (docker info answers before `start`) is left alone, and so is
# the network: `stop` then only removes the chaos.run-labelled containers, networks and volumes.
#
# Environment:
#   CHAOS_DOCKERD_DIR      state directory (default /run/chaos-dockerd): pid file, log, snapshot
#   CHAOS_DOCKERD_ARGS     dockerd arguments (default: --ip=127.0.0.1, so a published port whose
#                          host address is not given binds to loopback, never to 0.0.0.0)
#   CHAOS_DOCKERD_TIMEOUT  seconds to wait for `docker info` at start and for dockerd to exit (30)
set -euo pipefail

DIR=${CHAOS_DOCKERD_DIR:-/run/chaos-dockerd}
PIDFILE=$DIR/dockerd.pid
LOG=$DIR/dockerd.log
BEFORE=$DIR/before          # snapshot of the network taken before dockerd was started by us
OWNED=$DIR/owned            # exists while a dockerd started by this script may be running
TIMEOUT=${CHAOS_DOCKERD_TIMEOUT:-30}
read -r -a DOCKERD_ARGS <<<"${CHAOS_DOCKERD_ARGS---ip=127.0.0.1}"
LABEL=chaos.run

say() { echo "dockerd.sh: $*"; }

# --- network snapshot ------------------------------------------------------------------------
# Rules without counters and comments, links by name, the sysctls dockerd writes.
save_rules() { # iptables|ip6tables
  if command -v "$1-save" >/dev/null 2>&1; then
    "$1-save" 2>/dev/null | grep -v '^#' | sed -E 's/ \[[0-9]+:[0-9]+\]$//' || true
  fi
}
sysctls() {
  local k
  for k in net.ipv4.ip_forward net.ipv6.conf.all.forwarding \
           net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables; do
    if [ -e "/proc/sys/${k//.//}" ]; then echo "$k=$(cat "/proc/sys/${k//.//}")"; fi
  done
}
links() { ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort; }
snapshot() { # DIR
  mkdir -p "$1"
  save_rules iptables >"$1/iptables"
  save_rules ip6tables >"$1/ip6tables"
  links >"$1/links"
  sysctls >"$1/sysctls"
  if command -v iptables >/dev/null 2>&1; then iptables -V 2>/dev/null >"$1/backend" || true; fi
}

# What differs between a snapshot and now, on one line.
describe() { # SNAPDIR
  local now d out=() fam t
  now=$(mktemp -d); snapshot "$now"
  while IFS='=' read -r k v; do
    local cur; cur=$(grep "^$k=" "$now/sysctls" | cut -d= -f2 || true)
    [ "$cur" = "$v" ] || out+=("$k $v->$cur")
  done <"$1/sysctls"
  for fam in iptables ip6tables; do
    for t in $(grep '^\*' "$now/$fam" | tr -d '*'); do
      d=$(table_of "$now/$fam" "$t")
      local old; old=$(table_of "$1/$fam" "$t")
      local pol
      for pol in $(echo "$d" | awk '/^:[^ ]+ [A-Z]+$/ {print substr($1,2) "=" $2}'); do
        local c=${pol%%=*} p=${pol#*=} op
        op=$(echo "$old" | awk -v c=":$c" '$1==c {print $2}')
        [ -n "$op" ] || op="ACCEPT(no table)"
        [ "${op%%(*}" = "$p" ] || out+=("$fam $t $c policy $op->$p")
      done
      local chains; chains=$(comm -13 <(echo "$old" | awk '/^:/ && $2=="-" {print substr($1,2)}' | sort) \
                                     <(echo "$d" | awk '/^:/ && $2=="-" {print substr($1,2)}' | sort) | paste -sd, -)
      [ -z "$chains" ] || out+=("$fam $t +chains $chains")
      local n; n=$(comm -13 <(echo "$old" | grep '^-A' | sort) <(echo "$d" | grep '^-A' | sort) | wc -l)
      [ "$n" -eq 0 ] || out+=("$fam $t +$n rules")
      if [ -z "$(grep -x "\*$t" "$1/$fam" || true)" ]; then out+=("$fam table $t created"); fi
    done
  done
  local l; l=$(comm -13 "$1/links" "$now/links" | paste -sd, -)
  [ -z "$l" ] || out+=("+links $l")
  rm -rf "$now"
  if [ ${#out[@]} -eq 0 ]; then echo "nothing"; else local IFS=';'; echo "${out[*]}" | sed 's/;/; /g'; fi
}
table_of() { # FILE TABLE: the lines of one table of an iptables-save dump
  awk -v t="*$2" '$0==t {on=1; next} /^COMMIT/ {on=0} on' "$1"
}

# --- daemon ---------------------------------------------------------------------------------
daemon_pid() { # pid of the dockerd this script started, if alive
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q dockerd || return 1
  echo "$pid"
}
reachable() { timeout 5 docker info >/dev/null 2>&1; }

start() {
  local pid
  if pid=$(daemon_pid); then
    say "already running (pid $pid, started by this script); nothing changed"
    wait_info || exit 1
    return 0
  fi
  if [ ! -f "$OWNED" ] && reachable; then
    say "a Docker daemon not started by this script answers; leaving it and the network alone"
    return 0
  fi
  command -v dockerd >/dev/null || { say "dockerd not installed (apt-get install docker.io)"; exit 1; }
  mkdir -p "$DIR"
  if [ -f "$BEFORE/sysctls" ]; then
    # An earlier start was not followed by stop: its snapshot is the pre-docker state; keep it.
    say "keeping the network snapshot of an earlier start that was not stopped ($BEFORE)"
  else
    rm -rf "$BEFORE.tmp"; snapshot "$BEFORE.tmp"; mv "$BEFORE.tmp" "$BEFORE"
  fi
  : >"$OWNED"
  [ ! -f "$LOG" ] || mv -f "$LOG" "$LOG.prev"
  rm -f "$PIDFILE"
  stop_orphan_containerd
  say "starting dockerd ${DOCKERD_ARGS[*]} (log $LOG); it changes the host network, 'stop' restores it"
  setsid dockerd --pidfile "$PIDFILE" "${DOCKERD_ARGS[@]}" </dev/null >>"$LOG" 2>&1 &
  if ! wait_info; then
    say "dockerd did not answer within ${TIMEOUT}s; last log lines:"
    tail -n 20 "$LOG" | sed 's/^/  /' || true
    stop
    exit 1
  fi
  say "changed: $(describe "$BEFORE")"
}

wait_info() {
  local t0 deadline=$((SECONDS + TIMEOUT))
  t0=$(date +%s%3N)
  while [ $SECONDS -lt $deadline ]; do
    if reachable; then
      say "ready in $(($(date +%s%3N) - t0)) ms, pid $(cat "$PIDFILE" 2>/dev/null || echo '?'), server API $(docker version --format '{{.Server.APIVersion}}' 2>/dev/null || echo '?')"
      return 0
    fi
    if [ -f "$PIDFILE" ] && ! daemon_pid >/dev/null; then break; fi # it died
    sleep 0.2
  done
  return 1
}

# Containers, networks and volumes labelled chaos.run (every run's): what a reaper removes.
reap_labelled() {
  reachable || { say "the daemon does not answer: containers labelled $LABEL, if any, are reaped at the next stop"; return 0; }
  local ids n=0
  ids=$(docker ps -aq --filter "label=$LABEL" || true)
  if [ -n "$ids" ]; then
    n=$(echo "$ids" | wc -l)
    # shellcheck disable=SC2086
    timeout 30 docker stop -t 5 $ids >/dev/null 2>&1 || true
    # shellcheck disable=SC2086
    docker rm -f -v $ids >/dev/null 2>&1 || true
  fi
  local nets vols
  nets=$(docker network ls -q --filter "label=$LABEL" || true)
  # shellcheck disable=SC2086
  [ -z "$nets" ] || docker network rm $nets >/dev/null 2>&1 || true
  vols=$(docker volume ls -q --filter "label=$LABEL" || true)
  # shellcheck disable=SC2086
  [ -z "$vols" ] || docker volume rm -f $vols >/dev/null 2>&1 || true
  say "removed $n container(s), $(echo -n "$nets" | grep -c . || true) network(s), $(echo -n "$vols" | grep -c . || true) volume(s) labelled $LABEL"
}

kill_bounded() { # PID NAME
  local pid=$1 name=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < TIMEOUT * 10; i++)); do
    alive "$pid" || { say "$name (pid $pid) exited after SIGTERM"; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
  say "$name (pid $pid) did not exit within ${TIMEOUT}s of SIGTERM: sent SIGKILL"
}

# Containers still running under containerd shims after dockerd died (SIGKILL, OOM): their PID 1s.
TASKS=/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby
leftover_inits() {
  local f pid
  for f in "$TASKS"/*/init.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null || true)
    if [ -n "$pid" ] && alive "$pid"; then echo "$pid"; fi
  done
}
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# dockerd's own containerd, left by a dockerd that was killed. A new dockerd trusts its pid file
# (kill -0 succeeds on a zombie not yet reaped) and then times out waiting for its socket.
CONTAINERD_PIDFILE=/run/docker/containerd/containerd.pid
stop_orphan_containerd() {
  local cpid
  cpid=$(cat "$CONTAINERD_PIDFILE" 2>/dev/null || true)
  if [ -n "$cpid" ] && alive "$cpid" && tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -q containerd; then
    kill_bounded "$cpid" "dockerd's containerd"
  fi
  rm -f "$CONTAINERD_PIDFILE"
}

stop() {
  local pid
  if [ ! -f "$OWNED" ] && [ ! -f "$BEFORE/sysctls" ]; then
    reap_labelled
    say "no dockerd started by this script; nothing to stop or restore"
    return 0
  fi
  if ! pid=$(daemon_pid) && [ -n "$(leftover_inits)" ]; then
    # dockerd died and left containers running: a new dockerd (no live-restore) kills them at
    # start and cleans up their mounts and network namespaces; then it is stopped as usual.
    say "dockerd is gone but left $(leftover_inits | wc -l) container(s) running: starting it again to clean up"
    rm -f "$PIDFILE"
    stop_orphan_containerd
    setsid dockerd --pidfile "$PIDFILE" "${DOCKERD_ARGS[@]}" </dev/null >>"$LOG" 2>&1 &
    wait_info || say "it did not come up; killing the containers' processes directly"
    pid=$(daemon_pid) || true
  fi
  if [ -n "${pid:-}" ]; then
    reap_labelled
    kill_bounded "$pid" dockerd
  else
    say "dockerd not running (never started, already stopped or crashed)"
  fi
  # what a killed dockerd leaves: its containerd, and shims with their containers
  stop_orphan_containerd
  local init shim
  for init in $(leftover_inits); do
    shim=$(awk '{print $4}' "/proc/$init/stat" 2>/dev/null || true)
    kill -KILL "$init" 2>/dev/null || true
    if [ -n "$shim" ] && tr '\0' ' ' <"/proc/$shim/cmdline" 2>/dev/null | grep -q 'containerd-shim.*-namespace moby'; then
      kill -KILL "$shim" 2>/dev/null || true
    fi
    say "killed container process $init and its shim ${shim:-?}"
  done
  rm -f "$PIDFILE" "$OWNED"
  if [ -f "$BEFORE/sysctls" ]; then
    restore
  else
    say "restored: nothing (no snapshot)"
  fi
}

restore() {
  local done=() fam t rule c
  # rules and chains dockerd added, per family and table
  for fam in iptables ip6tables; do
    command -v "$fam" >/dev/null 2>&1 || continue
    local now; now=$(save_rules "$fam")
    for t in $(echo "$now" | grep '^\*' | tr -d '*'); do
      local cur old; cur=$(table_of <(echo "$now") "$t"); old=$(table_of "$BEFORE/$fam" "$t")
      # rules in any chain that were not there before and belong to Docker
      local n=0
      while IFS= read -r rule; do
        [ -n "$rule" ] || continue
        if echo "$rule" | grep -qE -- '(DOCKER|docker0|br-[0-9a-f]{12})|-j MASQUERADE'; then
          eval "$fam -w -t $t -D ${rule#-A }" 2>/dev/null && n=$((n + 1))
        fi
      done < <(comm -13 <(echo "$old" | grep '^-A' | sort) <(echo "$cur" | grep '^-A' | sort) | grep -v '^-A DOCKER')
      # Docker's own chains that were not there before: flush all, then delete
      local chains
      chains=$(comm -13 <(echo "$old" | awk '/^:/ {print substr($1,2)}' | sort) \
                        <(echo "$cur" | awk '/^:DOCKER/ {print substr($1,2)}' | sort))
      for c in $chains; do $fam -w -t "$t" -F "$c" 2>/dev/null || true; done
      for c in $chains; do $fam -w -t "$t" -X "$c" 2>/dev/null || true; done
      [ "$n" -eq 0 ] || done+=("$fam $t -$n rules")
      [ -z "$chains" ] || done+=("$fam $t -chains $(echo "$chains" | paste -sd, -)")
      # built-in chain policies
      local line
      for line in $(echo "$cur" | awk '/^:[^ ]+ [A-Z]+$/ {print substr($1,2) "=" $2}'); do
        c=${line%%=*}
        local p=${line#*=} op
        op=$(echo "$old" | awk -v c=":$c" '$1==c {print $2}')
        op=${op:-ACCEPT}
        if [ "$p" != "$op" ]; then $fam -w -t "$t" -P "$c" "$op"; done+=("$fam $t $c policy $p->$op"); fi
      done
      # a table that did not exist before and is empty again (iptables-nft only: legacy tables stay)
      if ! grep -qx "\*$t" "$BEFORE/$fam" && grep -q nf_tables "$BEFORE/backend" 2>/dev/null; then
        local after; after=$(table_of <(save_rules "$fam") "$t")
        if ! echo "$after" | grep -q '^-A' && ! echo "$after" | awk '/^:/ && $2!="ACCEPT" {f=1} END {exit !f}'; then
          local nf=ip; [ "$fam" = iptables ] || nf=ip6
          nft delete table "$nf" "$t" 2>/dev/null && done+=("$fam table $t deleted")
        fi
      fi
    done
  done
  # links dockerd created: stray veths on its bridges, then docker0 and br-<id> (user-defined networks)
  local l
  for l in $(comm -13 "$BEFORE/links" <(links)); do
    if [[ $l =~ ^veth[0-9a-f]{7}$ ]] && ip -o link show dev "$l" 2>/dev/null | grep -qE 'master (docker0|br-[0-9a-f]{12}) '; then
      ip link delete "$l" 2>/dev/null && done+=("link $l deleted")
    fi
  done
  for l in $(comm -13 "$BEFORE/links" <(links)); do
    if [[ $l =~ ^(docker0|br-[0-9a-f]{12})$ ]]; then ip link delete "$l" 2>/dev/null && done+=("link $l deleted"); fi
  done
  # sysctls last: ip_forward back to 0 after the bridge is gone
  local k v cur
  while IFS='=' read -r k v; do
    cur=$(cat "/proc/sys/${k//.//}" 2>/dev/null || true)
    if [ -n "$cur" ] && [ "$cur" != "$v" ]; then
      echo "$v" >"/proc/sys/${k//.//}" && done+=("$k $cur->$v")
    fi
  done <"$BEFORE/sysctls"
  if [ ${#done[@]} -eq 0 ]; then say "restored: nothing had changed"; else local IFS=';'; say "restored: $(echo "${done[*]}" | sed 's/;/; /g')"; fi
  local left; left=$(describe "$BEFORE")
  if [ "$left" = nothing ]; then
    say "network equals the pre-start snapshot"
    rm -rf "$BEFORE"
  else
    say "WARNING: network still differs from the pre-start snapshot ($BEFORE kept): $left"
    return 1
  fi
}

status() {
  local pid
  if pid=$(daemon_pid); then
    say "running, pid $pid, started by this script, log $LOG"
  elif reachable; then
    say "a Docker daemon not started by this script answers"
  else
    say "not running"
  fi
  if reachable; then
    say "server $(docker version --format '{{.Server.Version}} API {{.Server.APIVersion}}' 2>/dev/null), $(docker ps -aq --filter "label=$LABEL" | wc -l) container(s) labelled $LABEL"
  fi
  if [ -f "$BEFORE/sysctls" ]; then say "network changed since the snapshot: $(describe "$BEFORE")"; fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
