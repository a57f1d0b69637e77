/* store_reserve.c: in-memory reservations that keep gc away from objects an ingest reuses. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "xalloc.h"

#define STORE_RESV_BUCKETS 4096

struct store_resv {
	uint8_t sha256[32];
	int exec;
	unsigned count; /* ingests holding it */
	struct store_resv *next;
};

/* The bucket of an object (its hash is already uniform). */
static struct store_resv **store__bucket(struct store *s, const uint8_t sha256[32])
{
	if (s->resv == NULL)
		s->resv = xcalloc(STORE_RESV_BUCKETS, sizeof(*s->resv));
	return &s->resv[(sha256[0] | (unsigned)sha256[1] << 8) % STORE_RESV_BUCKETS];
}

/* The node of an object in its bucket, or NULL; writers_mu held. */
static struct store_resv **store__find(struct store *s, const uint8_t sha256[32], int exec)
{
	struct store_resv **pp = store__bucket(s, sha256);

	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->exec == exec && memcmp((*pp)->sha256, sha256, 32) == 0)
			return pp;
	return pp;
}

/* Hold the object: gc keeps its file until the matching store_unreserve. */
void store_reserve(struct store *s, const uint8_t sha256[32], int exec)
{
	struct store_resv **pp;

	pthread_mutex_lock(&s->writers_mu);
	pp = store__find(s, sha256, exec);
	if (*pp == NULL) {
		*pp = xcalloc(1, sizeof(**pp));
		memcpy((*pp)->sha256, sha256, 32);
		(*pp)->exec = exec;
	}
	(*pp)->count++;
	pthread_mutex_unlock(&s->writers_mu);
}

/* Release one hold of the object. */
void store_unreserve(struct store *s, const uint8_t sha256[32], int exec)
{
	struct store_resv **pp, *r;

	pthread_mutex_lock(&s->writers_mu);
	pp = store__find(s, sha256, exec);
	if ((r = *pp) != NULL && --r->count == 0) {
		*pp = r->next;
		free(r);
	}
	pthread_mutex_unlock(&s->writers_mu);
}

/* 1 when an ingest in flight holds the object. */
int store_reserved(struct store *s, const uint8_t sha256[32], int exec)
{
	int held;

	pthread_mutex_lock(&s->writers_mu);
	held = *store__find(s, sha256, exec) != NULL;
	pthread_mutex_unlock(&s->writers_mu);
	return held;
}

/* Unlink the object's file unless reserved: 1 removed (or already gone), 0 kept, or -errno. */
int store_remove_unreserved(struct store *s, const uint8_t sha256[32], int exec)
{
	char rel[STORE_RELPATH_MAX];
	int ret = 1;

	store_object_relpath(sha256, exec, rel);
	/* Under the lock: an ingest reserves before it checks that the file exists, so
	 * it either sees the file gone or finds it reserved here. */
	pthread_mutex_lock(&s->writers_mu);
	if (*store__find(s, sha256, exec) != NULL)
		ret = 0;
	else if (unlinkat(s->objects_fd, rel, 0) < 0 && errno != ENOENT)
		ret = -errno;
	pthread_mutex_unlock(&s->writers_mu);
	return ret;
}

/* Free the reservation table (store_close). */
void store_resv_free(struct store *s)
{
	if (s->resv == NULL)
		return;
	for (size_t i = 0; i < STORE_RESV_BUCKETS; i++) {
		struct store_resv *r = s->resv[i], *next;
		for (; r != NULL; r = next) {
			next = r->next;
			free(r);
		}
	}
	free(s->resv);
	s->resv = NULL;
}
