/* status.c - placeholder until the module lands */
