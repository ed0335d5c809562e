# SPDX-License-Identifier: BSD-3-Clause
"""lammps adapter: a classical LAMMPS potential as a fast stand-in for DFT
(tests, trying the active-learning loop).

Template: LAMMPS commands defining the potential (pair_style, pair_coeff,
optionally mass, pair_modify ...), e.g.
    pair_style tersoff
    pair_coeff * * SiC.tersoff Si C
Relative file names in it are resolved against the template's directory
(LAMMPS runs there; every file it writes is an absolute path in the job
directory).  The frame is written as a data file in LAMMPS' restricted
triclinic frame (a along x, b in the xy plane): positions are rotated by
Q = L^-1 L', and forces (F = F' Q^T) and the virial (W = Q W' Q^T) are
rotated back.  cfg type t is LAMMPS type t+1; the number of LAMMPS types
is the length of --type_order, else the largest type in IN plus one.

Energy: `pe` (eV, units metal).  Virial: `compute pressure NULL virial`
(bar, pressure-positive, the kinetic part excluded) times V / 1.6021766208e6
bar·Å³/eV gives W = -dE/deps in eV.  `run 0` evaluates once."""

import math
import os

from . import cfgio
from .jobs import LabelFailure, SetupError, run

EV_A3_IN_BAR = 1.6021766208e6


def lammps_cell(lattice):
    """(ax, bx, by, cx, cy, cz) of LAMMPS' restricted triclinic cell with the
    same lengths and angles as the rows of `lattice`."""
    a, b, c = lattice
    la = math.sqrt(sum(x * x for x in a))
    ax = la
    bx = sum(a[i] * b[i] for i in range(3)) / la
    by = math.sqrt(max(sum(x * x for x in b) - bx * bx, 0.0))
    cx = sum(a[i] * c[i] for i in range(3)) / la
    cy = (sum(b[i] * c[i] for i in range(3)) - bx * cx) / by
    cz = math.sqrt(max(sum(x * x for x in c) - cx * cx - cy * cy, 0.0))
    return ax, bx, by, cx, cy, cz


class Adapter:
    name = "lammps"
    env_var = "LAMMPS_COMMAND"
    defaults = ("lmp", "lmp_serial", "lmp_mpi")

    def __init__(self, template, type_order, mtp, frames):
        if not template:
            raise SetupError("lammps: --template=FILE with the pair_style/pair_coeff lines is required")
        try:
            with open(template) as f:
                self.template_text = f.read()
        except OSError as e:
            raise SetupError("lammps: cannot read template %s: %s" % (template, e.strerror))
        if "pair_style" not in self.template_text:
            raise SetupError("%s: expected a pair_style line (the potential to label with)" % template)
        self.template_dir = os.path.dirname(os.path.abspath(template))
        self.n_types = len(type_order) if type_order else max([max(f.types() or [0]) for f in frames] or [0]) + 1

    def key_material(self):
        return ("lammps\0%d\0" % self.n_types + self.template_text).encode()

    def _geometry(self, frame):
        """(Q, box lines, boundary) for the frame."""
        per = frame.periodicity()
        if per == 3:
            if cfgio.det3(frame.lattice) <= 0:
                raise LabelFailure("left-handed or singular cell: LAMMPS needs a right-handed one")
            ax, bx, by, cx, cy, cz = lammps_cell(frame.lattice)
            lp = [[ax, 0, 0], [bx, by, 0], [cx, cy, cz]]
            q = cfgio.matmul(cfgio.inv3(frame.lattice), lp)
            box = ["0 %.16e xlo xhi" % ax, "0 %.16e ylo yhi" % by, "0 %.16e zlo zhi" % cz,
                   "%.16e %.16e %.16e xy xz yz" % (bx, cx, cy)]
            return q, box, "p p p"
        if per == 0:
            pos = frame.positions()
            lo = [min(p[a] for p in pos) - 50 for a in range(3)]
            hi = [max(p[a] for p in pos) + 50 for a in range(3)]
            box = ["%.16e %.16e %s" % (lo[a], hi[a], n) for a, n in enumerate(("xlo xhi", "ylo yhi", "zlo zhi"))]
            return [[1, 0, 0], [0, 1, 0], [0, 0, 1]], box, "f f f"
        raise LabelFailure("partially periodic cell (%d lattice vectors): not supported by the lammps adapter" % per)

    def prepare(self, job, prev_job):
        frame = job.frame
        q, box, boundary = self._geometry(frame)
        types = frame.types()
        if min(types) < 0 or max(types) >= self.n_types:
            raise LabelFailure("type %d outside 0..%d" % (max(types), self.n_types - 1))
        data = ["frame %d written by mtp-label" % frame.index, "", "%d atoms" % frame.n_atoms,
                "%d atom types" % self.n_types, ""] + box + ["", "Masses", ""]
        data += ["%d 1.0" % (t + 1) for t in range(self.n_types)]
        data += ["", "Atoms # atomic", ""]
        for i, (t, p) in enumerate(zip(types, frame.positions())):
            x = cfgio.vecmat(p, q)
            data.append("%d %d %.16e %.16e %.16e" % (i + 1, t + 1, x[0], x[1], x[2]))
        with open(job.path("frame.data"), "w") as f:
            f.write("\n".join(data) + "\n")
        self.q = q
        d = job.dir
        inp = ["# written by mtp-label: one evaluation of the template's potential",
               "units metal", "atom_style atomic", "atom_modify map array", "boundary " + boundary,
               "box tilt large", "read_data %s/frame.data" % d, "", self.template_text.rstrip(), "",
               "compute label_virial all pressure NULL virial",
               "thermo_style custom step pe c_label_virial[1] c_label_virial[2] c_label_virial[3] "
               "c_label_virial[4] c_label_virial[5] c_label_virial[6] vol",
               "thermo_modify format float %.16e",
               "dump label_forces all custom 1 %s/forces.dump id fx fy fz" % d,
               "dump_modify label_forces sort id format float %.16e",
               "run 0",
               'print "LABEL $(pe:%.16e) $(c_label_virial[1]:%.16e) $(c_label_virial[2]:%.16e) '
               '$(c_label_virial[3]:%.16e) $(c_label_virial[4]:%.16e) $(c_label_virial[5]:%.16e) '
               '$(c_label_virial[6]:%.16e) $(vol:%.16e)" file ' + d + "/energy.txt screen no"]
        with open(job.path("in.lammps"), "w") as f:
            f.write("\n".join(inp) + "\n")
        return ["-in", job.path("in.lammps"), "-log", job.path("log.lammps"), "-screen", "none"], self.template_dir

    def collect(self, job, status):
        frame = job.frame
        err = _lammps_error(job.path("log.lammps"))
        if status != 0 or err:
            raise LabelFailure("lammps %s%s" % ("exited with status %d" % status if status else "failed",
                                                 ": " + err if err else ""))
        try:
            with open(job.path("energy.txt")) as f:
                words = f.read().split()
        except OSError:
            raise LabelFailure("energy.txt was not written (LAMMPS stopped before the end of its input)")
        if len(words) != 9 or words[0] != "LABEL":
            raise LabelFailure("energy.txt: expected 'LABEL pe pxx pyy pzz pxy pxz pyz vol'")
        try:
            v = [float(x) for x in words[1:]]
        except ValueError:
            raise LabelFailure("energy.txt: expected numbers")
        if not all(math.isfinite(x) for x in v):
            raise LabelFailure("energy.txt: non-finite energy or virial")
        energy, (pxx, pyy, pzz, pxy, pxz, pyz), vol = v[0], v[1:7], v[7]
        forces_l = _read_dump_forces(job.path("forces.dump"), frame.n_atoms)
        qt = cfgio.transpose(self.q)
        forces = [cfgio.vecmat(f, qt) for f in forces_l]
        stress = None
        if frame.periodicity() == 3:
            k = vol / EV_A3_IN_BAR
            wl = [[pxx * k, pxy * k, pxz * k], [pxy * k, pyy * k, pyz * k], [pxz * k, pyz * k, pzz * k]]
            stress = cfgio.stress3x3_to_6(cfgio.matmul(cfgio.matmul(self.q, wl), qt))
        return energy, forces, stress, "lammps"


def _lammps_error(log):
    try:
        with open(log, errors="replace") as f:
            for line in f:
                if line.startswith("ERROR"):
                    return line.strip()
    except OSError:
        return "log.lammps was not written"
    return ""


def _read_dump_forces(path, n):
    try:
        with open(path) as f:
            lines = f.read().split("\n")
    except OSError:
        raise LabelFailure("forces.dump was not written")
    try:
        k = lines.index("ITEM: NUMBER OF ATOMS")
        if int(lines[k + 1]) != n:
            raise LabelFailure("forces.dump: expected %d atoms" % n)
        h = next(i for i, l in enumerate(lines) if l.startswith("ITEM: ATOMS"))
        out = []
        for i in range(n):
            w = lines[h + 1 + i].split()
            if int(w[0]) != i + 1:
                raise LabelFailure("forces.dump: expected atom %d in row %d" % (i + 1, i + 1))
            f = [float(w[1]), float(w[2]), float(w[3])]
            if not all(math.isfinite(x) for x in f):
                raise LabelFailure("forces.dump: non-finite force on atom %d" % (i + 1))
            out.append(f)
        return out
    except (ValueError, IndexError, StopIteration):
        raise LabelFailure("forces.dump: expected 'id fx fy fz' rows for %d atoms" % n)
