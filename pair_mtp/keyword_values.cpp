/* SPDX-License-Identifier: BSD-3-Clause */
#include "keyword_values.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace openmtp_lammps {

const char *const LOGICAL_VALUES = "yes or no (also true/false, on/off, 1/0)";

bool parse_logical(const std::string &token, int &value)
{
  std::string s;
  for (char c : token) s += (char) tolower((unsigned char) c);
  if (s == "yes" || s == "true" || s == "on" || s == "1") {
    value = 1;
    return true;
  }
  if (s == "no" || s == "false" || s == "off" || s == "0") {
    value = 0;
    return true;
  }
  return false;
}

bool parse_real(const std::string &token, double lower, double &value)
{
  if (token.empty() || isspace((unsigned char) token[0])) return false;
  char *end = nullptr;
  errno = 0;
  const double v = strtod(token.c_str(), &end);
  // strtod also takes "nan", "inf" and hexadecimal floats; a threshold or a
  // radius of that kind is a typo, not a request
  for (char c : token)
    if (!(isdigit((unsigned char) c) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
      return false;
  if (*end != '\0' || errno == ERANGE || !std::isfinite(v) || !(v >= lower)) return false;
  value = v;
  return true;
}

bool parse_int(const std::string &token, int lower, int upper, int &value)
{
  if (token.empty()) return false;
  size_t k = (token[0] == '-' || token[0] == '+') ? 1 : 0;
  if (k == token.size()) return false;
  for (size_t i = k; i < token.size(); i++)
    if (!isdigit((unsigned char) token[i])) return false;
  errno = 0;
  const long long v = strtoll(token.c_str(), nullptr, 10);
  if (errno == ERANGE || v < lower || v > upper) return false;
  value = (int) v;
  return true;
}

}    // namespace openmtp_lammps
