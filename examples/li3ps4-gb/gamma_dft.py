#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Boundary energy from labelled energies of a bicrystal and its bulk reference (issue 13 item 3:
the MTP's boundary energy against CP2K's on the same geometry).

    gamma_dft.py NAME.json GB.cfg BULK.cfg [--label=CP2K]

NAME.json: the builder's output (area_A2); GB.cfg: NAME-relaxed.cfg with an energy (labelled by
mtp-label, or by `mtp calculate_efs` for the MTP's own number); BULK.cfg: NAME-bulk-relaxed.cfg
labelled the same way.  Prints one tab-separated line:
    name  label  atoms_gb  atoms_bulk  E_gb(eV)  e_bulk(eV/atom)  gamma(J/m^2)
with gamma = (E_gb - N_gb e_bulk) / (2 A) (two boundaries per periodic bicrystal).  Both cells
must be Li3PS4 (n_Li : n_P : n_S = 3 : 1 : 4), or the bulk energy per atom is not the reference.
Errors: file:line where the file is at fault, exit 1.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from li3ps4_gb import cellio, lammps  # noqa: E402


def read_energy(path):
    """(atom count, energy) of the single labelled Li3PS4 configuration of a .cfg
    (cellio.read_cfg, which reads the first configuration and checks its types)."""
    try:
        frames = sum(1 for line in open(path, encoding="utf-8") if line.strip() == "BEGIN_CFG")
        cfg = cellio.read_cfg(path)
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError("%s: cannot read: %s" % (path, e))
    except cellio.CellFormatError as e:
        raise ValueError(str(e))
    if frames != 1:
        raise ValueError("%s: expected one configuration, found %d" % (path, frames))
    if cfg["energy"] is None:
        raise ValueError("%s: the configuration has no Energy (label it first)" % path)
    counts = [int((cfg["types"] == t).sum()) for t in range(3)]
    if not (counts[1] > 0 and counts[0] == 3 * counts[1] and counts[2] == 4 * counts[1]):
        raise ValueError("%s: not Li3PS4 (types 0 Li, 1 P, 2 S: counts %s)" % (path, counts))
    return len(cfg["types"]), cfg["energy"]


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--label=")]
    label = next((a.split("=", 1)[1] for a in argv[1:] if a.startswith("--label=")), "CP2K")
    if len(args) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    meta_path, gb_path, bulk_path = args
    try:
        try:
            meta = json.load(open(meta_path, encoding="utf-8"))
            area = float(meta["geometry"]["area_A2"])
            name = meta["name"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ValueError("%s: expected the builder's json with name and geometry.area_A2 (%s)" % (meta_path, e))
        n_gb, e_gb = read_energy(gb_path)
        n_bulk, e_bulk_total = read_energy(bulk_path)
    except ValueError as e:
        print("gamma_dft.py: %s" % e, file=sys.stderr)
        return 1
    e_bulk = e_bulk_total / n_bulk
    gamma = lammps.boundary_energy(e_gb, n_gb, e_bulk, area)
    print("%s\t%s\t%d\t%d\t%.6f\t%.9f\t%.4f" % (name, label, n_gb, n_bulk, e_gb, e_bulk, gamma))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
