# SPDX-License-Identifier: BSD-3-Clause
"""The CP2K AIMD's trajectory: CP2K's per-step files, the driver's merged copies
(aimd.py run), and a copy kept in the repository (aimd.py save / restore) so that
an AIMD of many hours continues on another machine.

Files of an AIMD directory DIR (PROJECT = li3ps4_aimd):
  aimd.inp                      the input (aimd.py input)
  PROJECT-1.restart             CP2K's restart file, rewritten after every MD step
  PROJECT-pos-1.xyz, -frc-1.xyz CP2K's trajectory of the running (or last) CP2K run
  PROJECT-1.ener                CP2K's energies of that run (step, time, kinetic
                                energy, temperature, potential energy, conserved
                                quantity, used time per row)
  aimd-pos.xyz, aimd-frc.xyz,   the driver's merged trajectory of all finished runs,
  aimd-ener.txt                 steps 0..restart step, each once

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

PROJECT = "li3ps4_aimd"
KINDS = (("pos", "xyz"), ("frc", "xyz"), ("ener", "txt"))
CHUNK = 100


class TrajectoryError(RuntimeError):
    """A file that is not what it should be (message names it); a refusal when .refusal."""

    def __init__(self, msg, refusal=False):
        RuntimeError.__init__(self, msg)
        self.refusal = refusal


_STEP = re.compile(r"\bi\s*=\s*(\d+)")


def _read_xyz(path, text):
    lines = text.splitlines(True)
    frames, k = [], 0
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
        m = _STEP.search(lines[k + 1])
        if not m:
            raise TrajectoryError("%s:%d: expected 'i = STEP' in the comment line" % (path, k + 2))
        frames.append((int(m.group(1)), "".join(lines[k:k + 2 + n])))
        k += 2 + n
    return "", frames


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
    return header, rows


def read(path, kind):
    """(header, [(step, text)]) of a trajectory file of KIND (pos, frc: CP2K XYZ with
    'i = N' comment lines; ener: CP2K's .ener rows); a missing file has none."""
    if not os.path.exists(path):
        return "", []
    text = open(path).read()
    return (_read_ener if kind == "ener" else _read_xyz)(path, text)


def raw_name(kind):
    return "%s-1.ener" % PROJECT if kind == "ener" else "%s-%s-1.xyz" % (PROJECT, kind)


def kept_name(kind):
    return "aimd-ener.txt" if kind == "ener" else "aimd-%s.xyz" % kind


def restart_step(path):
    """STEP_START_VAL of a CP2K restart file (the last completed MD step), or None."""
    if not os.path.exists(path):
        return None
    m = re.search(r"^\s*STEP_START_VAL\s+(\d+)", open(path).read(), re.M)
    return int(m.group(1)) if m else 0


def _atomic_write(path, text):
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _join(first, second, upto, where):
    """Entries of `first`, then those of `second` after it, up to step `upto`, checked
    to be the consecutive steps 0, 1, ... (an ener file may lack step 0's row)."""
    out = [e for e in first if e[0] <= upto]
    last = out[-1][0] if out else -1
    for s, t in second:
        if last < s <= upto:
            if out and s != last + 1:
                raise TrajectoryError("%s: next frame is step %d, expected %d (a gap)" % (where, s, last + 1))
            out.append((s, t))
            last = s
    return out


def merge(kept, new, upto, kind="pos"):
    """Append the entries of `new` with last(kept) < step <= upto to `kept` (atomically);
    returns how many `kept` holds."""
    head, old = read(kept, kind)
    head_new, add = read(new, kind)
    allf = _join(old, add, upto, new)
    if len(allf) > len(old):
        _atomic_write(kept, (head or head_new) + "".join(t for _, t in allf))
    return len(allf)


def collect(d):
    """After a CP2K run: merge CP2K's files into the kept ones up to the restart step and
    remove them (CP2K starts new ones on resume). The restart step, -1 before any."""
    step = restart_step(os.path.join(d, PROJECT + "-1.restart"))
    if step is None:
        return -1
    for kind, _ in KINDS:
        raw = os.path.join(d, raw_name(kind))
        merge(os.path.join(d, kept_name(kind)), raw, step, kind)
        if os.path.exists(raw):
            os.remove(raw)
    return step


# ------------------------------------------------------------ the kept copy

def _restart_text(path):
    """The text and step of a complete CP2K restart file; None when it is absent or being
    rewritten (CP2K writes it in place: a complete one ends with &END FORCE_EVAL)."""
    if not os.path.exists(path):
        return None
    text = open(path).read()
    m = re.search(r"^\s*STEP_START_VAL\s+(\d+)", text, re.M)
    if not m or not re.search(r"&END\s+FORCE_EVAL\s*$", text, re.I):
        return None
    return text, int(m.group(1))


class _Transient(TrajectoryError):
    """A state CP2K is in the middle of writing (tried again)."""


def _live_state_once(d):
    path = os.path.join(d, PROJECT + "-1.restart")
    if not os.path.exists(path):
        return None
    got = _restart_text(path)
    if got is None:
        raise _Transient("%s: incomplete (no STEP_START_VAL or no final &END FORCE_EVAL)" % path)
    text, step = got
    data = {}
    for kind, _ in KINDS:
        head, old = read(os.path.join(d, kept_name(kind)), kind)
        head_raw, new = read(os.path.join(d, raw_name(kind)), kind)
        entries = _join(old, new, step, os.path.join(d, raw_name(kind)))
        if kind != "ener" and (not entries or entries[0][0] != 0 or entries[-1][0] != step):
            raise _Transient("%s: holds steps %s, expected 0..%d (the restart file's step)" %
                             (d, "%d..%d" % (entries[0][0], entries[-1][0]) if entries else "none", step))
        data[kind] = (head or head_raw, entries)
    return text, step, data


def live_state(d, tries=10, wait=0.5):
    """(restart text, step, {kind: (header, entries 0..step)}) of an AIMD directory,
    running or not: the driver's kept files followed by CP2K's current ones. None before
    the first restart file. A state CP2K is writing is read again (tries x wait seconds);
    pieces that do not join (a gap) raise at once."""
    import time
    for attempt in range(tries):
        try:
            return _live_state_once(d)
        except _Transient as e:
            if attempt == tries - 1:
                raise TrajectoryError(str(e))
            time.sleep(wait)


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


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
            raise TrajectoryError("%s:%d: expected 'step N' or 'file NAME SHA256'" % (path, k))
    if step is None:
        raise TrajectoryError("%s: no 'step N' line" % path)
    return step, files


def _pieces(kind, ext, head, entries, chunk):
    """[(name, text)]: entries cut at multiples of `chunk` steps."""
    groups = {}
    for s, t in entries:
        groups.setdefault(s // chunk, []).append((s, t))
    return [("%s-%06d-%06d.%s" % (kind, g[0][0], g[-1][0], ext), (head if kind == "ener" else "") + "".join(t for _, t in g))
            for _, g in sorted(groups.items())]


def save(d, out, chunk=CHUNK):
    """Keep the AIMD of directory d in out (see the module comment). Returns the names of
    the files written or removed ([] when nothing changed). Refuses (TrajectoryError with
    .refusal) when out holds a later step or other frames than d: d is not this run or is
    behind it (restore first)."""
    inp = os.path.join(d, "aimd.inp")
    if not os.path.exists(inp):
        raise TrajectoryError("%s: no such input" % inp, refusal=True)
    live = live_state(d)
    old = read_state(out)
    if live is None:
        if old is not None:
            raise TrajectoryError("%s has no restart file but %s holds step %d: restore first (aimd.py restore %s %s)"
                                  % (d, out, old[0], out, d), refusal=True)
        return []
    text, step, data = live
    names = {}
    for kind, ext in KINDS:
        head, entries = data[kind]
        for name, body in _pieces(kind, ext, head, entries, chunk):
            names[name] = body
    names["restart-%06d.restart" % step] = text
    names["aimd.inp"] = open(inp).read()
    if old is not None:
        old_step, old_files = old
        if old_step > step:
            raise TrajectoryError("%s is at step %d, %s at step %d: restore first (aimd.py restore %s %s)"
                                  % (d, step, out, old_step, out, d), refusal=True)
        for name, sha in old_files.items():
            if name.startswith("restart-"):
                continue
            # a saved piece must be what d holds for its steps (a full one is never rewritten)
            mine = names.get(name)
            if mine is not None and hashlib.sha256(mine.encode()).hexdigest() != sha:
                raise TrajectoryError("%s: %s differs from %s's steps: another AIMD (or input)" % (out, name, d),
                                      refusal=True)
        if old_step == step and set(old_files) == set(names):
            return []
    os.makedirs(out, exist_ok=True)
    changed = []
    for name, body in sorted(names.items()):
        path = os.path.join(out, name)
        if not os.path.exists(path) or open(path).read() != body:
            _atomic_write(path, body)
            changed.append(path)
    state = "step %d\n" % step + "".join("file %s %s\n" % (n, _sha(os.path.join(out, n))) for n in sorted(names))
    _atomic_write(os.path.join(out, "state.txt"), state)
    changed.append(os.path.join(out, "state.txt"))
    for name in os.listdir(out):
        if name not in names and name != "state.txt" and ".tmp." not in name:
            os.remove(os.path.join(out, name))
            changed.append(os.path.join(out, name) + " (removed)")
    return changed


def restore(out, d):
    """Write the kept copy out into AIMD directory d: aimd.inp, the merged trajectory files
    and CP2K's restart file, so that `aimd.py run d` continues after the saved step. Leaves
    a d that is already at or past the saved step alone (returns []); refuses a d that
    holds CP2K's files of another state."""
    st = read_state(out)
    if st is None:
        raise TrajectoryError("%s/state.txt: missing (not a kept AIMD)" % out, refusal=True)
    step, files = st
    for name, sha in files.items():
        path = os.path.join(out, name)
        if not os.path.exists(path) or _sha(path) != sha:
            raise TrajectoryError("%s: missing or not the file state.txt names (sha256)" % path)
    have = restart_step(os.path.join(d, PROJECT + "-1.restart"))
    inp = os.path.join(d, "aimd.inp")
    if os.path.exists(inp) and open(inp).read() != open(os.path.join(out, "aimd.inp")).read():
        raise TrajectoryError("%s differs from %s/aimd.inp: another AIMD" % (inp, out), refusal=True)
    if have is not None:
        if have >= step:
            return []
        raise TrajectoryError("%s is at step %d, behind the kept step %d: move it away first" % (d, have, step),
                              refusal=True)
    for kind, _ in KINDS:
        for path in (os.path.join(d, raw_name(kind)), os.path.join(d, kept_name(kind))):
            if os.path.exists(path):
                raise TrajectoryError("%s exists without a restart file: move it away first" % path, refusal=True)
    os.makedirs(d, exist_ok=True)
    written = []
    for kind, ext in KINDS:
        pieces = sorted(n for n in files if n.startswith(kind + "-"))
        head, body = "", []
        for n in pieces:
            h, entries = read(os.path.join(out, n), kind)
            head = head or h
            body += entries
        body = _join([], body, step, out)  # the pieces join without a gap
        path = os.path.join(d, kept_name(kind))
        _atomic_write(path, head + "".join(t for _, t in body))
        written.append(path)
    if not os.path.exists(inp):
        _atomic_write(inp, open(os.path.join(out, "aimd.inp")).read())
        written.append(inp)
    # the restart file last: it is what makes d a resumable AIMD
    restart = [n for n in files if n.startswith("restart-")]
    if len(restart) != 1:
        raise TrajectoryError("%s/state.txt: expected one restart file, found %d" % (out, len(restart)))
    path = os.path.join(d, PROJECT + "-1.restart")
    _atomic_write(path, open(os.path.join(out, restart[0])).read())
    written.append(path)
    return written
