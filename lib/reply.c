/* reply.c - placeholder until the module lands */
