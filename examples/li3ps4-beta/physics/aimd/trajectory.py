# SPDX-License-Identifier: BSD-3-Clause
"""The CP2K AIMD's trajectory: CP2K's per-step files, the driver's merged copies
(aimd.py run), and a copy kept in the repository (aimd.py save / restore) so that
an AIMD of many hours continues on another machine.

Files of an AIMD directory DIR (PROJECT = li3ps4_aimd):
  aimd.inp                      the input (aimd.py input)
  PROJECT-1.restart             CP2K's restart file, rewritten in place after every MD
                                step (.bak-1: the one before, BACKUP_COPIES 1)
  PROJECT-pos-1.xyz, -frc-1.xyz CP2K's trajectory of the running (or last) CP2K run;
  PROJECT-1.ener                and its energies (step, time, kinetic energy,
                                temperature, potential energy, conserved quantity,
                                used time per row).  CP2K appends to existing files
                                on a resumed run; where a step appears again, the
                                later one is the one that continues (a killed run's
                                frame past its restart file is recomputed).
  aimd-pos.xyz, aimd-frc.xyz,   the driver's merged trajectory of all finished runs:
  aimd-ener.txt                 steps 0..restart step, each once (collect)

Behaviour of CP2K 2023.1 this relies on (checked on the real code): frames and energy
rows of a step are written before its restart file; a resumed run (&EXT_RESTART) writes
from step N+1, and its restart file ends with &EXT_RESTART, not &FORCE_EVAL; MD stops
at step MAX_STEPS - 1.

A kept copy (save OUT) is made of immutable pieces and one manifest:
  OUT/aimd.inp
  OUT/{pos,frc,ener}-FIRST-LAST.*   steps FIRST..LAST; a full chunk (CHUNK steps, from a
                                    multiple of CHUNK) is never rewritten, the last,
                                    partial piece is replaced by a longer one
  OUT/restart-STEP.restart          CP2K's restart file at the saved step
  OUT/state.txt                     'step N', then 'file NAME SHA256' for every piece
state.txt is written last (through a temporary name) and pieces it no longer names
are removed after it, so an interrupted save leaves the previous state whole.
"""

import hashlib
import os
import re
import time

PROJECT = "li3ps4_aimd"
KINDS = (("pos", "xyz"), ("frc", "xyz"), ("ener", "txt"))
CHUNK = 100
RESTART = PROJECT + "-1.restart"


class TrajectoryError(RuntimeError):
    """A file that is not what it should be (message names it); a refusal when .refusal
    (the caller must act: restore, move a directory away), not a state to retry."""

    def __init__(self, msg, refusal=False):
        RuntimeError.__init__(self, msg)
        self.refusal = refusal


class _Transient(TrajectoryError):
    """A state CP2K or the driver is in the middle of writing (read again)."""


def _later_wins(entries):
    """Where a step appears again (CP2K appending a resumed run to a killed run's file),
    the later occurrence and what follows it replace the earlier ones."""
    out = []
    for s, t in entries:
        while out and out[-1][0] >= s:
            out.pop()
        out.append((s, t))
    return out


_STEP = re.compile(r"\bi\s*=\s*(\d+)")


def _read_xyz(path, text):
    lines = text.splitlines(True)
    frames, k, natoms = [], 0, None
    while k < len(lines):
        if not lines[k].strip():
            k += 1
            continue
        try:
            n = int(lines[k].split()[0])
        except ValueError:
            raise TrajectoryError("%s:%d: expected the number of atoms" % (path, k + 1))
        if k + 2 + n > len(lines) or not lines[k + 1 + n].endswith("\n"):
            break  # a frame cut off by an interruption (or still being written): dropped
        if natoms is not None and n != natoms:
            raise TrajectoryError("%s:%d: %d atoms, the frames before have %d" % (path, k + 1, n, natoms))
        natoms = n
        m = _STEP.search(lines[k + 1])
        if not m:
            raise TrajectoryError("%s:%d: expected 'i = STEP' in the comment line" % (path, k + 2))
        for j in range(k + 2, k + 2 + n):
            if len(lines[j].split()) < 4:
                raise TrajectoryError("%s:%d: expected 'element x y z'" % (path, j + 1))
        frames.append((int(m.group(1)), "".join(lines[k:k + 2 + n])))
        k += 2 + n
    return "", _later_wins(frames)


def _read_ener(path, text):
    header, rows = "", []
    for k, line in enumerate(text.splitlines(True)):
        if line.startswith("#"):
            header = header or line
            continue
        if not line.strip() or not line.endswith("\n"):
            continue  # a row still being written
        t = line.split()
        try:
            step = int(t[0])
            [float(x) for x in t[1:]]
        except (ValueError, IndexError):
            raise TrajectoryError("%s:%d: expected 'step time kin temp pot conserved used'" % (path, k + 1))
        rows.append((step, line))
    return header, _later_wins(rows)


def read(path, kind):
    """(header, [(step, text)]) of a trajectory file of KIND (pos, frc: CP2K XYZ with
    'i = N' comment lines; ener: CP2K's .ener rows); a missing file has none."""
    if not os.path.exists(path):
        return "", []
    return parse(path, kind, open(path).read())


def parse(path, kind, text):
    """read() of TEXT already read from PATH (named in error messages)."""
    return (_read_ener if kind == "ener" else _read_xyz)(path, text)


def raw_name(kind):
    return "%s-1.ener" % PROJECT if kind == "ener" else "%s-%s-1.xyz" % (PROJECT, kind)


def kept_name(kind):
    return "aimd-ener.txt" if kind == "ener" else "aimd-%s.xyz" % kind


def _atomic_write(path, text):
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# ------------------------------------------------------------ CP2K's restart file

def _complete(text):
    """The step of a complete CP2K restart file, else None. Complete: it ends with a
    newline, its sections nest and all close (each &END naming the section it closes,
    where it names one), the last line closes a top-level section, a &FORCE_EVAL section
    was closed, and STEP_START_VAL is given."""
    m = re.search(r"^\s*STEP_START_VAL\s+(\d+)", text, re.M)
    if not m or not text.endswith("\n"):
        return None
    stack, closed_top, force_eval, last = [], None, False, None
    for line in text.splitlines():
        t = line.split()
        if not t or not t[0].startswith("&"):
            if t:
                last = None
            continue
        if t[0].upper() == "&END":
            if not stack or (len(t) > 1 and t[1].upper() != stack[-1]):
                return None
            name = stack.pop()
            force_eval = force_eval or (not stack and name == "FORCE_EVAL")
            last = name if not stack else None
        else:
            stack.append(t[0][1:].upper())
            last = None
    return int(m.group(1)) if not stack and force_eval and last else None


def read_restart(d):
    """(text, step, from_backup) of d's restart file, or None when there is none. While
    CP2K replaces it (it renames the file to .bak-1, then writes a new one in place), or
    when CP2K was killed doing so, the backup (one step earlier) stands in if it is
    complete; a restart file that is incomplete without a complete backup is _Transient."""
    path = os.path.join(d, RESTART)
    bak = path + ".bak-1"
    text = open(path).read() if os.path.exists(path) else None
    step = _complete(text) if text is not None else None
    if step is not None:
        return text, step, False
    if os.path.exists(bak):
        btext = open(bak).read()
        bstep = _complete(btext)
        if bstep is not None:
            return btext, bstep, True
    if text is None:
        return None
    raise _Transient("%s: incomplete (no STEP_START_VAL, or sections not all closed) and no complete "
                     "%s.bak-1" % (path, RESTART))


# ------------------------------------------------------------ joining kept and CP2K files

def _join(first, second, upto, where):
    """Entries of `first`, then those of `second` after it, up to step `upto`, checked
    to be the consecutive steps 0, 1, ..."""
    out = [e for e in first if e[0] <= upto]
    last = out[-1][0] if out else -1
    for s, t in second:
        if last < s <= upto:
            if s != last + 1:
                raise TrajectoryError("%s: next frame is step %d, expected %d (a gap)" % (where, s, last + 1))
            out.append((s, t))
            last = s
    return out


def _gather(d, step):
    """{kind: (header, entries 0..step)} of d: its kept files followed by CP2K's; every
    kind must run from step 0 to the restart step (a shorter one is _Transient)."""
    data = {}
    for kind, _ in KINDS:
        head, old = read(os.path.join(d, kept_name(kind)), kind)
        head_raw, new = read(os.path.join(d, raw_name(kind)), kind)
        if old and old[0][0] != 0:
            raise TrajectoryError("%s: starts at step %d, not 0" % (os.path.join(d, kept_name(kind)), old[0][0]))
        entries = _join(old, new, step, os.path.join(d, raw_name(kind)))
        if not entries or entries[0][0] != 0 or entries[-1][0] != step:
            raise _Transient("%s: %s holds steps %s, expected 0..%d (the restart file's step)" % (
                d, kind, "%d..%d" % (entries[0][0], entries[-1][0]) if entries else "none", step))
        data[kind] = (head or head_raw, entries)
    return data


def _kept_files(d):
    return [os.path.join(d, kept_name(k)) for k, _ in KINDS if os.path.exists(os.path.join(d, kept_name(k)))]


def collect(d):
    """After a CP2K run (none running): merge CP2K's files into the kept ones up to the
    restart step, then remove CP2K's (it starts new ones on resume). An incomplete restart
    file is replaced by its complete backup. The restart step, -1 before any."""
    try:
        got = read_restart(d)
    except _Transient as e:
        raise TrajectoryError("%s; restore the kept AIMD into a new directory (aimd.py restore)" % e)
    if got is None:
        if _kept_files(d):
            raise TrajectoryError("%s: a merged trajectory (%s) without CP2K's restart file: an interrupted restore "
                                  "(run aimd.py restore again) or a damaged directory" % (d, ", ".join(_kept_files(d))))
        return -1
    text, step, from_backup = got
    try:
        data = _gather(d, step)
    except _Transient as e:
        raise TrajectoryError(str(e))
    if from_backup:
        _atomic_write(os.path.join(d, RESTART), text)
    for kind, _ in KINDS:
        head, entries = data[kind]
        path = os.path.join(d, kept_name(kind))
        body = head + "".join(t for _, t in entries)
        if not os.path.exists(path) or open(path).read() != body:
            _atomic_write(path, body)
    for kind, _ in KINDS:  # only once every kept file is written
        raw = os.path.join(d, raw_name(kind))
        if os.path.exists(raw):
            os.remove(raw)
    return step


def live_state(d, tries=10, wait=0.5):
    """(restart text, step, {kind: (header, entries 0..step)}) of an AIMD directory,
    running or not, read without changing it. None before the first restart file. A state
    CP2K or the driver is writing is read again (tries x wait seconds)."""
    for attempt in range(tries):
        try:
            got = read_restart(d)
            if got is None:
                return None
            text, step, _ = got
            return text, step, _gather(d, step)
        except TrajectoryError as e:  # a gap may be a collect between two reads
            if e.refusal or attempt == tries - 1:
                raise TrajectoryError(str(e))
            time.sleep(wait)


def view(d, out):
    """OUT: DIR's AIMD as far as it has got, running or not (live_state: the merged files
    and CP2K's own, up to the restart file's step) as aimd-pos.xyz, aimd-frc.xyz,
    aimd-ener.txt and aimd.inp.  Without a restart file (nothing run yet, or a directory of
    merged files only) the merged files are taken as they are.  Only files whose content
    changed are rewritten (atomically), so make's rules see a change only where there is
    one.  The files written; DIR itself is not changed."""
    state = live_state(d)
    texts = {}
    for kind, _ in KINDS:
        if state is not None:
            head, entries = state[2][kind]
            texts[kept_name(kind)] = head + "".join(t for _, t in entries)
        elif os.path.exists(os.path.join(d, kept_name(kind))):
            texts[kept_name(kind)] = open(os.path.join(d, kept_name(kind))).read()
    if os.path.exists(os.path.join(d, "aimd.inp")):
        texts["aimd.inp"] = open(os.path.join(d, "aimd.inp")).read()
    os.makedirs(out, exist_ok=True)
    changed = []
    for name in sorted(set(os.listdir(out)) - set(texts)):
        if name in [kept_name(k) for k, _ in KINDS]:  # gone from DIR: not shown any more
            os.remove(os.path.join(out, name))
            changed.append(os.path.join(out, name))
    for name, text in sorted(texts.items()):
        path = os.path.join(out, name)
        if not os.path.exists(path) or open(path).read() != text:
            _atomic_write(path, text)
            changed.append(path)
    return changed


# ------------------------------------------------------------ the kept copy

def _sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def read_state(out):
    """(step, {name: sha256}) of a kept copy's state.txt, or None when there is none."""
    path = os.path.join(out, "state.txt")
    if not os.path.exists(path):
        return None
    step, files = None, {}
    for k, line in enumerate(open(path), 1):
        t = line.split()
        if len(t) == 2 and t[0] == "step" and t[1].isdigit():
            step = int(t[1])
        elif len(t) == 3 and t[0] == "file" and re.fullmatch(r"[0-9a-f]{64}", t[2]):
            files[t[1]] = t[2]
        elif t:
            raise TrajectoryError("%s:%d: expected 'step N' or 'file NAME SHA256'" % (path, k), refusal=True)
    if step is None:
        raise TrajectoryError("%s: no 'step N' line" % path, refusal=True)
    return step, files


_PIECE = re.compile(r"^(pos|frc|ener)-(\d{6})-(\d{6})\.(xyz|txt)$")


def _piece_text(kind, head, entries, first, last):
    return (head if kind == "ener" else "") + "".join(t for s, t in entries if first <= s <= last)


def _pieces(kind, ext, head, entries, chunk):
    """{name: text}: entries cut at multiples of `chunk` steps."""
    groups = {}
    for s, t in entries:
        groups.setdefault(s // chunk, []).append((s, t))
    return {"%s-%06d-%06d.%s" % (kind, g[0][0], g[-1][0], ext): _piece_text(kind, head, g, g[0][0], g[-1][0])
            for g in groups.values()}


def _check_same_run(out, files, d, step, data, inp_text):
    """Refuse when a piece of the kept copy (up to `step`) is not what d holds for its
    steps, or the input differs: d is another AIMD."""
    for name, sha in files.items():
        if name == "aimd.inp":
            if _sha(inp_text) != sha:
                raise TrajectoryError("%s/aimd.inp differs from %s/aimd.inp: another AIMD" % (out, d), refusal=True)
            continue
        m = _PIECE.match(name)
        if not m or int(m.group(3)) > step:
            continue
        kind, first, last = m.group(1), int(m.group(2)), int(m.group(3))
        head, entries = data[kind]
        if _sha(_piece_text(kind, head, entries, first, last)) != sha:
            raise TrajectoryError("%s: %s is not what %s holds for steps %d-%d: another AIMD" % (out, name, d, first, last),
                                  refusal=True)


def save(d, out, chunk=CHUNK):
    """Keep the AIMD of directory d in out (see the module comment). Returns the names of
    the files written or removed ([] when nothing changed). Refuses (TrajectoryError with
    .refusal) when out holds a later step or other frames than d."""
    inp = os.path.join(d, "aimd.inp")
    if not os.path.exists(inp):
        raise TrajectoryError("%s: no such input" % inp, refusal=True)
    inp_text = open(inp).read()
    live = live_state(d)
    old = read_state(out)
    if live is None:
        if old is not None:
            raise TrajectoryError("%s has no restart file but %s holds step %d: restore it into a new directory "
                                  "(aimd.py restore %s NEWDIR)" % (d, out, old[0], out), refusal=True)
        return []
    text, step, data = live
    if old is not None:
        old_step, old_files = old
        if old_step > step:
            raise TrajectoryError("%s is at step %d, %s at step %d: restore the kept AIMD into a new directory "
                                  "(aimd.py restore %s NEWDIR)" % (d, step, out, old_step, out), refusal=True)
        _check_same_run(out, old_files, d, step, data, inp_text)
    names = {}
    for kind, ext in KINDS:
        head, entries = data[kind]
        names.update(_pieces(kind, ext, head, entries, chunk))
    names["restart-%06d.restart" % step] = text
    names["aimd.inp"] = inp_text
    if old is not None and old[0] == step and old[1] == {n: _sha(t) for n, t in names.items()}:
        return []
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):  # left by an interrupted save (one saver at a time)
        if ".tmp." in name:
            os.remove(os.path.join(out, name))
    changed = []
    for name, body in sorted(names.items()):
        path = os.path.join(out, name)
        if not os.path.exists(path) or open(path).read() != body:
            _atomic_write(path, body)
            changed.append(path)
    state = "step %d\n" % step + "".join("file %s %s\n" % (n, _sha(names[n])) for n in sorted(names))
    _atomic_write(os.path.join(out, "state.txt"), state)
    changed.append(os.path.join(out, "state.txt"))
    for name in sorted(os.listdir(out)):
        if name not in names and name != "state.txt" and ".tmp." not in name:
            os.remove(os.path.join(out, name))
            changed.append(os.path.join(out, name) + " (removed)")
    return changed


def restore(out, d):
    """Write the kept copy out into AIMD directory d: aimd.inp, the merged trajectory files
    and CP2K's restart file (last), so that `aimd.py run d` continues after the saved
    step. Leaves a d that holds this AIMD at or past that step alone (returns []); an
    interrupted restore can be run again; refuses a d with anything else in it."""
    st = read_state(out)
    if st is None:
        raise TrajectoryError("%s/state.txt: missing (not a kept AIMD)" % out, refusal=True)
    step, files = st
    texts = {}
    for name, sha in files.items():
        path = os.path.join(out, name)
        text = open(path).read() if os.path.exists(path) else None
        if text is None or _sha(text) != sha:
            raise TrajectoryError("%s: missing or not the file state.txt names (sha256)" % path, refusal=True)
        texts[name] = text
    restart = [n for n in files if n.startswith("restart-")]
    if len(restart) != 1:
        raise TrajectoryError("%s/state.txt: expected one restart file, found %d" % (out, len(restart)), refusal=True)
    want = {"aimd.inp": texts["aimd.inp"]}
    for kind, _ in KINDS:
        head, body = "", []
        for n in sorted(n for n in files if _PIECE.match(n) and n.startswith(kind + "-")):
            h, entries = parse(os.path.join(out, n), kind, texts[n])
            head = head or h
            body += entries
        body = _join([], body, step, out)
        if not body or body[0][0] != 0 or body[-1][0] != step:
            raise TrajectoryError("%s: the %s pieces do not hold steps 0..%d" % (out, kind, step), refusal=True)
        want[kept_name(kind)] = head + "".join(t for _, t in body)
    try:
        have = read_restart(d)
    except _Transient as e:
        raise TrajectoryError("%s; move %s away and restore again" % (e, d), refusal=True)
    if have is not None:
        if have[1] < step:
            raise TrajectoryError("%s is at step %d, behind the kept step %d: move it away and restore again"
                                  % (d, have[1], step), refusal=True)
        inp = os.path.join(d, "aimd.inp")
        try:
            data = _gather(d, have[1])
        except TrajectoryError as e:
            raise TrajectoryError("%s (move %s away and restore again)" % (e, d), refusal=True)
        _check_same_run(out, files, d, have[1], data, open(inp).read() if os.path.exists(inp) else "")
        return []
    for kind, _ in KINDS:
        if os.path.exists(os.path.join(d, raw_name(kind))):
            raise TrajectoryError("%s exists without a restart file: move %s away first" % (
                os.path.join(d, raw_name(kind)), d), refusal=True)
    for name, text in want.items():  # what an interrupted restore wrote is accepted again
        path = os.path.join(d, name)
        if os.path.exists(path) and open(path).read() != text:
            raise TrajectoryError("%s exists and is not the kept AIMD's: move %s away first" % (path, d), refusal=True)
    os.makedirs(d, exist_ok=True)
    written = []
    for name, text in want.items():
        path = os.path.join(d, name)
        if not os.path.exists(path):
            _atomic_write(path, text)
            written.append(path)
    # the restart file last: it is what makes d a resumable AIMD
    path = os.path.join(d, RESTART)
    _atomic_write(path, texts[restart[0]])
    written.append(path)
    return written
