/* output.c: printing replies: JSON and error reports. */
#include "config.h"

#include <stdio.h>

#include "client.h"
#include "strbuf.h"

/* Print body as JSON (pretty) on stdout followed by a newline. */
void client_print_json(const msgpack_object *body)
{
	struct strbuf sb = STRBUF_INIT;
	static const msgpack_object empty = {.type = MSGPACK_OBJECT_MAP};

	msg_to_json(body != NULL ? body : &empty, &sb, 2);
	printf("%s\n", sb.buf);
	strbuf_free(&sb);
}

/* Report a failed reply on stderr; returns EXIT_FAILED. */
int client_report_error(struct client_ctx *ctx, const struct client_reply *r)
{
	fprintf(stderr, "%s: %s (%s)\n", ctx->prog, r->message, r->code);
	return EXIT_FAILED;
}
