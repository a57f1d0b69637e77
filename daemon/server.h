/* server.h: the listening socket (bind or systemd activation), the lock, the loop's handles. */
#ifndef WHLC_SERVER_H
#define WHLC_SERVER_H

#include "daemon.h"
#include "err.h"

/*
 * Before the loop exists (and before detaching): take the lock beside the
 * socket and bind/listen (or adopt a systemd-activated socket). Returns 0,
 * 1 when another whlcd already serves this socket, or a negative code.
 */
int server_setup(struct daemon *d, struct err *e);

/* Create the loop's handles (listener, signals, idle timer, event queue). */
int server_start(struct daemon *d, struct err *e);

/* After the loop ended: remove the socket (unless systemd owns it), release the lock. */
void server_cleanup(struct daemon *d);

#endif
