# SPDX-License-Identifier: BSD-3-Clause
"""Li diffusion parallel and normal to a grain boundary, for the whole cell and by region
(near a boundary / bulk-like middle), from LAMMPS dumps of unwrapped positions, with block
error bars.  The block-averaging and Arrhenius parts are openmtp.diffusion's.

Input (examples/li3ps4-gb/md): B consecutive production blocks of equal length, each a LAMMPS
text dump `id xu yu zu` of the Li atoms (sorted by id, the same atoms in every frame), written
every few steps including the block's first step; and the cell's region file (cell.regions of
prepare_cell.py): `boundary_fractions s1 s2 ...` (the boundary planes as fractions of L_z,
measured from zlo; `none` for bulk) and `normal z` (x, y span the boundary plane).

Definitions (per block):
  * Displacement of Li i from origin frame t0 to t0 + tau: u_i = r_i(t0 + tau) - r_i(t0) minus
    the displacement of the centre of mass of all Li in the cell over the same interval (the
    drift of the Li sublattice is removed; one common correction for every region).
  * Region of an atom: fixed by its position at the origin t0.  Distance to the boundaries
    d_i = L_z(t0) min_b | ((s_i - s_b + 1/2) mod 1) - 1/2 |, with s_i = (z_i - zlo) / L_z
    (the unwrapped z wrapped into the cell, so both boundaries of the periodic bicrystal count,
    the one at z = 0 = L_z through the periodic wrap).  'near': d_i < NEAR; 'middle':
    d_i >= MIDDLE (bulk-like); 'all': every Li.  An atom keeps its origin region for the whole
    lag, also after it has crossed into the other region, so a region's D is that of atoms
    starting there over the lag window: keep MAX_LAG short against the time to diffuse across
    a region (report (2 D_z tau)^1/2 against the widths).
  * MSD_R,alpha(tau) = mean over origins t0 and atoms i in R(t0) of u_i,alpha^2; origins are
    ORIGINS equally spaced frames in [0, (1 - MAX_LAG) L], lags up to MAX_LAG L.
  * D_R,alpha = slope / 2 of a least-squares line through MSD_R,alpha(tau) for tau in
    [SKIP MAX_LAG L, MAX_LAG L]; D_par = (D_x + D_y) / 2 (in the plane), D_normal = D_z,
    D_total = slope of the 3-D MSD / 6.
  * Isotropy parameter eta = D_normal / D_par: 1 for isotropic motion, < 1 when the boundary
    hinders motion across it, > 1 when it is faster across.  For bulk, 'normal' is the
    cell's z (the c axis of the Pnma model), so eta there is D_c / ((D_a + D_b) / 2).
  * Errors: D per block, the mean over blocks and its standard error (diffusion.mean_and_error);
    eta from the block means, its error by the jackknife over blocks (delete-one), which keeps
    the correlation of D_normal and D_par within a block.

    python3 -m openmtp.region_diffusion --regions cell.regions block-*.dump [--T 600]
        [--timestep 0.001] [--near 4] [--middle 5] [--skip 0.2] [--max-lag 0.5] [--origins 10]
        [-o FILE]
    python3 -m openmtp.region_diffusion --regions cell.regions --block-msd block-000.msd \
        block-000.dump [--timestep ...] [--near ...] [--middle ...] [--max-lag ...] [--origins ...]

Block MSD files (--block-msd): one block's MSD curves per region, i.e. everything the analysis
takes from that block's dump (a few tens of kB instead of ~15 MB), so that a run spread over
machines can keep them and analyse later.  The analysis accepts them in place of the dumps, also
mixed with dumps, and gives the same numbers; near, middle, max-lag, origins, the timestep and the
boundary fractions are fixed when the curves are computed, and an analysis with other values is
refused (only --skip, the fitting window, can still change).

Output (-o, written atomically; the report reads it): '#' comment lines with the settings,
then one row per region and quantity:
    region quantity value error n_blocks
with quantity D_x D_y D_z D_par D_normal D_total (cm^2/s), eta, n_li (mean Li per origin),
rms_normal_A (sqrt of the MSD_z at the largest lag)."""

import argparse
import math
import os
import sys

import numpy as np

from . import _lammps_dump
from ._textfile import data_lines, open_text, write_atomic
from .diffusion import A2_PER_PS_TO_CM2_PER_S, DiffusionError, mean_and_error

REGIONS = ("all", "near", "middle")
QUANTITIES = ("D_x", "D_y", "D_z", "D_par", "D_normal", "D_total", "eta", "n_li", "rms_normal_A")


def read_regions(path):
    """{'boundary_fractions': [s...], 'normal': 'z', ...} of a cell.regions file."""
    out = {}
    with open_text(path, DiffusionError) as f:
        for no, t, _ in data_lines(f):
            out[t[0]] = (no, t[1:])
    if "boundary_fractions" not in out:
        raise DiffusionError("%s: expected a 'boundary_fractions s1 s2 ...' (or 'none') line" % path)
    no, vals = out["boundary_fractions"]
    if vals == ["none"]:
        fr = []
    else:
        try:
            fr = [float(v) for v in vals]
        except ValueError:
            raise DiffusionError("%s:%d: expected fractions of L_z or 'none'" % (path, no))
        if not fr or not all(0 <= s <= 1 for s in fr):
            raise DiffusionError("%s:%d: expected fractions in [0, 1]" % (path, no))
    normal = out.get("normal", (0, ["z"]))
    if normal[1] != ["z"]:
        raise DiffusionError("%s:%d: expected 'normal z' (the builder's convention)" % (path, normal[0]))
    return {"boundary_fractions": fr, "label": " ".join(out.get("label", (0, ["?"]))[1]),
            "kind": " ".join(out.get("kind", (0, ["?"]))[1])}


def read_dump(path):
    """(steps [F], zlo_zhi [F x 2], ids [N], positions [F x N x 3]) of a LAMMPS text dump
    with columns id xu yu zu, every frame holding the same atoms."""
    steps, boxes, frames, ids = [], [], [], None
    for fr in _lammps_dump.frames(path, DiffusionError):
        if fr.columns[:4] != ["id", "xu", "yu", "zu"]:
            raise DiffusionError("%s:%d: expected 'ITEM: ATOMS id xu yu zu ...'" % (path, fr.atoms_line))
        fid = fr.values[:, 0].astype(int)
        if ids is None:
            ids = fid
        elif not np.array_equal(fid, ids):
            raise DiffusionError("%s:%d: frame at step %d holds other atoms (or another order) than the "
                                 "first: expected 'dump_modify sort id' of a fixed group"
                                 % (path, fr.atoms_line + 1, fr.step))
        if steps and fr.step <= steps[-1]:
            raise DiffusionError("%s:%d: steps must increase (%d after %d)" % (path, fr.line + 1, fr.step, steps[-1]))
        steps.append(fr.step)
        boxes.append(fr.bounds[2])  # z lo/hi: written as they are also for a triclinic box
        frames.append(fr.values[:, 1:4])
    if len(steps) < 2:
        raise DiffusionError("%s: expected at least 2 frames, found %d" % (path, len(steps)))
    return np.array(steps), np.array(boxes), ids, np.array(frames)


def boundary_distance(z, zlo, lz, fractions):
    """Distance (A) of positions z (unwrapped) to the nearest boundary plane s_b L_z, periodic."""
    s = (np.asarray(z) - zlo) / lz
    d = np.full(np.shape(s), np.inf)
    for sb in fractions:
        d = np.minimum(d, np.abs((s - sb + 0.5) % 1.0 - 0.5) * lz)
    return d


def _slope(t, y):
    t = np.asarray(t, float)
    tm = t - t.mean()
    return float(np.dot(tm, y - np.mean(y)) / np.dot(tm, tm))


def block_msd(steps, boxes, pos, timestep, fractions, near, middle, max_lag=0.5, origins=10):
    """{region: (lags_ps [K], msd [K x 3], mean Li per origin)} of one block."""
    if not 0 < max_lag <= 1:
        raise DiffusionError("max-lag=%g: expected 0 < max-lag <= 1 (fraction of the block)" % max_lag)
    n_frames = len(steps)
    dt_frames = np.diff(steps)
    if np.any(dt_frames != dt_frames[0]):
        raise DiffusionError("frames are not equally spaced in time (steps %s ...)" % steps[:4])
    n_lag = int(round(max_lag * (n_frames - 1)))
    if n_lag < 3:
        raise DiffusionError("only %d frames within the largest lag; dump more often" % n_lag)
    last_origin = n_frames - 1 - n_lag
    t0s = np.unique(np.round(np.linspace(0, last_origin, max(1, min(origins, last_origin + 1)))).astype(int))
    com = pos.mean(axis=1)  # [F x 3], all Li (equal masses)
    lags = np.arange(n_lag + 1)
    sums = {r: np.zeros((n_lag + 1, 3)) for r in REGIONS}
    counts = {r: 0 for r in REGIONS}
    for t0 in t0s:
        zlo, zhi = boxes[t0]
        if fractions:
            d = boundary_distance(pos[t0, :, 2], zlo, zhi - zlo, fractions)
            masks = {"all": np.ones(len(d), bool), "near": d < near, "middle": d >= middle}
        else:
            masks = {"all": np.ones(pos.shape[1], bool)}
        u = pos[t0:t0 + n_lag + 1] - pos[t0] - (com[t0:t0 + n_lag + 1] - com[t0])[:, None, :]
        u2 = u * u  # [K x N x 3]
        for r, m in masks.items():
            sums[r] += u2[:, m, :].sum(axis=1)
            counts[r] += int(m.sum())
    out = {}
    for r in REGIONS:
        if counts[r]:
            out[r] = (lags * dt_frames[0] * timestep, sums[r] / counts[r], counts[r] / len(t0s))
    return out


BLOCK_MSD_MAGIC = "# openmtp.region_diffusion block MSD v1"
# the settings a block MSD file fixes, in the order written; compared as written ("%.10g")
BLOCK_MSD_KEYS = ("timestep", "near_A", "middle_A", "max_lag", "origins", "boundary_fractions")


def _block_settings(timestep, fractions, near, middle, max_lag, origins):
    return {"timestep": "%.10g" % timestep, "near_A": "%.10g" % near, "middle_A": "%.10g" % middle,
            "max_lag": "%.10g" % max_lag, "origins": "%d" % origins,
            "boundary_fractions": ",".join("%.10g" % f for f in fractions) or "none"}


def format_block_msd(curves, block_ps, settings, source):
    """Text of a block MSD file: the settings, the block length, the mean Li count per region,
    then 'region lag_ps msd_x msd_y msd_z' rows (A^2, full precision)."""
    out = [BLOCK_MSD_MAGIC, "# source %s" % source, "# block_ps %.17g" % block_ps]
    out += ["# %s %s" % (k, settings[k]) for k in BLOCK_MSD_KEYS]
    out += ["# n_li %s %.17g" % (r, curves[r][2]) for r in REGIONS if r in curves]
    out.append("# region lag_ps msd_x msd_y msd_z")
    for r in REGIONS:
        if r in curves:
            lags, msd, _ = curves[r]
            out += ["%s %.17g %.17g %.17g %.17g" % ((r, lag) + tuple(m)) for lag, m in zip(lags, msd)]
    return "\n".join(out) + "\n"


def is_block_msd(path):
    try:
        with open(path) as f:
            return f.readline().rstrip("\n") == BLOCK_MSD_MAGIC
    except (OSError, UnicodeDecodeError):
        return False


def read_block_msd(path):
    """(block_ps, settings {key: text}, {region: (lags_ps, msd [K x 3], n_li)}) of a block
    MSD file; errors name path:line."""
    settings, n_li, rows, block_ps = {}, {}, {}, None
    with open_text(path, DiffusionError) as f:
        for no, line in enumerate(f, 1):
            t = line.split()
            if no == 1:
                if line.rstrip("\n") != BLOCK_MSD_MAGIC:
                    raise DiffusionError("%s:1: expected '%s'" % (path, BLOCK_MSD_MAGIC))
                continue
            if not t:
                continue
            if t[0] == "#":
                if len(t) == 3 and t[1] == "block_ps":
                    try:
                        block_ps = float(t[2])
                    except ValueError:
                        raise DiffusionError("%s:%d: expected '# block_ps PS'" % (path, no))
                elif len(t) == 3 and t[1] in BLOCK_MSD_KEYS:
                    settings[t[1]] = t[2]
                elif len(t) == 4 and t[1] == "n_li" and t[2] in REGIONS:
                    try:
                        n_li[t[2]] = float(t[3])
                    except ValueError:
                        raise DiffusionError("%s:%d: expected '# n_li REGION COUNT'" % (path, no))
                continue
            if len(t) != 5 or t[0] not in REGIONS:
                raise DiffusionError("%s:%d: expected 'region lag_ps msd_x msd_y msd_z'" % (path, no))
            try:
                rows.setdefault(t[0], []).append([float(v) for v in t[1:]])
            except ValueError:
                raise DiffusionError("%s:%d: expected numbers" % (path, no))
    missing = [k for k in BLOCK_MSD_KEYS if k not in settings] + ([] if block_ps is not None else ["block_ps"])
    if missing:
        raise DiffusionError("%s: no '# %s' line" % (path, missing[0]))
    if "all" not in rows:
        raise DiffusionError("%s: no 'all' region rows" % path)
    curves = {}
    for r, v in rows.items():
        a = np.array(v)
        if r not in n_li:
            raise DiffusionError("%s: no '# n_li %s' line" % (path, r))
        if len(a) < 2 or a[0, 0] != 0 or np.any(np.diff(a[:, 0]) <= 0) or not np.all(np.isfinite(a)):
            raise DiffusionError("%s: region %s: expected lags increasing from 0 and finite MSDs" % (path, r))
        curves[r] = (a[:, 0], a[:, 1:], n_li[r])
    if len({len(c[0]) for c in curves.values()}) != 1:
        raise DiffusionError("%s: the regions have different numbers of lags" % path)
    return block_ps, settings, curves


def block_coefficients(lags, msd, skip):
    """{D_x, D_y, D_z, D_par, D_normal, D_total} (cm^2/s) from one MSD curve."""
    sel = lags >= skip * lags[-1]
    if sel.sum() < 3:
        raise DiffusionError("only %d lags in the fitting window; dump more often or lower --skip" % sel.sum())
    t = lags[sel]
    dx, dy, dz = (_slope(t, msd[sel, k]) / 2 * A2_PER_PS_TO_CM2_PER_S for k in range(3))
    return {"D_x": dx, "D_y": dy, "D_z": dz, "D_par": (dx + dy) / 2, "D_normal": dz,
            "D_total": _slope(t, msd[sel].sum(axis=1)) / 6 * A2_PER_PS_TO_CM2_PER_S}


def jackknife_ratio(num, den):
    """(ratio of means, jackknife standard error) of paired per-block values."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    r = num.mean() / den.mean()
    b = len(num)
    if b < 2:
        return r, float("nan")
    loo = np.array([(num.sum() - num[i]) / (den.sum() - den[i]) for i in range(b)])
    return r, math.sqrt((b - 1) / b * np.sum((loo - loo.mean()) ** 2))


def analyse(paths, regions, timestep, near=4.0, middle=5.0, skip=0.2, max_lag=0.5, origins=10):
    """{region: {quantity: (value, error)}}, 'n_blocks', 'block_ps'.  PATHS: one dump or one
    block MSD file (format_block_msd) per block."""
    if not paths:
        raise DiffusionError("no dump files given")
    if not 0 <= skip < 1:
        raise DiffusionError("skip=%g: expected 0 <= skip < 1" % skip)
    _check_regions(near, middle)
    want = _block_settings(timestep, regions["boundary_fractions"], near, middle, max_lag, origins)
    per_block, lengths = [], []
    for p in paths:
        try:
            if is_block_msd(p):
                block_ps, got, curves = read_block_msd(p)
                for k in BLOCK_MSD_KEYS:
                    if got[k] != want[k]:
                        raise DiffusionError("computed with %s %s, this analysis asks for %s "
                                             "(rerun --block-msd from the dump)" % (k, got[k], want[k]))
                lengths.append(block_ps)
            else:
                curves, length = dump_block_msd(p, regions, timestep, near, middle, max_lag, origins)
                lengths.append(length)
            per_block.append({r: (block_coefficients(l, m, skip), n, float(np.sqrt(m[-1, 2])))
                              for r, (l, m, n) in curves.items()})
        except DiffusionError as e:
            raise DiffusionError(str(e) if str(e).startswith(p + ":") else "%s: %s" % (p, e))
    if max(lengths) > 1.01 * min(lengths):
        raise DiffusionError("blocks differ in length (%g to %g ps): expected equal blocks" % (min(lengths), max(lengths)))
    result = {"n_blocks": len(paths), "block_ps": lengths[0], "regions": {}}
    for r in REGIONS:
        have = [r in b for b in per_block]
        if not any(have):
            continue
        if not all(have):
            raise DiffusionError("%s: no Li in region %s, which the other blocks have (another cell or "
                                 "region file?)" % (paths[have.index(False)], r))
        q = {}
        for k in ("D_x", "D_y", "D_z", "D_par", "D_normal", "D_total"):
            q[k] = mean_and_error([b[r][0][k] for b in per_block])
        q["eta"] = jackknife_ratio([b[r][0]["D_normal"] for b in per_block], [b[r][0]["D_par"] for b in per_block])
        q["n_li"] = mean_and_error([b[r][1] for b in per_block])
        q["rms_normal_A"] = mean_and_error([b[r][2] for b in per_block])
        result["regions"][r] = q
    return result


def _check_regions(near, middle):
    if not 0 < near <= middle:
        raise DiffusionError("near=%g middle=%g: expected 0 < near <= middle (A)" % (near, middle))


def dump_block_msd(path, regions, timestep, near, middle, max_lag, origins):
    """(block_msd curves, block length in ps) of one block's dump."""
    _check_regions(near, middle)
    steps, boxes, _, pos = read_dump(path)
    return (block_msd(steps, boxes, pos, timestep, regions["boundary_fractions"], near, middle, max_lag, origins),
            float((steps[-1] - steps[0]) * timestep))


def format_result(result, settings):
    out = ["# openmtp.region_diffusion: %s" % "; ".join("%s %s" % kv for kv in settings),
           "# %d blocks of %g ps; error = standard error of the block mean (eta: jackknife over blocks)"
           % (result["n_blocks"], result["block_ps"]),
           "# region quantity value error n_blocks   (D in cm^2/s; eta = D_normal / D_par)"]
    for r, q in result["regions"].items():
        for k in QUANTITIES:
            v, e = q[k]
            out.append("%-6s %-12s %.6e %.3e %d" % (r, k, v, e, result["n_blocks"]))
    return "\n".join(out) + "\n"


def read_result(path):
    """{'settings': {...}, region: {quantity: (value, error)}} of a file written by -o."""
    res, settings = {}, {}
    with open_text(path, DiffusionError) as f:
        for no, line in enumerate(f, 1):
            if line.startswith("# openmtp.region_diffusion:"):
                for kv in line.split(":", 1)[1].split(";"):
                    k, _, v = kv.strip().partition(" ")
                    settings[k] = v
                continue
            t = line.split()
            if not t or t[0].startswith("#"):
                continue
            if len(t) != 5 or t[1] not in QUANTITIES:
                raise DiffusionError("%s:%d: expected 'region quantity value error n_blocks'" % (path, no))
            try:
                res.setdefault(t[0], {})[t[1]] = (float(t[2]), float(t[3]))
            except ValueError:
                raise DiffusionError("%s:%d: expected numbers" % (path, no))
    if "all" not in res:
        raise DiffusionError("%s: no 'all' region rows" % path)
    res["settings"] = settings
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m openmtp.region_diffusion",
                                 description="Li D parallel/normal to a boundary, by region, from dumps")
    ap.add_argument("dumps", nargs="+", help="one LAMMPS dump or block MSD file per block")
    ap.add_argument("--regions", required=True, help="cell.regions of prepare_cell.py")
    ap.add_argument("--T", type=float, help="temperature (K), written into the output")
    ap.add_argument("--timestep", type=float, default=0.001, help="ps")
    ap.add_argument("--near", type=float, default=4.0, help="near: d < NEAR (A)")
    ap.add_argument("--middle", type=float, default=5.0, help="middle: d >= MIDDLE (A)")
    ap.add_argument("--skip", type=float, default=0.2)
    ap.add_argument("--max-lag", type=float, default=0.5)
    ap.add_argument("--origins", type=int, default=10)
    ap.add_argument("-o", "--output")
    ap.add_argument("--block-msd", metavar="FILE",
                    help="write the MSD curves of the one dump given to FILE (no analysis)")
    a = ap.parse_args(argv)
    try:
        if not a.timestep > 0 or a.origins < 1:
            raise DiffusionError("expected --timestep > 0 and --origins >= 1")
        regions = read_regions(a.regions)
        if a.block_msd:
            if len(a.dumps) != 1 or is_block_msd(a.dumps[0]):
                raise DiffusionError("--block-msd: expected exactly one dump")
            try:
                curves, length = dump_block_msd(a.dumps[0], regions, a.timestep, a.near, a.middle,
                                                a.max_lag, a.origins)
            except DiffusionError as e:
                raise DiffusionError("%s: %s" % (a.dumps[0], e))
            write_atomic(a.block_msd, format_block_msd(curves, length, _block_settings(
                a.timestep, regions["boundary_fractions"], a.near, a.middle, a.max_lag, a.origins),
                os.path.basename(a.dumps[0])))
            return 0
        res = analyse(a.dumps, regions, a.timestep, a.near, a.middle, a.skip, a.max_lag, a.origins)
        settings = [("label", regions["label"].replace(";", ",")), ("kind", regions["kind"]),
                    ("T", "%g" % a.T if a.T else "-"), ("near_A", "%g" % a.near),
                    ("middle_A", "%g" % a.middle), ("skip", "%g" % a.skip), ("max_lag", "%g" % a.max_lag),
                    ("origins", "%d" % a.origins), ("n_blocks", "%d" % res["n_blocks"]),
                    ("block_ps", "%g" % res["block_ps"]),
                    ("boundary_fractions", ",".join("%g" % s for s in regions["boundary_fractions"]) or "none")]
        text = format_result(res, settings)
        if a.output:
            write_atomic(a.output, text)
        sys.stdout.write(text)
    except DiffusionError as e:
        sys.stderr.write("openmtp.region_diffusion: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
