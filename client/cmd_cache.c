/* cmd_cache.c: whlc cache add|stats|dir. */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "cmd_venv.h"
#include "proto.h"
#include "xalloc.h"

/* Parse only --json; returns 0, or EXIT_USAGE. */
static int cache__json_opt(struct client_ctx *ctx, int argc, char **argv, int *json, int min_args)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
	int opt;

	*json = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'j')
			return EXIT_USAGE;
		*json = 1;
	}
	if (argc - optind < min_args || (min_args == 0 && optind < argc)) {
		fprintf(stderr, "%s: cache %s: %s\n", ctx->prog, argv[0],
			min_args ? "give at least one wheel file" : "takes no arguments");
		return EXIT_USAGE;
	}
	return 0;
}

/* A string field or "?" (malloc'd). */
static char *cache__str(const msgpack_object *m, const char *key)
{
	char *s = NULL;

	if (msg_get_str(m, key, false, 8192, &s, NULL) < 0 || s == NULL)
		return xstrdup("?");
	return s;
}

/* An unsigned field, 0 when absent. */
static uint64_t cache__u(const msgpack_object *m, const char *key)
{
	uint64_t v = 0;

	msg_get_uint(m, key, false, &v, NULL);
	return v;
}

/* Print one wheel's line (and its warnings); returns 1 when it failed. */
static int cache__print_result(struct client_ctx *ctx, const msgpack_object *res)
{
	bool ok = false;
	char **warn = NULL;
	size_t nwarn = 0;

	msg_get_bool(res, "ok", false, &ok, NULL);
	if (!ok) {
		char *msg = cache__str(res, "error"), *code = cache__str(res, "code");
		fprintf(stderr, "error: %s (%s)\n", msg, code);
		free(msg);
		free(code);
		return 1;
	}
	char *status = cache__str(res, "status"), *name = cache__str(res, "name");
	char *version = cache__str(res, "version");
	if (strcmp(status, "added") == 0)
		printf("added %s==%s (%" PRIu64 " files, %" PRIu64 " new objects)\n", name, version,
		       cache__u(res, "files"), cache__u(res, "new_objects"));
	else
		printf("cached %s==%s\n", name, version);
	if (msg_get_str_array(res, "warnings", false, 1000, 8192, &warn, &nwarn, NULL) == 0 &&
	    warn) {
		for (size_t i = 0; i < nwarn; i++)
			fprintf(stderr, "%s: warning: %s\n", ctx->prog, warn[i]);
		msg_strv_free(warn);
	}
	free(status);
	free(name);
	free(version);
	return 0;
}

/* whlc cache add [--json] WHEEL... */
static int cache__add(struct client_ctx *ctx, int argc, char **argv)
{
	struct client_conn *c = NULL;
	struct client_reply r;
	struct msg_map body;
	msgpack_packer *pk;
	const msgpack_object *results;
	int json, rc, failed = 0;

	if ((rc = cache__json_opt(ctx, argc, argv, &json, 1)) != 0)
		return rc;
	msg_map_init(&body);
	pk = msg_add_key(&body, "paths");
	msgpack_pack_array(pk, (uint32_t)(argc - optind));
	int *fdi = xmalloc((size_t)(argc - optind + 1) * sizeof(int));
	for (int i = optind; i < argc; i++) {
		char *abs = cmdvenv_abspath(argv[i]);
		msgpack_pack_str(pk, strlen(abs));
		msgpack_pack_str_body(pk, abs, strlen(abs));
		/* Passed open: the system daemon reads only what we could (SECURITY.md). */
		fdi[i - optind] = client_fds_open(ctx, abs, false);
		free(abs);
	}
	pk = msg_add_key(&body, "path_fds");
	msgpack_pack_array(pk, (uint32_t)(argc - optind));
	for (int i = 0; i < argc - optind; i++)
		msgpack_pack_int(pk, fdi[i]);
	free(fdi);
	rc = client_request_ok(ctx, PROTO_CACHE_ADD, &body, &c, &r);
	msg_map_free(&body);
	if (c == NULL)
		return rc;
	if (rc == EXIT_OK) {
		results = msg_get(r.body, "results");
		if (json)
			client_print_json(r.body);
		if (results && results->type == MSGPACK_OBJECT_ARRAY) {
			for (uint32_t i = 0; i < results->via.array.size; i++) {
				const msgpack_object *o = &results->via.array.ptr[i];
				if (json) {
					bool ok = false;
					msg_get_bool(o, "ok", false, &ok, NULL);
					failed += !ok;
				} else {
					failed += cache__print_result(ctx, o);
				}
			}
		}
		rc = failed ? EXIT_FAILED : EXIT_OK;
	}
	client_reply_free(&r);
	client_close(c);
	return rc;
}

/* Bytes as a human-readable size. */
static void cache__size(char *buf, size_t n, uint64_t v)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double x = (double)v;
	int u = 0;

	while (x >= 1024 && u < 4) {
		x /= 1024;
		u++;
	}
	snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", x, units[u]);
}

/* Print the lifecycle fields of cache-stats (installs, savings, limit, eviction). */
static void cache__stats_life(const msgpack_object *b)
{
	const msgpack_object *inst = msg_get(b, "installs");
	int64_t last = 0;
	char buf[32];

	printf("installs:     ");
	if (inst == NULL || inst->type != MSGPACK_OBJECT_MAP || inst->via.map.size == 0)
		printf(" 0");
	for (uint32_t i = 0; inst && inst->type == MSGPACK_OBJECT_MAP && i < inst->via.map.size;
	     i++) {
		const msgpack_object_kv *kv = &inst->via.map.ptr[i];
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			printf(" %.*s %" PRIu64, (int)kv->key.via.str.size, kv->key.via.str.ptr,
			       kv->val.via.u64);
	}
	printf("\n");
	cache__size(buf, sizeof(buf), cache__u(b, "bytes_saved"));
	printf("saved by links: %s\n", buf);
	if (cache__u(b, "max_size")) {
		cache__size(buf, sizeof(buf), cache__u(b, "max_size"));
		printf("size limit:    %s\n", buf);
	} else {
		printf("size limit:    none\n");
	}
	msg_get_int(b, "last_eviction", false, &last, NULL);
	if (last > 0) {
		time_t t = (time_t)last;
		char when[64];
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
		printf("last eviction: %s\n", when);
	} else {
		printf("last eviction: never\n");
	}
}

/* whlc cache stats [--json] */
static int cache__stats(struct client_ctx *ctx, int argc, char **argv)
{
	struct client_conn *c = NULL;
	struct client_reply r;
	int json, rc;

	if ((rc = cache__json_opt(ctx, argc, argv, &json, 0)) != 0)
		return rc;
	rc = client_request_ok(ctx, PROTO_CACHE_STATS, NULL, &c, &r);
	if (c == NULL)
		return rc;
	if (rc == EXIT_OK && json) {
		client_print_json(r.body);
	} else if (rc == EXIT_OK) {
		const msgpack_object *ratio = msg_get(r.body, "dedup_ratio");
		char *dir = cache__str(r.body, "cache_dir");
		char logical[32], disk[32];
		cache__size(logical, sizeof(logical), cache__u(r.body, "logical_bytes"));
		cache__size(disk, sizeof(disk), cache__u(r.body, "disk_bytes"));
		printf("cache dir:     %s\n", dir);
		printf("wheels:        %" PRIu64 " (%" PRIu64 " files)\n",
		       cache__u(r.body, "wheels"), cache__u(r.body, "files"));
		printf("objects:       %" PRIu64 "\n", cache__u(r.body, "objects"));
		printf("logical size:  %s\n", logical);
		if (cache__u(r.body, "extra_copies") > 0)
			printf("on disk:       %s (with %" PRIu64
			       " extra copies of objects at the link limit)\n",
			       disk, cache__u(r.body, "extra_copies"));
		else
			printf("on disk:       %s\n", disk);
		printf("dedup ratio:   %.2f\n",
		       ratio && ratio->type == MSGPACK_OBJECT_FLOAT64 ? ratio->via.f64 : 1.0);
		printf("hits:          %" PRIu64 "\n", cache__u(r.body, "hits"));
		printf("misses:        %" PRIu64 "\n", cache__u(r.body, "misses"));
		cache__stats_life(r.body);
		free(dir);
	}
	client_reply_free(&r);
	client_close(c);
	return rc;
}

/* whlc cache dir */
static int cache__dir(struct client_ctx *ctx, int argc, char **argv)
{
	struct client_conn *c = NULL;
	struct client_reply r;
	int json, rc;

	if ((rc = cache__json_opt(ctx, argc, argv, &json, 0)) != 0)
		return rc;
	rc = client_request_ok(ctx, PROTO_CACHE_DIR, NULL, &c, &r);
	if (c == NULL)
		return rc;
	if (rc == EXIT_OK && json) {
		client_print_json(r.body);
	} else if (rc == EXIT_OK) {
		char *dir = cache__str(r.body, "cache_dir");
		printf("%s\n", dir);
		free(dir);
	}
	client_reply_free(&r);
	client_close(c);
	return rc;
}

/* whlc cache add|stats|dir ... */
int cmd_cache(struct client_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return cache__add(ctx, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "stats") == 0)
		return cache__stats(ctx, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "dir") == 0)
		return cache__dir(ctx, argc - 1, argv + 1);
	if (argc >= 2) {
		int rc = cmd_cache_life(ctx, argc - 1, argv + 1);
		if (rc >= 0)
			return rc;
	}
	fprintf(stderr,
		"usage: %s cache add [--json] WHEEL... | cache stats [--json] | cache dir\n"
		"       | cache prune [--max-size SIZE] [--older-than DURATION] | cache gc\n"
		"       | cache clear | cache verify [--repair] [--json]\n",
		ctx->prog);
	return EXIT_USAGE;
}
