/* lhost.c - placeholder until the module lands */
