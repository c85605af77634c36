#!/usr/bin/env bash
# Regenerate packaging/requirements.lock: every dependency of the app and of the installer
# build (the 'dev' extra: PyInstaller), pinned with hashes, for every OS and Python >= 3.11.
# The release builds install from it with --require-hashes, so a release is reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q 'uv>=0.4'
python3 -m uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
  --generate-hashes -o packaging/requirements.lock "$@"
