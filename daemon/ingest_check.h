/*
 * ingest_check.h: install-independent validation of a wheel's contents
 * (spec A.5, A.6, B.8, B.9, C.11, C.13, F.23 to F.25). Internal to ingestion.
 */
#ifndef WHLC_INGEST_CHECK_H
#define WHLC_INGEST_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "record.h"
#include "wheel_name.h"
#include "zipcheck.h"

/* What the layout check learned from the archive's index. */
struct ingest_layout {
	char *dist_info; /* "<name>-<version>.dist-info" as in the archive */
};

/*
 * Check the member layout against the file name: exactly one top-level
 * .dist-info directory, matching name (and version), holding METADATA, WHEEL
 * and RECORD; every file under a top-level *.data directory sits in a known
 * scheme key subdirectory, and no .dist-info hides in .data/purelib|platlib.
 */
int ingest_check_layout(const struct zip_index *zi, const struct wheel_name *wn,
			struct ingest_layout *out, struct err *err);
void ingest_layout_free(struct ingest_layout *l);

/* METADATA Name and Version equal the file name's (after normalization). */
int ingest_check_metadata(const char *buf, size_t len, const struct wheel_name *wn,
			  struct err *err);

/* WHEEL: Wheel-Version 1.x and Root-Is-Purelib; *newer_minor when 1.x with x > 0. */
int ingest_check_wheel(const char *buf, size_t len, int *purelib, int *newer_minor,
		       struct err *err);

/* True for "<dist_info>/RECORD", "RECORD.jws", "RECORD.p7s" (not listed in RECORD). */
int ingest_is_record_file(const char *dist_info, const char *path);

#endif
