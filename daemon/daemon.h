/* daemon.h: the daemon context shared by the server, connections and request handlers. */
#ifndef WHLC_DAEMON_H
#define WHLC_DAEMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <uv.h>

#include "log.h"

/* Modules added by later issues hang off struct daemon (NULL until they exist). */
struct store;
struct catalog;
struct cache;
struct conn;
struct req_event_item;
struct sysmode;

/* Command-line options of whlcd. */
struct daemon_opts {
	const char *socket_opt;	  /* --socket */
	const char *cache_opt;	  /* --cache-dir */
	bool foreground;	  /* --foreground: stay attached, log to stderr */
	bool auto_started;	  /* --auto-started: spawned by the client */
	bool idle_set;		  /* --idle-timeout given */
	uint64_t idle_timeout_s;  /* 0: never exit when idle */
	enum log_level log_level; /* --log-level */
	bool test_mode;		  /* --test-mode: enables test-only requests */
	const char *test_version; /* --test-version: report this version (tests) */
	const char *max_size_opt; /* --max-size: cache size limit (overrides the config file) */
	bool system;		  /* --system: serve every allowed user (daemon/sysmode.h) */
	const char *config_opt;	  /* --config (system mode) */
};

/* Counters reported by `whlc status`. Touched on the loop thread only. */
struct daemon_counters {
	uint64_t connections_total;
	uint64_t connections_active;
	uint64_t requests;
	uint64_t errors;
	uint64_t inflight; /* requests not yet freed (replied and work done) */
};

/* Per-connection limits. */
#define DAEMON_MAX_CONNECTIONS 256
#define CONN_MAX_OUTPUT	       (64u * 1024 * 1024) /* bytes queued for one client */
#define CONN_MAX_INFLIGHT      64		   /* pipelined requests per connection */
/* Idle time after the last request before freed heap memory goes back to the OS. */
#define DAEMON_TRIM_DELAY_MS 1000

struct daemon {
	uv_loop_t *loop;
	struct daemon_opts opts;
	const char *version; /* reported program version (PACKAGE_VERSION unless --test-version) */
	char *socket_path;
	char *lock_path;
	char *cache_dir;
	char *log_path; /* NULL when logging to stderr */
	int lock_fd;
	int listen_fd;
	bool socket_activated; /* systemd owns the socket file */
	struct log log;
	time_t started;	     /* wall clock at start */
	uint64_t started_ms; /* uv_now at start */
	struct daemon_counters counters;
	bool stopping;
	int exit_code;

	uv_pipe_t server;
	bool server_open;
	uv_signal_t sigterm, sigint;
	uv_signal_t sighup; /* re-read the configuration (daemon/reload.h) */
	uv_timer_t idle_timer;
	uv_timer_t trim_timer; /* returns freed heap to the OS once idle (server.c) */
	struct conn *conns;    /* list of open connections */

	/* Progress events queued by worker threads (req_event), sent by the loop. */
	uv_mutex_t ev_lock;
	struct req_event_item *ev_head, *ev_tail;
	uv_async_t ev_async;

	/* Later modules (issue 4 and up). */
	struct store *store;
	struct catalog *catalog;
	struct cache *cache; /* store + catalog + ingestion (daemon/cache.h) */
	struct sysmode *sys; /* system mode: configuration and allow-list; NULL per user */

	/* Extra threads of the installs running (install_par.c). */
	atomic_int install_threads;
};

/* Stop accepting, finish in-flight requests, then leave the loop (SIGTERM, shutdown, idle). */
void daemon_stop(struct daemon *d, const char *why);

/* Called when a request ends or a connection closes: exit when stopping and idle, rearm idle timer.
 */
void daemon_activity(struct daemon *d);

#endif
