/*
 * reload.h: re-reading the configuration without a restart (SIGHUP).
 *
 * The daemon reads the same file as at start (system mode: --config or
 * /etc/whlc/config, allow-lists and cache settings; per user:
 * $XDG_CONFIG_HOME/whlc/config) through the same readers (sysmode_load,
 * settings_load). Everything is parsed first: a file with an error changes
 * nothing, and the error (naming the line) goes to the log. `--max-size`
 * keeps overriding the file.
 */
#ifndef WHLC_RELOAD_H
#define WHLC_RELOAD_H

#include "err.h"

struct daemon;

/*
 * Loop thread: re-read the configuration and apply it. The allow-list is
 * used on the loop thread only (connection accept); each cache setting is a
 * word stored atomically, so a worker reads the old value or the new one.
 * Returns 0, or a negative code with err naming the file and line (nothing
 * changed).
 */
int reload_config(struct daemon *d, struct err *err);

#endif
