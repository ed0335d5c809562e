/* Quantum ESPRESSO pw.x output reader: placeholder until written below. */
#include "internal.h"
const mtp_format_ops mtp_format_qe_ops = {MTP_FORMAT_QE, NULL, NULL, NULL, NULL, NULL};
