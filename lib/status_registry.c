/* status_registry.c - placeholder until the module lands */
