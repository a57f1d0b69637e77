/*
 * failpoint.h: named failure points for crash and error-path tests (a test
 * facility, compiled into every build).
 *
 * The daemon reads WHLCD_FAILPOINT=name[:action] once at startup into a
 * struct failpoint kept in its context. Code calls failpoint_hit(fp, "name")
 * at interesting places; when the name matches, the action runs:
 *   kill  - raise(SIGKILL): the process dies at that instant (the default);
 *   error - failpoint_hit returns -EIO and the caller fails as if an I/O
 *           error had happened there.
 * Points in use: "ingest-before-commit" (objects published and synced, the
 * catalog transaction not yet begun), "ingest-after-publish" (same place,
 * named for what has happened), "ingest-before-publish" (all members read
 * and validated, nothing published yet).
 */
#ifndef WHLC_FAILPOINT_H
#define WHLC_FAILPOINT_H

enum failpoint_action {
	FAILPOINT_KILL = 0,
	FAILPOINT_ERROR,
};

struct failpoint {
	char *name; /* NULL: no point armed */
	enum failpoint_action action;
};

/* Arm fp from a spec "name[:kill|error]" (NULL or "" disarms); 0 or -EINVAL. */
int failpoint_init(struct failpoint *fp, const char *spec);
/* Arm fp from the WHLCD_FAILPOINT environment variable; 0 or -EINVAL. */
int failpoint_init_env(struct failpoint *fp);
void failpoint_free(struct failpoint *fp);
/* Run the armed action when name matches: returns 0, -EIO (error), or never (kill). */
int failpoint_hit(const struct failpoint *fp, const char *name);

#endif
