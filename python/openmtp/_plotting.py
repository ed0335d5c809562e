# SPDX-License-Identifier: BSD-3-Clause
"""What the plots of openmtp.plot share: matplotlib with the Agg backend (no
display needed), PNGs written atomically with their numbers as text chunks,
and the errors they raise."""
import os
import struct
import sys
import zlib


class PlotError(Exception):
    """Input that cannot be plotted ("file:line: what was expected") or a PNG
    that cannot be written; str(error) is the message."""


class MatplotlibMissing(PlotError):
    """matplotlib cannot be imported by this interpreter."""


def pyplot():
    """matplotlib.pyplot on the Agg backend, or MatplotlibMissing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise MatplotlibMissing("matplotlib is not available to %s (%s); on Debian: "
                                "apt-get install python3-matplotlib" % (sys.executable, e)) from e
    return plt


def save_png(fig, path, title, description):
    """Write fig to path (temporary file + rename: an interrupted run never
    leaves a broken picture) with `title` and `description` (the numbers the
    picture shows, one per line) as PNG text chunks; closes the figure."""
    plt = pyplot()
    path = os.fspath(path)
    tmp = "%s.tmp%d.png" % (path, os.getpid())
    try:
        fig.savefig(tmp, dpi=100, metadata={"Title": title, "Description": description,
                                            "Software": "OpenMTP (python3 -m openmtp.plot)"})
        os.replace(tmp, path)
    except (OSError, ValueError) as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise PlotError("%s: cannot write the picture: %s" % (path, e)) from e
    finally:
        plt.close(fig)


def png_text(path):
    """The text chunks (tEXt, iTXt, zTXt) of a PNG as a dict; PlotError if
    the file is not a PNG.  For checking what a picture says it shows."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise PlotError("%s: not a PNG file" % path)
    out, pos = {}, 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            out[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            out[key.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            _lang, _, rest = rest.partition(b"\0")
            _tkey, _, value = rest.partition(b"\0")
            out[key.decode("latin-1")] = (zlib.decompress(value) if compressed else value).decode()
        elif kind == b"IEND":
            break
    return out
