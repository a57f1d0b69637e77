# daemon/: installing into virtual environments.
