# SPDX-License-Identifier: BSD-3-Clause
"""Training and candidate selection through the `mtp` command.

These run `mtp train` / `mtp select_add` as subprocesses (the in-process
equivalents through libopenmtp_train are openmtp.train_potential and
openmtp.select_configurations, python/openmtp/training.py); they raise
MTPError with the command's error output when it fails.  The executable is
OPENMTP_MTP if set, else the one recorded at configure time (build tree or
installed), else `mtp` on PATH."""
import os
import shutil
import subprocess

from ._lib import MTPError


def mtp_executable():
    env = os.environ.get("OPENMTP_MTP")
    if env:
        return env
    try:
        from . import _paths
    except ImportError:
        _paths = None
    if _paths is not None:
        here = os.path.dirname(os.path.abspath(__file__))
        rel = getattr(_paths, "MTP_RELATIVE", None)
        if rel and os.path.exists(os.path.join(here, rel)):
            return os.path.normpath(os.path.join(here, rel))
        exe = getattr(_paths, "MTP", None)
        if exe and os.path.exists(exe):
            return exe
    exe = shutil.which("mtp")
    if exe:
        return exe
    raise MTPError("cannot find the `mtp` command (set OPENMTP_MTP or put it on PATH)")


def _options(options):
    out = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        out.append("--%s" % key if value is True else "--%s=%s" % (key, value))
    return out


def run_mtp(command, *args, **options):
    """Run `mtp COMMAND ARGS --key=value ...`; returns its standard output.
    Options with value True become bare flags (--resume), None/False are left out."""
    argv = [mtp_executable(), command] + [os.fspath(a) for a in args] + _options(options)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        msg = (proc.stderr.strip() or proc.stdout.strip().splitlines()[-1:] or [""])
        msg = msg if isinstance(msg, str) else msg[0]
        raise MTPError("`%s` failed (exit %d): %s" % (" ".join(argv), proc.returncode, msg))
    return proc.stdout


def train(init_potential, train_cfg, save_to, **options):
    """`mtp train INIT TRAIN --save_to=SAVE_TO [--option=value ...]`, e.g.
    train('init.almtp', 'train.cfg', 'pot.almtp', max_time=60, al_mode='nbh').
    Returns the command's progress output (text)."""
    return run_mtp("train", init_potential, train_cfg, save_to=save_to, **options)


def select_add(potential, train_cfg, candidates, new_cfg, **options):
    """`mtp select_add POT TRAIN CANDIDATES... NEW` (MLIP-3 semantics; the
    batch form with max=N, threshold=X, ...).  candidates: one path or a
    list.  Returns the command's output."""
    if isinstance(candidates, (str, os.PathLike)):
        candidates = [candidates]
    return run_mtp("select_add", potential, train_cfg, *candidates, new_cfg, **options)
