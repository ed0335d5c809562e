#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ctest driver (tests/gb-md.cmake): python -m openmtp.region_diffusion against an analytic
anisotropic random walk with region-dependent diffusion.

    test_region_diffusion.py WORKDIR PYTHONPATH_DIR walk|bulk

Walk: N walkers on a periodic cell of length L along z with two boundary planes at
fractions s_b = (0.1, 0.6) and zlo = -7.3 A.  D_z and D_y are uniform; D_x is D_fast within
NEAR of a boundary and D_slow elsewhere.  The walkers start uniformly (the stationary z
distribution) in random periodic images (unwrapped z spread over 7 cells, so region
assignment needs the periodic wrap), a common in-plane drift is added to all of them (the
centre-of-mass correction must remove it), and they cross region borders freely.  Expected MSD_x of walkers
starting in region R:

    <u_x^2>(tau) = 2 int_0^tau [D_slow + (D_fast - D_slow) P(z(t) in F | z(0) in R)] dt,
    P(F | R) = |F|/L + (1/(|R| L)) sum_{n != 0} exp(-D_z k_n^2 t) Re[F^(k_n) conj(R^(k_n))],

k_n = 2 pi n / L, X^(k) = int_X exp(i k z) dz over the union of intervals X (F = the fast
zone = the 'near' region).  The expected D of each region is the slope / 2 of a least-squares
line through this curve on the analysis's own lags; D_y and D_z are the input values in every
region.  The check: |D - expected| < 4 sigma_block + 2 % for D_x, D_y, D_z, D_par and eta in
'all', 'near' and 'middle', and the crossing correction must matter (the naive D_fast is
off by > 5 sigma), so the test sees region bookkeeping errors.
Bulk: a region file 'none' gives only the 'all' region with the three input D; and
openmtp.diffusion.extrapolate (D at 300 K from a weighted Arrhenius fit with the fit
covariance) against the exact line through two points: ln D(x) = interpolation weights
w1 = (x2 - x)/(x2 - x1), w2 = 1 - w1 and var ln D(x) = w1^2 s1^2 + w2^2 s2^2, x = 1/kT."""
import contextlib
import io
import math
import os
import sys

import numpy as np

WORK, PYDIR, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, PYDIR)
from openmtp import region_diffusion as rd  # noqa: E402

L, ZLO, FRACTIONS = 30.0, -7.3, (0.1, 0.6)
NEAR, MIDDLE = 4.0, 5.0
D_FAST, D_SLOW, D_Y, D_Z = 0.5, 0.1, 0.2, 0.2      # A^2/ps
TIMESTEP, EVERY, FRAMES, BLOCKS, N = 0.001, 100, 201, 4, 3000
DT = TIMESTEP * EVERY                               # ps between frames (one walker step)
SKIP, MAX_LAG, ORIGINS = 0.2, 0.5, 10


def intervals(kind):
    """Intervals [a, b) (A, from zlo) of the near (d < NEAR) or middle (d >= MIDDLE) region."""
    if kind == "near":
        return [(s * L - NEAR, s * L + NEAR) for s in FRACTIONS]
    s0, s1 = sorted(FRACTIONS)
    return [(s0 * L + MIDDLE, s1 * L - MIDDLE), (s1 * L + MIDDLE, (s0 + 1) * L - MIDDLE)]


def ft(ivs, k):
    return sum((np.exp(1j * k * b) - np.exp(1j * k * a)) / (1j * k) for a, b in ivs)


def expected_msd_x(region, lags):
    fast = intervals("near")
    size_f = sum(b - a for a, b in fast)
    if region == "all":
        return 2 * (D_SLOW + (D_FAST - D_SLOW) * size_f / L) * lags
    ivs = intervals(region)
    size_r = sum(b - a for a, b in ivs)
    n = np.arange(1, 4001)
    k = 2 * np.pi * n / L
    a = D_Z * k * k
    coef = 2 * np.real(ft(fast, k) * np.conj(ft(ivs, k))) / (size_r * L)   # n and -n
    # int_0^tau P dt = |F|/L tau + sum coef (1 - exp(-a tau)) / a
    integral = size_f / L * lags + np.array([np.sum(coef * (1 - np.exp(-a * t)) / a) for t in lags])
    return 2 * (D_SLOW * lags + (D_FAST - D_SLOW) * integral)


def slope(t, y):
    tm = t - t.mean()
    return float(np.dot(tm, y - y.mean()) / np.dot(tm, tm))


def write_dump(path, steps, pos, zlo, lz):
    ids = np.arange(1, pos.shape[1] + 1)
    with open(path, "w") as f:
        for s, p in zip(steps, pos):
            f.write("ITEM: TIMESTEP\n%d\nITEM: NUMBER OF ATOMS\n%d\n" % (s, len(ids)))
            f.write("ITEM: BOX BOUNDS xy xz yz pp pp pp\n0 40 0\n0 40 0\n%g %g 0\n" % (zlo, zlo + lz))
            f.write("ITEM: ATOMS id xu yu zu\n")
            np.savetxt(f, np.column_stack([ids, p]), fmt="%d %.5f %.5f %.5f")


def in_fast_zone(z):
    """The walk's own rule (independent of the code under test): within NEAR of a plane."""
    z = np.mod(np.asarray(z) - ZLO, L)
    return np.any([np.abs(z - (s * L + m * L)) < NEAR for s in FRACTIONS for m in (-1, 0, 1)], axis=0)


def simulate(region_dependent, seed=7):
    rng = np.random.default_rng(seed)
    z = rng.uniform(0, L, N)
    images = rng.integers(-3, 4, N)
    pos = np.column_stack([rng.uniform(0, 40, N), rng.uniform(0, 40, N), ZLO + z + images * L])
    # a common in-plane drift (A per frame; in-plane so that it does not move walkers between
    # regions, which are fixed to the boundaries): the centre-of-mass correction must remove it
    drift = np.array([0.03, -0.02, 0.0])
    blocks = []
    for b in range(BLOCKS):
        frames = [pos.copy()]
        for _ in range(FRAMES - 1):
            if region_dependent:
                dx = np.where(in_fast_zone(pos[:, 2]), D_FAST, D_SLOW)
            else:
                dx = np.full(N, D_SLOW)
            sig = np.sqrt(2 * DT * np.column_stack([dx, np.full(N, D_Y), np.full(N, D_Z)]))
            pos = pos + rng.standard_normal((N, 3)) * sig + drift
            frames.append(pos.copy())
        blocks.append(np.array(frames))
    return blocks


def main():
    os.makedirs(WORK, exist_ok=True)
    bulk = MODE == "bulk"
    regions_file = os.path.join(WORK, "cell.regions")
    with open(regions_file, "w") as f:
        f.write("label walk\nkind %s\nnormal z\nboundary_fractions %s\n"
                % ("bulk" if bulk else "bicrystal", "none" if bulk else " ".join(map(str, FRACTIONS))))
    paths = []
    for b, frames in enumerate(simulate(not bulk)):
        p = os.path.join(WORK, "block-%03d.dump" % b)
        write_dump(p, np.arange(FRAMES) * EVERY, frames, ZLO, L)
        paths.append(p)
    out = os.path.join(WORK, "T500.txt")
    rc = rd.main(["--regions", regions_file, "--T", "500", "--timestep", str(TIMESTEP), "--near", str(NEAR),
                  "--middle", str(MIDDLE), "--skip", str(SKIP), "--max-lag", str(MAX_LAG),
                  "--origins", str(ORIGINS), "-o", out] + paths)
    if rc != 0:
        print("FAIL: region_diffusion exit %d" % rc)
        return 1
    res = rd.read_result(out)
    n_lag = int(round(MAX_LAG * (FRAMES - 1)))
    lags = np.arange(n_lag + 1) * DT
    sel = lags >= SKIP * lags[-1]
    to_cm2 = 1e-4
    failures = []
    regions = ("all",) if bulk else ("all", "near", "middle")
    if bulk and set(k for k in res if k != "settings") != {"all"}:
        failures.append("bulk: expected only the 'all' region, got %s" % sorted(res))
    for r in regions:
        if r not in res:
            failures.append("%s: region missing" % r)
            continue
        if bulk:
            dx = D_SLOW
        else:
            dx = slope(lags[sel], expected_msd_x(r, lags)[sel]) / 2
        exp = {"D_x": dx, "D_y": D_Y, "D_z": D_Z, "D_par": (dx + D_Y) / 2, "D_normal": D_Z}
        exp = {k: v * to_cm2 for k, v in exp.items()}
        exp["eta"] = exp["D_normal"] / exp["D_par"]
        for q, e in exp.items():
            v, err = res[r][q]
            ok = abs(v - e) < 4 * err + 0.02 * abs(e)
            print("%-6s %-8s got %.4e +- %.1e expected %.4e %s" % (r, q, v, err, e, "ok" if ok else "FAIL"))
            if not ok:
                failures.append("%s %s: %.4e +- %.1e, expected %.4e" % (r, q, v, err, e))
        if r == "near" and not bulk:
            v, err = res[r]["D_x"]
            naive = D_FAST * to_cm2
            print("near   D_x naive (no crossing) %.4e: off by %.1f sigma" % (naive, abs(v - naive) / err))
            if abs(v - naive) < 5 * err:
                failures.append("near D_x: crossing effect not resolved (test too weak)")
    if not bulk:
        n_near = res["near"]["n_li"][0]
        exp_near = N * 2 * 2 * NEAR / L
        print("near   n_li %.1f expected %.1f" % (n_near, exp_near))
        if abs(n_near - exp_near) > 0.05 * exp_near:
            failures.append("near n_li %.1f, expected %.1f (region assignment)" % (n_near, exp_near))
    if bulk:
        failures += check_extrapolation()
    failures += check_block_msd(regions_file, paths, out)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


def check_block_msd(regions_file, paths, out):
    """Block MSD files (--block-msd) analysed in place of the dumps, also mixed with them, give
    the same output text; another near width or a damaged file is refused with a message."""
    common = ["--regions", regions_file, "--timestep", str(TIMESTEP), "--near", str(NEAR),
              "--middle", str(MIDDLE), "--max-lag", str(MAX_LAG), "--origins", str(ORIGINS)]
    fails, msds = [], []
    for p in paths:
        m = p[:-len(".dump")] + ".msd"
        if rd.main(common + ["--block-msd", m, p]) != 0 or not os.path.exists(m):
            return ["--block-msd %s failed" % p]
        msds.append(m)
    size = sum(os.path.getsize(m) for m in msds) / len(msds)
    print("block MSD files: %.0f kB each (dumps %.0f kB)" % (size / 1e3, sum(map(os.path.getsize, paths)) / len(paths) / 1e3))
    for name, inputs in (("msd", msds), ("mixed", msds[:1] + paths[1:])):
        o = out + "." + name
        rc = rd.main(common + ["--T", "500", "--skip", str(SKIP), "-o", o] + inputs)
        if rc != 0 or open(o).read() != open(out).read():
            fails.append("analysis of %s inputs differs from that of the dumps (exit %d)" % (name, rc))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = rd.main([a if a != str(NEAR) else str(NEAR + 0.5) for a in common] + ["--skip", str(SKIP)] + msds)
    if rc == 0 or "computed with near_A" not in err.getvalue():
        fails.append("an analysis with another near width accepted the block MSD files: %s" % err.getvalue())
    bad = msds[0] + ".bad"
    lines = open(msds[0]).read().splitlines()
    k = next(i for i, l in enumerate(lines) if not l.startswith("#"))
    lines[k + 3] = lines[k + 3].replace(" ", " x", 1)
    open(bad, "w").write("\n".join(lines) + "\n")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        rc = rd.main(common + [bad] + msds[1:])
    if rc == 0 or "region_diffusion: %s:%d: expected" % (bad, k + 4) not in err.getvalue():
        fails.append("a damaged block MSD file was not refused at its line: %s" % err.getvalue())
    return fails


def check_extrapolation():
    from openmtp import diffusion
    pts = [(500.0, 2.0e-6, 0.2e-6), (800.0, 3.0e-5, 6.0e-6)]
    fit = diffusion.arrhenius(pts)
    kb = diffusion.BOLTZMANN_EV_PER_K
    (t1, d1, e1), (t2, d2, e2) = pts
    x1, x2, x = 1 / (kb * t1), 1 / (kb * t2), 1 / (kb * 300.0)
    w1 = (x2 - x) / (x2 - x1)
    w2 = 1 - w1
    ln_exp = w1 * math.log(d1) + w2 * math.log(d2)
    sd_exp = math.sqrt((w1 * e1 / d1) ** 2 + (w2 * e2 / d2) ** 2)
    d, sd = diffusion.extrapolate(fit, 300.0)
    print("extrapolate 300 K: D %.4e (exact %.4e), sigma ln D %.4f (exact %.4f)"
          % (d, math.exp(ln_exp), sd, sd_exp))
    out = []
    if abs(math.log(d) - ln_exp) > 1e-9 or abs(sd - sd_exp) > 1e-9 * sd_exp:
        out.append("extrapolate(300 K) differs from the exact two-point line")
    d1_fit, sd1 = diffusion.extrapolate(fit, t1)
    if abs(d1_fit / d1 - 1) > 1e-9 or abs(sd1 - e1 / d1) > 1e-9:
        out.append("extrapolate(T1) does not return the first point and its error")
    return out


if __name__ == "__main__":
    sys.exit(main())
