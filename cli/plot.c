/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands that live in the Python package.  Plots: the commands write their
 * data files and hand them to `python3 -m openmtp.plot` (python/openmtp/plot.py),
 * which draws them with matplotlib; `mtp search` is `python3 -m openmtp.search`.  The package is the one installed with this `mtp`
 * (found relative to the executable, so a moved prefix still works) or, for
 * the build tree's bin/mtp, the build tree's python/.  A plot that cannot be
 * made is an error, never silently skipped. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Set by python/CMakeLists.txt: the interpreter found at configure time, where
 * the package is installed relative to the bin directory and absolutely. */
#ifndef OPENMTP_PLOT_PYTHON
#define OPENMTP_PLOT_PYTHON "python3"
#endif
#ifndef OPENMTP_PLOT_PYDIR_FROM_BIN
#define OPENMTP_PLOT_PYDIR_FROM_BIN ""
#endif
#ifndef OPENMTP_PLOT_PYDIR
#define OPENMTP_PLOT_PYDIR ""
#endif

/* module: "openmtp.plot" -> DIR/openmtp/plot.py */
static int has_module(const char *dir, const char *module)
{
    char p[PATH_MAX];
    const char *dot = strchr(module, '.');
    if (!*dir || !dot ||
        snprintf(p, sizeof p, "%s/%.*s/%s.py", dir, (int)(dot - module), module, dot + 1) >= (int)sizeof p)
        return 0;
    return access(p, R_OK) == 0;
}

/* The directory holding the openmtp package (to go on PYTHONPATH), or 0. */
static int find_package(const char *module, char *out, size_t size)
{
    const char *env = getenv("OPENMTP_PYTHONPATH");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return has_module(out, module);
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        /* installed: <prefix>/bin/mtp and <prefix>/<python dir>/openmtp;
         * build tree: <build>/bin/mtp and <build>/python/openmtp */
        const char *rel[2] = {OPENMTP_PLOT_PYDIR_FROM_BIN, "../python"};
        for (int k = 0; k < 2; k++)
            if (*rel[k] && snprintf(out, size, "%s/%s", exe, rel[k]) < (int)size && has_module(out, module))
                return 1;
    }
    snprintf(out, size, "%s", OPENMTP_PLOT_PYDIR);
    return has_module(out, module);
}

/* Runs PYTHON -m MODULE ARGS...; `what` names the job in messages ("plot"). */
static int run_python_module(const char *cmd, const char *what, const char *module, const char *const *args)
{
    const char *python = getenv("OPENMTP_PYTHON");
    if (!python || !*python) python = OPENMTP_PLOT_PYTHON;
    char pkg[PATH_MAX];
    if (!find_package(module, pkg, sizeof pkg)) {
        fprintf(stderr,
                "mtp %s: cannot %s: the Python package openmtp (%s) was not found next to this mtp "
                "(install it with `cmake --install`, or set OPENMTP_PYTHONPATH to the directory that holds it)\n",
                cmd, what, module);
        return -1;
    }
    int n = 0;
    while (args[n]) n++;
    const char **argv = calloc((size_t)n + 4, sizeof *argv);
    if (!argv) {
        fprintf(stderr, "mtp %s: out of memory\n", cmd);
        return -1;
    }
    argv[0] = python;
    argv[1] = "-m";
    argv[2] = module;
    for (int k = 0; k < n; k++) argv[3 + k] = args[k];
    /* what this process has buffered must not be written twice (by the child) */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "mtp %s: cannot %s: fork failed: %s\n", cmd, what, strerror(errno));
        free(argv);
        return -1;
    }
    if (pid == 0) {
        const char *old = getenv("PYTHONPATH");
        size_t len = strlen(pkg) + (old ? strlen(old) + 1 : 0) + 1;
        char *path = malloc(len);
        if (path) {
            snprintf(path, len, "%s%s%s", pkg, old && *old ? ":" : "", old && *old ? old : "");
            setenv("PYTHONPATH", path, 1);
        }
        execvp(python, (char *const *)argv);
        fprintf(stderr, "mtp %s: cannot %s: cannot run %s: %s (set OPENMTP_PYTHON to a Python 3 with matplotlib)\n",
                cmd, what, python, strerror(errno));
        _exit(127);
    }
    free(argv);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "mtp %s: cannot %s: waitpid failed: %s\n", cmd, what, strerror(errno));
            return -1;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return -1; /* the child said why */
    if (!strcmp(what, "plot")) {
        if (WIFEXITED(status))
            fprintf(stderr, "mtp %s: plotting failed: %s -m %s %s exited with status %d (see above)\n", cmd, python,
                    module, args[0], WEXITSTATUS(status));
        else
            fprintf(stderr, "mtp %s: plotting failed: %s -m %s %s was killed by signal %d\n", cmd, python, module,
                    args[0], WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        return -1;
    }
    /* a whole command run in Python: its own messages said what went wrong */
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    fprintf(stderr, "mtp %s: %s -m %s was killed by signal %d\n", cmd, python, module,
            WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int cli_run_plot(const char *cmd, const char *const *args)
{
    return run_python_module(cmd, "plot", "openmtp.plot", args);
}

int cli_run_python_command(const char *cmd, const char *module, const char *const *args)
{
    int rc = run_python_module(cmd, "run", module, args);
    return rc < 0 ? 1 : rc;
}
