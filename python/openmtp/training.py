# SPDX-License-Identifier: BSD-3-Clause
"""Training in this process through libopenmtp_train (openmtp/openmtp_train.h).

    result = openmtp.train_potential("init.almtp", "train.cfg", "pot.almtp",
                                     iteration_limit=200, progress=print_step)

`progress(step)` is called after every accepted optimiser step with a
TrainProgress (iteration, loss, RMS errors, validation errors, elapsed
time, ...); returning True asks for a clean stop: training stops after that
step, writes its checkpoint (if `checkpoint=` is given; `resume=True` with
the same arguments continues it to the same result as an uninterrupted run)
and the potential is finished and written as after --max_time.  An
exception raised in the callback stops training the same way and is
re-raised.  Library errors raise MTPError with the library's message.

The library is found next to libopenmtp (build tree or installed), else by
OPENMTP_TRAIN_LIBRARY, else by ctypes.util.find_library("openmtp_train").
"""
import collections
import ctypes
import ctypes.util
import os
import tempfile
import threading

from ._lib import MTPError, check, lib, library_path, new_error, mtp_error

__all__ = ["train_potential", "TrainProgress", "TrainResult", "select_configurations", "Selected",
           "train_library_path"]

_progress_fn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_message_fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
_ckpt_fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int)
# mtp_select_chosen_fn(user, const mtp_cfg *cfg, int file, long index, double grade, mtp_error *err)
_chosen_fn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_long,
                              ctypes.c_double, ctypes.c_void_p)


class mtp_train_progress(ctypes.Structure):
    _fields_ = [("optimizer", ctypes.c_int), ("pretraining", ctypes.c_int), ("iteration", ctypes.c_int),
                ("iteration_limit", ctypes.c_int), ("loss", ctypes.c_double),
                ("rmse_energy", ctypes.c_double), ("rmse_force", ctypes.c_double),
                ("rmse_stress", ctypes.c_double), ("has_valid", ctypes.c_int),
                ("valid_iteration", ctypes.c_int), ("valid_rmse_energy", ctypes.c_double),
                ("valid_rmse_force", ctypes.c_double), ("valid_rmse_stress", ctypes.c_double),
                ("valid_loss", ctypes.c_double), ("elapsed", ctypes.c_double), ("eta", ctypes.c_double),
                ("evaluations", ctypes.c_long), ("gradient_evaluations", ctypes.c_long)]


class mtp_train_options(ctypes.Structure):
    _fields_ = [("energy_weight", ctypes.c_double), ("force_weight", ctypes.c_double),
                ("stress_weight", ctypes.c_double), ("weight_scaling", ctypes.c_double),
                ("weight_scaling_forces", ctypes.c_double), ("penalty_weight", ctypes.c_double),
                ("iteration_limit", ctypes.c_int), ("tolerance", ctypes.c_double),
                ("init_random", ctypes.c_int), ("skip_preinit", ctypes.c_int),
                ("no_mindist_update", ctypes.c_int), ("seed", ctypes.c_uint), ("optimizer", ctypes.c_int),
                ("restarts", ctypes.c_int), ("wolfe_c2", ctypes.c_double), ("max_time", ctypes.c_double),
                ("valid_every", ctypes.c_int), ("allow_rare_species", ctypes.c_int),
                ("checkpoint_path", ctypes.c_char_p), ("checkpoint_interval", ctypes.c_double),
                ("resume", ctypes.c_int), ("run_id", ctypes.c_char_p), ("train_name", ctypes.c_char_p),
                ("valid_name", ctypes.c_char_p), ("progress", _progress_fn), ("message", _message_fn),
                ("checkpoint_written", _ckpt_fn), ("user", ctypes.c_void_p),
                ("valid_patience", ctypes.c_int)]


class mtp_train_result(ctypes.Structure):
    _fields_ = [("iterations", ctypes.c_int), ("stopped", ctypes.c_int), ("loss", ctypes.c_double),
                ("rmse_energy", ctypes.c_double), ("rmse_force", ctypes.c_double),
                ("elapsed", ctypes.c_double)]


class mtp_select_options(ctypes.Structure):
    _fields_ = [("threshold", ctypes.c_double), ("max", ctypes.c_int), ("swap_limit", ctypes.c_long),
                ("batch_size", ctypes.c_int), ("threads", ctypes.c_int), ("buffer_bytes", ctypes.c_size_t),
                ("chosen", _chosen_fn), ("message", _message_fn), ("user", ctypes.c_void_p)]


Selected = collections.namedtuple("Selected", ["file", "index", "grade"])
Selected.__doc__ = "A chosen candidate: its file, its 0-based index there, its grade (None: MLIP-3 form)."

TrainProgress = collections.namedtuple("TrainProgress", [f for f, _ in mtp_train_progress._fields_] + ["line"])
TrainProgress.__doc__ = ("One accepted optimiser step: optimizer (0 varpro, 1 bfgs), pretraining, iteration, "
                         "iteration_limit, loss, rmse_energy (meV/atom), rmse_force (eV/A), rmse_stress (GPa), "
                         "has_valid, valid_iteration, valid_rmse_*, valid_loss, elapsed (s), eta (s), evaluations, "
                         "gradient_evaluations; line: what `mtp train` prints for this step.")
TrainResult = collections.namedtuple("TrainResult", ["path", "iterations", "stopped", "loss", "rmse_energy",
                                                     "rmse_force", "elapsed", "active_set_size", "log"])

# option name -> (field, converter); the names are those of `mtp train`
_OPTIONS = {k: (k, float) for k in ("energy_weight", "force_weight", "stress_weight", "weight_scaling",
                                    "weight_scaling_forces", "penalty_weight", "tolerance", "wolfe_c2",
                                    "max_time", "checkpoint_interval")}
_OPTIONS.update({k: (k, int) for k in ("iteration_limit", "restarts", "valid_every", "seed", "valid_patience")})
_OPTIONS.update({k: (k, lambda v: 1 if v else 0) for k in ("init_random", "skip_preinit", "no_mindist_update",
                                                            "allow_rare_species")})

_TLIB = None
_TLIB_PATH = None
_LOCK = threading.Lock()


def _train_candidates():
    env = os.environ.get("OPENMTP_TRAIN_LIBRARY")
    if env:
        return [env]
    out = []
    d = os.path.dirname(library_path())
    for name in ("libopenmtp_train.so.0", "libopenmtp_train.so"):
        out.append(os.path.join(d, name))
    found = ctypes.util.find_library("openmtp_train")
    if found:
        out.append(found)
    return out


def _tlib():
    global _TLIB, _TLIB_PATH
    if _TLIB is not None:
        return _TLIB
    with _LOCK:
        if _TLIB is not None:
            return _TLIB
        lib()  # libopenmtp first: libopenmtp_train needs it
        tried = []
        for path in _train_candidates():
            if os.path.sep in path and not os.path.exists(path):
                tried.append("%s: no such file" % path)
                continue
            try:
                L = ctypes.CDLL(path)
            except OSError as e:
                tried.append("%s: %s" % (path, e))
                continue
            P, vp = ctypes.POINTER, ctypes.c_void_p
            errp = P(mtp_error)
            L.mtp_train_options_default.restype = None
            L.mtp_train_options_default.argtypes = [P(mtp_train_options)]
            L.mtp_train.restype = ctypes.c_int
            L.mtp_train.argtypes = [vp, vp, ctypes.c_int, vp, ctypes.c_int, P(mtp_train_options),
                                    P(mtp_train_result), errp]
            L.mtp_train_adopt_species.restype = ctypes.c_int
            L.mtp_train_adopt_species.argtypes = [vp, vp, ctypes.c_int, vp, ctypes.c_int,
                                                  P(mtp_train_options), errp]
            L.mtp_train_progress_format.restype = ctypes.c_int
            L.mtp_train_progress_format.argtypes = [P(mtp_train_progress), ctypes.c_char_p, ctypes.c_size_t]
            L.mtp_select_options_default.restype = None
            L.mtp_select_options_default.argtypes = [P(mtp_select_options)]
            L.mtp_select_add.restype = ctypes.c_int
            L.mtp_select_add.argtypes = [vp, vp, ctypes.c_char_p, P(ctypes.c_char_p), ctypes.c_int, ctypes.c_int,
                                         vp, P(mtp_select_options), P(ctypes.c_long), errp]
            L.mtp_train_struct_size.restype = ctypes.c_size_t
            L.mtp_train_struct_size.argtypes = [ctypes.c_int]
            for which, st in enumerate((mtp_train_options, mtp_train_progress, mtp_train_result,
                                        mtp_select_options)):
                if L.mtp_train_struct_size(which) != ctypes.sizeof(st):
                    raise MTPError("%s: %s has %d bytes there, %d here: the package and the library do not "
                                   "match" % (path, st.__name__, L.mtp_train_struct_size(which),
                                              ctypes.sizeof(st)))
            _TLIB, _TLIB_PATH = L, path
            return L
        raise MTPError("cannot load libopenmtp_train; tried: " + ("; ".join(tried) or "nothing") +
                       " (set OPENMTP_TRAIN_LIBRARY to its path)")


def train_library_path():
    _tlib()
    return _TLIB_PATH


def _format(p):
    buf = ctypes.create_string_buffer(1024)
    _TLIB.mtp_train_progress_format(ctypes.byref(p), buf, len(buf))
    return buf.value.decode()


def _read(path):
    L = lib()
    from . import _cfg
    cfgs = ctypes.POINTER(_cfg.mtp_cfg)()
    n = ctypes.c_int()
    err = new_error()
    L.mtp_read_cfgs.restype = ctypes.c_int
    L.mtp_read_cfgs.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p,
                                ctypes.POINTER(ctypes.POINTER(_cfg.mtp_cfg)), ctypes.POINTER(ctypes.c_int),
                                ctypes.POINTER(mtp_error)]
    L.mtp_free_cfgs.restype = None
    L.mtp_free_cfgs.argtypes = [ctypes.POINTER(_cfg.mtp_cfg), ctypes.c_int]
    check(L.mtp_read_cfgs(os.fsencode(path), 0, None, ctypes.byref(cfgs), ctypes.byref(n), err), err)
    return cfgs, n.value


def _as_path(cfgs, tmpdir, name, species):
    if cfgs is None or isinstance(cfgs, (str, os.PathLike)):
        return cfgs
    from .io import write_cfg
    path = os.path.join(tmpdir, name)
    write_cfg(path, list(cfgs), species=species)
    return path


def train_potential(init_potential, train_cfg, save_to, valid_cfg=None, progress=None, message=None,
                    optimizer="varpro", al_mode="cfg", checkpoint=None, resume=False, species=None, **options):
    """Train INIT on TRAIN (a .cfg path or a list of ase.Atoms) and write SAVE_TO.

    Options are those of `mtp train` (energy_weight=, force_weight=, stress_weight=,
    weight_scaling=, weight_scaling_forces=, penalty_weight=, iteration_limit=,
    tolerance=, wolfe_c2=, restarts=, init_random=, skip_preinit=, no_mindist_update=,
    max_time=, seed=, valid_every=, allow_rare_species=, checkpoint_interval=), with
    its defaults.  optimizer 'varpro' or 'bfgs'; al_mode 'cfg', 'nbh' or None (no
    active set).  message(kind, text): the notes (kind 0) and data warnings (kind 1)
    `mtp train` prints; without it they are collected in result.log.  species: for
    lists of Atoms, the element of each type (as write_cfg).  Returns a TrainResult."""
    T = _tlib()
    L = lib()
    o = mtp_train_options()
    T.mtp_train_options_default(ctypes.byref(o))
    for key, value in options.items():
        if key not in _OPTIONS:
            raise TypeError("train_potential: unknown option %r (known: %s)" % (key, ", ".join(sorted(_OPTIONS))))
        field, conv = _OPTIONS[key]
        setattr(o, field, conv(value))
    if optimizer not in ("varpro", "bfgs"):
        raise ValueError("optimizer must be 'varpro' or 'bfgs'")
    o.optimizer = 1 if optimizer == "bfgs" else 0
    if al_mode not in ("cfg", "nbh", None):
        raise ValueError("al_mode must be 'cfg', 'nbh' or None")
    keep = []
    if checkpoint is not None:
        keep.append(os.fsencode(checkpoint))
        o.checkpoint_path = keep[-1]
    o.resume = 1 if resume else 0
    log = []
    failure = []

    def on_progress(user, p):
        if progress is None:
            return 0
        try:
            c = ctypes.cast(p, ctypes.POINTER(mtp_train_progress)).contents
            step = TrainProgress(*[getattr(c, f) for f, _ in mtp_train_progress._fields_], line=_format(c))
            return 1 if progress(step) else 0
        except BaseException as e:  # stop cleanly, re-raise afterwards
            failure.append(e)
            return 1

    def on_message(user, kind, text):
        t = text.decode("utf-8", "replace")
        try:
            if message is not None:
                message(kind, t)
            else:
                log.append(t)
        except BaseException as e:
            failure.append(e)

    o.progress = _progress_fn(on_progress)
    o.message = _message_fn(on_message)
    with tempfile.TemporaryDirectory(prefix="openmtp-train-") as tmp:
        train_path = _as_path(train_cfg, tmp, "train.cfg", species)
        valid_path = _as_path(valid_cfg, tmp, "valid.cfg", species)
        names = [os.fsencode(train_path)] + ([os.fsencode(valid_path)] if valid_path else [])
        o.train_name = names[0]
        if valid_path:
            o.valid_name = names[1]
        pot = ctypes.c_void_p()
        err = new_error()
        check(L.mtp_potential_read(os.fsencode(init_potential), ctypes.byref(pot), err), err)
        tr, ntr = _read(train_path)
        va, nva = _read(valid_path) if valid_path else (None, 0)
        try:
            check(T.mtp_train_adopt_species(pot, tr, ntr, va, nva, ctypes.byref(o), err), err)
            res = mtp_train_result()
            st = T.mtp_train(pot, tr, ntr, va, nva, ctypes.byref(o), ctypes.byref(res), err)
            if failure:
                raise failure[0]
            check(st, err)
            nsel = ctypes.c_int(0)
            if al_mode is not None:
                from ._cfg import mtp_active_set_options
                aso = mtp_active_set_options()
                aso.mode = 1 if al_mode == "nbh" else 2  # MTP_GRADE_NEIGHBORHOOD, _CONFIGURATION
                aso.init_value = 0
                aso.threshold = 0
                aso.weight_scaling = -1
                aso.fresh_inverse = 1  # as mtp train: training rows grade <= 1.001
                check(L.mtp_active_set_select(pot, tr, ntr, ctypes.byref(aso), ctypes.byref(nsel), err), err)
            check(L.mtp_potential_write(pot, os.fsencode(save_to), err), err)
        finally:
            L.mtp_free_cfgs(tr, ntr)
            if va:
                L.mtp_free_cfgs(va, nva)
            L.mtp_potential_destroy(pot)
    return TrainResult(os.fspath(save_to), res.iterations, bool(res.stopped), res.loss, res.rmse_energy,
                       res.rmse_force, res.elapsed, nsel.value if al_mode else 0, "".join(log))


def select_configurations(potential, train_cfg, candidates, new_cfg, max=None, threshold=1.001, threads=1,
                          batch_size=9999, swap_limit=0, buffer_mb=256, save_to=None, log=None):
    """Choose among candidate configurations those worth labelling, as
    `mtp select_add POT TRAIN CANDIDATES... NEW` does, in this process through
    libopenmtp_train (mtp_select_add).  potential: path of a trained potential
    with its active-learning state; candidates: one path or a list (several
    need max=N, the batch form).  The chosen configurations are written to
    new_cfg as the command writes them; save_to writes the potential with the
    updated state; log(text) receives the selection log.  Returns the list
    of Selected(file, index, grade) in the order written."""
    T = _tlib()
    L = lib()
    from . import _cfg
    if isinstance(candidates, (str, os.PathLike)):
        candidates = [candidates]
    cands = [os.fsencode(c) for c in candidates]
    o = mtp_select_options()
    T.mtp_select_options_default(ctypes.byref(o))
    o.threshold = float(threshold)
    o.max = int(max) if max else 0
    o.threads = int(threads)
    o.batch_size = int(batch_size)
    o.swap_limit = int(swap_limit)
    o.buffer_bytes = int(buffer_mb) << 20
    chosen, copies, failure = [], [], []

    def on_chosen(user, cfg, file, index, grade, err):
        try:
            c = _cfg.new_cfg()
            L.mtp_cfg_init(c)
            e = new_error()
            check(L.mtp_cfg_copy(c, ctypes.cast(cfg, ctypes.POINTER(_cfg.mtp_cfg)), e), e)
            copies.append(c)
            chosen.append(Selected(os.fsdecode(cands[file]), int(index), None if grade != grade else grade))
            return 0
        except BaseException as ex:
            failure.append(ex)
            e = ctypes.cast(err, ctypes.POINTER(mtp_error)).contents
            e.status = 4
            e.message = b"stopped by an exception in Python"
            return 4

    def on_message(user, kind, text):
        if log is not None:
            try:
                log(text.decode("utf-8", "replace"))
            except BaseException as ex:
                failure.append(ex)

    o.chosen = _chosen_fn(on_chosen)
    o.message = _message_fn(on_message)
    L.mtp_cfg_copy.restype = ctypes.c_int
    L.mtp_cfg_copy.argtypes = [ctypes.POINTER(_cfg.mtp_cfg), ctypes.POINTER(_cfg.mtp_cfg), ctypes.POINTER(mtp_error)]
    for name, res, args in (("mtp_active_set_load", ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                                                   ctypes.POINTER(mtp_error)]),
                            ("mtp_active_set_destroy", None, [ctypes.c_void_p]),
                            ("mtp_active_set_store", ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p,
                                                                    ctypes.POINTER(mtp_error)])):
        getattr(L, name).restype = res
        getattr(L, name).argtypes = args
    pot = ctypes.c_void_p()
    aset = ctypes.c_void_p()
    err = new_error()
    check(L.mtp_potential_read(os.fsencode(potential), ctypes.byref(pot), err), err)
    try:
        check(L.mtp_active_set_load(pot, ctypes.byref(aset), err), err, os.fspath(potential))
        arr = (ctypes.c_char_p * len(cands))(*cands)
        n = ctypes.c_long()
        st = T.mtp_select_add(aset, pot, os.fsencode(train_cfg), arr, len(cands), 0, None, ctypes.byref(o),
                              ctypes.byref(n), err)
        if failure:
            raise failure[0]
        check(st, err)
        out = (_cfg.mtp_cfg * len(copies))()
        for k, c in enumerate(copies):
            ctypes.memmove(ctypes.byref(out[k]), ctypes.byref(c), ctypes.sizeof(_cfg.mtp_cfg))
        wo = _cfg.mtp_write_options()
        wo.keep_ghosts = 1
        check(L.mtp_write_cfgs(os.fsencode(new_cfg), out, len(copies), 1, ctypes.byref(wo), 0, err), err)  # MTP_FORMAT_CFG
        if save_to is not None:
            check(L.mtp_active_set_store(aset, pot, err), err)
            check(L.mtp_potential_write(pot, os.fsencode(save_to), err), err)
    finally:
        for c in copies:
            L.mtp_cfg_free(c)
        if aset:
            L.mtp_active_set_destroy(aset)
        L.mtp_potential_destroy(pot)
    return chosen
