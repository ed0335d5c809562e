#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""parse_out.py OUT [OUT...]: energy (eV), forces (eV/A), SCF steps, stress (GPa), wall time."""
import sys, re, json
HA = 27.211386245988; BOHR = 0.529177210903
def parse(fn):
    t = open(fn).read().splitlines()
    E = None; F = []; steps = []; stress = None; wall = None; nat = 0
    for i, l in enumerate(t):
        if "ENERGY| Total FORCE_EVAL" in l:
            E = float(l.split()[-1]) * HA
        m = re.search(r"SCF run converged in\s+(\d+) steps", l)
        if m: steps.append(int(m.group(1)))
        m = re.search(r"outer SCF loop converged in\s+(\d+) iterations or\s+(\d+) steps", l)
        if m: steps[-1:] = []; steps.append(int(m.group(2)))
        if "ATOMIC FORCES in [a.u.]" in l:
            F = []
            j = i + 3
            while j < len(t) and not t[j].strip().startswith("SUM"):
                p = t[j].split()
                if len(p) >= 6: F.append([float(x) * HA / BOHR for x in p[3:6]])
                j += 1
        if "STRESS| Analytical stress tensor [GPa]" in l:
            stress = [[float(x) for x in t[i + k].split()[2:5]] for k in (2, 3, 4)]
        if l.strip().startswith("CP2K  ") and len(l.split()) == 7:
            wall = float(l.split()[-1])
    return dict(E=E, F=F, steps=steps, stress=stress, wall=wall, unconverged=sum("SCF run NOT converged" in l for l in t))
if __name__ == "__main__":
    for fn in sys.argv[1:]:
        r = parse(fn)
        fmax = max((sum(x * x for x in f) ** 0.5 for f in r["F"]), default=0)
        print(f"{fn}: E={r['E']} eV nat={len(r['F'])} Fmax={fmax:.3f} steps={r['steps']} wall={r['wall']} unconv={r['unconverged']}")
