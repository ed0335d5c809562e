# SPDX-License-Identifier: BSD-3-Clause
"""cp2k adapter.

Template: a CP2K input (any &FORCE_EVAL/&DFT settings: basis sets,
pseudopotentials, cutoffs, SCF, XC, k-points, &KIND sections).  For each
frame the labeller edits a copy:
  &GLOBAL      RUN_TYPE ENERGY_FORCE, PROJECT label, PRINT_LEVEL at least
               MEDIUM (the reader needs the coordinate block)
  &FORCE_EVAL  STRESS_TENSOR ANALYTICAL (periodic frames), &PRINT &FORCES ON
               and &STRESS_TENSOR ON
  &SUBSYS      &CELL replaced by A/B/C of the frame (a PERIODIC keyword of the
               template is kept), &COORD replaced by the frame's atoms
               (element from --type_order, Å)
  &DFT         WFN_RESTART_FILE_NAME + &SCF SCF_GUESS RESTART when the
               previous frame finished with the same atoms (its
               label-RESTART.wfn, or label-RESTART.kp of a k-point run, is
               copied in as previous.wfn / previous.kp), SCF_GUESS ATOMIC
               otherwise; a frame whose run was interrupted (killed, machine
               lost) restarts from the wavefunction that run last wrote
               (interrupted-label-RESTART.wfn/.kp; kept on through further
               interruptions before CP2K writes a new one); if that run
               stops before its first SCF step (a file cut by the kill), it
               is run once more from the guess above, its output kept as
               resumed-label.out
  &SCF &PRINT &RESTART &EACH QS_SCF 5 unless the template sets it (CP2K's
               default writes the wavefunction every 20 SCF steps); a template
               whose &RESTART key is OFF, above the run's PRINT_LEVEL or has its
               own FILENAME is refused (no restarts would happen)
  &KPOINTS     with --kspacing: SCHEME MONKHORST-PACK n1 n2 n3 from the
               frame's cell (kmesh.py; the template's other &KPOINTS keywords
               kept), or no &KPOINTS (Gamma-only code) when the mesh is 1x1x1;
               a restart is taken only from a frame with the same mesh
Command: CMD -i label.inp -o label.out in the job directory.  The output is
read by the library's CP2K reader (`mtp convert --input_format=cp2k`),
which rejects non-converged SCF, [ABORT]ed and truncated runs."""

import os
import re
import shutil

from . import cfgio
from .kmesh import monkhorst_pack_mesh
from .jobs import LabelFailure, SetupError, labels_from_parsed, read_with_mtp


class Section:
    def __init__(self, name, args, head_line):
        self.name = name            # upper case, without '&'
        self.args = args
        self.head_line = head_line  # the original "&NAME args" line
        self.items = []             # str (keyword or preprocessor line) or Section

    def sub(self, name):
        return [it for it in self.items if isinstance(it, Section) and it.name == name]

    def get_or_add(self, name):
        s = self.sub(name)
        if s:
            return s[0]
        s = Section(name, "", "&" + name)
        self.items.append(s)
        return s

    def keyword(self, name):
        """Value text of the first keyword `name`, or None."""
        for it in self.items:
            if isinstance(it, str):
                w = _strip_comment(it).split(None, 1)
                if w and w[0].upper() == name:
                    return w[1].strip() if len(w) > 1 else ""
        return None

    def set_keyword(self, name, value, aliases=()):
        names = {name} | set(aliases)
        self.items = [it for it in self.items
                      if not (isinstance(it, str) and _strip_comment(it).split()[:1] and
                              _strip_comment(it).split()[0].upper() in names)]
        self.items.insert(0, "%s %s" % (name, value))

    def remove(self, name):
        self.items = [it for it in self.items if not (isinstance(it, Section) and it.name == name)]

    def lines(self, indent=""):
        out = [indent + self.head_line.strip()]
        for it in self.items:
            if isinstance(it, Section):
                out += it.lines(indent + "  ")
            else:
                out.append(indent + "  " + it.strip())
        out.append(indent + "&END " + self.name)
        return out


def _print_level(glob):
    """&GLOBAL's PRINT_LEVEL (or its CP2K alias IOLEVEL), upper case, or None."""
    for name in ("PRINT_LEVEL", "IOLEVEL"):
        v = glob.keyword(name)
        if v:
            return v.split()[0].upper()
    return None


def _strip_comment(line):
    for c in ("#", "!"):
        k = line.find(c)
        if k >= 0:
            line = line[:k]
    return line.strip()


def parse_input(text, name):
    """Top-level sections of a CP2K input (keyword lines kept verbatim)."""
    root = Section("", "", "")
    stack = [root]
    for no, raw in enumerate(text.split("\n"), 1):
        t = _strip_comment(raw)
        if not t:
            continue
        if t.upper().startswith("&END"):
            if len(stack) == 1:
                raise SetupError("%s:%d: &END without an open section" % (name, no))
            closing = t[4:].strip().upper()
            if closing and closing != stack[-1].name:
                raise SetupError("%s:%d: expected &END %s, found %s" % (name, no, stack[-1].name, t))
            stack.pop()
        elif t.startswith("&"):
            w = t[1:].split(None, 1)
            s = Section(w[0].upper(), w[1] if len(w) > 1 else "", t)
            stack[-1].items.append(s)
            stack.append(s)
        else:
            stack[-1].items.append(t)
    if len(stack) != 1:
        raise SetupError("%s: unexpected end of file: expected &END %s" % (name, stack[-1].name))
    return root


# an SCF iteration line of CP2K's output: step number, method (OT DIIS, Broy./Diag., Pulay/Diag., ...)
_SCF_STEP = re.compile(r"^\s+\d+\s+(OT|Broy|Pulay|P_Mix|DIIS|Diag|NoMix|Kerker|Multisec)", re.M)

# SCF steps between wavefunction writes (an interrupted frame resumes from the last one)
RESTART_EVERY_SCF_STEPS = 5


class Adapter:
    name = "cp2k"
    env_var = "CP2K_COMMAND"
    defaults = ("cp2k.psmp", "cp2k.popt", "cp2k", "cp2k.ssmp", "cp2k.sopt")

    def __init__(self, template, type_order, mtp, frames, kspacing=None):
        if not template:
            raise SetupError("cp2k: --template=FILE (a CP2K input) is required")
        self.kspacing = kspacing
        try:
            with open(template) as f:
                self.template_text = f.read()
        except OSError as e:
            raise SetupError("cp2k: cannot read template %s: %s" % (template, e.strerror))
        self.template = template
        self.template_dir = os.path.dirname(os.path.abspath(template))
        self.type_order = type_order
        self.mtp = mtp
        root = parse_input(self.template_text, template)  # syntax check now, not per frame
        fe = root.sub("FORCE_EVAL")
        if len(fe) != 1:
            raise SetupError("%s: expected exactly one &FORCE_EVAL section, found %d" % (template, len(fe)))
        subsys = fe[0].sub("SUBSYS")
        if subsys:
            topo = subsys[0].sub("TOPOLOGY")
            if topo and topo[0].keyword("COORD_FILE_NAME") is not None:
                raise SetupError("%s: &TOPOLOGY COORD_FILE_NAME reads coordinates from a file; remove it "
                                 "(the labeller writes &COORD)" % template)
        for fr in frames:
            bad = [t for t in set(fr.types()) if t < 0 or t >= len(type_order)]
            if bad:
                raise SetupError("frame %d has type %d, but --type_order names only %d elements" %
                                 (fr.index, bad[0], len(type_order)))
        if kspacing is not None and not fe[0].sub("DFT"):
            raise SetupError("%s: --kspacing needs a &DFT section in &FORCE_EVAL" % template)
        self._check_restart_key(root, fe[0])

    def _check_restart_key(self, root, fe):
        """Refuse a template whose wavefunction print key would stop CP2K writing
        label-RESTART.wfn/.kp: the labeller restarts the next frame and an interrupted
        one from that file, and a template that turned it off would make every frame
        start from the atomic guess without a word."""
        glob = root.sub("GLOBAL")
        order = ("SILENT", "LOW", "MEDIUM", "HIGH", "DEBUG")
        pl = (_print_level(glob[0]) if glob else None) or "MEDIUM"
        run_level = max(pl, "MEDIUM", key=order.index) if pl in order else None  # write_input raises to MEDIUM
        where = "%s: &DFT &SCF &PRINT &RESTART" % self.template
        for dft in fe.sub("DFT"):
            for scf in dft.sub("SCF"):
                for pr in scf.sub("PRINT"):
                    for key in pr.sub("RESTART"):
                        level = key.args.split()[0].upper() if key.args.split() else "ON"
                        if level == "OFF":
                            raise SetupError("%s %s: the labeller restarts frames from the wavefunction CP2K "
                                             "writes there; remove %s" % (where, key.args, key.args))
                        if level in order and run_level and order.index(level) > order.index(run_level):
                            raise SetupError("%s %s: CP2K writes the wavefunction only at &GLOBAL PRINT_LEVEL %s "
                                             "or above (this run: %s); use &RESTART ON" %
                                             (where, key.args, level, run_level))
                        if key.keyword("FILENAME") is not None:
                            raise SetupError("%s FILENAME: the labeller reads the wavefunction from the default "
                                             "name (label-RESTART.wfn/.kp); remove FILENAME" % where)

    def key_material(self):
        ks = "" if self.kspacing is None else "\0kspacing %r" % self.kspacing
        return ("cp2k\0" + self.template_text + ks).encode()

    def mesh(self, frame):
        """The frame's Monkhorst-Pack mesh under --kspacing, None without it
        (the template's &KPOINTS is then used as it is)."""
        if self.kspacing is None:
            return None
        if frame.periodicity() != 3:
            return (1, 1, 1)
        try:
            return monkhorst_pack_mesh(frame.lattice, self.kspacing)
        except ValueError as e:
            raise LabelFailure(str(e))

    def _set_mesh(self, dft, mesh):
        if mesh == (1, 1, 1):
            dft.remove("KPOINTS")
            return
        kp = dft.get_or_add("KPOINTS")
        kp.set_keyword("SCHEME", "MONKHORST-PACK %d %d %d" % mesh)

    def write_input(self, job, restart_wfn):
        frame = job.frame
        root = parse_input(self.template_text, self.template)
        g = root.get_or_add("GLOBAL")
        g.set_keyword("PROJECT", "label", aliases=("PROJECT_NAME",))
        g.set_keyword("RUN_TYPE", "ENERGY_FORCE")
        pl = _print_level(g) or "MEDIUM"
        if pl not in ("MEDIUM", "HIGH", "DEBUG"):
            g.set_keyword("PRINT_LEVEL", "MEDIUM", aliases=("IOLEVEL",))
        fe = root.sub("FORCE_EVAL")[0]
        periodic = frame.periodicity() == 3
        if frame.periodicity() not in (0, 3):
            raise LabelFailure("partially periodic frame: the cp2k adapter needs a 3D cell")
        if periodic:
            fe.set_keyword("STRESS_TENSOR", "ANALYTICAL")
        pr = fe.get_or_add("PRINT")
        pr.get_or_add("FORCES").head_line = "&FORCES ON"
        if periodic:
            pr.get_or_add("STRESS_TENSOR").head_line = "&STRESS_TENSOR ON"
        dft = fe.sub("DFT")
        mesh = self.mesh(frame)
        if dft and mesh is not None:
            self._set_mesh(dft[0], mesh)
        if dft:
            scf = dft[0].get_or_add("SCF")
            each = scf.get_or_add("PRINT").get_or_add("RESTART").get_or_add("EACH")
            if each.keyword("QS_SCF") is None:
                # CP2K writes the wavefunction every 20 SCF steps by default: an
                # interrupted 2-minute-per-step job would redo up to 40 minutes
                each.set_keyword("QS_SCF", str(RESTART_EVERY_SCF_STEPS))
            if restart_wfn:
                dft[0].set_keyword("WFN_RESTART_FILE_NAME", restart_wfn)
                scf.set_keyword("SCF_GUESS", "RESTART")
            else:
                dft[0].items = [it for it in dft[0].items if not (
                    isinstance(it, str) and it.split()[0].upper() == "WFN_RESTART_FILE_NAME")]
                scf.set_keyword("SCF_GUESS", "ATOMIC")
        subsys = fe.get_or_add("SUBSYS")
        old_cell = subsys.sub("CELL")
        periodic_kw = old_cell[0].keyword("PERIODIC") if old_cell else None
        subsys.remove("CELL")
        subsys.remove("COORD")
        cell = Section("CELL", "", "&CELL")
        if periodic:
            for name, row in zip("ABC", frame.lattice):
                cell.items.append("%s %.12f %.12f %.12f" % (name, row[0], row[1], row[2]))
            if periodic_kw:
                cell.items.append("PERIODIC " + periodic_kw)
        else:
            pos = frame.positions()
            ext = [max(p[a] for p in pos) - min(p[a] for p in pos) + 10.0 for a in range(3)]
            cell.items.append("ABC %.6f %.6f %.6f" % tuple(ext))
            cell.items.append("PERIODIC NONE")
            if fe.sub("DFT"):
                poisson = fe.sub("DFT")[0].get_or_add("POISSON")
                poisson.set_keyword("PERIODIC", "NONE")
                poisson.set_keyword("POISSON_SOLVER", "WAVELET")
        coord = Section("COORD", "", "&COORD")
        for t, p in zip(frame.types(), frame.positions()):
            coord.items.append("%-3s %.12f %.12f %.12f" % (self.type_order[t], p[0], p[1], p[2]))
        subsys.items[0:0] = [cell, coord]
        lines = ["# written by mtp-label from %s (frame %d%s)" % (
            os.path.basename(self.template), frame.index,
            "" if mesh is None else ", --kspacing=%g: k-point mesh %dx%dx%d" % ((self.kspacing,) + mesh))]
        for it in root.items:
            lines += it.lines() if isinstance(it, Section) else [it]
        with open(job.path("label.inp"), "w") as f:
            f.write("\n".join(lines) + "\n")

    # an interrupted job's own last wavefunction, carried over by Job.start:
    # it is nearer to this frame's ground state than any other frame's
    resume_files = ("label-RESTART.wfn", "label-RESTART.kp")

    def prepare(self, job, prev_job, interrupted=()):
        restart = None
        if interrupted:
            # both exist only if the template's mesh changed, which changes the key
            restart = max(interrupted, key=lambda n: os.path.getmtime(job.path(n)))
        elif (prev_job is not None and prev_job.frame.types() == job.frame.types() and
                self.mesh(prev_job.frame) == self.mesh(job.frame)):
            # CP2K writes label-RESTART.wfn at Gamma and label-RESTART.kp with
            # &KPOINTS (and only that one); WFN_RESTART_FILE_NAME reads either.
            found = [(os.path.getmtime(prev_job.path(n)), ext) for n, ext in
                     (("label-RESTART.wfn", "wfn"), ("label-RESTART.kp", "kp"))
                     if os.path.isfile(prev_job.path(n))]
            if found:
                ext = max(found)[1]
                shutil.copyfile(prev_job.path("label-RESTART." + ext), job.path("previous." + ext))
                restart = "previous." + ext
        self.write_input(job, restart)
        # basis/potential files named relatively in the template are found from its directory
        env_dir = self.template_dir
        for name in os.listdir(env_dir) if os.path.isdir(env_dir) else []:
            if name.isupper() and ("BASIS" in name or "POTENTIAL" in name) and not os.path.exists(job.path(name)):
                os.symlink(os.path.join(env_dir, name), job.path(name))
        return ["-i", "label.inp", "-o", "label.out"], job.dir

    def restart_unreadable(self, job):
        """True when a run given a restart file stopped before its first SCF
        step (CP2K cannot read a file cut by a kill: "Unformatted file
        structure has been corrupted"), i.e. it says nothing about the frame."""
        try:
            with open(job.path("label.out"), errors="replace") as f:
                text = f.read()
        except OSError:
            return True
        return not _SCF_STEP.search(text)

    def collect(self, job, status):
        # the reader's message names the cause first (ABORT text, truncation,
        # SCF); a clean output with a failed exit status is still a failure
        try:
            parsed = read_with_mtp(self.mtp, job, "label.out", "cp2k", self.type_order)
        except LabelFailure as e:
            raise LabelFailure("%s%s" % (e, " (cp2k exit status %d)" % status if status else ""))
        if status != 0:
            raise LabelFailure("cp2k exited with status %d although label.out is complete" % status)
        e, f, s = labels_from_parsed(job.frame, parsed, "label.out")
        if job.frame.periodicity() == 3 and s is None:
            raise LabelFailure("label.out: expected a stress tensor (STRESS| Analytical stress tensor)")
        return e, f, s, "CP2K"
