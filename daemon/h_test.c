/* h_test.c: test-only requests, enabled by whlcd --test-mode (never by default). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "daemon.h"
#include "handlers.h"
#include "proto.h"
#include "xalloc.h"

/* Arguments of a test-sleep. */
struct h_sleep {
	uint64_t ms;
	uint64_t events;
	uint64_t event_bytes; /* padding per event (tests of output that piles up) */
};

/* Worker: sleep ms in steps, sending events progress events. */
static void h_sleep_work(struct req *req, void *arg)
{
	struct h_sleep *s = arg;
	uint64_t steps = s->events ? s->events : 1;

	for (uint64_t i = 1; i <= steps; i++) {
		uint64_t ms = s->ms / steps;
		struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		if (s->events) {
			struct msg_map m;
			msg_map_init(&m);
			msg_add_uint(&m, "done", i);
			msg_add_uint(&m, "total", steps);
			if (s->event_bytes) {
				char *pad = xcalloc(1, s->event_bytes);
				msg_add_bin(&m, "pad", pad, s->event_bytes);
				free(pad);
			}
			req_event(req, &m);
			msg_map_free(&m);
		}
	}
}

/* Loop: reply once the sleep is over. */
static void h_sleep_done(struct req *req, void *arg, int status)
{
	struct h_sleep *s = arg;
	struct msg_map m;

	msg_map_init(&m);
	msg_add_uint(&m, "slept_ms", s->ms);
	req_reply_ok(req, &m);
	msg_map_free(&m);
	free(s);
}

/* test-sleep {ms, events, event_bytes} -> {slept_ms}: a long request with progress, for tests. */
void h_test_sleep(struct req *req, const msgpack_object *body)
{
	struct h_sleep *s = xcalloc(1, sizeof(*s));
	struct err e;
	int rc;

	if (msg_get_uint(body, "ms", true, &s->ms, &e) < 0 ||
	    msg_get_uint(body, "events", false, &s->events, &e) < 0 ||
	    msg_get_uint(body, "event_bytes", false, &s->event_bytes, &e) < 0) {
		free(s);
		req_reply_err(req, &e);
		return;
	}
	if (s->ms > 600000 || s->events > 1000 || s->event_bytes > 65536) {
		free(s);
		req_reply_error(
		    req, -EINVAL,
		    "test-sleep allows at most 600000 ms, 1000 events and 65536 event_bytes");
		return;
	}
	if ((rc = req_queue_work(req, h_sleep_work, h_sleep_done, s)) < 0) {
		free(s);
		req_reply_error(req, -EIO, "cannot queue work: %s", uv_strerror(rc));
	}
}
