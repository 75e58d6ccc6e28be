/* classify.c - placeholder until the module lands */
