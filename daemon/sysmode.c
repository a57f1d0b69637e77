/* sysmode.c: `whlcd --system`: configuration file and the per-peer allow-list. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "settings.h"
#include "sysmode.h"
#include "xalloc.h"

/* A number (uid/gid) or -1 when word is not all digits. */
static long long sysmode__num(const char *w)
{
	char *end;
	long long n;

	if (!isdigit((unsigned char)w[0]))
		return -1;
	errno = 0;
	n = strtoll(w, &end, 10);
	return errno || *end || n > (long long)UINT32_MAX - 1 ? -1 : n;
}

/* Add each word of an allow-users or allow-groups value. */
static int sysmode__ids(struct sysmode *s, bool users, char *v, const char *where, struct log *log,
			struct err *e)
{
	char *save = NULL;

	for (char *w = strtok_r(v, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		long long n = sysmode__num(w);
		size_t *cnt = users ? &s->n_users : &s->n_groups;
		if (users && strcmp(w, "*") == 0) {
			s->allow_all = true;
			continue;
		}
		if (*cnt >= SYSMODE_MAX_IDS)
			return err_set(e, -WHLC_ELIMIT, "%s: more than %d entries", where,
				       SYSMODE_MAX_IDS);
		if (n < 0 && users) {
			struct passwd *pw = getpwnam(w);
			if (pw == NULL) {
				log_warn(log, "%s: no user named '%s' (ignored)", where, w);
				continue;
			}
			n = pw->pw_uid;
		} else if (n < 0) {
			struct group *gr = getgrnam(w);
			if (gr == NULL) {
				log_warn(log, "%s: no group named '%s' (ignored)", where, w);
				continue;
			}
			n = gr->gr_gid;
		}
		if (users) {
			s->users = xrealloc(s->users, (s->n_users + 1) * sizeof(uid_t));
			s->users[s->n_users++] = (uid_t)n;
		} else {
			s->groups = xrealloc(s->groups, (s->n_groups + 1) * sizeof(gid_t));
			s->groups[s->n_groups++] = (gid_t)n;
		}
	}
	return 0;
}

/* Apply one "key = value" line. */
static int sysmode__line(struct sysmode *s, char *line, const char *where, struct log *log,
			 struct err *e)
{
	char *eq = strchr(line, '='), *k = line, *v, *end;

	if (eq == NULL)
		return err_set(e, -EINVAL, "%s: expected `key = value`", where);
	*eq = '\0';
	v = eq + 1;
	for (end = eq; end > k && isspace((unsigned char)end[-1]); end--)
		end[-1] = '\0';
	while (isspace((unsigned char)*v))
		v++;
	for (end = v + strlen(v); end > v && isspace((unsigned char)end[-1]); end--)
		end[-1] = '\0';
	if (strcmp(k, "allow-users") == 0)
		return sysmode__ids(s, true, v, where, log, e);
	if (strcmp(k, "allow-groups") == 0)
		return sysmode__ids(s, false, v, where, log, e);
	if (settings_key_in(k, settings_keys))
		return 0; /* the cache's settings (daemon/settings.c) */
	return err_set(e, -EINVAL, "%s: unknown key '%s' (known: allow-users, allow-groups, %s)",
		       where, k,
		       "max-size, grace-period, evict-batch, verify-jobs, max-unpacked, max-ratio");
}

const char *const sysmode_keys[] = {"allow-users", "allow-groups", NULL};

/* Read the configuration. */
int sysmode_load(struct sysmode *s, const char *path, struct log *log, struct err *e)
{
	char line[SYSMODE_LINE_MAX], where[64 + SYSMODE_LINE_MAX];
	FILE *f;
	int rc = 0, no = 0;

	memset(s, 0, sizeof(*s));
	s->config_path = xstrdup(path);
	f = fopen(path, "re");
	if (f == NULL && errno == ENOENT) {
		log_warn(log,
			 "no configuration %s: only root may use this daemon (see allow-users "
			 "in the README)",
			 path);
		return 0;
	}
	if (f == NULL)
		return err_set(e, -errno, "cannot read %s: %s", path, strerror(errno));
	s->config_found = true;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		char *p = line, *hash;
		no++;
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			rc = err_set(e, -WHLC_ELIMIT, "%s:%d: line longer than %d bytes", path, no,
				     SYSMODE_LINE_MAX - 2);
			break;
		}
		if ((hash = strchr(p, '#')) != NULL)
			*hash = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, no);
		if ((rc = sysmode__line(s, p, where, log, e)) < 0)
			break;
	}
	fclose(f);
	return rc;
}

/* Release s. */
void sysmode_free(struct sysmode *s)
{
	free(s->config_path);
	free(s->users);
	free(s->groups);
	memset(s, 0, sizeof(*s));
}

/* Read SO_PEERGROUPS. */
int sysmode_peer_groups(int fd, struct peer_cred *p, char *msg, size_t msglen)
{
	socklen_t len = sizeof(p->groups);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &len) < 0) {
		snprintf(msg, msglen,
			 errno == ERANGE ? "uid %lu belongs to more than %d groups; whlcd "
					   "--system cannot act with all of them"
					 : "cannot read the groups of uid %lu (SO_PEERGROUPS)",
			 (unsigned long)p->uid, PEER_MAX_GROUPS);
		return -1;
	}
	p->ngroups = (int)(len / sizeof(gid_t));
	return 0;
}

/* May the peer run an administrative request (REQ_ADMIN)? */
int sysmode_admin(const struct peer_cred *p, const char *what, char *msg, size_t msglen)
{
	if (p->uid == 0 || p->uid == geteuid())
		return 0;
	snprintf(msg, msglen,
		 "%s: on the system whlcd this is for administrators (root or the daemon's user); "
		 "uid %lu may not: it would act on every user's cache and service",
		 what, (unsigned long)p->uid);
	return -1;
}

/* Is the peer allowed? */
int sysmode_allowed(const struct sysmode *s, const struct peer_cred *p, char *msg, size_t msglen)
{
	char name[64], buf[4096];
	struct passwd pw, *pwp = NULL;

	if (p->uid == 0 || p->uid == geteuid() || s->allow_all)
		return 0;
	for (size_t i = 0; i < s->n_users; i++)
		if (s->users[i] == p->uid)
			return 0;
	for (size_t i = 0; i < s->n_groups; i++) {
		if (s->groups[i] == p->gid)
			return 0;
		for (int j = 0; j < p->ngroups; j++)
			if (s->groups[i] == p->groups[j])
				return 0;
	}
	if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp != NULL)
		snprintf(name, sizeof(name), "%s", pwp->pw_name);
	else
		snprintf(name, sizeof(name), "%lu", (unsigned long)p->uid);
	snprintf(msg, msglen,
		 "user %s (uid %lu) is not allowed to use the system whlcd; an administrator "
		 "can allow it with `allow-users = %s` (or `allow-groups = GROUP`) in %s, then "
		 "reload whlcd (SIGHUP: `systemctl reload whlcd-system.service`); meanwhile set "
		 "WHLC_SOCKET to use a per-user daemon",
		 name, (unsigned long)p->uid, name, s->config_path);
	return -1;
}
