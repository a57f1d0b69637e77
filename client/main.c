/* main.c: whlc entry point: global options, help, version, command dispatch. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "paths.h"
#include "proto.h"

/* whlc --help. */
static void usage(FILE *f)
{
	fprintf(f, "usage: whlc [--socket PATH] [--cache-dir DIR] COMMAND [ARGS]\n"
		   "Install Python wheels into virtual environments from a shared cache.\n"
		   "\n"
		   "commands:\n");
	for (size_t i = 0; i < client_cmds_len; i++)
		fprintf(f, "  %-10s %s\n", client_cmds[i].name, client_cmds[i].summary);
	fprintf(f,
		"\n"
		"options:\n"
		"  --socket PATH     daemon socket (default: $WHLC_SOCKET, else "
		"$XDG_RUNTIME_DIR/whlc/whlcd.sock,\n"
		"                    else /tmp/whlc-$UID/whlcd.sock)\n"
		"  --cache-dir DIR   cache for an auto-started daemon (default: $WHLC_CACHE_DIR,\n"
		"                    else $XDG_CACHE_HOME/whlc, else ~/.cache/whlc)\n"
		"  --version         print the version\n"
		"  --help            print this help; `whlc COMMAND --help` for a command\n"
		"\n"
		"environment: WHLC_SOCKET, WHLC_CACHE_DIR, WHLC_DAEMON (whlcd to auto-start),\n"
		"  WHLC_DAEMON_ARGS (extra whlcd arguments), WHLC_START_TIMEOUT (seconds, "
		"default 10)\n"
		"\n"
		"exit status: 0 ok, 1 the operation failed, 2 usage error, 3 daemon unreachable\n");
}

/* Find a command by name. */
static const struct client_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < client_cmds_len; i++)
		if (strcmp(client_cmds[i].name, name) == 0)
			return &client_cmds[i];
	return NULL;
}

/* Value of "--opt VALUE" or "--opt=VALUE" at argv[*i]; NULL if argv[*i] is not opt. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, int *bad)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*bad = 1;
		return NULL;
	}
	return argv[++*i];
}

/* Entry point. */
int main(int argc, char **argv)
{
	struct client_ctx ctx;
	const struct client_cmd *cmd;
	struct err e;
	const char *v;
	int i, bad = 0, rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.prog = "whlc";
	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("whlc %s (protocol %d)\n", PACKAGE_VERSION, PROTO_VERSION);
			return EXIT_OK;
		} else if ((v = opt_value(argc, argv, &i, "--socket", &bad)) != NULL) {
			ctx.socket_opt = v;
		} else if ((v = opt_value(argc, argv, &i, "--cache-dir", &bad)) != NULL) {
			ctx.cache_opt = v;
		} else {
			fprintf(stderr, "whlc: %s %s\n",
				bad ? "missing value for" : "unknown option", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((cmd = find_cmd(argv[i])) == NULL) {
		fprintf(stderr, "whlc: unknown command %s (see whlc --help)\n", argv[i]);
		return EXIT_USAGE;
	}
	for (int j = i + 1; j < argc; j++) {
		if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
			fputs(cmd->usage, stdout);
			return EXIT_OK;
		}
	}
	v = getenv("WHLC_START_TIMEOUT");
	ctx.start_timeout_ms = v && atoi(v) > 0 ? (unsigned)atoi(v) * 1000 : 10000;
	/* The system daemon serves everyone when it runs; --socket and WHLC_SOCKET win. */
	if ((ctx.socket_opt == NULL || *ctx.socket_opt == '\0') && getenv("WHLC_SOCKET") == NULL &&
	    paths_system_socket_present()) {
		ctx.socket_opt = paths_system_socket();
		ctx.system = true;
	}
	if ((ctx.socket_path = paths_socket(ctx.socket_opt, &e)) == NULL ||
	    (ctx.cache_dir = paths_cache_dir(ctx.cache_opt, &e)) == NULL) {
		fprintf(stderr, "whlc: %s\n", e.msg);
		return EXIT_FAILED;
	}
	rc = cmd->run(&ctx, argc - i, argv + i);
	free(ctx.socket_path);
	free(ctx.cache_dir);
	return rc;
}
