#!/usr/bin/env bash
# Unpack the newest .deb into a throwaway root and run the installed app's --self-test offscreen,
# with a fresh HOME so no user settings or models leak in. Prints the artefact sizes.
set -euo pipefail
cd "$(dirname "$0")/../.."
deb=$(ls -t dist/siamgui_*_amd64.deb | head -n1)
root=$(mktemp -d)
home=$(mktemp -d)
trap 'rm -rf "$root" "$home"' EXIT
dpkg-deb -x "$deb" "$root"
dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/ //g' | while read -r dep; do
  dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "install ok installed" || echo "missing dependency: $dep" >&2
done
test -x "$root/opt/siamgui/siamgui" && test -f "$root/usr/share/applications/siamgui.desktop"
start=$(date +%s%N)
HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" QT_QPA_PLATFORM=offscreen \
  "$root/opt/siamgui/siamgui" --self-test --device cpu
echo "self-test of the installed .deb took $(( ($(date +%s%N) - start) / 1000000 )) ms (first run of a fresh unpack)"

# The frozen app's start to its first window (offscreen), then its first comparison per modality,
# each a fresh process: nothing may compile or download on the way (no numba, no network).
app="$root/opt/siamgui/siamgui"
run_app() { HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" QT_QPA_PLATFORM=offscreen \
  "$@"; }
for n in 1 2 3; do
  shown=$(SIAMGUI_EXIT_AFTER_SHOW=1 run_app "$app" | sed -n 's/^shown \([^ ]*\).*/\1/p')
  [ -n "$shown" ] || { echo "the frozen app showed no window" >&2; exit 1; }
  echo "frozen app: window shown $shown s after process start (launch $n$([ $n = 1 ] && echo ', first after install'))"
done
samples=$(find "$root/opt/siamgui" -type d -path '*resources/samples' | head -n1)
for kind in face:jpg voice:wav glyph:png; do
  m=${kind%%:*} ext=${kind##*:}
  start=$(date +%s%N)
  verdict=$(run_app "$app" compare "$samples/$m/same_a.$ext" "$samples/$m/same_b.$ext" --model "$m" --device cpu | head -n1)
  echo "frozen app: first $m comparison, process start to verdict $(( ($(date +%s%N) - start) / 1000000 )) ms: $verdict"
done
ls -la dist/*.deb dist/*.tar.gz | awk '{printf "%s  %.1f MB\n", $NF, $5/1048576}'
du -sh "$root/opt/siamgui" | awk '{print "installed size: " $1}'
