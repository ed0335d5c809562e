/* SPDX-License-Identifier: BSD-3-Clause */
/* Generator of MTP bases: enumerates the scalar contractions of moment
 * tensors and emits an evaluation scheme (alpha_index_basic / _times /
 * _moment_mapping) for mtp_potential_generate().
 *
 * ------------------------------------------------------------------
 * WHICH INVARIANTS (the rules MLIP-3's templates follow)
 * ------------------------------------------------------------------
 * A basic moment tensor M_{mu,nu} = sum_j f_mu(r_j) rhat_j^{(x)nu} is
 * symmetric of rank nu and has level 2 + 4 mu + nu.  A scalar basis
 * function is a complete contraction of a product of moment tensors.
 * Such a contraction is a multigraph: one vertex per factor (labelled
 * (mu, nu)), one edge per contracted index pair, vertex degree = nu, no
 * self loops (a trace of M_{mu,nu} equals M_{mu,nu-2} because the unit
 * vectors have norm 1, so MLIP never uses traces).  Isomorphic graphs
 * give the same function.  Decoding every shipped template (levels
 * 06..28) numerically shows that the template of level L contains
 * exactly one scalar for each isomorphism class of loopless multigraphs
 * (connected or not; a disconnected graph is a product of scalars) with
 *     - at most 4 vertices (products of at most four moment tensors),
 *     - every vertex rank nu <= 10,
 *     - every radial index mu < K (K = radial_funcs_count),
 *     - total level (sum of vertex levels) <= L,
 * and nothing else: the sets agree one to one for all twelve templates.
 * (The nu <= 10 cap only bites at levels 26 and 28, where it removes
 * M_{0,11}.M_{0,11}, M_{0,12}.M_{0,12} and six 3-vertex graphs.)
 * We apply the same rules at every level, so levels above 28 extend the
 * MLIP family (e.g. level 30 = 4-factor, rank <= 10 contractions).
 * Odd levels give the basis of the even level below (every contraction
 * has an even level).  Levels above 40 are rejected (level 40 already
 * has 33097 basis functions, 3.4 million times entries, ~9 s to build).
 *
 * K default (mtp_default_radial_funcs): MLIP uses 2,2,3,3,4,4,5,5,6,6,6,6
 * for levels 6..28, i.e. K = floor((L-2)/4) + 1 (every mu whose M_{mu,0}
 * fits in the level) capped at 6.  We use the same formula for every
 * level >= 2 (levels 2..5 -> 1, odd levels like the even level below,
 * levels >= 22 -> 6).  An explicit K must satisfy 1 <= K <=
 * floor((L-2)/4) + 1, because MLIP requires radial_funcs_count to equal
 * 1 + the largest mu in alpha_index_basic.
 *
 * ------------------------------------------------------------------
 * HOW THEY ARE EVALUATED (our own scheme, chosen for a small cost)
 * ------------------------------------------------------------------
 * Components of symmetric tensors are stored once per multiset of axes
 * {a x, b y, c z}, in MLIP's order (index = (b+c)(b+c+1)/2 + c); perms(X)
 * = |X|!/(a!b!c!) is the number of index tuples a multiset stands for.
 * Intermediate tensors (all products of two stored numbers, as MLIP's
 * alpha_index_times requires):
 *   P(A,B,d)   A contracted with B over d indices, kept with two groups
 *              of free indices (I from A, J from B):
 *              P[I,J] = sum_S perms(S) A[I+S] B[J+S]; for A = B only one
 *              of P[I,J] = P[J,I] is stored.
 *   U2(A,B,d)  the same product summed over all orderings of its free
 *              indices, U2[K] = sum_{I+J=K} perms(I) perms(J) P[I,J],
 *              computed directly from A and B.  Only the fully
 *              symmetrised part of a tensor matters when all its free
 *              indices are contracted with one symmetric tensor, and that
 *              part has far fewer components.
 *   U3(A,B,d,C,cA,cB)  P(A,B,d) contracted with C (cA indices of the A
 *              group, cB of the B group), summed over orderings of the
 *              remaining free indices (all of which go to a 4th vertex).
 *   W(U2(A,B,d),C)  U2 fully contracted into C; symmetric in the rest.
 * A scalar is then one of
 *   2 vertices:  sum_K perms(K) A[K] B[K]
 *   3 vertices:  sum_K U2[K] C[K]            or  sum_{I,J} P[I,J] C[I+J]
 *   4 vertices:  sum_K U3[K] D[K],  sum_Z perms(Z) W[Z] D[Z],
 *                or P(A,B):P(C,D) summed over the four edge bundles
 *   products:    s1 * s2 (one entry; the smaller factor is itself a
 *                scalar of the basis, because sub-graphs are)
 * For every graph (in order of increasing level) all applicable plans
 * and vertex orders are costed exactly (number of new times entries,
 * counting intermediates that earlier graphs already built as free) and
 * the cheapest is taken.  Compared with MLIP's templates this gives the
 * same basic moments and 0-25 % fewer times entries (level 28: 135845
 * instead of 180069) and fewer moments from level 16 on.
 * Each output's entries are emitted together,
 * in increasing output index, after its inputs: outputs are
 * B..moments_count-1, contiguous, i <= j, topological order.
 * ------------------------------------------------------------------ */
#include "internal.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BG_MAX_NU 10      /* MLIP's largest tensor rank              */
#define BG_MAX_VERT 4     /* MLIP's largest number of factors        */
#define BG_MAX_K 6        /* MLIP's largest default radial count      */
#define BG_MAX_LEVEL 40   /* larger levels are rejected as absurd     */
#define BG_MAX_LABELS 255 /* label indices must fit in 8 bits         */

/* ------------------------------------------------------------------ */
/* Multisets of axes (components of symmetric tensors)                 */
/* ------------------------------------------------------------------ */
#define MS_MAX (2 * BG_MAX_NU) /* largest multiset size ever formed */

static int ms_count(int n) { return (n + 1) * (n + 2) / 2; }
static int ms_index(int b, int c) { return (b + c) * (b + c + 1) / 2 + c; }

typedef struct ms_tab {
    /* decode: (a,b,c) of index i for size n */
    signed char abc[MS_MAX + 1][(MS_MAX + 1) * (MS_MAX + 2) / 2][3];
    long long perms[MS_MAX + 1][(MS_MAX + 1) * (MS_MAX + 2) / 2];
} ms_tab;

static void ms_init(ms_tab *t)
{
    double fact[MS_MAX + 1];
    fact[0] = 1;
    for (int i = 1; i <= MS_MAX; i++) fact[i] = fact[i - 1] * i;
    for (int n = 0; n <= MS_MAX; n++)
        for (int a = n; a >= 0; a--)
            for (int b = n - a; b >= 0; b--) {
                int c = n - a - b, i = ms_index(b, c);
                t->abc[n][i][0] = (signed char)a;
                t->abc[n][i][1] = (signed char)b;
                t->abc[n][i][2] = (signed char)c;
                t->perms[n][i] = llround(fact[n] / (fact[a] * fact[b] * fact[c]));
            }
}

/* index of X + Y (sizes nx, ny) */
static int ms_add(const ms_tab *t, int nx, int x, int ny, int y)
{
    return ms_index(t->abc[nx][x][1] + t->abc[ny][y][1], t->abc[nx][x][2] + t->abc[ny][y][2]);
}

/* index of K - X if X <= K componentwise, else -1 */
static int ms_sub(const ms_tab *t, int nk, int k, int nx, int x)
{
    int a = t->abc[nk][k][0] - t->abc[nx][x][0], b = t->abc[nk][k][1] - t->abc[nx][x][1],
        c = t->abc[nk][k][2] - t->abc[nx][x][2];
    if (a < 0 || b < 0 || c < 0) return -1;
    return ms_index(b, c);
}

/* ------------------------------------------------------------------ */
/* uint64 -> int64 hash map (open addressing)                          */
/* ------------------------------------------------------------------ */
typedef struct hmap {
    uint64_t *keys;
    int64_t *vals;
    unsigned char *used;
    size_t cap, n;
} hmap;

static uint64_t hmix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void hmap_free(hmap *h)
{
    free(h->keys);
    free(h->vals);
    free(h->used);
    memset(h, 0, sizeof *h);
}

static int64_t *hmap_find(const hmap *h, uint64_t key)
{
    if (!h->cap) return NULL;
    size_t i = (size_t)hmix(key) & (h->cap - 1);
    while (h->used[i]) {
        if (h->keys[i] == key) return &h->vals[i];
        i = (i + 1) & (h->cap - 1);
    }
    return NULL;
}

static int hmap_put(hmap *h, uint64_t key, int64_t val)
{
    if ((h->n + 1) * 2 > h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 1024;
        hmap g = {mtp_calloc(nc, sizeof(uint64_t)), mtp_calloc(nc, sizeof(int64_t)), mtp_calloc(nc, 1), nc, 0};
        if (!g.keys || !g.vals || !g.used) {
            hmap_free(&g);
            return 0;
        }
        for (size_t i = 0; i < h->cap; i++)
            if (h->used[i]) hmap_put(&g, h->keys[i], h->vals[i]);
        hmap_free(h);
        *h = g;
    }
    size_t i = (size_t)hmix(key) & (h->cap - 1);
    while (h->used[i]) {
        if (h->keys[i] == key) {
            h->vals[i] = val;
            return 1;
        }
        i = (i + 1) & (h->cap - 1);
    }
    h->used[i] = 1;
    h->keys[i] = key;
    h->vals[i] = val;
    h->n++;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Graphs                                                              */
/* ------------------------------------------------------------------ */
typedef struct graph {
    int n;
    int lab[BG_MAX_VERT];
    int e[BG_MAX_VERT][BG_MAX_VERT];
} graph;

static const int PAIR_A[6] = {0, 0, 1, 0, 1, 2};
static const int PAIR_B[6] = {1, 2, 2, 3, 3, 3};
static int npairs(int n) { return n * (n - 1) / 2; } /* pairs 01 02 12 03 13 23: those of 0..n-1 come first */

static uint64_t graph_key_raw(const graph *g, const int *perm)
{
    uint64_t k = (uint64_t)g->n;
    for (int v = 0; v < BG_MAX_VERT; v++) k = (k << 8) | (uint64_t)(v < g->n ? g->lab[perm[v]] : 0);
    int np = npairs(g->n);
    for (int p = 0; p < 6; p++) k = (k << 4) | (uint64_t)(p < np ? g->e[perm[PAIR_A[p]]][perm[PAIR_B[p]]] : 0);
    return k;
}

/* Canonical form: vertices sorted by label, edges lexicographically
 * smallest over the permutations that keep the labels sorted. */
static void graph_canon(graph *g)
{
    static const int P4[24][4] = {
        {0, 1, 2, 3}, {0, 1, 3, 2}, {0, 2, 1, 3}, {0, 2, 3, 1}, {0, 3, 1, 2}, {0, 3, 2, 1},
        {1, 0, 2, 3}, {1, 0, 3, 2}, {1, 2, 0, 3}, {1, 2, 3, 0}, {1, 3, 0, 2}, {1, 3, 2, 0},
        {2, 0, 1, 3}, {2, 0, 3, 1}, {2, 1, 0, 3}, {2, 1, 3, 0}, {2, 3, 0, 1}, {2, 3, 1, 0},
        {3, 0, 1, 2}, {3, 0, 2, 1}, {3, 1, 0, 2}, {3, 1, 2, 0}, {3, 2, 0, 1}, {3, 2, 1, 0}};
    uint64_t best = UINT64_MAX;
    int bp = -1;
    for (int q = 0; q < 24; q++) {
        const int *pm = P4[q];
        int ok = 1;
        for (int v = 0; v < BG_MAX_VERT && ok; v++)
            if (v >= g->n ? 0 : pm[v] >= g->n) ok = 0;
        for (int v = 0; v + 1 < g->n && ok; v++)
            if (g->lab[pm[v]] > g->lab[pm[v + 1]]) ok = 0;
        if (!ok) continue;
        uint64_t k = graph_key_raw(g, pm);
        if (k < best) best = k, bp = q;
    }
    graph h = *g;
    for (int v = 0; v < g->n; v++) {
        h.lab[v] = g->lab[P4[bp][v]];
        for (int w = 0; w < g->n; w++) h.e[v][w] = g->e[P4[bp][v]][P4[bp][w]];
    }
    *g = h;
}

static uint64_t graph_key(const graph *g)
{
    static const int id[4] = {0, 1, 2, 3};
    return graph_key_raw(g, id);
}

/* connected components: comp[v] = component id; returns count */
static int graph_components(const graph *g, int *comp)
{
    int nc = 0;
    for (int v = 0; v < g->n; v++) comp[v] = -1;
    for (int v = 0; v < g->n; v++) {
        if (comp[v] >= 0) continue;
        int stack[BG_MAX_VERT], sp = 0;
        stack[sp++] = v;
        comp[v] = nc;
        while (sp) {
            int x = stack[--sp];
            for (int y = 0; y < g->n; y++)
                if (y != x && g->e[x][y] && comp[y] < 0) comp[y] = nc, stack[sp++] = y;
        }
        nc++;
    }
    return nc;
}

static graph graph_sub(const graph *g, const int *verts, int n)
{
    graph h;
    memset(&h, 0, sizeof h);
    h.n = n;
    for (int v = 0; v < n; v++) {
        h.lab[v] = g->lab[verts[v]];
        for (int w = 0; w < n; w++) h.e[v][w] = g->e[verts[v]][verts[w]];
    }
    graph_canon(&h);
    return h;
}

/* ------------------------------------------------------------------ */
/* Generator state                                                     */
/* ------------------------------------------------------------------ */
enum { K_BASIC = 0, K_P = 1, K_U2 = 2, K_U3 = 3, K_W = 4 };

/* intermediate key: kind(3) A(8) B(8) d(5) C(8) cA(5) cB(5) = 42 bits */
static uint64_t ikey(int kind, int A, int B, int d, int C, int cA, int cB)
{
    return ((uint64_t)kind << 39) | ((uint64_t)A << 31) | ((uint64_t)B << 23) | ((uint64_t)d << 18) |
           ((uint64_t)C << 10) | ((uint64_t)cA << 5) | (uint64_t)cB;
}
static int ik_kind(uint64_t k) { return (int)(k >> 39) & 7; }
static int ik_A(uint64_t k) { return (int)(k >> 31) & 255; }
static int ik_B(uint64_t k) { return (int)(k >> 23) & 255; }
static int ik_d(uint64_t k) { return (int)(k >> 18) & 31; }
static int ik_C(uint64_t k) { return (int)(k >> 10) & 255; }
static int ik_cA(uint64_t k) { return (int)(k >> 5) & 31; }
static int ik_cB(uint64_t k) { return (int)k & 31; }

/* a reference to one stored number: key << 16 | component */
typedef uint64_t ref_t;
static ref_t mkref(uint64_t key, int comp) { return (key << 16) | (uint64_t)comp; }
static ref_t bref(int label, int comp) { return mkref(ikey(K_BASIC, label, 0, 0, 0, 0, 0), comp); }

typedef struct term {
    ref_t a, b;
    int64_t m;
} term;

typedef struct record { /* a built intermediate */
    int ncomp;
    int *idx; /* [ncomp] moment index of each component (aliases allowed) */
} record;

typedef struct gen {
    ms_tab ms;
    int nlab;
    int mu[BG_MAX_LABELS], nu[BG_MAX_LABELS];
    int basic_off[BG_MAX_LABELS]; /* first basic index of a used label, -1 if unused */
    /* output */
    int nbasic;
    int (*basic)[4];
    int nmom;
    int (*times)[4];
    size_t ntimes, cap_times;
    /* built intermediates and cached costs */
    hmap built; /* key -> record id */
    record *rec;
    size_t nrec, cap_rec;
    hmap cost; /* key -> entries << 24 | comps */
    hmap scal; /* graph key -> moment index */
    /* scratch */
    term *tb;
    size_t ntb, cap_tb;
    int *slot; /* hash slots for tb_merge */
    size_t cap_slot;
    int failed; /* 1 = out of memory, 2 = multiplicity overflow */
} gen;

static int tb_push(gen *G, ref_t a, ref_t b, int64_t m)
{
    if (G->ntb == G->cap_tb) {
        size_t nc = G->cap_tb ? 2 * G->cap_tb : 4096;
        term *t = mtp_realloc(G->tb, nc, sizeof *t);
        if (!t) {
            G->failed = 1;
            return 0;
        }
        G->tb = t;
        G->cap_tb = nc;
    }
    if (a > b) {
        ref_t x = a;
        a = b;
        b = x;
    }
    G->tb[G->ntb].a = a;
    G->tb[G->ntb].b = b;
    G->tb[G->ntb].m = m;
    G->ntb++;
    return 1;
}

/* Merge equal (a, b) pairs of the scratch terms from position `from`
 * (first-occurrence order, so the result is deterministic); returns the
 * number of distinct pairs.  Hash-based: O(n). */
static size_t tb_merge(gen *G, size_t from)
{
    term *t = G->tb + from;
    size_t n = G->ntb - from, w = 0;
    if (n <= 1) return n;
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    if (cap > G->cap_slot) {
        int *s = mtp_realloc(G->slot, cap, sizeof *s);
        if (!s) {
            G->failed = 1;
            G->ntb = from;
            return 0;
        }
        G->slot = s;
        G->cap_slot = cap;
    }
    int *slot = G->slot;
    for (size_t i = 0; i < cap; i++) slot[i] = -1;
    for (size_t r = 0; r < n; r++) {
        size_t h = (size_t)hmix(t[r].a * 0x9E3779B97F4A7C15ULL ^ t[r].b) & (cap - 1);
        for (;;) {
            int q = slot[h];
            if (q < 0) {
                slot[h] = (int)w;
                t[w++] = t[r];
                break;
            }
            if (t[q].a == t[r].a && t[q].b == t[r].b) {
                t[q].m += t[r].m;
                break;
            }
            h = (h + 1) & (cap - 1);
        }
    }
    G->ntb = from + w;
    return w;
}

/* reference to P(A,B,d)[I,J] (group sizes nI, nJ); for A == B (then
 * nI == nJ) the stored representative has I <= J */
static ref_t pref_full(uint64_t pkey, int nI, int nJ, int I, int J)
{
    (void)nI;
    if (ik_A(pkey) == ik_B(pkey) && I > J) {
        int x = I;
        I = J;
        J = x;
    }
    return mkref(pkey, I * ms_count(nJ) + J);
}

/* Number of components of intermediate `key` (component ids run over
 * 0..ncomp-1, some unused for symmetric P) */
static int inter_ncomp(const gen *G, uint64_t key)
{
    int A = ik_A(key), B = ik_B(key), d = ik_d(key), C = ik_C(key);
    switch (ik_kind(key)) {
    case K_P: return ms_count(G->nu[A] - d) * ms_count(G->nu[B] - d);
    case K_U2: return ms_count(G->nu[A] + G->nu[B] - 2 * d);
    case K_U3: {
        int r = G->nu[A] + G->nu[B] - 2 * d + G->nu[C] - 2 * (ik_cA(key) + ik_cB(key));
        return ms_count(r);
    }
    case K_W: return ms_count(G->nu[C] - (G->nu[A] + G->nu[B] - 2 * d));
    }
    return 0;
}

/* Is component `c` of `key` stored (not an alias)? */
static int inter_stored(const gen *G, uint64_t key, int c)
{
    if (ik_kind(key) == K_P && ik_A(key) == ik_B(key)) {
        int n = ms_count(G->nu[ik_A(key)] - ik_d(key));
        return c / n <= c % n;
    }
    return 1;
}

/* Push the terms of component `c` of intermediate `key` to the scratch. */
static void inter_terms(gen *G, uint64_t key, int c)
{
    const ms_tab *t = &G->ms;
    int A = ik_A(key), B = ik_B(key), d = ik_d(key);
    int p = G->nu[A] - d, q = G->nu[B] - d;
    switch (ik_kind(key)) {
    case K_P: {
        int I = c / ms_count(q), J = c % ms_count(q);
        for (int S = 0; S < ms_count(d); S++)
            tb_push(G, bref(A, ms_add(t, p, I, d, S)), bref(B, ms_add(t, q, J, d, S)), t->perms[d][S]);
        break;
    }
    case K_U2: {
        int r = p + q;
        for (int I = 0; I < ms_count(p); I++) {
            int J = ms_sub(t, r, c, p, I);
            if (J < 0) continue;
            int64_t w = t->perms[p][I] * t->perms[q][J];
            for (int S = 0; S < ms_count(d); S++)
                tb_push(G, bref(A, ms_add(t, p, I, d, S)), bref(B, ms_add(t, q, J, d, S)), w * t->perms[d][S]);
        }
        break;
    }
    case K_U3: {
        int C = ik_C(key), cA = ik_cA(key), cB = ik_cB(key);
        int a = p - cA, b = q - cB, cc = G->nu[C] - cA - cB, r = a + b + cc;
        uint64_t pk = ikey(K_P, A, B, d, 0, 0, 0);
        for (int X = 0; X < ms_count(a); X++) {
            int YZ = ms_sub(t, r, c, a, X);
            if (YZ < 0) continue;
            for (int Y = 0; Y < ms_count(b); Y++) {
                int Z = ms_sub(t, b + cc, YZ, b, Y);
                if (Z < 0) continue;
                int64_t w = t->perms[a][X] * t->perms[b][Y] * t->perms[cc][Z];
                for (int S1 = 0; S1 < ms_count(cA); S1++)
                    for (int S2 = 0; S2 < ms_count(cB); S2++) {
                        int I = ms_add(t, a, X, cA, S1), J = ms_add(t, b, Y, cB, S2);
                        int ZS = ms_add(t, cc + cA, ms_add(t, cc, Z, cA, S1), cB, S2);
                        tb_push(G, pref_full(pk, p, q, I, J), bref(C, ZS),
                                w * t->perms[cA][S1] * t->perms[cB][S2]);
                    }
            }
        }
        break;
    }
    case K_W: {
        int C = ik_C(key), r = p + q, z = G->nu[C] - r;
        uint64_t uk = ikey(K_U2, A, B, d, 0, 0, 0);
        for (int K = 0; K < ms_count(r); K++) tb_push(G, mkref(uk, K), bref(C, ms_add(t, r, K, z, c)), 1);
        break;
    }
    }
}

static int key_deps(uint64_t key, uint64_t *dep)
{
    switch (ik_kind(key)) {
    case K_U3: dep[0] = ikey(K_P, ik_A(key), ik_B(key), ik_d(key), 0, 0, 0); return 1;
    case K_W: dep[0] = ikey(K_U2, ik_A(key), ik_B(key), ik_d(key), 0, 0, 0); return 1;
    }
    return 0;
}

/* cost of building `key` alone: times entries and components (cached) */
static void inter_cost(gen *G, uint64_t key, long *entries, long *comps)
{
    int64_t *v = hmap_find(&G->cost, key);
    if (v) {
        *entries = (long)(*v >> 24);
        *comps = (long)(*v & 0xffffff);
        return;
    }
    long e = 0, m = 0;
    int nc = inter_ncomp(G, key);
    for (int c = 0; c < nc; c++) {
        if (!inter_stored(G, key, c)) continue;
        size_t from = G->ntb;
        inter_terms(G, key, c);
        e += (long)tb_merge(G, from);
        G->ntb = from;
        m++;
    }
    if (!hmap_put(&G->cost, key, ((int64_t)e << 24) | m)) G->failed = 1;
    *entries = e;
    *comps = m;
}

/* cost of the not yet built keys in `keys` (with dependencies) */
static void plan_cost(gen *G, const uint64_t *keys, int nk, long *entries, long *comps)
{
    uint64_t seen[8];
    int ns = 0;
    *entries = *comps = 0;
    for (int i = 0; i < nk; i++) {
        uint64_t chain[2];
        int nchain = 0;
        uint64_t dep[1];
        if (key_deps(keys[i], dep)) chain[nchain++] = dep[0];
        chain[nchain++] = keys[i];
        for (int j = 0; j < nchain; j++) {
            uint64_t k = chain[j];
            if (hmap_find(&G->built, k)) continue;
            int dup = 0;
            for (int s = 0; s < ns; s++) dup |= seen[s] == k;
            if (dup) continue;
            seen[ns++] = k;
            long e, m;
            inter_cost(G, k, &e, &m);
            *entries += e;
            *comps += m;
        }
    }
}

static int resolve(const gen *G, ref_t r)
{
    uint64_t key = r >> 16;
    int comp = (int)(r & 0xffff);
    if (ik_kind(key) == K_BASIC) return G->basic_off[ik_A(key)] + comp;
    const int64_t *v = hmap_find(&G->built, key);
    return G->rec[*v].idx[comp];
}

/* Emit the merged scratch terms from `from` as one new moment. */
static int emit(gen *G, size_t from)
{
    size_t n = G->ntb - from;
    int k = G->nmom;
    /* resolve, order i <= j, merge again (resolution is injective, but
     * keep it robust) */
    for (size_t r = 0; r < n; r++) {
        term *t = &G->tb[from + r];
        int i = resolve(G, t->a), j = resolve(G, t->b);
        if (i > j) {
            int x = i;
            i = j;
            j = x;
        }
        t->a = (ref_t)i;
        t->b = (ref_t)j;
    }
    n = tb_merge(G, from);
    if (G->ntimes + n > G->cap_times) {
        size_t nc = G->cap_times ? G->cap_times : 4096;
        while (nc < G->ntimes + n) nc *= 2;
        int(*tt)[4] = mtp_realloc(G->times, nc, sizeof *tt);
        if (!tt) {
            G->failed = 1;
            G->ntb = from;
            return -1;
        }
        G->times = tt;
        G->cap_times = nc;
    }
    for (size_t r = 0; r < n; r++) {
        const term *t = &G->tb[from + r];
        if (t->m <= 0 || t->m > INT_MAX) G->failed = 2;
        int *e = G->times[G->ntimes++];
        e[0] = (int)t->a;
        e[1] = (int)t->b;
        e[2] = (int)t->m;
        e[3] = k;
    }
    G->ntb = from;
    G->nmom++;
    return k;
}

static void build(gen *G, uint64_t key)
{
    if (G->failed || hmap_find(&G->built, key)) return;
    uint64_t dep[1];
    if (key_deps(key, dep)) build(G, dep[0]);
    if (G->failed) return;
    int nc = inter_ncomp(G, key);
    record rc = {nc, mtp_calloc((size_t)nc, sizeof(int))};
    if (!rc.idx) {
        G->failed = 1;
        return;
    }
    for (int c = 0; c < nc && !G->failed; c++) {
        if (!inter_stored(G, key, c)) continue;
        size_t from = G->ntb;
        inter_terms(G, key, c);
        tb_merge(G, from);
        rc.idx[c] = emit(G, from);
    }
    /* aliases of symmetric P */
    if (ik_kind(key) == K_P && ik_A(key) == ik_B(key)) {
        int n = ms_count(G->nu[ik_A(key)] - ik_d(key));
        for (int c = 0; c < nc; c++)
            if (!inter_stored(G, key, c)) rc.idx[c] = rc.idx[(c % n) * n + c / n];
    }
    if (G->nrec == G->cap_rec) {
        size_t ncap = G->cap_rec ? 2 * G->cap_rec : 256;
        record *r = mtp_realloc(G->rec, ncap, sizeof *r);
        if (!r) {
            free(rc.idx);
            G->failed = 1;
            return;
        }
        G->rec = r;
        G->cap_rec = ncap;
    }
    G->rec[G->nrec] = rc;
    if (!hmap_put(&G->built, key, (int64_t)G->nrec)) G->failed = 1;
    G->nrec++;
}

/* ---- final contractions (push terms to the scratch) ---------------- */
static void fin_u(gen *G, uint64_t ukey, int Clab)
{
    int n = G->nu[Clab];
    for (int K = 0; K < ms_count(n); K++) tb_push(G, mkref(ukey, K), bref(Clab, K), 1);
}

static void fin_w(gen *G, uint64_t wkey, int Dlab)
{
    int n = G->nu[Dlab];
    for (int Z = 0; Z < ms_count(n); Z++) tb_push(G, mkref(wkey, Z), bref(Dlab, Z), G->ms.perms[n][Z]);
}

static void fin_p(gen *G, uint64_t pkey, int Clab)
{
    const ms_tab *t = &G->ms;
    int A = ik_A(pkey), B = ik_B(pkey), d = ik_d(pkey), p = G->nu[A] - d, q = G->nu[B] - d;
    for (int I = 0; I < ms_count(p); I++)
        for (int J = 0; J < ms_count(q); J++)
            tb_push(G, pref_full(pkey, p, q, I, J), bref(Clab, ms_add(t, p, I, q, J)),
                    t->perms[p][I] * t->perms[q][J]);
}

static void fin_22(gen *G, uint64_t pk, uint64_t qk, int ac, int ad, int bc, int bd)
{
    const ms_tab *t = &G->ms;
    for (int x1 = 0; x1 < ms_count(ac); x1++)
        for (int x2 = 0; x2 < ms_count(ad); x2++)
            for (int x3 = 0; x3 < ms_count(bc); x3++)
                for (int x4 = 0; x4 < ms_count(bd); x4++) {
                    int64_t w = t->perms[ac][x1] * t->perms[ad][x2] * t->perms[bc][x3] * t->perms[bd][x4];
                    ref_t rp = pref_full(pk, ac + ad, bc + bd, ms_add(t, ac, x1, ad, x2), ms_add(t, bc, x3, bd, x4));
                    ref_t rq = pref_full(qk, ac + bc, ad + bd, ms_add(t, ac, x1, bc, x3), ms_add(t, ad, x2, bd, x4));
                    tb_push(G, rp, rq, w);
                }
}

/* ---- plans for connected graphs with 3 or 4 vertices --------------- */
typedef struct plan {
    int type; /* 0 fin_u, 1 fin_p, 2 fin_w, 3 fin_22 */
    uint64_t keys[2];
    int nkeys;
    int lab;  /* final vertex label (types 0-2) */
    int e[4]; /* ac ad bc bd (type 3) */
} plan;

static void plan_final(gen *G, const plan *pl)
{
    switch (pl->type) {
    case 0: fin_u(G, pl->keys[0], pl->lab); break;
    case 1: fin_p(G, pl->keys[0], pl->lab); break;
    case 2: fin_w(G, pl->keys[0], pl->lab); break;
    case 3: fin_22(G, pl->keys[0], pl->keys[1], pl->e[0], pl->e[1], pl->e[2], pl->e[3]); break;
    }
}

static int connected_plans(const graph *g, plan *out)
{
    int np = 0;
    if (g->n == 3) {
        for (int c = 0; c < 3; c++) {
            int a = c == 0 ? 1 : 0, b = c == 2 ? 1 : 2;
            if (g->lab[a] > g->lab[b]) {
                int x = a;
                a = b;
                b = x;
            }
            int d = g->e[a][b];
            plan u = {0, {ikey(K_U2, g->lab[a], g->lab[b], d, 0, 0, 0), 0}, 1, g->lab[c], {0}};
            plan p = {1, {ikey(K_P, g->lab[a], g->lab[b], d, 0, 0, 0), 0}, 1, g->lab[c], {0}};
            out[np++] = u;
            out[np++] = p;
        }
        return np;
    }
    static const int P4[24][4] = {
        {0, 1, 2, 3}, {0, 1, 3, 2}, {0, 2, 1, 3}, {0, 2, 3, 1}, {0, 3, 1, 2}, {0, 3, 2, 1},
        {1, 0, 2, 3}, {1, 0, 3, 2}, {1, 2, 0, 3}, {1, 2, 3, 0}, {1, 3, 0, 2}, {1, 3, 2, 0},
        {2, 0, 1, 3}, {2, 0, 3, 1}, {2, 1, 0, 3}, {2, 1, 3, 0}, {2, 3, 0, 1}, {2, 3, 1, 0},
        {3, 0, 1, 2}, {3, 0, 2, 1}, {3, 1, 0, 2}, {3, 1, 2, 0}, {3, 2, 0, 1}, {3, 2, 1, 0}};
    for (int q = 0; q < 24; q++) {
        int a = P4[q][0], b = P4[q][1], c = P4[q][2], dd = P4[q][3];
        int A = g->lab[a], B = g->lab[b], C = g->lab[c], D = g->lab[dd];
        if (A > B) continue;
        int d = g->e[a][b];
        plan u = {0, {ikey(K_U3, A, B, d, C, g->e[a][c], g->e[b][c]), 0}, 1, D, {0}};
        out[np++] = u;
        if (g->e[a][dd] == 0 && g->e[b][dd] == 0) {
            plan w = {2, {ikey(K_W, A, B, d, C, 0, 0), 0}, 1, D, {0}};
            out[np++] = w;
        }
        if (C <= D) {
            plan t = {3, {ikey(K_P, A, B, d, 0, 0, 0), ikey(K_P, C, D, g->e[c][dd], 0, 0, 0)}, 2, 0,
                      {g->e[a][c], g->e[a][dd], g->e[b][c], g->e[b][dd]}};
            out[np++] = t;
        }
    }
    return np;
}

/* moment index of scalar graph g (already canonical); -1 on failure */
static int scalar_of(gen *G, const graph *g)
{
    int64_t *v = hmap_find(&G->scal, graph_key(g));
    if (v) return (int)*v;
    int comp[BG_MAX_VERT];
    int nc = graph_components(g, comp);
    int r = -1;
    if (nc > 1) {
        /* product: (all components but the largest) * (largest) */
        graph sub[BG_MAX_VERT];
        for (int c = 0; c < nc; c++) {
            int vs[BG_MAX_VERT], n = 0;
            for (int v2 = 0; v2 < g->n; v2++)
                if (comp[v2] == c) vs[n++] = v2;
            sub[c] = graph_sub(g, vs, n);
        }
        int big = 0;
        for (int c = 1; c < nc; c++)
            if (graph_key(&sub[c]) > graph_key(&sub[big])) big = c;
        int vs[BG_MAX_VERT], n = 0;
        for (int v2 = 0; v2 < g->n; v2++)
            if (comp[v2] != big) vs[n++] = v2;
        graph rest = graph_sub(g, vs, n);
        int64_t *x = hmap_find(&G->scal, graph_key(&rest)), *y = hmap_find(&G->scal, graph_key(&sub[big]));
        if (!x || !y) {
            G->failed = 3;
            return -1;
        }
        /* scalars are already resolved moment indices: emit directly */
        int i = (int)*x, j = (int)*y;
        if (G->ntimes + 1 > G->cap_times) {
            size_t ncap = G->cap_times ? 2 * G->cap_times : 4096;
            int(*tt)[4] = mtp_realloc(G->times, ncap, sizeof *tt);
            if (!tt) {
                G->failed = 1;
                return -1;
            }
            G->times = tt;
            G->cap_times = ncap;
        }
        int *e = G->times[G->ntimes++];
        e[0] = i < j ? i : j;
        e[1] = i < j ? j : i;
        e[2] = 1;
        e[3] = G->nmom;
        r = G->nmom++;
    } else if (g->n == 1) {
        r = G->basic_off[g->lab[0]];
    } else if (g->n == 2) {
        int A = g->lab[0], B = g->lab[1], n = G->nu[A];
        size_t from = G->ntb;
        for (int K = 0; K < ms_count(n); K++) tb_push(G, bref(A, K), bref(B, K), G->ms.perms[n][K]);
        tb_merge(G, from);
        r = emit(G, from);
    } else {
        plan pl[24 * 3];
        int np = connected_plans(g, pl), best = -1;
        long be = 0, bm = 0;
        for (int i = 0; i < np && !G->failed; i++) {
            long e, m;
            plan_cost(G, pl[i].keys, pl[i].nkeys, &e, &m);
            size_t from = G->ntb;
            plan_final(G, &pl[i]);
            e += (long)tb_merge(G, from);
            G->ntb = from;
            if (best < 0 || e < be || (e == be && m < bm)) best = i, be = e, bm = m;
        }
        if (G->failed) return -1;
        for (int i = 0; i < pl[best].nkeys; i++) build(G, pl[best].keys[i]);
        if (G->failed) return -1;
        size_t from = G->ntb;
        plan_final(G, &pl[best]);
        tb_merge(G, from);
        r = emit(G, from);
    }
    if (r < 0 || G->failed) return -1;
    if (!hmap_put(&G->scal, graph_key(g), r)) {
        G->failed = 1;
        return -1;
    }
    return r;
}

/* ---- enumeration of graphs ----------------------------------------- */
typedef struct glist {
    graph *g;
    size_t n, cap;
} glist;

static int glist_push(glist *l, const graph *g)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 1024;
        graph *x = mtp_realloc(l->g, nc, sizeof *x);
        if (!x) return 0;
        l->g = x;
        l->cap = nc;
    }
    l->g[l->n++] = *g;
    return 1;
}

typedef struct enum_ctx {
    const gen *G;
    hmap seen;
    glist list;
    int oom;
} enum_ctx;

static void enum_edges(enum_ctx *ec, graph *g, int p, int *rem)
{
    if (ec->oom) return;
    int np = npairs(g->n);
    if (p == np) {
        for (int v = 0; v < g->n; v++)
            if (rem[v]) return;
        graph h = *g;
        graph_canon(&h);
        uint64_t k = graph_key(&h);
        if (hmap_find(&ec->seen, k)) return;
        if (!hmap_put(&ec->seen, k, 1) || !glist_push(&ec->list, &h)) ec->oom = 1;
        return;
    }
    int a = PAIR_A[p], b = PAIR_B[p];
    /* the last pair touching vertex a must use up its remaining degree */
    int maxm = rem[a] < rem[b] ? rem[a] : rem[b];
    for (int m = 0; m <= maxm; m++) {
        g->e[a][b] = g->e[b][a] = m;
        rem[a] -= m;
        rem[b] -= m;
        enum_edges(ec, g, p + 1, rem);
        rem[a] += m;
        rem[b] += m;
    }
    g->e[a][b] = g->e[b][a] = 0;
}

static int label_level(const gen *G, int l) { return 2 + 4 * G->mu[l] + G->nu[l]; }

static void enum_vertices(enum_ctx *ec, graph *g, int first, int level, int L)
{
    if (ec->oom) return;
    if (g->n > 0) {
        int sum = 0;
        for (int v = 0; v < g->n; v++) sum += ec->G->nu[g->lab[v]];
        if (sum % 2 == 0) {
            int rem[BG_MAX_VERT];
            for (int v = 0; v < g->n; v++) rem[v] = ec->G->nu[g->lab[v]];
            memset(g->e, 0, sizeof g->e);
            enum_edges(ec, g, 0, rem);
        }
    }
    if (g->n == BG_MAX_VERT) return;
    for (int l = first; l < ec->G->nlab; l++) {
        int lv = label_level(ec->G, l);
        if (level + lv > L) continue;
        g->lab[g->n++] = l;
        enum_vertices(ec, g, l, level + lv, L);
        g->n--;
    }
}

static int graph_level(const gen *G, const graph *g)
{
    int s = 0;
    for (int v = 0; v < g->n; v++) s += label_level(G, g->lab[v]);
    return s;
}

static const gen *sort_gen;
static int graph_order(const void *x, const void *y)
{
    const graph *a = x, *b = y;
    int la = graph_level(sort_gen, a), lb = graph_level(sort_gen, b);
    if (la != lb) return la < lb ? -1 : 1;
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    uint64_t ka = graph_key(a), kb = graph_key(b);
    return ka < kb ? -1 : ka > kb;
}

/* ------------------------------------------------------------------ */
/* Public functions                                                    */
/* ------------------------------------------------------------------ */
int mtp_default_radial_funcs(int level)
{
    if (level < 2) return 0;
    int k = (level - 2) / 4 + 1;
    return k < BG_MAX_K ? k : BG_MAX_K;
}

static void gen_free(gen *G)
{
    free(G->basic);
    free(G->times);
    for (size_t i = 0; i < G->nrec; i++) free(G->rec[i].idx);
    free(G->rec);
    free(G->tb);
    free(G->slot);
    hmap_free(&G->built);
    hmap_free(&G->cost);
    hmap_free(&G->scal);
}

mtp_status mtp_potential_generate(const mtp_basis_options *opt, mtp_potential **pot, mtp_error *err)
{
    if (!pot) return mtp_fail(err, MTP_ERR_INVALID, "mtp_potential_generate: no output pointer");
    *pot = NULL;
    if (!opt) return mtp_fail(err, MTP_ERR_INVALID, "mtp_potential_generate: no options");
    int L = opt->level;
    if (L < 2 || L > BG_MAX_LEVEL)
        return mtp_fail(err, MTP_ERR_INVALID, "MTP level must be 2..%d, got %d", BG_MAX_LEVEL, L);
    int kmax = (L - 2) / 4 + 1;
    int K = opt->radial_funcs_count ? opt->radial_funcs_count : mtp_default_radial_funcs(L);
    if (K < 1 || K > kmax)
        return mtp_fail(err, MTP_ERR_INVALID,
                        "radial_funcs_count must be 1..%d at level %d (a radial function mu needs level >= 2+4*mu), got %d",
                        kmax, L, K);
    if (opt->species_count < 1 || opt->species_count > 128)
        return mtp_fail(err, MTP_ERR_INVALID, "species count must be 1..128, got %d", opt->species_count);
    if (opt->species_labels)
        for (int s = 0; s < opt->species_count; s++) {
            if (opt->species_labels[s] < 0)
                return mtp_fail(err, MTP_ERR_INVALID, "species label %d is negative", opt->species_labels[s]);
            for (int t = 0; t < s; t++)
                if (opt->species_labels[s] == opt->species_labels[t])
                    return mtp_fail(err, MTP_ERR_INVALID, "species label %d given twice", opt->species_labels[s]);
        }
    if (!isfinite(opt->min_dist) || !isfinite(opt->max_dist) || !(opt->min_dist >= 0) ||
        !(opt->min_dist < opt->max_dist))
        return mtp_fail(err, MTP_ERR_INVALID, "need 0 <= min_dist < max_dist, got %g and %g", opt->min_dist,
                        opt->max_dist);
    if (opt->radial_basis_size < 1 || opt->radial_basis_size > 64)
        return mtp_fail(err, MTP_ERR_INVALID, "radial_basis_size must be 1..64, got %d", opt->radial_basis_size);

    gen *G = mtp_calloc(1, sizeof *G);
    if (!G) return mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
    ms_init(&G->ms);
    for (int mu = 0; mu < K; mu++)
        for (int nu = 0; nu <= BG_MAX_NU; nu++)
            if (2 + 4 * mu + nu <= L && G->nlab < BG_MAX_LABELS) {
                G->mu[G->nlab] = mu;
                G->nu[G->nlab] = nu;
                G->nlab++;
            }

    /* enumerate the graphs */
    enum_ctx ec;
    memset(&ec, 0, sizeof ec);
    ec.G = G;
    graph g;
    memset(&g, 0, sizeof g);
    enum_vertices(&ec, &g, 0, 0, L);
    hmap_free(&ec.seen);
    mtp_status st = MTP_OK;
    mtp_potential *p = NULL;
    if (ec.oom) {
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory while enumerating level-%d contractions", L);
        goto done;
    }
    sort_gen = G;
    qsort(ec.list.g, ec.list.n, sizeof(graph), graph_order);

    /* basic moments: used labels in (mu, nu) order, components in MLIP order */
    int used[BG_MAX_LABELS] = {0};
    for (size_t i = 0; i < ec.list.n; i++)
        for (int v = 0; v < ec.list.g[i].n; v++) used[ec.list.g[i].lab[v]] = 1;
    for (int l = 0; l < G->nlab; l++) G->nbasic += used[l] ? ms_count(G->nu[l]) : 0;
    G->basic = mtp_calloc((size_t)G->nbasic, sizeof *G->basic);
    if (!G->basic) {
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        goto done;
    }
    {
        int q = 0;
        for (int l = 0; l < G->nlab; l++) {
            G->basic_off[l] = used[l] ? q : -1;
            if (!used[l]) continue;
            int n = G->nu[l];
            for (int c = 0; c < ms_count(n); c++, q++) {
                G->basic[q][0] = G->mu[l];
                G->basic[q][1] = G->ms.abc[n][c][0];
                G->basic[q][2] = G->ms.abc[n][c][1];
                G->basic[q][3] = G->ms.abc[n][c][2];
            }
        }
    }
    G->nmom = G->nbasic;

    int *mapping = mtp_calloc(ec.list.n ? ec.list.n : 1, sizeof(int));
    if (!mapping) {
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < ec.list.n; i++) {
        mapping[i] = scalar_of(G, &ec.list.g[i]);
        if (G->failed || mapping[i] < 0) break;
        if (G->ntimes > (size_t)INT_MAX / 8 || G->nmom > INT_MAX / 8) G->failed = 4;
    }
    if (G->failed) {
        free(mapping);
        st = G->failed == 1   ? mtp_fail(err, MTP_ERR_NOMEM, "out of memory while generating the level-%d basis", L)
             : G->failed == 2 ? mtp_fail(err, MTP_ERR_INVALID, "level %d: a multiplicity overflows int", L)
             : G->failed == 4 ? mtp_fail(err, MTP_ERR_INVALID, "level %d: basis too large", L)
                              : mtp_fail(err, MTP_ERR_INVALID, "level %d: internal error in the basis generator", L);
        goto done;
    }

    p = mtp_potential_alloc();
    if (!p) {
        free(mapping);
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        goto done;
    }
    p->name = mtp_strdup("MTP1m");
    p->species_labels = mtp_calloc((size_t)opt->species_count, sizeof(int));
    p->mapping = mapping;
    if (!p->name || !p->species_labels) {
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        goto done;
    }
    p->scaling = 1.0;
    p->species_count = opt->species_count;
    for (int s = 0; s < opt->species_count; s++)
        p->species_labels[s] = opt->species_labels ? opt->species_labels[s] : s;
    p->radial_type = MTP_RADIAL_CHEBYSHEV;
    p->min_dist = opt->min_dist;
    p->max_dist = opt->max_dist;
    p->radial_basis_size = opt->radial_basis_size;
    p->radial_funcs_count = K;
    p->trained = 0;
    p->radial_coeffs = p->species_coeffs = p->moment_coeffs = NULL;
    p->moments_count = G->nmom;
    p->basic_count = G->nbasic;
    p->basic = G->basic;
    G->basic = NULL;
    p->times_count = (int)G->ntimes;
    p->times = G->times;
    if (!p->times) p->times = mtp_calloc(1, sizeof *p->times);
    G->times = NULL;
    p->scalar_count = (int)ec.list.n;
    if (!p->times) {
        st = mtp_fail(err, MTP_ERR_NOMEM, "out of memory");
        goto done;
    }
    st = mtp_potential_finalize(p, "<generated>", err);

done:
    if (st && p) {
        mtp_potential_destroy(p);
        p = NULL;
    }
    free(ec.list.g);
    gen_free(G);
    free(G);
    *pot = p;
    return st;
}
