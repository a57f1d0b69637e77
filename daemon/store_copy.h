/*
 * store_copy.h: extra copies of an object at the filesystem's link limit.
 *
 * ext4 allows 65,000 links per inode; a popular object (the empty file: 2,347
 * members of a 99-wheel corpus) reaches it after a few dozen venvs and
 * linkat() fails with EMLINK. The store then keeps more copies of the same
 * object, each a full, verified inode that takes links of its own:
 *
 *   <cache>/store-v1/copies/<64 hex>[-x].<k>     k = 1, 2, ... (flat: they are rare)
 *
 * A copy is the same object, not a new one: it has no catalog row, it is made
 * from the object while hashing it (the hash must match its name), gets mode
 * 0444/0555 and the object's mtime, and is durable (file and directory
 * fsynced) before its name appears to anyone. Linking tries the object first
 * (the hot path is unchanged); only on EMLINK does the installer ask for copy
 * k (the last one that took a link, remembered per object in memory, else 1),
 * which is checked against the object's size and mtime (re-hashed when they
 * differ, quarantined and made again when corrupt) or created, then linked;
 * EMLINK moves on to k + 1.
 *
 * Concurrency: two installs making copy k at once each write a temporary and
 * link it under the copy's name; the second gets EEXIST and uses the first
 * one's (after fsyncing the directory itself). A copy whose object has no
 * catalog row any more is an orphan: gc/prune/clear and the startup scan
 * remove it (store_copy_sweep), `cache verify` reports it. An object that is
 * being installed is pinned, so gc never removes it or its copies meanwhile.
 */
#ifndef WHLC_STORE_COPY_H
#define WHLC_STORE_COPY_H

#include <stdint.h>

#include "err.h"
#include "store.h"
#include "store_check.h"

/* The most copies of one object (65,000 x 4096 links on ext4). */
#define STORE_COPIES_MAX 4096
/* "<64 hex>-x.<k>" + NUL, with room. */
#define STORE_COPY_NAME_MAX 80

/* Name of copy k (>= 1) of an object in s->copies. */
void store_copy_name(const uint8_t sha256[32], int exec, unsigned k, char buf[STORE_COPY_NAME_MAX]);
/* Parse a copy name into its object and k; 0 or -EINVAL. */
int store_copy_parse(const char *name, uint8_t sha256[32], int *exec, unsigned *k);

/* The copy to try first for an object at its link limit (the last that took a link, else 1). */
unsigned store_copy_hint(struct store *s, const uint8_t sha256[32], int exec);
/* Remember that copy k of an object took a link. */
void store_copy_hint_set(struct store *s, const uint8_t sha256[32], int exec, unsigned k);

/*
 * Make copy k of an object ready to link (see the file comment): checked
 * when it exists, made from the object otherwise. -WHLC_ECORRUPT when the
 * object itself does not hash to its name, -ENOENT when it is gone.
 */
int store_copy_prepare(struct store *s, const uint8_t sha256[32], int exec, unsigned k,
		       struct err *err);

/* Hash copy `name` completely; fills out like store_object_rehash. */
int store_copy_rehash(struct store *s, const char *name, struct store_check *out, struct err *err);

/* Count the copies and their bytes (st_size). */
int store_copy_usage(struct store *s, uint64_t *copies, uint64_t *bytes, struct err *err);

/*
 * Remove the copies for which orphan(arg, sha256, exec) returns 1 (its object
 * left the catalog); a negative return stops the sweep with that code. Names
 * that are not copies are left for `cache verify`. Counts go to *removed and
 * *bytes (may be NULL).
 */
int store_copy_sweep(struct store *s, int (*orphan)(void *arg, const uint8_t sha256[32], int exec),
		     void *arg, uint64_t *removed, uint64_t *bytes, struct err *err);

#endif
