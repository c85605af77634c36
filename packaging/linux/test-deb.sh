#!/usr/bin/env bash
# Install test of the Linux package, on this machine (needs root: dpkg -i / dpkg -r).
#
#   packaging/linux/test-deb.sh [path/to/oms-desk_<version>_amd64.deb]
#
# 1. dpkg -i the .deb (missing Depends are then fetched with apt-get -f install) and check
#    the files it installs (launcher, bundle, .desktop entry, hicolor icons, version) and
#    that every module of the desktop package imports inside the bundle (--check-bundle);
# 2. /usr/bin/oms-desk --self-test under QT_QPA_PLATFORM=offscreen, as root and as nobody;
# 3. under xvfb-run (a real X server): --self-test on the xcb platform, then the installed
#    app as a user starts it (embedded sandbox with demo data in a temporary home): wait for
#    its first customer rows, check the window's WM_CLASS matches the .desktop entry's
#    StartupWMClass, take a screenshot (packaging/screenshots/installed-app.png), quit with
#    SIGTERM and check that the sandbox child went too;
# 4. start-to-first-customer-row time: installed app vs `python3 -m desktop`, same run;
# 5. dpkg -r and check nothing of the package is left (/opt/oms-desk gone).
# Exits non-zero at the first failed check.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SHOT_DIR=${SHOT_DIR:-$ROOT/packaging/screenshots}
RUNS=${TIMING_RUNS:-3}

if [ "${1:-}" = "--in-xvfb" ]; then
  # ---- runs inside xvfb-run -------------------------------------------------------------
  work=$2
  echo "test-deb: [xvfb] --self-test on the xcb platform (DISPLAY=$DISPLAY)"
  out=$(env -u QT_QPA_PLATFORM HOME="$work/home" /usr/bin/oms-desk --self-test -platform xcb 2>"$work/xcb-selftest.err")
  echo "test-deb: [xvfb] $out"
  echo "$out" | grep -q '"selfTest": "ok"'
  grep -q "propagateSizeHints" "$work/xcb-selftest.err" &&
    { echo "test-deb: [xvfb] the self-test ran offscreen, not on xcb" >&2; exit 1; }

  echo "test-deb: [xvfb] starting the installed app as a user would"
  app_home="$work/app-home"
  mkdir -p "$app_home"
  env -u QT_QPA_PLATFORM HOME="$work/home" OMS_DESK_HOME="$app_home" \
    /usr/bin/oms-desk -platform xcb >"$work/app.out" 2>&1 &
  pid=$!
  log="$app_home/logs/oms-desk.log"
  # Wait (bounded) for the app's own "first customers loaded" log line, then for the window.
  for _ in $(seq 1 600); do
    grep -q "first customers loaded" "$log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/app.out" >&2; echo "test-deb: app died" >&2; exit 1; }
    sleep 0.1
  done
  grep "first customers loaded" "$log" || { echo "test-deb: no customers after 60 s" >&2; exit 1; }
  win=""
  for _ in $(seq 1 100); do
    # The main window: a top-level titled "OMS Desk — <profile> — <environment>".
    win=$(xwininfo -root -tree | awk '/"OMS Desk — / {print $1; exit}')
    [ -n "$win" ] && break
    sleep 0.1
  done
  [ -n "$win" ] || { echo "test-deb: no OMS Desk window on the X server" >&2; exit 1; }
  props=$(xprop -id "$win" WM_CLASS _GTK_APPLICATION_ID _KDE_NET_WM_DESKTOP_FILE)
  while read -r l; do echo "test-deb: [xvfb]   $l"; done <<<"$props"
  # WM_CLASS instance = StartupWMClass; the desktop-file hints = setDesktopFileName().
  echo "$props" | grep -q '^WM_CLASS(STRING) = "oms-desk"' ||
    { echo "test-deb: WM_CLASS does not match StartupWMClass=oms-desk" >&2; exit 1; }
  echo "$props" | grep -q '^_GTK_APPLICATION_ID(UTF8_STRING) = "oms-desk"' ||
    { echo "test-deb: desktop file name is not oms-desk" >&2; exit 1; }
  # Let the table paint its rows (one event-loop turn after the page arrived is enough;
  # half a second covers a loaded machine), then photograph the whole screen.
  sleep 0.5
  mkdir -p "$SHOT_DIR"
  import -window "$win" "$SHOT_DIR/installed-app.png"
  echo "test-deb: [xvfb] screenshot $SHOT_DIR/installed-app.png"
  children=$(pgrep -P "$pid" || true)
  [ -n "$children" ] || { echo "test-deb: the app has no sandbox child" >&2; exit 1; }
  # Self-contained: the app and its sandbox child map code only from the bundle and the
  # distribution's library directories (no Python installation, no build-machine paths).
  foreign=$(for p in "$pid" $children; do awk '$6 ~ /^\// {print $6}' "/proc/$p/maps"; done | sort -u |
    grep -vE '^/(opt/oms-desk/|usr/lib/|lib/|lib64/|usr/lib64/|usr/share/|var/cache/|dev/|tmp/|memfd:)' || true)
  [ -z "$foreign" ] || { echo "test-deb: files mapped from outside the bundle/system: $foreign" >&2; exit 1; }
  echo "test-deb: [xvfb] app and sandbox map code only from /opt/oms-desk and system library dirs"
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "test-deb: app ignored SIGTERM" >&2; kill -9 "$pid"; exit 1; fi
  wait "$pid" || true
  for c in $children; do
    for _ in $(seq 1 50); do kill -0 "$c" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$c" 2>/dev/null; then echo "test-deb: sandbox child $c left running" >&2; exit 1; fi
  done
  echo "test-deb: [xvfb] app and its sandbox child ($children) exited"
  exit 0
fi

# ---- main -----------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || { echo "test-deb: run as root (dpkg -i / dpkg -r)" >&2; exit 2; }
VERSION=$(sed -nE 's/^__version__ *= *["'\'']([^"'\'']+)["'\''].*/\1/p' desktop/__init__.py)
DEB=${1:-dist/oms-desk_${VERSION}_$(dpkg --print-architecture).deb}
[ -f "$DEB" ] || { echo "test-deb: $DEB not found (run packaging/linux/build-deb.sh)" >&2; exit 1; }
for tool in xvfb-run xwininfo xprop import; do
  command -v "$tool" >/dev/null || { echo "test-deb: needs $tool (xvfb, x11-utils, imagemagick)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/oms-desk-debtest.XXXXXX)
mkdir -p "$work/home"
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)

if dpkg-query -W -f='${Status}' oms-desk 2>/dev/null | grep -q "install ok"; then
  echo "test-deb: removing a previously installed oms-desk"
  dpkg -r oms-desk >/dev/null
fi

echo "test-deb: dpkg -i $DEB"
if ! dpkg -i "$DEB" >"$work/dpkg.log" 2>&1; then
  if grep -q "dependency problems" "$work/dpkg.log"; then
    echo "test-deb: fetching missing dependencies: $(grep -oE 'depends on [^;]+' "$work/dpkg.log" | sort -u | paste -sd' ')"
    (apt-get -y -qq -f install >/dev/null 2>&1) || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -y -qq -f install >/dev/null
    }
  else
    cat "$work/dpkg.log" >&2
    exit 1
  fi
fi
dpkg-query -W -f='${Status} ${Version}\n' oms-desk | grep -q "install ok installed $VERSION" ||
  { echo "test-deb: oms-desk $VERSION is not installed" >&2; exit 1; }
for f in /usr/bin/oms-desk /opt/oms-desk/oms-desk /usr/share/applications/oms-desk.desktop \
  /usr/share/icons/hicolor/scalable/apps/oms-desk.svg /usr/share/icons/hicolor/256x256/apps/oms-desk.png; do
  [ -e "$f" ] || { echo "test-deb: $f missing" >&2; exit 1; }
done
grep -qx "StartupWMClass=oms-desk" /usr/share/applications/oms-desk.desktop
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate /usr/share/applications/oms-desk.desktop
fi
[ "$(/usr/bin/oms-desk --version)" = "OMS Desk $VERSION" ] ||
  { echo "test-deb: --version says $(/usr/bin/oms-desk --version)" >&2; exit 1; }
echo "test-deb: installed $(dpkg-query -W -f='${Package} ${Version}, Installed-Size ${Installed-Size} KiB' oms-desk)"

out=$(cd "$work" && HOME="$work/home" /usr/bin/oms-desk --check-bundle 2>&1) ||
  { echo "$out" >&2; echo "test-deb: modules missing from the bundle" >&2; exit 1; }
echo "test-deb: ${out##*$'\n'}"

echo "test-deb: /usr/bin/oms-desk --self-test (offscreen)"
out=$(cd "$work" && HOME="$work/home" QT_QPA_PLATFORM=offscreen /usr/bin/oms-desk --self-test 2>/dev/null)
echo "test-deb: $out"
echo "$out" | grep -q '"selfTest": "ok"'

if id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
  echo "test-deb: --self-test as an unprivileged user (nobody): /opt stays read-only to it"
  uhome=$(mktemp -d /tmp/oms-desk-nobody.XXXXXX)
  chown nobody "$uhome"
  out=$(cd "$uhome" && runuser -u nobody -- env HOME="$uhome" TMPDIR="$uhome" QT_QPA_PLATFORM=offscreen \
    /usr/bin/oms-desk --self-test 2>/dev/null) || true
  rm -rf "$uhome"
  echo "test-deb: $out"
  echo "$out" | grep -q '"selfTest": "ok"'
fi

echo "test-deb: xvfb-run"
xvfb-run -a -s "-screen 0 1440x900x24 -noreset" "$0" --in-xvfb "$work"

echo "test-deb: start-to-first-customer-row time, installed app vs python -m desktop ($RUNS runs each)"
# The interpreter itself, not a version-manager shim in front of it (pyenv's costs ~0.1 s).
py=$(python3 -c 'import sys; print(sys.executable)')
(cd "$work" && HOME="$work/home" PYTHONPATH="$ROOT" "$py" "$ROOT/packaging/linux/time_first_rows.py" \
  --runs "$RUNS" "installed=/usr/bin/oms-desk" "source=$py -m desktop")

echo "test-deb: dpkg -r oms-desk"
dpkg -r oms-desk >/dev/null
status=$(dpkg-query -W -f='${Status}' oms-desk 2>/dev/null || true)
case "$status" in "" | *not-installed*) ;; *) echo "test-deb: still registered: $status" >&2; exit 1 ;; esac
left=$(find /opt -maxdepth 1 -name 'oms-desk*'; ls -d /usr/bin/oms-desk /usr/share/applications/oms-desk.desktop \
  /usr/share/icons/hicolor/*/apps/oms-desk.* /usr/share/doc/oms-desk 2>/dev/null || true)
[ -z "$left" ] || { echo "test-deb: left behind after dpkg -r: $left" >&2; exit 1; }
echo "test-deb: removed cleanly (nothing left in /opt)"
echo "test-deb: OK in $(($(date +%s) - t0)) s"
