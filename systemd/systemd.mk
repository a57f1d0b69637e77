# systemd/: user units (socket activation). Installed when the systemd user unit
# directory is known (pkg-config systemd, or --with-systemduserunitdir).
EXTRA_DIST += systemd/whlcd.socket systemd/whlcd.service.in
CLEANFILES += systemd/whlcd.service

systemd/whlcd.service: systemd/whlcd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/systemd/whlcd.service.in > $@

if HAVE_SYSTEMDUSERUNITDIR
systemduserunit_DATA = systemd/whlcd.socket systemd/whlcd.service
endif

# distcheck installs as non-root into a private prefix: keep the units inside it.
AM_DISTCHECK_CONFIGURE_FLAGS = --with-systemduserunitdir='$$(prefix)/lib/systemd/user'
