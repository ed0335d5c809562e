# SPDX-License-Identifier: BSD-3-Clause
"""Small text-file helpers shared by the analysis modules (diffusion,
region_diffusion, lattice, rdf, search): opening with the module's own error
type, the data lines of a '#'-commented table, and atomic writes."""

import os
import tempfile


def open_text(path, error):
    """open(path) for reading; an OSError becomes error('PATH: reason')."""
    try:
        return open(path)
    except OSError as e:
        raise error("%s: %s" % (path, e.strerror))


def data_lines(lines):
    """(line number from 1, whitespace-split fields, the line) of every line
    that is neither blank nor a comment (first field starting with '#')."""
    for no, line in enumerate(lines, 1):
        t = line.split()
        if t and not t[0].startswith("#"):
            yield no, t, line


def write_atomic(path, text):
    """Write text to path through a temporary file in the same directory,
    flushed to disk and renamed over path; nothing is left behind on errors."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp.", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
