#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Find a frame to be labelled among frames labelled earlier, so it is not labelled twice.

    reuse_labelled.py FRAME.cfg KNOWN.cfg OUT.cfg
    reuse_labelled.py --unused KNOWN.cfg UNUSED.cfg FRAME.cfg ...

FRAME.cfg holds one frame (round-NNN/frames/NNN.cfg); KNOWN.cfg holds labelled
frames (round-NNN/known-labels.cfg, e.g. written by a restore from committed
frames after the scratch directory was lost).  If a frame of KNOWN.cfg has the
same atom count, the same types in the same order, and a cell and Cartesian
positions equal to FRAME's within TOLERANCE (Angstrom, each component), it is
written to OUT.cfg (atomically) exactly as it stands in KNOWN.cfg, and the exit
status is 0.  Exit 1: no frame matches (label it).  Exit 2: bad input, with
file:line: what was expected.

--unused (the round's check before it trains): the frames of KNOWN.cfg that match
none of the FRAME.cfg files (the round's frames/NNN.cfg) go to UNUSED.cfg and
are listed on stderr, exit 1; exit 0 (and no UNUSED.cfg) when every known frame
was selected again.  A known frame that is not selected again (the exploration
did not repeat the lost one: another build, other settings) would otherwise drop
out of the training set without a word, and commit_campaign.sh would then
replace the committed round file that holds it.

Why a tolerance and not text equality: the two files come from different writers
(mtp select_add, and mtp convert after mtp-label), which may print the same
numbers with different digits.  1e-5 A is far below any MD displacement between
two saved frames and far above the round-off of re-printing a LAMMPS dump.
"""
import os
import sys

TOLERANCE = 1e-5


class BadInput(Exception):
    pass


def read_frames(path):
    """[(first_line, lines, n_atoms, cell, [(type, x, y, z)])] of every BEGIN_CFG..END_CFG block."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{path}: cannot read: {e}")
    frames, i = [], 0
    while i < len(lines):
        if lines[i].strip() != "BEGIN_CFG":
            if lines[i].strip():
                raise BadInput(f"{path}:{i + 1}: expected BEGIN_CFG, got '{lines[i].strip()[:40]}'")
            i += 1
            continue
        start, n, cell, atoms = i, None, None, None
        i += 1
        while i < len(lines) and lines[i].strip() != "END_CFG":
            word = lines[i].split()
            if not word:
                i += 1
                continue
            if word[0] == "Size":
                try:
                    n = int(lines[i + 1])
                except (IndexError, ValueError):
                    raise BadInput(f"{path}:{i + 2}: expected the atom count after Size")
                if n < 0:
                    raise BadInput(f"{path}:{i + 2}: expected a non-negative atom count, got {n}")
                i += 2
            elif word[0] == "Supercell":
                cell = []
                for k in range(1, 4):
                    try:
                        row = [float(v) for v in lines[i + k].split()]
                    except (IndexError, ValueError):
                        row = []
                    if len(row) != 3:
                        break
                    cell.append(row)
                if not cell:
                    raise BadInput(f"{path}:{i + 2}: expected a lattice vector (3 numbers) after Supercell")
                i += 1 + len(cell)
            elif word[0] == "AtomData:":
                if n is None:
                    raise BadInput(f"{path}:{i + 1}: AtomData before Size")
                columns = word[1:]
                try:
                    cols = [columns.index(c) for c in ("type", "cartes_x", "cartes_y", "cartes_z")]
                except ValueError:
                    raise BadInput(f"{path}:{i + 1}: expected the columns type and cartes_x/y/z in AtomData")
                atoms = []
                for k in range(1, n + 1):
                    row = lines[i + k].split() if i + k < len(lines) else []
                    try:
                        atoms.append((int(row[cols[0]]),) + tuple(float(row[c]) for c in cols[1:]))
                    except (IndexError, ValueError):
                        raise BadInput(f"{path}:{i + k + 1}: expected atom {k} of {n} ({len(columns)} columns)")
                i += 1 + n
            else:
                i += 1
        if i >= len(lines):
            raise BadInput(f"{path}:{start + 1}: BEGIN_CFG without END_CFG")
        if atoms is None:
            raise BadInput(f"{path}:{start + 1}: a frame without AtomData")
        frames.append((start + 1, lines[start:i + 1], n, cell or [], atoms))
        i += 1
    return frames


def same(a, b):
    _, _, na, cella, atomsa = a
    _, _, nb, cellb, atomsb = b
    if na != nb or len(cella) != len(cellb):
        return False
    for ra, rb in zip(cella, cellb):
        if any(abs(x - y) > TOLERANCE for x, y in zip(ra, rb)):
            return False
    for pa, pb in zip(atomsa, atomsb):
        if pa[0] != pb[0] or any(abs(x - y) > TOLERANCE for x, y in zip(pa[1:], pb[1:])):
            return False
    return True


def write_atomic(path, lines):
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.writelines(lines)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise BadInput(f"{path}: cannot write: {e}")


def reuse(frame_path, known_path, out_path):
    frame = read_frames(frame_path)
    if len(frame) != 1:
        raise BadInput(f"{frame_path}: expected one frame, found {len(frame)}")
    for k in read_frames(known_path):
        if same(frame[0], k):
            write_atomic(out_path, k[1])
            print(f"{frame_path}: labelled earlier, {known_path}:{k[0]}")
            return 0
    return 1


def unused(known_path, out_path, frame_paths):
    frames = [f for p in frame_paths for f in read_frames(p)]
    left = [k for k in read_frames(known_path) if not any(same(f, k) for f in frames)]
    if not left:
        if os.path.exists(out_path):
            os.remove(out_path)
        return 0
    write_atomic(out_path, [line for k in left for line in k[1]])
    for k in left:
        print(f"{known_path}:{k[0]}: not selected again in this round", file=sys.stderr)
    return 1


def main(argv):
    try:
        if len(argv) >= 3 and argv[1] == "--unused":
            return unused(argv[2], argv[3], argv[4:]) if len(argv) >= 4 else usage()
        return reuse(*argv[1:]) if len(argv) == 4 else usage()
    except BadInput as e:
        print(f"reuse_labelled.py: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - exit 1 means "not found"; a crash must not say that
        print(f"reuse_labelled.py: internal error: {e!r}", file=sys.stderr)
        return 2


def usage():
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
