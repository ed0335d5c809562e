# SPDX-License-Identifier: BSD-3-Clause
# Active learning on the six grain boundaries (issue 13 item 2): the Makefile loop of
# examples/active_learning/ with the bulk campaign's model and CP2K labeller
# (../li3ps4-beta/campaign.mk, included below), exploring the bicrystals and labelling the
# extrapolative regions cut out of them as small periodic cells.
#
#   make -f examples/li3ps4-gb/campaign.mk WORKDIR=/work/li3ps4-gb-al            # start or continue
#   make -f examples/li3ps4-gb/campaign.mk WORKDIR=/work/li3ps4-gb-al status
#   examples/li3ps4-beta/commit_campaign.sh /work/li3ps4-gb-al --every=180 \
#       --out=$PWD/examples/li3ps4-gb/frames/rounds                             # beside it
#
# Round 0 is every committed bulk frame (FROM_COMMITTED), trained on from INIT_POT (default: the
# shipped bulk potential).  Each later round runs, for every boundary of GB_NAMES and every
# temperature of TEMPS, NVT MD of the bicrystal as built by build_gb.py: HEAT_STEPS of heating
# from HEAT_FROM to T, then MD_STEPS at T (the reference study sampled heating, equilibration
# and production at 300, 800 and 2000 K), graded in neighbourhood mode; `mtp select_add` picks
# at most SELECT_MAX frames and CP2K labels them whole (Gamma under --kspacing=0.42).
#
# Whole cells, not cut cubes: cut-check/README.md measured periodic cubes cut around the worst
# neighbourhood (`mtp cut_extrapolative_nbh --periodic --buffer=1`, ~170 atoms) against the whole
# 384-atom bulk cell: the centre's CP2K force is off by 0.15 eV/A and the cube's SCF took twice the
# whole cell's wall time, for one trusted force instead of 384 forces, an energy and a stress.
# GB_NAMES defaults to the three boundaries with the smallest cells, built with grains of
# GB_THICKNESS=6 A (one or two CSL periods): S5-010-010-twist 176 atoms, S5-001-001-twist 176,
# S3-110-111-tilt 288 (at the production thickness of 12 A: 496, 496, 464).  Every atom of such
# a cell has a boundary inside its 5 A neighbourhood, which is what these labels are for; bulk-like
# neighbourhoods come from the 168 bulk frames of round 0.  CP2K on the 288-atom cell (Gamma, one
# rank): ~105 s per SCF step and 7 GB (4 Dec 2026; the 464-atom 12 A cell: 68 s per step on 2 ranks
# and 8.6 GB per rank, 3 Dec).  The other three boundaries (448-464 atoms at 6 A, 6-8 A in-plane periods and so 2-3 k-points) are
# graded with the resulting potential, as are the 12 A production cells (GB_THICKNESS=12 in a
# WORKDIR of its own: a round that finds nothing there shows the thin-cell labels cover them).
# CUT=periodic CUT_OPTS="--buffer=..." still cuts instead, for a machine where that trade is
# different.  Every setting can be overridden on the command line, as in the bulk campaign.
GB_HERE := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
ifeq ($(strip $(WORKDIR)),)
$(error set WORKDIR=/path/to/scratch (CP2K outputs and the cells go there))
endif
GB_WORK := $(abspath $(WORKDIR))
PYTHON ?= /usr/bin/python3

# --- the boundaries: built by build_gb.py (geometry only, translation 0) into WORKDIR/cells,
# or GB_CELLS=DIR holding NAME.lmp of an earlier `make gb POT=...` (translation searched)
GB_NAMES ?= S5-010-010-twist S3-110-111-tilt S5-001-001-twist
GB_THICKNESS ?= 6
GB_CELLS ?= $(GB_WORK)/cells
STRUCTURES := $(foreach n,$(GB_NAMES),$(n)=$(GB_WORK)/structures/$(n).lmp)
CAMPAIGN_PREREQS := $(GB_NAMES:%=$(GB_WORK)/structures/%.lmp)

# --- exploration
TEMPS ?= 300 800 2000
STRAINS ?= 1.00
SIZES ?= 1
HEAT_STEPS ?= 2000
HEAT_FROM ?= 50
MD_STEPS ?= 10000
MD_STEPS_T2000 ?= 2000
SAVE_MAX ?= 20

# --- selection and labelling (whole cells: see the cost above)
SELECT_MAX ?= 3
CUT ?=
CUT_OPTS ?=
FROM_COMMITTED := yes
# the boundary frames committed by earlier runs of this campaign (frames/rounds*/ here) join
# round 0, so a campaign restarted after its WORKDIR was lost labels nothing twice
EXTRA_COMMITTED_FRAMES := $(sort $(wildcard $(GB_HERE)/frames/rounds*/round-*.cfg))
INIT_POT ?= $(GB_HERE)/../../potentials/Li3PS4-beta-L16/Li3PS4-beta-L16.almtp

include $(GB_HERE)/../li3ps4-beta/campaign.mk

# The cells, once (a finished build is final, as the loop's files are).
$(GB_WORK)/cells/built:
	mkdir -p $(GB_WORK)/cells.tmp
	$(PYTHON) $(GB_HERE)/build_gb.py --all -o $(GB_WORK)/cells.tmp --thickness $(GB_THICKNESS) > $(GB_WORK)/cells.tmp/build.log
	touch $(GB_WORK)/cells.tmp/built
	rm -rf $(GB_WORK)/cells && mv $(GB_WORK)/cells.tmp $(GB_WORK)/cells

# One LAMMPS input per boundary for the loop's explore.lmp (variables strain, n or nx/ny/nz).
$(GB_WORK)/structures/%.lmp: | $(if $(filter $(GB_WORK)/cells,$(GB_CELLS)),$(GB_WORK)/cells/built)
	@test -s $(GB_CELLS)/$*.lmp || { echo "campaign.mk: $(GB_CELLS)/$*.lmp: no such boundary cell (GB_NAMES, GB_CELLS)" >&2; exit 1; }
	@mkdir -p $(@D)
	@{ echo "# boundary $* for the exploration runs of examples/li3ps4-gb/campaign.mk"; \
	  echo "units           metal"; \
	  echo "boundary        p p p"; \
	  echo "atom_style      atomic"; \
	  echo "read_data       $(abspath $(GB_CELLS))/$*.lmp"; \
	  echo 'if "$${strain} != 1" then "change_box all x scale $${strain} y scale $${strain} z scale $${strain} remap"'; \
	  echo 'if "$$(is_defined(variable,nx)) == 0" then "variable nx equal $${n}" "variable ny equal $${n}" "variable nz equal $${n}"'; \
	  echo 'if "$$(v_nx*v_ny*v_nz) > 1" then "replicate $${nx} $${ny} $${nz}"'; } > $@.tmp
	@mv $@.tmp $@
