#!/usr/bin/env bash
# Build the macOS disk image: dist/OMS-Desk-<version>-<arch>.dmg  (run on macOS)
#
#   packaging/macos/make-dmg.sh            icons + PyInstaller .app + .dmg
#   packaging/macos/make-dmg.sh --no-build reuse "dist/OMS Desk.app"
#
# The .app comes from the BUNDLE() section of packaging/oms-desk.spec (bundle id
# io.omsdesk.OMSDesk, LSMinimumSystemVersion 13.0 as Qt 6.11 requires,
# NSHighResolutionCapable). PyInstaller signs it ad hoc; set CODESIGN_IDENTITY (and
# CODESIGN_ENTITLEMENTS) to sign with a Developer ID (notarization is not done here).
# Needs: python3 with the [dev] extras, iconutil and hdiutil (both part of macOS).
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=1
[ "${1:-}" = "--no-build" ] && BUILD=0
PY=${PYTHON:-python3}
VERSION=$(sed -nE 's/^__version__ *= *["'\'']([^"'\'']+)["'\''].*/\1/p' desktop/__init__.py)
ARCH=$(uname -m)
APP="dist/OMS Desk.app"
DMG="dist/OMS-Desk-${VERSION}-${ARCH}.dmg"

if [ "$BUILD" = 1 ]; then
  "$PY" packaging/make_icons.py resources/icons/oms-desk.svg packaging/build-icons
  iconutil -c icns packaging/build-icons/oms-desk.iconset -o packaging/build-icons/oms-desk.icns
  "$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/oms-desk.spec
fi
[ -x "$APP/Contents/MacOS/oms-desk" ] || { echo "make-dmg: $APP missing" >&2; exit 1; }
/usr/libexec/PlistBuddy -c "Print :CFBundleShortVersionString" "$APP/Contents/Info.plist" |
  grep -qx "$VERSION" || { echo "make-dmg: Info.plist version is not $VERSION" >&2; exit 1; }

# PyInstaller signed every binary and the .app (CODESIGN_IDENTITY, read by the spec, or
# ad hoc); check the result the way Gatekeeper will.
codesign --verify --deep --strict "$APP"

# The image shows the app next to a link to /Applications (drag to install).
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R "$APP" "$stage/"
ln -s /Applications "$stage/Applications"
rm -f "$DMG"
hdiutil create -volname "OMS Desk $VERSION" -srcfolder "$stage" -fs HFS+ -format UDZO \
  -imagekey zlib-level=9 -ov "$DMG" >/dev/null
hdiutil verify "$DMG" >/dev/null
echo "make-dmg: $DMG ($(du -h "$DMG" | cut -f1)), app $(du -sh "$APP" | cut -f1)"
