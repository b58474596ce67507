#!/usr/bin/env bash
# Benchmarks of whole mtlsgen processes, side by side with a floor program
# that writes the same bytes from memory and with libfloor, which does the
# same but links the third-party libraries mtlsgen links. Prints one table
# (case, median, ratio to the floor, peak RSS) and writes it, with the
# machine and date, to bench/RESULTS.md. Run with `make bench`; CI does not (numbers need a quiet
# machine). Needs hyperfine and GNU time, installed from Debian if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

need() { command -v "$1" >/dev/null 2>&1 || [ -x "$2" ]; }
if ! need hyperfine /usr/bin/hyperfine || ! [ -x /usr/bin/time ]; then
  echo "installing hyperfine and time from Debian" >&2
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq hyperfine time >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/mtlsgen" ./cmd/mtlsgen
"$work/mtlsgen" render examples/ha.yaml > bench/payload/payload.yaml
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/floor" ./bench/floor
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/libfloor" ./bench/libfloor
git checkout -q -- bench/payload/payload.yaml 2>/dev/null || true
for n in 10 100 1000; do go run ./bench/fleetgen -clusters "$n" > "$work/fleet-$n.yaml"; done

cases=(
  "floor|$work/floor"
  "libfloor (floor + mtlsgen's libraries)|$work/libfloor"
  "mtlsgen version (start-up alone)|$work/mtlsgen version"
  "render ha.yaml|$work/mtlsgen render examples/ha.yaml"
  "render fleet of 10|$work/mtlsgen render $work/fleet-10.yaml"
  "render fleet of 100|$work/mtlsgen render $work/fleet-100.yaml"
  "render fleet of 1000|$work/mtlsgen render $work/fleet-1000.yaml"
  "one cluster of 1000 (CMP)|$work/mtlsgen render $work/fleet-1000.yaml --cluster c0500 --component mesh"
  "validate fleet of 1000|$work/mtlsgen validate $work/fleet-1000.yaml"
)

median() { # command -> median seconds
  hyperfine --warmup 3 --runs "${RUNS:-100}" -N --output=null --export-json "$work/h.json" "$1" >/dev/null 2>&1 ||
    hyperfine --warmup 3 --runs "${RUNS:-100}" --output=null --export-json "$work/h.json" "$1" >/dev/null
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/h.json"
}
# Peak RSS (KB) and minor page faults of one run.
usage() { /usr/bin/time -f "%M %R" $1 2>&1 >/dev/null | tail -1; }
# Mean system time (seconds) of the last median's runs.
systime() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["system"])' "$work/h.json"; }

table="| Case | Median | × floor | Peak RSS | Page faults |
| --- | --- | --- | --- | --- |"
floor=""
for c in "${cases[@]}"; do
  name=${c%%|*}; cmd=${c#*|}
  m=$(median "$cmd")
  read -r kb faults <<<"$(usage "$cmd")"
  case $name in
    floor) floor=$m; floor_sys=$(systime); floor_faults=$faults ;;
    libfloor*) lib=$m; lib_sys=$(systime); lib_faults=$faults ;;
  esac
  ratio=$(python3 -c "print(f'{$m/$floor:.1f}')")
  table+="
| $name | $(python3 -c "print(f'{$m*1000:.2f} ms')") | $ratio | $((kb / 1024)) MB | $faults |"
done
# What a minor page fault costs here: the system time libfloor spends beyond
# the floor's, over the faults it takes beyond the floor's (mapping a bigger
# binary and heap is most of what it does differently).
fault=$(python3 -c "print(f'{($lib_sys-$floor_sys)/($lib_faults-$floor_faults)*1e6:.1f}')")

# One start's init is noisy on a shared machine: the median of 21.
init=$(for _ in $(seq 21); do
  GODEBUG=inittrace=1 "$work/mtlsgen" version 2>&1 >/dev/null | awk '/^init/ {s+=$5} END {printf "%.3f\n", s}'
done | sort -n | sed -n 11p)
per=$(python3 - "$work" <<'PY'
import json, subprocess, sys
w = sys.argv[1]
t = {}
for n in (10, 1000):
    subprocess.run(["hyperfine", "-N", "--runs", "10", "--output=null", "--export-json", f"{w}/p.json", f"{w}/mtlsgen render {w}/fleet-{n}.yaml"], capture_output=True, check=True)
    t[n] = json.load(open(f"{w}/p.json"))["results"][0]["median"]
print(f"{(t[1000]-t[10])/990*1e6:.0f}")
PY
)

# The same render warm, in one process (load, render and serialise, as
# BenchmarkRender/ha does), with the collector set as render sets it
# (cli.RenderGCPercent): what no start-up trick can take away.
warm=$(GOGC=400 go test -run XXX -bench 'BenchmarkRender$/^ha$' -benchtime 300x ./generator |
  awk '/^BenchmarkRender\/ha/ {printf "%.2f\n", $3/1e6}')
budget=$(python3 -c "print(f'{(3*$floor-$lib)*1000:.2f}')")

out="$table

Package init of \`mtlsgen version\` (sum of \`GODEBUG=inittrace=1\`): ${init} ms.
Marginal cost of a cluster (fleet of 1000 minus fleet of 10, over 990): ${per} µs.
Render ha.yaml warm in one process (BenchmarkRender/ha at GOGC=400: load, render, serialise): ${warm} ms.
Time left for all of mtlsgen's own work under 3× the floor, after libfloor's start-up: ${budget} ms.
A minor page fault costs about ${fault} µs of system time here (libfloor's system time beyond the floor's, over its extra faults): each fresh 4 KB page a run touches, binary or heap, counts."
echo "$out"
{
  echo "# Benchmark results"
  echo
  echo "Written by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), commit $(git rev-parse --short HEAD)."
  echo "Whole processes, median of ${RUNS:-100} runs after 3 warm-ups (hyperfine); peak RSS from GNU time."
  echo
  echo "$out"
} > bench/RESULTS.md
