# SPDX-License-Identifier: BSD-3-Clause
# The programs of this repository for the examples' Makefiles.  Include it
# right after setting HERE (the includer's own directory):
#   include $(HERE)/../programs.mk          (or ../../programs.mk)
# It sets REPO (the repository root) and find_program: $(call find_program,NAME)
# is the repository's build/bin/NAME if it is built, else NAME on PATH, else NAME.
REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
find_program = $(or $(wildcard $(REPO)/build/bin/$(1)),$(shell command -v $(1) 2>/dev/null),$(1))
