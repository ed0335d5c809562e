# SPDX-License-Identifier: BSD-3-Clause
"""The ctypes mirrors of openmtp.h's records match the compiled header
(offsets and sizes printed by cfg_layout.c, whose path is OPENMTP_CFG_LAYOUT)."""
import ctypes
import os
import subprocess

import openmtp
from openmtp import _cfg, _lib
from testlib import Skip, run_tests


def test_records_match_header():
    exe = os.environ.get("OPENMTP_CFG_LAYOUT")
    if not exe or not os.path.exists(exe):
        raise Skip("OPENMTP_CFG_LAYOUT (the compiled cfg_layout.c) not given")
    _lib.lib()  # settles the mtp_cfg layout against the loaded library
    classes = {"mtp_cfg": _cfg.mtp_cfg, "mtp_feature": _cfg.mtp_feature,
               "mtp_error": _lib.mtp_error, "mtp_read_options": _cfg.mtp_read_options,
               "mtp_write_options": _cfg.mtp_write_options,
               "mtp_potential_info": _cfg.mtp_potential_info,
               "mtp_basis_options": _cfg.mtp_basis_options,
               "mtp_active_set_options": _cfg.mtp_active_set_options}
    out = subprocess.run([exe], stdout=subprocess.PIPE, text=True, check=True).stdout
    checked = 0
    for line in out.splitlines():
        record, field, value = line.split()
        cls = classes[record]
        mine = ctypes.sizeof(cls) if field == "sizeof" else getattr(cls, field).offset
        assert mine == int(value), "%s.%s: header says %s, ctypes mirror %d" % (
            record, field, value, mine)
        checked += 1
    assert checked > 40
    # the mirror has no field the header lacks
    header_cfg_fields = {l.split()[1] for l in out.splitlines() if l.startswith("mtp_cfg ")}
    extra = {f for f, _t in _cfg.mtp_cfg._fields_} - header_cfg_fields
    assert not extra, "ctypes mtp_cfg has fields the header lacks: %s" % extra


if __name__ == "__main__":
    run_tests(globals())
