/* ident.c: acting as the requesting user on one worker thread (system mode); see ident.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ident.h"
#include "xalloc.h"

#define IDENT_CAP_BIT(c)      (UINT32_C(1) << (c))
#define IDENT_MAX_DAEMON_GRPS 64

/*
 * What this thread is doing. Credentials are per-thread kernel state, so their
 * bookkeeping is per thread too (the one exception to "no mutable globals":
 * a context struct cannot follow into catalog code called from deep inside
 * the installer, and the kernel state it mirrors is itself thread-local).
 */
struct ident__tls {
	bool active;
	int suspended;
	struct ident user;
	uid_t d_fsuid;
	gid_t d_fsgid;
	int d_ngroups;
	gid_t d_groups[IDENT_MAX_DAEMON_GRPS];
	uint32_t d_eff[2];
};

static _Thread_local struct ident__tls ident__t;

/* capget of this thread into data[2]. */
static int ident__capget(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return (int)syscall(SYS_capget, &h, data);
}

/* capset of this thread. */
static int ident__capset(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return (int)syscall(SYS_capset, &h, data);
}

/* Set this thread's effective set to eff (within the permitted set). */
static int ident__set_eff(const uint32_t eff[2])
{
	struct __user_cap_data_struct d[2];

	if (ident__capget(d) < 0)
		return -errno;
	d[0].effective = eff[0] & d[0].permitted;
	d[1].effective = eff[1] & d[1].permitted;
	return ident__capset(d) < 0 ? -errno : 0;
}

/* setfsuid/setfsgid report nothing: ask for the current value to check. */
static int ident__fs(uid_t uid, gid_t gid)
{
	syscall(SYS_setfsgid, gid);
	if ((gid_t)syscall(SYS_setfsgid, (gid_t)-1) != gid)
		return -EPERM;
	syscall(SYS_setfsuid, uid);
	if ((uid_t)syscall(SYS_setfsuid, (uid_t)-1) != uid)
		return -EPERM;
	return 0;
}

/* Switch this thread to the user's credentials with an empty effective set. */
static int ident__to_user(struct ident__tls *t)
{
	static const uint32_t none[2] = {0, 0};
	int rc;

	if (syscall(SYS_setgroups, (size_t)t->user.ngroups, t->user.groups) < 0)
		return -errno;
	if ((rc = ident__fs(t->user.uid, t->user.gid)) < 0)
		return rc;
	return ident__set_eff(none);
}

/* Switch this thread back to the daemon's credentials; abort when that is impossible. */
static void ident__to_daemon(struct ident__tls *t)
{
	/* SETUID/SETGID must be effective again before the ids can change. */
	if (ident__set_eff(t->d_eff) < 0 || ident__fs(t->d_fsuid, t->d_fsgid) < 0 ||
	    syscall(SYS_setgroups, (size_t)t->d_ngroups, t->d_groups) < 0 ||
	    ident__set_eff(t->d_eff) < 0) {
		/* A thread stuck with a user's rights must not serve anyone else. */
		fprintf(stderr, "whlcd: cannot restore the daemon's credentials: %s\n",
			strerror(errno));
		abort();
	}
}

/* The identity of a request's peer. */
void ident_from_peer(struct ident *id, const struct peer_cred *p)
{
	memset(id, 0, sizeof(*id));
	id->uid = p->uid;
	id->gid = p->gid;
	id->ngroups = p->ngroups > 0 ? p->ngroups : 0;
	memcpy(id->groups, p->groups, (size_t)id->ngroups * sizeof(gid_t));
}

/* Act as id on this thread. */
int ident_enter(const struct ident *id, struct err *e)
{
	struct ident__tls *t = &ident__t;
	struct __user_cap_data_struct d[2];
	int n, rc;

	if (t->active)
		return err_set(e, -EBUSY, "internal error: identity switched twice on one thread");
	if (ident__capget(d) < 0)
		return err_set(e, -errno, "capget: %s", strerror(errno));
	n = (int)syscall(SYS_getgroups, IDENT_MAX_DAEMON_GRPS, t->d_groups);
	if (n < 0)
		return err_set(e, -errno, "getgroups: %s", strerror(errno));
	t->d_ngroups = n;
	t->d_eff[0] = d[0].effective;
	t->d_eff[1] = d[1].effective;
	t->d_fsuid = (uid_t)syscall(SYS_setfsuid, (uid_t)-1);
	t->d_fsgid = (gid_t)syscall(SYS_setfsgid, (gid_t)-1);
	t->user = *id;
	/* Nothing has changed when setgroups fails: report it without restoring. */
	if (syscall(SYS_setgroups, (size_t)id->ngroups, id->groups) < 0)
		return err_set(e, -errno,
			       "cannot act as uid %lu: setgroups: %s (whlcd --system needs "
			       "CAP_SETUID, CAP_SETGID and CAP_FOWNER)",
			       (unsigned long)id->uid, strerror(errno));
	if ((rc = ident__to_user(t)) < 0) {
		ident__to_daemon(t);
		return err_set(e, rc,
			       "cannot act as uid %lu: %s (whlcd --system needs CAP_SETUID, "
			       "CAP_SETGID and CAP_FOWNER)",
			       (unsigned long)id->uid, strerror(-rc));
	}
	t->active = true;
	t->suspended = 0;
	return 0;
}

/* Restore the daemon's credentials. */
void ident_leave(void)
{
	struct ident__tls *t = &ident__t;

	if (!t->active)
		return;
	if (t->suspended == 0)
		ident__to_daemon(t);
	t->active = false;
	t->suspended = 0;
}

/* True while acting as a user. */
bool ident_active(void)
{
	return ident__t.active && ident__t.suspended == 0;
}

/* Daemon credentials for a moment. */
void ident_suspend(void)
{
	struct ident__tls *t = &ident__t;

	if (t->active && t->suspended++ == 0)
		ident__to_daemon(t);
}

/* Back to the user after ident_suspend. */
void ident_resume(void)
{
	struct ident__tls *t = &ident__t;

	if (!t->active || t->suspended == 0 || --t->suspended > 0)
		return;
	if (ident__to_user(t) < 0) {
		fprintf(stderr, "whlcd: cannot act as uid %lu again: %s\n",
			(unsigned long)t->user.uid, strerror(errno));
		abort();
	}
}

/* A thread's bookkeeping, copied for a thread it starts. */
struct ident_state {
	struct ident__tls t;
};

/* Copy this thread's identity (NULL when not acting as a user). */
struct ident_state *ident_state_save(void)
{
	struct ident_state *s;

	if (!ident__t.active)
		return NULL;
	s = xmalloc(sizeof(*s));
	s->t = ident__t;
	s->t.suspended = 0;
	return s;
}

/* Free a copy. */
void ident_state_free(struct ident_state *s)
{
	free(s);
}

/*
 * Act as s's user on this (new) thread. Its kernel credentials are whatever
 * the starting thread had at that moment (the user's, or the daemon's while
 * suspended): go through the daemon's to the user's explicitly.
 */
int ident_adopt(const struct ident_state *s, struct err *e)
{
	struct ident__tls *t = &ident__t;
	int rc;

	if (s == NULL)
		return 0;
	if (t->active)
		return err_set(e, -EBUSY, "internal error: identity switched twice on one thread");
	*t = s->t;
	ident__to_daemon(t);
	if ((rc = ident__to_user(t)) < 0) {
		ident__to_daemon(t);
		t->active = false;
		return err_set(e, rc, "cannot act as uid %lu on a new thread: %s",
			       (unsigned long)t->user.uid, strerror(-rc));
	}
	t->active = true;
	t->suspended = 0;
	return 0;
}

/* Raise CAP_FOWNER for one link. */
int ident_fowner_raise(void)
{
	uint32_t eff[2] = {IDENT_CAP_BIT(CAP_FOWNER), 0};

	if (!ident_active())
		return 0;
	return ident__set_eff(eff) == 0;
}

/* Drop what ident_fowner_raise raised. */
void ident_fowner_drop(int token)
{
	static const uint32_t none[2] = {0, 0};

	if (token && ident__set_eff(none) < 0) {
		fprintf(stderr, "whlcd: cannot drop CAP_FOWNER: %s\n", strerror(errno));
		abort();
	}
}

/* Child side of ident_spawn: become the user for good, then exec (async-signal-safe only). */
static void ident__child(const struct ident *u, const char *path, char *const argv[],
			 char *const envp[], int out_fd, int err_fd)
{
	struct __user_cap_data_struct d[2];
	int nul = open("/dev/null", O_RDONLY);

	if (nul < 0 || dup2(nul, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(126);
	if (ident__capget(d) < 0)
		_exit(126);
	d[0].effective = d[0].permitted;
	d[1].effective = d[1].permitted;
	if (ident__capset(d) < 0)
		_exit(126);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_setgroups, (size_t)u->ngroups, u->groups) < 0 ||
	    syscall(SYS_setresgid, u->gid, u->gid, u->gid) < 0 ||
	    syscall(SYS_setresuid, u->uid, u->uid, u->uid) < 0)
		_exit(126);
	memset(d, 0, sizeof(d));
	if (ident__capset(d) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(126);
	if (getuid() != u->uid || geteuid() != u->uid || getegid() != u->gid)
		_exit(126);
	execve(path, argv, envp);
	_exit(127);
}

/* Run path as the acting user with no capabilities. */
int ident_spawn(const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd,
		pid_t *pid)
{
	struct ident__tls *t = &ident__t;
	pid_t p;

	if (!t->active)
		return -EPERM;
	p = fork();
	if (p < 0)
		return -errno;
	if (p == 0)
		ident__child(&t->user, path, argv, envp, out_fd, err_fd);
	*pid = p;
	return 0;
}

/* Whether CAP_SETUID, CAP_SETGID and CAP_FOWNER are permitted. */
int ident_check_caps(struct err *e)
{
	struct __user_cap_data_struct d[2];
	uint32_t need =
	    IDENT_CAP_BIT(CAP_SETUID) | IDENT_CAP_BIT(CAP_SETGID) | IDENT_CAP_BIT(CAP_FOWNER);

	if (ident__capget(d) < 0)
		return err_set(e, -errno, "capget: %s", strerror(errno));
	if ((d[0].permitted & need) != need || (d[0].effective & need) != need)
		return err_set(e, -EPERM,
			       "whlcd --system needs the capabilities CAP_SETUID, CAP_SETGID and "
			       "CAP_FOWNER (run it as root, or as the whlc user with "
			       "AmbientCapabilities= as in whlcd-system.service)");
	return 0;
}
