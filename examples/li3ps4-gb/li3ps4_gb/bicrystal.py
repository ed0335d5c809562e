# SPDX-License-Identifier: BSD-3-Clause
"""Periodic bicrystal with two boundaries from pymatgen's CSL transformation matrices.

Conventions (also written into every output's header):
  * axis [uvw] and plane (hkl) refer to the Pnma cell of the model, a = 12.82 > b = 8.22 >
    c = 6.12 A (the setting of examples/li3ps4-beta/cp2k/beta-Li3PS4_geoopt_partial.cfg), after
    the strain of the rational ratio approximation (crystal.py).
  * box frame: x along the first in-plane CSL vector A, z along the boundary normal; the box is
    A, B (in-plane, Gauss-reduced CSL vectors), C = L n with n the unit normal (so only xy is
    tilted).  Grain 1 fills 0 <= z < L/2 - gap, grain 2 fills L/2 <= z < L - gap (a PS4 unit
    belongs to the slab of its P; its S may stick out), boundaries near z = L/2 and z = 0 = L.
  * grain 1 has orientation M1 (box <- crystal Cartesian), grain 2 is grain 1 rotated
    by R(axis_box, angle): M2 = R M1, an active right-handed rotation about axis_box = M1 [uvw]
    (as a Cartesian direction u a + v b + w c, normalised).
  * rigid-body translation: grain 2 moved by u A + v B (u, v in [0, 1)) in-plane and the gap g
    opens both boundaries (L grows by 2 g).

Overlap rule (order matters; d_min(X, Y) is the smallest X-Y distance between different PS4
units / Li in the strained bulk, f the clash factor, default 0.8):
  1. PS4 units: two units clash if any of their atoms are closer than f d_min.  While clashes
     remain, delete the whole unit (P and its four S) with the most clashes (ties: the unit in
     grain 2, then the unit whose P is nearest a boundary plane).  A lone S or P is never
     deleted or moved.
  2. Li: a Li clashes with any atom closer than f d_min.  While clashes remain, delete the Li
     with the most clashes.
  3. Charge neutrality (Li3PS4: n_Li = 3 n_P): while n_Li < 3 n_P, delete the PS4 unit within
     the boundary zones (|z - z_boundary| < zone, default 5 A) with the smallest normalised
     distance d / d_min to any atom outside it; while n_Li > 3 n_P, delete the Li within the
     zones with the smallest normalised distance to any other atom (the most crowded Li)."""
import math
import numpy as np
from pymatgen.core import Structure
from pymatgen.analysis.gb.grain import GrainBoundaryGenerator

from . import SPECIES
from .crystal import choose_ratio, ps4_units, strain_for_ratio, strained

TYPE = {s: i for i, s in enumerate(SPECIES)}


def _rotation_axis_angle(R):
    ang = math.degrees(math.acos(max(-1.0, min(1.0, (np.trace(R) - 1.0) / 2.0))))
    w = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
    if np.linalg.norm(w) > 1e-6:
        return w / np.linalg.norm(w), ang
    vals, vecs = np.linalg.eigh((R + R.T) / 2.0)      # 0 or 180 degrees
    return vecs[:, np.argmax(vals)], ang


def rotation_matrix(axis, angle_deg):
    k = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    t = math.radians(angle_deg)
    return np.eye(3) + math.sin(t) * K + (1 - math.cos(t)) * (K @ K)


def _gauss_reduce(a, b):
    """Lagrange-Gauss reduction of a 2D lattice basis (integer unimodular change)."""
    while True:
        if np.dot(b, b) < np.dot(a, a):
            a, b = b, a
        m = round(np.dot(a, b) / np.dot(a, a))
        if m == 0:
            return a, b
        b = b - m * a


def _grain_sites(crys, units, t, R, T, expand):
    """Atoms of one grain in the frame of grain 1's crystal: the supercell t of the crystal,
    rotated by R, stacked expand times along T[2].  P and Li are wrapped into the supercell
    T, each S sits next to its P (whole PS4 units).  Returns species, positions, unit id
    (P index within the grain for P/S, -1 for Li)."""
    L = crys.lattice.matrix
    tinv = np.linalg.inv(t)
    corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)]) @ t
    lo, hi = np.floor(corners.min(0)).astype(int), np.ceil(corners.max(0)).astype(int)
    grid = np.array(np.meshgrid(*[np.arange(l, h + 1) for l, h in zip(lo, hi)],
                                indexing="ij")).reshape(3, -1).T
    f = grid @ tinv
    inside = np.all((f > -1e-9) & (f < 1 - 1e-9), axis=1)
    pts = grid[inside]
    n_expected = round(abs(np.linalg.det(t)))
    if len(pts) != n_expected:
        raise RuntimeError("found %d lattice points in the supercell, expected %d"
                           % (len(pts), n_expected))
    Tinv = np.linalg.inv(T)
    spec, pos, unit = [], [], []
    frac = crys.frac_coords
    li = [i for i, s in enumerate(crys) if s.specie.symbol == "Li"]
    for k in range(expand):
        for n in pts:
            for i in li:
                x = R @ ((n + frac[i]) @ L)
                fx = x @ Tinv
                fx[:2] -= np.floor(fx[:2])
                fx[2] -= math.floor(fx[2] + 1e-9)
                fx[2] += k
                spec.append("Li"), pos.append(fx @ T), unit.append(-1)
            for p, (s_idx, offs) in units.items():
                x = R @ ((n + frac[p]) @ L)
                fx = x @ Tinv
                fx[:2] -= np.floor(fx[:2])
                fx[2] -= math.floor(fx[2] + 1e-9)
                fx[2] += k
                xp = fx @ T
                uid = len(set(unit) - {-1})
                spec.append("P"), pos.append(xp), unit.append(uid)
                for o in offs:
                    spec.append("S"), pos.append(xp + R @ o), unit.append(uid)
    return spec, np.array(pos), np.array(unit)


def bulk_min_distances(crys, units):
    """Smallest distance per species pair between atoms of different units (a PS4 unit, or
    one Li) in the bulk crystal."""
    uid = np.full(len(crys), -1)
    for p, (s_idx, _) in units.items():
        uid[p] = p
        uid[s_idx] = p
    uid[uid < 0] = np.arange(len(crys))[uid < 0] + 10000
    i, j, img, d = crys.get_neighbor_list(6.0)
    out = {}
    for a, b, im, r in zip(i, j, img, d):
        if uid[a] == uid[b] and not np.any(im):     # same unit, same image: a bond
            continue
        key = tuple(sorted((crys[a].specie.symbol, crys[b].specie.symbol)))
        out[key] = min(out.get(key, 99.0), r)
    return out


class Bicrystal:
    """Everything about one boundary geometry that does not depend on the translation."""

    def __init__(self, model, axis, plane, sigma=None, angle=None, ratio=None, expand=2,
                 max_strain=0.06):
        self.axis, self.plane = list(axis), list(plane)
        lengths = model.lattice.abc
        if ratio is None:
            ratio, strain, sig = choose_ratio(lengths, axis, sigma=sigma, angle=angle,
                                              max_strain=max_strain)
        else:
            ratio = tuple(ratio)
            strain = strain_for_ratio(lengths, ratio)
            sig = GrainBoundaryGenerator.enum_sigma_ort(sigma or 60, list(axis), list(ratio))
        if angle is None:
            if sigma not in sig:
                raise ValueError("ratio %s has no Sigma %s about %s" % (ratio, sigma, axis))
            angle = min(sig[sigma])      # documented: the smaller of the Sigma's angles
        if sigma is None:
            sigma = [s for s, v in sig.items() if any(abs(a - angle) < 1e-3 for a in v)]
            sigma = sigma[0] if sigma else None
        self.ratio, self.strain, self.angle, self.sigma = ratio, strain, angle, sigma
        self.expand = expand
        self.crys = strained(model, strain)
        self.units = ps4_units(self.crys)
        gen = GrainBoundaryGenerator(self.crys)
        if gen.lat_type != "o":
            raise ValueError("expected an orthorhombic model, pymatgen found lattice type %s"
                             % gen.lat_type)
        t1, t2 = gen.get_trans_mat(r_axis=self.axis, angle=angle, normal=False,
                                   trans_cry=np.eye(3), lat_type="o", ratio=list(ratio),
                                   surface=self.plane, max_search=20)
        t1, t2 = np.rint(t1).astype(int), np.rint(t2).astype(int)
        L = self.crys.lattice.matrix
        T, B = t1 @ L, t2 @ L
        # The CSL supercells of the two grains must be the same lattice up to a rotation: that
        # is what the strain to the rational ratio buys.  Check it rather than trust it.
        if np.max(np.abs(T @ T.T - B @ B.T)) > 1e-6 * np.max(np.abs(T @ T.T)):
            raise RuntimeError("CSL supercells of the two grains differ (metric mismatch %.2e)"
                               % np.max(np.abs(T @ T.T - B @ B.T)))
        R = T.T @ np.linalg.inv(B.T)                      # R B_i = T_i
        if np.max(np.abs(R @ R.T - np.eye(3))) > 1e-8 or np.linalg.det(R) < 0:
            raise RuntimeError("grain 2 is not a proper rotation of grain 1")
        n = np.cross(T[0], T[1])
        n /= np.linalg.norm(n)
        if np.dot(T[2], n) < 0:
            t1[2], t2[2] = -t1[2], -t2[2]
            T, B = t1 @ L, t2 @ L
        self.t1, self.t2, self.T = t1, t2, T
        self.R_crys = R
        self.d = float(np.dot(T[2], n))
        A, Bv = _gauss_reduce(T[0], T[1])
        if np.dot(np.cross(A, Bv), n) < 0:
            Bv = -Bv
        ex = A / np.linalg.norm(A)
        self.Q = np.array([ex, np.cross(n, ex), n])      # box <- crystal of grain 1
        self.A, self.B = self.Q @ A, self.Q @ Bv
        self.n_crys = n
        # planes in each grain's own crystal frame (Miller indices of the normal)
        self.plane1 = _miller(n, self.crys.lattice)
        self.plane2 = _miller(R.T @ n, self.crys.lattice)
        ax_c = np.asarray(self.axis, float) @ L
        self.axis_box = self.Q @ (ax_c / np.linalg.norm(ax_c))
        k, ang = _rotation_axis_angle(self.Q @ R @ self.Q.T)
        if np.dot(k, self.axis_box) < 0:
            k, ang = -k, 360.0 - ang if ang < 179.999 else ang
        self.rot_axis_box, self.rot_angle = k, ang
        self.axis_error_deg = math.degrees(math.acos(min(1.0, abs(np.dot(k, self.axis_box)))))
        g1 = _grain_sites(self.crys, self.units, t1, np.eye(3), T, expand)
        g2 = _grain_sites(self.crys, self.units, t2, R, T, expand)
        self.grains = [(g[0], g[1] @ self.Q.T, g[2]) for g in (g1, g2)]
        self.dmin = bulk_min_distances(self.crys, self.units)

    def area(self):
        return float(np.linalg.norm(np.cross(self.A, self.B)))

    def cell(self, u=0.0, v=0.0, gap=0.0, clash_factor=0.8, zone=5.0):
        """The bicrystal at translation (u, v, gap) after the overlap rule; returns the cell
        dict (cellio) with 'meta' (per-atom grain and unit, removal counts, boundary planes)."""
        h = self.expand * self.d
        Lz = 2 * h + 2 * gap
        box = np.array([self.A, self.B, [0.0, 0.0, Lz]])
        spec, pos, grain, unit = [], [], [], []
        shift2 = u * self.A + v * self.B + np.array([0.0, 0.0, h + gap])
        for g, (sp, x, un) in enumerate(self.grains):
            spec += sp
            pos.append(x + (shift2 if g == 1 else 0.0))
            grain += [g + 1] * len(sp)
            unit += [(u_ + g * 100000) if u_ >= 0 else -1 for u_ in un]
        pos = np.vstack(pos)
        meta = {"grain": np.array(grain), "unit": np.array(unit),
                "boundary_z": [h + gap / 2.0, 0.0 if gap == 0 else Lz - gap / 2.0]}
        keep, counts = _remove_overlaps(box, spec, pos, meta, self.dmin, clash_factor, zone)
        types = np.array([TYPE[s] for s in spec])[keep]
        meta = {"grain": meta["grain"][keep], "unit": meta["unit"][keep],
                "boundary_z": meta["boundary_z"], "removed": counts,
                "translation": (u, v, gap)}
        return {"cell": box, "types": types, "pos": pos[keep], "meta": meta}


def _miller(normal, lattice):
    """Smallest integer (hkl) whose plane normal is along 'normal' (orthorhombic lattice)."""
    g = np.asarray(normal) * np.array(lattice.abc)      # h = n . a etc.
    g = g / np.max(np.abs(g))
    for m in range(1, 61):
        r = np.rint(g * m)
        if np.max(np.abs(g * m - r)) < 1e-3 * m:
            r = r.astype(int)
            div = math.gcd(*[abs(int(x)) for x in r if x != 0])
            return [int(x // div) for x in r]
    return [round(float(x), 4) for x in g]


def _remove_overlaps(box, spec, pos, meta, dmin, factor, zone):
    """The overlap and neutrality rule of the module docstring; returns (kept mask, counts)."""
    st = Structure(box, spec, pos, coords_are_cartesian=True)
    n = len(spec)
    unit = meta["unit"]
    alive = np.ones(n, bool)
    rmax = max(dmin.values()) * factor + 0.01
    ii, jj, img, dd = st.get_neighbor_list(max(rmax, 4.0))
    sym = np.array(spec)
    thr = np.array([dmin[tuple(sorted((sym[a], sym[b])))] for a, b in zip(ii, jj)])
    same = (unit[ii] == unit[jj]) & (unit[ii] >= 0) & ~np.any(img, axis=1)
    ii, jj, dd, thr = ii[~same], jj[~same], dd[~same], thr[~same]
    clash = dd < factor * thr
    Lz = box[2, 2]
    zb = np.array(meta["boundary_z"])
    z = pos[:, 2]
    dz = np.min(np.abs(((z[:, None] - zb[None, :]) + Lz / 2) % Lz - Lz / 2), axis=1)
    counts = {"ps4_clash": 0, "li_clash": 0, "ps4_neutral": 0, "li_neutral": 0}
    members = {}
    for k, u in enumerate(unit):
        if u >= 0:
            members.setdefault(u, []).append(k)
    p_of = {u: [k for k in ks if spec[k] == "P"][0] for u, ks in members.items()}

    def kill_unit(u):
        alive[members[u]] = False

    # 1. PS4-PS4 clashes
    while True:
        m = clash & alive[ii] & alive[jj] & (unit[ii] >= 0) & (unit[jj] >= 0)
        if not m.any():
            break
        score = {}
        for a in ii[m]:
            score[unit[a]] = score.get(unit[a], 0) + 1
        worst = max(score, key=lambda u: (score[u], meta["grain"][p_of[u]], -dz[p_of[u]]))
        kill_unit(worst)
        counts["ps4_clash"] += 1
    # 2. Li clashes
    li = np.array([s == "Li" for s in spec])
    while True:
        m = clash & alive[ii] & alive[jj] & li[ii]
        if not m.any():
            break
        c = np.bincount(ii[m], minlength=n)
        alive[np.argmax(c)] = False
        counts["li_clash"] += 1

    # 3. neutrality
    def crowding(k_list, exclude_same_unit):
        best = {}
        for a, b, r, t in zip(ii, jj, dd, thr):
            if not (alive[a] and alive[b]):
                continue
            key = unit[a] if exclude_same_unit else a
            if key in k_list:
                best[key] = min(best.get(key, 9e9), r / t)
        return best

    def n_of(s):
        return int(sum(1 for k in range(n) if alive[k] and spec[k] == s))

    while n_of("Li") < 3 * n_of("P"):
        cand = {u for u, p in p_of.items() if alive[p] and dz[p] < zone}
        if not cand:
            raise RuntimeError("Li deficit but no PS4 unit within %.1f A of a boundary" % zone)
        cr = crowding(cand, True)
        kill_unit(min(cand, key=lambda u: (cr.get(u, 9e9), u)))
        counts["ps4_neutral"] += 1
    while n_of("Li") > 3 * n_of("P"):
        cand = {k for k in range(n) if alive[k] and spec[k] == "Li" and dz[k] < zone}
        if not cand:
            raise RuntimeError("Li excess but no Li within %.1f A of a boundary" % zone)
        cr = crowding(cand, False)
        alive[min(cand, key=lambda k: (cr.get(k, 9e9), k))] = False
        counts["li_neutral"] += 1
    return alive, counts
