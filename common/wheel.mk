# common/: wheel formats (file names, WHEEL/METADATA, RECORD, entry points, zip structure, hashing).
LIBWHLC_SRCS += common/hash.h common/wheel_name.h common/rfc822.h common/record.h common/entrypoints.h common/zipcheck.h common/zipcheck_int.h
LIBWHLC_SRCS += common/hash.c common/wheel_name.c common/rfc822.c common/record.c common/entrypoints.c common/zipcheck.c common/zipend.c common/zipname.c
