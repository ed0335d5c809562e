/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing of pair_style mtp / mlip keyword values.
 *
 * Each parser takes the whole token and either stores the value and returns
 * true, or returns false and leaves the output alone; the caller reports
 * "<style>: <keyword> expects <what>, got '<token>'" so that every message
 * names the keyword, what it accepts and what it was given (LAMMPS' own
 * utils::numeric/inumeric name neither the keyword nor the range). */
#ifndef OPENMTP_LMP_KEYWORD_VALUES_H
#define OPENMTP_LMP_KEYWORD_VALUES_H

#include <string>

namespace openmtp_lammps {

/* yes/no, on/off, true/false, 1/0 in any letter case: the spellings of
 * LAMMPS' utils::logical (from 2022, lower-cased) and MLIP's TRUE/FALSE */
bool parse_logical(const std::string &token, int &value);
/* what parse_logical accepts, for messages */
extern const char *const LOGICAL_VALUES;

/* a finite real number filling the whole token, >= lower */
bool parse_real(const std::string &token, double lower, double &value);

/* a decimal integer filling the whole token, lower <= value <= upper */
bool parse_int(const std::string &token, int lower, int upper, int &value);

}    // namespace openmtp_lammps

#endif
