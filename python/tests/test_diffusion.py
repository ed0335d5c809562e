# SPDX-License-Identifier: BSD-3-Clause
"""openmtp.diffusion: D per direction from block MSD files, error bars, Arrhenius.

Synthetic data with known answers: random walkers with anisotropic diffusion
(D_x = 1e-5, D_y = 2e-5, D_z = 0.5e-5 cm^2/s) and a common drift, written in
the fix ave/time format of examples/li3ps4-beta/md/diffusion.lmp: the block
estimates recover each D within 4 standard errors, the error bars are of the
size the block scatter implies, the drift is removed by com yes; exact
Arrhenius data give back Ea and D0; malformed files give file:line messages."""
import math
import os
import subprocess
import sys

from testlib import Skip, assert_close, run_tests, workdir

TRUE = {"x": 1e-5, "y": 2e-5, "z": 0.5e-5}


def numpy():
    try:
        import numpy as np
        return np
    except ImportError:
        raise Skip("numpy not available")


def write_blocks(d, n_blocks=8, n_atoms=400, block_ps=40.0, dt_ps=0.2, seed=3, drift=0.05):
    """Block files as LAMMPS writes them: MSD about each block's start, centre of mass removed."""
    np = numpy()
    rng = np.random.default_rng(seed)
    steps_per_sample = 200  # timestep 0.001 ps
    sigma = np.sqrt(2 * np.array([TRUE[k] for k in "xyz"]) * 1e4 * dt_ps)  # A per sample
    n_samples = int(round(block_ps / dt_ps))
    pos = np.zeros((n_atoms, 3))
    paths = []
    step = 0
    for b in range(n_blocks):
        origin = pos.copy()
        lines = ["# Time-averaged data for fix msd", "# TimeStep c_msd[1] c_msd[2] c_msd[3] c_msd[4]"]
        for s in range(n_samples + 1):
            if s:
                pos += rng.normal(size=pos.shape) * sigma + drift  # every atom drifts alike
                step += steps_per_sample
            disp = pos - origin
            disp -= disp.mean(axis=0)
            m = (disp ** 2).mean(axis=0)
            lines.append("%d %.10g %.10g %.10g %.10g" % (step, m[0], m[1], m[2], m.sum()))
        p = os.path.join(d, "block-%03d.msd" % b)
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        paths.append(p)
    return paths


def test_recovers_anisotropic_coefficients():
    from openmtp import diffusion
    paths = write_blocks(workdir("diffusion-synthetic"))
    r = diffusion.analyse(paths, timestep=0.001, skip=0.25)
    assert r["n_blocks"] == 8 and abs(r["block_ps"] - 40.0) < 1e-9
    for k in "xyz":
        m, e = r["D"][k]
        assert e > 0 and abs(m - TRUE[k]) < 4 * e, "D_%s = %g +- %g, true %g" % (k, m, e, TRUE[k])
        # the error bar is the block scatter's: a few percent here, not 0 and not 100 %
        assert 0.003 < e / TRUE[k] < 0.3, "relative error of D_%s: %g" % (k, e / TRUE[k])
    m, e = r["D"]["total"]
    assert abs(m - sum(TRUE.values()) / 3) < 4 * e, "D_total %g +- %g" % (m, e)


def test_cli_prints_the_table():
    d = workdir("diffusion-cli")
    write_blocks(d, n_blocks=4)
    p = subprocess.run([sys.executable, "-m", "openmtp.diffusion", d], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    assert p.returncode == 0, p.stderr
    assert "from 4 blocks of 40 ps" in p.stdout, p.stdout
    got = {l.split()[0]: float(l.split()[1]) for l in p.stdout.splitlines() if l.strip().startswith("D_")}
    assert set(got) == {"D_x", "D_y", "D_z", "D_total"}, got


def test_arrhenius_exact():
    from openmtp import diffusion
    Ea, D0 = 0.35, 2e-2
    pts = [(T, D0 * math.exp(-Ea / (diffusion.BOLTZMANN_EV_PER_K * T)), 0.0) for T in (500, 600, 700, 800, 900)]
    fit = diffusion.arrhenius(pts)
    assert_close(fit["Ea"][0], Ea, rel=1e-10, what="Ea")
    assert_close(fit["D0"][0], D0, rel=1e-9, what="D0")
    assert fit["Ea"][1] < 1e-8, fit["Ea"]
    # with error bars: a noisy point with a large error barely moves the fit
    pts2 = pts[:2] + [(700, pts[2][1] * 3, pts[2][1] * 100)] + pts[3:]
    pts2 = [(T, D, e or D * 0.01) for T, D, e in pts2]
    assert abs(diffusion.arrhenius(pts2)["Ea"][0] - Ea) < 0.01


def test_arrhenius_cli_and_plot():
    d = workdir("diffusion-arrhenius")
    specs = []
    for T, scale in ((600, 1.0), (800, 3.0)):
        sub = os.path.join(d, "T%d" % T)
        os.makedirs(sub, exist_ok=True)
        write_blocks(sub, n_blocks=3, seed=T)
        if scale != 1.0:  # faster diffusion at 800 K: rescale the MSDs
            for f in os.listdir(sub):
                p = os.path.join(sub, f)
                rows = [l if l.startswith("#") else " ".join([l.split()[0]] + ["%.10g" % (float(x) * scale)
                        for x in l.split()[1:]]) for l in open(p).read().splitlines()]
                open(p, "w").write("\n".join(rows) + "\n")
        specs.append("%d:%s" % (T, sub))
    png = os.path.join(d, "arrhenius.png")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise Skip("matplotlib not available")
    p = subprocess.run([sys.executable, "-m", "openmtp.diffusion", "--arrhenius"] + specs + ["--png=" + png],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert p.returncode == 0, p.stderr
    ea = float([l for l in p.stdout.splitlines() if l.startswith("Arrhenius D_total")][0].split("Ea =")[1].split()[0])
    want = math.log(3.0) * 8.617333262e-5 / (1 / 600 - 1 / 800)
    assert abs(ea - want) < 0.15 * want, (ea, want)
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_bad_files():
    from openmtp import diffusion
    d = workdir("diffusion-bad")
    cases = {"fields": "# x\n0 1 2 3\n", "number": "0 0 0 0 0\n10 a 0 0 0\n", "order": "10 0 0 0 0\n5 1 1 1 3\n",
             "nan": "0 0 0 0 0\n10 nan 0 0 0\n", "negative": "0 0 0 0 0\n10 -1 0 0 0\n"}
    for name, text in cases.items():
        p = os.path.join(d, name + ".msd")
        open(p, "w").write(text)
        try:
            diffusion.analyse([p], timestep=0.001)
        except diffusion.DiffusionError as e:
            assert ("%s:" % p) in str(e), str(e)
        else:
            raise AssertionError("%s accepted" % name)
    short = os.path.join(d, "short.msd")
    open(short, "w").write("0 0 0 0 0\n10 1 1 1 3\n")
    try:
        diffusion.analyse([short], timestep=0.001)
        raise AssertionError("2-row block accepted")
    except diffusion.DiffusionError as e:
        assert "fitting window" in str(e), str(e)
    p = subprocess.run([sys.executable, "-m", "openmtp.diffusion", os.path.join(d, "fields.msd")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert p.returncode == 1 and "fields.msd:2:" in p.stderr, (p.returncode, p.stderr)


if __name__ == "__main__":
    run_tests(globals())
