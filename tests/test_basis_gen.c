/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the basis generator (libmtp/src/basis_gen.c).
 *
 * 1. For every MLIP-3 template level 06..28 the generated basis has the
 *    same SET of scalar invariants as the template: all scalar basis
 *    functions of both bases are evaluated on several random
 *    neighbourhoods (random unit vectors, independent random radial
 *    values f_mu per neighbour) with a small self-contained evaluator,
 *    and a one-to-one matching with equal values (1e-10 relative) and
 *    equal counts is required.  Also the default K, MLIP's structural
 *    constraints on alpha_index_times, and a write/read round trip.
 * 2. Levels without a template (2..5, 7, 30) generate and are rotation
 *    invariant; absurd arguments are rejected.
 * Usage: test_basis_gen <shared data dir>; exits 77 (skip) when the
 * template directory is absent.
 */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond, ...)                                                                              \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            failures++;                                                                               \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                               \
            printf(__VA_ARGS__);                                                                      \
            printf("\n");                                                                             \
        }                                                                                             \
    } while (0)

/* ---- a basis as plain arrays --------------------------------------- */
typedef struct basis {
    int K, nmom, nbasic, ntimes, nscal;
    int (*basic)[4];
    int (*times)[4];
    int *mapping;
} basis;

static void basis_free(basis *b)
{
    free(b->basic);
    free(b->times);
    free(b->mapping);
    memset(b, 0, sizeof *b);
}

/* ---- tiny template parser (only the integer fields we need) -------- */
static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, fp) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = 0;
    fclose(fp);
    return s;
}

static const char *field(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; (p = strstr(p, key)); p += kl) {
        int bol = p == text || p[-1] == '\n' || p[-1] == '\t' || p[-1] == ' ';
        const char *q = p + kl;
        while (*q == ' ') q++;
        if (bol && *q == '=') return q + 1;
    }
    return NULL;
}

static int int_field(const char *text, const char *key, int *out)
{
    const char *p = field(text, key);
    return p && sscanf(p, "%d", out) == 1;
}

/* read n integers of a "{...}" list field */
static int *int_list(const char *text, const char *key, int n)
{
    const char *p = field(text, key);
    if (!p) return NULL;
    int *v = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        while (*p && *p != '-' && (*p < '0' || *p > '9')) {
            if (*p == '\n') {
                free(v);
                return NULL;
            }
            p++;
        }
        char *end;
        v[i] = (int)strtol(p, &end, 10);
        if (end == p) {
            free(v);
            return NULL;
        }
        p = end;
    }
    return v;
}

static int load_template(const char *path, basis *b)
{
    memset(b, 0, sizeof *b);
    char *t = slurp(path);
    if (!t) return 0;
    int ok = int_field(t, "radial_funcs_count", &b->K) && int_field(t, "alpha_moments_count", &b->nmom) &&
             int_field(t, "alpha_index_basic_count", &b->nbasic) &&
             int_field(t, "alpha_index_times_count", &b->ntimes) &&
             int_field(t, "alpha_scalar_moments", &b->nscal);
    if (ok) {
        b->basic = (int(*)[4])int_list(t, "alpha_index_basic", 4 * b->nbasic);
        b->times = (int(*)[4])int_list(t, "alpha_index_times", 4 * b->ntimes);
        b->mapping = int_list(t, "alpha_moment_mapping", b->nscal);
        ok = b->basic && b->times && b->mapping;
    }
    free(t);
    return ok;
}

static int from_potential(const mtp_potential *p, basis *b)
{
    memset(b, 0, sizeof *b);
    b->K = p->radial_funcs_count;
    b->nmom = p->moments_count;
    b->nbasic = p->basic_count;
    b->ntimes = p->times_count;
    b->nscal = p->scalar_count;
    b->basic = malloc(sizeof *b->basic * (size_t)(b->nbasic + 1));
    b->times = malloc(sizeof *b->times * (size_t)(b->ntimes + 1));
    b->mapping = malloc(sizeof(int) * (size_t)(b->nscal + 1));
    if (!b->basic || !b->times || !b->mapping) return 0;
    memcpy(b->basic, p->basic, sizeof *b->basic * (size_t)b->nbasic);
    memcpy(b->times, p->times, sizeof *b->times * (size_t)b->ntimes);
    memcpy(b->mapping, p->mapping, sizeof(int) * (size_t)b->nscal);
    return 1;
}

/* ---- evaluation ------------------------------------------------------ */
#define NNB 9  /* neighbours per neighbourhood */
#define NTRIAL 3
typedef struct nbh {
    double r[NNB][3]; /* unit vectors */
    double f[NNB][8]; /* f_mu per neighbour, mu < 8 */
} nbh;

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;
static double urand(void) /* [0,1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * (1.0 / 9007199254740992.0);
}
static double nrand(void)
{
    double u = urand() + 1e-300, v = urand();
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static void random_nbh(nbh *h)
{
    for (int j = 0; j < NNB; j++) {
        double x = nrand(), y = nrand(), z = nrand(), n = sqrt(x * x + y * y + z * z);
        h->r[j][0] = x / n;
        h->r[j][1] = y / n;
        h->r[j][2] = z / n;
        for (int mu = 0; mu < 8; mu++) h->f[j][mu] = 2 * urand() - 1;
    }
}

static double ipow(double x, int n)
{
    double r = 1;
    while (n-- > 0) r *= x;
    return r;
}

/* scalars out[nscal]; M scratch[nmom] */
static void eval_basis(const basis *b, const nbh *h, double *M, double *out)
{
    for (int m = 0; m < b->nmom; m++) M[m] = 0;
    for (int m = 0; m < b->nbasic; m++) {
        const int *q = b->basic[m];
        double s = 0;
        for (int j = 0; j < NNB; j++)
            s += h->f[j][q[0]] * ipow(h->r[j][0], q[1]) * ipow(h->r[j][1], q[2]) * ipow(h->r[j][2], q[3]);
        M[m] = s;
    }
    for (int t = 0; t < b->ntimes; t++) {
        const int *e = b->times[t];
        M[e[3]] += e[2] * M[e[0]] * M[e[1]];
    }
    for (int k = 0; k < b->nscal; k++) out[k] = M[b->mapping[k]];
}

static double *eval_all(const basis *b, const nbh *h, int ntrial)
{
    double *M = malloc(sizeof(double) * (size_t)b->nmom);
    double *v = malloc(sizeof(double) * (size_t)b->nscal * (size_t)ntrial);
    double *tmp = malloc(sizeof(double) * (size_t)b->nscal);
    for (int t = 0; t < ntrial; t++) {
        eval_basis(b, &h[t], M, tmp);
        for (int k = 0; k < b->nscal; k++) v[(size_t)k * ntrial + t] = tmp[k];
    }
    free(M);
    free(tmp);
    return v; /* [nscal][ntrial] */
}

static int close_rel(double a, double b, double tol)
{
    double s = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= tol * s;
}

static const double *sort_vals;
static int sort_n;
static int idx_cmp(const void *x, const void *y)
{
    double a = sort_vals[(size_t)*(const int *)x * sort_n], b = sort_vals[(size_t)*(const int *)y * sort_n];
    return a < b ? -1 : a > b;
}

/* one-to-one matching of scalar value vectors; returns # unmatched of a */
static int match_sets(const double *va, int na, const double *vb, int nb, int nt, double tol)
{
    int *ord = malloc(sizeof(int) * (size_t)(nb + 1));
    char *used = calloc((size_t)nb + 1, 1);
    for (int i = 0; i < nb; i++) ord[i] = i;
    sort_vals = vb;
    sort_n = nt;
    qsort(ord, (size_t)nb, sizeof(int), idx_cmp);
    int unmatched = 0;
    for (int i = 0; i < na; i++) {
        double x = va[(size_t)i * nt];
        double lo = x - tol * fabs(x) * 1.000001 - 1e-300;
        /* first position with value >= lo */
        int l = 0, h = nb;
        while (l < h) {
            int m = (l + h) / 2;
            if (vb[(size_t)ord[m] * nt] < lo) l = m + 1; else h = m;
        }
        int found = 0;
        for (int q = l; q < nb; q++) {
            int k = ord[q];
            double y = vb[(size_t)k * nt];
            if (y > x + tol * fabs(x) * 1.000001 + 1e-300) break;
            if (used[k]) continue;
            int ok = 1;
            for (int t = 0; t < nt && ok; t++) ok = close_rel(va[(size_t)i * nt + t], vb[(size_t)k * nt + t], tol);
            if (ok) {
                used[k] = 1;
                found = 1;
                break;
            }
        }
        if (!found) unmatched++;
    }
    free(ord);
    free(used);
    return unmatched;
}

/* MLIP's structural constraints on alpha_index_times */
static int check_structure(const mtp_potential *p, int level)
{
    int bad = 0, B = p->basic_count, prev = B;
    for (int t = 0; t < p->times_count; t++) {
        const int *e = p->times[t];
        if (e[3] < B || e[3] < prev || e[3] > prev + 1 || e[0] > e[1] || e[1] >= e[3] || e[0] < 0 ||
            e[2] < 1) {
            if (bad < 3) printf("  level %d: bad times entry %d {%d, %d, %d, %d}\n", level, t, e[0], e[1], e[2], e[3]);
            bad++;
        }
        if (t == 0 && e[3] != B) bad++;
        prev = e[3];
    }
    if (p->times_count > 0 && prev != p->moments_count - 1) bad++;
    if (p->times_count == 0 && p->moments_count != B) bad++;
    int maxmu = -1;
    for (int q = 0; q < B; q++)
        if (p->basic[q][0] > maxmu) maxmu = p->basic[q][0];
    if (maxmu + 1 != p->radial_funcs_count) bad++;
    return bad;
}

static mtp_potential *generate(int level, int K, mtp_error *err)
{
    mtp_basis_options o;
    memset(&o, 0, sizeof o);
    o.level = level;
    o.species_count = 1;
    o.min_dist = 2.0;
    o.max_dist = 5.0;
    o.radial_basis_size = 8;
    o.radial_funcs_count = K;
    mtp_potential *p = NULL;
    mtp_status st = mtp_potential_generate(&o, &p, err);
    if (st) return NULL;
    return p;
}

static void rotate(const nbh *in, nbh *out)
{
    /* random rotation from a random unit quaternion */
    double q[4], n = 0;
    for (int i = 0; i < 4; i++) q[i] = nrand(), n += q[i] * q[i];
    n = sqrt(n);
    for (int i = 0; i < 4; i++) q[i] /= n;
    double w = q[0], x = q[1], y = q[2], z = q[3];
    double R[3][3] = {{1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)},
                      {2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)},
                      {2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)}};
    *out = *in;
    for (int j = 0; j < NNB; j++)
        for (int a = 0; a < 3; a++)
            out->r[j][a] = R[a][0] * in->r[j][0] + R[a][1] * in->r[j][1] + R[a][2] * in->r[j][2];
}

static void test_rotation(int level)
{
    mtp_error err;
    mtp_potential *p = generate(level, 0, &err);
    CHECK(p, "level %d: generation failed: %s", level, err.message);
    if (!p) return;
    CHECK(check_structure(p, level) == 0, "level %d: alpha_index_times violates MLIP's constraints", level);
    CHECK(mtp_potential_level(p) == (level & ~1), "level %d: computed level %d", level,
          mtp_potential_level(p));
    basis b;
    from_potential(p, &b);
    nbh h[2];
    random_nbh(&h[0]);
    rotate(&h[0], &h[1]);
    double *v = eval_all(&b, h, 2);
    int bad = 0;
    for (int k = 0; k < b.nscal; k++)
        if (!close_rel(v[2 * k], v[2 * k + 1], 1e-10)) {
            if (bad < 3) printf("  level %d scalar %d: %.17g vs rotated %.17g\n", level, k, v[2 * k], v[2 * k + 1]);
            bad++;
        }
    CHECK(bad == 0, "level %d: %d scalars are not rotation invariant", level, bad);
    printf("level %2d: K=%d basic %d moments %d times %d scalars %d, rotation invariant: %s\n", level, b.K,
           b.nbasic, b.nmom, b.ntimes, b.nscal, bad ? "NO" : "yes");
    free(v);
    basis_free(&b);
    mtp_potential_destroy(p);
}

static void test_invalid(void)
{
    mtp_error err;
    mtp_potential *p = (mtp_potential *)1;
    mtp_basis_options o = {6, 1, NULL, 2.0, 5.0, 8, 0};
    o.level = 1;
    CHECK(mtp_potential_generate(&o, &p, &err) == MTP_ERR_INVALID && !p, "level 1 accepted");
    o.level = 1000000;
    CHECK(mtp_potential_generate(&o, &p, &err) == MTP_ERR_INVALID, "level 1e6 accepted");
    o.level = 6;
    o.radial_funcs_count = 3; /* mu = 2 needs level >= 10 */
    CHECK(mtp_potential_generate(&o, &p, &err) == MTP_ERR_INVALID, "K=3 at level 6 accepted");
    o.radial_funcs_count = -1;
    CHECK(mtp_potential_generate(&o, &p, &err) == MTP_ERR_INVALID, "K=-1 accepted");
    o.radial_funcs_count = 0;
    o.species_count = 0;
    CHECK(mtp_potential_generate(&o, &p, &err) == MTP_ERR_INVALID, "0 species accepted");
    o.species_count = 2;
    int labels[2] = {3, 3};
    o.species_labels = labels;
    CHECK(mtp_potential_generate(&o, &p, &err) == MTP_ERR_INVALID, "duplicate labels accepted");
    o.species_labels = NULL;
    o.min_dist = 6;
    CHECK(mtp_potential_generate(&o, &p, &err) == MTP_ERR_INVALID, "min_dist > max_dist accepted");
    o.min_dist = 2;
    o.radial_basis_size = 0;
    CHECK(mtp_potential_generate(&o, &p, &err) == MTP_ERR_INVALID, "R = 0 accepted");
    CHECK(mtp_potential_generate(NULL, &p, &err) == MTP_ERR_INVALID, "NULL options accepted");
    CHECK(mtp_default_radial_funcs(1) == 0, "default K of level 1");
    static const int kd[] = {2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 6, 6};
    for (int L = 6; L <= 28; L += 2)
        CHECK(mtp_default_radial_funcs(L) == kd[(L - 6) / 2], "default K of level %d", L);

    /* species labels and the other fields */
    int lab3[3] = {3, 22, 8};
    mtp_basis_options o3 = {10, 3, lab3, 1.5, 4.5, 10, 2};
    p = NULL;
    CHECK(mtp_potential_generate(&o3, &p, &err) == MTP_OK && p, "3-species generation: %s", err.message);
    if (p) {
        mtp_potential_info in = mtp_potential_get_info(p);
        CHECK(in.species_count == 3 && in.radial_funcs_count == 2 && in.radial_basis_size == 10 &&
                  in.min_dist == 1.5 && in.max_dist == 4.5 && in.scaling == 1.0 && !in.trained &&
                  in.level == 10,
              "generated potential info");
        CHECK(mtp_potential_species_label(p, 1) == 22, "species label");
        CHECK(strcmp(p->name, "MTP1m") == 0, "name");
        mtp_potential_destroy(p);
    }
}

/* write/read round trip keeps the basis */
static void test_roundtrip(const mtp_potential *p, int level)
{
    mtp_error err;
    char *buf = NULL;
    size_t n = 0;
    mtp_status st = mtp_potential_write_buffer(p, &buf, &n, &err);
    CHECK(st == MTP_OK, "level %d: write failed: %s", level, err.message);
    if (st) return;
    mtp_potential *q = NULL;
    st = mtp_potential_read_buffer(buf, n, "<roundtrip>", &q, &err);
    CHECK(st == MTP_OK, "level %d: re-read failed: %s", level, err.message);
    if (!st) {
        CHECK(q->basic_count == p->basic_count && q->times_count == p->times_count &&
                  q->scalar_count == p->scalar_count && q->moments_count == p->moments_count &&
                  !memcmp(q->basic, p->basic, sizeof *p->basic * (size_t)p->basic_count) &&
                  !memcmp(q->times, p->times, sizeof *p->times * (size_t)p->times_count) &&
                  !memcmp(q->mapping, p->mapping, sizeof(int) * (size_t)p->scalar_count),
              "level %d: round trip changed the basis", level);
        mtp_potential_destroy(q);
    }
    free(buf);
}

/* The library's kernel evaluates a generated basis (with random
 * coefficients) exactly like the reference evaluator above. */
static void test_kernel(int level)
{
    mtp_error err;
    mtp_potential *p = generate(level, 0, &err);
    CHECK(p, "level %d: generation failed", level);
    if (!p) return;
    int K = p->radial_funcs_count, R = p->radial_basis_size, A = p->scalar_count;
    p->radial_coeffs = calloc((size_t)K * R, sizeof(double));
    p->species_coeffs = calloc(1, sizeof(double));
    p->moment_coeffs = calloc((size_t)A, sizeof(double));
    for (int i = 0; i < K * R; i++) p->radial_coeffs[i] = 2 * urand() - 1;
    p->species_coeffs[0] = 0.5;
    for (int i = 0; i < A; i++) p->moment_coeffs[i] = 2 * urand() - 1;
    p->scaling = 0.3;
    p->trained = 1;
    mtp_calculator *calc = NULL;
    mtp_status st = mtp_potential_finalize(p, "<kernel test>", &err);
    if (!st) st = mtp_calculator_create(p, &calc, &err);
    CHECK(st == MTP_OK, "level %d: kernel setup failed: %s", level, err.message);
    if (st) {
        mtp_potential_destroy(p);
        return;
    }
    /* neighbourhood: distances in (min_dist, max_dist), radial values by
     * the Chebyshev formula of spec section 1 */
    nbh h;
    double rij[NNB][3];
    int species[NNB] = {0};
    random_nbh(&h);
    for (int j = 0; j < NNB; j++) {
        double r = p->min_dist + (p->max_dist - p->min_dist) * (0.05 + 0.9 * urand());
        for (int a = 0; a < 3; a++) rij[j][a] = r * h.r[j][a];
        double xi = (2 * r - (p->min_dist + p->max_dist)) / (p->max_dist - p->min_dist);
        double T[64];
        T[0] = 1;
        T[1] = xi;
        for (int b = 2; b < R; b++) T[b] = 2 * xi * T[b - 1] - T[b - 2];
        for (int mu = 0; mu < K; mu++) {
            double f = 0;
            for (int b = 0; b < R; b++)
                f += p->radial_coeffs[mu * R + b] * p->scaling * T[b] * (r - p->max_dist) * (r - p->max_dist);
            h.f[j][mu] = f;
        }
    }
    basis b;
    from_potential(p, &b);
    double *M = malloc(sizeof(double) * (size_t)b.nmom), *want = malloc(sizeof(double) * (size_t)A),
           *got = malloc(sizeof(double) * (size_t)A);
    eval_basis(&b, &h, M, want);
    double e = 0, ewant = p->species_coeffs[0];
    for (int k = 0; k < A; k++) ewant += p->moment_coeffs[k] * want[k];
    st = mtp_site_eval(calc, 0, NNB, species, &rij[0][0], &e, NULL, got, NULL, &err);
    CHECK(st == MTP_OK, "level %d: mtp_site_eval failed: %s", level, err.message);
    int bad = 0;
    for (int k = 0; k < A && !st; k++) bad += !close_rel(got[k], want[k], 1e-10);
    CHECK(bad == 0, "level %d: %d kernel basis values differ from the reference", level, bad);
    CHECK(close_rel(e, ewant, 1e-10), "level %d: kernel energy %.17g, reference %.17g", level, e, ewant);
    printf("level %2d: library kernel agrees with the reference evaluator (%d basis functions)\n", level, A);
    free(M);
    free(want);
    free(got);
    basis_free(&b);
    mtp_calculator_destroy(calc);
    mtp_potential_destroy(p);
}

int main(int argc, char **argv)
{
    test_invalid();
    for (int L = 2; L <= 5; L++) test_rotation(L);
    test_rotation(7);
    test_rotation(30);
    test_kernel(16);
    test_kernel(30);

    char dir[4096];
    if (argc < 2) {
        printf("SKIP template comparison: no data directory given\n");
        return failures ? 1 : 77;
    }
    snprintf(dir, sizeof dir, "%s/mlip3/templates", argv[1]);
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/06.almtp", dir);
    FILE *fp = fopen(probe, "r");
    if (!fp) {
        printf("SKIP template comparison: %s not found\n", probe);
        return failures ? 1 : 77;
    }
    fclose(fp);

    printf("level  K | basic ours/tmpl | moments ours/tmpl | times ours/tmpl | scalars ours/tmpl | unmatched\n");
    for (int L = 6; L <= 28; L += 2) {
        char path[4300];
        snprintf(path, sizeof path, "%s/%02d.almtp", dir, L);
        basis t;
        if (!load_template(path, &t)) {
            CHECK(0, "cannot parse %s", path);
            continue;
        }
        mtp_error err;
        mtp_potential *p = generate(L, 0, &err);
        CHECK(p, "level %d: generation failed: %s", L, p ? "" : err.message);
        if (!p) {
            basis_free(&t);
            continue;
        }
        CHECK(p->radial_funcs_count == t.K, "level %d: default K %d, template %d", L, p->radial_funcs_count, t.K);
        CHECK(check_structure(p, L) == 0, "level %d: alpha_index_times violates MLIP's constraints", L);
        CHECK(mtp_potential_level(p) == L, "level %d: computed level %d", L, mtp_potential_level(p));
        basis b;
        from_potential(p, &b);
        nbh h[NTRIAL];
        for (int i = 0; i < NTRIAL; i++) random_nbh(&h[i]);
        double *vt = eval_all(&t, h, NTRIAL), *vb = eval_all(&b, h, NTRIAL);
        int un1 = match_sets(vt, t.nscal, vb, b.nscal, NTRIAL, 1e-10);
        int un2 = match_sets(vb, b.nscal, vt, t.nscal, NTRIAL, 1e-10);
        CHECK(b.nscal == t.nscal, "level %d: %d scalars, template %d", L, b.nscal, t.nscal);
        CHECK(un1 == 0 && un2 == 0, "level %d: %d template scalars without a match, %d of ours", L, un1, un2);
        printf("%5d %2d | %5d / %5d   | %6d / %6d   | %6d / %6d | %5d / %5d     | %d\n", L, b.K, b.nbasic,
               t.nbasic, b.nmom, t.nmom, b.ntimes, t.ntimes, b.nscal, t.nscal, un1 + un2);
        if (L <= 16) test_roundtrip(p, L);
        free(vt);
        free(vb);
        basis_free(&b);
        basis_free(&t);
        mtp_potential_destroy(p);
    }
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("all basis generator tests passed\n");
    return 0;
}
