/* autostart.c: start whlcd detached when no daemon answers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "paths.h"
#include "strbuf.h"
#include "xalloc.h"

/* The whlcd to run: $WHLC_DAEMON, else the one beside this whlc, else the installed one. */
static char *autostart__daemon_path(void)
{
	const char *env = getenv("WHLC_DAEMON");
	char exe[PATH_MAX];
	ssize_t n;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *dir = paths_dirname(exe);
		char *p = xasprintf("%s/whlcd", dir);
		free(dir);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return xstrdup(WHLC_BINDIR "/whlcd");
}

/* Split $WHLC_DAEMON_ARGS on spaces into extra arguments appended to argv. */
static void autostart__extra_args(char **argv, size_t *argc, size_t max, char **copy)
{
	const char *env = getenv("WHLC_DAEMON_ARGS");
	char *save = NULL;

	*copy = NULL;
	if (env == NULL || *env == '\0')
		return;
	*copy = xstrdup(env);
	for (char *t = strtok_r(*copy, " ", &save); t && *argc < max;
	     t = strtok_r(NULL, " ", &save))
		argv[(*argc)++] = t;
}

/*
 * Start whlcd on ctx's socket and cache. The daemon binds its socket before
 * its first process exits, so once waitpid returns 0 the socket accepts (the
 * detached child serves it). Several clients may do this at once: the
 * daemon's lock lets exactly one of them serve; the others exit 0.
 */
int client_spawn_daemon(struct client_ctx *ctx, struct err *e)
{
	char *path = autostart__daemon_path();
	char *argv[40], *extra = NULL;
	size_t argc = 0;
	int pfd[2], status = 0, rc = 0;
	pid_t pid;

	argv[argc++] = path;
	argv[argc++] = "--socket";
	argv[argc++] = ctx->socket_path;
	argv[argc++] = "--cache-dir";
	argv[argc++] = ctx->cache_dir;
	argv[argc++] = "--auto-started";
	autostart__extra_args(argv, &argc, sizeof(argv) / sizeof(argv[0]) - 1, &extra);
	argv[argc] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		rc = err_set(e, -errno, "pipe: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = err_set(e, -errno, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		goto out;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
		}
		dup2(pfd[1], 2);
		execv(path, argv);
		dprintf(2, "cannot run %s: %s (set WHLC_DAEMON to the whlcd binary)\n", path,
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		struct strbuf msg = STRBUF_INIT;
		char buf[1024];
		ssize_t n;
		/* The daemon's first process has exited; its stderr ends here. */
		while ((n = read(pfd[0], buf, sizeof(buf))) > 0 && msg.len < 8192)
			strbuf_add(&msg, buf, (size_t)n);
		while (msg.len > 0 && msg.buf[msg.len - 1] == '\n')
			msg.buf[--msg.len] = '\0';
		rc = err_set(e, -ECHILD, "could not start %s: %s", path,
			     msg.len ? msg.buf : "it exited with an error");
		strbuf_free(&msg);
	}
	close(pfd[0]);
out:
	free(extra);
	free(path);
	return rc;
}
