# SPDX-License-Identifier: BSD-3-Clause
# Settings of the active-learning loop, shared by Makefile (the driver) and
# round.mk (one round).  Every one can be overridden on the command line,
# e.g. `make TEMPS="300 900" LABEL_CODE=cp2k LABEL_OPTS=--template=cp2k.inp`.
# The defaults are the stand-in demo: zinc-blende SiC labelled by LAMMPS'
# Tersoff potential, small cells, a level-8 MTP - minutes on 2 cores.

HERE := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
include $(HERE)/../programs.mk

# Where the rounds are written (round-000/, round-001/, ..., rounds.tsv, train.cfg).
WORKDIR ?= run
WORK := $(abspath $(WORKDIR))

# Programs: the repository's build/bin/ when it has them, else PATH.
ifeq ($(origin MTP),undefined)
MTP := $(call find_program,mtp)
endif
ifeq ($(origin LMP),undefined)
LMP := $(call find_program,lmp_mtp)
endif
ifeq ($(origin MTP_LABEL),undefined)
MTP_LABEL := $(call find_program,mtp-label)
endif

# --- the potential -----------------------------------------------------------
LEVEL ?= 8
SPECIES ?= 0,1
CUTOFF ?= 4.5
# An existing potential to start from instead of `mtp init` (round 0 trains it).
INIT_POT ?=
# Grading mode of the active set: nbh (one grade per atom, the frame's grade is
# the maximum) or cfg (one grade per frame; needs at least as many training
# frames as the potential has parameters before grades become meaningful).
AL_MODE ?= nbh
# `mtp train` options.  No --max_time by default: a wall-time limit makes the
# result depend on the machine's speed and the loop irreproducible.
TRAIN_OPTS ?= --iteration_limit=100 --seed=1
# Threads of `mtp train` (1 = bit-for-bit reproducible rounds).
TRAIN_THREADS ?= 1
# Prefix of `mtp train`, e.g. "mpirun -np 4" or "srun -n 4".
TRAIN_SUBMIT ?=

# --- round 0: the seed set ---------------------------------------------------
# Either a labelled training set to start from ...
SEED_CFG ?=
# ... or unlabelled structures to label first (default: generated below).
SEED_STRUCTURES ?=
# Generated seed structures: the lattice of $(STRUCTURE) at these strains and
# cell sizes, atoms displaced at random by up to these distances (A).
SEED_STRAINS ?= 0.98 1.00 1.02
SEED_DISPLACEMENTS ?= 0.05 0.15
SEED_SIZE ?= 2

# --- exploration: LAMMPS NVT MD with extrapolation control -------------------
# LAMMPS input that builds the structure from the variables strain and n
# (cell repetitions) or nx, ny, nz (a SIZES entry AxBxC defines these three
# and no n); explore.lmp and seed.lmp include it.
STRUCTURE ?= $(HERE)/structure.lmp
# Several systems instead of one (e.g. the grain boundaries of one material):
# STRUCTURES = NAME=FILE ..., each FILE a LAMMPS input like STRUCTURE; then one
# MD run per (temperature, strain, size, structure), named ..._c<NAME> (NAME:
# letters, digits, '-' and '.'), and STRUCTURE is not used by the exploration.
STRUCTURES ?=
# The LAMMPS input of an exploration run (variables: see explore.lmp).
EXPLORE_INPUT ?= $(HERE)/explore.lmp
# Heating before the run at T: HEAT_STEPS steps of NVT whose target temperature
# ramps linearly from HEAT_FROM (K, the initial velocities) to T; graded and
# saved like the rest of the run (0: start at T).
HEAT_STEPS ?= 0
HEAT_FROM ?= 50
# One MD run per (temperature, strain, size[, structure]).
TEMPS ?= 300 1200 2400
STRAINS ?= 0.98 1.02
# SIZES entries: N (N x N x N cells) or AxBxC (A x B x C cells, e.g. 2x2x3).
SIZES ?= 2
MD_STEPS ?= 1000
# Per temperature: MD_STEPS_T<K> (e.g. MD_STEPS_T2000=500 for short bursts at
# 2000 K) replaces MD_STEPS in the runs at that temperature.
TIMESTEP ?= 0.001
# Grade every N-th step (pair_style mtp grade_every): frames are saved only on
# graded steps, so this is also the sampling interval of the candidates.
GRADE_EVERY ?= 10
THRESHOLD_SAVE ?= 2
# The MD stops (fix halt, softly) when the grade exceeds this.
THRESHOLD_BREAK ?= 10
# Of the graded steps above THRESHOLD_SAVE, save one in SAVE_EVERY, at most
# SAVE_MAX frames per run (pair_style mtp save_every / save_max).
SAVE_EVERY ?= 1
SAVE_MAX ?= 50
# Extra pair_style mtp keywords.
PAIR_OPTS ?=
# Prefix of LAMMPS, e.g. "mpirun -np 2" or "srun -n 32".
MD_SUBMIT ?=
# Base of the velocity seeds (each run gets its own, fixed, seed).
SEED ?= 12345

# --- selection ---------------------------------------------------------------
# At most this many frames per round go to the labeller.
SELECT_MAX ?= 8
SELECT_OPTS ?=

# --- cutting (optional, neighbourhood mode, for frames too large for DFT) ----
# Empty: label the selected frames whole.  periodic: label, for each selected
# frame, a small periodic cell around its most extrapolative atom (mtp
# cut_extrapolative_nbh --periodic: only the trusted atoms' forces are fitted,
# force_weight column); cluster: MLIP-3's non-periodic sphere (--cutoff).
CUT ?=
# e.g. --core=2 --max_cells=2 (periodic) or --cutoff=7 (cluster)
CUT_OPTS ?=

# --- labelling ---------------------------------------------------------------
# mtp-label CODE: lammps (classical stand-in), cp2k, vasp, qe.
LABEL_CODE ?= lammps
# The code's input template (mtp-label --template): a CP2K or pw.x input, a
# VASP directory (INCAR, KPOINTS, POTCAR), or for the stand-in the LAMMPS
# pair_style/pair_coeff lines (default: Tersoff SiC, written into WORKDIR).
LAMMPS_POTENTIALS ?= /usr/share/lammps/potentials
ifeq ($(LABEL_CODE),lammps)
LABEL_TEMPLATE ?= $(WORK)/standin-tersoff.lmp
else
LABEL_TEMPLATE ?=
endif
# Element of each cfg type 0, 1, ... (mtp-label --type_order).
TYPE_ORDER ?= Si,C
# More mtp-label options, e.g. --command="cp2k.psmp" or --retry_failed.
LABEL_OPTS ?=
# Prefix of the labelling code, given to mtp-label --submit:
# "srun -n 64", "sbatch --wait ...", "mpirun -np 4".
SUBMIT ?=

# --- stopping ----------------------------------------------------------------
# A labelled validation set for the error columns of rounds.tsv (optional;
# `make demo` makes one with tools/make-dataset.sh).
VALID_CFG ?=
# The loop stops with an error when round MAX_ROUNDS still selected frames.
MAX_ROUNDS ?= 20

# Recipes: bash, stop at the first failing command of a line.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
