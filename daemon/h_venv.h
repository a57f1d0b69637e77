/* h_venv.h: shared between h_install.c (request state) and h_venv.c (uninstall/list/verify). */
#ifndef WHLC_H_VENV_H
#define WHLC_H_VENV_H

#include <stddef.h>

#include "err.h"
#include "msg.h"
#include "request.h"

/* Accessors of the private request state (h_install.c). */
const char *h_venv__path(void *arg);
/* The venv directory the client passed open (system mode), -1: none. */
int h_venv__bind_fd(void *arg);
char **h_venv__items(void *arg, size_t *n);
struct msg_map *h_venv__out(void *arg);
void h_venv__set_rc(void *arg, int rc, const struct err *e);

/* Workers (h_venv.c). */
void h_venv__uninstall_work(struct req *req, void *arg);
void h_venv__list_work(struct req *req, void *arg);
void h_venv__verify_work(struct req *req, void *arg);

#endif
