# daemon/: event loop, socket server, connections, request table.
# Everything but main.c goes into daemon/libwhlcd.a (see Makefile.am) so that
# unit tests can link the daemon's modules.
WHLCD_SRCS += daemon/daemon.h daemon/server.h daemon/server.c daemon/conn.h daemon/conn.c \
	daemon/request.h daemon/request.c daemon/handlers.h daemon/reqtable.c \
	daemon/h_hello.c daemon/h_status.c daemon/h_test.c
