/* cmd_install.c: whlc install. */
#include "config.h"

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

/* State of the progress bar (stderr, TTY only). */
struct install__ui {
	int bar;   /* draw a progress bar */
	int drawn; /* something is on the line */
};

/* Draw progress events as a bar on stderr. */
static void install__on_event(void *arg, const msgpack_object *body)
{
	struct install__ui *ui = arg;
	uint64_t done = 0, total = 0;
	char *phase = NULL;

	if (!ui->bar)
		return;
	msg_get_uint(body, "done", false, &done, NULL);
	msg_get_uint(body, "total", false, &total, NULL);
	msg_get_str(body, "phase", false, 64, &phase, NULL);
	if (total > 0) {
		int w = 30, fill = (int)(done * (uint64_t)w / total);
		fprintf(stderr, "\r[%.*s%*s] %s %" PRIu64 "/%" PRIu64 "\033[K", fill,
			"##############################", w - fill, "", phase ? phase : "", done,
			total);
	} else {
		fprintf(stderr, "\r%s...\033[K",
			phase && !strcmp(phase, "lock") ? "waiting for the venv lock"
							: (phase ? phase : "working"));
	}
	ui->drawn = 1;
	free(phase);
}

/* Print the `+`/`-` lines, notes, warnings and the summary of an install reply. */
static void install__print(struct client_ctx *ctx, const msgpack_object *b, int quiet, int summary)
{
	const msgpack_object *lines = msg_get(b, "lines");
	char *mode = NULL, *fallback = NULL, **warn = NULL;
	size_t nwarn = 0, n = 0;
	uint64_t ms = 0;
	bool dry = false;

	(void)ctx;
	msg_get_str(b, "link_mode", false, 32, &mode, NULL);
	msg_get_str(b, "fallback", false, 1024, &fallback, NULL);
	msg_get_uint(b, "elapsed_ms", false, &ms, NULL);
	msg_get_bool(b, "dry_run", false, &dry, NULL);
	msg_get_str_array(b, "warnings", false, 10000, 65536, &warn, &nwarn, NULL);
	if (!quiet && fallback)
		fprintf(stderr, "note: hardlinking failed, falling back to copy (%s)\n", fallback);
	for (size_t i = 0; !quiet && warn && i < nwarn; i++)
		fprintf(stderr, "warning: %s\n", warn[i]);
	for (uint32_t i = 0;
	     lines && lines->type == MSGPACK_OBJECT_ARRAY && i < lines->via.array.size; i++) {
		const msgpack_object *l = &lines->via.array.ptr[i];
		char *op = NULL, *name = NULL, *ver = NULL;
		msg_get_str(l, "op", false, 4, &op, NULL);
		msg_get_str(l, "name", false, 4096, &name, NULL);
		msg_get_str(l, "version", false, 4096, &ver, NULL);
		if (op && name && ver && !quiet) {
			if (op[0] == '=')
				fprintf(stderr,
					"note: %s==%s is already installed (use --reinstall to "
					"install it again)\n",
					name, ver);
			else
				printf("%s %s==%s\n", op, name, ver);
		}
		n += op && op[0] == '+';
		free(op);
		free(name);
		free(ver);
	}
	if (!quiet && summary) {
		if (dry)
			printf("Would install %zu packages (dry run)\n", n);
		else
			printf("Installed %zu packages in %" PRIu64 " ms (%s)\n", n, ms,
			       mode ? mode : "?");
	}
	msg_strv_free(warn);
	free(mode);
	free(fallback);
}

/* whlc install [--venv DIR] [--link-mode M] [--reinstall] [--dry-run] [--quiet] [--json] WHEEL...
 */
int cmd_install(struct client_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"venv", required_argument, NULL, 'v'},
					     {"link-mode", required_argument, NULL, 'm'},
					     {"reinstall", no_argument, NULL, 'r'},
					     {"dry-run", no_argument, NULL, 'n'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"json", no_argument, NULL, 'j'},
					     {NULL, 0, NULL, 0}};
	const char *venv = NULL, *mode = getenv("WHLC_LINK_MODE");
	int opt, reinstall = 0, dry = 0, quiet = 0, json = 0, rc;
	struct install__ui ui = {0};
	struct client_conn *c = NULL;
	struct client_reply r;
	struct msg_map body;
	struct err e;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			venv = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'r':
			reinstall = 1;
			break;
		case 'n':
			dry = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: install: give at least one wheel file\n", ctx->prog);
		return EXIT_USAGE;
	}
	if (mode && *mode && strcmp(mode, "hardlink") && strcmp(mode, "clone") &&
	    strcmp(mode, "copy") && strcmp(mode, "symlink")) {
		fprintf(stderr,
			"%s: install: unknown link mode '%s' (hardlink, clone, copy, symlink)\n",
			ctx->prog, mode);
		return EXIT_USAGE;
	}
	msg_map_init(&body);
	if ((rc = cmdvenv_body(ctx, &body, venv)) != 0) {
		msg_map_free(&body);
		return rc;
	}
	msgpack_packer *pk = msg_add_key(&body, "wheels");
	int *fdi = xmalloc((size_t)(argc - optind) * sizeof(int));
	msgpack_pack_array(pk, (uint32_t)(argc - optind));
	for (int i = optind; i < argc; i++) {
		char *abs = cmdvenv_abspath(argv[i]);
		msgpack_pack_str_with_body(pk, abs, strlen(abs));
		/* Passed open: the system daemon reads only what we could (SECURITY.md). */
		fdi[i - optind] = client_fds_open(ctx, abs, false);
		free(abs);
	}
	pk = msg_add_key(&body, "wheel_fds");
	msgpack_pack_array(pk, (uint32_t)(argc - optind));
	for (int i = 0; i < argc - optind; i++)
		msgpack_pack_int(pk, fdi[i]);
	free(fdi);
	if (mode && *mode)
		msg_add_str(&body, "link_mode", mode);
	msg_add_bool(&body, "reinstall", reinstall);
	msg_add_bool(&body, "dry_run", dry);
	ui.bar = !quiet && !json && isatty(STDERR_FILENO);
	if (client_connect(ctx, CLIENT_AUTOSTART, &c, &e) < 0) {
		fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		msg_map_free(&body);
		return EXIT_UNREACHABLE;
	}
	rc = client_call(c, PROTO_INSTALL, &body, install__on_event, &ui, &r, &e);
	msg_map_free(&body);
	if (ui.drawn)
		fprintf(stderr, "\r\033[K");
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", ctx->prog, e.msg);
		client_close(c);
		return EXIT_UNREACHABLE;
	}
	if (r.ok) {
		if (json)
			client_print_json(r.body);
		else
			install__print(ctx, r.body, quiet, 1);
		rc = EXIT_OK;
	} else {
		if (json && r.body)
			client_print_json(r.body);
		else if (r.body && !quiet)
			install__print(ctx, r.body, quiet, 0);
		rc = client_report_error(ctx, &r);
	}
	client_reply_free(&r);
	client_close(c);
	return rc;
}
