#!/usr/bin/env bash
# Installs the Debian packages the checks need, and only when something is missing: for the
# local Spark cluster (scripts/spark_cluster.sh) a Java runtime Spark 3.5 supports (17, or
# 8/11/21 if already there) and procps (`ps`, used by Spark's spark-daemon.sh); for the
# headless-browser tests of the HTML report and the dbt docs site (tests/python/test_report.py)
# Debian's chromium (/usr/bin/chromium).
# Idempotent: with everything present it does nothing (no apt-get update either).
# Must run as root (CI does) or with sudo available.
set -euo pipefail

log() { printf '[install_system_deps] %s\n' "$*"; }

java_ok() {
  local cand v major
  for cand in "${JAVA_HOME:-/nonexistent}/bin/java" "$(command -v java 2>/dev/null || true)" \
              /usr/lib/jvm/java-17-openjdk-*/bin/java /usr/lib/jvm/java-21-openjdk-*/bin/java \
              /usr/lib/jvm/java-11-openjdk-*/bin/java; do
    [ -n "$cand" ] && [ -x "$cand" ] || continue
    v="$("$cand" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
    case "$v" in 1.*) v="${v#1.}" ;; esac
    major="${v%%[.+-]*}"
    case "$major" in 8|11|17|21) log "java $major found: $cand"; return 0 ;; esac
  done
  return 1
}

missing=()
java_ok || missing+=(openjdk-17-jre-headless)
command -v ps >/dev/null 2>&1 || missing+=(procps)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ "${#missing[@]}" -eq 0 ]; then
  log "nothing to install"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { log "need root to install: ${missing[*]}"; exit 1; }
  SUDO=sudo
fi

log "installing: ${missing[*]}"
# slim Debian images lack this folder and the JRE's postinst fails without it
$SUDO mkdir -p /usr/share/man/man1
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
java_ok || { log "java still not usable after install"; exit 1; }
command -v chromium >/dev/null 2>&1 || { log "chromium still missing after install"; exit 1; }
log "done"
