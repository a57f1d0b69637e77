/* reqtable.c: the request table. Adding a request = one row here + a handler file. */
#include "config.h"

#include "handlers.h"
#include "proto.h"
#include "request.h"

const struct req_def req_table[] = {
    {PROTO_HELLO, "hello", h_hello, CONN_NEW, 0},
    {PROTO_STATUS, "status", h_status, CONN_READY, 0},
    {PROTO_SHUTDOWN, "shutdown", h_shutdown, CONN_READY, REQ_ADMIN},
    {PROTO_TEST_SLEEP, "test-sleep", h_test_sleep, CONN_READY, REQ_TEST_ONLY},
    {PROTO_CACHE_ADD, "cache-add", h_cache_add, CONN_READY, 0},
    {PROTO_CACHE_STATS, "cache-stats", h_cache_stats, CONN_READY, 0},
    {PROTO_CACHE_DIR, "cache-dir", h_cache_dir, CONN_READY, 0},
    {PROTO_CACHE_PRUNE, "cache-prune", h_cache_prune, CONN_READY, REQ_ADMIN},
    {PROTO_CACHE_GC, "cache-gc", h_cache_gc, CONN_READY, REQ_ADMIN},
    {PROTO_CACHE_CLEAR, "cache-clear", h_cache_clear, CONN_READY, REQ_ADMIN},
    {PROTO_CACHE_VERIFY, "cache-verify", h_cache_verify, CONN_READY, 0},
    {PROTO_TEST_PIN, "test-pin", h_test_pin, CONN_READY, REQ_TEST_ONLY},
    {PROTO_TEST_PLAN, "test-plan", h_test_plan, CONN_READY, REQ_TEST_ONLY},
    {PROTO_INSTALL, "install", h_install, CONN_READY, 0},
    {PROTO_UNINSTALL, "uninstall", h_uninstall, CONN_READY, 0},
    {PROTO_LIST, "list", h_list, CONN_READY, 0},
    {PROTO_VERIFY, "verify", h_verify, CONN_READY, 0},
};

const size_t req_table_len = sizeof(req_table) / sizeof(req_table[0]);
