/* SPDX-License-Identifier: BSD-3-Clause */
/* OpenMTP pair styles "mtp" and "mlip" for LAMMPS (29 Sep 2021 and later).
 *
 * Energy, forces and virials come from libopenmtp's kernel (mtp_sites_eval),
 * called for chunks of local atoms with r_ij = x_j - x_i of their neighbours in a
 * full neighbour list.  The kernel returns d_ij = dV_i/dr_ij; the force on
 * i is +d_ij and the force on j is -d_ij (j may be a ghost: newton_pair on
 * makes LAMMPS reverse-communicate it).
 *
 * Virial bookkeeping, per pair term (i centre, j neighbour):
 *   global   W += -r_ij (x) d_ij                (or LAMMPS' F.r sum)
 *   vatom    half to i, half to j
 *   cvatom   all to the neighbour j: (x_j - x_i) (x) F_j^(i) with
 *            F_j^(i) = -d_ij, i.e. the reference point of the cluster of
 *            site i is atom i (Fan et al., PRB 92, 094301 (2015)); this is
 *            the decomposition that gives the exact heat flux for site
 *            energies.  Both per-atom forms sum to the global virial.
 */
#include "pair_mtp.h"

#include "compute_mtp_atom.h"

#include "atom.h"
#include "comm.h"
#include "domain.h"
#include "error.h"
#include "force.h"
#include "memory.h"
#include "modify.h"
#include "neigh_list.h"
#include "neigh_request.h"
#include "neighbor.h"
#include "update.h"
#include "utils.h"

#include "keyword_values.h"

#include "openmtp/openmtp.h"

#include <mpi.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#if !defined(OPENMTP_LAMMPS_ADD_REQUEST)
#if defined(LAMMPS_VERSION_NUMBER) && LAMMPS_VERSION_NUMBER >= 20220324
#define OPENMTP_LAMMPS_ADD_REQUEST 1
#else
#define OPENMTP_LAMMPS_ADD_REQUEST 0
#endif
#endif

using namespace LAMMPS_NS;

/* ---------------------------------------------------------------------- */

PairOpenMTP::PairOpenMTP(LAMMPS *lmp, const char *name) :
    Pair(lmp), style_name(name), pot(nullptr), calc(nullptr), n_species(0), cutoff(0.0),
    cutoffsq(0.0), mindistsq(0.0), refuse_close(0), extrapolation_control(0),
    threshold_save(2.0), threshold_break(11.0), grade_every(1), save_every(1), save_max(0),
    save_cut(SAVE_FRAME), cut_radius(-1.0), grader(nullptr), grade_nbh_mode(0), max_grade(0.0), local_max_grade(0.0), graded_step(-1),
    force_calls(0), last_graded_call(-1), grade_request(0), run_graded(0), run_last_saved(-1),
    run_saved(0), run_skipped(0), run_save_max_told(0)
{
  single_enable = 0;
  restartinfo = 0;
  one_coeff = 1;
  manybody_flag = 1;
  centroidstressflag = CENTROID_AVAIL;
  // pvector[0]: the current maximal extrapolation grade (compute pair mtp);
  // compute pair sums pvector over ranks, so only rank 0 holds the value
  nextra = 1;
  pvector = new double[1];
  pvector[0] = 0.0;
}

PairOpenMTP::~PairOpenMTP()
{
  delete[] pvector;
  if (grader) mtp_grader_destroy(grader);
  if (calc) mtp_calculator_destroy(calc);
  if (pot) mtp_potential_destroy(pot);
  if (allocated) {
    memory->destroy(setflag);
    memory->destroy(cutsq);
  }
}

void PairOpenMTP::allocate()
{
  allocated = 1;
  int n = atom->ntypes;
  memory->create(setflag, n + 1, n + 1, "pair:setflag");
  for (int i = 1; i <= n; i++)
    for (int j = i; j <= n; j++) setflag[i][j] = 0;
  memory->create(cutsq, n + 1, n + 1, "pair:cutsq");
}

/* ---------------------------------------------------------------------- */

std::string PairOpenMTP::labels_string() const
{
  std::string s;
  for (int k = 0; k < n_species; k++) {
    if (k) s += " ";
    s += std::to_string(mtp_potential_species_label(pot, k));
  }
  return s;
}

void PairOpenMTP::load_potential(const std::string &path)
{
  if (grader) mtp_grader_destroy(grader);
  grader = nullptr;
  if (calc) mtp_calculator_destroy(calc);
  if (pot) mtp_potential_destroy(pot);
  calc = nullptr;
  pot = nullptr;

  mtp_error err;
  err.message[0] = '\0';
  if (mtp_potential_read(path.c_str(), &pot, &err) != MTP_OK)
    error->all(FLERR, "pair_style " + style_name + ": cannot read potential: " +
                   std::string(err.message));
  mtp_potential_info info = mtp_potential_get_info(pot);
  if (!info.trained)
    error->all(FLERR, "pair_style " + style_name + ": potential " + path +
                   " is untrained (it has no coefficients); train it first");
  if (mtp_calculator_create(pot, &calc, &err) != MTP_OK)
    error->all(FLERR, "pair_style " + style_name + ": " + std::string(err.message));
  mtp_calculator_set_min_dist_policy(calc,
                                     refuse_close ? MTP_MIN_DIST_REFUSE : MTP_MIN_DIST_ALLOW);
  pot_path = path;
  n_species = mtp_potential_species_count(pot);
  cutoff = mtp_potential_cutoff(pot);
  cutoffsq = cutoff * cutoff;
  mindistsq = info.min_dist * info.min_dist;
  if (!(cutoff > 0.0))
    error->all(FLERR, "pair_style " + style_name + ": potential " + path +
                   " has a non-positive cutoff");

  if (comm->me == 0) {
    char buf[64];
    snprintf(buf, sizeof buf, "%g", cutoff);
    utils::logmesg(lmp, "OpenMTP " + std::string(mtp_version()) + ": pair_style " +
                            style_name + " potential " + path + ": level " +
                            std::to_string(info.level) + ", " + std::to_string(n_species) +
                            " species (labels " + labels_string() + "), cutoff " + buf +
                            " A\n");
  }
}

/* 'units metal' or a clean error: MTP potentials are fitted in eV and Angstrom,
   and LAMMPS would read the energies, forces and positions in other units
   without any conversion. */
void PairOpenMTP::require_metal_units()
{
  if (strcmp(update->unit_style, "metal") != 0)
    error->all(FLERR, "pair_style " + style_name + " requires 'units metal' (eV, Angstrom, "
                          "picoseconds: the units MTP potentials are fitted in), but this input "
                          "uses 'units " + std::string(update->unit_style) +
                          "'; energies, forces and stresses would be misread");
}

/* defaults of all keywords (both front ends) */
void PairOpenMTP::reset_options()
{
  species_names.clear();
  refuse_close = 0;
  extrapolation_control = 0;
  threshold_save = 2.0;
  threshold_break = 11.0;
  save_extrapolative_to.clear();
  grade_every = 1;
  save_every = 1;
  save_max = 0;
  save_cut = SAVE_FRAME;
  cut_radius = -1.0;
}

/* The grading and saving options both front ends share: set `key` from `v`
   and return true, or return false if `key` is not one of them.  `shown` is
   the keyword as the user spells it ("threshold_save" or "threshold_save="). */
bool PairOpenMTP::set_grading_option(const std::string &key, const std::string &v,
                                 const std::string &shown)
{
  using namespace openmtp_lammps;
  const std::string what = "pair_style " + style_name + ": " + shown;
  auto bad = [&](const std::string &expected) {
    error->all(FLERR, what + " expects " + expected + ", got '" + v + "'");
  };
  if (key == "extrapolation" || key == "extrapolation_control") {
    if (!parse_logical(v, extrapolation_control)) bad(LOGICAL_VALUES);
  } else if (key == "threshold_save") {
    if (!parse_real(v, 0.0, threshold_save))
      bad("a grade >= 0 (configurations graded above it are saved)");
  } else if (key == "threshold_break") {
    if (!parse_real(v, 0.0, threshold_break))
      bad("a grade >= 0 (the run stops above it; 0 or a value not above threshold_save: never)");
  } else if (key == "save_extrapolative_to") {
    if (mtp_keyword(v) || v.find('=') != std::string::npos)
      bad("a file name (it looks like another keyword: is the file name missing?)");
    save_extrapolative_to = v;
  } else if (key == "grade_every") {
    if (!parse_int(v, 1, 1000000000, grade_every)) bad("an integer >= 1 (grade every N-th step)");
  } else if (key == "save_every") {
    if (!parse_int(v, 1, 1000000000, save_every))
      bad("an integer >= 1 (at most one saved frame per N graded steps)");
  } else if (key == "save_max") {
    if (!parse_int(v, 0, 1000000000, save_max))
      bad("an integer >= 0 (at most M saved frames per run; 0: no limit)");
  } else if (key == "save_cut") {
    parse_save_cut(v, what);
  } else if (key == "cut_radius") {
    if (!parse_real(v, 0.0, cut_radius)) bad("a radius >= 0 in Angstrom");
  } else {
    return false;
  }
  return true;
}

/* the common end of settings(): warn about ignored keywords, grader, type map */
void PairOpenMTP::finish_settings(bool grading_keys)
{
  if (grading_keys && !extrapolation_control && comm->me == 0)
    error->warning(FLERR, "pair_style " + style_name + ": grading keywords are ignored without " +
                              (style_name == "mlip" ? "extrapolation_control=true"
                                                    : "'extrapolation yes'"));
  mtp_calculator_set_min_dist_policy(calc,
                                     refuse_close ? MTP_MIN_DIST_REFUSE : MTP_MIN_DIST_ALLOW);
  setup_grading();
  type_map.clear();
}

/* ----------------------------------------------------------------------
   pair_style mtp pot.almtp [species El0 El1 ...] [min_dist allow|refuse]
       [extrapolation yes|no] [threshold_save X] [threshold_break Y]
       [save_extrapolative_to FILE] [grade_every N] [save_every N] [save_max M]
       [save_cut no|cluster|periodic] [cut_radius R]
------------------------------------------------------------------------- */

static const char *const MTP_KEYWORDS[] = {
    "species",    "min_dist",  "extrapolation", "extrapolation_control", "threshold_save",
    "threshold_break", "save_extrapolative_to", "grade_every", "save_every", "save_max",
    "save_cut",   "cut_radius"};

bool PairOpenMTP::mtp_keyword(const std::string &k)
{
  for (const char *w : MTP_KEYWORDS)
    if (k == w) return true;
  return false;
}

static std::string mtp_keyword_list()
{
  std::string s;
  for (const char *w : MTP_KEYWORDS) s += std::string(s.empty() ? "" : ", ") + w;
  return s;
}

void PairOpenMTP::settings(int narg, char **arg)
{
  require_metal_units();
  const std::string style = "pair_style " + style_name;
  if (narg < 1)
    error->all(FLERR, "Illegal " + style + " command: expected '" + style +
                          " <potential file> [keyword value ...]' with keywords " +
                          mtp_keyword_list());
  const std::string path = arg[0];
  if (mtp_keyword(path))
    error->all(FLERR, style + ": the first argument must be the potential file, got the "
                              "keyword '" + path + "'");
  if (path.compare(0, 10, "load_from=") == 0)
    error->all(FLERR, style + ": '" + path + "' is pair_style mlip's spelling; write '" + style +
                          " " + path.substr(10) + "' or 'pair_style mlip " + path + "'");
  reset_options();
  // the potential first: 'species' takes exactly one name per species of it
  load_potential(path);
  bool grading_keys = false;
  std::string after;    // what came before an unknown keyword, when that helps
  int iarg = 1;
  while (iarg < narg) {
    const std::string kw = arg[iarg];
    if (kw == "species") {
      iarg++;
      species_names.clear();
      while (iarg < narg && (int) species_names.size() < n_species && !mtp_keyword(arg[iarg])) {
        // element symbols only: a misspelt keyword must not pass for a name
        if (mtp_element_number(arg[iarg]) <= 0)
          error->all(FLERR, style + ": 'species' expects " + std::to_string(n_species) +
                                " chemical element symbol(s), one per species of potential " +
                                path + " (labels " + labels_string() + "), got '" + arg[iarg] +
                                "' (a misspelt keyword? valid keywords: " + mtp_keyword_list() +
                                ")");
        species_names.push_back(arg[iarg++]);
      }
      if ((int) species_names.size() != n_species)
        error->all(FLERR, style + ": 'species' needs " + std::to_string(n_species) +
                              " name(s), one per species of potential " + path + " (labels " +
                              labels_string() + "), got " +
                              std::to_string(species_names.size()) +
                              (iarg < narg ? " before the keyword '" + std::string(arg[iarg]) + "'"
                                           : ""));
      after = " after the " + std::to_string(n_species) + " name(s) of 'species' (potential " +
          path + " has " + std::to_string(n_species) + " species)";
      continue;
    }
    if (!mtp_keyword(kw))
      error->all(FLERR, style + ": unknown keyword '" + kw + "'" + after +
                            " (valid keywords: " + mtp_keyword_list() + ")");
    after.clear();
    if (iarg + 1 >= narg)
      error->all(FLERR, style + ": keyword '" + kw + "' needs a value");
    const std::string v = arg[iarg + 1];
    if (kw == "min_dist") {
      if (v == "allow")
        refuse_close = 0;
      else if (v == "refuse")
        refuse_close = 1;
      else
        error->all(FLERR, style + ": min_dist expects allow (evaluate pairs closer than the "
                                  "potential's min_dist, as MLIP) or refuse (stop with an "
                                  "error), got '" + v + "'");
    } else {
      set_grading_option(kw, v, kw);
      if (kw != "extrapolation" && kw != "extrapolation_control") grading_keys = true;
    }
    iarg += 2;
  }
  finish_settings(grading_keys);
}

/* Create the grader (extrapolation control on) and report the settings. */
void PairOpenMTP::setup_grading()
{
  graded_step = -1;
  last_graded_call = -1;
  max_grade = local_max_grade = 0.0;
  pvector[0] = 0.0;
  atom_grade.clear();
  reset_run_counters();
  if (!extrapolation_control) return;
  mtp_error err;
  err.message[0] = '\0';
  if (mtp_grader_create(pot, &grader, &err) != MTP_OK)
    error->all(FLERR, "pair_style " + style_name + ": extrapolation control needs the "
                   "active-learning (MaxVol) state of the potential: " + pot_path + ": " +
                   std::string(err.message));
  grade_nbh_mode = mtp_grader_mode(grader) == MTP_GRADE_NEIGHBORHOOD;
  if (save_cut != SAVE_FRAME && !grade_nbh_mode)
    error->all(FLERR, "pair_style " + style_name + ": save_cut needs per-atom grades, but " +
                          pot_path + " grades in configuration mode (al_mode cfg)");
  grade_row_sum.assign(mtp_potential_param_count(pot), 0.0);
  if (comm->me == 0) {
    char buf[1024];
    std::string limit = save_max > 0 ? ", at most " + std::to_string(save_max) + " per run" : "";
    snprintf(buf, sizeof buf,
             "OpenMTP: extrapolation control on (%s mode): threshold_save %g, "
             "threshold_break %g%s, grading every %d step(s)%s\n"
             "OpenMTP: frames with grade > threshold_save: %s%s%s%s\n",
             grade_nbh_mode ? "neighbourhood" : "configuration", threshold_save, threshold_break,
             threshold_break > threshold_save ? "" : " (off: not above threshold_save)",
             grade_every,
             grade_every > 1 ? " and on every step whose energy is tallied (thermo, fix halt "
                               "on compute pair)" : "",
             save_extrapolative_to.empty() ? "not saved (no save_extrapolative_to)"
                                           : ("appended to " + save_extrapolative_to).c_str(),
             save_extrapolative_to.empty() || save_every == 1
                 ? ""
                 : (", at most one per " + std::to_string(save_every) + " graded steps").c_str(),
             save_extrapolative_to.empty() ? "" : limit.c_str(),
             save_extrapolative_to.empty()    ? ""
             : save_cut == SAVE_CLUSTER  ? " (the cluster of radius cut_radius around the atom with the "
                                           "largest grade, written by rank 0)"
             : save_cut == SAVE_PERIODIC ? " (a periodic cell cut around the atom with the largest grade, "
                                           "force_weight column, written by rank 0)"
                                         : " (whole frames with their cell, written by rank 0)");
    utils::logmesg(lmp, buf);
  }
}

/* ---------------------------------------------------------------------- */

static bool all_digits(const std::string &s)
{
  if (s.empty()) return false;
  for (char c : s)
    if (!isdigit((unsigned char) c)) return false;
  return true;
}

/* species index for a pair_coeff token, -1 with a reason if impossible */
int PairOpenMTP::species_of_token(const std::string &tok, std::string &why) const
{
  if (all_digits(tok)) {
    long label = strtol(tok.c_str(), nullptr, 10);
    int s = (label < 1000000) ? mtp_potential_species_index(pot, (int) label) : -1;
    if (s < 0)
      why = "species label " + tok + " is not in potential " + pot_path + " (labels " +
          labels_string() + ")";
    return s;
  }
  if (!species_names.empty()) {
    for (int k = 0; k < (int) species_names.size(); k++)
      if (species_names[k] == tok) return k;
    std::string names;
    for (auto &n : species_names) names += " " + n;
    why = "'" + tok + "' is not one of the species named on pair_style (" + names.substr(1) + ")";
    return -1;
  }
  int z = mtp_element_number(tok.c_str());
  if (z <= 0) {
    why = "'" + tok + "' is not a chemical element symbol, a species label number or NULL";
    return -1;
  }
  bool relative = false;
  for (int k = 0; k < n_species; k++)
    if (mtp_potential_species_label(pot, k) == 0) relative = true;
  if (relative) {
    why = "potential " + pot_path + " uses relative species labels (" + labels_string() +
        "), so element names cannot be matched to its species; name them with "
        "'pair_style mtp <file> species El0 El1 ...' or give label numbers in pair_coeff";
    return -1;
  }
  int s = mtp_potential_species_index(pot, z);
  if (s < 0)
    why = "element " + tok + " (Z=" + std::to_string(z) + ") is not a species of potential " +
        pot_path + " (labels " + labels_string() + ")";
  return s;
}

/* ----------------------------------------------------------------------
   pair_coeff * *                    type t -> species with label t-1 (MLIP)
   pair_coeff * * El1 El2 ... ElN    one token per LAMMPS type: element
                                     symbol, species label number, or NULL
                                     (NULL only as a hybrid sub-style)
------------------------------------------------------------------------- */

void PairOpenMTP::coeff(int narg, char **arg)
{
  if (!allocated) allocate();
  const std::string cmd = "pair_coeff (pair_style " + style_name + ")";
  if (narg < 2 || strcmp(arg[0], "*") != 0 || strcmp(arg[1], "*") != 0)
    error->all(FLERR, cmd + ": the first two arguments must be '* *'");
  if (!pot) error->all(FLERR, cmd + ": no potential loaded");
  const int ntypes = atom->ntypes;
  const bool hybrid = (force->pair != this);
  type_map.assign(ntypes + 1, -1);

  if (narg == 2) {
    for (int t = 1; t <= ntypes; t++) {
      int s = mtp_potential_species_index(pot, t - 1);
      if (s < 0)
        error->all(FLERR, cmd + ": atom type " + std::to_string(t) + " maps to species label " +
                              std::to_string(t - 1) + ", which potential " + pot_path +
                              " does not have (labels " + labels_string() +
                              "); give one element name or label per type after '* *'");
      type_map[t] = s;
    }
  } else {
    if (narg - 2 != ntypes)
      error->all(FLERR, cmd + ": " + std::to_string(narg - 2) +
                            " names given after '* *' but there are " + std::to_string(ntypes) +
                            " atom types (give exactly one element, label or NULL per type)");
    for (int t = 1; t <= ntypes; t++) {
      std::string tok = arg[t + 1];
      if (tok == "NULL") {
        if (!hybrid)
          error->all(FLERR, cmd + ": NULL (type " + std::to_string(t) +
                                ") is only allowed when " + style_name +
                                " is a sub-style of pair_style hybrid");
        continue;
      }
      std::string why;
      int s = species_of_token(tok, why);
      if (s < 0) error->all(FLERR, cmd + ": atom type " + std::to_string(t) + ": " + why);
      type_map[t] = s;
    }
  }

  int count = 0;
  for (int i = 1; i <= ntypes; i++)
    for (int j = i; j <= ntypes; j++) {
      setflag[i][j] = (type_map[i] >= 0 && type_map[j] >= 0) ? 1 : 0;
      count += setflag[i][j];
    }
  if (count == 0) error->all(FLERR, cmd + ": no atom type is mapped to a species");
}

/* ---------------------------------------------------------------------- */

void PairOpenMTP::init_style()
{
  if (!pot) error->all(FLERR, "pair_style " + style_name + ": no potential loaded");
  require_metal_units();
  if (force->newton_pair == 0)
    error->all(FLERR, "pair_style " + style_name +
                          " requires 'newton on' (newton_pair on): forces on ghost atoms "
                          "are reverse-communicated");
  if ((int) type_map.size() != atom->ntypes + 1)
    error->all(FLERR, "pair_style " + style_name + ": pair_coeff * * ... has not been given");
  // save_max and save_every count per run (run, minimize)
  reset_run_counters();

#if OPENMTP_LAMMPS_ADD_REQUEST
  neighbor->add_request(this, NeighConst::REQ_FULL);
#else
  int irequest = neighbor->request(this, instance_me);
  neighbor->requests[irequest]->half = 0;
  neighbor->requests[irequest]->full = 1;
#endif
}

double PairOpenMTP::init_one(int i, int j)
{
  if (setflag[i][j] == 0) error->all(FLERR, "All pair coeffs are not set");
  return cutoff;
}

double PairOpenMTP::memory_usage()
{
  double bytes = Pair::memory_usage();
  bytes += (double) (rij.capacity() + drij.capacity()) * sizeof(double);
  bytes += (double) (nbh_species.capacity() + nbh_index.capacity()) * sizeof(int);
  return bytes;
}

/* ---------------------------------------------------------------------- */

void PairOpenMTP::compute(int eflag, int vflag)
{
  ev_init(eflag, vflag);
  force_calls++;

  double **f = atom->f;
  double eng = 0.0;
  double v[6] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  mtp_error err;

  // Grade at this force call?  Every grade_every-th step, on steps whose
  // global energy is tallied (thermo output, fix halt and anything else that
  // reads compute pair, so that c_ID[1] is never the grade of an older step),
  // and when fix pair asks for it (grade_flag).
  const bool grading = grader && (update->ntimestep % grade_every == 0 || eflag_global ||
                                  grade_request);
  long n_graded = 0;
  if (grading) begin_grading();

  // Atoms go to the library in chunks, so that its contraction stage can
  // work on several sites at once (mtp_sites_eval).
  const int inum = list->inum;
  const int CHUNK = 64;
  for (int i0 = 0; i0 < inum; i0 += CHUNK) {
    const int ns = gather_chunk(i0, i0 + CHUNK < inum ? i0 + CHUNK : inum);

    // when grading, the same pass also gives the site rows dV_i/dtheta
    if (grading && grade_rows.size() < (size_t) ns * grade_row_sum.size())
      grade_rows.resize((size_t) ns * grade_row_sum.size());
    mtp_status st = mtp_sites_eval(calc, ns, site_species.data(), site_offset.data(), nbh_species.data(),
                                   rij.data(), site_energy.data(), drij.data(),
                                   grading ? grade_rows.data() : nullptr, &err);
    if (st != MTP_OK) {
      // name the atom: evaluate the chunk's sites one by one
      for (int s = 0; s < ns; s++) {
        const long o = site_offset[s];
        if (mtp_site_eval(calc, site_species[s], (int) (site_offset[s + 1] - o), nbh_species.data() + o,
                          rij.data() + 3 * o, nullptr, drij.data() + 3 * o, nullptr, nullptr, &err) != MTP_OK)
          error->one(FLERR, "pair_style " + style_name + ": atom " +
                                std::to_string((long long) atom->tag[site_atom[s]]) + ": " +
                                std::string(err.message));
      }
      error->one(FLERR, "pair_style " + style_name + ": " + std::string(err.message));
    }

    if (grading) grade_chunk(ns, n_graded, true);

    for (int s = 0; s < ns; s++) {
      const int i = site_atom[s];
      const double ei = site_energy[s];
      const double *r = rij.data(), *d = drij.data();
      // an overflowing potential must stop the run, not integrate NaN
      bool finite = std::isfinite(ei);
      for (long k = 3 * site_offset[s]; finite && k < 3 * site_offset[s + 1]; k++) finite = std::isfinite(d[k]);
      if (!finite)
        error->one(FLERR, "pair_style " + style_name + ": step " + std::to_string((long long) update->ntimestep) +
                              ": atom " + std::to_string((long long) atom->tag[i]) +
                              ": non-finite energy or force (the potential overflows here)");
      const int *idx = nbh_index.data();
      double fix = 0.0, fiy = 0.0, fiz = 0.0;
      for (long k = site_offset[s]; k < site_offset[s + 1]; k++) {
        const int j = idx[k];
        const double dx = d[3 * k], dy = d[3 * k + 1], dz = d[3 * k + 2];
        fix += dx;
        fiy += dy;
        fiz += dz;
        f[j][0] -= dx;
        f[j][1] -= dy;
        f[j][2] -= dz;
        if (vflag_either) {
          const double rx = r[3 * k], ry = r[3 * k + 1], rz = r[3 * k + 2];
          // pair term of sum_a x_a (x) F_a: (x_j - x_i) (x) F_j = -r_ij (x) d_ij
          const double vxx = -rx * dx, vyy = -ry * dy, vzz = -rz * dz;
          const double vxy = -rx * dy, vxz = -rx * dz, vyz = -ry * dz;
          if (vflag_global) {
            v[0] += vxx;
            v[1] += vyy;
            v[2] += vzz;
            v[3] += vxy;
            v[4] += vxz;
            v[5] += vyz;
          }
          if (vflag_atom) {
            double *vi = vatom[i], *vj = vatom[j];
            vi[0] += 0.5 * vxx; vj[0] += 0.5 * vxx;
            vi[1] += 0.5 * vyy; vj[1] += 0.5 * vyy;
            vi[2] += 0.5 * vzz; vj[2] += 0.5 * vzz;
            vi[3] += 0.5 * vxy; vj[3] += 0.5 * vxy;
            vi[4] += 0.5 * vxz; vj[4] += 0.5 * vxz;
            vi[5] += 0.5 * vyz; vj[5] += 0.5 * vyz;
          }
          if (cvflag_atom) {
            double *cj = cvatom[j];
            cj[0] += vxx;
            cj[1] += vyy;
            cj[2] += vzz;
            cj[3] += vxy;
            cj[4] += vxz;
            cj[5] += vyz;
            cj[6] += -ry * dx;    // yx
            cj[7] += -rz * dx;    // zx
            cj[8] += -rz * dy;    // zy
          }
        }
      }
      f[i][0] += fix;
      f[i][1] += fiy;
      f[i][2] += fiz;
      if (eflag_global) eng += ei;
      if (eflag_atom) eatom[i] += ei;
    }
  }

  if (eflag_global) eng_vdwl += eng;
  if (vflag_global)
    for (int c = 0; c < 6; c++) virial[c] += v[c];
  if (vflag_fdotr) virial_fdotr_compute();
  if (grading) finish_grading(n_graded);
}

/* Fill the site buffers (site_offset, site_atom, site_species and the
   neighbour arrays rij, nbh_species, nbh_index) with the mapped local atoms
   ilist[i0..i1) and their neighbours inside the cutoff; returns the number of
   sites. */
int PairOpenMTP::gather_chunk(int i0, int i1)
{
  double **x = atom->x;
  const int *type = atom->type;
  const int *ilist = list->ilist;
  const int *numneigh = list->numneigh;
  int **firstneigh = list->firstneigh;
  const int *tmap = type_map.data();

  const size_t chunk = (size_t) (i1 - i0);
  if (site_atom.size() < chunk) {
    site_offset.resize(chunk + 1);
    site_atom.resize(chunk);
    site_species.resize(chunk);
    site_energy.resize(chunk);
  }
  int ns = 0;
  long tot = 0;
  site_offset[0] = 0;
  for (int ii = i0; ii < i1; ii++) {
    const int i = ilist[ii];
    const int si = tmap[type[i]];
    if (si < 0) continue;
    const double xi = x[i][0], yi = x[i][1], zi = x[i][2];
    const int *jlist = firstneigh[i];
    const int jnum = numneigh[i];
    if ((long) nbh_index.size() < tot + jnum) {
      size_t cap = (size_t) (tot + jnum) + (size_t) (tot + jnum) / 2 + 16;
      rij.resize(3 * cap);
      drij.resize(3 * cap);
      nbh_species.resize(cap);
      nbh_index.resize(cap);
    }
    double *r = rij.data() + 3 * tot;
    int *sp = nbh_species.data() + tot;
    int *idx = nbh_index.data() + tot;
    int n = 0;
    for (int jj = 0; jj < jnum; jj++) {
      const int j = jlist[jj] & NEIGHMASK;
      const int sj = tmap[type[j]];
      if (sj < 0) continue;
      const double dx = x[j][0] - xi, dy = x[j][1] - yi, dz = x[j][2] - zi;
      const double rsq = dx * dx + dy * dy + dz * dz;
      if (rsq >= cutoffsq || rsq <= 0.0) continue;
      if (rsq < mindistsq && refuse_close)
        error->one(FLERR, "pair_style " + style_name + ": atoms " +
                              std::to_string((long long) atom->tag[i]) + " and " +
                              std::to_string((long long) atom->tag[j]) + " are " +
                              std::to_string(sqrt(rsq)) + " A apart, closer than the potential's "
                              "min_dist " + std::to_string(sqrt(mindistsq)) +
                              " A (min_dist refuse)");
      r[3 * n] = dx;
      r[3 * n + 1] = dy;
      r[3 * n + 2] = dz;
      sp[n] = sj;
      idx[n] = j;
      n++;
    }
    site_atom[ns] = i;
    site_species[ns] = si;
    tot += n;
    site_offset[++ns] = tot;
  }
  return ns;
}

/* ----------------------------------------------------------------------
   Extrapolation control (MLIP-3 semantics, see pair_mtp/README.md).
   Neighbourhood mode: the grade of atom i is that of its site row
   dV_i/dtheta; the configuration's grade is the maximum over all atoms of
   all ranks.  Configuration mode: the site rows are summed over all atoms
   and ranks and graded once.
------------------------------------------------------------------------- */

void PairOpenMTP::begin_grading()
{
  local_max_grade = 0.0;
  atom_grade.assign(atom->nlocal, 0.0);
  if (!grade_nbh_mode) std::fill(grade_row_sum.begin(), grade_row_sum.end(), 0.0);
}

/* the rows of the ns sites in the buffers (in grade_rows if have_rows, from
   the force pass; computed here otherwise): per-atom grades (nbh mode) or
   their sum (configuration mode) */
void PairOpenMTP::grade_chunk(int ns, long &n_graded, bool have_rows)
{
  const size_t P = grade_row_sum.size();
  if (!have_rows) {
    if (grade_rows.size() < (size_t) ns * P) grade_rows.resize((size_t) ns * P);
    mtp_error err;
    if (mtp_sites_eval(calc, ns, site_species.data(), site_offset.data(), nbh_species.data(), rij.data(),
                       nullptr, nullptr, grade_rows.data(), &err) != MTP_OK) {
      // name the atom: evaluate the chunk's sites one by one
      for (int s = 0; s < ns; s++) {
        const long o = site_offset[s];
        if (mtp_site_eval(calc, site_species[s], (int) (site_offset[s + 1] - o), nbh_species.data() + o,
                          rij.data() + 3 * o, nullptr, nullptr, nullptr, grade_rows.data(), &err) != MTP_OK)
          error->one(FLERR, "pair_style " + style_name + ": grading atom " +
                                std::to_string((long long) atom->tag[site_atom[s]]) + ": " +
                                std::string(err.message));
      }
      error->one(FLERR, "pair_style " + style_name + ": grading: " + std::string(err.message));
    }
  }
  const double *rows = grade_rows.data();
  if (grade_nbh_mode) {
    if (chunk_grades.size() < (size_t) ns) chunk_grades.resize(ns);
    mtp_grade_site_rows(grader, ns, rows, chunk_grades.data());
    for (int s = 0; s < ns; s++) {
      const double g = chunk_grades[s];
      atom_grade[site_atom[s]] = g;
      if (g > local_max_grade) local_max_grade = g;
    }
  } else {
    double *sum = grade_row_sum.data();
    for (int s = 0; s < ns; s++)
      for (size_t k = 0; k < P; k++) sum[k] += rows[s * P + k];
  }
  n_graded += ns;
}

/* global grade of this grading (collective); configuration mode: every
   mapped atom gets the configuration grade */
double PairOpenMTP::reduce_grades(long n_graded)
{
  double g = 0.0;
  if (grade_nbh_mode) {
    MPI_Allreduce(&local_max_grade, &g, 1, MPI_DOUBLE, MPI_MAX, world);
  } else {
    long ntot = 0;
    MPI_Allreduce(&n_graded, &ntot, 1, MPI_LONG, MPI_SUM, world);
    if (comm->nprocs > 1)
      MPI_Allreduce(MPI_IN_PLACE, grade_row_sum.data(), (int) grade_row_sum.size(), MPI_DOUBLE,
                    MPI_SUM, world);
    g = ntot > 0 ? mtp_grade_cfg_row(grader, grade_row_sum.data(), ntot) : 0.0;
    local_max_grade = g;
    const int *type = atom->type;
    for (int i = 0; i < atom->nlocal; i++)
      if (type_map[type[i]] >= 0) atom_grade[i] = g;
  }
  max_grade = g;
  pvector[0] = comm->me == 0 ? g : 0.0;
  graded_step = update->ntimestep;
  last_graded_call = force_calls;
  return g;
}

void PairOpenMTP::reset_run_counters()
{
  run_graded = 0;
  run_last_saved = -1;
  run_saved = run_skipped = 0;
  run_save_max_told = 0;
}

/* After a graded force call: save (threshold_save, save_every, save_max) and
   stop (threshold_break).  All decisions use global values, so every rank
   takes the same branch (saving is collective). */
void PairOpenMTP::finish_grading(long n_graded)
{
  const double g = reduce_grades(n_graded);
  run_graded++;
  const bool breaking = threshold_break > threshold_save && g > threshold_break;

  // what happened to this frame, for the threshold_break message
  std::string saved_note;
  if (!save_extrapolative_to.empty() && g > threshold_save) {
    if (save_max > 0 && run_saved >= save_max) {
      run_skipped++;
      saved_note = "; not saved to " + save_extrapolative_to + ": save_max " +
          std::to_string(save_max) + " frames already written in this run";
      if (!run_save_max_told && comm->me == 0) {
        utils::logmesg(lmp, "OpenMTP: save_max " + std::to_string(save_max) + " reached at step " +
                                std::to_string((long long) update->ntimestep) + ": " +
                                std::to_string(save_max) + " frames of this run are in " +
                                save_extrapolative_to +
                                "; later extrapolative frames of this run are not saved\n");
      }
      run_save_max_told = 1;
    } else if (!breaking && run_last_saved >= 0 && run_graded - run_last_saved < save_every) {
      run_skipped++;    // save_every: too soon after the last saved frame
    } else {
      save_configuration(g);
      run_saved++;
      run_last_saved = run_graded;
      saved_note = "; this configuration was appended to " + save_extrapolative_to +
          " (frame " + std::to_string(run_saved) + " saved in this run)";
    }
  }
  if (breaking) {
    char buf[256];
    snprintf(buf, sizeof buf,
             "pair_style %s: extrapolation grade %g exceeds threshold_break %g at step "
             BIGINT_FORMAT,
             style_name.c_str(), g, threshold_break, update->ntimestep);
    error->all(FLERR, std::string(buf) + saved_note);
  }
}

/* Append the current configuration, whole, to save_extrapolative_to (text
   .cfg, feature MV_grade, nbh_grades column in neighbourhood mode): the
   mapped atoms of all ranks are gathered to rank 0, which sorts them by atom
   ID and writes them with the periodic cell.  Collective.  Returns true on
   the rank that wrote. */
bool PairOpenMTP::save_configuration(double grade)
{
  const int nlocal = atom->nlocal;
  const int *type = atom->type;
  double **x = atom->x;
  const int *tmap = type_map.data();
  char gbuf[64];
  snprintf(gbuf, sizeof gbuf, "%f", grade);
  mtp_error err;
  err.message[0] = '\0';

  const int W = 6;    // tag, label, x, y, z, grade
  std::vector<double> mine;
  mine.reserve((size_t) W * nlocal);
  for (int i = 0; i < nlocal; i++) {
    if (tmap[type[i]] < 0) continue;
    mine.push_back((double) atom->tag[i]);
    mine.push_back((double) mtp_potential_species_label(pot, tmap[type[i]]));
    for (int d = 0; d < 3; d++) mine.push_back(x[i][d] - domain->boxlo[d]);
    mine.push_back(atom_grade[i]);
  }
  std::vector<double> all;
  if (comm->nprocs > 1) {
    int cnt = (int) mine.size();
    std::vector<int> counts(comm->nprocs), displs(comm->nprocs);
    MPI_Gather(&cnt, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, world);
    long tot = 0;
    if (comm->me == 0)
      for (int r = 0; r < comm->nprocs; r++) {
        displs[r] = (int) tot;
        tot += counts[r];
      }
    all.resize(comm->me == 0 ? tot : 0);
    MPI_Gatherv(mine.data(), cnt, MPI_DOUBLE, all.data(), counts.data(), displs.data(),
                MPI_DOUBLE, 0, world);
  } else {
    all.swap(mine);
  }
  if (comm->me != 0) return false;

  const int n = (int) (all.size() / W);
  std::vector<int> order(n);
  for (int k = 0; k < n; k++) order[k] = k;
  std::sort(order.begin(), order.end(),
            [&](int a, int b) { return all[(size_t) W * a] < all[(size_t) W * b]; });
  mtp_cfg cfg;
  mtp_cfg_init(&cfg);
  if (mtp_cfg_alloc(&cfg, n, grade_nbh_mode ? MTP_CFG_NBH_GRADES : 0, &err) != MTP_OK)
    error->one(FLERR, "pair_style " + style_name + ": " + std::string(err.message));
  for (int k = 0; k < n; k++) {
    const double *a = all.data() + (size_t) W * order[k];
    cfg.types[k] = (int) a[1];
    for (int d = 0; d < 3; d++) cfg.positions[3 * k + d] = a[2 + d];
    if (grade_nbh_mode) cfg.nbh_grades[k] = a[5];
  }
  // LAMMPS box -> lattice rows (xprd,0,0), (xy,yprd,0), (xz,yz,zprd);
  // non-periodic directions are left out (zero rows)
  const double L[3][3] = {{domain->xprd, 0.0, 0.0},
                          {domain->xy, domain->yprd, 0.0},
                          {domain->xz, domain->yz, domain->zprd}};
  const int per[3] = {domain->xperiodic, domain->yperiodic, domain->zperiodic};
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) cfg.lattice[r][c] = per[r] ? L[r][c] : 0.0;
  if (save_cut != SAVE_FRAME) cut_for_saving(&cfg);
  if (mtp_cfg_set_feature(&cfg, "MV_grade", gbuf, &err) != MTP_OK)
    error->one(FLERR, "pair_style " + style_name + ": " + std::string(err.message));

  const std::string &path = save_extrapolative_to;
  mtp_write_options opt;
  memset(&opt, 0, sizeof opt);
  FILE *fp = fopen(path.c_str(), "a");
  if (!fp)
    error->one(FLERR, "pair_style " + style_name + ": cannot open save_extrapolative_to file " +
                          path + ": " + std::string(strerror(errno)));
  mtp_status st = mtp_write_cfg(fp, path.c_str(), &cfg, MTP_FORMAT_CFG, &opt, &err);
  if (fclose(fp) != 0 && st == MTP_OK)
    error->one(FLERR, "pair_style " + style_name + ": error writing " + path + ": " +
                          std::string(strerror(errno)));
  if (st != MTP_OK)
    error->one(FLERR, "pair_style " + style_name + ": writing " + path + ": " +
                          std::string(err.message));
  mtp_cfg_free(&cfg);
  return true;
}

void PairOpenMTP::parse_save_cut(const std::string &v, const std::string &what)
{
  int logical = 1;
  if (v == "none" || v == "frame" || (openmtp_lammps::parse_logical(v, logical) && !logical))
    save_cut = SAVE_FRAME;
  else if (v == "cluster")
    save_cut = SAVE_CLUSTER;
  else if (v == "periodic")
    save_cut = SAVE_PERIODIC;
  else
    error->all(FLERR, what + " expects no (save whole frames), cluster or periodic, got '" + v +
                          "'" + (openmtp_lammps::parse_logical(v, logical)
                                     ? " (yes does not say which cut: cluster or periodic)"
                                     : ""));
#if !OPENMTP_HAVE_CUT
  if (save_cut != SAVE_FRAME)
    error->all(FLERR, "pair_style " + style_name + ": save_cut " + v +
                          " needs a libopenmtp with mtp_cut_cluster/mtp_cut_periodic (this build "
                          "has none)");
#endif
}

/* Replace the whole frame *cfg (rank 0, with nbh_grades) by what save_cut asks for:
   MLIP-3's spherical cluster (cut_extrapolative_nbh; radius cut_radius, default 7 A)
   or a small periodic cell (core radius cut_radius, default 0: the centre atom's
   force is trusted) around the atom with the largest grade -- or, by the library's
   whole rule, the frame itself when it is no bigger than that cell. */
void PairOpenMTP::cut_for_saving(mtp_cfg *cfg)
{
#if OPENMTP_HAVE_CUT
  mtp_error err;
  err.message[0] = '\0';
  double g = 0.0;
  const int center = mtp_cfg_max_grade_atom(cfg, &g);
  if (center < 0) return;    // no grade > 0: keep the frame
  mtp_cfg cut;
  mtp_cfg_init(&cut);
  mtp_status st;
  char buf[256];
  // the features of `mtp cut_extrapolative_nbh` (without its counters)
  std::vector<std::pair<std::string, std::string>> features;
  features.emplace_back("nbh#", std::to_string(center));
  snprintf(buf, sizeof buf, "%f", g);
  features.emplace_back("extrapolation_grade", buf);
  if (save_cut == SAVE_CLUSTER) {
    st = mtp_cut_cluster(cfg, center, cut_radius >= 0.0 ? cut_radius : 7.0, &cut, &err);
  } else {
    mtp_cut_periodic_options opt;
    mtp_cut_periodic_options_default(&opt);
    opt.cutoff = cutoff;
    if (cut_radius >= 0.0) opt.core = cut_radius;
    mtp_cut_report rep;
    // the library applies the rule of `mtp cut_extrapolative_nbh --periodic` (a frame
    // no bigger than its cut is saved whole) and sets cut_geometry, EnergyWeight and
    // StressWeight, so both routes give the same cell
    st = mtp_cut_periodic(cfg, 1, &center, &opt, &cut, &rep, &err);
  }
  if (st != MTP_OK)
    error->one(FLERR, "pair_style " + style_name + ": save_cut: around atom " +
                          std::to_string(center + 1) + " (by ID order) of the extrapolative configuration: " +
                          std::string(err.message));
  for (auto &f : features)
    if (mtp_cfg_set_feature(&cut, f.first.c_str(), f.second.c_str(), &err) != MTP_OK)
      error->one(FLERR, "pair_style " + style_name + ": " + std::string(err.message));
  mtp_cfg_free(cfg);
  *cfg = cut;
#else
  (void) cfg;
#endif
}

const double *PairOpenMTP::current_atom_grades()
{
  if (!grader) return nullptr;
  if (last_graded_call == force_calls && force_calls > 0 &&
      atom_grade.size() >= (size_t) atom->nlocal)
    return atom_grade.data();
  if (force_calls == 0 || !list)
    error->all(FLERR, "compute mtp/atom: pair_style " + style_name +
                          " has not computed forces yet (the grades need its neighbour list)");
  // the last force call was not graded (grade_every): grade the current
  // configuration now, with the neighbour list of that force call
  begin_grading();
  long n_graded = 0;
  const int inum = list->inum;
  const int CHUNK = 64;
  for (int i0 = 0; i0 < inum; i0 += CHUNK)
    grade_chunk(gather_chunk(i0, i0 + CHUNK < inum ? i0 + CHUNK : inum), n_graded, false);
  reduce_grades(n_graded);
  return atom_grade.data();
}

/* "max_grade" (also "grade"): the global grade of the last grading (double);
   "grade_flag": an int that fix pair sets to make the next force call grade */
void *PairOpenMTP::extract(const char *str, int &dim)
{
  dim = 0;
  if (strcmp(str, "max_grade") == 0 || strcmp(str, "grade") == 0) return (void *) &max_grade;
  if (strcmp(str, "grade_flag") == 0 && grader) return (void *) &grade_request;
  return nullptr;
}

#if OPENMTP_LAMMPS_EXTRACT_PERATOM
/* fix ID all pair N mtp grade 1: the per-atom grade of the force call that
   fix pair triggered (as compute mtp/atom) */
void *PairOpenMTP::extract_peratom(const char *str, int &ncol)
{
  ncol = 0;
  if (strcmp(str, "grade") != 0 || !grader) return nullptr;
  // never a null pointer (fix pair treats that as "unknown field"), also with 0 local atoms
  if (atom_grade.size() < (size_t) atom->nlocal + 1) atom_grade.resize(atom->nlocal + 1, 0.0);
  return (void *) atom_grade.data();
}
#endif

/* ======================================================================
   pair_style mlip: MLIP-3 (key=value) and MLIP-2 (mlip.ini) front ends
   ====================================================================== */

PairOpenMLIP::PairOpenMLIP(LAMMPS *lmp) : PairOpenMTP(lmp, "mlip") {}

/* every key=value key pair_style mlip takes (also with the mlip: and
   extrapolation_control: prefixes), for messages */
static const char *const MLIP_KEYS =
    "load_from, extrapolation_control, threshold_save, threshold_break, save_extrapolative_to, "
    "add_grade_feature, log, calculate_efs, select, fit, lotf, write_cfgs, check_errors, "
    "abinitio (MLIP-3), grade_every, save_every, save_max, save_cut, cut_radius (OpenMTP)";

/* pair_style mlip load_from=pot.almtp [extrapolation_control=true|false]
 *     [threshold_save=X] [threshold_break=Y] [save_extrapolative_to=F]
 *     [grade_every=N] [save_every=N] [save_max=M] [save_cut=...] [cut_radius=R]
 *     (OpenMTP extensions)
 * (also extrapolation_control:threshold_save=X etc., and mlip:load_from=)
 * or MLIP-2:  pair_style mlip mlip.ini   (key value lines, mtp-filename). */
void PairOpenMLIP::settings(int narg, char **arg)
{
  using namespace openmtp_lammps;
  require_metal_units();
  if (narg < 1)
    error->all(FLERR, "Illegal pair_style mlip command: expected "
                      "'pair_style mlip load_from=<potential> [key=value ...]' with keys " +
                          std::string(MLIP_KEYS));
  std::string path;
  reset_options();
  bool grading_keys = false;

  if (narg == 1 && strchr(arg[0], '=') == nullptr) {
    // MLIP-2 interface: pair_style mlip mlip.ini
    std::ifstream in(arg[0]);
    if (!in)
      error->all(FLERR, "pair_style mlip: cannot open '" + std::string(arg[0]) +
                            "' (MLIP-2 form 'pair_style mlip mlip.ini'; MLIP-3 form is "
                            "'pair_style mlip load_from=pot.almtp')");
    std::string line, first;
    int lineno = 0;
    while (std::getline(in, line)) {
      lineno++;
      size_t h = line.find('#');
      if (h != std::string::npos) line.erase(h);
      std::istringstream ls(line);
      std::string key, val;
      if (!(ls >> key)) continue;
      if (first.empty()) first = key;
      ls >> val;
      const std::string where = std::string(arg[0]) + ":" + std::to_string(lineno) + ": ";
      int b = 0;
      if (key == "mtp-filename") {
        path = val;
      } else if (key == "calculate-efs") {
        if (!parse_logical(val, b))
          error->all(FLERR, "pair_style mlip: " + where + "calculate-efs expects TRUE or FALSE, "
                                "got '" + val + "'");
        if (!b) error->all(FLERR, "pair_style mlip: " + where + "calculate-efs FALSE is not supported");
      } else if (key == "select" || key == "fit") {
        if (!parse_logical(val, b))
          error->all(FLERR, "pair_style mlip: " + where + key + " expects TRUE or FALSE, got '" +
                                val + "'");
        if (b)
          error->all(FLERR, "pair_style mlip: " + where + key +
                                " TRUE (MLIP-2 extrapolation control / learning on the fly) "
                                "is not supported by OpenMTP; use the MLIP-3 form "
                                "'pair_style mlip load_from=pot.almtp extrapolation_control=true'");
      }
      // other keys are ignored, as MLIP-2 does for unknown keys
    }
    if (path.empty()) {
      if (first == "MTP")
        error->all(FLERR, "pair_style mlip: " + std::string(arg[0]) +
                              " is a potential file, not an MLIP-2 mlip.ini: write 'pair_style "
                              "mlip load_from=" + std::string(arg[0]) + "' (or 'pair_style mtp " +
                              std::string(arg[0]) + "')");
      error->all(FLERR, "pair_style mlip: " + std::string(arg[0]) + " has no mtp-filename");
    }
    // relative to the ini file's directory if not found as given
    std::ifstream probe(path);
    if (!probe) {
      std::string ini = arg[0];
      size_t slash = ini.rfind('/');
      if (slash != std::string::npos && path[0] != '/') path = ini.substr(0, slash + 1) + path;
    }
  } else {
    for (int iarg = 0; iarg < narg; iarg++) {
      std::string a = arg[iarg];
      size_t eq = a.find('=');
      if (eq == std::string::npos)
        error->all(FLERR, "pair_style mlip: expected key=value, got '" + a +
                              "' (pair_style mlip takes key=value arguments without spaces "
                              "around '=', e.g. extrapolation_control=true; keys: " +
                              std::string(MLIP_KEYS) + ")");
      if (eq == 0 || eq + 1 == a.size())
        error->all(FLERR, "pair_style mlip: '" + a + "' has no " + (eq == 0 ? "key" : "value") +
                              " (pair_style mlip takes key=value arguments without spaces "
                              "around '=')");
      std::string key = a.substr(0, eq), val = a.substr(eq + 1);
      if (key.compare(0, 5, "mlip:") == 0) key = key.substr(5);
      if (key.compare(0, 22, "extrapolation_control:") == 0) key = key.substr(22);
      const std::string shown = a.substr(0, eq + 1);
      auto bad = [&](const std::string &expected) {
        error->all(FLERR, "pair_style mlip: " + shown + " expects " + expected + ", got '" + val +
                              "'");
      };
      int b = 0;
      if (key == "load_from") {
        path = val;
      } else if (key == "extrapolation") {
        // pair_style mtp's spelling: not an MLIP-3 key
        error->all(FLERR, "pair_style mlip: unknown key 'extrapolation' (pair_style mlip: "
                          "extrapolation_control=true|false)");
      } else if (set_grading_option(key, val, shown)) {
        if (key != "extrapolation_control") grading_keys = true;
      } else if (key == "add_grade_feature") {
        // MLIP-3 writes the MV_grade feature unless this is false; OpenMTP always does
        if (!parse_logical(val, b)) bad(LOGICAL_VALUES);
        if (!b && comm->me == 0)
          error->warning(FLERR, "pair_style mlip: add_grade_feature=false is ignored: saved "
                                "configurations always carry the MV_grade feature");
        grading_keys = true;
      } else if (key == "log") {
        // MLIP-3's extrapolation-control log; OpenMTP reports to the LAMMPS log
        grading_keys = true;
      } else if (key == "calculate_efs") {
        if (!parse_logical(val, b)) bad(LOGICAL_VALUES);
        if (!b) error->all(FLERR, "pair_style mlip: calculate_efs=" + val + " is not supported");
      } else if (key == "select" || key == "fit" || key == "lotf" || key == "write_cfgs" ||
                 key == "check_errors") {
        if (!parse_logical(val, b)) bad(LOGICAL_VALUES);
        if (b)
          error->all(FLERR, "pair_style mlip: " + shown + val + " (MLIP-3 learning on the fly) "
                                "is not supported by OpenMTP");
      } else if (key == "abinitio") {
        if (!(parse_logical(val, b) && !b) && val != "none" && val != "null")
          error->all(FLERR, "pair_style mlip: " + shown + val + " (MLIP-3 learning on the fly) "
                                "is not supported by OpenMTP");
      } else {
        error->all(FLERR, "pair_style mlip: unknown keyword '" + key + "' in '" + a +
                              "' (valid keys: " + std::string(MLIP_KEYS) + ")");
      }
    }
    if (path.empty()) error->all(FLERR, "pair_style mlip: load_from=<potential> is required");
  }

  load_potential(path);
  finish_settings(grading_keys);
}
