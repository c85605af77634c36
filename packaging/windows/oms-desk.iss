; Inno Setup 6 script for OMS Desk (Windows, x64): a per-user install of the PyInstaller
; one-folder bundle (app + embedded sandbox), with a Start-menu shortcut and an uninstaller.
;
; Build on Windows, from the repository root, after the bundle exists in dist\oms-desk:
;   python packaging\make_icons.py
;   pyinstaller --noconfirm --distpath dist --workpath build\pyinstaller packaging\oms-desk.spec
;   iscc /DAppVersion=0.1.0 packaging\windows\oms-desk.iss
; Result: dist\oms-desk-<version>-setup.exe
; Silent install / uninstall (used by .github/workflows/release.yml):
;   oms-desk-<version>-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /NORESTART /CURRENTUSER
;   "%LOCALAPPDATA%\Programs\OMS Desk\unins000.exe" /VERYSILENT /SUPPRESSMSGBOXES /NORESTART

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "OMS Desk"
#define AppExe "oms-desk.exe"

[Setup]
; A fixed AppId keeps upgrades and the uninstaller entry stable across versions.
AppId={{6C1E4F7A-3B2D-4E8A-9F61-0D5A7C2B9E34}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=OMS Desk
AppComments=Operator console for the Open Money Stack payments API, with an embedded offline sandbox
; Per-user: no administrator rights, installs to %LOCALAPPDATA%\Programs\OMS Desk.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=oms-desk-{#AppVersion}-setup
SetupIconFile=packaging\build-icons\oms-desk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running OMS Desk (and its sandbox child, which holds files of {app}) first.
CloseApplications=force
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "dist\oms-desk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "Operator console for the Open Money Stack"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder. Profiles, logs and the sandbox database live in the user's
; data folder (%LOCALAPPDATA%\OMS Desk) and API secrets in Windows Credential Manager;
; both are kept, as users expect when they reinstall.
Type: filesandordirs; Name: "{app}"
