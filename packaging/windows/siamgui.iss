; Inno Setup script: installs the one-folder bundle built by PyInstaller on Windows.
; Build the bundle first (in a venv with the app's dependencies and onnxruntime or onnxruntime-gpu):
;   pyinstaller --noconfirm --distpath dist\cpu --workpath build\pyinstaller packaging\siamgui.spec
; then: iscc /DVariant=cpu /DVersion=0.1.0 packaging\windows\siamgui.iss
#ifndef Variant
  #define Variant "cpu"
#endif
#ifndef Version
  #define Version "0.1.0"
#endif

[Setup]
AppId={{6B0F3C57-2F0E-4F33-9E0B-5A1A9D2C51A7}
AppName=SiamGUI
AppVersion={#Version}
AppPublisher=SiamGUI developers
DefaultDirName={autopf}\SiamGUI
DefaultGroupName=SiamGUI
OutputDir=..\..\dist
OutputBaseFilename=siamgui-{#Version}-windows-x64-{#Variant}-setup
Compression=lzma2
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequiredOverridesAllowed=dialog

[Files]
Source: "..\..\dist\{#Variant}\siamgui\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\SiamGUI"; Filename: "{app}\siamgui.exe"
Name: "{autodesktop}\SiamGUI"; Filename: "{app}\siamgui.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\siamgui.exe"; Description: "Start SiamGUI"; Flags: nowait postinstall skipifsilent
