#!/usr/bin/env bash
# Install the Debian/Ubuntu libraries SiamGUI needs (Qt's xcb platform, PortAudio), when missing.
# Usage: packaging/system-deps.sh [--test]   (--test adds Xvfb and espeak-ng for the test suite)
# Installs with apt-get as root or through passwordless sudo; otherwise prints the exact line.
set -euo pipefail

pkgs=(libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
      libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
      libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libportaudio2)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(xvfb x11-utils)
fi
python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; make sure Qt 6's xcb libraries and PortAudio are installed." >&2
  exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = 0 ]; then
  echo "system-deps: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive $line >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "system-deps: installing ${missing[*]} (sudo)"
  sudo DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq
  sudo DEBIAN_FRONTEND=noninteractive $line >/dev/null
else
  echo "system-deps: these Debian packages are missing; install them, then run make again:" >&2
  echo "  sudo $line" >&2
  exit 1
fi
