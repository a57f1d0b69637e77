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
};

const size_t client_cmds_len = sizeof(client_cmds) / sizeof(client_cmds[0]);
