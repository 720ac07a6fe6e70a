#!/usr/bin/env bash
# Build the Linux artefacts: a one-folder bundle, a .tar.gz of it, and a .deb.
# Usage: packaging/build_linux.sh [cpu|gpu]     (default cpu; gpu bundles onnxruntime-gpu)
# Output: dist/siamgui-VERSION-linux-x86_64-VARIANT.tar.gz and dist/siamgui_VERSION_amd64[-gpu].deb
set -euo pipefail
cd "$(dirname "$0")/.."
variant="${1:-cpu}"
case "$variant" in cpu) ort="onnxruntime" ;; gpu) ort="onnxruntime-gpu" ;; *) echo "variant: cpu or gpu" >&2; exit 2 ;; esac
version=$(python3 -c 'import tomllib;print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
arch=$(uname -m)
venv="build/venv-$variant"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# The app's dependencies, with the onnxruntime wheel this variant carries (never torch or test tools).
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q "numpy>=1.24" "pyside6-essentials>=6.8,<6.12" "$ort>=1.20" \
    "opencv-python-headless>=4.8,<5" "soundfile>=0.12" "sounddevice>=0.4.6" "platformdirs>=3" "webrtcvad-wheels>=2.0.10" \
    "pyinstaller>=6.10"
"$venv/bin/python" -m pip install -q --no-deps .
if [ "$variant" = cpu ]; then "$venv/bin/python" -m pip uninstall -q -y onnxruntime-gpu 2>/dev/null || true; fi

work="build/pyinstaller-$variant"
out="dist/$variant"
rm -rf "$out"
start=$(date +%s)
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$out" --workpath "$work" packaging/siamgui.spec
echo "bundle built in $(( $(date +%s) - start )) s: $out/siamgui"

name="siamgui-$version-linux-$arch-$variant"
tar -C "$out" -czf "dist/$name.tar.gz" --transform "s,^siamgui,$name," siamgui
packaging/linux/make_deb.sh "$out/siamgui" "$version" "$variant"
ls -la dist/*.tar.gz dist/*.deb
du -sh "$out/siamgui"
