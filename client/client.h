/* client.h: the whlc client: context, connection to whlcd, calls, and the command table. */
#ifndef WHLC_CLIENT_H
#define WHLC_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <msgpack.h>

#include "err.h"
#include "frame.h"
#include "msg.h"
#include "proto.h"

/* Descriptors passed (SCM_RIGHTS) with the next request; see proto.h. */
struct client_fds {
	int fd[PROTO_MAX_FDS];
	size_t n;
};

/* Exit codes (documented in --help and the README). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,      /* the operation failed */
	EXIT_USAGE = 2,	      /* usage error */
	EXIT_UNREACHABLE = 3, /* no daemon could be reached or started */
};

/* Global options and resolved paths. */
struct client_ctx {
	const char *prog;  /* argv[0] for messages */
	char *socket_path; /* resolved (--socket, $WHLC_SOCKET, ...) */
	char *cache_dir;   /* resolved (--cache-dir, $WHLC_CACHE_DIR, ...) */
	const char *socket_opt;
	const char *cache_opt;
	unsigned start_timeout_ms; /* $WHLC_START_TIMEOUT (seconds), default 10 s */
	pid_t daemon_pid;	   /* pid of the last daemon that answered (SO_PEERCRED) */
	bool system;		   /* socket_path is the system daemon's (no auto-start) */
	struct client_fds fds;	   /* sent with the next call, then closed */
};

/* An open, hello-completed connection to whlcd. */
struct client_conn {
	int fd;
	uint64_t next_id;
	pid_t daemon_pid; /* from SO_PEERCRED */
	char *daemon_version;
	struct frame_dec dec;
	struct client_ctx *ctx; /* set once hello succeeded: ctx->fds go with the next call */
	char rbuf[64 * 1024];
	size_t rlen, rpos;
};

/* The final reply of a call. */
struct client_reply {
	bool ok;
	char code[64];		    /* error code name ("ENOENT", "bad-wheel", ...) when !ok */
	char message[1024];	    /* error message when !ok */
	const msgpack_object *body; /* reply body (map) or error details (may be NULL) */
	msgpack_unpacked msg;	    /* owns body */
};

/* Flags of client_connect. */
enum {
	CLIENT_AUTOSTART = 1 << 0, /* start whlcd when nobody answers */
};

/*
 * Connect to whlcd and complete the hello. With CLIENT_AUTOSTART, start a
 * daemon when none answers (race-free: concurrent clients end with one daemon)
 * and replace an auto-started daemon of another version. On failure returns a
 * negative code with a message for the user in e (exit with EXIT_UNREACHABLE).
 */
int client_connect(struct client_ctx *ctx, unsigned flags, struct client_conn **out, struct err *e);

/*
 * Queue fd to be passed with the next request (ownership taken); returns its
 * index for the request body, or -1 (fd closed) when PROTO_MAX_FDS are queued.
 */
int client_fds_add(struct client_ctx *ctx, int fd);

/*
 * Open path read-only (a wheel, or with dir a directory) and queue it; the
 * index, or -1 with errno when it cannot be opened or queued.
 */
int client_fds_open(struct client_ctx *ctx, const char *path, bool dir);

/* Close and free a connection. */
void client_close(struct client_conn *c);

/* Called for each progress event of a call, with the event body (a map). */
typedef void (*client_event_fn)(void *arg, const msgpack_object *body);

/*
 * Send request type with body (NULL: empty), pass events to on_event (may be
 * NULL), and fill reply with the final reply. Returns 0 when a final reply
 * arrived (ok or error: see reply->ok), or a negative code when the connection
 * failed (message in e). Free reply with client_reply_free.
 */
int client_call(struct client_conn *c, uint32_t type, const struct msg_map *body,
		client_event_fn on_event, void *arg, struct client_reply *reply, struct err *e);
void client_reply_free(struct client_reply *reply);

/*
 * Connect (auto-starting whlcd) and call type with body. Connection failures
 * are printed and give EXIT_UNREACHABLE with *c NULL and r freed; otherwise
 * EXIT_OK with the reply (ok or not) in r: free r and close *c.
 */
int client_request(struct client_ctx *ctx, uint32_t type, const struct msg_map *body,
		   struct client_conn **c, struct client_reply *r);
/* client_request, but an error reply is reported on stderr and gives EXIT_FAILED. */
int client_request_ok(struct client_ctx *ctx, uint32_t type, const struct msg_map *body,
		      struct client_conn **c, struct client_reply *r);

/* Print body as JSON (pretty) on stdout followed by a newline. */
void client_print_json(const msgpack_object *body);

/* Report a failed reply on stderr ("whlc: CODE: message"); returns EXIT_FAILED. */
int client_report_error(struct client_ctx *ctx, const struct client_reply *r);

/* Where the daemon logs when auto-started. malloc'd. */
char *client_log_file(const struct client_ctx *ctx);

/* Wait until the daemon holding the socket's lock exits (bounded); 0 or -ETIMEDOUT. */
int client_wait_daemon_exit(struct client_ctx *ctx, unsigned timeout_ms, struct err *e);

/* Start whlcd detached on ctx's socket and cache (auto-start). */
int client_spawn_daemon(struct client_ctx *ctx, struct err *e);

/* One row of the command table (client/commands.c). */
struct client_cmd {
	const char *name;
	const char *summary; /* one line for whlc --help */
	const char *usage;   /* full help for whlc NAME --help (options, examples) */
	int (*run)(struct client_ctx *ctx, int argc, char **argv); /* argv[0] is NAME */
};

extern const struct client_cmd client_cmds[];
extern const size_t client_cmds_len;

/* Command handlers (one file per command group). */
int cmd_status(struct client_ctx *ctx, int argc, char **argv);
int cmd_daemon(struct client_ctx *ctx, int argc, char **argv);
int cmd_cache(struct client_ctx *ctx, int argc, char **argv);
/* whlc cache prune|gc|clear|verify (cmd_cache_life.c); -1 for another subcommand. */
int cmd_cache_life(struct client_ctx *ctx, int argc, char **argv);
int cmd_install(struct client_ctx *ctx, int argc, char **argv);
int cmd_uninstall(struct client_ctx *ctx, int argc, char **argv);
int cmd_list(struct client_ctx *ctx, int argc, char **argv);
int cmd_verify(struct client_ctx *ctx, int argc, char **argv);

#endif
