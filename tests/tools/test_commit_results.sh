#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# ctest tools_commit_results: tools/commit-results.sh in a scratch repository commits only its
# directory (new, changed and deleted files), nothing when nothing changed, and refuses bad
# arguments.   test_commit_results.sh SRC WORK
set -uo pipefail
SRC=$1 WORK=$2/commit-results
fail() { echo "FAIL: $*" >&2; exit 1; }
T=$SRC/tools/commit-results.sh
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK" || exit 1
git init -q r && cd r && git -c user.name=t -c user.email=t@t commit -q --allow-empty -m init || fail "git init"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
mkdir -p res/sub other && echo a > res/sub/x && echo b > other/y && echo t > res/sub/x.msd.tmp && echo t > res/w.tmp.123
"$T" res --message="first" > log1 2>&1 || fail "first commit: $(cat log1)"
[ "$(git log -1 --format=%s)" = "first (1 files changed)" ] || fail "message: $(git log -1 --format=%s)"
[ "$(git show --name-only --format= HEAD)" = "res/sub/x" ] || fail "committed $(git show --name-only --format= HEAD)"
git status --porcelain | grep -q '^?? other/' || fail "other/ was touched"
[ -z "$(git ls-files '*.tmp' '*.tmp.*')" ] || fail "temporaries committed: $(git ls-files '*.tmp' '*.tmp.*')"
n=$(git rev-list --count HEAD); "$T" res > log2 2>&1 || fail "no-change call failed"
[ "$(git rev-list --count HEAD)" = "$n" ] || fail "a commit without changes"
rm res/sub/x; mkdir res/new; echo c > res/new/z; echo d > res/new/v
"$T" res > log3 2>&1 || fail "second commit: $(cat log3)"
[ "$(git log -1 --format=%s)" = "res: results so far (3 files changed)" ] || fail "message: $(git log -1 --format=%s)"
[ "$(git show --name-status --format= HEAD | sort | tr '\t' ' ' | tr '\n' ';')" = "A res/new/v;A res/new/z;D res/sub/x;" ] ||
    fail "second commit holds $(git show --name-status --format= HEAD)"
"$T" res --every=x > log4 2>&1; [ $? = 2 ] || fail "--every=x accepted"
"$T" nowhere > log5 2>&1; [ $? = 2 ] && grep -q "no such directory" log5 || fail "missing directory: $(cat log5)"
"$T" /tmp > log6 2>&1; [ $? = 2 ] || fail "a directory outside a work tree accepted"
echo "commit-results: ok"
