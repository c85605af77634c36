"""Compute the Debian `Depends` of a PyInstaller bundle.

    python3 packaging/linux/deb_depends.py BUNDLE_DIR

Reads the direct `NEEDED` entries and the GLIBC symbol versions of every ELF file in the
bundle (the executable, Python extension modules, Qt libraries and the Qt platform, input
context, theme and image-format plugins) with `readelf`, drops the sonames the bundle
itself provides, finds the remaining ones in the dynamic linker's cache (`ldconfig -p`)
and maps each file to the package that owns it (`dpkg -S`). Sonames that the build
machine lacks are mapped through a table of Qt's known X11/Wayland/GL dependencies;
any other unresolved soname is an error. Prints one line: the Depends value.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

# Qt's libraries a build machine may lack (CI runners often have no libxcb-cursor0).
KNOWN = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
}
# Loaded with dlopen() (invisible to NEEDED) or needed to draw any text at all.
EXTRA = ["libdbus-1-3", "fonts-dejavu-core | fonts-liberation2 | fonts-noto-core"]


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def readelf(path: Path) -> tuple[list[str], list[tuple[int, int]]]:
    out = subprocess.run(
        ["readelf", "-dVW", str(path)], capture_output=True, text=True, check=False
    ).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    glibc = [(int(a), int(b)) for a, b in re.findall(r"Name: GLIBC_(\d+)\.(\d+)", out)]
    return needed, glibc


def ldconfig_cache() -> dict[str, str]:
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    # Keep the native entries only: on x86_64 they are tagged "libc6,x86-64".
    tag = "x86-64" if os.uname().machine == "x86_64" else ""
    cache: dict[str, str] = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and tag in m.group(2):
            cache.setdefault(m.group(1), m.group(3))
    return cache


def owner(path: str) -> str | None:
    real = os.path.realpath(path)
    candidates = [path, real]
    for p in (path, real):
        candidates.append(p[4:] if p.startswith("/usr/") else "/usr" + p)
    for cand in dict.fromkeys(candidates):
        r = subprocess.run(["dpkg", "-S", cand], capture_output=True, text=True, check=False)
        if r.returncode == 0 and r.stdout:
            return r.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def depends(bundle: Path) -> str:
    elfs = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)]
    provided = {p.name for p in bundle.rglob("*.so*")}
    wanted: dict[str, str] = {}  # soname -> first file needing it
    glibc = (2, 0)
    for f in elfs:
        needed, versions = readelf(f)
        glibc = max([glibc, *versions])
        for so in needed:
            if so not in provided:
                wanted.setdefault(so, str(f.relative_to(bundle)))
    cache = ldconfig_cache()
    pkgs: set[str] = set()
    unresolved = []
    for so, user in sorted(wanted.items()):
        pkg = owner(cache[so]) if so in cache else None
        pkg = pkg or KNOWN.get(so)
        if pkg:
            pkgs.add(pkg)
        else:
            unresolved.append(f"{so} (needed by {user})")
    if unresolved:
        raise SystemExit("deb_depends: cannot resolve: " + "; ".join(unresolved))
    out = [f"libc6 (>= {glibc[0]}.{glibc[1]})" if p == "libc6" else p for p in sorted(pkgs)]
    out += [e for e in EXTRA if e not in pkgs]
    return ", ".join(out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(depends(Path(sys.argv[1])))
