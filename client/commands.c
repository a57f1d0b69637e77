/* commands.c: the command table. Adding a command = one row here + a handler file. */
#include "config.h"

#include "client.h"

const struct client_cmd client_cmds[] = {
    {"status", "show the daemon's state (starting it if needed)",
     "usage: whlc status [--json]\n"
     "Show the daemon's pid, version, uptime, socket, cache directory and counters.\n"
     "Starts the daemon when none is running.\n"
     "\n"
     "  --json   print the status as JSON\n",
     cmd_status},
    {"daemon", "control the daemon: whlc daemon stop",
     "usage: whlc daemon stop\n"
     "Stop the daemon serving this socket. In-flight requests finish first.\n"
     "Succeeds (exit 0) when no daemon is running.\n",
     cmd_daemon},
    {"cache", "manage the wheel cache: add, stats, dir, prune, gc, clear, verify",
     "usage: whlc cache add [--json] WHEEL...\n"
     "       whlc cache stats [--json]\n"
     "       whlc cache dir\n"
     "       whlc cache prune [--max-size SIZE] [--older-than DURATION] [--json]\n"
     "       whlc cache gc [--json]\n"
     "       whlc cache clear [--json]\n"
     "       whlc cache verify [--repair] [--json]\n"
     "add    verify wheels and store them in the cache without installing them\n"
     "       (e.g. to warm a CI image); several wheels are ingested in parallel.\n"
     "       One line per wheel: added NAME==VERSION (N files, M new objects),\n"
     "       cached NAME==VERSION, or error: ... Exits 1 when any wheel failed.\n"
     "stats  wheels, objects, logical bytes (all files of all wheels), bytes on\n"
     "       disk, deduplication ratio, hits and misses, installs by link mode,\n"
     "       bytes saved by linking, the size limit and the last eviction\n"
     "dir    print the cache directory\n"
     "prune  evict least-recently-used wheels until the cache holds SIZE (10G,\n"
     "       500M; default: the configured max-size) and those unused for\n"
     "       DURATION (30d, 12h), then remove objects no wheel references\n"
     "gc     remove objects no wheel references (older than the grace period)\n"
     "clear  empty the cache (wheels being installed stay)\n"
     "verify re-hash every object in parallel, check modes and the catalog;\n"
     "       --repair fixes what it can. Exits 1 when it found any problem.\n",
     cmd_cache},
    {"install", "install wheels into a virtual environment",
     "usage: whlc install [--venv DIR] [--link-mode hardlink|clone|copy|symlink]\n"
     "                    [--reinstall] [--dry-run] [--quiet] [--json] WHEEL...\n"
     "Install wheel files into a venv (--venv, else $VIRTUAL_ENV, else ./.venv) by\n"
     "hardlinking their files from the cache; the result is what\n"
     "`pip install --no-deps` would give. Prints `+ name==version` per installed\n"
     "distribution, `- name==version` per replaced one, and a summary.\n"
     "\n"
     "  --venv DIR        target virtual environment (must hold pyvenv.cfg)\n"
     "  --link-mode MODE  hardlink (default; falls back to copy across filesystems),\n"
     "                    clone (reflinks only), copy (reflink when possible),\n"
     "                    symlink (to the cache's objects); also $WHLC_LINK_MODE\n"
     "  --reinstall       install again a version that is already installed\n"
     "  --dry-run         say what would be installed and removed, change nothing\n"
     "  -q, --quiet       print only errors\n"
     "  --json            print the result as JSON\n",
     cmd_install},
    {"uninstall", "remove distributions from a virtual environment",
     "usage: whlc uninstall [--venv DIR] [--json] NAME...\n"
     "Remove installed distributions (files in their RECORD, launchers, pycs;\n"
     "emptied directories are pruned). Prints `- name==version` per distribution.\n"
     "A distribution without RECORD is refused (the error names its installer).\n",
     cmd_uninstall},
    {"list", "list the distributions installed in a virtual environment",
     "usage: whlc list [--venv DIR] [--json]\n"
     "One line per distribution, `name==version (installer)`, sorted by name;\n"
     "every distribution, whatever installed it.\n",
     cmd_list},
    {"verify", "check a virtual environment's files against their RECORDs",
     "usage: whlc verify [--venv DIR] [--json]\n"
     "Check every installed file against its RECORD (missing, modified, size) and,\n"
     "for what whlc installed, exec bits against the cache (mode). Prints\n"
     "`<dist>: <kind> <path>` per problem and exits 1 when there is any.\n",
     cmd_verify},
};

const size_t client_cmds_len = sizeof(client_cmds) / sizeof(client_cmds[0]);
