/* main.c: whlcd entry point: options, paths, detaching, the event loop. */
#include "config.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "conn.h"
#include "daemon.h"
#include "paths.h"
#include "proto.h"
#include "server.h"
#include "sysmode.h"
#include "ident.h"
#include "xalloc.h"

/* Print usage to f. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: whlcd [OPTIONS]\n"
		"The whlc daemon: owns the wheel cache and serves whlc clients on a Unix socket.\n"
		"\n"
		"  --socket PATH          socket (default: $WHLC_SOCKET, else "
		"$XDG_RUNTIME_DIR/whlc/whlcd.sock,\n"
		"                         else /tmp/whlc-$UID/whlcd.sock)\n"
		"  --cache-dir DIR        cache (default: $WHLC_CACHE_DIR, else "
		"$XDG_CACHE_HOME/whlc, else ~/.cache/whlc)\n"
		"  --foreground           stay attached and log to stderr\n"
		"  --idle-timeout SECS    exit after SECS without requests (0: never; default 600 "
		"when\n"
		"                         started by whlc, else 0)\n"
		"  --log-level LEVEL      error, warn, info (default) or debug\n"
		"  --max-size SIZE        cache size limit, e.g. 10G (default: max-size in\n"
		"                         $XDG_CONFIG_HOME/whlc/config, else no limit)\n"
		"  --system               serve every allowed user of the machine: socket\n"
		"                         " SYSMODE_SOCKET " (mode 0666, access decided by the\n"
		"                         daemon), cache " SYSMODE_CACHE_DIR ", configuration\n"
		"                         " SYSMODE_CONFIG "; needs CAP_SETUID, CAP_SETGID, "
		"CAP_FOWNER\n"
		"  --config PATH          system mode configuration (default " SYSMODE_CONFIG ")\n"
		"  --version              print the version and exit\n"
		"  --help                 print this help and exit\n"
		"\n"
		"Normally started by whlc on demand, or by systemd (whlcd.socket).\n");
}

enum {
	OPT_SOCKET = 256,
	OPT_CACHE,
	OPT_FOREGROUND,
	OPT_IDLE,
	OPT_LOGLEVEL,
	OPT_AUTO,
	OPT_TESTMODE,
	OPT_TESTVERSION,
	OPT_VERSION,
	OPT_HELP,
	OPT_MAXSIZE,
	OPT_SYSTEM,
	OPT_CONFIG,
};

/* Parse argv into o; returns 0, 1 (exit 0 after --help/--version) or 2 (usage error). */
static int parse_args(int argc, char **argv, struct daemon_opts *o)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, OPT_SOCKET},
	    {"cache-dir", required_argument, NULL, OPT_CACHE},
	    {"foreground", no_argument, NULL, OPT_FOREGROUND},
	    {"idle-timeout", required_argument, NULL, OPT_IDLE},
	    {"log-level", required_argument, NULL, OPT_LOGLEVEL},
	    {"max-size", required_argument, NULL, OPT_MAXSIZE},
	    /* Hidden: set by whlc when it auto-starts the daemon. */
	    {"auto-started", no_argument, NULL, OPT_AUTO},
	    /* Hidden, for the test suite only (see README "Testing hooks"). */
	    {"test-mode", no_argument, NULL, OPT_TESTMODE},
	    {"test-version", required_argument, NULL, OPT_TESTVERSION},
	    {"system", no_argument, NULL, OPT_SYSTEM},
	    {"config", required_argument, NULL, OPT_CONFIG},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	o->log_level = LOGL_INFO;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			o->socket_opt = optarg;
			break;
		case OPT_CACHE:
			o->cache_opt = optarg;
			break;
		case OPT_FOREGROUND:
			o->foreground = true;
			break;
		case OPT_IDLE:
			errno = 0;
			o->idle_timeout_s = strtoull(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || optarg[0] == '\0' ||
			    o->idle_timeout_s > 86400 * 365) {
				fprintf(stderr, "whlcd: --idle-timeout wants seconds, got %s\n",
					optarg);
				return 2;
			}
			o->idle_set = true;
			break;
		case OPT_LOGLEVEL:
			if (log_level_parse(optarg, &o->log_level) < 0) {
				fprintf(stderr,
					"whlcd: --log-level wants error, warn, info or debug, got "
					"%s\n",
					optarg);
				return 2;
			}
			break;
		case OPT_MAXSIZE:
			o->max_size_opt = optarg;
			break;
		case OPT_AUTO:
			o->auto_started = true;
			break;
		case OPT_TESTMODE:
			o->test_mode = true;
			break;
		case OPT_TESTVERSION:
			o->test_version = optarg;
			break;
		case OPT_SYSTEM:
			o->system = true;
			break;
		case OPT_CONFIG:
			o->config_opt = optarg;
			break;
		case OPT_VERSION:
			printf("whlcd %s (protocol %d)\n", PACKAGE_VERSION, PROTO_VERSION);
			return 1;
		case OPT_HELP:
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "whlcd: unexpected argument %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!o->idle_set && o->auto_started)
		o->idle_timeout_s = 600;
	if (o->config_opt && !o->system) {
		fprintf(stderr, "whlcd: --config is for --system\n");
		return 2;
	}
	return 0;
}

/*
 * System mode setup before the socket exists: fixed default paths (never
 * the environment's), umask 022 so that the store is readable by everyone,
 * the capabilities the identity switch needs, and the configuration.
 */
static int setup_system(struct daemon *d, struct err *e)
{
	struct stat st;

	d->sys = xcalloc(1, sizeof(*d->sys));
	d->socket_path = xstrdup(d->opts.socket_opt ? d->opts.socket_opt : SYSMODE_SOCKET);
	d->cache_dir = xstrdup(d->opts.cache_opt ? d->opts.cache_opt : SYSMODE_CACHE_DIR);
	if (d->socket_path[0] != '/' || d->cache_dir[0] != '/')
		return err_set(e, -EINVAL, "--system wants absolute --socket and --cache-dir");
	umask(022);
	if (ident_check_caps(e) < 0)
		return -EPERM;
	if (sysmode_load(d->sys, d->opts.config_opt ? d->opts.config_opt : SYSMODE_CONFIG, &d->log,
			 e) < 0)
		return -EINVAL;
	if (paths_mkdir_p(d->cache_dir, 0755, e) < 0)
		return -EIO;
	/* Users link from the store: nobody but the daemon may write its directories. */
	if (lstat(d->cache_dir, &st) < 0)
		return err_set(e, -errno, "%s: %s", d->cache_dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return err_set(e, -EPERM,
			       "cache directory %s must be a directory owned by uid %lu and "
			       "writable by nobody else (mode %04o, owner %lu)",
			       d->cache_dir, (unsigned long)geteuid(),
			       (unsigned)(st.st_mode & 07777), (unsigned long)st.st_uid);
	return 0;
}

/*
 * Detach: fork, the parent exits, the child starts a session and sends its
 * output to the log file. The listening socket and the lock (an open file
 * description) pass to the child, so the socket is ready before the parent exits.
 */
static int detach(struct daemon *d, struct err *e)
{
	int logfd, nullfd;
	pid_t pid;

	logfd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (logfd < 0)
		return err_set(e, -errno, "cannot open log file %s: %s", d->log_path,
			       strerror(errno));
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd < 0)
		return err_set(e, -errno, "cannot open /dev/null: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return err_set(e, -errno, "fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	setsid();
	if (chdir("/") < 0)
		return err_set(e, -errno, "chdir /: %s", strerror(errno));
	dup2(nullfd, 0);
	dup2(nullfd, 1);
	dup2(logfd, 2);
	close(nullfd);
	close(logfd);
	return 0;
}

/* Entry point. */
int main(int argc, char **argv)
{
	struct daemon d;
	struct err e;
	int rc;

	memset(&d, 0, sizeof(d));
	d.lock_fd = -1;
	d.listen_fd = -1;
	rc = parse_args(argc, argv, &d.opts);
	if (rc)
		return rc == 1 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	/*
	 * libarchive converts every zip member's DOS time with mktime(), and with TZ
	 * unset glibc stats /etc/localtime on every call (two per member: 57,000
	 * stats for the bench corpus). Naming the same file keeps the zone and
	 * makes glibc read it once. Before any thread exists (setenv).
	 */
	setenv("TZ", ":/etc/localtime", 0);
	d.version = d.opts.test_version ? d.opts.test_version : PACKAGE_VERSION;
	log_init(&d.log, 2, d.opts.log_level, "whlcd");
	if (d.opts.system) {
		if (setup_system(&d, &e) < 0)
			goto fail;
	} else if ((d.socket_path = paths_socket(d.opts.socket_opt, &e)) == NULL ||
		   (d.cache_dir = paths_cache_dir(d.opts.cache_opt, &e)) == NULL ||
		   paths_mkdir_p(d.cache_dir, 0700, &e) < 0)
		goto fail;
	/* The system socket's directory may belong to root (systemd): lock in the cache. */
	d.lock_path =
	    d.sys ? xasprintf("%s/whlcd.lock", d.cache_dir) : paths_lock_file(d.socket_path);
	rc = server_setup(&d, &e);
	if (rc == 1) {
		log_debug(&d.log, "another whlcd already serves %s", d.socket_path);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto fail;
	if (!d.opts.foreground) {
		d.log_path = paths_log_file(d.cache_dir);
		if (detach(&d, &e) < 0)
			goto fail;
	}
	d.started = time(NULL);
	d.loop = xmalloc(sizeof(*d.loop));
	if (uv_loop_init(d.loop) < 0) {
		err_set(&e, -EIO, "cannot create the event loop");
		goto fail;
	}
	if (cache_open(&d, &e) < 0 || server_start(&d, &e) < 0)
		goto fail;
	log_info(&d.log,
		 "whlcd %s (protocol %d) pid %ld listening on %s%s, cache %s; libuv %s, SQLite %s, "
		 "%s, msgpack-c %s; idle timeout %llus%s",
		 d.version, PROTO_VERSION, (long)getpid(), d.socket_path,
		 d.socket_activated ? " (systemd socket)" : "", d.cache_dir, uv_version_string(),
		 sqlite3_libversion(), archive_version_string(), msgpack_version(),
		 (unsigned long long)d.opts.idle_timeout_s, d.sys ? "; system mode" : "");
	uv_run(d.loop, UV_RUN_DEFAULT);
	server_cleanup(&d);
	log_info(&d.log, "exiting: served %llu connection(s), %llu request(s)",
		 (unsigned long long)d.counters.connections_total,
		 (unsigned long long)d.counters.requests);
	if (uv_loop_close(d.loop) != 0)
		log_warn(&d.log, "event loop closed with handles still open");
	uv_mutex_destroy(&d.ev_lock);
	free(d.loop);
	rc = 0;
	goto out;
fail:
	log_error(&d.log, "%s", e.msg);
	rc = 1;
out:
	server_cleanup(&d);
	cache_close(&d);
	free(d.socket_path);
	free(d.cache_dir);
	free(d.lock_path);
	free(d.log_path);
	if (d.sys) {
		sysmode_free(d.sys);
		free(d.sys);
	}
	return rc;
}
