# SPDX-License-Identifier: BSD-3-Clause
"""The LAMMPS dump reader shared by openmtp.rdf and openmtp.region_diffusion
(openmtp/_lammps_dump.py), through both callers: a good two-frame dump reads back
the same atoms in each; every defect of the format (bad or missing ITEM lines, a
non-integer timestep, bad box bounds, the general triclinic form, a short, a
non-numeric or a non-finite atom line, a frame cut off in its header or its atoms)
gives 'file:LINE: expected ...' with the line of the defect, raised as each
caller's own error class; and each caller's own checks stay its own (region:
id xu yu zu first, the same atoms, increasing steps, two frames; rdf: a type
column, names for every type)."""
import os

from testlib import run_tests, workdir


def frame(step, atoms):
    """The lines of one frame (9 header lines, then the atoms) in a box with zlo = -1."""
    return ["ITEM: TIMESTEP", str(step), "ITEM: NUMBER OF ATOMS", str(len(atoms)),
            "ITEM: BOX BOUNDS pp pp pp", "0 10", "0 10", "-1 9", "ITEM: ATOMS id xu yu zu type"] + atoms


# lines 1 to 22; the second frame starts on line 12, its atoms stand on lines 21 and 22.
# Columns both callers accept: region_diffusion wants id xu yu zu first, rdf a type column.
GOOD = (frame(0, ["1 0.5 0.5 0.5 1", "2 1.5 1.5 1.5 2"])
        + frame(100, ["1 0.7 0.5 0.5 1", "2 1.5 1.9 1.5 2"]))

NAMES = ["Li", "P", "S"]


def dump(name, edits=None, keep=None):
    """A copy of GOOD with lines {number (from 1): new text}, cut after `keep` lines."""
    lines = list(GOOD)
    for no, text in (edits or {}).items():
        lines[no - 1] = text
    if keep is not None:
        lines = lines[:keep]
    path = os.path.join(workdir("lammps-dump"), name + ".dump")
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    return path


def readers():
    from openmtp import rdf, region_diffusion
    from openmtp.diffusion import DiffusionError
    return [("rdf", lambda p: rdf.read_lammps_dump(p, NAMES), rdf.RdfError),
            ("region_diffusion", region_diffusion.read_dump, DiffusionError)]


def refused(read, error, path, line, phrase):
    """read(path) raises exactly `error` with 'path:line: ...phrase...' (line None: 'path: ')."""
    try:
        read(path)
    except error as e:
        where = "%s:%d: " % (path, line) if line else "%s: " % path
        msg = str(e)
        assert type(e) is error, "%s: raised %s, expected %s" % (msg, type(e).__name__, error.__name__)
        assert msg.startswith(where) and phrase in msg, \
            "message %r: expected it to start with %r and contain %r" % (msg, where, phrase)
        return
    raise AssertionError("%s was accepted, expected an error at line %s (%s)" % (path, line, phrase))


def test_good_dump_reads_back():
    from openmtp import rdf, region_diffusion
    p = dump("good")
    steps, boxes, ids, pos = region_diffusion.read_dump(p)
    assert steps.tolist() == [0, 100] and boxes.tolist() == [[-1, 9], [-1, 9]], (steps, boxes)
    assert ids.tolist() == [1, 2] and pos.shape == (2, 2, 3) and pos[1, 0].tolist() == [0.7, 0.5, 0.5], pos
    fr = rdf.read_lammps_dump(p, NAMES)
    assert [f[2] for f in fr] == [["Li", "P"]] * 2, fr
    # rdf positions are relative to the box origin (zlo = -1)
    assert fr[1][1][0].tolist() == [0.7, 0.5, 1.5] and fr[0][0].tolist() == [[10, 0, 0], [0, 10, 0], [0, 0, 10]]
    assert [f[2] for f in rdf.read_lammps_dump(p)] == [["1", "2"]] * 2


# (name, edits, keep, line of the error, what the message says): defects of the format
FORMAT = [
    ("not-a-dump", {1: "ITEM: TIMESTEPS"}, None, 1, "expected 'ITEM: TIMESTEP', found 'ITEM: TIMESTEPS'"),
    ("bad-step", {13: "1e2"}, None, 13, "expected the timestep (an integer), found '1e2'"),
    ("bad-count-item", {14: "ITEM: NUMBER ATOMS"}, None, 14, "expected 'ITEM: NUMBER OF ATOMS'"),
    ("bad-count", {15: "two"}, None, 15, "expected the number of atoms, found 'two'"),
    ("negative-count", {15: "-2"}, None, 15, "expected the number of atoms (>= 0)"),
    ("bad-box-item", {16: "ITEM: BOX"}, None, 16, "expected 'ITEM: BOX BOUNDS ...'"),
    ("general-triclinic", {16: "ITEM: BOX BOUNDS abc origin pp pp pp"}, None, 16, "general triclinic"),
    ("bad-bounds", {18: "0 ten"}, None, 18, "expected 'lo hi', found '0 ten'"),
    ("nan-bounds", {18: "0 nan"}, None, 18, "expected 'lo hi' of finite numbers"),
    ("no-columns", {20: "ITEM: ATOMS"}, None, 20, "expected 'ITEM: ATOMS' and the column names"),
    ("short-atom-line", {21: "1 0.7 0.5 0.5"}, None, 21, "expected 5 numbers (id xu yu zu type), found '1 0.7 0.5 0.5'"),
    ("blank-atom-line", {21: ""}, None, 21, "expected 5 numbers (id xu yu zu type), found ''"),
    ("non-numeric", {22: "2 1.5 x 1.5 2"}, None, 22, "expected a number in column 'yu', found 'x'"),
    ("non-finite", {22: "2 1.5 inf 1.5 2"}, None, 22,
     "expected a finite number in column 'yu' of the frame at step 100, found 'inf'"),
    ("cut-in-atoms", None, 21, 21, "frame at step 100 truncated: 1 of 2 atoms"),
    ("cut-in-bounds", None, 17, 17, "frame truncated: expected 'lo hi', found the end of the file"),
    ("cut-after-item", None, 12, 12, "frame truncated: expected the timestep (an integer), found the end of the file"),
]


def test_format_errors_name_the_line_in_each_callers_class():
    for name, edits, keep, line, phrase in FORMAT:
        p = dump(name, edits, keep)
        for _, read, error in readers():
            refused(read, error, p, line, phrase)


def test_unreadable_file():
    p = os.path.join(workdir("lammps-dump"), "absent.dump")
    for _, read, error in readers():
        refused(read, error, p, None, "No such file")


def test_callers_keep_their_own_checks():
    from openmtp import rdf, region_diffusion as rd
    from openmtp.diffusion import DiffusionError
    # what only region_diffusion refuses (rdf reads these dumps)
    for name, edits, keep, line, phrase in [
            ("other-order", {9: "ITEM: ATOMS id yu xu zu type", 20: "ITEM: ATOMS id yu xu zu type"}, None, 9,
             "expected 'ITEM: ATOMS id xu yu zu ...'"),
            ("other-atoms", {22: "3 1.5 1.9 1.5 2"}, None, 21, "frame at step 100 holds other atoms"),
            ("same-step", {13: "0"}, None, 13, "steps must increase (0 after 0)"),
            ("one-frame", None, 11, None, "expected at least 2 frames, found 1")]:
        p = dump(name, edits, keep)
        refused(rd.read_dump, DiffusionError, p, line, phrase)
        rdf.read_lammps_dump(p, NAMES)
    # what only rdf refuses (region_diffusion reads these dumps)
    for name, edits, line, phrase in [
            ("no-type", {9: "ITEM: ATOMS id xu yu zu q", 20: "ITEM: ATOMS id xu yu zu q"}, 9,
             "the dump needs a 'type' column"),
            ("unnamed-type", {22: "2 1.5 1.9 1.5 4"}, 22, "type 4 has no name: expected 1 to 3 (names Li,P,S)"),
            ("fractional-type", {11: "2 1.5 1.5 1.5 1.5"}, 11, "expected a LAMMPS type (an integer >= 1), found 1.5")]:
        p = dump(name, edits)
        refused(lambda q: rdf.read_lammps_dump(q, NAMES), rdf.RdfError, p, line, phrase)
        rd.read_dump(p)
    p = dump("no-coordinates", {9: "ITEM: ATOMS id xu yu q type"}, 11)
    refused(rdf.read_lammps_dump, rdf.RdfError, p, 9, "the dump needs x y z (or xu yu zu, xs ys zs) columns")
    p = dump("empty", keep=0)
    refused(rdf.read_lammps_dump, rdf.RdfError, p, None, "no frames")
    refused(rd.read_dump, DiffusionError, p, None, "expected at least 2 frames, found 0")


if __name__ == "__main__":
    run_tests(globals())
