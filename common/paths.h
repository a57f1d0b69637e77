/* paths.h: where the socket, lock, cache and log files live, and checks on them. */
#ifndef WHLC_PATHS_H
#define WHLC_PATHS_H

#include <sys/types.h>

#include "err.h"

/*
 * Socket path: opt, else $WHLC_SOCKET, else $XDG_RUNTIME_DIR/whlc/whlcd.sock,
 * else /tmp/whlc-$UID/whlcd.sock. Relative paths are made absolute. malloc'd.
 */
char *paths_socket(const char *opt, struct err *e);

/*
 * The system daemon's socket (whlcd --system): $WHLC_SYSTEM_SOCKET (tests),
 * else /run/whlc/whlcd.sock.
 */
const char *paths_system_socket(void);

/* True when a socket file exists at paths_system_socket() (clients then use it). */
int paths_system_socket_present(void);

/* Cache directory: opt, else $WHLC_CACHE_DIR, else $XDG_CACHE_HOME/whlc, else ~/.cache/whlc. */
char *paths_cache_dir(const char *opt, struct err *e);

/* The lock file held by the daemon for its lifetime: "<socket>.lock". */
char *paths_lock_file(const char *socket_path);

/* The daemon's log file when detached: "<cache>/whlcd.log". */
char *paths_log_file(const char *cache_dir);

/* The directory part of path (malloc'd). */
char *paths_dirname(const char *path);

/* 0 if path fits in sockaddr_un.sun_path, else -ENAMETOOLONG naming the path. */
int paths_check_sun_path(const char *path, struct err *e);

/* Create dir and its missing parents with mode (existing ones are left alone). */
int paths_mkdir_p(const char *dir, mode_t mode, struct err *e);

/*
 * Create dir 0700 if missing, then check with lstat that it is a real directory
 * (not a symlink), owned by uid, with no access for group or others.
 */
int paths_private_dir(const char *dir, uid_t uid, struct err *e);

/*
 * Create dir 0755 if missing (system socket directory), then check with lstat
 * that it is a real directory owned by uid and writable by nobody else.
 */
int paths_shared_dir(const char *dir, uid_t uid, struct err *e);

#endif
