#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Models the driver must refuse: KIM_Model_Create fails and the KIM log
# (kim.log in the working directory) holds the driver's message.
# usage: run_create_errors.sh TOOL WORK
set -eu
tool=$1 work=$2
mkdir -p "$work"
cd "$work"
fail=0
expect() {
    model=$1 message=$2
    rm -f kim.log
    "$tool" --expect-create-error "$model" || { fail=1; return; }
    if grep -qF "$message" kim.log; then
        echo "ok: $model: $message"
    else
        echo "FAIL: $model: kim.log lacks \"$message\":"
        grep -i "error" kim.log | tail -n 5
        fail=1
    fi
}
expect OpenMTP_test_relative_no_species "has species label 0, which is not an atomic number"
expect OpenMTP_test_bad_symbol "species:2: expected a chemical element symbol, found 'Xx'"
expect OpenMTP_test_species_count "species:2: expected 2 element symbols (one per species of the potential), found 1"
expect OpenMTP_test_duplicate_element "element Si is given to species 0 and 1"
exit $fail
