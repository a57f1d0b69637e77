/*
 * store.h: the content-addressed object store inside the cache directory.
 *
 * Layout (all on one filesystem):
 *   <cache>/CACHEDIR.TAG
 *   <cache>/store-v1/objects/ab/<62 more hex>     non-executable object, mode 0444
 *   <cache>/store-v1/objects/ab/<62 more hex>-x   executable object, mode 0555
 *   <cache>/store-v1/tmp/                         temporaries (removed at startup)
 *   <cache>/store-v1/copies/<64 hex>[-x].<k>      extra copy k >= 1 of an object at the
 *                                                 filesystem's link limit (store_copy.h)
 * One object per (SHA-256 of the content, exec bit): a hardlinked inode shares
 * its mode, so the same bytes with and without the exec bit are two objects.
 * Objects are never written after publication.
 *
 * Publishing: bytes go to a temporary file (store_tmp_*), which is made
 * read-only and then linked under its final name; an existing object is kept
 * as is (EEXIST is success). Durability is batched by the caller with
 * store_sync() (one syncfs of the store's filesystem); see ingest.c for the
 * ordering that keeps a partial file from ever carrying a final name.
 *
 * For the installer: store_object_relpath() gives the path relative to
 * store->objects_fd, so linkat(store->objects_fd, rel, venv_dirfd, name, 0)
 * hardlinks an object without building absolute paths.
 *
 * Writers in flight: every ingest brackets its temporaries with
 * store_writer_begin/end, so `cache verify` tells a temporary that an ingest
 * is still writing from one that was leaked (store_tmp_in_flight).
 *
 * Thread safety: after store_open, every function may be called from any
 * thread concurrently (the struct is read-only except an atomic counter and
 * the writer list, which has its own mutex).
 */
#ifndef WHLC_STORE_H
#define WHLC_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define STORE_DIR_NAME "store-v1"
/* "ab/" + 62 hex + "-x" + NUL */
#define STORE_RELPATH_MAX 68

struct store {
	char *cache_dir;	    /* as given to store_open */
	char *root;		    /* <cache>/store-v1 */
	char *objects;		    /* <cache>/store-v1/objects */
	char *tmp;		    /* <cache>/store-v1/tmp */
	int objects_fd;		    /* O_DIRECTORY fd of objects */
	int tmp_fd;		    /* O_DIRECTORY fd of tmp */
	char *copies;		    /* <cache>/store-v1/copies */
	int copies_fd;		    /* O_DIRECTORY fd of copies */
	uint64_t tmp_seq;	    /* unique temporary names (atomic) */
	pthread_mutex_t writers_mu; /* the writers and the reservations */
	uint64_t *writers;	    /* tmp_seq when each writer in flight began */
	size_t n_writers, cap_writers;
	struct store_resv **resv; /* hash buckets of reserved objects (store_reserve.c) */
	pthread_mutex_t hints_mu; /* guards copy_hints */
	struct store_copy_hint {
		uint8_t sha256[32];
		int exec;
		unsigned k; /* 0: empty slot */
	} copy_hints[64];   /* the copy that last took a link, per object (store_copy.c) */
};

/* A temporary file being written; becomes an object with store_tmp_publish. */
struct store_tmp {
	int fd;	       /* -1 once closed */
	char name[64]; /* in store->tmp; "" when none */
	uint64_t size; /* bytes written */
};

/*
 * Create (if needed) and open the store under cache_dir: the directories,
 * CACHEDIR.TAG, and removal of leftover temporaries (a crashed daemon's).
 * *tmp_removed (may be NULL) gets the number of temporaries removed.
 */
int store_open(struct store *s, const char *cache_dir, unsigned *tmp_removed, struct err *err);
void store_close(struct store *s);

/* Register a writer of temporaries; returns the token for store_writer_end. */
uint64_t store_writer_begin(struct store *s);
/* Unregister a writer once all its temporaries are published or discarded. */
void store_writer_end(struct store *s, uint64_t token);
/* The number of writers in flight (an object without a catalog row may be theirs). */
size_t store_writers_active(struct store *s);
/* 1 when the temporary named name may belong to a writer still in flight. */
int store_tmp_in_flight(struct store *s, const char *name);

/*
 * Reservations (store_reserve.c): an ingest reserves each object before it
 * looks for it on disk, and releases it once its catalog transaction is over;
 * gc removes an object's file only when no ingest holds it. Without them, an
 * ingest could decide to reuse an existing file that a concurrent gc (with no
 * grace period) removes before the ingest commits the row naming it.
 */
void store_reserve(struct store *s, const uint8_t sha256[32], int exec);
void store_unreserve(struct store *s, const uint8_t sha256[32], int exec);
/* 1 when an ingest in flight holds the object. */
int store_reserved(struct store *s, const uint8_t sha256[32], int exec);
/* Unlink the object's file unless reserved: 1 removed (or already gone), 0 kept, or -errno. */
int store_remove_unreserved(struct store *s, const uint8_t sha256[32], int exec);
/* Free the reservation table (store_close). */
void store_resv_free(struct store *s);

/* Remove every file in the tmp directory; returns the count removed or a negative code. */
int store_clean_tmp(struct store *s, struct err *err);

/* "ab/cdef...[-x]" relative to s->objects; buf holds STORE_RELPATH_MAX bytes. */
void store_object_relpath(const uint8_t sha256[32], int exec, char buf[STORE_RELPATH_MAX]);
/* Absolute path of an object (malloc'd). */
char *store_object_path(const struct store *s, const uint8_t sha256[32], int exec);
/* 1 when the object file exists, 0 when not, negative code on other errors. */
int store_object_exists(const struct store *s, const uint8_t sha256[32], int exec);
/* Open an object read-only (O_CLOEXEC); fd or negative code. */
int store_object_open(const struct store *s, const uint8_t sha256[32], int exec);

/* Create a new, empty temporary file (mode 0600) in the store's tmp directory. */
int store_tmp_create(struct store *s, struct store_tmp *t, struct err *err);
/* Append bytes to a temporary file. */
int store_tmp_write(struct store_tmp *t, const void *buf, size_t len, struct err *err);
/* Set the final mode (0444, 0555 when exec) and close the file (it keeps its name). */
int store_tmp_close(struct store_tmp *t, int exec, struct err *err);
/*
 * Give a closed temporary its final name for (sha256, exec) and remove the
 * temporary name. *created (may be NULL) is 1 when this call created the
 * object, 0 when it already existed. The caller guarantees the content hash.
 */
int store_tmp_publish(struct store *s, struct store_tmp *t, const uint8_t sha256[32], int exec,
		      int *created, struct err *err);
/* Close and unlink a temporary that will not be published (idempotent). */
void store_tmp_discard(struct store *s, struct store_tmp *t);

/* Make everything written to the store's filesystem durable (syncfs). */
int store_sync(struct store *s, struct err *err);

#endif
