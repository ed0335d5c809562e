# SPDX-License-Identifier: BSD-3-Clause
"""Shared pieces of the plot tests (test_plot_*.py): small Li data sets
labelled by the level-20 potential (so no reference data are needed), running
`mtp`, and checking that a file is a real, decodable PNG."""
import os
import struct
import subprocess

import openmtp
from testlib import SOURCE, Skip, li_bcc

POT_L20 = os.path.join(SOURCE, "potentials", "mlearn-Li-L20", "mlearn-Li-L20.almtp")


def need_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError as e:
        raise Skip("matplotlib not importable (%s): install python3-matplotlib" % e)


def mtp(*args, env=None, check=True):
    """Run the mtp of this build; returns the CompletedProcess (text)."""
    full = dict(os.environ)
    if env:
        full.update(env)
    r = subprocess.run([openmtp.mtp_executable()] + [str(a) for a in args], env=full,
                       capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("mtp %s failed (%d):\n%s%s" % (" ".join(map(str, args)), r.returncode,
                                                             r.stdout, r.stderr))
    return r


def li_frames(n, seed, rattle, info=None):
    """n rattled 16-atom bcc Li cells of varying lattice constant; info: a
    function k -> dict of features for frame k."""
    out = []
    for k in range(n):
        a = li_bcc(rep=2, a=3.36 + 0.02 * (k % 6), rattle=rattle + 0.01 * (k % 4), seed=seed + k)
        if info:
            a.info.update(info(k))
        out.append(a)
    return out


def labelled(path, frames):
    """Write frames (type 0 = Li) and label them with the level-20 potential:
    energies, forces and stresses that a level-16 one reproduces only
    approximately.  Returns the labelled file."""
    raw = path + ".raw.cfg"
    openmtp.write_cfg(raw, frames, species=["Li"])
    mtp("calculate_efs", POT_L20, raw, "--output_filename=%s" % path)
    return path


def check_png(path, min_width=400, min_height=300):
    """(width, height) of a PNG that is complete (IHDR ... IEND) and that
    matplotlib decodes; AssertionError otherwise."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "%s: not a PNG signature" % path
    assert data[12:16] == b"IHDR", "%s: no IHDR chunk" % path
    width, height = struct.unpack(">II", data[16:24])
    assert data[-8:-4] == b"IEND", "%s: truncated (no IEND chunk at the end)" % path
    assert width >= min_width and height >= min_height, "%s: %dx%d is too small" % (path, width, height)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    pixels = plt.imread(path)
    assert pixels.shape[:2] == (height, width), "%s: decodes to %s" % (path, pixels.shape)
    assert pixels[..., :3].std() > 0.05, "%s: the picture is blank" % path
    assert not [f for f in os.listdir(os.path.dirname(os.path.abspath(path))) if ".tmp" in f], \
        "temporary files left beside %s" % path
    return width, height
