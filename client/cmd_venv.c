/* cmd_venv.c: whlc uninstall, list, verify. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cmd_venv.h"
#include "proto.h"
#include "xalloc.h"

/*
 * Add the venv fields the daemon resolves (--venv, else $VIRTUAL_ENV, else
 * ./.venv), and pass the venv directory open (venv_fd): the system daemon
 * never opens a user's path itself (SECURITY.md).
 */
int cmdvenv_body(struct client_ctx *ctx, struct msg_map *body, const char *venv_opt)
{
	char *cwd = getcwd(NULL, 0);
	const char *ve = getenv("VIRTUAL_ENV");
	char *abs = cmdvenv_abspath(venv_opt ? venv_opt : ve && *ve ? ve : ".venv");
	int idx = client_fds_open(ctx, abs, true);

	if (idx < 0 && errno != ENOENT && errno != ENOTDIR) {
		fprintf(stderr, "%s: cannot open the venv %s: %s\n", ctx->prog, abs,
			strerror(errno));
		free(abs);
		free(cwd);
		return EXIT_FAILED;
	}
	if (idx >= 0) {
		msg_add_str(body, "venv", abs);
		msg_add_uint(body, "venv_fd", (uint64_t)idx);
	} else if (venv_opt)
		msg_add_str(body, "venv", venv_opt);
	free(abs);
	if (ve && *ve)
		msg_add_str(body, "virtual_env", ve);
	msg_add_str(body, "cwd", cwd ? cwd : "/");
	free(cwd);
	return 0;
}

/* An absolute version of path, without resolving symlinks (the file name matters). */
char *cmdvenv_abspath(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/')
		return xstrdup(path);
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return xstrdup(path);
	abs = xasprintf("%s/%s", cwd, path);
	free(cwd);
	return abs;
}

/* Parse [--venv DIR] [--json]; returns 0 or EXIT_USAGE. */
static int cmdvenv__opts(int argc, char **argv, const char **venv, int *json)
{
	static const struct option opts[] = {{"venv", required_argument, NULL, 'v'},
					     {"json", no_argument, NULL, 'j'},
					     {NULL, 0, NULL, 0}};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'v')
			*venv = optarg;
		else if (opt == 'j')
			*json = 1;
		else
			return EXIT_USAGE;
	}
	return 0;
}

/* Connect and call; prints connection errors. Returns EXIT_OK when a reply (ok or not) came. */
static int cmdvenv__call(struct client_ctx *ctx, uint32_t type, const struct msg_map *body,
			 struct client_conn **c, struct client_reply *r)
{
	struct err e;

	if (client_connect(ctx, CLIENT_AUTOSTART, c, &e) < 0) {
		fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		return EXIT_UNREACHABLE;
	}
	if (client_call(*c, type, body, NULL, NULL, r, &e) < 0) {
		fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		client_close(*c);
		*c = NULL;
		return EXIT_UNREACHABLE;
	}
	return EXIT_OK;
}

/* A string field of a map, or "?" (malloc'd). */
static char *cmdvenv__str(const msgpack_object *m, const char *key)
{
	char *s = NULL;

	if (msg_get_str(m, key, false, 65536, &s, NULL) < 0 || s == NULL)
		return xstrdup("?");
	return s;
}

/* The array under key, or NULL. */
static const msgpack_object *cmdvenv__array(const msgpack_object *b, const char *key)
{
	const msgpack_object *a = b ? msg_get(b, key) : NULL;
	return a && a->type == MSGPACK_OBJECT_ARRAY ? a : NULL;
}

/* whlc uninstall [--venv DIR] NAME... */
int cmd_uninstall(struct client_ctx *ctx, int argc, char **argv)
{
	const char *venv = NULL;
	int json = 0, rc;
	struct client_conn *c = NULL;
	struct client_reply r;
	struct msg_map body;

	if (cmdvenv__opts(argc, argv, &venv, &json) != 0)
		return EXIT_USAGE;
	if (optind >= argc) {
		fprintf(stderr, "%s: uninstall: give at least one distribution name\n", ctx->prog);
		return EXIT_USAGE;
	}
	msg_map_init(&body);
	if ((rc = cmdvenv_body(ctx, &body, venv)) != 0) {
		msg_map_free(&body);
		return rc;
	}
	msg_add_str_array(&body, "names", (const char *const *)argv + optind,
			  (size_t)(argc - optind));
	rc = cmdvenv__call(ctx, PROTO_UNINSTALL, &body, &c, &r);
	msg_map_free(&body);
	if (rc != EXIT_OK)
		return rc;
	/* A failed reply may carry details: what was removed, and why each other name failed. */
	const msgpack_object *failed = cmdvenv__array(r.body, "failed");
	if (!r.ok && failed == NULL) {
		rc = client_report_error(ctx, &r);
	} else if (json) {
		client_print_json(r.body);
	} else {
		const msgpack_object *a = cmdvenv__array(r.body, "removed");
		for (uint32_t i = 0; a && i < a->via.array.size; i++) {
			if (a->via.array.ptr[i].type != MSGPACK_OBJECT_MAP)
				continue;
			char *n = cmdvenv__str(&a->via.array.ptr[i], "name");
			char *v = cmdvenv__str(&a->via.array.ptr[i], "version");
			printf("- %s==%s\n", n, v);
			free(n);
			free(v);
		}
		for (uint32_t i = 0; failed && i < failed->via.array.size; i++) {
			char *n = cmdvenv__str(&failed->via.array.ptr[i], "name");
			char *m = cmdvenv__str(&failed->via.array.ptr[i], "error");
			fprintf(stderr, "%s: cannot uninstall %s: %s\n", ctx->prog, n, m);
			free(n);
			free(m);
		}
	}
	if (!r.ok)
		rc = EXIT_FAILED;
	client_reply_free(&r);
	client_close(c);
	return rc;
}

/* whlc list [--venv DIR] [--json] */
int cmd_list(struct client_ctx *ctx, int argc, char **argv)
{
	const char *venv = NULL;
	int json = 0, rc;
	struct client_conn *c = NULL;
	struct client_reply r;
	struct msg_map body;

	if (cmdvenv__opts(argc, argv, &venv, &json) != 0 || optind < argc) {
		fprintf(stderr, "usage: %s list [--venv DIR] [--json]\n", ctx->prog);
		return EXIT_USAGE;
	}
	msg_map_init(&body);
	if ((rc = cmdvenv_body(ctx, &body, venv)) != 0) {
		msg_map_free(&body);
		return rc;
	}
	rc = cmdvenv__call(ctx, PROTO_LIST, &body, &c, &r);
	msg_map_free(&body);
	if (rc != EXIT_OK)
		return rc;
	if (!r.ok) {
		rc = client_report_error(ctx, &r);
	} else if (json) {
		client_print_json(r.body);
	} else {
		const msgpack_object *a = cmdvenv__array(r.body, "dists");
		for (uint32_t i = 0; a && i < a->via.array.size; i++) {
			const msgpack_object *d = &a->via.array.ptr[i];
			char *n = cmdvenv__str(d, "name"), *v = cmdvenv__str(d, "version");
			char *inst = NULL;
			msg_get_str(d, "installer", false, 4096, &inst, NULL);
			printf("%s==%s (%s)\n", n, v, inst ? inst : "unknown installer");
			free(n);
			free(v);
			free(inst);
		}
	}
	client_reply_free(&r);
	client_close(c);
	return rc;
}

/* whlc verify [--venv DIR] [--json] */
int cmd_verify(struct client_ctx *ctx, int argc, char **argv)
{
	const char *venv = NULL;
	int json = 0, rc;
	struct client_conn *c = NULL;
	struct client_reply r;
	struct msg_map body;

	if (cmdvenv__opts(argc, argv, &venv, &json) != 0 || optind < argc) {
		fprintf(stderr, "usage: %s verify [--venv DIR] [--json]\n", ctx->prog);
		return EXIT_USAGE;
	}
	msg_map_init(&body);
	if ((rc = cmdvenv_body(ctx, &body, venv)) != 0) {
		msg_map_free(&body);
		return rc;
	}
	rc = cmdvenv__call(ctx, PROTO_VERIFY, &body, &c, &r);
	msg_map_free(&body);
	if (rc != EXIT_OK)
		return rc;
	if (!r.ok) {
		rc = client_report_error(ctx, &r);
	} else {
		const msgpack_object *a = cmdvenv__array(r.body, "problems");
		uint64_t nd = 0;
		msg_get_uint(r.body, "dists", false, &nd, NULL);
		if (json)
			client_print_json(r.body);
		for (uint32_t i = 0; !json && a && i < a->via.array.size; i++) {
			const msgpack_object *p = &a->via.array.ptr[i];
			char *d = cmdvenv__str(p, "dist"), *k = cmdvenv__str(p, "kind");
			char *path = cmdvenv__str(p, "path");
			printf("%s: %s %s\n", d, k, path);
			free(d);
			free(k);
			free(path);
		}
		if (!json && (a == NULL || a->via.array.size == 0))
			printf("%" PRIu64 " distributions verified: no problems\n", nd);
		rc = a && a->via.array.size ? EXIT_FAILED : EXIT_OK;
	}
	client_reply_free(&r);
	client_close(c);
	return rc;
}
