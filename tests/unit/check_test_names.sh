#!/usr/bin/env bash
# CTest splits doctest case names at ';' (CMake's list separator): such a case is
# discovered as fragments that match no test, and each fragment "passes" having
# run nothing. Fail on any TEST_CASE/SUBCASE/TEST_CASE_TEMPLATE name with a ';'.
set -u
dir=${1:?usage: check_test_names.sh <tests/unit dir>}
if grep -rnE '(TEST_CASE|SUBCASE|TEST_CASE_TEMPLATE)\("[^"]*;' "$dir" --include='*.cpp'; then
  echo "unit test names above contain ';': CTest would run none of them; use ',' instead" >&2
  exit 1
fi
echo "no unit test name contains ';'"
