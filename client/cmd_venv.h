/* cmd_venv.h: helpers shared by the venv commands (install, uninstall, list, verify). */
#ifndef WHLC_CMD_VENV_H
#define WHLC_CMD_VENV_H

#include "msg.h"

/* Add venv (--venv, may be NULL), virtual_env ($VIRTUAL_ENV) and cwd to a request body. */
int cmdvenv_body(struct client_ctx *ctx, struct msg_map *body, const char *venv_opt);

/* An absolute version of path, without resolving symlinks (malloc'd). */
char *cmdvenv_abspath(const char *path);

#endif
