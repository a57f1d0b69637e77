/* h_hello.c: the hello exchange: protocol and program versions must match exactly. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "handlers.h"
#include "proto.h"

/* hello {proto, version, program} -> {proto, version, pid, auto_started}. */
void h_hello(struct req *req, const msgpack_object *body)
{
	struct daemon *d = req_daemon(req);
	struct msg_map m;
	struct err e;
	uint64_t proto = 0;
	char *version = NULL, *program = NULL;

	if (msg_get_uint(body, "proto", true, &proto, &e) < 0 ||
	    msg_get_str(body, "version", true, 64, &version, &e) < 0 ||
	    msg_get_str(body, "program", false, 64, &program, &e) < 0) {
		req_reply_err(req, &e);
		goto out;
	}
	msg_map_init(&m);
	msg_add_uint(&m, "proto", PROTO_VERSION);
	msg_add_str(&m, "version", d->version);
	msg_add_int(&m, "pid", (int64_t)getpid());
	msg_add_bool(&m, "auto_started", d->opts.auto_started);
	if (proto != PROTO_VERSION || strcmp(version, d->version) != 0) {
		req_reply_error_details(req, -PROTO_EVERSION, &m,
					"version mismatch: %s is version %s (protocol %llu) but "
					"whlcd (pid %ld) is version %s (protocol %d)",
					program ? program : "client", version,
					(unsigned long long)proto, (long)getpid(), d->version,
					PROTO_VERSION);
	} else {
		req_set_conn_state(req, CONN_READY);
		req_reply_ok(req, &m);
	}
	msg_map_free(&m);
out:
	free(version);
	free(program);
}
