#!/usr/bin/env bash
# Local Apache Spark cluster for `dbt build --target spark` (dbt-spark, method: thrift).
#
# Starts a standalone master, one worker and the Spark Thrift JDBC/ODBC server
# (HiveThriftServer2) from the jars shipped in the `pyspark` wheel, all bound to
# 127.0.0.1. Tables go to a local Parquet warehouse, the metastore is embedded Derby.
# Everything the cluster writes (logs, pid files, warehouse, metastore, scratch) lives
# under .spark/ in the repository root. See docs/spark.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/spark_cluster.sh start|stop|status|clean|--help

  start    start master + worker + Thrift server (no-op if already running and healthy),
           then wait until the Thrift port answers a real query (runs on an executor)
  stop     stop everything this script started (idempotent)
  status   show the processes and run a probe query; exit 0 only when healthy
  clean    stop, then delete .spark/ (warehouse, metastore, logs)

Environment (defaults in brackets):
  PYTHON                    python with pyspark + PyHive installed [<repo>/.venv/bin/python]
  SPARK_THRIFT_PORT         Thrift (HiveServer2) port [10000]
  SPARK_MASTER_PORT         standalone master RPC port [7077]
  SPARK_MASTER_WEBUI_PORT   master web UI port [8080]
  SPARK_WORKER_WEBUI_PORT   worker web UI port [8081]
  SPARK_DRIVER_MEMORY       Thrift server (driver) heap [2g]
  SPARK_EXECUTOR_MEMORY     executor heap; also the worker's memory budget [2g]
  SPARK_WORKER_CORES        cores the worker offers [2]
  SPARK_DAEMON_MEMORY       heap of the master and worker daemons [512m]
  SPARK_SHUFFLE_PARTITIONS  spark.sql.shuffle.partitions [4]
  SPARK_UI_ENABLED          Thrift server's own web UI on port 4040 [false]
  SPARK_START_TIMEOUT       seconds to wait for the Thrift server [240]
  SPARK_JVM_OPTS            extra JVM flags for master and worker
                            [-XX:TieredStopAtLevel=1 -XX:+UseSerialGC]; "" = JVM defaults
  SPARK_DRIVER_JVM_OPTS     extra JVM flags for the Thrift server (driver) [-XX:+UseSerialGC]
  SPARK_EXECUTOR_JVM_OPTS   extra JVM flags for the executor [same as SPARK_JVM_OPTS]
  SPARK_ADAPTIVE            spark.sql.adaptive.enabled [false]
  SPARK_CODEGEN             spark.sql.codegen.wholeStage [false]
  SPARK_STATE_DIR           state folder [<repo>/.spark]
  JAVA_HOME                 Java 17 (or 8/11/21) to use; else `java` on PATH

Java is required: apt-get update && apt-get install -y openjdk-17-jre-headless
(or run scripts/install_system_deps.sh).
EOF
}

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$REPO_ROOT/.venv/bin/python}"
STATE_DIR="${SPARK_STATE_DIR:-$REPO_ROOT/.spark}"
THRIFT_PORT="${SPARK_THRIFT_PORT:-10000}"
MASTER_PORT="${SPARK_MASTER_PORT:-7077}"
MASTER_WEBUI_PORT="${SPARK_MASTER_WEBUI_PORT:-8080}"
WORKER_WEBUI_PORT="${SPARK_WORKER_WEBUI_PORT:-8081}"
DRIVER_MEMORY="${SPARK_DRIVER_MEMORY:-2g}"
EXECUTOR_MEMORY="${SPARK_EXECUTOR_MEMORY:-2g}"
WORKER_CORES="${SPARK_WORKER_CORES:-2}"
SHUFFLE_PARTITIONS="${SPARK_SHUFFLE_PARTITIONS:-4}"
UI_ENABLED="${SPARK_UI_ENABLED:-false}"
ADAPTIVE="${SPARK_ADAPTIVE:-false}"
START_TIMEOUT="${SPARK_START_TIMEOUT:-240}"
# Small-CI JVM flags: C1-only JIT and the serial GC cut start-up CPU by about a third on
# 2 cores; set SPARK_JVM_OPTS="" for the JVM defaults (better for long, heavy queries).
JVM_OPTS="${SPARK_JVM_OPTS--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
EXECUTOR_JVM_OPTS="${SPARK_EXECUTOR_JVM_OPTS-$JVM_OPTS}"
# The Thrift server (driver) plans every query of a build: over a 10-minute build the full
# (C2) JIT pays off there, so it keeps the JVM's default JIT and only takes the serial GC.
DRIVER_JVM_OPTS="${SPARK_DRIVER_JVM_OPTS--XX:+UseSerialGC}"
# Whole-stage code generation compiles Java for every query stage: on a few thousand rows
# that costs more than it saves, so it is off by default here (SPARK_CODEGEN=true for on).
CODEGEN="${SPARK_CODEGEN:-false}"
HOST=127.0.0.1

LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
WAREHOUSE_DIR="$STATE_DIR/warehouse"
METASTORE_DIR="$STATE_DIR/metastore"
SCRATCH_DIR="$STATE_DIR/tmp"

MASTER_CLASS=org.apache.spark.deploy.master.Master
WORKER_CLASS=org.apache.spark.deploy.worker.Worker
THRIFT_CLASS=org.apache.spark.sql.hive.thriftserver.HiveThriftServer2

log() { printf '[spark_cluster] %s\n' "$*"; }
die() { printf '[spark_cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# --- environment -----------------------------------------------------------------

java_major() { # $1 = java binary; prints the major version (8, 11, 17, ...)
  local v
  v="$("$1" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  case "$v" in
    1.*) v="${v#1.}"; echo "${v%%.*}" ;;
    *) echo "${v%%[.+-]*}" ;;
  esac
}

java_supported() { case "$1" in 8|11|17|21) return 0 ;; *) return 1 ;; esac; }

find_java() {
  local cand major
  local -a cands=()
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && cands+=("$(command -v java)")
  for cand in /usr/lib/jvm/java-17-openjdk-*/bin/java /usr/lib/jvm/java-21-openjdk-*/bin/java \
              /usr/lib/jvm/java-11-openjdk-*/bin/java; do
    [ -x "$cand" ] && cands+=("$cand")
  done
  [ "${#cands[@]}" -gt 0 ] || die "java not found. Spark needs Java 17: run
    apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless
  (or: bash scripts/install_system_deps.sh)"
  for cand in "${cands[@]}"; do
    [ -x "$cand" ] || continue
    major="$(java_major "$cand")"
    if java_supported "$major"; then
      JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$cand")")")"
      export JAVA_HOME
      JAVA_MAJOR="$major"
      return 0
    fi
  done
  die "no Java supported by Spark 3.5 (8/11/17/21) found (tried: ${cands[*]}). Run
    apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless"
}

find_spark_home() {
  [ -x "$PYTHON" ] || command -v "$PYTHON" >/dev/null 2>&1 \
    || die "python '$PYTHON' not found; set PYTHON=/path/to/venv/bin/python (needs pyspark + dbt-spark[PyHive])"
  SPARK_HOME="$("$PYTHON" -c 'import pyspark,os;print(os.path.dirname(pyspark.__file__))' 2>/dev/null)" \
    || die "pyspark is not installed for $PYTHON (pip install 'pyspark==3.5.*')"
  export SPARK_HOME
  [ -x "$SPARK_HOME/sbin/spark-daemon.sh" ] || die "$SPARK_HOME/sbin/spark-daemon.sh missing or not executable"
  [ -x "$SPARK_HOME/bin/spark-class" ] || die "$SPARK_HOME/bin/spark-class missing or not executable"
  ls "$SPARK_HOME"/jars/spark-hive-thriftserver_*.jar >/dev/null 2>&1 \
    || die "this pyspark has no spark-hive-thriftserver jar (pyspark >= 3.x wheels ship it)"
}

setup_env() {
  find_java
  find_spark_home
  mkdir -p "$LOG_DIR" "$PID_DIR" "$WAREHOUSE_DIR" "$METASTORE_DIR" "$SCRATCH_DIR" \
    "$SCRATCH_DIR/hive" "$SCRATCH_DIR/hive-local" "$SCRATCH_DIR/hive-resources"
  export SPARK_LOCAL_IP="$HOST"
  export SPARK_LOG_DIR="$LOG_DIR"
  export SPARK_PID_DIR="$PID_DIR"
  export SPARK_IDENT_STRING=local          # stable pid/log names even when $USER is unset (CI)
  export SPARK_LOCAL_DIRS="$SCRATCH_DIR"
  export SPARK_WORKER_DIR="$SCRATCH_DIR/work"
  export SPARK_DAEMON_MEMORY="${SPARK_DAEMON_MEMORY:-512m}"
  # used by spark-class for Master/Worker and by spark-submit for HiveThriftServer2
  export SPARK_DAEMON_JAVA_OPTS="$JVM_OPTS"
  # spark-daemon.sh would source $SPARK_CONF_DIR/spark-env.sh; point it at an empty place
  # so nothing outside this script changes the cluster.
  export SPARK_CONF_DIR="$SCRATCH_DIR/conf"
  mkdir -p "$SPARK_CONF_DIR"
  unset SPARK_MASTER SPARK_ENV_LOADED SPARK_NO_DAEMONIZE
}

# --- process helpers -----------------------------------------------------------------

pid_file() { echo "$PID_DIR/spark-$SPARK_IDENT_STRING-$1-1.pid"; }
log_file() { ls -t "$LOG_DIR"/spark-*-"$1"-1-*.out 2>/dev/null | head -n1; }

alive() { # pid $1 exists and is not a zombie (killed daemons are reparented and may linger as Z)
  local st
  st="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

daemon_pid() { # prints pid if the daemon for class $1 is alive
  local f p
  f="$(pid_file "$1")"
  [ -f "$f" ] || return 1
  p="$(cat "$f")"
  [ -n "$p" ] && alive "$p" || return 1
  # pid reuse guard: must be a java process
  [ "$(cat "/proc/$p/comm" 2>/dev/null)" = java ] || return 1
  echo "$p"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# pid in the pid file is alive (it is `nice`/`bash spark-class` for the first second,
# before spark-class execs java, so no java check here)
launched() {
  local f
  f="$(pid_file "$1")"
  [ -s "$f" ] && alive "$(cat "$f")"
}

wait_port() { # $1 port, $2 timeout seconds, $3 class whose process must stay alive
  local t0=$SECONDS deadline=$((SECONDS + $2))
  while ! port_open "$1"; do
    # grace period: spark-daemon.sh writes the pid file a moment after it is called
    [ $((SECONDS - t0)) -lt 5 ] || launched "$3" || return 2
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# java processes whose working directory is under $1 (default $STATE_DIR): the daemons
# run in $STATE_DIR, executors in $STATE_DIR/tmp/work/<app>/<id>.
stray_pids() {
  local d p cwd prefix="${1:-$STATE_DIR}"
  for d in /proc/[0-9]*; do
    p="${d#/proc/}"
    [ "$(cat "$d/comm" 2>/dev/null)" = java ] && alive "$p" || continue
    cwd="$(readlink "$d/cwd" 2>/dev/null || true)"
    case "$cwd" in "$prefix"|"$prefix"/*) echo "$p" ;; esac
  done
}

tail_logs() {
  local c f
  for c in "$MASTER_CLASS" "$WORKER_CLASS" "$THRIFT_CLASS"; do
    f="$(log_file "$c")"
    [ -n "$f" ] || continue
    echo "----- last 40 lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

fail_start() {
  printf '[spark_cluster] ERROR: %s\n' "$*" >&2
  tail_logs
  echo "[spark_cluster] full logs in $LOG_DIR; stopping what was started" >&2
  do_stop >&2 || true
  exit 1
}

# --- probe ---------------------------------------------------------------------------

# Runs a query that needs an executor (range over 2 partitions), so success means
# Thrift server + master + worker + executor all work. Exit 0 on success.
probe_query() {
  local t="${1:-60}"
  if "$PYTHON" -c 'import pyhive.hive' 2>/dev/null; then
    timeout "$t" "$PYTHON" - "$HOST" "$THRIFT_PORT" <<'PY'
import sys
from pyhive import hive
conn = hive.connect(host=sys.argv[1], port=int(sys.argv[2]), username="spark_cluster_probe")
try:
    cur = conn.cursor()
    cur.execute("select count(*) from range(0, 100, 1, 2)")
    rows = cur.fetchall()
    assert rows == [(100,)], rows
finally:
    conn.close()
PY
  else
    # fallback: beeline from the pyspark wheel (slower: one JVM per try)
    timeout "$t" "$SPARK_HOME/bin/beeline" -u "jdbc:hive2://$HOST:$THRIFT_PORT/default" -n spark_cluster_probe \
      --silent=true --outputformat=csv2 -e 'select count(*) from range(0, 100, 1, 2)' 2>/dev/null </dev/null \
      | grep -qx 100
  fi
}

# --- commands ------------------------------------------------------------------------

start_daemon() { # $1 mode (start|submit), $2 class, rest: args
  local mode="$1" cls="$2"
  shift 2
  daemon_pid "$cls" >/dev/null && { log "$cls already running"; return 0; }
  rm -f "$(pid_file "$cls")"
  # cwd = state dir, so stray files (derby.log, metastore_db, spark-warehouse) stay inside.
  (cd "$STATE_DIR" && "$SPARK_HOME/sbin/spark-daemon.sh" "$mode" "$cls" 1 "$@") >/dev/null \
    || fail_start "spark-daemon.sh $mode $cls failed"
  daemon_pid "$cls" >/dev/null || fail_start "$cls exited right after start"
}

check_port_free() { # $1 port, $2 what
  if port_open "$1"; then
    die "port $1 ($2) on $HOST is already in use by another process; set the matching SPARK_*_PORT variable"
  fi
}

do_start() {
  setup_env
  local t0=$SECONDS
  if daemon_pid "$THRIFT_CLASS" >/dev/null && probe_query 60 >/dev/null 2>&1; then
    log "already running and healthy: thrift://$HOST:$THRIFT_PORT"
    return 0
  fi
  # a half-started cluster: restart it cleanly
  if daemon_pid "$MASTER_CLASS" >/dev/null || daemon_pid "$WORKER_CLASS" >/dev/null \
     || daemon_pid "$THRIFT_CLASS" >/dev/null; then
    log "cluster is partly running or unhealthy: restarting"
    do_stop
  fi
  check_port_free "$MASTER_PORT" "SPARK_MASTER_PORT"
  check_port_free "$THRIFT_PORT" "SPARK_THRIFT_PORT"

  log "SPARK_HOME=$SPARK_HOME"
  log "JAVA_HOME=$JAVA_HOME (Java $JAVA_MAJOR)"
  log "starting master on spark://$HOST:$MASTER_PORT"
  # spark-daemon.sh returns only ~3s after the JVM started; the port is usually open earlier.
  start_daemon start "$MASTER_CLASS" --host "$HOST" --port "$MASTER_PORT" --webui-port "$MASTER_WEBUI_PORT" &
  local master_job=$!
  wait_port "$MASTER_PORT" 60 "$MASTER_CLASS" || fail_start "master did not open port $MASTER_PORT"

  # worker and Thrift server start in parallel: the worker only needs the master, and the
  # Thrift server's driver waits for executors by itself.
  log "starting worker (cores=$WORKER_CORES, memory=$EXECUTOR_MEMORY) and Thrift server on $HOST:$THRIFT_PORT (driver=$DRIVER_MEMORY, executor=$EXECUTOR_MEMORY)"
  start_daemon start "$WORKER_CLASS" --host "$HOST" --webui-port "$WORKER_WEBUI_PORT" \
    --cores "$WORKER_CORES" --memory "$EXECUTOR_MEMORY" --work-dir "$SPARK_WORKER_DIR" \
    "spark://$HOST:$MASTER_PORT" &
  local worker_job=$!
  local derby_url="jdbc:derby:;databaseName=$METASTORE_DIR/metastore_db;create=true"
  # HiveThriftServer2 takes its heap from SPARK_DAEMON_MEMORY (not --driver-memory) when
  # launched through spark-submit, so set both.
  SPARK_DAEMON_MEMORY="$DRIVER_MEMORY" SPARK_DAEMON_JAVA_OPTS="$DRIVER_JVM_OPTS" start_daemon submit "$THRIFT_CLASS" \
    --master "spark://$HOST:$MASTER_PORT" \
    --name "Thrift JDBC/ODBC Server (dbt local)" \
    --driver-memory "$DRIVER_MEMORY" \
    --executor-memory "$EXECUTOR_MEMORY" \
    --conf "spark.driver.host=$HOST" \
    --conf "spark.driver.bindAddress=$HOST" \
    --conf "spark.driver.extraJavaOptions=-Dderby.system.home=$METASTORE_DIR -Djava.io.tmpdir=$SCRATCH_DIR" \
    --conf "spark.executor.extraJavaOptions=-Djava.io.tmpdir=$SCRATCH_DIR $EXECUTOR_JVM_OPTS" \
    --conf "spark.ui.enabled=$UI_ENABLED" \
    --conf "spark.sql.warehouse.dir=$WAREHOUSE_DIR" \
    --conf "spark.hadoop.javax.jdo.option.ConnectionURL=$derby_url" \
    --conf "spark.sql.catalogImplementation=hive" \
    --conf "spark.sql.sources.default=parquet" \
    --conf "spark.sql.legacy.createHiveTableByDefault=false" \
    --conf "spark.sql.session.timeZone=UTC" \
    --conf "spark.sql.shuffle.partitions=$SHUFFLE_PARTITIONS" \
    --conf "spark.locality.wait=0s" \
    --conf "spark.sql.adaptive.enabled=$ADAPTIVE" \
    --conf "spark.sql.codegen.wholeStage=$CODEGEN" \
    --conf "spark.scheduler.mode=FAIR" \
    --hiveconf "hive.server2.thrift.bind.host=$HOST" \
    --hiveconf "hive.server2.thrift.port=$THRIFT_PORT" \
    --hiveconf "hive.exec.scratchdir=$SCRATCH_DIR/hive" \
    --hiveconf "hive.exec.local.scratchdir=$SCRATCH_DIR/hive-local" \
    --hiveconf "hive.downloaded.resources.dir=$SCRATCH_DIR/hive-resources/\${hive.session.id}_resources" \
    --hiveconf "hive.server2.logging.operation.log.location=$SCRATCH_DIR/operation_logs" \
    --hiveconf "hive.querylog.location=$SCRATCH_DIR/querylog"
  wait "$worker_job" || fail_start "worker did not start"
  wait "$master_job" || fail_start "master did not start"

  log "waiting (up to ${START_TIMEOUT}s) for the Thrift server to answer a query"
  local deadline=$((t0 + START_TIMEOUT)) remaining listening=0
  while :; do
    daemon_pid "$THRIFT_CLASS" >/dev/null || fail_start "Thrift server process died"
    daemon_pid "$WORKER_CLASS" >/dev/null || fail_start "worker process died"
    daemon_pid "$MASTER_CLASS" >/dev/null || fail_start "master process died"
    remaining=$((deadline - SECONDS))
    [ "$remaining" -gt 0 ] || fail_start "Thrift server not ready after ${START_TIMEOUT}s"
    # plain TCP check until the port opens (each one logs a harmless Thrift error), then
    # real queries
    if [ "$listening" = 1 ] || port_open "$THRIFT_PORT"; then
      listening=1
      probe_query "$(( remaining < 60 ? remaining : 60 ))" >/dev/null 2>&1 && break
    fi
    sleep 1
  done
  log "ready in $((SECONDS - t0))s: thrift://$HOST:$THRIFT_PORT (warehouse $WAREHOUSE_DIR)"
}

stop_one() { # $1 class; SIGTERM, wait, then SIGKILL
  local cls="$1" p i
  if p="$(daemon_pid "$cls")"; then
    log "stopping $cls (pid $p)"
    kill "$p" 2>/dev/null || true
    for i in $(seq 1 40); do
      alive "$p" || break
      sleep 0.5
    done
    if alive "$p"; then
      log "$cls (pid $p) ignored SIGTERM for 20s: SIGKILL"
      kill -9 "$p" 2>/dev/null || true
    fi
  fi
  rm -f "$(pid_file "$cls")"
}

do_stop() {
  # stop does not need java/pyspark: only pid files and /proc
  SPARK_IDENT_STRING=local
  local p
  stop_one "$THRIFT_CLASS"
  stop_one "$WORKER_CLASS"
  stop_one "$MASTER_CLASS"
  for p in $(stray_pids); do
    log "killing leftover java pid $p (cwd $(readlink "/proc/$p/cwd" 2>/dev/null || true))"
    kill "$p" 2>/dev/null || true
    sleep 1
    if alive "$p"; then kill -9 "$p" 2>/dev/null || true; fi
  done
  log "stopped"
}

do_status() {
  SPARK_IDENT_STRING=local
  local rc=0 cls name p
  for cls in "$MASTER_CLASS" "$WORKER_CLASS" "$THRIFT_CLASS"; do
    name="${cls##*.}"
    if p="$(daemon_pid "$cls")"; then
      printf '%-20s running  pid %-8s rss %s\n' "$name" "$p" \
        "$(awk '/VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$p/status" 2>/dev/null)"
    else
      printf '%-20s stopped\n' "$name"; rc=1
    fi
  done
  for p in $(stray_pids "$SCRATCH_DIR/work"); do
    printf '%-20s running  pid %-8s rss %s\n' "executor" "$p" \
      "$(awk '/VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$p/status" 2>/dev/null)"
  done
  if [ "$rc" -eq 0 ]; then
    find_java
    find_spark_home
    if probe_query 60 >/dev/null 2>&1; then
      echo "thrift://$HOST:$THRIFT_PORT answers queries"
    else
      echo "thrift://$HOST:$THRIFT_PORT does NOT answer queries"; rc=1
    fi
  fi
  return "$rc"
}

do_clean() {
  do_stop
  rm -rf "$STATE_DIR"
  log "removed $STATE_DIR"
}

# sourcing the file (for tests) defines the functions without running a command
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

case "${1:-}" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  clean) do_clean ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
