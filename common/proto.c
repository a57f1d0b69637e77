/* proto.c: names of protocol message types and error codes. */
#include "config.h"

#include <string.h>

#include "err.h"
#include "proto.h"

static const struct {
	int code;
	const char *name;
} proto__codes[] = {
    {PROTO_EVERSION, "version-mismatch"}, {PROTO_EUNKNOWN, "unknown-request"},
    {PROTO_ESTATE, "bad-state"},	  {PROTO_EREFUSED, "refused"},
    {PROTO_ESHUTDOWN, "shutting-down"},
};

/* Stable wire name of an error code (protocol codes and err.h codes). */
const char *proto_code_name(int code)
{
	for (size_t i = 0; i < sizeof(proto__codes) / sizeof(proto__codes[0]); i++)
		if (proto__codes[i].code == -code)
			return proto__codes[i].name;
	return err_code_name(code);
}

/* Inverse of proto_code_name for the protocol-level names; 0 when unknown. */
int proto_code_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(proto__codes) / sizeof(proto__codes[0]); i++)
		if (strcmp(proto__codes[i].name, name) == 0)
			return -proto__codes[i].code;
	return 0;
}

/* Human name of a message type ("hello", "status", ...) or NULL. */
const char *proto_type_name(uint64_t type)
{
	switch (type) {
	case PROTO_REPLY_OK:
		return "ok";
	case PROTO_REPLY_ERROR:
		return "error";
	case PROTO_EVENT:
		return "event";
	case PROTO_HELLO:
		return "hello";
	case PROTO_STATUS:
		return "status";
	case PROTO_SHUTDOWN:
		return "shutdown";
	case PROTO_TEST_SLEEP:
		return "test-sleep";
	default:
		return NULL;
	}
}
