#!/usr/bin/env bash
# Wrap a one-folder bundle into a .deb: /opt/siamgui, a `siamgui` launcher in PATH, a desktop
# entry and an icon. Usage: make_deb.sh BUNDLE_DIR VERSION VARIANT
set -euo pipefail
bundle="$1"; version="$2"; variant="$3"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pkg="siamgui"; [ "$variant" = gpu ] && pkg="siamgui-gpu"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/DEBIAN" "$stage/opt/siamgui" "$stage/usr/bin" "$stage/usr/share/applications" \
         "$stage/usr/share/icons/hicolor/scalable/apps"
cp -a "$bundle/." "$stage/opt/siamgui/"
cat > "$stage/usr/bin/siamgui" <<'SH'
#!/bin/sh
exec /opt/siamgui/siamgui "$@"
SH
chmod 755 "$stage/usr/bin/siamgui"
cp "$root/resources/siamgui.desktop" "$stage/usr/share/applications/siamgui.desktop"
cp "$root/resources/icons/siamgui.svg" "$stage/usr/share/icons/hicolor/scalable/apps/siamgui.svg"
size=$(du -sk "$stage/opt" | cut -f1)
cat > "$stage/DEBIAN/control" <<CTRL
Package: $pkg
Version: $version
Section: science
Priority: optional
Architecture: amd64
Installed-Size: $size
Depends: libgl1, libegl1, libxkbcommon0, libxkbcommon-x11-0, libfontconfig1, libdbus-1-3, libglib2.0-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libxcb-image0, libxcb-render-util0, libxcb-shape0, libxcb-xkb1, libportaudio2
Conflicts: $( [ "$pkg" = siamgui ] && echo siamgui-gpu || echo siamgui )
Maintainer: SiamGUI developers <siamgui@localhost>
Description: See how a Siamese network judges similarity
 A desktop tool that runs ONNX Siamese encoders on faces, voices and glyphs,
 live from camera and microphone or from files, on CUDA or CPU.
CTRL
out="$root/dist/${pkg}_${version}_amd64.deb"
dpkg-deb --root-owner-group -Zgzip -z6 --build "$stage" "$out" >/dev/null
echo "deb: $out"
