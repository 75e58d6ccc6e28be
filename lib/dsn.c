/* dsn.c - placeholder until the module lands */
