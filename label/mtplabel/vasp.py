# SPDX-License-Identifier: BSD-3-Clause
"""vasp adapter.

Template: a directory with INCAR and KPOINTS, and the pseudopotentials as
either POTCAR.<Element> files (one per element: each frame gets a POTCAR
of the elements it contains, in --type_order order) or one POTCAR whose
elements are exactly --type_order (then every frame must contain every
element: VASP takes no zero counts).  Per frame the labeller writes
  POSCAR   by `mtp convert --output_format=poscar` (species in --type_order
           order, only those present),
  INCAR    the template's with NSW = 0, IBRION = -1 (one electronic
           minimisation) and ISIF = 2 (stress computed) forced,
  KPOINTS  the template's, and POTCAR as above.
Command: CMD (no arguments) in the job directory.  OUTCAR is read by the
library (`mtp convert --input_format=outcar --save_nonconverged`): an
electronic loop that ran NELM iterations or printed "aborting loop EDIFF
was not reached" is tagged EFS_by VASP_not_converged and recorded as a
failure here; a truncated OUTCAR (no "Total CPU time used") is an error
of the reader."""

import os
import re
import shutil
import subprocess

from . import cfgio
from .jobs import LabelFailure, SetupError, labels_from_parsed, read_with_mtp

FORCED = (("NSW", "0"), ("IBRION", "-1"), ("ISIF", "2"))


def potcar_elements(text):
    """Element of each potential in a POTCAR, from its TITEL lines."""
    out = []
    for m in re.finditer(r"TITEL\s*=\s*\S+\s+(\S+)", text):
        out.append(re.split(r"[_.]", m.group(1))[0])
    return out


class Adapter:
    name = "vasp"
    env_var = "VASP_COMMAND"
    defaults = ("vasp_std", "vasp")

    def __init__(self, template, type_order, mtp, frames):
        if not template or not os.path.isdir(template):
            raise SetupError("vasp: --template=DIR (with INCAR, KPOINTS and POTCAR or POTCAR.<El>) is required")
        self.dir = os.path.abspath(template)
        self.type_order = type_order
        self.mtp = mtp
        texts = {}
        for name in ("INCAR", "KPOINTS"):
            try:
                with open(os.path.join(self.dir, name)) as f:
                    texts[name] = f.read()
            except OSError:
                raise SetupError("vasp: %s/%s is missing" % (template, name))
        self.incar, self.kpoints = texts["INCAR"], texts["KPOINTS"]
        self.potcars = {}
        for el in type_order:
            p = os.path.join(self.dir, "POTCAR." + el)
            if os.path.isfile(p):
                with open(p) as f:
                    self.potcars[el] = f.read()
        self.single = None
        if len(self.potcars) != len(type_order):
            p = os.path.join(self.dir, "POTCAR")
            if not os.path.isfile(p):
                missing = [e for e in type_order if e not in self.potcars]
                raise SetupError("vasp: %s has neither POTCAR nor POTCAR.%s" % (template, missing[0]))
            with open(p) as f:
                self.single = f.read()
            els = potcar_elements(self.single)
            if els != list(type_order):
                raise SetupError("vasp: %s/POTCAR holds %s, but --type_order is %s" %
                                 (template, ",".join(els) or "no TITEL lines", ",".join(type_order)))
        for fr in frames:
            bad = [t for t in fr.types() if t < 0 or t >= len(type_order)]
            if bad:
                raise SetupError("frame %d has type %d, but --type_order names only %d elements" %
                                 (fr.index, bad[0], len(type_order)))

    def key_material(self):
        pots = self.single if self.single is not None else "".join(self.potcars[e] for e in self.type_order)
        return ("vasp\0" + self.incar + "\0" + self.kpoints + "\0" + pots).encode()

    def prepare(self, job, prev_job):
        fr = job.frame
        if fr.periodicity() != 3:
            raise LabelFailure("the vasp adapter needs a 3D periodic cell")
        present = sorted(set(fr.types()))
        if self.single is not None and len(present) != len(self.type_order):
            raise LabelFailure("frame lacks %s, but the template's single POTCAR lists every element; give "
                               "POTCAR.<Element> files instead" % ",".join(
                                   e for i, e in enumerate(self.type_order) if i not in present))
        # the frame with types renumbered to the species it contains, then POSCAR by mtp convert
        remap = {t: k for k, t in enumerate(present)}
        kt = fr.column("type")
        rows = [r[:] for r in fr.rows]
        for r in rows:
            r[kt] = str(remap[int(r[kt])])
        tmp = cfgio.Frame()
        tmp.lattice, tmp.columns, tmp.rows = fr.lattice, [c for c in fr.columns if c in (
            "id", "type", "cartes_x", "cartes_y", "cartes_z", "direct_x", "direct_y", "direct_z")], []
        keep = [fr.columns.index(c) for c in tmp.columns]
        tmp.rows = [[r[k] for k in keep] for r in rows]
        text = cfgio.format_frame(tmp, 0.0, [[0.0, 0.0, 0.0]] * fr.n_atoms, None, "none")
        with open(job.path("poscar-input.cfg"), "w") as f:
            f.write(text)
        species = [self.type_order[t] for t in present]
        p = subprocess.run([self.mtp, "convert", job.path("poscar-input.cfg"), job.path("POSCAR"),
                            "--output_format=poscar", "--type_order=" + ",".join(species)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        if p.returncode != 0:
            raise LabelFailure("writing POSCAR: " + p.stderr.strip().split("\n")[-1])
        incar = [l for l in self.incar.split("\n")
                 if not any(re.match(r"\s*%s\s*=" % k, l, re.I) for k, _ in FORCED)]
        incar.append("# forced by mtp-label: one single-point calculation with stress")
        incar += ["%s = %s" % kv for kv in FORCED]
        with open(job.path("INCAR"), "w") as f:
            f.write("\n".join(incar) + "\n")
        with open(job.path("KPOINTS"), "w") as f:
            f.write(self.kpoints)
        with open(job.path("POTCAR"), "w") as f:
            f.write(self.single if self.single is not None else "".join(self.potcars[e] for e in species))
        return [], job.dir

    def collect(self, job, status):
        try:
            parsed = read_with_mtp(self.mtp, job, "OUTCAR", "outcar", None, save_nonconverged=True)
        except LabelFailure as e:
            raise LabelFailure("%s%s" % (e, " (vasp exit status %d)" % status if status else ""))
        if status != 0:
            raise LabelFailure("vasp exited with status %d although OUTCAR is complete" % status)
        if len(parsed) == 1 and ("EFS_by", "VASP_not_converged") in parsed[0].features:
            raise LabelFailure("OUTCAR: electronic SCF not converged (NELM iterations reached or 'EDIFF was not "
                               "reached'); expected a converged SCF (raise NELM or change ALGO/mixing)")
        e, f, s = labels_from_parsed(job.frame, parsed, "OUTCAR")
        if s is None:
            raise LabelFailure("OUTCAR: expected the stress ('FORCE on cell =-STRESS')")
        return e, f, s, "VASP"
