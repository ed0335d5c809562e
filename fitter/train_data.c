/* SPDX-License-Identifier: BSD-3-Clause */
/* What the trainer accepts (see fit.h): options, training and validation
 * data (finite targets of physical size, something to fit) and the
 * species a fit from a template gets.  Every refusal names the file and
 * the configuration, so a bad frame in a set of thousands can be found. */
#include "fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Text for the caller: a stream to write one message to, either the
 * caller's FILE or a memory stream whose text goes to o->message on
 * text_end (the library itself never prints). */
typedef struct text_sink {
    const fit_options *o;
    int kind;
    FILE *f;
    char *buf;
    size_t len;
} text_sink;

static FILE *text_begin(text_sink *t, const fit_options *o, int kind, FILE *dflt)
{
    memset(t, 0, sizeof *t);
    t->o = o, t->kind = kind;
    if (o && o->message) {
        t->f = open_memstream(&t->buf, &t->len);
        return t->f;
    }
    return dflt;
}

static void text_end(text_sink *t)
{
    if (!t->f) return;
    if (fclose(t->f) == 0 && t->buf) t->o->message(t->o->user, t->kind, t->buf);
    free(t->buf);
    t->f = NULL, t->buf = NULL;
}

static mtp_status bad(mtp_error *err, mtp_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#include <stdarg.h>
static mtp_status bad(mtp_error *err, mtp_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->status = st;
    }
    return st;
}

mtp_status fit_check_options(const fit_options *o, mtp_error *err)
{
    const struct {
        const char *name;
        double v;
    } nonneg[] = {{"energy_weight", o->energy_weight},   {"force_weight", o->force_weight},
                  {"stress_weight", o->stress_weight},   {"penalty_weight", o->penalty_weight},
                  {"tolerance", o->tolerance},           {"max_time", o->max_time},
                  {"checkpoint_interval", o->checkpoint_interval}};
    for (size_t i = 0; i < sizeof nonneg / sizeof nonneg[0]; i++)
        if (!(nonneg[i].v >= 0 && isfinite(nonneg[i].v)))
            return bad(err, MTP_ERR_INVALID, "--%s=%g: expected a finite number >= 0", nonneg[i].name, nonneg[i].v);
    if (o->energy_weight == 0 && o->force_weight == 0 && o->stress_weight == 0)
        return bad(err, MTP_ERR_INVALID,
                   "--energy_weight, --force_weight and --stress_weight are all 0: nothing would be fitted");
    if (!isfinite(o->weight_scaling) || !isfinite(o->weight_scaling_forces))
        return bad(err, MTP_ERR_INVALID, "--weight_scaling and --weight_scaling_forces must be finite numbers");
    if (o->iteration_limit < 0)
        return bad(err, MTP_ERR_INVALID, "--iteration_limit=%d: expected an integer >= 0 (0 = linear fit only)",
                   o->iteration_limit);
    if (o->restarts < 0) return bad(err, MTP_ERR_INVALID, "--restarts=%d: expected an integer >= 0", o->restarts);
    if (o->valid_every < 1) return bad(err, MTP_ERR_INVALID, "valid_every=%d: expected >= 1", o->valid_every);
    if (o->valid_patience < 0)
        return bad(err, MTP_ERR_INVALID, "--valid_patience=%d: expected >= 0 (iterations; 0 = off)", o->valid_patience);
    if (!(o->wolfe_c2 > 0 && o->wolfe_c2 < 1))
        return bad(err, MTP_ERR_INVALID, "--wolfe_c2=%g: expected a number in (0, 1)", o->wolfe_c2);
    if (o->resume && !o->checkpoint_path) return bad(err, MTP_ERR_INVALID, "resume needs a checkpoint path");
    return MTP_OK;
}

/* A target is "absurd" beyond what any electronic-structure code reports
 * (all-electron total energies of the heaviest elements are ~1e6 eV per
 * atom): such numbers are a units or parsing accident, and their squares
 * overflow the objective (1e300 -> loss inf/nan). */
#define MAX_ENERGY_PER_ATOM 1e7 /* eV    */
#define MAX_FORCE 1e6           /* eV/A  */
#define MAX_VIRIAL_PER_ATOM 1e7 /* eV    */
#define MAX_LENGTH 1e6          /* A: cell vectors and coordinates */

mtp_status fit_check_data(const mtp_cfg *cfgs, int n, const char *name, const fit_options *o, int training,
                          mtp_error *err)
{
    if (!name) name = training ? "training set" : "validation set";
    int n_e = 0, n_f = 0, n_s = 0, w_e = 0, w_f = 0, w_s = 0;
    for (int k = 0; k < n; k++) {
        const mtp_cfg *c = &cfgs[k];
        const int N = c->n_atoms;
        double cw[3];
        mtp_error e;
        if (mtp_cfg_fit_weights(c, cw, &e))
            return bad(err, e.status, "%.300s: configuration %d: %.600s", name, k + 1, e.message);
        for (int r = 0; r < 3; r++)
            for (int x = 0; x < 3; x++)
                if (!(fabs(c->lattice[r][x]) <= MAX_LENGTH))
                    return bad(err, MTP_ERR_GEOMETRY,
                               "%.300s: configuration %d: cell vector %d has the component %g A; expected a finite "
                               "length of at most %g A",
                               name, k + 1, r + 1, c->lattice[r][x], MAX_LENGTH);
        for (long x = 0; x < 3L * N; x++)
            if (!(fabs(c->positions[x]) <= MAX_LENGTH))
                return bad(err, MTP_ERR_GEOMETRY,
                           "%.300s: configuration %d: atom %ld: position component %g A; expected a finite "
                           "coordinate of at most %g A",
                           name, k + 1, x / 3 + 1, c->positions[x], MAX_LENGTH);
        if (N == 0) continue; /* nothing to compare with */
        if (c->has_energy) {
            if (!isfinite(c->energy) || fabs(c->energy) / N > MAX_ENERGY_PER_ATOM)
                return bad(err, MTP_ERR_INVALID,
                           "%.300s: configuration %d: energy %g eV (%g eV/atom) is %s; expected a finite energy "
                           "of at most %g eV/atom in magnitude",
                           name, k + 1, c->energy, c->energy / N, isfinite(c->energy) ? "absurd" : "not finite",
                           MAX_ENERGY_PER_ATOM);
            n_e++;
            w_e += cw[0] * o->energy_weight > 0;
        }
        if (c->forces) {
            int weighted = 0;
            for (long x = 0; x < 3L * N; x++) {
                double f = c->forces[x];
                if (!isfinite(f) || fabs(f) > MAX_FORCE)
                    return bad(err, MTP_ERR_INVALID,
                               "%.300s: configuration %d: atom %ld: force component %g eV/A is %s; expected a "
                               "finite force of at most %g eV/A",
                               name, k + 1, x / 3 + 1, f, isfinite(f) ? "absurd" : "not finite", MAX_FORCE);
                weighted |= !c->force_weights || c->force_weights[x / 3] > 0;
            }
            n_f++;
            w_f += weighted && cw[1] * o->force_weight > 0;
        }
        if (c->has_stress) {
            for (int q = 0; q < 6; q++)
                if (!isfinite(c->stress[q]) || fabs(c->stress[q]) / N > MAX_VIRIAL_PER_ATOM)
                    return bad(err, MTP_ERR_INVALID,
                               "%.300s: configuration %d: stress (virial) component %d = %g eV is %s; expected a "
                               "finite virial of at most %g eV/atom",
                               name, k + 1, q + 1, c->stress[q], isfinite(c->stress[q]) ? "absurd" : "not finite",
                               MAX_VIRIAL_PER_ATOM);
            n_s++;
            w_s += cw[2] * o->stress_weight > 0;
        }
    }
    if (!training || w_e + w_f + w_s > 0) return MTP_OK;
    if (n_e + n_f + n_s == 0)
        return bad(err, MTP_ERR_INVALID,
                   "%.300s: nothing to fit: none of the %d configurations has an energy, forces or a stress", name, n);
    return bad(err, MTP_ERR_INVALID,
               "%.300s: nothing to fit: %d of %d configurations have an energy, %d forces, %d a stress, but all with "
               "weight 0 (--energy_weight=%g --force_weight=%g --stress_weight=%g, times the configurations' "
               "Weight/EnergyWeight/ForceWeight/StressWeight features and force_weight columns)",
               name, n_e, n, n_f, n_s, o->energy_weight, o->force_weight, o->stress_weight);
}

int fit_named_species(const mtp_potential *pot)
{
    int S = mtp_potential_species_count(pot);
    for (int s = 0; s < S; s++)
        if (mtp_potential_species_label(pot, s) != s) return 1;
    return 0;
}

mtp_status fit_adopt_species(const mtp_potential *pot, mtp_cfg *train, int n_train, mtp_cfg *valid, int n_valid,
                             FILE *log, mtp_error *err)
{
    fit_options o;
    fit_options_default(&o);
    o.log = log;
    return fit_adopt_species_ex(pot, train, n_train, valid, n_valid, &o, err);
}

mtp_status fit_adopt_species_ex(const mtp_potential *pot, mtp_cfg *train, int n_train, mtp_cfg *valid, int n_valid,
                                const fit_options *o, mtp_error *err)
{
    if (!fit_named_species(pot)) return MTP_OK;
    /* each configuration by the library's rule (mtp_potential_cfg_species): labels only,
     * or relative types only, replaced here by the labels the potential keeps */
    const int S = mtp_potential_species_count(pot);
    long mapped = 0;
    int *sp = NULL, cap = 0;
    for (int pass = 0; pass < 2; pass++) {
        mtp_cfg *c = pass ? valid : train;
        int n = pass ? n_valid : n_train;
        for (int k = 0; k < n; k++) {
            if (c[k].n_atoms > cap) {
                int *grown = realloc(sp, (size_t)c[k].n_atoms * sizeof(int));
                if (!grown) {
                    free(sp);
                    if (err) {
                        snprintf(err->message, sizeof err->message, "out of memory");
                        err->status = MTP_ERR_NOMEM;
                    }
                    return MTP_ERR_NOMEM;
                }
                sp = grown;
                cap = c[k].n_atoms;
            }
            mtp_error why;
            if (mtp_potential_cfg_species(pot, &c[k], sp, &why)) {
                free(sp);
                if (err) {
                    snprintf(err->message, sizeof err->message, "%s configuration %d: %.900s",
                             pass ? "validation" : "training", k + 1, why.message);
                    err->status = MTP_ERR_SPECIES;
                }
                return MTP_ERR_SPECIES;
            }
            for (int i = 0; i < c[k].n_atoms; i++) {
                int label = mtp_potential_species_label(pot, sp[i]);
                if (c[k].types[i] != label) {
                    c[k].types[i] = label;
                    mapped++;
                }
            }
        }
    }
    free(sp);
    if (!mapped) return MTP_OK;
    text_sink ts;
    FILE *log = text_begin(&ts, o, MTP_TRAIN_NOTE, o->log);
    if (log) {
        fprintf(log, "# %ld atoms have relative types, read as the species of the potential in its order:", mapped);
        for (int s = 0; s < S; s++) {
            int z = mtp_potential_species_label(pot, s);
            const char *el = mtp_element_symbol(z);
            fprintf(log, " %d -> %d%s%s%s", s, z, el ? " (" : "", el ? el : "", el ? ")" : "");
        }
        fprintf(log, "; the potential keeps these labels\n");
    }
    text_end(&ts);
    return MTP_OK;
}

mtp_status fit_check_species(const mtp_potential *pot, const mtp_cfg *cfgs, int n, const char *name, mtp_error *err)
{
    for (int k = 0; k < n; k++)
        for (int i = 0; i < cfgs[k].n_atoms; i++)
            if (mtp_potential_species_index(pot, cfgs[k].types[i]) < 0) {
                int S = mtp_potential_species_count(pot), len;
                if (!err) return MTP_ERR_SPECIES;
                len = snprintf(err->message, sizeof err->message,
                               "%.300s: configuration %d: atom %d: type %d is not a species of the potential (", name,
                               k + 1, i + 1, cfgs[k].types[i]);
                for (int s = 0; s < S && len < (int)sizeof err->message - 16; s++)
                    len += snprintf(err->message + len, sizeof err->message - len, "%s%d", s ? " " : "",
                                    mtp_potential_species_label(pot, s));
                if (len < (int)sizeof err->message) snprintf(err->message + len, sizeof err->message - len, ")");
                err->status = MTP_ERR_SPECIES;
                return MTP_ERR_SPECIES;
            }
    return MTP_OK;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

typedef struct species_count {
    int label;
    long atoms;
    int cfgs, first_cfg, last_seen;
} species_count;

/* Per-label atom and configuration counts of the data (sorted by label). */
static species_count *count_types(const mtp_cfg *cfgs, int n, int *n_lab)
{
    int cap = 8, nl = 0;
    species_count *sc = malloc((size_t)cap * sizeof *sc);
    for (int k = 0; k < n && sc; k++)
        for (int i = 0; i < cfgs[k].n_atoms; i++) {
            int t = cfgs[k].types[i], q = 0;
            while (q < nl && sc[q].label != t) q++;
            if (q == nl) {
                if (nl == cap) {
                    species_count *s2 = realloc(sc, (size_t)(cap *= 2) * sizeof *sc);
                    if (!s2) {
                        free(sc);
                        return NULL;
                    }
                    sc = s2;
                }
                sc[nl++] = (species_count){t, 0, 0, k, -1};
            }
            sc[q].atoms++;
            if (sc[q].last_seen != k) sc[q].cfgs++, sc[q].last_seen = k;
        }
    if (sc) qsort(sc, (size_t)nl, sizeof *sc, cmp_int); /* label is the first member */
    *n_lab = nl;
    return sc;
}

static void print_counts(FILE *f, const species_count *sc, int nl)
{
    for (int q = 0; q < nl; q++)
        fprintf(f, "%s type %d: %ld atom%s in %d configuration%s", q ? ";" : "", sc[q].label, sc[q].atoms,
                sc[q].atoms == 1 ? "" : "s", sc[q].cfgs, sc[q].cfgs == 1 ? "" : "s");
}

mtp_status fit_species_from_data(mtp_potential *pot, const mtp_cfg *train, int n, const fit_options *o,
                                 mtp_error *err)
{
    const char *name = o->train_name ? o->train_name : "training set";
    int nl = 0;
    species_count *sc = count_types(train, n, &nl);
    if (!sc || nl == 0) {
        free(sc);
        return bad(err, MTP_ERR_INVALID, "%.300s: no atoms", name);
    }
    const int S0 = mtp_potential_species_count(pot);
    mtp_status st = MTP_OK;
    if (fit_named_species(pot)) {
        /* labels kept (fit_adopt_species mapped relative types); a named
         * species without atoms keeps its initial coefficients */
        for (int s = 0; s < S0; s++) {
            int l = mtp_potential_species_label(pot, s), seen = 0;
            for (int q = 0; q < nl; q++) seen |= sc[q].label == l;
            text_sink ts;
            FILE *w = seen ? NULL : text_begin(&ts, o, MTP_TRAIN_WARNING, o->warn);
            if (w) {
                const char *el = mtp_element_symbol(l);
                fprintf(w,
                        "mtp train: warning: species %d%s%s%s of the initial potential has no atoms in %s; its "
                        "coefficients are not fitted\n",
                        l, el ? " (" : "", el ? el : "", el ? ")" : "", name);
                text_end(&ts);
            }
        }
        free(sc);
        return MTP_OK;
    }
    /* A species seen in one configuration only is fitted to that one
     * energy (its site energy is a column no other energy row has): a
     * stray type (a conversion or type-map accident) rather than data. */
    for (int q = 0; q < nl && nl > 1 && !o->allow_rare_species; q++)
        if (sc[q].cfgs == 1) {
            text_sink ts;
            FILE *w = text_begin(&ts, o, MTP_TRAIN_WARNING, o->warn);
            if (w) {
                fprintf(w, "mtp train: the training data has %d types:", nl);
                print_counts(w, sc, nl);
                fputc('\n', w);
                text_end(&ts);
            }
            st = bad(err, MTP_ERR_SPECIES,
                     "%.300s: configuration %d: type %d occurs in no other training configuration (%ld atom%s): "
                     "a stray type would make a %d-species potential whose species %d is fitted to this one "
                     "energy; fix the types (--type_map), or pass --allow_rare_species to fit it anyway",
                     name, sc[q].first_cfg + 1, sc[q].label, sc[q].atoms, sc[q].atoms == 1 ? "" : "s", nl,
                     sc[q].label);
            free(sc);
            return st;
        }
    text_sink ts;
    FILE *w = nl != S0 ? text_begin(&ts, o, MTP_TRAIN_WARNING, o->warn) : NULL;
    if (w) {
        fprintf(w, "mtp train: the initial potential has %d species, the training data %d types, so the "
                   "potential gets %d species (its template's species are replaced by the data's, as MLIP-3 "
                   "does):", S0, nl, nl);
        print_counts(w, sc, nl);
        fputc('\n', w);
        text_end(&ts);
    }
    int *lab = malloc((size_t)nl * sizeof(int));
    if (!lab) {
        free(sc);
        return bad(err, MTP_ERR_NOMEM, "out of memory");
    }
    for (int q = 0; q < nl; q++) lab[q] = sc[q].label;
    st = mtp_potential_set_species(pot, nl, lab, err);
    free(lab), free(sc);
    return st;
}
