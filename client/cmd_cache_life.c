/* cmd_cache_life.c: whlc cache prune|gc|clear|verify. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "proto.h"
#include "xalloc.h"

/* An unsigned field, 0 when absent. */
static uint64_t life__u(const msgpack_object *m, const char *key)
{
	uint64_t v = 0;

	msg_get_uint(m, key, false, &v, NULL);
	return v;
}

/* A string field or "?" (malloc'd). */
static char *life__str(const msgpack_object *m, const char *key)
{
	char *s = NULL;

	if (msg_get_str(m, key, false, 8192, &s, NULL) < 0 || s == NULL)
		return xstrdup("?");
	return s;
}

/* whlc cache prune [--max-size SIZE] [--older-than DURATION] [--json], gc, clear. */
static int life__evict(struct client_ctx *ctx, int argc, char **argv, uint32_t type)
{
	static const struct option opts[] = {{"max-size", required_argument, NULL, 's'},
					     {"older-than", required_argument, NULL, 'o'},
					     {"json", no_argument, NULL, 'j'},
					     {NULL, 0, NULL, 0}};
	struct client_conn *c = NULL;
	struct client_reply r;
	struct msg_map body;
	int opt, json = 0, rc;

	msg_map_init(&body);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j') {
			json = 1;
		} else if ((opt == 's' || opt == 'o') && type == PROTO_CACHE_PRUNE) {
			msg_add_str(&body, opt == 's' ? "max_size" : "older_than", optarg);
		} else {
			msg_map_free(&body);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: cache %s: unexpected argument %s\n", ctx->prog, argv[0],
			argv[optind]);
		msg_map_free(&body);
		return EXIT_USAGE;
	}
	rc = client_request_ok(ctx, type, &body, &c, &r);
	msg_map_free(&body);
	if (c == NULL)
		return rc;
	if (rc == EXIT_OK && json) {
		client_print_json(r.body);
	} else if (rc == EXIT_OK) {
		printf("%" PRIu64 " wheel(s) evicted, %" PRIu64 " object(s) removed, %" PRIu64
		       " bytes freed",
		       life__u(r.body, "wheels_evicted"), life__u(r.body, "objects_removed"),
		       life__u(r.body, "bytes_freed"));
		if (life__u(r.body, "kept_grace"))
			printf(", %" PRIu64 " recent object(s) kept (grace period)",
			       life__u(r.body, "kept_grace"));
		if (life__u(r.body, "pinned_skipped"))
			printf(", %" PRIu64 " wheel(s) in use kept",
			       life__u(r.body, "pinned_skipped"));
		printf("\n");
	}
	client_reply_free(&r);
	client_close(c);
	return rc;
}

/* whlc cache verify [--repair] [--json]: exit 1 when any problem was found. */
static int life__verify(struct client_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"repair", no_argument, NULL, 'r'},
					     {"json", no_argument, NULL, 'j'},
					     {NULL, 0, NULL, 0}};
	struct client_conn *c = NULL;
	struct client_reply r;
	struct msg_map body;
	const msgpack_object *probs;
	int opt, json = 0, repair = 0, rc;
	uint32_t n = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j')
			json = 1;
		else if (opt == 'r')
			repair = 1;
		else
			return EXIT_USAGE;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: cache verify: unexpected argument %s\n", ctx->prog,
			argv[optind]);
		return EXIT_USAGE;
	}
	msg_map_init(&body);
	msg_add_bool(&body, "repair", repair);
	rc = client_request_ok(ctx, PROTO_CACHE_VERIFY, &body, &c, &r);
	msg_map_free(&body);
	if (c == NULL)
		return rc;
	if (rc != EXIT_OK)
		goto out;
	probs = msg_get(r.body, "problems");
	if (probs && probs->type == MSGPACK_OBJECT_ARRAY)
		n = probs->via.array.size;
	if (json) {
		client_print_json(r.body);
	} else {
		char **notes = NULL;
		size_t nn = 0;
		for (uint32_t i = 0; i < n; i++) {
			const msgpack_object *p = &probs->via.array.ptr[i];
			char *kind = life__str(p, "kind"), *obj = life__str(p, "object");
			char *det = life__str(p, "detail");
			bool fixed = false;
			msg_get_bool(p, "repaired", false, &fixed, NULL);
			printf("%s: %s: %s%s\n", kind, obj, det, fixed ? " [repaired]" : "");
			free(kind);
			free(obj);
			free(det);
		}
		if (msg_get_str_array(r.body, "notes", false, 100000, 8192, &notes, &nn, NULL) ==
			0 &&
		    notes) {
			for (size_t i = 0; i < nn; i++)
				printf("repair: %s\n", notes[i]);
			msg_strv_free(notes);
		}
		printf("%" PRIu64 " object(s), %" PRIu64 " bytes verified in %" PRIu64 " ms: %s\n",
		       life__u(r.body, "objects"), life__u(r.body, "bytes_hashed"),
		       life__u(r.body, "ms"), n ? "problems found" : "all intact");
	}
	rc = n ? EXIT_FAILED : EXIT_OK;
out:
	client_reply_free(&r);
	client_close(c);
	return rc;
}

/* whlc cache prune|gc|clear|verify; -1 when sub is not one of them. */
int cmd_cache_life(struct client_ctx *ctx, int argc, char **argv)
{
	if (strcmp(argv[0], "prune") == 0)
		return life__evict(ctx, argc, argv, PROTO_CACHE_PRUNE);
	if (strcmp(argv[0], "gc") == 0)
		return life__evict(ctx, argc, argv, PROTO_CACHE_GC);
	if (strcmp(argv[0], "clear") == 0)
		return life__evict(ctx, argc, argv, PROTO_CACHE_CLEAR);
	if (strcmp(argv[0], "verify") == 0)
		return life__verify(ctx, argc, argv);
	return -1;
}
