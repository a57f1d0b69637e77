# daemon/: installing into virtual environments.
WHLCD_SRCS += daemon/interp.c daemon/interp.h daemon/tags.c daemon/tags.h
