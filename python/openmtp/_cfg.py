# SPDX-License-Identifier: BSD-3-Clause
"""The C records of openmtp.h as ctypes structures, and mtp_cfg <-> ase.Atoms.

mtp_cfg is a transparent struct, so its layout is mirrored here.  The
layout is checked against the loaded library when it is loaded (see
check_layout) and against the header by the test python_cfg_layout, which
compiles offsetof() of every field.  The per-atom force weights
(MTP_CFG_FORCE_WEIGHTS, `force_weight` column) are a newer optional array:
the library is probed for it, wherever its pointer sits among the optional
arrays or at the end of the struct.
"""
import ctypes

import numpy as np

from ._lib import MTPError

P = ctypes.POINTER
_I, _D = ctypes.c_int, ctypes.c_double

# Optional per-atom arrays: (field, flag, doubles per atom; 0 = one byte per atom)
OPTIONAL_ARRAYS = [
    ("forces", 1 << 0, 3),
    ("site_energies", 1 << 1, 1),
    ("charges", 1 << 2, 1),
    ("magmom", 1 << 3, 3),
    ("en_der_magmom", 1 << 4, 3),
    ("ghost", 1 << 5, 0),
    ("nbh_grades", 1 << 6, 1),
]
FORCE_WEIGHTS = ("force_weights", 1 << 7, 1)  # agreed interface of issue 8 (branch al-cut)


class mtp_feature(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("value", ctypes.c_char_p)]


def _struct(optional, tail_extra=()):
    """An mtp_cfg class with the given optional pointer fields (in order)."""
    fields = [("n_atoms", _I), ("lattice", (_D * 3) * 3), ("types", P(_I)), ("positions", P(_D))]
    for name, _flag, width in optional:
        fields.append((name, P(ctypes.c_ubyte) if width == 0 else P(_D)))
    fields += [("has_energy", _I), ("energy", _D), ("has_stress", _I), ("stress", _D * 6),
               ("n_features", _I), ("features", P(mtp_feature))]
    for name, _flag, width in tail_extra:
        fields.append((name, P(_D)))
    return type("mtp_cfg", (ctypes.Structure,), {"_fields_": fields})


# The layout of openmtp.h on main; replaced by check_layout() if the library
# has force weights.
mtp_cfg = _struct(OPTIONAL_ARRAYS)
CFG_ARRAYS = list(OPTIONAL_ARRAYS)


class mtp_read_options(ctypes.Structure):
    _fields_ = [("type_map", P(ctypes.c_char_p)), ("type_map_count", _I),
                ("absolute_types", _I), ("save_nonconverged", _I)]


class mtp_write_options(ctypes.Structure):
    _fields_ = [("no_loss", _I), ("keep_ghosts", _I), ("type_map", P(ctypes.c_char_p)),
                ("type_map_count", _I)]


class mtp_potential_info(ctypes.Structure):
    _fields_ = [(n, _I) for n in ("level", "species_count", "radial_funcs_count",
                                  "radial_basis_size", "basic_count", "moments_count",
                                  "times_count", "scalar_count", "param_count", "trained",
                                  "has_al_state", "radial_type")] + \
               [("min_dist", _D), ("max_dist", _D), ("scaling", _D)]


class mtp_basis_options(ctypes.Structure):
    _fields_ = [("level", _I), ("species_count", _I), ("species_labels", P(_I)),
                ("min_dist", _D), ("max_dist", _D), ("radial_basis_size", _I),
                ("radial_funcs_count", _I)]


class mtp_active_set_options(ctypes.Structure):
    _fields_ = [("mode", _I), ("threshold", _D), ("init_value", _D), ("weight_scaling", _I),
                ("fresh_inverse", _I)]


def check_layout(L):
    """Probe where the library keeps the optional arrays of mtp_cfg; adopt a
    layout with force_weights if the library has them; refuse a library
    whose layout matches neither (rather than read garbage)."""
    global mtp_cfg, CFG_ARRAYS
    from ._lib import new_error
    size = 4096
    buf = ctypes.create_string_buffer(size)  # larger than any mtp_cfg
    addr = ctypes.addressof(buf)
    vp = ctypes.c_void_p
    alloc, add, free = L.mtp_cfg_alloc, L.mtp_cfg_add_array, L.mtp_cfg_free
    for f in (alloc, add, free):
        f.restype = ctypes.c_int
    alloc.argtypes = [vp, _I, ctypes.c_uint, vp]
    add.argtypes = [vp, ctypes.c_uint, vp]
    free.argtypes = [vp]
    free.restype = None
    err = new_error()
    words = lambda: np.frombuffer(buf.raw, dtype=np.uint64)

    def slots_set():
        return set(np.nonzero(words())[0] * 8)

    if alloc(addr, 1, 0, ctypes.addressof(err)) != 0:
        raise MTPError("libopenmtp: mtp_cfg_alloc failed while checking the mtp_cfg layout")
    try:
        base = slots_set() - {0}  # n_atoms = 1 lies in word 0
        expect = {mtp_cfg.types.offset, mtp_cfg.positions.offset}
        if base != expect:
            raise MTPError("libopenmtp's mtp_cfg layout differs from the one this package "
                           "knows (types/positions pointers at offsets %s, expected %s)"
                           % (sorted(base), sorted(expect)))
        layout = list(OPTIONAL_ARRAYS)
        tail = []
        add(addr, FORCE_WEIGHTS[1], ctypes.addressof(err))
        new = slots_set() - base - {0}
        if new:
            off = new.pop()
            first = mtp_cfg.positions.offset + 8
            plain_end = ctypes.sizeof(mtp_cfg)
            if off == plain_end:
                tail = [FORCE_WEIGHTS]
            elif first <= off <= first + 8 * len(OPTIONAL_ARRAYS) and (off - first) % 8 == 0:
                layout.insert((off - first) // 8, FORCE_WEIGHTS)
            else:
                raise MTPError("libopenmtp's mtp_cfg has its force weights at offset %d, "
                               "a layout this package does not know" % off)
        free(addr)
        if alloc(addr, 1, 0, ctypes.addressof(err)) != 0:
            raise MTPError("libopenmtp: mtp_cfg_alloc failed while checking the mtp_cfg layout")
        cls = _struct(layout, tail)
        # every optional array must appear exactly where the chosen layout says
        for name, flag, _w in layout + tail:
            before = slots_set()
            add(addr, flag, ctypes.addressof(err))
            grown = slots_set() - before
            if grown != {getattr(cls, name).offset}:
                raise MTPError("libopenmtp's mtp_cfg layout differs from the one this package "
                               "knows (array %s at %s, expected offset %d)"
                               % (name, sorted(grown), getattr(cls, name).offset))
    finally:
        free(addr)
    mtp_cfg = cls
    CFG_ARRAYS = layout + tail


def new_cfg():
    """An empty mtp_cfg of the library's layout (call after lib())."""
    return mtp_cfg()


def has_array(name):
    return any(n == name for n, _f, _w in CFG_ARRAYS)


def flag_of(name):
    for n, f, _w in CFG_ARRAYS:
        if n == name:
            return f
    raise KeyError(name)


def array(cfg, name, copy=True):
    """A per-atom array of cfg as numpy ([n] or [n][3]); None when absent."""
    n = cfg.n_atoms
    ptr = getattr(cfg, name)
    if not ptr or n == 0:
        return None if not ptr else np.zeros((0,))
    if name == "types":
        a = np.ctypeslib.as_array(ptr, shape=(n,))
    elif name == "positions":
        a = np.ctypeslib.as_array(ptr, shape=(n, 3))
    else:
        width = dict((k, w) for k, _f, w in CFG_ARRAYS)[name]
        a = np.ctypeslib.as_array(ptr, shape=(n, width) if width == 3 else (n,))
    return a.copy() if copy else a
