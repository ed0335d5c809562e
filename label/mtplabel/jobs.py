# SPDX-License-Identifier: BSD-3-Clause
"""Per-frame job directories, running a code, and reading its output with
`mtp convert` (the library readers and their convergence checks).

workdir/frame-NNNNNN/ holds one frame's job:
  key         hash of what determines the result (code, template, frame,
              type order); a directory whose key differs is redone
  frame.cfg   the frame as given
  ...         the code's input and output files
  result.cfg  the labelled frame, written atomically last: its presence
              (with a matching key) means "finished, do not redo"
  failed.txt  the reason, when the frame failed (redone only with
              --retry_failed)
workdir/frame-NNNNNN.lock (beside the directory, which a rerun replaces) is
flock()ed by the labeller for the whole job and inherited by the code and its
children, so it stays locked while any process of the job is alive, even
after the labeller was killed (kill -9, OOM): a second labeller waits for it
instead of starting a second job in the same directory."""

import ctypes
import fcntl
import hashlib
import os
import shlex
import shutil
import signal
import subprocess

from . import cfgio


class LabelFailure(Exception):
    """This frame cannot be labelled (crash, unconverged SCF, truncated
    output, missing files); the message is the recorded reason."""


class SetupError(Exception):
    """The labeller cannot run at all (missing executable, bad template)."""


_running = None  # the child process, killed with its group on SIGINT/SIGTERM

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: the job lock alone guards the directory
    _prctl = None


def _die_with_parent(parent_pid):
    """preexec_fn: the code gets SIGTERM when the labeller dies, also by
    kill -9, where no handler of ours runs.  It only reaches the direct
    child (the code, or a --submit prefix such as mpirun or sbatch --wait);
    descendants that outlive it still hold the job lock."""
    def set_deathsig():
        if _prctl is not None:
            _prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent_pid:  # the labeller died before prctl took effect
            os._exit(1)
    return set_deathsig


def _on_signal(signum, _frame):
    if _running is not None and _running.poll() is None:
        try:
            os.killpg(_running.pid, signal.SIGTERM)
        except OSError:
            pass
    raise KeyboardInterrupt


def install_signal_handlers():
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


def run(argv, cwd, log_path, job_lock, stdin_path=None):
    """Run argv in cwd with stdout+stderr to log_path; returns the exit
    status (negative: killed by that signal).  job_lock (the job's locked
    file descriptor) is inherited by the code, so the lock outlives us if
    the code does."""
    global _running
    with open(log_path, "wb") as log:
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        try:
            _running = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=stdin,
                                        start_new_session=True, pass_fds=(job_lock,),
                                        preexec_fn=_die_with_parent(os.getpid()))
        except OSError as e:
            raise LabelFailure("cannot start %s: %s" % (argv[0], e.strerror))
        finally:
            if stdin_path:
                stdin.close()
        try:
            return _running.wait()
        finally:
            _running = None


def command(submit, exe_override, env_var, defaults):
    """The code's command line prefix: --submit words + executable words
    (--command, else $ENV_VAR, else the first default found on PATH)."""
    exe = exe_override or os.environ.get(env_var)
    if exe:
        words = shlex.split(exe)
    else:
        found = [d for d in defaults if shutil.which(d)]
        if not found:
            raise SetupError("no %s executable found (tried %s); give --command=EXE or set %s" %
                             (defaults[0], ", ".join(defaults), env_var))
        words = [found[0]]
    if not words:
        raise SetupError("empty command")
    if not shutil.which(words[0]) and not os.path.isfile(words[0]):
        raise SetupError("executable '%s' not found (from --command or %s)" % (words[0], env_var))
    prefix = shlex.split(submit) if submit else []
    # jobs run in their own directories: relative script paths are made absolute
    for w in (words, prefix):
        if w and "/" in w[0] and not os.path.isabs(w[0]) and os.path.isfile(w[0]):
            w[0] = os.path.abspath(w[0])
    return prefix + words


def find_mtp(here):
    """`mtp` next to mtp-label, in build/bin of the source tree, or on PATH."""
    env = os.environ.get("MTP_COMMAND")
    if env:
        return env
    for cand in (os.path.join(here, "mtp"), os.path.join(here, "..", "build", "bin", "mtp")):
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    p = shutil.which("mtp")
    if p:
        return p
    raise SetupError("cannot find `mtp` (next to mtp-label, in build/bin or on PATH; or set MTP_COMMAND)")


class Job:
    def __init__(self, workdir, frame, key_material):
        self.frame = frame
        self.dir = os.path.join(workdir, "frame-%06d" % frame.index)
        h = hashlib.sha256()
        h.update(key_material)
        h.update(b"\0")
        h.update(frame.text.encode())
        self.key = h.hexdigest()
        self.lock_fd = None

    def lock(self, log):
        """Take the job's lock, waiting (with a line on log) while another
        labeller, or a code left running by a killed one, holds it."""
        fd = os.open(self.dir + ".lock", os.O_RDWR | os.O_CREAT, 0o644)  # not inherited unless passed
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                log("mtp-label: %s is in use by another labeller (pid %s) or by the code it started; "
                    "waiting for it to finish\n" % (self.dir, holder))
                fcntl.flock(fd, fcntl.LOCK_EX)
                log("mtp-label: %s is free again; continuing\n" % self.dir)
            os.ftruncate(fd, 0)
            os.pwrite(fd, b"%d\n" % os.getpid(), 0)
        except BaseException:
            os.close(fd)
            raise
        self.lock_fd = fd

    def unlock(self):
        if self.lock_fd is not None:
            os.close(self.lock_fd)
            self.lock_fd = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def _key_matches(self):
        try:
            with open(self.path("key")) as f:
                return f.read().strip() == self.key
        except OSError:
            return False

    def finished(self):
        return self._key_matches() and os.path.isfile(self.path("result.cfg"))

    def failed_reason(self):
        if not self._key_matches():
            return None
        try:
            with open(self.path("failed.txt")) as f:
                return f.read().strip() or "failed"
        except OSError:
            return None

    def _carried(self, name):
        # beside the directory (which is replaced) and named by the key, so a
        # kill between moving it out and back loses nothing and it is never
        # taken for another frame's or template's file
        return "%s.%s.%s" % (self.dir, self.key[:16], name)

    def start(self, carry=(), keep=None):
        """A clean directory for a (re)run of this frame.  Files named in
        carry (e.g. a code's wavefunction restart, written during its run)
        that an interrupted earlier run of this same job left (same key, no
        result, no recorded failure) are moved into the new directory as
        "interrupted-NAME"; when that run wrote none, the "interrupted-NAME"
        it was itself given is carried on (a job interrupted twice keeps
        the first run's file).  keep: {name: text} written into the new
        directory.  Returns the carried names."""
        interrupted = (os.path.isdir(self.dir) and self._key_matches() and
                       not self.finished() and self.failed_reason() is None)
        for name in carry:
            for src in (self.path(name), self.path("interrupted-" + name)):
                if interrupted and os.path.isfile(src) and os.path.getsize(src) > 0:
                    os.replace(src, self._carried(name))
                    break
        if os.path.isdir(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)
        # the key first: a kill after a carried file is moved in must not make the next
        # run see a directory without a key, which it would discard with the file
        cfgio.write_atomic(self.path("key"), self.key + "\n")
        cfgio.write_atomic(self.path("frame.cfg"), self.frame.text)
        for name, text in (keep or {}).items():
            cfgio.write_atomic(self.path(name), text)
        moved = []
        for name in carry:
            if os.path.isfile(self._carried(name)):
                os.replace(self._carried(name), self.path("interrupted-" + name))
                moved.append("interrupted-" + name)
        return moved

    def record_result(self, text):
        cfgio.write_atomic(self.path("result.cfg"), text)

    def record_failure(self, reason):
        cfgio.write_atomic(self.path("failed.txt"), reason + "\n")

    def result_text(self):
        with open(self.path("result.cfg")) as f:
            return f.read()


def first_lines(path, n=3):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(l.strip() for l in f.read().strip().split("\n")[:n] if l.strip())
    except OSError:
        return ""


def last_lines(path, n=3):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(l.strip() for l in f.read().strip().split("\n")[-n:] if l.strip())
    except OSError:
        return ""


def canonical_cfg(mtp, src, dst, error):
    """Have libmtp read the .cfg file src and write it to dst (atomically,
    full precision): the library's reader is the one that decides what a
    .cfg means, cfgio only splits the canonical text.  A file the library
    rejects raises error(its `file:line: what was expected` message)."""
    argv = [mtp, "convert", src, dst, "--input_format=cfg", "--output_format=cfg", "--no_loss"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        msg = p.stderr.strip().split("\n")[-1] if p.stderr.strip() else "mtp convert failed (exit %d)" % p.returncode
        raise error(msg[len("mtp convert: "):] if msg.startswith("mtp convert: ") else msg)


def read_with_mtp(mtp, job, output, fmt, type_order, save_nonconverged=False):
    """Frames of a code's output file as read by `mtp convert` (the library
    reader with its completeness and convergence checks).  The reader's
    message (`file:line: what was expected`) becomes the failure reason."""
    src = job.path(output)
    if not os.path.isfile(src):
        raise LabelFailure("%s was not written" % output)
    dst = job.path("parsed.cfg")
    argv = [mtp, "convert", src, dst, "--input_format=" + fmt, "--no_loss"]
    if type_order:
        argv.append("--type_order=" + ",".join(type_order))
    if save_nonconverged:
        argv.append("--save_nonconverged")
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        msg = p.stderr.strip().split("\n")[-1] if p.stderr.strip() else "mtp convert failed (exit %d)" % p.returncode
        if msg.startswith("mtp convert: "):
            msg = msg[len("mtp convert: "):]
        # the reader names the file by the path given; shorten to the job-relative name
        raise LabelFailure(msg.replace(job.dir + "/", ""))
    try:
        return cfgio.read_frames(dst)
    except cfgio.CfgError as e:
        raise LabelFailure(str(e))


def labels_from_parsed(frame, parsed, what):
    """(energy, forces in the frame's atom order, stress or None) from the
    single configuration a code's output gave for `frame`."""
    if len(parsed) != 1:
        raise LabelFailure("%s: expected 1 configuration, found %d" % (what, len(parsed)))
    p = parsed[0]
    if p.energy is None or p.forces is None:
        raise LabelFailure("%s: expected energy and forces" % what)
    lat = p.lattice if p.lattice is not None else frame.lattice
    try:
        perm = cfgio.match_atoms(frame, p.positions(), lat)
    except ValueError as e:
        raise LabelFailure("%s: structure differs from the frame: %s" % (what, e))
    forces = [None] * frame.n_atoms
    for k, i in enumerate(perm):
        forces[i] = p.forces[k]
    return p.energy, forces, p.stress
