# daemon/: installing into virtual environments.
WHLCD_SRCS += daemon/interp.c daemon/interp.h daemon/tags.c daemon/tags.h
WHLCD_SRCS += daemon/script.c daemon/script.h daemon/launcher.c daemon/launcher.h
WHLCD_SRCS += daemon/venv.c daemon/venv.h
WHLCD_SRCS += daemon/layout.c daemon/layout.h
WHLCD_SRCS += daemon/installed.c daemon/installed.h
WHLCD_SRCS += daemon/install.h daemon/install.c daemon/install_one.c daemon/install_link.c \
	daemon/install_gen.c daemon/install_stash.c daemon/h_install.c daemon/h_venv.c daemon/h_venv.h
# client/: the venv commands (install, uninstall, list, verify).
WHLC_SRCS += client/cmd_install.c client/cmd_venv.c client/cmd_venv.h
WHLCD_SRCS += daemon/install_par.c
