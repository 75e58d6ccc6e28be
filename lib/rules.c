/* rules.c - placeholder until the module lands */
