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
AM_DISTCHECK_CONFIGURE_FLAGS = --with-systemduserunitdir='$$(prefix)/lib/systemd/user' \
	--with-systemdsystemunitdir='$$(prefix)/lib/systemd/system' \
	--with-sysusersdir='$$(prefix)/lib/sysusers.d' --with-tmpfilesdir='$$(prefix)/lib/tmpfiles.d'

# System mode (issue 9): system units, sysusers.d and tmpfiles.d entries.
EXTRA_DIST += systemd/whlcd-system.socket systemd/whlcd-system.service.in \
	systemd/whlc.sysusers systemd/whlc.tmpfiles
CLEANFILES += systemd/whlcd-system.service

systemd/whlcd-system.service: systemd/whlcd-system.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/systemd/whlcd-system.service.in > $@

systemdsystemunit_DATA = systemd/whlcd-system.socket systemd/whlcd-system.service
sysusers_DATA = systemd/whlc.sysusers
tmpfiles_DATA = systemd/whlc.tmpfiles
# Installed as whlc.conf (the names sysusers.d and tmpfiles.d read).
install-data-hook: install-whlc-systemd-names
install-whlc-systemd-names:
	cd $(DESTDIR)$(sysusersdir) && mv -f whlc.sysusers whlc.conf
	cd $(DESTDIR)$(tmpfilesdir) && mv -f whlc.tmpfiles whlc.conf
uninstall-hook:
	rm -f $(DESTDIR)$(sysusersdir)/whlc.conf $(DESTDIR)$(tmpfilesdir)/whlc.conf
