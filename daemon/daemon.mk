# daemon/: event loop, socket server, connections, request table.
WHLCD_SRCS += daemon/main.c
