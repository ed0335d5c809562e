# SPDX-License-Identifier: BSD-3-Clause
# One round of the active-learning loop; run by Makefile in two steps:
#   $(MAKE) -f round.mk ROUND=N select   explore and select: round-NNN/frames/
#   $(MAKE) -f round.mk ROUND=N finish   label each frame, train, summarise
# (two invocations because the per-frame labelling targets can only be
# listed once the selection has been made and split into frames/NNN.cfg).
#
# Files of round NNN (in $(WORK)/round-NNN/), each a make target:
#   explore/RUN.cfg     candidate frames of one MD run (RUN = T<K>_s<strain>_n<size>;
#                       strain F scales the structure isotropically, Fx/Fy/Fz along
#                       one axis only)
#   explore/RUN.grade   "graded_steps max_grade" of that run
#   selected.cfg        the frames `mtp select_add` chose (at most SELECT_MAX)
#   cut.cfg             (CUT=periodic|cluster) the cells cut out of them
#   frames/NNN.cfg      selected.cfg (cut.cfg) split, one frame per file; frames/count
#   labelled/NNN.cfg    frame NNN labelled (empty if it failed: labelled/NNN.failed)
#   train.cfg           previous round's train.cfg + this round's labelled frames
#   pot.almtp           trained from the previous round's potential (warm start)
#   errors.tsv          training / validation errors of pot.almtp
#   row.tsv             this round's line of rounds.tsv; `converged` if nothing was selected
# Round 0 is the seed: selected.cfg = the seed structures, pot.almtp trained
# from init.almtp.
#
# Every target is written to a temporary name and renamed when complete, and
# every prerequisite is order-only (after `|`): a file that exists is final.
# So `make` after an interruption redoes exactly the missing files and never
# relabels a frame or reselects a round because some earlier file got a newer
# time stamp (clock skew on shared file systems, a touched file, a restarted
# upstream step).  To redo a step, delete its file and everything after it.

include $(dir $(lastword $(MAKEFILE_LIST)))config.mk

ifndef ROUND
$(error round.mk needs ROUND=N)
endif
NNN := $(shell printf %03d $(ROUND))
R := $(WORK)/round-$(NNN)
ifeq ($(ROUND),0)
PREV_POT := $(R)/init.almtp
else
P := $(WORK)/round-$(shell printf %03d $$(($(ROUND) - 1)))
PREV_POT := $(P)/pot.almtp
PREV_TRAIN := $(P)/train.cfg
endif

count_frames = $$(cat /dev/null $(1) | grep -c '^ *BEGIN_CFG' || true)

# Commands are not echoed (progress lines are printed instead); V=1 shows them.
ifndef V
.SILENT:
endif

.PHONY: select finish
select: $(R)/frames/count

# --- round 0: seed structures and the untrained potential --------------------
ifeq ($(ROUND),0)
SEED_RUNS := $(foreach s,$(SEED_STRAINS),$(foreach d,$(SEED_DISPLACEMENTS),$(s)_$(d)))

$(R)/selected.cfg:
	mkdir -p $(R)
ifneq ($(SEED_CFG),)
	cp $(SEED_CFG) $@.tmp
else ifneq ($(SEED_STRUCTURES),)
	cp $(SEED_STRUCTURES) $@.tmp
else
	rm -rf $(R)/seed && mkdir -p $(R)/seed && : > $@.tmp
	i=0; for run in $(SEED_RUNS); do i=$$((i + 1)); \
	  (cd $(R)/seed && $(LMP) -in $(HERE)/seed.lmp -log none -screen none \
	     -var structure $(STRUCTURE) -var strain $${run%_*} -var n $(SEED_SIZE) \
	     -var displacement $${run#*_} -var seed $$(($(SEED) + i)) -var out seed-$$i.dump); \
	  $(MTP) convert $(R)/seed/seed-$$i.dump $@.tmp --input_format=lammps_dump --append --no_loss > /dev/null; \
	done
endif
	mv $@.tmp $@
	echo "   round 0: $(call count_frames,$@) seed frames"

$(R)/init.almtp:
	mkdir -p $(R)
ifneq ($(INIT_POT),)
	cp $(INIT_POT) $@.tmp.almtp
else
	$(MTP) init --level $(LEVEL) --species $(SPECIES) --cutoff $(CUTOFF) -o $@.tmp.almtp > /dev/null
endif
	mv $@.tmp.almtp $@

# --- round N > 0: explore with the previous potential, select ----------------
else
STRUCTURE_NAMES := $(foreach e,$(STRUCTURES),$(firstword $(subst =, ,$(e))))
ifneq ($(STRUCTURES),)
ifneq ($(words $(STRUCTURE_NAMES)),$(words $(sort $(STRUCTURE_NAMES))))
$(error STRUCTURES: a NAME appears twice in '$(STRUCTURES)')
endif
ifneq ($(shell printf '%s\n' $(STRUCTURES) | grep -cvE '^[A-Za-z0-9.-]+=[^=]+$$'),0)
$(error STRUCTURES: expected NAME=FILE entries (NAME of letters, digits, '-', '.'), got '$(STRUCTURES)')
endif
RUNS := $(foreach c,$(STRUCTURE_NAMES),$(foreach n,$(SIZES),$(foreach s,$(STRAINS),$(foreach t,$(TEMPS),T$(t)_s$(s)_n$(n)_c$(c)))))
else
RUNS := $(foreach n,$(SIZES),$(foreach s,$(STRAINS),$(foreach t,$(TEMPS),T$(t)_s$(s)_n$(n))))
endif
# the structure file of a run: that of its c<NAME> field, else STRUCTURE
run_structure = $(or $(patsubst $(call run_field,$(1),c)=%,%,$(filter $(call run_field,$(1),c)=%,$(STRUCTURES))),$(STRUCTURE))
CANDIDATES := $(RUNS:%=$(R)/explore/%.cfg)

# RUN = T<temperature>_s<strain>_n<size>[_c<structure>]; its velocity seed is fixed by the
# run's name and the round, so a rerun repeats the same trajectory.
run_field = $(patsubst $(2)%,%,$(filter $(2)%,$(subst _, ,$(1))))
$(R)/explore/%.cfg: | $(PREV_POT)
	d=$(R)/explore/$*.run; rm -rf $$d; mkdir -p $$d; \
	seed=$$(( $$(printf '%s' "$* $(ROUND) $(SEED)" | cksum | cut -d' ' -f1) % 900000000 + 1 )); \
	{ echo 'variable structure string "$(call run_structure,$*)"'; \
	  echo 'variable pot string "$(PREV_POT)"'; \
	  echo 'variable T equal $(call run_field,$*,T)'; \
	  s='$(call run_field,$*,s)'; sx=1; sy=1; sz=1; \
	  case "$$s" in \
	    *x) sx=$${s%x}; s=1 ;; *y) sy=$${s%y}; s=1 ;; *z) sz=$${s%z}; s=1 ;; esac; \
	  for f in $$s $$sx $$sy $$sz; do case "$$f" in ''|*[!0-9.]*|*.*.*) \
	    echo "round $(ROUND): run $*: strain '$(call run_field,$*,s)' is not a number, optionally followed by x, y or z (STRAINS)" >&2; exit 1 ;; esac; done; \
	  echo "variable strain equal $$s"; \
	  echo "variable strain_x equal $$sx"; echo "variable strain_y equal $$sy"; echo "variable strain_z equal $$sz"; \
	  n='$(call run_field,$*,n)'; \
	  case "$$n" in \
	    *[!0-9x]*|x*|*x|*xx*|'') n=bad ;; \
	    0|0x*|*x0x*|*x0|*x00*|00*) n=bad ;; \
	    *x*x*x*) n=bad ;; \
	    *x*x*) echo "$$n" | tr x ' ' | { read nx ny nz; \
	             echo "variable nx equal $$nx"; echo "variable ny equal $$ny"; echo "variable nz equal $$nz"; } ;; \
	    *x*) n=bad ;; \
	    *) echo "variable n equal $$n" ;; \
	  esac; \
	  [ "$$n" != bad ] || { echo "round $(ROUND): run $*: size '$(call run_field,$*,n)' is not N (N x N x N cells) or AxBxC (SIZES)" >&2; exit 1; }; \
	  echo "variable seed equal $$seed"; \
	  echo 'variable steps equal $(or $(MD_STEPS_T$(call run_field,$*,T)),$(MD_STEPS))'; \
	  echo 'variable timestep equal $(TIMESTEP)'; \
	  echo 'variable heat_steps equal $(HEAT_STEPS)'; \
	  echo 'variable heat_from equal $(HEAT_FROM)'; \
	  echo 'variable every equal $(GRADE_EVERY)'; \
	  echo 'variable save equal $(THRESHOLD_SAVE)'; \
	  echo 'variable break equal $(THRESHOLD_BREAK)'; \
	  echo 'variable save_every equal $(SAVE_EVERY)'; \
	  echo 'variable save_max equal $(SAVE_MAX)'; \
	  echo 'variable pair_opts string "$(PAIR_OPTS)"'; } > $$d/params.lmp
	echo "   round $(ROUND): exploring $*"
	cd $(R)/explore/$*.run && $(MD_SUBMIT) $(LMP) -in $(EXPLORE_INPUT) -var params params.lmp \
	  -log log.lammps -screen none \
	|| { echo "round $(ROUND): LAMMPS run $* failed, see $(R)/explore/$*.run/log.lammps" >&2; exit 1; }
	d=$(R)/explore/$*.run; \
	awk '!/^#/ { n++; if ($$2 + 0 > m) m = $$2 + 0 } END { printf "%d\t%.6g\n", n, m }' \
	  $$d/grades.txt > $(R)/explore/$*.grade.tmp; \
	cat /dev/null $$(ls $$d/candidates.cfg $$d/candidates.cfg.* 2>/dev/null) > $@.tmp
	mv $(R)/explore/$*.grade.tmp $(R)/explore/$*.grade
	mv $@.tmp $@

$(R)/selected.cfg: | $(CANDIDATES) $(PREV_POT) $(PREV_TRAIN)
	rm -f $(R)/selected.tmp.cfg; \
	nonempty=$$(for f in $(CANDIDATES); do if [ -s $$f ]; then echo $$f; fi; done); \
	if [ -z "$$nonempty" ]; then : > $(R)/selected.tmp.cfg; \
	else $(MTP) select_add $(PREV_POT) $(PREV_TRAIN) $$nonempty $(R)/selected.tmp.cfg \
	       --max=$(SELECT_MAX) --log=$(R)/select.log $(SELECT_OPTS) > $(R)/select.out 2>&1 \
	     || { echo "round $(ROUND): mtp select_add failed, see $(R)/select.out" >&2; exit 1; }; fi
	mv $(R)/selected.tmp.cfg $@
	echo "   round $(ROUND): $(call count_frames,$(CANDIDATES)) candidates, $(call count_frames,$@) selected"
endif

# --- optional: cut the extrapolative neighbourhoods out of the selection -----
ifneq ($(filter-out periodic cluster,$(CUT)),)
$(error CUT=$(CUT): expected periodic, cluster or nothing)
endif
ifneq ($(and $(CUT),$(filter-out 0,$(ROUND))),)
TO_LABEL := $(R)/cut.cfg
$(R)/cut.cfg: | $(R)/selected.cfg
	if [ -s $(R)/selected.cfg ]; then \
	  $(MTP) cut_extrapolative_nbh $(R)/selected.cfg $(R)/cut.tmp.cfg \
	    $(if $(filter periodic,$(CUT)),--periodic --potential=$(PREV_POT)) $(CUT_OPTS) > $(R)/cut.log 2>&1 \
	  || { echo "round $(ROUND): mtp cut_extrapolative_nbh failed, see $(R)/cut.log" >&2; exit 1; }; \
	else : > $(R)/cut.tmp.cfg; fi
	mv $(R)/cut.tmp.cfg $@
	echo "   round $(ROUND): $(call count_frames,$@) $(CUT) cells cut out"
else
TO_LABEL := $(R)/selected.cfg
endif

# --- both: split what is to be labelled into one file per frame --------------
$(R)/frames/count: | $(TO_LABEL)
	rm -rf $(R)/frames.tmp && mkdir -p $(R)/frames.tmp
	awk -v d=$(R)/frames.tmp '/^ *BEGIN_CFG/ { f = sprintf("%s/%03d.cfg", d, n++) } f { print > f } \
	  END { print n + 0 > (d "/count") }' $(TO_LABEL)
	rm -rf $(R)/frames && mv $(R)/frames.tmp $(R)/frames

# --- finish: label, train, summarise (frames/ exists now) --------------------
ifneq ($(filter finish,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(R)/frames/count),)
$(error $(R)/frames/count is missing: run the `select` step of round $(ROUND) first)
endif
endif
FRAMES := $(sort $(wildcard $(R)/frames/[0-9]*.cfg))
LABELLED := $(FRAMES:$(R)/frames/%=$(R)/labelled/%)

finish: $(R)/row.tsv

# mtp-label exit codes: 0 labelled; 3 the frame failed (recorded in
# labelled/NNN.failed, the frame is left out: final, not retried); anything
# else (usage, a broken installation, an interrupted job) stops make, and the
# next `make` tries the frame again - mtp-label keeps its finished jobs in
# label-jobs/NNN, so nothing is computed twice.  A frame found in
# round-NNN/known-labels.cfg (frames labelled before the scratch directory was
# lost, put there by a restore such as li3ps4-beta/restore_campaign.sh) is
# taken from there instead (reuse_labelled.py; labelled/NNN.reused says where).
ifeq ($(ROUND),0)
ifneq ($(SEED_CFG),)
SEED_IS_LABELLED := yes
endif
endif
$(R)/labelled/%.cfg: | $(R)/frames/%.cfg $(LABEL_TEMPLATE)
	mkdir -p $(R)/labelled $(R)/label-jobs
	rm -f $(R)/labelled/$*.tmp.cfg $(R)/labelled/$*.failed.tmp
ifeq ($(SEED_IS_LABELLED),yes)
	cp $(R)/frames/$*.cfg $(R)/labelled/$*.tmp.cfg
else
	if [ -s $(R)/known-labels.cfg ] && /usr/bin/python3 $(HERE)/reuse_labelled.py $(R)/frames/$*.cfg \
	     $(R)/known-labels.cfg $(R)/labelled/$*.tmp.cfg > $(R)/labelled/$*.reused; then \
	  echo "   round $(ROUND): frame $* was labelled before ($(R)/known-labels.cfg), not labelled again"; \
	else rc=$$?; rm -f $(R)/labelled/$*.reused; [ $$rc -le 1 ] || exit 1; \
	echo "   round $(ROUND): labelling frame $*"; \
	rc=0; MTP_COMMAND=$(MTP) $(MTP_LABEL) $(LABEL_CODE) $(R)/frames/$*.cfg $(R)/labelled/$*.tmp.cfg \
	  --workdir=$(R)/label-jobs/$* --failed=$(R)/labelled/$*.failed.tmp \
	  $(if $(LABEL_TEMPLATE),--template=$(LABEL_TEMPLATE)) $(if $(TYPE_ORDER),--type_order=$(TYPE_ORDER)) \
	  $(if $(SUBMIT),--submit="$(SUBMIT)") $(LABEL_OPTS) > $(R)/label-jobs/$*.log 2>&1 || rc=$$?; \
	if [ $$rc = 0 ]; then rm -f $(R)/labelled/$*.failed.tmp; \
	elif [ $$rc = 3 ]; then \
	  [ -e $(R)/labelled/$*.tmp.cfg ] || : > $(R)/labelled/$*.tmp.cfg; \
	  [ -s $(R)/labelled/$*.failed.tmp ] || printf '0\tmtp-label exit 3, no reason given\n' > $(R)/labelled/$*.failed.tmp; \
	  mv $(R)/labelled/$*.failed.tmp $(R)/labelled/$*.failed; \
	  echo "round $(ROUND) frame $*: labelling failed ($$(cut -f2- $(R)/labelled/$*.failed | head -1)), left out"; \
	elif [ $$rc != 0 ]; then \
	  echo "round $(ROUND) frame $*: mtp-label exit $$rc, see $(R)/label-jobs/$*.log" >&2; exit 1; \
	fi; fi
endif
	mv $(R)/labelled/$*.tmp.cfg $@

# The stand-in labeller's template: LAMMPS' Tersoff SiC (types 1 = Si, 2 = C).
$(WORK)/standin-tersoff.lmp:
	mkdir -p $(WORK)
	printf 'pair_style tersoff\npair_coeff * * %s Si C\n' $(LAMMPS_POTENTIALS)/SiC.tersoff > $@.tmp
	mv $@.tmp $@

# A frame of known-labels.cfg that this round did not select again would drop out
# of the dataset (and commit_campaign.sh would replace the committed round file
# holding it): stop before training and say which, so that nothing is lost
# without a word.
$(R)/train.cfg: | $(LABELLED) $(PREV_TRAIN)
	test "$$(cat $(R)/frames/count)" = "$(words $(LABELLED))"
	if [ -s $(R)/known-labels.cfg ]; then rc=0; /usr/bin/python3 $(HERE)/reuse_labelled.py --unused \
	     $(R)/known-labels.cfg $(R)/known-labels.unused.cfg $(FRAMES) || rc=$$?; \
	  if [ $$rc = 1 ]; then \
	    echo "round $(ROUND): $(call count_frames,$(R)/known-labels.unused.cfg) of the $(call count_frames,$(R)/known-labels.cfg) frames of $(R)/known-labels.cfg were not selected again (the exploration did not repeat the lost one: another build, other settings?), so they would drop out of the dataset: see $(R)/known-labels.unused.cfg; they are still in git (the restore's commit: $(WORK)/restored). To train without them, remove $(R)/known-labels.cfg and run make again" >&2; exit 1; \
	  elif [ $$rc != 0 ]; then exit 1; fi; \
	fi
	cat /dev/null $(PREV_TRAIN) $(LABELLED) > $@.tmp
	mv $@.tmp $@

# Warm start from the previous potential; a round that adds nothing keeps it.
$(R)/pot.almtp: | $(R)/train.cfg $(PREV_POT)
	if [ -n "$(PREV_TRAIN)" ] && cmp -s $(R)/train.cfg $(PREV_TRAIN); then \
	  cp $(PREV_POT) $(R)/pot.tmp.almtp; \
	else \
	  echo "   round $(ROUND): training on $(call count_frames,$(R)/train.cfg) frames"; \
	  OMP_NUM_THREADS=$(TRAIN_THREADS) OPENBLAS_NUM_THREADS=1 $(TRAIN_SUBMIT) $(MTP) train $(PREV_POT) \
	    $(R)/train.cfg --save_to=$(R)/pot.tmp.almtp --al_mode=$(AL_MODE) \
	    --checkpoint=$(R)/train.checkpoint.almtp --resume $(TRAIN_OPTS) > $(R)/train.log 2>&1 \
	  || { echo "round $(ROUND): mtp train failed, see $(R)/train.log" >&2; exit 1; }; \
	fi
	rm -f $(R)/train.checkpoint.almtp
	mv $(R)/pot.tmp.almtp $@

# Component-wise MAE of `mtp check_errors`: energy meV/atom, forces eV/A.
$(R)/errors.tsv: | $(R)/pot.almtp
	bash $(HERE)/round_errors.sh $(MTP) $(R)/pot.almtp $(R)/train.cfg "$(VALID_CFG)" $(R) > $@.tmp
	mv $@.tmp $@

$(R)/row.tsv: | $(R)/errors.tsv
	bash $(HERE)/round_row.sh $(R) $(ROUND) > $@.tmp
	if [ $(ROUND) != 0 ] && [ "$$(cut -f4 $@.tmp)" = 0 ]; then touch $(R)/converged; fi
	mv $@.tmp $@
