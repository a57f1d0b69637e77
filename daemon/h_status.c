/* h_status.c: status and shutdown requests. */
#include "config.h"

#include <archive.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "cache.h"
#include "sysmode.h"
#include "handlers.h"
#include "proto.h"

/* status {} -> pid, versions, uptime, paths and counters. */
void h_status(struct req *req, const msgpack_object *body)
{
	struct daemon *d = req_daemon(req);
	struct msg_map m, c, v;

	msg_map_init(&m);
	msg_map_init(&c);
	msg_map_init(&v);
	msg_add_int(&m, "pid", (int64_t)getpid());
	msg_add_str(&m, "version", d->version);
	msg_add_uint(&m, "proto", PROTO_VERSION);
	msg_add_uint(&m, "uptime_s", (uv_now(d->loop) - d->started_ms) / 1000);
	msg_add_int(&m, "started", (int64_t)d->started);
	msg_add_str(&m, "socket", d->socket_path);
	msg_add_str(&m, "cache_dir", d->cache_dir);
	msg_add_str(&m, "mode", d->sys ? "system" : "user");
	if (d->sys) {
		msg_add_str(&m, "config", d->sys->config_path);
		msg_add_uint(&m, "caller_uid", req_peer(req)->uid);
	}
	if (d->cache)
		msg_add_uint(&m, "max_size", d->cache->cfg.max_size);
	msg_add_str(&m, "log_file", d->log_path);
	msg_add_bool(&m, "auto_started", d->opts.auto_started);
	msg_add_bool(&m, "socket_activated", d->socket_activated);
	msg_add_uint(&m, "idle_timeout_s", d->opts.idle_timeout_s);
	msg_add_uint(&c, "connections_total", d->counters.connections_total);
	msg_add_uint(&c, "connections_active", d->counters.connections_active);
	msg_add_uint(&c, "requests", d->counters.requests);
	msg_add_uint(&c, "errors", d->counters.errors);
	msg_add_uint(&c, "inflight", d->counters.inflight);
	msg_add_map(&m, "counters", &c);
	msg_add_str(&v, "libuv", uv_version_string());
	msg_add_str(&v, "sqlite", sqlite3_libversion());
	msg_add_str(&v, "libarchive", archive_version_string());
	msg_add_str(&v, "msgpack", msgpack_version());
	msg_add_map(&m, "libraries", &v);
	req_reply_ok(req, &m);
	msg_map_free(&m);
	msg_map_free(&c);
	msg_map_free(&v);
}

/* shutdown {} -> {} then a graceful stop (in-flight requests finish first). */
void h_shutdown(struct req *req, const msgpack_object *body)
{
	struct daemon *d = req_daemon(req);
	struct msg_map m;

	msg_map_init(&m);
	msg_add_int(&m, "pid", (int64_t)getpid());
	req_reply_ok(req, &m);
	msg_map_free(&m);
	daemon_stop(d, "shutdown request");
}
