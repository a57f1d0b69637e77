/*
 * ident.h: acting as the requesting user on one worker thread (system mode).
 *
 * Credentials are per thread in the kernel; glibc makes setuid/setgroups &
 * co. process-wide by signalling every thread, so this module uses the raw
 * system calls, which change only the calling thread:
 *   setgroups(2) (raw), setfsgid(2), setfsuid(2), capset(2).
 * While a thread acts as a user, every path it resolves and every file it
 * creates, links, renames or deletes is checked by the kernel against the
 * user's fsuid, fsgid and supplementary groups, and new files belong to the
 * user. Its effective capability set is empty, except around the one call
 * that needs CAP_FOWNER: linking a store object into the venv
 * (fs.protected_hardlinks refuses links to files the linker does not own).
 *
 * The catalog (SQLite) must never be opened or written as a user: catalog
 * code brackets its work with ident_suspend()/ident_resume(), which restore
 * the daemon's credentials for the duration and switch back afterwards.
 * Threads created by a thread acting as a user inherit its credentials.
 */
#ifndef WHLC_IDENT_H
#define WHLC_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"
#include "request.h"

/* Who a request acts as: the peer's uid, gid and supplementary groups. */
struct ident {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[PEER_MAX_GROUPS];
};

/* The identity of a request's peer (from SO_PEERCRED and SO_PEERGROUPS). */
void ident_from_peer(struct ident *id, const struct peer_cred *p);

/*
 * Make the calling thread act as id until ident_leave(). Fails (nothing
 * changed) when the daemon lacks CAP_SETUID/CAP_SETGID. Not nestable.
 */
int ident_enter(const struct ident *id, struct err *e);

/* Restore the daemon's credentials on this thread; aborts if the kernel refuses. */
void ident_leave(void);

/* True while this thread acts as a user (and is not suspended). */
bool ident_active(void);

/* Daemon credentials for a moment (catalog access); nestable; no-op when not acting. */
void ident_suspend(void);
void ident_resume(void);

/*
 * Raise CAP_FOWNER in the effective set for one link(2) of a store object;
 * returns a token for ident_fowner_drop. No-op when the thread is not acting.
 */
int ident_fowner_raise(void);
void ident_fowner_drop(int token);

/* A thread's identity, copied for the threads it starts (opaque; ident_state_save). */
struct ident_state;

/*
 * A copy of the calling thread's identity (NULL when it does not act as a
 * user): threads it starts inherit its kernel credentials but not this
 * module's bookkeeping, without which they could neither reach the catalog
 * as the daemon nor raise CAP_FOWNER. Free with ident_state_free.
 */
struct ident_state *ident_state_save(void);
void ident_state_free(struct ident_state *s);

/*
 * First thing in a thread started by one acting as a user: act as that user
 * too (s from ident_state_save; NULL: nothing to do). Call ident_leave()
 * before the thread ends. Fails (the thread keeps its kernel credentials and
 * must not touch the venv) when the kernel refuses the switch.
 */
int ident_adopt(const struct ident_state *s, struct err *e);

/*
 * Start path with argv/envp as the acting user with no capabilities at all
 * (fork, drop uid/gid/groups/caps for good, execve); stdin from /dev/null,
 * stdout and stderr to out_fd and err_fd. Used for the venv's interpreter.
 */
int ident_spawn(const char *path, char *const argv[], char *const envp[], int out_fd, int err_fd,
		pid_t *pid);

/* Whether the daemon can switch identities (CAP_SETUID, CAP_SETGID, CAP_FOWNER permitted). */
int ident_check_caps(struct err *e);

#endif
