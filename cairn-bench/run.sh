#!/usr/bin/env bash
# `./cairn bench [--quick] [options]`: the Cairn vs HDFS benchmark (see cairn-bench/README.md).
#
# Called by the launcher with CAIRN_JAVA (a JDK 21+ java binary) and CAIRN_HOME (the repository)
# in the environment; it also works alone: CAIRN_HOME defaults to this script's parent folder and
# CAIRN_JAVA to java on PATH. Builds this module and cairn-bench-hdfs (the HDFS side) when a jar is
# missing or older than its sources (the first build downloads Hadoop's mini cluster from Maven
# Central), then runs BenchMain, which writes BENCHMARKS.md in CAIRN_HOME.
set -euo pipefail

here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CAIRN_HOME="${CAIRN_HOME:-$(dirname "$here")}"
CAIRN_JAVA="${CAIRN_JAVA:-$(command -v java || true)}"
[ -x "$CAIRN_JAVA" ] || { echo "cairn bench: no java; set CAIRN_JAVA to a JDK 21+ java" >&2; exit 1; }
java_home="$(cd -P "$(dirname "$CAIRN_JAVA")/.." && pwd)"

bench="$CAIRN_HOME/cairn-bench"
hdfs="$CAIRN_HOME/cairn-bench-hdfs"
jar="$(ls "$bench"/target/cairn-bench-*.jar 2>/dev/null | head -n 1 || true)"
hdfs_jar="$(ls "$hdfs"/target/cairn-bench-hdfs-*.jar 2>/dev/null | head -n 1 || true)"
stale=""
if [ -z "$jar" ] || [ -z "$hdfs_jar" ] || [ ! -d "$bench/target/cairn-lib" ] \
    || [ ! -d "$hdfs/target/hadoop-lib" ]; then
  stale=yes
elif [ -n "$(find "$bench/pom.xml" "$bench/src" -newer "$jar" -type f -print -quit)" ] \
    || [ -n "$(find "$hdfs/pom.xml" "$hdfs/src" -newer "$hdfs_jar" -type f -print -quit)" ] \
    || [ "$jar" -nt "$hdfs_jar" ]; then
  # The HDFS side is compiled against this module's classes: rebuilt with them.
  stale=yes
else
  # The Cairn jars the nodes run come from the local repository (~/.m2), which `./cairn build`
  # refreshes: copy them again when they are newer than ours.
  for m in "$HOME"/.m2/repository/dev/cairn/cairn-{proto,meta,client,server,cli}/0.1.0-SNAPSHOT/*.jar; do
    if [ -f "$m" ] && [ "$m" -nt "$jar" ]; then stale=yes; break; fi
  done
fi
if [ -n "$stale" ]; then
  command -v mvn >/dev/null 2>&1 || { echo "cairn bench: Maven (mvn) is needed to build the benchmark" >&2; exit 1; }
  echo "cairn bench: building cairn-bench and cairn-bench-hdfs (the first time downloads Hadoop's mini cluster)..." >&2
  # Copying the dependencies adds and overwrites but never removes: a jar Cairn no longer uses
  # would stay on the nodes' class path (a wildcard), so Cairn's side is copied afresh.
  rm -rf "$bench/target/cairn-lib"
  (cd "$CAIRN_HOME" && JAVA_HOME="$java_home" mvn -q -B -Dstyle.color=never -P bench \
    -pl cairn-bench,cairn-bench-hdfs package -DskipTests 1>&2)
  jar="$(ls "$bench"/target/cairn-bench-*.jar | head -n 1)"
  # Maven leaves a jar whose classes did not change as it was: mark the HDFS side as built now.
  touch "$(ls "$hdfs"/target/cairn-bench-hdfs-*.jar | head -n 1)"
fi

flags=()
major="$("$CAIRN_JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
if [ "${major:-0}" -ge 24 ] 2>/dev/null; then
  flags+=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
fi

export CAIRN_HOME
exec "$CAIRN_JAVA" ${flags[@]+"${flags[@]}"} -Xmx512m -cp "$jar" dev.cairn.bench.BenchMain \
  --command "./cairn bench${*:+ $*}" "$@"
