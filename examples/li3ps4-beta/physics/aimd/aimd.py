#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""CP2K AIMD of beta-Li3PS4 at 600 K (NVT, CSVR) for the RDF check: the input
and a driver that survives interruptions.

  aimd.py input START.dump OUT.inp [--template=../../cp2k/li3ps4_label.inp]
          [--temp=600] [--timestep=1.0] [--timecon=100]
      START.dump: a LAMMPS dump (id type x y z vx vy vz, metal units, types
      1 Li, 2 P, 3 S, orthorhombic box) of an MTP-equilibrated frame
      (physics Makefile: WORKDIR/rdf/start.dump).  The DFT part (FORCE_EVAL)
      is the production labelling template's, unchanged except that the
      stress tensor and the per-step force print in the output are dropped
      (NVT needs neither); coordinates, cell and velocities are the frame's.
  aimd.py run DIR --steps=N [--command="cp2k.psmp"] [--input=aimd.inp]
      runs (or resumes) DIR/aimd.inp until N MD steps are done.  CP2K writes
      DIR/li3ps4_aimd-1.restart after every step; when it exists the run
      resumes from it (&EXT_RESTART: positions, velocities, thermostat state,
      step counter; wavefunction from li3ps4_aimd-RESTART.kp, or .wfn at Gamma).  The
      trajectory (positions aimd-pos.xyz, forces aimd-frc.xyz, one frame per
      step, step 0 = the start frame) is kept by this driver: after every CP2K
      run (finished, failed or killed) the frames CP2K wrote are appended to
      it up to the step of the restart file, so no step appears twice and
      none is missing, whatever CP2K did with its own files (energies, CP2K's
      .ener rows, likewise into aimd-ener.txt).  Exit 0 when N steps are done,
      non-zero otherwise (run it again to continue).
  aimd.py save DIR OUT [--chunk=100]
      keeps the AIMD of DIR, running or not, in OUT (a directory in the
      repository; trajectory.py): the input, the trajectory up to the restart
      file's step in immutable pieces of CHUNK steps plus one partial piece,
      the restart file, and state.txt naming them with their sha256.  Prints
      what it wrote; exit 2 when OUT holds a later step or another AIMD
      (restore OUT into a new directory), 1 on other errors.
  aimd.py restore OUT DIR
      writes a kept AIMD into DIR (merged trajectory, input, restart file), so
      that `aimd.py run DIR` continues after the saved step (from CP2K's
      SCF_GUESS, as there is no wavefunction file); leaves a DIR that holds
      the same AIMD at or past that step alone; an interrupted restore can be
      run again; anything else in DIR is refused (exit 2).
  aimd.py cell INPUT
      prints the cell of an aimd.inp as a,b,c (A; for python3 -m openmtp.rdf --cell=).
  aimd.py view DIR OUT
      OUT/aimd-pos.xyz, aimd-frc.xyz, aimd-ener.txt, aimd.inp: the AIMD of DIR
      as far as it has got, running or not (CP2K's live files included, up to
      its restart file's step; trajectory.view), without changing DIR; only
      changed files are rewritten.  The physics Makefile's report reads this.
  aimd.py cfg DIR OUT.cfg [--mtp=mtp]
      the trajectory of DIR (aimd-pos.xyz with CP2K's energies, aimd-frc.xyz)
      as MLIP .cfg frames with DFT energies and forces (no stress: the NVT
      run prints none), read by the library's CP2K MD reader (`mtp convert
      --input_format=cp2k_md`) with the cell of DIR/aimd.inp; for checking a
      potential on DFT dynamics (`mtp check_errors`).
  aimd.py cost DIR
      seconds per MD step (wall, and CPU when CP2K reports it) from the
      CP2K outputs in DIR.
"""

import glob
import os
import re
import subprocess
import sys
import tempfile

import trajectory
from trajectory import PROJECT, TrajectoryError
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TEMPLATE = os.path.join(HERE, "..", "..", "cp2k", "li3ps4_label.inp")
TYPE_NAMES = {"1": "Li", "2": "P", "3": "S"}
# 1 A/ps in bohr / atomic time unit (CP2K's default velocity unit)
BOHR_A = 0.529177210903
AU_TIME_PS = 2.4188843265857e-5
A_PER_PS_TO_AU = AU_TIME_PS / BOHR_A


class AimdError(RuntimeError):
    pass


def read_start(path):
    """(cell lengths a b c, [(name, x, y, z, vx, vy, vz)]) of the first frame of a LAMMPS
    text dump (openmtp._lammps_dump: the format checks and 'file:line' messages of the
    analysis modules), atoms in id order, positions relative to the box's low corner."""
    try:
        from openmtp import _lammps_dump
    except ImportError:
        raise AimdError("needs the openmtp Python package (PYTHONPATH=BUILD/python, as the physics Makefile sets)")
    fr = next(_lammps_dump.frames(path, AimdError), None)
    if fr is None:
        raise AimdError("%s:1: expected a LAMMPS dump (ITEM: TIMESTEP), found no frame" % path)
    if fr.tilt is not None:
        raise AimdError("%s:%d: expected an orthorhombic box, found tilt factors" % (path, fr.line + 4))
    need = ["id", "type", "x", "y", "z", "vx", "vy", "vz"]
    missing = [c for c in need if c not in fr.columns]
    if missing:
        raise AimdError("%s:%d: expected columns %s (missing %s)" % (path, fr.atoms_line, " ".join(need), " ".join(missing)))
    col = {c: fr.columns.index(c) for c in need}
    atoms = []
    for k, v in enumerate(fr.values):
        t = v[col["type"]]
        name = TYPE_NAMES.get("%d" % t) if t == int(t) else None
        if name is None:
            raise AimdError("%s:%d: type %g: expected 1 (Li), 2 (P) or 3 (S)" % (path, fr.atoms_line + 1 + k, t))
        atoms.append((int(v[col["id"]]), name,
                      *[v[col[c]] - fr.bounds[j][0] for j, c in enumerate("xyz")],
                      *[v[col[c]] for c in ("vx", "vy", "vz")]))
    if len({a[0] for a in atoms}) != len(atoms):
        raise AimdError("%s:%d: atom ids are not unique" % (path, fr.atoms_line))
    atoms.sort()
    return [hi - lo for lo, hi in fr.bounds], [a[1:] for a in atoms]


def _section(text, name):
    """(start, end) of the first '&NAME ... &END NAME' block (end after its line)."""
    m = re.search(r"^[ \t]*&%s\b.*$" % name, text, re.M | re.I)
    if not m:
        raise AimdError("template: no &%s section" % name)
    e = re.compile(r"^[ \t]*&END[ \t]+%s\b.*\n?" % name, re.M | re.I).search(text, m.end())
    if not e:
        raise AimdError("template: &%s is not closed" % name)
    return m.start(), e.end()


def _provenance(path, text):
    """How the input names its template: relative to the repository when it is in it (the
    input is kept in the repository, aimd.py save), with the sha256 of the text used."""
    import hashlib
    repo = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
    full = os.path.abspath(path)
    name = os.path.relpath(full, repo) if full.startswith(repo + os.sep) else full
    return "%s, sha256 %s" % (name, hashlib.sha256(text.encode()).hexdigest()[:16])


def make_input(start, out, template=DEFAULT_TEMPLATE, temp=600.0, timestep=1.0, timecon=100.0):
    cell, atoms = read_start(start)
    try:
        tpl = open(template).read()
    except OSError as e:
        raise AimdError("%s: %s" % (template, e.strerror))
    s, e = _section(tpl, "FORCE_EVAL")
    fe = tpl[s:e]
    fe = re.sub(r"^[ \t]*STRESS_TENSOR[ \t]+ANALYTICAL[ \t]*\n", "", fe, flags=re.M | re.I)
    # the FORCE_EVAL-level print of forces and stress (every step into the output);
    # the trajectory of forces is written by MOTION/PRINT/FORCES instead
    for sec in ("FORCES", "STRESS_TENSOR"):
        m = re.search(r"^[ \t]*&%s[ \t]+ON[ \t]*\n[ \t]*&END[ \t]+%s[ \t]*\n" % (sec, sec), fe, re.M | re.I)
        if m:
            fe = fe[:m.start()] + fe[m.end():]
    fe = re.sub(r"^([ \t]*)&PRINT[ \t]*\n[ \t]*&END[ \t]+PRINT[ \t]*\n", "", fe, flags=re.M | re.I)
    if not re.search(r"EXTRAPOLATION[ \t]+ASPC", fe, re.I):
        raise AimdError("%s: expected EXTRAPOLATION ASPC in &QS" % template)
    # CP2K 2023.1 has no wavefunction extrapolation with k-points (ASPC silently falls back to the
    # initial guess: 13 SCF iterations per step); the previous step's density matrix is supported
    # and measured 9-10 iterations per step on this cell (README.md)
    extrapolation = "USE_PREV_P" if re.search(r"^[ \t]*&KPOINTS", fe, re.M | re.I) else "ASPC\n      EXTRAPOLATION_ORDER 3"
    fe = re.sub(r"EXTRAPOLATION[ \t]+ASPC[ \t]*\n", "EXTRAPOLATION %s\n" % extrapolation, fe, count=1, flags=re.I)
    cs, ce = _section(fe, "CELL")
    fe = fe[:cs] + ("    &CELL\n      A %.10f 0 0\n      B 0 %.10f 0\n      C 0 0 %.10f\n      PERIODIC XYZ\n    &END CELL\n"
                    % tuple(cell)) + fe[ce:]
    xs, xe = _section(fe, "COORD")
    coord = "    &COORD\n" + "".join("      %s %.8f %.8f %.8f\n" % a[:4] for a in atoms) + "    &END COORD\n"
    vel = "    &VELOCITY\n" + "".join("      %.10e %.10e %.10e\n" % tuple(v * A_PER_PS_TO_AU for v in a[4:])
                                     for a in atoms) + "    &END VELOCITY\n"
    fe = fe[:xs] + coord + vel + fe[xe:]
    text = """! beta-Li3PS4 AIMD, NVT at {T:g} K (CSVR, {tc:g} fs), {dt:g} fs steps, for the RDF check
! (examples/li3ps4-beta/physics/aimd/aimd.py input {start}; DFT = {tpl}).
! MD length: the driver (aimd.py run --steps=N) sets MAX_STEPS N+1 (CP2K stops at step MAX_STEPS - 1).
&GLOBAL
  PROJECT {proj}
  RUN_TYPE MD
  PRINT_LEVEL LOW
&END GLOBAL
&MOTION
  &MD
    ENSEMBLE NVT
    STEPS 1000000
    MAX_STEPS 0
    TIMESTEP {dt:g}
    TEMPERATURE {T:g}
    &THERMOSTAT
      TYPE CSVR
      REGION GLOBAL
      &CSVR
        TIMECON {tc:g}
      &END CSVR
    &END THERMOSTAT
  &END MD
  &PRINT
    &TRAJECTORY
      FORMAT XYZ
      &EACH
        MD 1
      &END EACH
    &END TRAJECTORY
    &FORCES
      FORMAT XYZ
      &EACH
        MD 1
      &END EACH
    &END FORCES
    &RESTART
      BACKUP_COPIES 1
      &EACH
        MD 1
      &END EACH
    &END RESTART
    &RESTART_HISTORY OFF
    &END RESTART_HISTORY
  &END PRINT
&END MOTION
""".format(T=temp, tc=timecon, dt=timestep, proj=PROJECT, start=os.path.basename(start),
           tpl=_provenance(template, tpl))
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + fe)
    os.replace(tmp, out)


def _lock(d):
    """An exclusive lock on DIR/.aimd.lock for the whole run, inherited by CP2K (so an
    orphaned CP2K of a killed driver still holds it); refuses when another holds it."""
    import fcntl
    fd = os.open(os.path.join(d, ".aimd.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise AimdError("%s: another driver or its CP2K is running here (.aimd.lock is held); wait for it or stop it"
                        % d)
    return fd


def _wavefunctions(d):
    return glob.glob(os.path.join(d, PROJECT + "-RESTART.wfn")) + glob.glob(os.path.join(d, PROJECT + "-RESTART.kp"))


def run(d, steps, command, inp="aimd.inp"):
    d = os.path.abspath(d)
    src = os.path.join(d, inp)
    if not os.path.exists(src):
        raise AimdError("%s: no such input (aimd.py input START.dump %s)" % (src, src))
    lock = _lock(d)
    done = trajectory.collect(d)
    if done >= steps:
        print("aimd: %d steps done (asked %d)" % (done, steps))
        return 0
    text = open(src).read()
    # CP2K 2023.1's MD stops at step MAX_STEPS - 1 (checked: MAX_STEPS 4 ends at step 3, resumed
    # from 3 with MAX_STEPS 8 at step 7)
    text = re.sub(r"^(\s*MAX_STEPS)\s+\d+", r"\g<1> %d" % (steps + 1), text, count=1, flags=re.M)
    restart = os.path.join(d, trajectory.RESTART)
    part = len(glob.glob(os.path.join(d, "run-*.out")))
    wfn = _wavefunctions(d)
    if done >= 0:
        if wfn:
            text = re.sub(r"SCF_GUESS\s+ATOMIC", "SCF_GUESS RESTART", text, flags=re.I)
        text += "&EXT_RESTART\n  RESTART_FILE_NAME %s\n&END EXT_RESTART\n" % os.path.basename(restart)
        print("aimd: resuming after step %d (of %d)%s" % (done, steps, ", SCF from the wavefunction file" if wfn else ""))
    run_inp = os.path.join(d, "run-%03d.inp" % part)
    with open(run_inp, "w") as f:
        f.write(text)
    out = os.path.join(d, "run-%03d.out" % part)
    import signal
    with open(out, "w") as f:
        # CP2K in its own process group, inheriting the lock; SIGTERM, SIGINT or SIGHUP to the
        # driver stop it too (then the driver merges what it wrote)
        child = subprocess.Popen(command.split() + ["-i", os.path.basename(run_inp)], cwd=d, stdout=f,
                                 stderr=subprocess.STDOUT, pass_fds=(lock,), start_new_session=True)

        def forward(signum, frame):
            try:
                os.killpg(child.pid, signal.SIGTERM)
            except OSError:
                pass
        caught = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        old = {sig: signal.signal(sig, forward) for sig in caught}
        try:
            rc = child.wait()
        finally:
            for sig in caught:
                signal.signal(sig, old[sig])
    before = done
    done = trajectory.collect(d)
    print("aimd: CP2K exit %d, %d of %d steps done (%s)" % (rc, max(done, 0), steps, out))
    if done >= steps:
        return 0
    if rc != 0 and done <= before and wfn:
        # no step made from a wavefunction file: it may be what CP2K cannot read (cut by a kill);
        # the next run starts from the initial guess instead
        for w in wfn:
            os.replace(w, w + ".unused")
        print("aimd: no step was made; moved %s aside, the next run starts from the initial SCF guess" %
              ", ".join(os.path.basename(w) for w in wfn))
    return rc or 1


def input_cell(inp):
    """(a, b, c) of the &CELL A/B/C lines (orthorhombic) of an input written by make_input."""
    try:
        text = open(inp).read()
    except OSError as e:
        raise AimdError("%s: %s" % (inp, e.strerror))
    s, e = _section(text, "CELL")
    vec = {}
    for line in text[s:e].splitlines():
        t = line.split()
        if t and t[0] in ("A", "B", "C") and len(t) == 4:
            vec[t[0]] = [float(x) for x in t[1:]]
    if len(vec) != 3:
        raise AimdError("%s: expected A, B and C lines in &CELL" % inp)
    return [vec[k][i] for i, k in enumerate("ABC")]


def write_cfg(d, out, mtp="mtp"):
    """DIR's trajectory as .cfg through the library's cp2k_md reader, which
    wants CP2K's own file names and a -1.cell file: staged in a temporary
    directory (links to the trajectory, the fixed NVT cell on every step)."""
    pos, frc = os.path.join(d, "aimd-pos.xyz"), os.path.join(d, "aimd-frc.xyz")
    for f in (pos, frc):
        if not os.path.isfile(f):
            raise AimdError("%s: missing (run the AIMD first)" % f)
    a, b, c = input_cell(os.path.join(d, "aimd.inp"))
    steps = []
    with open(pos) as f:
        for no, line in enumerate(f, 1):
            m = re.match(r"\s*i =\s*(\d+), time =\s*([0-9.Ee+-]+)", line)
            if m:
                steps.append((int(m.group(1)), float(m.group(2))))
    if not steps:
        raise AimdError("%s: no frames (expected CP2K XYZ comment lines 'i = N, time = T, E = ...')" % pos)
    with tempfile.TemporaryDirectory(prefix="aimd-cfg.") as tmp:
        prefix = os.path.join(tmp, "aimd")
        os.symlink(os.path.abspath(pos), prefix + "-pos-1.xyz")
        os.symlink(os.path.abspath(frc), prefix + "-frc-1.xyz")
        with open(prefix + "-1.cell", "w") as f:
            f.write("#   Step   Time [fs]  Ax Ay Az Bx By Bz Cx Cy Cz [Angstrom]  Volume [Angstrom^3]\n")
            for step, time in steps:
                f.write("%8d %12.3f %.10f 0 0 0 %.10f 0 0 0 %.10f %.10f\n" % (step, time, a, b, c, a * b * c))
        p = subprocess.run([mtp, "convert", prefix, out, "--input_format=cp2k_md", "--type_order=Li,P,S"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
        if p.returncode != 0:
            raise AimdError("mtp convert of %s failed: %s" % (d, p.stdout.strip()))
    return len(steps)


def cost(d):
    """[(run output, steps, wall s/step)] from 'MD| Step number' and 'MD| Used time' lines."""
    rows = []
    for out in sorted(glob.glob(os.path.join(d, "run-*.out"))):
        used = [float(m.group(1)) for m in re.finditer(r"MD\| Used time \[s\]\s+([0-9.Ee+-]+)", open(out).read())]
        if used:
            rows.append((out, len(used), sum(used) / len(used)))
    return rows


def main(argv):
    if len(argv) < 2 or argv[0] not in ("input", "run", "cost", "cell", "save", "restore", "cfg", "view"):
        sys.stderr.write(__doc__)
        return 2
    opts = dict(a[2:].split("=", 1) for a in argv[1:] if a.startswith("--") and "=" in a)
    args = [a for a in argv[1:] if not a.startswith("--")]
    try:
        if argv[0] == "input":
            if len(args) != 2:
                raise AimdError("input: expected START.dump OUT.inp")
            make_input(args[0], args[1], opts.get("template", DEFAULT_TEMPLATE), float(opts.get("temp", 600)),
                       float(opts.get("timestep", 1.0)), float(opts.get("timecon", 100)))
            return 0
        if argv[0] == "run":
            if len(args) != 1 or "steps" not in opts:
                raise AimdError("run: expected DIR --steps=N")
            return run(args[0], int(opts["steps"]), opts.get("command", "cp2k.psmp"), opts.get("input", "aimd.inp"))
        if argv[0] in ("save", "restore"):
            if len(args) != 2:
                raise AimdError("%s: expected %s" % (argv[0], "DIR OUT" if argv[0] == "save" else "OUT DIR"))
            try:
                if argv[0] == "save":
                    changed = trajectory.save(args[0], args[1], int(opts.get("chunk", trajectory.CHUNK)))
                else:
                    changed = trajectory.restore(args[0], args[1])
            except TrajectoryError as e:
                sys.stderr.write("aimd.py: %s\n" % e)
                return 2 if e.refusal else 1
            for path in changed:
                print(path)
            return 0
        if argv[0] == "view":
            if len(args) != 2:
                raise AimdError("view: expected DIR OUT")
            trajectory.view(args[0], args[1])
            return 0
        if argv[0] == "cfg":
            if len(args) != 2:
                raise AimdError("cfg: expected DIR OUT.cfg")
            write_cfg(args[0], args[1], opts.get("mtp", "mtp"))
            return 0
        if argv[0] == "cell":
            print("%.10f,%.10f,%.10f" % tuple(input_cell(args[0])))
            return 0
        for out, n, s in cost(args[0]):
            print("%s: %d MD steps, %.1f s/step (wall)" % (out, n, s))
        return 0
    except (AimdError, TrajectoryError, OSError) as e:
        sys.stderr.write("aimd.py: %s\n" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
