/* server.c: the listening socket, the lock, signals, idle exit and graceful stop. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "cache.h"
#include "conn.h"
#include "paths.h"
#include "reload.h"
#include "server.h"

#define SERVER_LOCK_WAIT_MS 10000

/* Fill a sockaddr_un for path (length already checked). */
static void server__addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, strlen(path) + 1);
}

/* True if something accepts connections on path. */
static bool server__connectable(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	server__addr(&sa, path);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Sleep ms milliseconds. */
static void server__sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Take the lock. When another daemon holds it and serves the socket, return 1.
 * When it holds it without serving (it is exiting), wait for it, bounded.
 */
static int server__lock(struct daemon *d, struct err *e)
{
	long waited = 0, delay = 1;
	char pid[32];
	int n;

	d->lock_fd = open(d->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lock_fd < 0)
		return err_set(e, -errno, "cannot open lock file %s: %s", d->lock_path,
			       strerror(errno));
	while (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return err_set(e, -errno, "cannot lock %s: %s", d->lock_path,
				       strerror(errno));
		if (!d->socket_activated && server__connectable(d->socket_path))
			return 1;
		if (waited >= SERVER_LOCK_WAIT_MS)
			return err_set(e, -EBUSY,
				       "another whlcd holds %s but does not accept connections on "
				       "%s; stop it (see its log) or remove the lock holder",
				       d->lock_path, d->socket_path);
		server__sleep_ms(delay);
		waited += delay;
		delay = delay * 2 > 100 ? 100 : delay * 2;
	}
	/* The pid in the lock file is informational (whlc daemon stop uses the socket). */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(d->lock_fd, 0) == 0 && write(d->lock_fd, pid, (size_t)n) < 0)
		log_debug(&d->log, "cannot write pid to %s", d->lock_path);
	return 0;
}

/* Number of sockets passed by systemd (LISTEN_FDS for this pid), 0 if none. */
static int server__listen_fds(void)
{
#ifdef HAVE_LIBSYSTEMD
	int n = sd_listen_fds(1);
	return n > 0 ? n : 0;
#else
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int n;

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	n = (int)strtol(fds, NULL, 10);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (n > 0)
		fcntl(3, F_SETFD, FD_CLOEXEC);
	return n > 0 ? n : 0;
#endif
}

/* Take the lock and bind/listen (or adopt a systemd socket). */
int server_setup(struct daemon *d, struct err *e)
{
	struct sockaddr_un sa;
	char *dir;
	mode_t old;
	int rc, nfds = server__listen_fds();

	if (nfds > 0) {
		/* systemd created the socket (and its directory): use the first one. */
		d->socket_activated = true;
		d->listen_fd = 3;
	}
	if ((rc = paths_check_sun_path(d->socket_path, e)) < 0)
		return rc;
	dir = paths_dirname(d->socket_path);
	rc = d->sys ? paths_shared_dir(dir, geteuid(), e) : paths_private_dir(dir, geteuid(), e);
	free(dir);
	if (rc < 0)
		return rc;
	if ((rc = server__lock(d, e)) != 0)
		return rc;
	if (d->socket_activated)
		return 0;
	/* We hold the lock, so a socket file left here belongs to a dead daemon. */
	if (unlink(d->socket_path) < 0 && errno != ENOENT)
		return err_set(e, -errno, "cannot remove stale socket %s: %s", d->socket_path,
			       strerror(errno));
	d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	server__addr(&sa, d->socket_path);
	/* System mode: everyone may connect; the daemon decides (sysmode_allowed). */
	old = umask(d->sys ? 0111 : 0177);
	rc = bind(d->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0)
		return err_set(e, -errno, "cannot bind %s: %s", d->socket_path, strerror(errno));
	if (listen(d->listen_fd, 128) < 0)
		return err_set(e, -errno, "cannot listen on %s: %s", d->socket_path,
			       strerror(errno));
	return 0;
}

/* New connection on the listener. */
static void server__conn_cb(uv_stream_t *s, int status)
{
	struct daemon *d = s->data;

	if (status < 0) {
		log_warn(&d->log, "accept: %s", uv_strerror(status));
		return;
	}
	conn_accept(d);
}

/* SIGTERM/SIGINT. */
static void server__signal_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	daemon_stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* SIGHUP: re-read the configuration; a bad file keeps the current one. */
static void server__sighup_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;
	struct err e;

	(void)signum;
	if (reload_config(d, &e) < 0)
		log_error(&d->log,
			  "SIGHUP: configuration not reloaded, keeping the current one: %s", e.msg);
}

/* Idle timer fired. */
static void server__idle_cb(uv_timer_t *t)
{
	struct daemon *d = t->data;

	if (d->counters.inflight == 0)
		daemon_stop(d, "idle timeout");
}

/* Idle for DAEMON_TRIM_DELAY_MS: give the heap the requests freed back to the OS. */
static void server__trim_cb(uv_timer_t *t)
{
	struct daemon *d = t->data;

	if (d->counters.inflight > 0)
		return;		 /* the end of the last one re-arms the timer */
	cache_release_memory(d); /* up to 2 MiB of page cache per pooled connection */
#ifdef __GLIBC__
	/* The pool threads' malloc arenas keep what a corpus install freed (12+ MiB);
	   glibc returns an arena's free top only, malloc_trim releases every free page. */
	malloc_trim(0);
#endif
}

/* Worker threads queued events. */
static void server__async_cb(uv_async_t *a)
{
	req_flush_events(a->data);
}

/* Create the loop's handles. */
int server_start(struct daemon *d, struct err *e)
{
	int rc;

	uv_pipe_init(d->loop, &d->server, 0);
	d->server.data = d;
	if ((rc = uv_pipe_open(&d->server, d->listen_fd)) < 0 ||
	    (rc = uv_listen((uv_stream_t *)&d->server, 128, server__conn_cb)) < 0)
		return err_set(e, -EIO, "cannot listen on %s: %s", d->socket_path, uv_strerror(rc));
	d->server_open = true;
	uv_mutex_init(&d->ev_lock);
	uv_async_init(d->loop, &d->ev_async, server__async_cb);
	d->ev_async.data = d;
	uv_signal_init(d->loop, &d->sigterm);
	uv_signal_init(d->loop, &d->sigint);
	d->sigterm.data = d->sigint.data = d;
	uv_signal_start(&d->sigterm, server__signal_cb, SIGTERM);
	uv_signal_start(&d->sigint, server__signal_cb, SIGINT);
	uv_signal_init(d->loop, &d->sighup);
	d->sighup.data = d;
	uv_signal_start(&d->sighup, server__sighup_cb, SIGHUP);
	uv_timer_init(d->loop, &d->idle_timer);
	d->idle_timer.data = d;
	uv_timer_init(d->loop, &d->trim_timer);
	d->trim_timer.data = d;
	d->started_ms = uv_now(d->loop);
	daemon_activity(d);
	return 0;
}

/* Stop accepting, finish in-flight requests, then leave the loop. */
void daemon_stop(struct daemon *d, const char *why)
{
	if (d->stopping) {
		log_info(&d->log, "%s while stopping; still waiting for %llu request(s)", why,
			 (unsigned long long)d->counters.inflight);
		return;
	}
	d->stopping = true;
	log_info(&d->log, "stopping (%s): %llu request(s) in flight", why,
		 (unsigned long long)d->counters.inflight);
	if (d->server_open) {
		d->server_open = false;
		uv_close((uv_handle_t *)&d->server, NULL);
		/* New clients must not queue on a listener nobody accepts on. */
		if (!d->socket_activated)
			unlink(d->socket_path);
	}
	uv_timer_stop(&d->idle_timer);
	daemon_activity(d);
}

/* A request ended or a connection opened/closed. */
void daemon_activity(struct daemon *d)
{
	if (d->stopping) {
		if (d->counters.inflight > 0 || uv_is_closing((uv_handle_t *)&d->ev_async))
			return;
		conn_close_all(d);
		uv_close((uv_handle_t *)&d->ev_async, NULL);
		uv_close((uv_handle_t *)&d->sigterm, NULL);
		uv_close((uv_handle_t *)&d->sigint, NULL);
		uv_close((uv_handle_t *)&d->sighup, NULL);
		uv_close((uv_handle_t *)&d->idle_timer, NULL);
		uv_close((uv_handle_t *)&d->trim_timer, NULL);
		return;
	}
	/* Not restarted while pending: at most one trim per DAEMON_TRIM_DELAY_MS, even
	   under a steady trickle of small requests. */
	if (d->counters.inflight == 0 && !uv_is_active((uv_handle_t *)&d->trim_timer))
		uv_timer_start(&d->trim_timer, server__trim_cb, DAEMON_TRIM_DELAY_MS, 0);
	if (d->opts.idle_timeout_s == 0)
		return;
	if (d->counters.inflight == 0)
		uv_timer_start(&d->idle_timer, server__idle_cb, d->opts.idle_timeout_s * 1000, 0);
	else
		uv_timer_stop(&d->idle_timer);
}

/* Remove the socket (unless systemd owns it) and release the lock. */
void server_cleanup(struct daemon *d)
{
	if (d->lock_fd >= 0) {
		/* Remove the socket before dropping the lock that proves it is ours. */
		if (!d->socket_activated && d->listen_fd >= 0)
			unlink(d->socket_path);
		close(d->lock_fd);
		d->lock_fd = -1;
	}
}
