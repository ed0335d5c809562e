#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Stand-in training data labelled by a CLASSICAL potential (Tersoff SiC
# shipped with Debian's LAMMPS), NOT DFT: short NVT MD of zinc-blende SiC
# (64 atoms) at several temperatures and isotropic strains; energies,
# forces and virials written to MLIP .cfg (types 0 = Si, 1 = C).
# Usage: tools/make-dataset.sh OUT_DIR   (writes train.cfg, test.cfg; < 2 min)
set -e
OUT=${1:-dataset}; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
POT=${LAMMPS_POTENTIALS:-/usr/share/lammps/potentials}/SiC.tersoff
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
: > "$OUT/all.cfg"
for strain in 0.98 1.00 1.02; do
for T in 300 1200 2400; do
cat > "$W/in.lmp" <<LMP
units metal
boundary p p p
lattice diamond $(echo "4.36 * $strain" | bc -l)
region box block 0 2 0 2 0 2
create_box 2 box
create_atoms 1 box basis 1 1 basis 2 1 basis 3 1 basis 4 1 basis 5 2 basis 6 2 basis 7 2 basis 8 2
mass 1 28.0855
mass 2 12.011
pair_style tersoff
pair_coeff * * $POT Si C
velocity all create $T $(( (T + 7) * 13 )) dist gaussian
fix 1 all nvt temp $T $T 0.1
timestep 0.001
compute pv all pressure NULL virial
variable f equal 1.0/1.6021766208e6
thermo_style custom step pe c_pv[1] c_pv[2] c_pv[3] c_pv[4] c_pv[5] c_pv[6] vol
dump d all custom 100 $W/d.dump id type x y z fx fy fz
dump_modify d sort id format float %.10g
fix p all print 100 "FRAME \$(pe:%.10f) \$(c_pv[1]:%.8g) \$(c_pv[2]:%.8g) \$(c_pv[3]:%.8g) \$(c_pv[4]:%.8g) \$(c_pv[5]:%.8g) \$(c_pv[6]:%.8g) \$(vol:%.10g)" file $W/e.txt screen no
run 1000
LMP
(cd "$W" && lmp -in in.lmp -log none -screen none)
# merge dump frames with energies/virials (virial W = P_virial * V / nktv2p, eV)
awk -v T="$T" -v S="$strain" '
  FNR==NR { if ($1=="FRAME") { n++; E[n]=$2; for(i=1;i<=6;i++) P[n,i]=$(2+i); V[n]=$9 } next }
  /ITEM: TIMESTEP/ { fr++; next }
  /ITEM: NUMBER OF ATOMS/ { getline; na=$1; next }
  /ITEM: BOX BOUNDS/ { for(i=1;i<=3;i++){ getline; lo[i]=$1; hi[i]=$2 } next }
  /ITEM: ATOMS/ {
    if (fr < 2) { for(i=1;i<=na;i++) getline; next }  # skip the starting lattice
    print "BEGIN_CFG"; print " Size"; print "    " na
    print " Supercell"
    printf "    %.10f 0 0\n    0 %.10f 0\n    0 0 %.10f\n", hi[1]-lo[1], hi[2]-lo[2], hi[3]-lo[3]
    print " AtomData:  id type       cartes_x      cartes_y      cartes_z           fx          fy          fz"
    for(i=1;i<=na;i++){ getline; printf "    %d %d %s %s %s %s %s %s\n", $1, $2-1, $3-lo[1], $4-lo[2], $5-lo[3], $6, $7, $8 }
    print " Energy"; printf "    %.10f\n", E[fr]
    f = V[fr] / 1.6021766208e6
    print " PlusStress:  xx          yy          zz          yz          xz          xy"
    printf "    %.8f %.8f %.8f %.8f %.8f %.8f\n", P[fr,1]*f, P[fr,2]*f, P[fr,3]*f, P[fr,6]*f, P[fr,5]*f, P[fr,4]*f
    print " Feature   origin classical-potential stand-in (LAMMPS tersoff SiC.tersoff), T=" T " K, strain " S
    print "END_CFG"; print ""
  }' "$W/e.txt" "$W/d.dump" >> "$OUT/all.cfg"
done
done
# every 5th configuration to the test set
awk -v tr="$OUT/train.cfg" -v te="$OUT/test.cfg" '
  /BEGIN_CFG/ { k++ } { if (k % 5 == 0) print > te; else print > tr }' "$OUT/all.cfg"
rm -f "$OUT/all.cfg"
echo "$(grep -c BEGIN_CFG "$OUT/train.cfg") training and $(grep -c BEGIN_CFG "$OUT/test.cfg") test configurations in $OUT (classical Tersoff SiC stand-in, not DFT)"
