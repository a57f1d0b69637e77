# client/: the whlc command.
WHLC_SRCS += client/main.c client/client.h client/commands.c client/conn.c client/autostart.c \
	client/output.c client/cmd_status.c client/cmd_daemon.c
