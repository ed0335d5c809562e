# Mean-squared displacement of one species with a 3-species MTP (MLIP-3's
# multispecies example pot10.almtp, labels 0 1 2).  The start structure is
# the last configuration of its training set, converted to a LAMMPS data file
# by the OpenMTP CLI and replicated.  The training data do not name the
# elements, so the masses below are placeholders.
#   lmp_mtp -in in.msd [-var data /path/to/shared/data/mlip3] [-var mtp /path/to/mtp]
variable        data index ../../../shared/data/mlip3
variable        mtp index mtp
variable        pot index ${data}/multispecies/pot10.almtp
variable        T index 600

shell           ${mtp} convert ${data}/multispecies/train60.cfg msd_start.data --output_format=lammps_data --last
units           metal
atom_style      atomic
boundary        p p p
read_data       msd_start.data
replicate       2 4 2
mass            1 7.0
mass            2 16.0
mass            3 32.0
group           sp1 type 1

pair_style      mtp ${pot}
pair_coeff      * *                # type t -> species label t-1

velocity        all create ${T} 87287 mom yes rot yes dist gaussian
timestep        0.0005
fix             nvt all nvt temp ${T} ${T} 0.1
thermo          250
thermo_style    custom step temp pe etotal press
run             1000               # equilibrate

reset_timestep  0
compute         msd1 sp1 msd com yes
variable        t equal step*dt
fix             msdout all ave/time 100 1 100 v_t c_msd1[4] file msd.dat &
                title2 "# time(ps) MSD_type1(A^2)"
thermo_style    custom step temp pe press c_msd1[4]
run             3000
variable        D equal c_msd1[4]/(6*step*dt)*1e-4
print           "type 1: MSD $(c_msd1[4]:%.3f) A^2 after $(step*dt:%.1f) ps, D ~ $(v_D:%.3e) cm^2/s (msd.dat)"
print           "OPENMTP_EXAMPLE_DONE"
