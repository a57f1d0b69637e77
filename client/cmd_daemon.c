/* cmd_daemon.c: whlc daemon stop. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "proto.h"

/* Stop the daemon: a shutdown request, or SIGTERM when its version differs. */
static int daemon__stop(struct client_ctx *ctx)
{
	struct client_conn *c = NULL;
	struct client_reply r;
	struct err e;
	int rc = client_connect(ctx, 0, &c, &e);

	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		printf("whlcd is not running (%s)\n", ctx->socket_path);
		return EXIT_OK;
	}
	if (rc == -PROTO_EVERSION && ctx->daemon_pid > 0) {
		/* Another version cannot be asked, but it runs as us: signal it. */
		printf("whlcd pid %ld is another version; sending SIGTERM\n",
		       (long)ctx->daemon_pid);
		if (kill(ctx->daemon_pid, SIGTERM) < 0) {
			fprintf(stderr, "%s: cannot signal whlcd pid %ld: %s\n", ctx->prog,
				(long)ctx->daemon_pid, strerror(errno));
			return EXIT_FAILED;
		}
	} else if (rc < 0) {
		fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		return EXIT_UNREACHABLE;
	}
	if (rc == 0) {
		rc = client_call(c, PROTO_SHUTDOWN, NULL, NULL, NULL, &r, &e);
		if (rc == 0 && !r.ok)
			rc = client_report_error(ctx, &r);
		else if (rc < 0)
			fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		client_reply_free(&r);
		client_close(c);
		if (rc != 0)
			return rc < 0 ? EXIT_UNREACHABLE : rc;
	}
	if (client_wait_daemon_exit(ctx, 60000, &e) < 0) {
		fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		return EXIT_FAILED;
	}
	printf("whlcd stopped\n");
	return EXIT_OK;
}

/* whlc daemon stop. */
int cmd_daemon(struct client_ctx *ctx, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "stop") == 0)
		return daemon__stop(ctx);
	fprintf(stderr, "usage: %s daemon stop\n", ctx->prog);
	return EXIT_USAGE;
}
