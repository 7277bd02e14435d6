#!/bin/sh
# redmine.sh - a real Redmine 5 (Debian 12 packages, SQLite) on loopback for the
# ticketing tests. Run as root.
#
#   .ci/redmine.sh start   install (first time), configure, start, wait for the
#                          REST API, create the test project; writes $OUT/env
#   .ci/redmine.sh stop    stop the server started by 'start', by its PID
#
# Variables: REDMINE_PORT (default 3000), REDMINE_OUT (default /tmp/hookgen-redmine),
# REDMINE_PROJECT (default hookgen-ci), SKIP_APT_UPDATE=1.
#
# $OUT/env holds shell assignments for the tests:
#   HOOKGEN_REDMINE_URL=http://127.0.0.1:$PORT
#   HOOKGEN_REDMINE_KEY=<40 hex admin API key>
#   HOOKGEN_REDMINE_PROJECT=<project identifier>
# The server's PID is in $OUT/server.pid.
set -eu

PORT="${REDMINE_PORT:-3000}"
OUT="${REDMINE_OUT:-/tmp/hookgen-redmine}"
PROJECT="${REDMINE_PROJECT:-hookgen-ci}"
DB=/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default
APP=/usr/share/redmine
export DEBIAN_FRONTEND=noninteractive

log() { echo "redmine: $*" >&2; }

install_redmine() {
  if [ -f "$DB" ] && [ -d "$APP" ] && command -v sqlite3 >/dev/null && command -v curl >/dev/null; then
    return 0
  fi
  [ -n "${SKIP_APT_UPDATE:-}" ] || apt-get -o DPkg::Lock::Timeout=600 update -qq
  # The defaults already give SQLite; the preseed pins English default data
  # (status and tracker names) whatever $LANG is. Non-fatal by design.
  debconf-set-selections <<'SEL' || log "preseed failed; using debconf defaults"
redmine redmine/current-instances string default
redmine redmine/instances/default/dbconfig-install boolean true
redmine redmine/instances/default/database-type select sqlite3
redmine redmine/instances/default/default-language select en
SEL
  # The package's postinst creates the SQLite database, migrates it and loads
  # the default data (trackers, statuses, priorities, roles).
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends redmine redmine-sqlite sqlite3 curl >"$OUT/apt.log" 2>&1 \
    || { tail -50 "$OUT/apt.log" >&2; exit 1; }
}

configure() {
  # ruby-webrick is installed but not in Redmine's Gemfile: without this,
  # 'rails server' fails with 'Could not find server ""'.
  echo 'gem "webrick"' > "$APP/Gemfile.local"
  (cd "$APP" && bundle install --local --quiet >/dev/null 2>&1) || { log "bundle install failed"; exit 1; }
  chown www-data:www-data /var/lib/redmine/Gemfile.lock
  install -d -o www-data -g www-data "$APP/tmp"
  # SQLite under multi-threaded WEBrick gives 'database is locked' under
  # concurrent writes: serialize requests and wait on locks.
  echo 'config.allow_concurrency = false' > "$APP/config/additional_environment.rb"
  grep -q '^  timeout:' /etc/redmine/default/database.yml \
    || sed -i 's/^  adapter: sqlite3$/&\n  timeout: 5000/' /etc/redmine/default/database.yml
  # Settings and the admin API key go straight into SQLite before boot.
  # notified_events empty: no mail jobs. must_change_passwd=0: otherwise
  # Basic auth answers 403.
  KEY="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
  sqlite3 "$DB" <<SQL
DELETE FROM settings WHERE name IN ('rest_api_enabled','notified_events');
INSERT INTO settings(name,value,updated_on) VALUES('rest_api_enabled','1',datetime('now','localtime'));
INSERT INTO settings(name,value,updated_on) VALUES('notified_events','--- []
',datetime('now','localtime'));
UPDATE users SET must_change_passwd=0 WHERE login='admin';
DELETE FROM tokens WHERE user_id=1 AND action='api';
INSERT INTO tokens(user_id,action,value,created_on,updated_on)
  VALUES(1,'api','$KEY',datetime('now'),datetime('now'));
SQL
}

start_server() {
  cd "$APP"
  rm -f "$APP/tmp/pids/server.pid"
  nohup runuser -u www-data -- bundle exec rails server -e production \
    -b 127.0.0.1 -p "$PORT" >"$OUT/server.log" 2>&1 </dev/null &
  spid=$!
  i=0
  until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Redmine-API-Key: $KEY" \
          "http://127.0.0.1:$PORT/users/current.json")" = 200 ]; do
    i=$((i+1))
    if [ "$i" -gt 240 ] || ! kill -0 "$spid" 2>/dev/null; then
      log "did not come up"; tail -30 "$OUT/server.log" >&2
      # Leave nothing running: the rails server by its pid file, then the
      # runuser parent.
      [ -f "$APP/tmp/pids/server.pid" ] && kill "$(cat "$APP/tmp/pids/server.pid")" 2>/dev/null
      kill "$spid" 2>/dev/null
      exit 1
    fi
    sleep 0.5
  done
  cp "$APP/tmp/pids/server.pid" "$OUT/server.pid"
}

check_default_data() {
  # The package's default data provides the trackers and statuses the
  # tests use; fail early when they are missing (another language, a
  # purged and half-reinstalled database).
  body="$(curl -s -H "X-Redmine-API-Key: $KEY" "http://127.0.0.1:$PORT/issue_statuses.json")"
  case "$body" in *'"name":"Resolved"'*) ;; *) log "no 'Resolved' issue status: $body"; exit 1 ;; esac
  body="$(curl -s -H "X-Redmine-API-Key: $KEY" "http://127.0.0.1:$PORT/trackers.json")"
  case "$body" in *'"id":1,'*) ;; *) log "no trackers: $body"; exit 1 ;; esac
}

create_project() {
  code="$(curl -s -o /dev/null -w '%{http_code}' -H "X-Redmine-API-Key: $KEY" \
    "http://127.0.0.1:$PORT/projects/$PROJECT.json")"
  [ "$code" = 200 ] && return 0
  # Private, so that a missing or bad key is refused even on reads.
  curl -sf -o /dev/null -X POST -H "X-Redmine-API-Key: $KEY" -H 'Content-Type: application/json' \
    -d "{\"project\":{\"name\":\"$PROJECT\",\"identifier\":\"$PROJECT\",\"is_public\":false,\"tracker_ids\":[1,2,3]}}" \
    "http://127.0.0.1:$PORT/projects.json" || { log "could not create project $PROJECT"; exit 1; }
}

stop_server() {
  [ -f "$OUT/server.pid" ] || { log "not running (no $OUT/server.pid)"; return 0; }
  pid="$(cat "$OUT/server.pid")"
  if kill "$pid" 2>/dev/null; then
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do i=$((i+1)); sleep 0.2; done
  fi
  rm -f "$OUT/server.pid"
}

case "${1:-}" in
start)
  mkdir -p "$OUT"
  if [ -f "$OUT/server.pid" ] && kill -0 "$(cat "$OUT/server.pid")" 2>/dev/null; then
    log "already running (pid $(cat "$OUT/server.pid"))"; exit 0
  fi
  install_redmine
  configure
  start_server
  check_default_data
  create_project
  printf 'HOOKGEN_REDMINE_URL=http://127.0.0.1:%s\nHOOKGEN_REDMINE_KEY=%s\nHOOKGEN_REDMINE_PROJECT=%s\n' \
    "$PORT" "$KEY" "$PROJECT" > "$OUT/env"
  log "up at http://127.0.0.1:$PORT, pid $(cat "$OUT/server.pid"), env in $OUT/env"
  ;;
stop) stop_server ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
