#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Fill README.md placeholders: the convergence table from analyze.py and the sections in sections/*.md."""
import subprocess, os
d = os.path.dirname(os.path.abspath(__file__))
s = open(f"{d}/README.template.md").read()
tab = subprocess.run(["/usr/bin/python3", f"{d}/analyze.py"], capture_output=True, text=True).stdout
for key, val in (("CONVERGENCE_TABLE", tab),
                 ("RELAX_SECTION", open(f"{d}/sections/relax.md").read()),
                 ("PRODUCTION_SECTION", open(f"{d}/sections/production.md").read()),
                 ("REMAINS_SECTION", open(f"{d}/sections/remains.md").read())):
    if key in s:
        s = s.replace(key, val.rstrip() + "\n")
import re
g = open("/work/cp2k-li3ps4/relax/geo4.out").read()
E = re.findall(r"Total Energy\s+=\s+(\S+)", g); G = re.findall(r"Max. gradient\s+=\s+(\S+)", g)
R = re.findall(r"RMS gradient\s+=\s+(\S+)", g)
nst = len(G)
s = s.replace("GEO4_STEPS", str(nst)).replace("GEO4_E", E[nst] if len(E) > nst else E[-1])
s = s.replace("GEO4_G", f"{float(G[-1]):.4f} ({float(G[-1]) * 51.422:.2f} eV/A; RMS {float(R[-1]) * 51.422:.3f} eV/A)")
s = s.replace("GEO4_HIST", "\n".join(f"| {i+1} | {E[i+1] if i + 1 < len(E) else '-'} | {float(G[i]):.4f} | {float(R[i]):.4f} |" for i in range(nst)))
open(f"{d}/README.md", "w").write(s)
