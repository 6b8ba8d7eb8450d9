#!/usr/bin/env bash
# A local Docker engine for `make images` and the container tests.
#   scripts/container-engine.sh start   # install Debian's docker.io (+ docker-compose) if missing,
#                                       # start dockerd in the background, wait until it answers
#   scripts/container-engine.sh stop    # stop the dockerd this script started (and only that one)
#   scripts/container-engine.sh status  # exit 0 when an engine answers
# Idempotent: an engine that already answers (Docker Desktop, a system service, an earlier
# `start`) is used as it is and never stopped by `stop`.
set -euo pipefail

STATE_DIR="${MODELFLEET_ENGINE_STATE:-/var/run/modelfleet-engine}"
PIDFILE="$STATE_DIR/dockerd.pid"
LOG="${MODELFLEET_ENGINE_LOG:-/var/log/modelfleet-dockerd.log}"
START_TIMEOUT="${MODELFLEET_ENGINE_TIMEOUT:-120}"

say() { echo "container-engine: $*" >&2; }

answers() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

have_compose() { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  local wanted=()
  command -v dockerd >/dev/null 2>&1 || wanted+=(docker.io)
  command -v docker >/dev/null 2>&1 || wanted+=(docker.io)
  have_compose || wanted+=(docker-compose)
  [ "${#wanted[@]}" -eq 0 ] && return 0
  say "installing ${wanted[*]} (Debian packages)"
  # An index that has never been fetched knows no docker.io; fetch it once.
  if ! apt-cache show docker.io >/dev/null 2>&1; then as_root apt-get update -qq; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${wanted[@]}" >/dev/null
}

start() {
  if answers; then
    say "engine answers ($(docker info --format '{{.ServerVersion}} {{.Driver}}'))"
    install_packages
    return 0
  fi
  install_packages
  as_root mkdir -p "$STATE_DIR"
  say "starting dockerd (log: $LOG)"
  # setsid: dockerd outlives this script and the make/CI step that called it.
  as_root setsid dockerd --pidfile /var/run/docker.pid >>"$LOG" 2>&1 < /dev/null &
  echo $! | as_root tee "$PIDFILE" >/dev/null
  local deadline=$((SECONDS + START_TIMEOUT))
  until answers; do
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      say "dockerd exited; last lines of $LOG:"
      tail -n 30 "$LOG" >&2
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "dockerd did not answer in ${START_TIMEOUT}s; last lines of $LOG:"
      tail -n 30 "$LOG" >&2
      exit 1
    fi
    sleep 0.5
  done
  say "engine answers ($(docker info --format '{{.ServerVersion}} {{.Driver}}'))"
}

stop() {
  if [ ! -f "$PIDFILE" ]; then
    say "no dockerd started by this script"
    return 0
  fi
  local pid
  pid="$(cat "$PIDFILE")"
  # Only a live dockerd under that pid: a stale file's pid may belong to another process now.
  if kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    say "stopping dockerd (pid $pid)"
    as_root kill -TERM "$pid"
    local deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        say "dockerd (pid $pid) still running after 60s"
        exit 1
      fi
      sleep 0.5
    done
  fi
  as_root rm -f "$PIDFILE"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
