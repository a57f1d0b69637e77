/*
 * ingest_int.h: the state of one ingest, shared by ingest.c (reading and checking
 * members) and ingest_publish.c (catalog lookups, durable publishing). Internal to ingestion.
 */
#ifndef WHLC_INGEST_INT_H
#define WHLC_INGEST_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "ingest.h"
#include "ingest_check.h"
#include "strbuf.h"
#include "wheel_name.h"

#define INGEST_MEM_MEMBER_DEFAULT (1u << 20)
#define INGEST_SPECIAL_MAX	  (64u << 20) /* RECORD, WHEEL, METADATA, entry_points.txt */
#define INGEST_READ_BLOCK	  (256u << 10)

enum { SP_RECORD, SP_WHEEL, SP_METADATA, SP_ENTRY_POINTS, SP__COUNT };

struct ingest__obj {
	uint8_t sha[32];
	int exec;
	uint64_t size;
	struct store_tmp tmp; /* tmp.name[0] when this ingest wrote the bytes */
	int on_disk;	      /* the object existed before this ingest */
	int reserved;	      /* held against gc (store_reserve) until the ingest ends */
	int64_t id;
};

struct ingest__member {
	int seen;
	size_t obj; /* index into objs */
};

struct ingest__job {
	const struct ingest_ctx *ix;
	const char *path, *base;
	int fd;
	unsigned flags; /* INGEST_* */
	struct stat st;
	struct wheel_name wn;
	struct zip_index zi;
	struct ingest_layout layout;
	uint8_t sha[32];
	struct ingest__member *m; /* parallel to zi.v */
	size_t *name_tab;	  /* open addressing over zi.v: index + 1, 0 empty */
	size_t name_cap;
	struct ingest__obj *objs;
	size_t n_objs, cap_objs;
	size_t *obj_tab; /* open addressing over objs: index + 1 */
	size_t obj_cap;
	size_t special_idx[SP__COUNT]; /* index into zi.v, or SIZE_MAX */
	struct strbuf special[SP__COUNT];
	struct strbuf membuf;
	struct catalog_conn *cc;
	struct ingest_result *res;
};

/* Steps 1 and 2: the stat cache, then the file's SHA-256; 1 on a hit, 0 on a miss. */
int ingest__lookup(struct ingest__job *j, struct err *err);
/* Fill the catalog row for a new wheel from the file name and layout. */
void ingest__fill_wheel(struct ingest__job *j);
/*
 * Step 5 for n staged jobs at once: one syncfs for every temporary of every
 * job, link them all, one syncfs, then each job's catalog transaction (with
 * its own j->cc) in order. On error *failed (may be NULL) is the index of the
 * job the error belongs to, or n when it is the batch's (a sync or a failure
 * point); the jobs before a failed commit stay committed.
 */
int ingest__publish_jobs(const struct ingest_ctx *ix, struct ingest__job *const *jobs, size_t n,
			 size_t *failed, struct err *err);

/* Set up a job for the wheel open on fd, named by path (nothing acquired yet). */
void ingest__job_init(struct ingest__job *j, const struct ingest_ctx *ix, int fd, const char *path,
		      unsigned flags, struct ingest_result *res);
/* Steps 1-4 with j->cc held: 1 on a hit (done, nothing to publish), 0 staged, or an error. */
int ingest__stage(struct ingest__job *j, struct err *err);
/* Free what only steps 1-4 need (the member reader's buffers and name table). */
void ingest__job_trim(struct ingest__job *j);
/* Discard the job's remaining temporaries and free it (not the result, not j itself). */
void ingest__job_free(struct ingest__job *j);
/* Prefix a failed ingest's message with the wheel, plus the hint when the disk is full. */
void ingest__fail_msg(const struct ingest_ctx *ix, const char *base, int ret, struct err *err);

#endif
