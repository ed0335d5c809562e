#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Enumerate the orderings of beta-Li3PS4 (Homma et al. 2011, ICSD 180319, via OBELiX entry nhq:
Li1 8d occ 1.0, Li2 4b occ 0.7, Li3 4c occ 0.3; 12 Li per cell).  Li1 (8d) is kept full; the
remaining 4 Li are put on 4 of the 8 sites 4b+4c in all C(8,4)=70 ways, ranked by Ewald energy
(formal charges Li+1 P+5 S-2), grouped into symmetry-distinct classes."""
import itertools, json, sys
import numpy as np
from pymatgen.core import Structure
from pymatgen.analysis.ewald import EwaldSummation
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
from pymatgen.analysis.structure_matcher import StructureMatcher

s = Structure.from_file(sys.argv[1] if len(sys.argv) > 1 else "beta-Li3PS4_ICSD180319_OBELiX-nhq.cif")
# symmetrise the noisy positions back to Pnma (OBELiX added 0.01 frac. Gaussian noise)
print("input", s.composition, len(s))
full = []   # always occupied
part = []   # 4b + 4c candidates
for site in s:
    occ = list(site.species.values())[0]
    el = list(site.species.keys())[0].symbol
    if el == "Li" and occ < 0.99:
        part.append(site.frac_coords)
    else:
        full.append((el, site.frac_coords))
print("fully occupied", len(full), "partial Li sites", len(part))
lat = s.lattice
res = []
for comb in itertools.combinations(range(len(part)), 4):
    sp = [e for e, _ in full] + ["Li"] * 4
    fc = [f for _, f in full] + [part[i] for i in comb]
    st = Structure(lat, sp, fc)
    st.add_oxidation_state_by_element({"Li": 1, "P": 5, "S": -2})
    e = EwaldSummation(st).total_energy
    dmin = min(st.get_distance(i, j) for i in range(len(st)) for j in range(i))
    res.append((e, comb, st, dmin))
res.sort(key=lambda r: r[0])
sm = StructureMatcher(ltol=0.2, stol=0.3, angle_tol=5, primitive_cell=False, scale=False)
groups = []
for e, comb, st, dmin in res:
    for g in groups:
        if abs(g["e"] - e) < 1e-3 and sm.fit(g["st"], st):
            g["n"] += 1; break
    else:
        groups.append({"e": e, "comb": comb, "st": st, "n": 1, "dmin": dmin})
e0 = groups[0]["e"]
out = []
for k, g in enumerate(groups):
    nb = sum(1 for i in g["comb"] if abs(part[i][1] - 0.25) % 0.5 > 0.01)  # 4b: y=0,1/2
    sga = SpacegroupAnalyzer(g["st"], symprec=0.1)
    print(f"class {k:2d} mult {g['n']:2d}  Li on 4b: {nb}  4c: {4-nb}  E_Ewald-E0 = {(g['e']-e0)*1000/32:8.1f} meV/atom"
          f"  spg(0.1) {sga.get_space_group_symbol():8s} dmin {g['dmin']:.2f}")
    out.append(dict(cls=k, mult=g["n"], n4b=nb, dE_meV_atom=(g["e"]-e0)*1000/32, comb=g["comb"]))
    g["st"].remove_oxidation_states()
    g["st"].to(filename=f"orderings/cand_{k:02d}.cif")
json.dump(out, open("order_li.json", "w"), indent=1)
