"""packaging/requirements.lock (the release builds install from it with --require-hashes)
pins every runtime and build dependency that pyproject.toml names, each with a hash."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_lock_pins_every_dependency_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    text = (ROOT / "packaging" / "requirements.lock").read_text()
    pins = {}
    for block in re.split(r"\n(?=[a-z0-9])", text):
        m = re.match(r"([a-z0-9][a-z0-9._-]*)==(\S+)", block)
        if m:
            pins.setdefault(m.group(1).replace("_", "-"), []).append("--hash=sha256:" in block)
    missing = sorted(wanted - pins.keys())
    assert not missing, f"not in the lock (run packaging/lock.sh): {missing}"
    assert all(all(hashed) for hashed in pins.values()), "every pin carries its hashes"
