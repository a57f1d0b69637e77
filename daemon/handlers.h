/* handlers.h: request handlers listed in the request table (daemon/reqtable.c). */
#ifndef WHLC_HANDLERS_H
#define WHLC_HANDLERS_H

#include "request.h"

void h_hello(struct req *req, const msgpack_object *body);
void h_status(struct req *req, const msgpack_object *body);
void h_shutdown(struct req *req, const msgpack_object *body);
void h_test_sleep(struct req *req, const msgpack_object *body);
void h_cache_add(struct req *req, const msgpack_object *body);
void h_cache_stats(struct req *req, const msgpack_object *body);
void h_cache_dir(struct req *req, const msgpack_object *body);
void h_cache_prune(struct req *req, const msgpack_object *body);
void h_cache_gc(struct req *req, const msgpack_object *body);
void h_cache_clear(struct req *req, const msgpack_object *body);
void h_cache_verify(struct req *req, const msgpack_object *body);
void h_test_pin(struct req *req, const msgpack_object *body);
void h_test_plan(struct req *req, const msgpack_object *body);
void h_install(struct req *req, const msgpack_object *body);
void h_uninstall(struct req *req, const msgpack_object *body);
void h_list(struct req *req, const msgpack_object *body);
void h_verify(struct req *req, const msgpack_object *body);

#endif
