# SPDX-License-Identifier: BSD-3-Clause
"""Amorphous/crystal interface: a supercell of the ordered model with the boundary plane normal
to one crystal axis; the PS4 units (by their P) and Li in the upper half of the cell are melted
and quenched with the MTP in LAMMPS while the lower half is held fixed (not integrated, so it
stays crystalline), then everything is minimised.  Two interfaces, at z = L/2 and z = 0 = L.

Melt-quench: NVT (Nose-Hoover, damping 0.1 ps, dt = 1 fs by default) of the amorphous group at T_melt for
melt_steps, a linear ramp T_melt -> T_final over quench_steps, then a minimisation of all atoms
(atoms and, with relax_normal, the box length along z).  The box is fixed during the MD."""
import os
import re
import shutil
import subprocess
import tempfile
import numpy as np

from .cellio import read_lammps_data, write_lammps_data, to_lammps_frame
from .crystal import ps4_units
from .lammps import find_lmp, pair_commands, WALL

AXES = {"a": (1, 2, 0), "b": (2, 0, 1), "c": (0, 1, 2)}   # cyclic: new x, y, z = old axes


def crystal_slab(model, normal="c", reps=(2, 2, 4)):
    """Supercell reps (along the new x, y, z) with the crystal axis 'normal' along z; whole PS4
    units (S placed next to their P).  Returns cell, types, positions, unit id (-1 for Li)."""
    perm = AXES[normal]
    L = np.diag(np.array(model.lattice.abc)[list(perm)])
    units = ps4_units(model)
    frac = model.frac_coords[:, list(perm)]
    types, pos, unit = [], [], []
    owner = {}
    for p, (s_idx, offs) in units.items():
        for s in s_idx:
            owner[s] = p
    for i in range(reps[0]):
        for j in range(reps[1]):
            for k in range(reps[2]):
                n = np.array([i, j, k])
                for a, site in enumerate(model):
                    sym = site.specie.symbol
                    if sym == "S":
                        continue
                    f = frac[a] - np.floor(frac[a]) + n
                    x = f @ L
                    if sym == "Li":
                        types.append(0), pos.append(x), unit.append(-1)
                    else:
                        uid = len(set(unit) - {-1})
                        types.append(1), pos.append(x), unit.append(uid)
                        for o in units[a][1]:
                            types.append(2), pos.append(x + o[list(perm)]), unit.append(uid)
    cell = L * np.array(reps)[:, None]
    return cell, np.array(types), np.array(pos), np.array(unit)


INPUT = """units metal
boundary p p p
atom_style atomic
read_data {data}
{pair}
group amorph id {ids}
group crystal subtract all amorph
neighbor 2.0 bin
neigh_modify every 1 delay 0 check yes
compute tA amorph temp
thermo 100
thermo_style custom step time c_tA pe press v_wall
thermo_modify lost error
timestep {dt}
velocity amorph create {tmelt} {seed} mom yes rot no dist gaussian
fix melt amorph nvt temp {tmelt} {tmelt} 0.1
fix_modify melt temp tA
run {melt}
unfix melt
fix quench amorph nvt temp {tmelt} {tfinal} 0.1
fix_modify quench temp tA
run {quench}
unfix quench
velocity all set 0 0 0
min_style cg
{relax_box}minimize 0.0 1e-3 1000 10000
{unfix}minimize 0.0 1e-3 1000 10000
run 0
print "RESULT_ENERGY $(pe:%.8f) WALL $(v_wall:%.8f)"
write_data {out}
"""


def melt_quench(cell, types, pos, amorph, pot, tmelt=1500.0, tfinal=300.0, melt_steps=2000,
                quench_steps=2000, seed=4928, dt=0.001, relax_normal=True, lmp=None, wall=WALL,
                workdir=None, log=print):
    lmp = find_lmp(lmp)
    own = workdir is None
    wd = tempfile.mkdtemp(prefix="gb-amorph-") if own else workdir
    os.makedirs(wd, exist_ok=True)
    try:
        c = to_lammps_frame({"cell": cell, "types": types, "pos": pos})
        write_lammps_data(os.path.join(wd, "in.data"), c)
        ids = " ".join(str(i + 1) for i in np.where(amorph)[0])
        with open(os.path.join(wd, "in.mq"), "w") as f:
            f.write(INPUT.format(data="in.data", pair=pair_commands(pot, wall), ids=ids,
                                 tmelt=tmelt, tfinal=tfinal, seed=seed, melt=melt_steps,
                                 quench=quench_steps, out="out.data", dt=dt,
                                 relax_box="fix relax all box/relax z 0.0 vmax 0.001\n"
                                 if relax_normal else "",
                                 unfix="unfix relax\n" if relax_normal else ""))
        r = subprocess.run([lmp, "-in", "in.mq", "-log", "log.lammps", "-screen", "none"],
                           cwd=wd, env=dict(os.environ, OMP_NUM_THREADS="1"),
                           capture_output=True, text=True)
        logtxt = open(os.path.join(wd, "log.lammps")).read()
        m = re.search(r"RESULT_ENERGY ([-+0-9.eE]+) WALL ([-+0-9.eE]+)", logtxt)
        if r.returncode != 0 or not m:
            err = [l for l in logtxt.splitlines() if l.startswith("ERROR")]
            raise RuntimeError("lmp_mtp melt-quench failed in %s: %s\n%s" % (
                wd, err[0] if err else "exit %d" % r.returncode,
                "\n".join(l for l in logtxt.splitlines() if re.match(r"\s+\d+\s+[-0-9.]", l))))
        out = read_lammps_data(os.path.join(wd, "out.data"))
        thermo = [l for l in logtxt.splitlines() if re.match(r"\s+\d+\s+[-0-9.]", l)]
        return float(m.group(1)), float(m.group(2)), out, thermo, logtxt
    finally:
        if own:
            shutil.rmtree(wd, ignore_errors=True)
