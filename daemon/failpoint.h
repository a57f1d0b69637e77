/*
 * failpoint.h: named failure points for crash and error-path tests (a test
 * facility, compiled into every build).
 *
 * The daemon reads WHLCD_FAILPOINT=name[:action] once at startup into a
 * struct failpoint kept in its context. Code calls failpoint_hit(fp, "name")
 * at interesting places; when the name matches, the action runs:
 *   kill  - raise(SIGKILL): the process dies at that instant (the default);
 *   error - failpoint_hit returns -EIO and the caller fails as if an I/O
 *           error had happened there;
 *   pause:PATH - the calling thread creates PATH, then waits (polling every
 *           10 ms, at most 10 minutes) until the test removes it, and
 *           continues normally: lets a test act while an operation stands
 *           at that point (the rest of the daemon keeps serving).
 * Points in use: "ingest-before-commit" (objects published and synced, the
 * catalog transaction not yet begun), "ingest-after-publish" (same place,
 * named for what has happened), "ingest-before-publish" (all members read
 * and validated, nothing published yet), "install-after-pin" (the wheel
 * pinned and its objects checked, nothing linked yet), "install-mid-link"
 * (half of the files of a link run in place), "install-before-commit" (all
 * files and the temporary dist-info written, not yet renamed).
 */
#ifndef WHLC_FAILPOINT_H
#define WHLC_FAILPOINT_H

enum failpoint_action {
	FAILPOINT_KILL = 0,
	FAILPOINT_ERROR,
	FAILPOINT_PAUSE,
};

struct failpoint {
	char *name; /* NULL: no point armed */
	enum failpoint_action action;
	char *arg; /* pause: the file that holds the thread while it exists */
};

/* Arm fp from a spec "name[:kill|error|pause:PATH]" (NULL or "" disarms); 0 or -EINVAL. */
int failpoint_init(struct failpoint *fp, const char *spec);
/* Arm fp from the WHLCD_FAILPOINT environment variable; 0 or -EINVAL. */
int failpoint_init_env(struct failpoint *fp);
void failpoint_free(struct failpoint *fp);
/* Run the armed action when name matches: returns 0 (also after a pause), -EIO (error), or
 * never (kill). */
int failpoint_hit(const struct failpoint *fp, const char *name);

#endif
