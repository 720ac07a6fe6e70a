#!/usr/bin/env bash
# macOS: SiamGUI.app (PyInstaller one-folder, wrapped as an app bundle) and a .dmg.
# Plain onnxruntime (CPU; CoreML is not used). Run on a macOS runner from the repository root.
set -euo pipefail
version=$(python3 -c 'import tomllib;print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
python3 -m venv build/venv-mac
build/venv-mac/bin/pip install -q "numpy>=1.24" "pyside6-essentials>=6.8,<6.12" "onnxruntime>=1.20" \
    "opencv-python-headless>=4.8,<5" "soundfile>=0.12" "sounddevice>=0.4.6" "platformdirs>=3" "webrtcvad-wheels>=2.0.10" "pyinstaller>=6.10"
build/venv-mac/bin/pip install -q --no-deps .
build/venv-mac/bin/pyinstaller --noconfirm --distpath dist/mac --workpath build/pyinstaller-mac packaging/siamgui.spec
app="dist/mac/SiamGUI.app"
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
cp -R dist/mac/siamgui/. "$app/Contents/MacOS/"
cat > "$app/Contents/Info.plist" <<PLIST
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>CFBundleName</key><string>SiamGUI</string>
  <key>CFBundleIdentifier</key><string>org.siamgui.SiamGUI</string>
  <key>CFBundleVersion</key><string>$version</string>
  <key>CFBundleShortVersionString</key><string>$version</string>
  <key>CFBundleExecutable</key><string>siamgui</string>
  <key>CFBundlePackageType</key><string>APPL</string>
  <key>NSCameraUsageDescription</key><string>SiamGUI compares the face in front of the camera with a reference.</string>
  <key>NSMicrophoneUsageDescription</key><string>SiamGUI compares the voice it hears with a reference.</string>
  <key>NSHighResolutionCapable</key><true/>
</dict></plist>
PLIST
"$app/Contents/MacOS/siamgui" --self-test
hdiutil create -volname SiamGUI -srcfolder "$app" -ov -format UDZO "dist/siamgui-$version-macos.dmg"
