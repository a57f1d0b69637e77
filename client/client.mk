# client/: the whlc command.
WHLC_SRCS += client/main.c
