# common/: protocol, framing, logging, paths and basic utilities.
LIBWHLC_SRCS += common/err.c common/err.h common/xalloc.c common/xalloc.h common/strbuf.c common/strbuf.h
