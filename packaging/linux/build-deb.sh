#!/usr/bin/env bash
# Build the Linux installer: dist/oms-desk_<version>_amd64.deb
#
#   packaging/linux/build-deb.sh            PyInstaller bundle + .deb
#   packaging/linux/build-deb.sh --no-build reuse dist/oms-desk (bundle already built)
#   DEB_COMPRESS=gzip packaging/linux/build-deb.sh   faster, larger archive (default xz)
#
# The package installs the one-folder PyInstaller bundle (app + embedded sandbox) under
# /opt/oms-desk, a launcher /usr/bin/oms-desk, a .desktop entry and hicolor icons. Its
# Depends line is computed from the NEEDED entries of every ELF file in the bundle (the Qt
# platform, input-context and theme plugins included): each system library they load is
# mapped to its Debian package with `dpkg -S` (packaging/linux/deb_depends.py). Needs:
# python3 with the project's [dev] extras (pyinstaller), dpkg-deb, readelf. No root needed.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=1
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
  esac
done

PY=${PYTHON:-python3}
VERSION=$(sed -nE 's/^__version__ *= *["'\'']([^"'\'']+)["'\''].*/\1/p' desktop/__init__.py)
[ -n "$VERSION" ] || { echo "build-deb: no __version__ in desktop/__init__.py" >&2; exit 1; }
ARCH=$(dpkg --print-architecture)
DEB=dist/oms-desk_${VERSION}_${ARCH}.deb
STAGE=build/deb/oms-desk
BUNDLE=dist/oms-desk
t0=$(date +%s)

# 1. Icons (PNG sizes for hicolor, .ico/.iconset for the other platforms), then the bundle.
"$PY" packaging/make_icons.py resources/icons/oms-desk.svg packaging/build-icons >/dev/null
if [ "$BUILD" = 1 ]; then
  echo "build-deb: PyInstaller bundle (version $VERSION)"
  nice -n 10 "$PY" -m PyInstaller --noconfirm --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/oms-desk.spec
fi
[ -x "$BUNDLE/oms-desk" ] || { echo "build-deb: $BUNDLE/oms-desk missing" >&2; exit 1; }
t1=$(date +%s)

# 2. Stage the package tree.
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
  "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/share/doc/oms-desk"
cp -a "$BUNDLE" "$STAGE/opt/oms-desk"
# Nothing in /opt may be writable by others, and no compiled caches travel along.
find "$STAGE/opt/oms-desk" -name '__pycache__' -prune -exec rm -rf {} +
chmod -R u+rwX,go+rX,go-w "$STAGE/opt/oms-desk"

cat >"$STAGE/usr/bin/oms-desk" <<'EOF'
#!/bin/sh
# Launcher for OMS Desk (installed under /opt/oms-desk by the oms-desk package).
exec /opt/oms-desk/oms-desk "$@"
EOF
chmod 0755 "$STAGE/usr/bin/oms-desk"
install -m 0644 packaging/linux/oms-desk.desktop "$STAGE/usr/share/applications/oms-desk.desktop"
install -m 0644 resources/icons/oms-desk.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/oms-desk.svg"
for s in 16 24 32 48 64 128 256 512; do
  d="$STAGE/usr/share/icons/hicolor/${s}x${s}/apps"
  mkdir -p "$d"
  install -m 0644 "packaging/build-icons/png/oms-desk-$s.png" "$d/oms-desk.png"
done
cat >"$STAGE/usr/share/doc/oms-desk/copyright" <<EOF
OMS Desk $VERSION - desktop operator console for the Open Money Stack payments API.
License: Proprietary.
Bundled third-party components (under /opt/oms-desk/_internal) keep their own licences:
CPython (PSF), Qt 6 and PySide6 (LGPLv3), ICU (Unicode licence), FastAPI, Starlette,
uvicorn, httpx, keyring, pydantic, cryptography, pycryptodome, segno and others; their
metadata (including licence texts where the wheels ship them) is in the *.dist-info folders.
EOF

# 3. Depends: the packages owning every system library an ELF file of the bundle names
#    in NEEDED (executable, extension modules, Qt libraries and plugins), see deb_depends.py.
DEPENDS=$("$PY" packaging/linux/deb_depends.py "$STAGE/opt/oms-desk")

INSTALLED_KB=$(du -sk --apparent-size "$STAGE" --exclude=DEBIAN | cut -f1)
cat >"$STAGE/DEBIAN/control" <<EOF
Package: oms-desk
Version: $VERSION
Architecture: $ARCH
Maintainer: OMS Desk maintainers <oms-desk@localhost>
Installed-Size: $INSTALLED_KB
Depends: $DEPENDS
Recommends: gnome-keyring | kwalletmanager | keepassxc
Section: misc
Priority: optional
Homepage: https://docs.polygon.technology/payments/get-started
Description: Operator console for the Open Money Stack payments API
 OMS Desk lets support agents look up customers, their endorsements, wallets,
 balances and transactions, and lets treasury staff fund wallets with cash,
 send USDC on Polygon and withdraw to a bank. It ships with an embedded,
 offline OMS-compatible sandbox so it works on a fresh machine.
EOF
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z |
  xargs -0 md5sum >DEBIAN/md5sums)

# 4. Build the archive, root-owned files without needing root. xz (dpkg's default) gives
#    the smallest file; DEB_COMPRESS=gzip is ~10x faster to build and ~30 % larger (for CI).
rm -f "$DEB"
nice -n 10 dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$STAGE" "$DEB" >/dev/null
t2=$(date +%s)

bundle_kb=$(du -sk "$BUNDLE" | cut -f1)
deb_bytes=$(stat -c %s "$DEB")
echo "build-deb: $DEB"
echo "build-deb: Depends: $DEPENDS"
awk -v b="$bundle_kb" -v d="$deb_bytes" -v i="$INSTALLED_KB" 'BEGIN {
  printf "build-deb: bundle %.1f MB on disk, .deb %.1f MB, installed size %.1f MB\n",
    b / 1024, d / 1048576, i / 1024 }'
echo "build-deb: times: bundle $((t1 - t0)) s, package $((t2 - t1)) s"
