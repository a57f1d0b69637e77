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
    {"cache", "manage the wheel cache: add, stats, dir",
     "usage: whlc cache add [--json] WHEEL...\n"
     "       whlc cache stats [--json]\n"
     "       whlc cache dir\n"
     "add    verify wheels and store them in the cache without installing them\n"
     "       (e.g. to warm a CI image); several wheels are ingested in parallel.\n"
     "       One line per wheel: added NAME==VERSION (N files, M new objects),\n"
     "       cached NAME==VERSION, or error: ... Exits 1 when any wheel failed.\n"
     "stats  wheels, objects, logical bytes (all files of all wheels), bytes on\n"
     "       disk, deduplication ratio, hits and misses\n"
     "dir    print the cache directory\n",
     cmd_cache},
};

const size_t client_cmds_len = sizeof(client_cmds) / sizeof(client_cmds[0]);
