# SPDX-License-Identifier: BSD-3-Clause
"""Loading libopenmtp through ctypes, its prototypes, and MTPError.

The shared library is looked for, in this order:
  1. the file named by the environment variable OPENMTP_LIBRARY;
  2. the library recorded by CMake in openmtp/_paths.py (the build tree's
     build/lib/libopenmtp.so, or the installed one, found relative to the
     installed package so that a moved prefix still works);
  3. ctypes.util.find_library("openmtp") (ldconfig's cache, LD_LIBRARY_PATH).
The library is loaded on first use, so `import openmtp` itself never fails.
"""
import ctypes
import ctypes.util
import os
import threading

__all__ = ["MTPError", "lib", "check", "new_error"]

c_double_p = ctypes.POINTER(ctypes.c_double)
c_int_p = ctypes.POINTER(ctypes.c_int)
c_long_p = ctypes.POINTER(ctypes.c_long)

MTP_ERROR_MESSAGE_SIZE = 1024  # openmtp.h

# mtp_status names, in the order of the enum in openmtp.h
STATUS_NAMES = ["MTP_OK", "MTP_ERR_NOMEM", "MTP_ERR_IO", "MTP_ERR_PARSE", "MTP_ERR_INVALID",
                "MTP_ERR_SPECIES", "MTP_ERR_GEOMETRY", "MTP_ERR_UNTRAINED", "MTP_ERR_UNSUPPORTED"]


class MTPError(RuntimeError):
    """An error reported by libopenmtp (or by this package on its behalf).

    `status` is the library's mtp_status code (errors this package finds
    itself, e.g. an element the potential does not know, carry the code the
    library uses for that kind of error: MTP_ERR_SPECIES, MTP_ERR_GEOMETRY,
    else MTP_ERR_INVALID), `status_name` its name, and str(error) the
    library's one-line message ("file:line: ..." for malformed files)."""

    def __init__(self, message, status=4):
        super().__init__(message)
        self.status = int(status)
        self.status_name = STATUS_NAMES[self.status] if 0 <= self.status < len(STATUS_NAMES) \
            else "status %d" % self.status


MTPError.__module__ = "openmtp"


class mtp_error(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("message", ctypes.c_char * MTP_ERROR_MESSAGE_SIZE)]


def new_error():
    return mtp_error()


def check(status, err, what=None):
    """Raise MTPError for a non-zero mtp_status, with the library's message."""
    if status == 0:
        return
    msg = err.message.decode("utf-8", "replace").strip()
    if not msg:
        msg = _LIB.mtp_status_string(status).decode() if _LIB is not None else "error %d" % status
    if what:
        msg = "%s: %s" % (what, msg)
    raise MTPError(msg, status)


def _candidates():
    """(description, path-or-name) pairs in search order."""
    out = []
    env = os.environ.get("OPENMTP_LIBRARY")
    if env:
        out.append(("OPENMTP_LIBRARY", env))
    try:
        from . import _paths
    except ImportError:  # a source checkout that was never configured by CMake
        _paths = None
    if _paths is not None:
        here = os.path.dirname(os.path.abspath(__file__))
        rel = getattr(_paths, "LIBRARY_RELATIVE", None)
        if rel:
            out.append(("next to the installed package", os.path.normpath(os.path.join(here, rel))))
        absolute = getattr(_paths, "LIBRARY", None)
        if absolute:
            out.append(("recorded at configure time", absolute))
    found = ctypes.util.find_library("openmtp")
    if found:
        out.append(("ctypes.util.find_library", found))
    return out


_LIB = None
_LIB_PATH = None
_LOCK = threading.Lock()


def library_path():
    """Path (or soname) of the loaded libopenmtp."""
    lib()
    return _LIB_PATH


def lib():
    """The loaded library (loaded and prototyped on first call)."""
    global _LIB, _LIB_PATH
    if _LIB is not None:
        return _LIB
    with _LOCK:
        if _LIB is not None:
            return _LIB
        tried = []
        for how, path in _candidates():
            # an explicit OPENMTP_LIBRARY that does not load is an error, not a reason to fall back
            if how != "ctypes.util.find_library" and not os.path.exists(path):
                tried.append("%s (%s): no such file" % (path, how))
                if how == "OPENMTP_LIBRARY":
                    break
                continue
            try:
                handle = ctypes.CDLL(path)
            except OSError as e:
                tried.append("%s (%s): %s" % (path, how, e))
                if how == "OPENMTP_LIBRARY":
                    break
                continue
            from . import _cfg
            _cfg.check_layout(handle)  # first: _declare uses the layout it settles
            _declare(handle)
            _LIB, _LIB_PATH = handle, path
            return _LIB
        raise MTPError("cannot load libopenmtp; tried: " + ("; ".join(tried) if tried else
                       "nothing (set OPENMTP_LIBRARY to the path of libopenmtp.so)"))


def _declare(L):
    """ctypes prototypes of the functions used (signatures as in openmtp.h)."""
    from . import _cfg
    from ._cfg import mtp_cfg, mtp_read_options, mtp_write_options, mtp_potential_info, \
        mtp_active_set_options
    P = ctypes.POINTER
    vp = ctypes.c_void_p
    errp = P(mtp_error)
    cfgp = P(mtp_cfg)
    I, D, S = ctypes.c_int, ctypes.c_double, ctypes.c_char_p

    def proto(name, res, *args):
        f = getattr(L, name)
        f.restype = res
        f.argtypes = list(args)

    proto("mtp_version", S)
    proto("mtp_status_string", S, I)
    proto("mtp_element_number", I, S)
    proto("mtp_element_symbol", S, I)
    proto("mtp_cfg_init", None, cfgp)
    proto("mtp_cfg_free", None, cfgp)
    proto("mtp_cfg_alloc", I, cfgp, I, ctypes.c_uint, errp)
    proto("mtp_cfg_add_array", I, cfgp, ctypes.c_uint, errp)
    proto("mtp_cfg_set_feature", I, cfgp, S, S, errp)
    proto("mtp_cfg_get_feature", S, cfgp, S)
    proto("mtp_cfg_periodic_dims", I, cfgp)
    proto("mtp_cfg_volume", D, cfgp)
    proto("mtp_format_from_name", I, S)
    proto("mtp_reader_open", I, S, I, P(mtp_read_options), P(vp), errp)
    proto("mtp_reader_next", I, vp, cfgp, c_int_p, errp)
    proto("mtp_reader_close", None, vp)
    proto("mtp_write_cfgs", I, S, cfgp, I, I, P(mtp_write_options), I, errp)
    proto("mtp_potential_read", I, S, P(vp), errp)
    proto("mtp_potential_write", I, vp, S, errp)
    proto("mtp_potential_destroy", None, vp)
    proto("mtp_potential_set_species", I, vp, I, c_int_p, errp)
    proto("mtp_potential_generate", I, P(_cfg.mtp_basis_options), P(vp), errp)
    proto("mtp_potential_get_info", mtp_potential_info, vp)
    proto("mtp_potential_species_count", I, vp)
    proto("mtp_potential_species_label", I, vp, I)
    proto("mtp_potential_species_index", I, vp, I)
    proto("mtp_potential_cutoff", D, vp)
    proto("mtp_calculator_create", I, vp, P(vp), errp)
    proto("mtp_calculator_destroy", None, vp)
    proto("mtp_calculator_set_min_dist_policy", None, vp, I)
    proto("mtp_compute", I, vp, cfgp, c_double_p, c_double_p, c_double_p, c_double_p, c_double_p,
          errp)
    proto("mtp_grader_create", I, vp, P(vp), errp)
    proto("mtp_grader_destroy", None, vp)
    proto("mtp_grader_mode", I, vp)
    proto("mtp_grade", I, vp, cfgp, c_double_p, c_double_p, errp)
    proto("mtp_active_set_select", I, vp, cfgp, I, P(mtp_active_set_options), c_int_p, errp)
