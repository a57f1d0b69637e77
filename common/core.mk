# common/: protocol, framing, logging, paths and basic utilities.
LIBWHLC_SRCS += common/err.c common/err.h common/xalloc.c common/xalloc.h common/strbuf.c common/strbuf.h
LIBWHLC_SRCS += common/proto.h common/proto.c common/frame.h common/frame.c \
	common/msg.h common/msg.c common/msgjson.c common/log.h common/log.c \
	common/paths.h common/paths.c
