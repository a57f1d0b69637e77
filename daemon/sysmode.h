/*
 * sysmode.h: `whlcd --system`: one daemon and one cache for every user of a
 * machine. Defaults, the administrator's configuration file and the
 * allow-list applied to every connecting peer (SO_PEERCRED, SO_PEERGROUPS).
 *
 * Configuration (/etc/whlc/config, `--config PATH`), one `key = value` a line,
 * `#` starts a comment:
 *   allow-users  = alice, bob     user names or numeric uids; `*` allows everyone
 *   allow-groups = developers     group names or numeric gids (primary or supplementary)
 *   max-size     = 20G            cache size limit (bytes, or K/M/G/T suffix), reported by
 *                                 status and used by pruning
 * root and the daemon's own user are always allowed. Names are resolved when
 * the file is read: at start and on SIGHUP (daemon/reload.h), after changing
 * the file or adding users.
 */
#ifndef WHLC_SYSMODE_H
#define WHLC_SYSMODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "log.h"
#include "request.h"

#define SYSMODE_SOCKET	  "/run/whlc/whlcd.sock"
#define SYSMODE_CACHE_DIR "/var/cache/whlc"
#define SYSMODE_CONFIG	  "/etc/whlc/config"
#define SYSMODE_MAX_IDS	  1024
#define SYSMODE_LINE_MAX  4096

struct sysmode {
	char *config_path;
	bool config_found; /* false: no file, defaults (nobody but root) */
	bool allow_all;	   /* allow-users = * */
	uid_t *users;
	size_t n_users;
	gid_t *groups;
	size_t n_groups;
};

/* The configuration keys sysmode reads (NULL-terminated); the rest are settings'. */
extern const char *const sysmode_keys[];

/* Read the configuration at path (a missing file gives the defaults); warnings go to log. */
int sysmode_load(struct sysmode *s, const char *path, struct log *log, struct err *e);
void sysmode_free(struct sysmode *s);

/* Read the peer's supplementary groups (SO_PEERGROUPS) into p; -1 with msg on failure. */
int sysmode_peer_groups(int fd, struct peer_cred *p, char *msg, size_t msglen);

/*
 * 0 when the peer may run the administrative request what (stop the daemon,
 * prune, gc or clear the shared cache): root and the daemon's own user only.
 * Else -1 with msg.
 */
int sysmode_admin(const struct peer_cred *p, const char *what, char *msg, size_t msglen);

/* 0 when the peer may use the daemon, else -1 with msg naming the user and the remedy. */
int sysmode_allowed(const struct sysmode *s, const struct peer_cred *p, char *msg, size_t msglen);

#endif
