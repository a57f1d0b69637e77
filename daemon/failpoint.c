/* failpoint.c: named failure points for crash and error-path tests. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "failpoint.h"
#include "xalloc.h"

/* Arm fp from a spec "name[:kill|error|pause:PATH]" (NULL or "" disarms); 0 or -EINVAL. */
int failpoint_init(struct failpoint *fp, const char *spec)
{
	const char *colon;

	fp->name = NULL;
	fp->arg = NULL;
	fp->action = FAILPOINT_KILL;
	if (spec == NULL || *spec == '\0')
		return 0;
	colon = strchr(spec, ':');
	if (colon == NULL) {
		fp->name = xstrdup(spec);
		return 0;
	}
	if (strcmp(colon + 1, "kill") == 0)
		fp->action = FAILPOINT_KILL;
	else if (strcmp(colon + 1, "error") == 0)
		fp->action = FAILPOINT_ERROR;
	else if (strncmp(colon + 1, "pause:/", 7) == 0) {
		fp->action = FAILPOINT_PAUSE;
		fp->arg = xstrdup(colon + 7);
	} else
		return -EINVAL;
	if (colon == spec)
		return -EINVAL;
	fp->name = xstrndup(spec, (size_t)(colon - spec));
	return 0;
}

/* Arm fp from the WHLCD_FAILPOINT environment variable; 0 or -EINVAL. */
int failpoint_init_env(struct failpoint *fp)
{
	return failpoint_init(fp, getenv("WHLCD_FAILPOINT"));
}

/* Disarm fp and release its name. */
void failpoint_free(struct failpoint *fp)
{
	free(fp->name);
	free(fp->arg);
	fp->name = NULL;
	fp->arg = NULL;
}

/* Pause: create the file, wait until it is removed (at most 10 minutes). */
static void failpoint__pause(const char *path)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 60000 && access(path, F_OK) == 0; i++)
		nanosleep(&ts, NULL);
}

/* Run the armed action when name matches: returns 0, -EIO (error), or never (kill). */
int failpoint_hit(const struct failpoint *fp, const char *name)
{
	if (fp == NULL || fp->name == NULL || strcmp(fp->name, name) != 0)
		return 0;
	if (fp->action == FAILPOINT_ERROR)
		return -EIO;
	if (fp->action == FAILPOINT_PAUSE) {
		failpoint__pause(fp->arg);
		return 0;
	}
	raise(SIGKILL);
	return -EIO; /* not reached */
}
