/* cmd_status.c: whlc status [--json]. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "proto.h"

/* Print a string field of m as "label: value". */
static void status__line(const msgpack_object *m, const char *label, const char *key)
{
	char *s = NULL;

	if (msg_get_str(m, key, false, 4096, &s, NULL) == 0 && s != NULL) {
		printf("%-12s %s\n", label, s);
		free(s);
	}
}

/* An unsigned field of m, 0 when absent. */
static uint64_t status__u(const msgpack_object *m, const char *key)
{
	uint64_t v = 0;

	msg_get_uint(m, key, false, &v, NULL);
	return v;
}

/* Human-readable status. */
static void status__print(const msgpack_object *b)
{
	const msgpack_object *c = NULL;
	char *version = NULL;
	int64_t pid = 0;
	uint64_t up = status__u(b, "uptime_s");
	bool autostarted = false;

	msg_get_str(b, "version", false, 64, &version, NULL);
	msg_get_int(b, "pid", false, &pid, NULL);
	msg_get_bool(b, "auto_started", false, &autostarted, NULL);
	printf("whlcd %s (protocol %" PRIu64 "), pid %" PRId64 ", up %" PRIu64 "h%02" PRIu64
	       "m%02" PRIu64 "s%s\n",
	       version ? version : "?", status__u(b, "proto"), pid, up / 3600, up / 60 % 60,
	       up % 60, autostarted ? ", started by whlc" : "");
	free(version);
	status__line(b, "mode:", "mode");
	status__line(b, "socket:", "socket");
	status__line(b, "cache dir:", "cache_dir");
	status__line(b, "config:", "config");
	status__line(b, "log file:", "log_file");
	if (status__u(b, "idle_timeout_s"))
		printf("%-12s exits after %" PRIu64 " s without requests\n",
		       "idle:", status__u(b, "idle_timeout_s"));
	if (msg_get_map(b, "counters", false, &c, NULL) == 0 && c != NULL)
		printf("%-12s %" PRIu64 " total, %" PRIu64 " open; requests: %" PRIu64 " (%" PRIu64
		       " in flight), errors: %" PRIu64 "\n",
		       "connections:", status__u(c, "connections_total"),
		       status__u(c, "connections_active"), status__u(c, "requests"),
		       status__u(c, "inflight"), status__u(c, "errors"));
}

/* whlc status [--json]. */
int cmd_status(struct client_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
	struct client_conn *c = NULL;
	struct client_reply r;
	struct err e;
	bool json = false;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: status takes no arguments (got %s)\n", ctx->prog,
			argv[optind]);
		return EXIT_USAGE;
	}
	if (client_connect(ctx, CLIENT_AUTOSTART, &c, &e) < 0) {
		fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		return EXIT_UNREACHABLE;
	}
	if (client_call(c, PROTO_STATUS, NULL, NULL, NULL, &r, &e) < 0) {
		fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		client_reply_free(&r);
		client_close(c);
		return EXIT_UNREACHABLE;
	}
	if (!r.ok)
		rc = client_report_error(ctx, &r);
	else if (json)
		client_print_json(r.body), rc = EXIT_OK;
	else
		status__print(r.body), rc = EXIT_OK;
	client_reply_free(&r);
	client_close(c);
	return rc;
}
