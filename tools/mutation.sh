#!/usr/bin/env bash
# Mutation testing of the money-critical modules (issue 19): by hand or from a scheduled job,
# never in every CI run. Needs the `mutation` extra: pip install -e '.[test,mutation]'.
#
#   tools/mutation.sh                 every module in tools/mutation.toml
#   tools/mutation.sh outbox pricing  only these
#   tools/mutation.sh --list          the modules and their files
#   tools/mutation.sh --report        re-print the last run's tables (after editing
#                                     tools/mutation-equivalents.toml), nothing re-run
#   MUTATION_SAMPLE=0 tools/mutation.sh   every mutant instead of the seeded sample
#
# One mutant at a time, at the lowest CPU priority. Do not edit or test the measured files
# while it runs: each mutant is written into the file on disk (and put back after).
set -euo pipefail
cd "$(dirname "$0")/.."
exec nice -n 19 python3 tools/mutation.py "$@"
