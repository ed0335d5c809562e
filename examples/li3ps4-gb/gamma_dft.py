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
import sys

EV_PER_A2_TO_J_PER_M2 = 16.02176634


def read_energy(path):
    """(atom count, energy, type counts) of the single configuration in a labelled .cfg."""
    n = energy = None
    counts = {}
    frames = 0
    try:
        lines = open(path, encoding="utf-8").read().split("\n")
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError("%s: cannot read: %s" % (path, e))
    i = 0
    while i < len(lines):
        w = lines[i].split()
        if w and w[0] == "BEGIN_CFG":
            frames += 1
        elif w and w[0] == "Size":
            try:
                n = int(lines[i + 1])
            except (IndexError, ValueError):
                raise ValueError("%s:%d: expected the atom count after Size" % (path, i + 2))
        elif w and w[0] == "AtomData:":
            try:
                col = w[1:].index("type")
            except ValueError:
                raise ValueError("%s:%d: expected a type column in AtomData" % (path, i + 1))
            for k in range(1, (n or 0) + 1):
                try:
                    t = int(lines[i + k].split()[col])
                except (IndexError, ValueError):
                    raise ValueError("%s:%d: expected atom %d of %d" % (path, i + k + 1, k, n))
                counts[t] = counts.get(t, 0) + 1
            i += n or 0
        elif w and w[0] == "Energy":
            try:
                energy = float(lines[i + 1])
            except (IndexError, ValueError):
                raise ValueError("%s:%d: expected the energy after Energy" % (path, i + 2))
        i += 1
    if frames != 1:
        raise ValueError("%s: expected one configuration, found %d" % (path, frames))
    if energy is None:
        raise ValueError("%s: the configuration has no Energy (label it first)" % path)
    if not (counts.get(0, 0) == 3 * counts.get(1, 0) and counts.get(2, 0) == 4 * counts.get(1, 0)
            and counts.get(1, 0) > 0 and set(counts) <= {0, 1, 2}):
        raise ValueError("%s: not Li3PS4 (types 0 Li, 1 P, 2 S: counts %s)" % (path, dict(sorted(counts.items()))))
    return n, energy, counts


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
        n_gb, e_gb, _ = read_energy(gb_path)
        n_bulk, e_bulk_total, _ = read_energy(bulk_path)
    except ValueError as e:
        print("gamma_dft.py: %s" % e, file=sys.stderr)
        return 1
    e_bulk = e_bulk_total / n_bulk
    gamma = (e_gb - n_gb * e_bulk) / (2.0 * area) * EV_PER_A2_TO_J_PER_M2
    print("%s\t%s\t%d\t%d\t%.6f\t%.9f\t%.4f" % (name, label, n_gb, n_bulk, e_gb, e_bulk, gamma))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
