# systemd/: unit files.
