/* SPDX-License-Identifier: BSD-3-Clause */
/* Removing the temporaries of unfinished outputs when mtp is interrupted.
 * libmtp writes every output to "PATH.tmp.<pid>" and renames it when done; it
 * tells us (mtp_set_temp_file_observer) which temporaries are live, and on
 * SIGINT/SIGTERM/SIGHUP/SIGPIPE the handler unlinks them and re-raises the
 * signal, so the exit status still says "killed by signal N".  The handler
 * only reads the fixed table below and calls unlink/signal/raise, all
 * async-signal-safe. */
#include "cli.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

enum { MAX_LIVE_TEMPS = 32, MAX_TEMP_PATH = 4096 };
static char live_path[MAX_LIVE_TEMPS][MAX_TEMP_PATH];
static volatile sig_atomic_t live_used[MAX_LIVE_TEMPS];
static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

static void remove_live_temps(int sig)
{
    for (int i = 0; i < MAX_LIVE_TEMPS; i++)
        if (live_used[i]) unlink(live_path[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void track_temp(const char *tmp_path, int live, void *user)
{
    (void)user;
    size_t n = strlen(tmp_path);
    if (n >= MAX_TEMP_PATH) return; /* not tracked: left behind if killed (paths this long are rare) */
    if (live) {
        for (int i = 0; i < MAX_LIVE_TEMPS; i++)
            if (!live_used[i]) {
                memcpy(live_path[i], tmp_path, n + 1);
                live_used[i] = 1; /* only after the path is complete */
                return;
            }
    } else {
        for (int i = 0; i < MAX_LIVE_TEMPS; i++)
            if (live_used[i] && strcmp(live_path[i], tmp_path) == 0) {
                live_used[i] = 0;
                return;
            }
    }
}

void cli_install_cleanup_handlers(void)
{
    mtp_set_temp_file_observer(track_temp, NULL);
    for (size_t k = 0; k < sizeof cleanup_signals / sizeof cleanup_signals[0]; k++) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = remove_live_temps;
        sigemptyset(&sa.sa_mask);
        for (size_t j = 0; j < sizeof cleanup_signals / sizeof cleanup_signals[0]; j++)
            sigaddset(&sa.sa_mask, cleanup_signals[j]);
        /* keep a signal the parent chose to ignore (nohup, SIGPIPE in some shells) ignored */
        if (sigaction(cleanup_signals[k], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(cleanup_signals[k], &sa, NULL);
    }
}
