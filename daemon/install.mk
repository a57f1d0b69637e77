# daemon/: installing into virtual environments.
WHLCD_SRCS += daemon/interp.c daemon/interp.h daemon/tags.c daemon/tags.h
WHLCD_SRCS += daemon/script.c daemon/script.h daemon/launcher.c daemon/launcher.h
WHLCD_SRCS += daemon/venv.c daemon/venv.h
WHLCD_SRCS += daemon/layout.c daemon/layout.h
WHLCD_SRCS += daemon/installed.c daemon/installed.h
