# SPDX-License-Identifier: BSD-3-Clause
# The beta-Li3PS4 active-learning campaign of issue 9: the Makefile loop of
# examples/active_learning/ with this system's settings.  One command starts
# it and, after any interruption (Ctrl-C, kill, reboot), continues it:
#
#   make -f examples/li3ps4-beta/campaign.mk WORKDIR=/work/li3ps4-campaign/al
#   make -f examples/li3ps4-beta/campaign.mk WORKDIR=/work/li3ps4-campaign/al status
#
# WORKDIR is scratch (CP2K outputs and wavefunctions go there, never into git).
# Every setting below can be overridden on the command line (TEMPS="300 600",
# SELECT_MAX=4, SUBMIT="srun -n 64", ...); the loop's other settings are those
# of examples/active_learning/config.mk.  Round 0 trains on the committed,
# already labelled seed frames (frames/seed.cfg), so no seed labelling is redone.
HERE := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
include $(HERE)/../programs.mk
LOOP := $(abspath $(HERE)/../active_learning)

# --- the stage.  STAGE=small (default): the 32-atom cell at 300/600/900/2000 K and all
# strains, from the seed frames.  STAGE=large: the stage after it, on 2x2x3 supercells
# (384 atoms, Gamma point under --kspacing=0.42, ~10 min and 5.8 GB per rank per CP2K frame on
# 2 idle cores) at 300/600/900 K and strains of -2.5/0/+2.5 %, 4 frames per round; it starts
# from every committed frame (frames/seed.cfg, frames/rounds/ and frames/rounds-large/, which
# WORKDIR/committed-frames.cfg collects once) and from stage 1's last potential (INIT_POT, required),
# so its round 0 only trains on from that potential.  Use its own WORKDIR and commit its
# frames with `commit_campaign.sh WORKDIR --out=frames/rounds-large`:
#   make -f examples/li3ps4-beta/campaign.mk STAGE=large WORKDIR=/scratch/large \
#        INIT_POT=/scratch/al/round-NNN/pot.almtp
STAGE ?= small
ifeq ($(STAGE),large)
ifeq ($(strip $(INIT_POT)),)
$(error STAGE=large: set INIT_POT=the last stage-1 potential (WORKDIR_of_stage_1/round-NNN/pot.almtp))
endif
FROM_COMMITTED := yes
TEMPS ?= 300 600 900
STRAINS ?= 0.975 1.00 1.025
SIZES ?= 2x2x3
SELECT_MAX ?= 4
else ifneq ($(STAGE),small)
$(error STAGE must be small or large, got '$(STAGE)')
endif
# FROM_COMMITTED=yes (STAGE=large, and the grain-boundary campaign of ../li3ps4-gb/campaign.mk,
# which includes this file): round 0 is every committed frame (frames/seed.cfg,
# frames/rounds/round-*.cfg, frames/rounds-large*/round-*.cfg and EXTRA_COMMITTED_FRAMES),
# collected once into WORKDIR/committed-frames.cfg, trained on from INIT_POT.  That is also how
# such a stage continues after its WORKDIR was lost: start it again in a new WORKDIR and commit
# into a new directory (commit_campaign.sh --out=frames/rounds-large-2); its round 0 then holds
# every frame labelled so far, and nothing is labelled twice.
COMMITTED_FRAMES := $(HERE)/frames/seed.cfg $(sort $(wildcard $(HERE)/frames/rounds/round-*.cfg)) \
                    $(sort $(wildcard $(HERE)/frames/rounds-large*/round-*.cfg)) $(EXTRA_COMMITTED_FRAMES)
ifeq ($(FROM_COMMITTED),yes)
SEED_CFG ?= $(abspath $(WORKDIR))/committed-frames.cfg
CAMPAIGN_PREREQS += $(abspath $(WORKDIR))/committed-frames.cfg
endif

# --- the potential: MTP level 16, cutoff 5.0 A (the reference study's), Li P S
LEVEL ?= 16
SPECIES ?= 0,1,2
CUTOFF ?= 5.0
AL_MODE ?= nbh
# MLIP-3's weights, given explicitly: the campaign started (Dec 2026) before `mtp train`
# derived its own weights when given none, and every round must fit the same objective
TRAIN_OPTS ?= --iteration_limit=1000 --seed=1 --energy_weight=1 --force_weight=0.01 --stress_weight=0.001

# --- round 0: the CP2K-labelled seed frames (types 0 Li, 1 P, 2 S)
SEED_CFG ?= $(HERE)/frames/seed.cfg

# --- exploration: NVT MD of the 32-atom cell (structure.lmp: the ordered model,
# scaled by the run's strain), 1 fs steps, 300/600/900 K for 20 ps each and
# short 2 ps bursts at 2000 K, at isotropic strains -5..+5 % (linear scale
# factors) and uniaxial strains of -5 and +5 % along a, b and c (0.95x ...).
STRUCTURE ?= $(HERE)/campaign/structure.lmp
TEMPS ?= 300 600 900 2000
STRAINS ?= 0.95 0.975 1.00 1.025 1.05 0.95x 1.05x 0.95y 1.05y 0.95z 1.05z
SIZES ?= 1
TIMESTEP ?= 0.001
MD_STEPS ?= 20000
MD_STEPS_T2000 ?= 2000
GRADE_EVERY ?= 10
THRESHOLD_SAVE ?= 2
THRESHOLD_BREAK ?= 10
SAVE_MAX ?= 50

# --- selection and labelling: the production CP2K template with its k-point
# mesh set per frame by --kspacing=0.42/A (2x2x3 for the 32-atom cell at every
# strain of -5..+5 %, as in the template; 1x1x2 for a 2x2x2 supercell)
SELECT_MAX ?= 8
LABEL_CODE ?= cp2k
LABEL_TEMPLATE ?= $(HERE)/cp2k/li3ps4_label.inp
TYPE_ORDER ?= Li,P,S
LABEL_OPTS ?= --command=cp2k.psmp --kspacing=0.42
SUBMIT ?= mpirun --allow-run-as-root -np 2
MAX_ROUNDS ?= 40

# 2 MPI ranks x 1 thread is 17 % faster than 1 rank x 2 threads (cp2k/README.md)
export OMP_NUM_THREADS := 1

CAMPAIGN_VARS = LEVEL=$(LEVEL) SPECIES=$(SPECIES) CUTOFF=$(CUTOFF) AL_MODE=$(AL_MODE) \
  TRAIN_OPTS="$(TRAIN_OPTS)" SEED_CFG=$(SEED_CFG) STRUCTURE=$(STRUCTURE) \
  TEMPS="$(TEMPS)" STRAINS="$(STRAINS)" SIZES="$(SIZES)" TIMESTEP=$(TIMESTEP) \
  MD_STEPS=$(MD_STEPS) GRADE_EVERY=$(GRADE_EVERY) \
  THRESHOLD_SAVE=$(THRESHOLD_SAVE) THRESHOLD_BREAK=$(THRESHOLD_BREAK) SAVE_MAX=$(SAVE_MAX) \
  SELECT_MAX=$(SELECT_MAX) LABEL_CODE=$(LABEL_CODE) LABEL_TEMPLATE=$(LABEL_TEMPLATE) \
  TYPE_ORDER=$(TYPE_ORDER) LABEL_OPTS="$(LABEL_OPTS)" SUBMIT="$(SUBMIT)" \
  MAX_ROUNDS=$(MAX_ROUNDS) $(if $(INIT_POT),INIT_POT=$(abspath $(INIT_POT))) \
  $(foreach t,$(TEMPS),$(if $(MD_STEPS_T$(t)),MD_STEPS_T$(t)=$(MD_STEPS_T$(t)))) \
  $(if $(STRUCTURES),STRUCTURES="$(STRUCTURES)") $(if $(HEAT_STEPS),HEAT_STEPS=$(HEAT_STEPS)) \
  $(if $(HEAT_FROM),HEAT_FROM=$(HEAT_FROM)) $(if $(CUT),CUT=$(CUT) CUT_OPTS="$(CUT_OPTS)") \
  $(if $(VALID_CFG),VALID_CFG=$(abspath $(VALID_CFG)))

.PHONY: all status plot
# status and plot only read WORKDIR: they need none of the prerequisites
all: $(CAMPAIGN_PREREQS)
all status plot:
	@test -n "$(WORKDIR)" || { echo "campaign.mk: set WORKDIR=/path/to/scratch (CP2K outputs go there)" >&2; exit 2; }
	$(MAKE) -C $(LOOP) $@ WORKDIR=$(abspath $(WORKDIR)) $(CAMPAIGN_VARS)

# FROM_COMMITTED's seed: the committed frames, read and rewritten by mtp convert (so a
# malformed file stops here); made once (a frame committed later does not change a running stage)
MTP_BIN ?= $(or $(MTP),$(call find_program,mtp))
$(abspath $(WORKDIR))/committed-frames.cfg:
	@test -n "$(WORKDIR)" || { echo "campaign.mk: set WORKDIR=/path/to/scratch (CP2K outputs go there)" >&2; exit 2; }
	mkdir -p $(@D)
	cat $(COMMITTED_FRAMES) > $@.all.cfg
	$(MTP_BIN) convert $@.all.cfg $@.tmp.cfg --no_loss > /dev/null
	rm -f $@.all.cfg
	mv $@.tmp.cfg $@
	@echo "campaign.mk: round 0 is the $$(grep -c BEGIN_CFG $@) committed frames ($@)"
