# SPDX-License-Identifier: BSD-3-Clause
"""qe adapter (Quantum ESPRESSO pw.x).

Template: a pw.x input with its namelists (&CONTROL, &SYSTEM, &ELECTRONS,
...) and cards (ATOMIC_SPECIES, K_POINTS, ...).  For each frame the
labeller writes label.pwi from it with
  &CONTROL   calculation='scf', tprnfor=.true., tstress=.true. (periodic),
             prefix='label', outdir='./tmp', pseudo_dir made absolute
             (relative to the template's directory)
  &SYSTEM    ibrav=0, nat = the frame's atom count, ntyp = the number of
             ATOMIC_SPECIES lines; celldm/A/B/C/cosAB/cosAC/cosBC removed
  cards      CELL_PARAMETERS angstrom and ATOMIC_POSITIONS angstrom replaced
             by the frame's (species label = --type_order name, which must
             be in ATOMIC_SPECIES); with --kspacing, K_POINTS automatic
             n1 n2 n3 0 0 0 from the frame's cell (kmesh.py); the other
             cards kept as they are
Command: CMD -in label.pwi, output (stdout) label.pwo, read by the
library's qe reader (`mtp convert --input_format=qe`), which rejects
"convergence NOT achieved", error boxes and runs without "JOB DONE."."""

import os
import re

from .kmesh import monkhorst_pack_mesh
from .jobs import LabelFailure, SetupError, labels_from_parsed, read_with_mtp

CARDS = ("ATOMIC_SPECIES", "ATOMIC_POSITIONS", "K_POINTS", "CELL_PARAMETERS", "OCCUPATIONS", "CONSTRAINTS",
         "ATOMIC_VELOCITIES", "ATOMIC_FORCES", "ADDITIONAL_K_POINTS", "SOLVENTS", "HUBBARD")
_ASSIGN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*(?:\([^)]*\))?)\s*=\s*('[^']*'|\"[^\"]*\"|[^,\s]+)\s*,?")


def parse_template(text, name):
    """[(kind, name, body)] with kind 'namelist' (body: [(key, value)]) or
    'card' (body: header line + following lines)."""
    blocks = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        raw = lines[i]
        t = raw.split("!")[0].strip()
        if not t:
            i += 1
            continue
        if t.startswith("&"):
            nl = t[1:].split()[0].upper()
            body = []
            i += 1
            while i < len(lines) and lines[i].split("!")[0].strip() != "/":
                s = lines[i].split("!")[0]
                pos = 0
                while pos < len(s):
                    if not s[pos:].strip():
                        break
                    m = _ASSIGN.match(s, pos)
                    if not m:
                        raise SetupError("%s:%d: expected 'name = value' in &%s" % (name, i + 1, nl))
                    body.append((m.group(1), m.group(2)))
                    pos = m.end()
                i += 1
            if i >= len(lines):
                raise SetupError("%s: &%s is not closed by '/'" % (name, nl))
            blocks.append(("namelist", nl, body))
            i += 1
        elif t.split()[0].upper() in CARDS:
            card = t.split()[0].upper()
            body = [raw]
            i += 1
            while i < len(lines):
                u = lines[i].split("!")[0].strip()
                if u and (u.startswith("&") or u.split()[0].upper() in CARDS):
                    break
                if u:
                    body.append(lines[i])
                i += 1
            blocks.append(("card", card, body))
        else:
            raise SetupError("%s:%d: expected a namelist (&NAME) or a card, found '%s'" % (name, i + 1, t[:40]))
    return blocks


def _set(body, key, value, drop=()):
    low = key.lower()
    out = [(k, v) for k, v in body if k.lower() != low and not any(re.fullmatch(d, k.lower()) for d in drop)]
    out.append((key, value))
    return out


class Adapter:
    name = "qe"
    env_var = "QE_COMMAND"
    defaults = ("pw.x",)
    stdout_name = "label.pwo"

    def __init__(self, template, type_order, mtp, frames, kspacing=None):
        if not template:
            raise SetupError("qe: --template=FILE (a pw.x input) is required")
        self.kspacing = kspacing
        try:
            with open(template) as f:
                self.template_text = f.read()
        except OSError as e:
            raise SetupError("qe: cannot read template %s: %s" % (template, e.strerror))
        self.template = template
        self.template_dir = os.path.dirname(os.path.abspath(template))
        self.blocks = parse_template(self.template_text, template)
        self.type_order = type_order
        self.mtp = mtp
        species = [b for b in self.blocks if b[0] == "card" and b[1] == "ATOMIC_SPECIES"]
        if not species:
            raise SetupError("%s: expected an ATOMIC_SPECIES card" % template)
        self.species = [l.split()[0] for l in species[0][2][1:]]
        used = sorted({type_order[t] for f in frames for t in f.types() if 0 <= t < len(type_order)})
        missing = [e for e in used if e not in self.species]
        if missing:
            raise SetupError("%s: ATOMIC_SPECIES lacks %s (named by --type_order)" % (template, ", ".join(missing)))
        for fr in frames:
            bad = [t for t in fr.types() if t < 0 or t >= len(type_order)]
            if bad:
                raise SetupError("frame %d has type %d, but --type_order names only %d elements" %
                                 (fr.index, bad[0], len(type_order)))
        if not any(b[1] == "K_POINTS" for b in self.blocks):
            raise SetupError("%s: expected a K_POINTS card" % template)

    def key_material(self):
        ks = "" if self.kspacing is None else "\0kspacing %r" % self.kspacing
        return ("qe\0" + self.template_text + ks).encode()

    def prepare(self, job, prev_job):
        fr = job.frame
        if fr.periodicity() != 3:
            raise LabelFailure("the qe adapter needs a 3D periodic cell")
        out = []
        names = [b[1] for b in self.blocks if b[0] == "namelist"]
        blocks = list(self.blocks)
        if "SYSTEM" not in names:
            raise LabelFailure("template has no &SYSTEM namelist")
        if "CONTROL" not in names:
            blocks.insert(0, ("namelist", "CONTROL", []))
        if "ELECTRONS" not in names:
            k = next(i for i, b in enumerate(blocks) if b[1] == "SYSTEM")
            blocks.insert(k + 1, ("namelist", "ELECTRONS", []))
        for kind, name, body in blocks:
            if kind == "namelist":
                if name == "CONTROL":
                    pd = next((v for k, v in body if k.lower() == "pseudo_dir"), None)
                    for key, val in (("calculation", "'scf'"), ("tprnfor", ".true."), ("tstress", ".true."),
                                     ("prefix", "'label'"), ("outdir", "'./tmp'")):
                        body = _set(body, key, val)
                    if pd:
                        p = pd.strip("'\"")
                        body = _set(body, "pseudo_dir", "'%s'" % os.path.join(self.template_dir, os.path.expanduser(p)))
                elif name == "SYSTEM":
                    body = _set(body, "ibrav", "0", drop=(r"celldm\(\d\)", "a", "b", "c", "cosab", "cosac", "cosbc"))
                    body = _set(body, "nat", str(fr.n_atoms))
                    body = _set(body, "ntyp", str(len(self.species)))
                out.append("&" + name)
                out += ["  %s = %s" % kv for kv in body]
                out.append("/")
            elif name == "K_POINTS" and self.kspacing is not None:
                try:
                    mesh = monkhorst_pack_mesh(fr.lattice, self.kspacing)
                except ValueError as e:
                    raise LabelFailure(str(e))
                out += ["K_POINTS automatic", "  %d %d %d 0 0 0" % mesh]
            elif name not in ("CELL_PARAMETERS", "ATOMIC_POSITIONS"):
                out += body
        out.append("CELL_PARAMETERS angstrom")
        out += ["  %.12f %.12f %.12f" % tuple(r) for r in fr.lattice]
        out.append("ATOMIC_POSITIONS angstrom")
        out += ["  %-3s %.12f %.12f %.12f" % ((self.type_order[t],) + tuple(p))
                for t, p in zip(fr.types(), fr.positions())]
        with open(job.path("label.pwi"), "w") as f:
            f.write("\n".join(out) + "\n")
        return ["-in", "label.pwi"], job.dir

    def collect(self, job, status):
        try:
            parsed = read_with_mtp(self.mtp, job, "label.pwo", "qe", self.type_order)
        except LabelFailure as e:
            raise LabelFailure("%s%s" % (e, " (pw.x exit status %d)" % status if status else ""))
        if status != 0:
            raise LabelFailure("pw.x exited with status %d although label.pwo is complete" % status)
        e, f, s = labels_from_parsed(job.frame, parsed, "label.pwo")
        if s is None:
            raise LabelFailure("label.pwo: expected a stress tensor (tstress)")
        return e, f, s, "QE"
